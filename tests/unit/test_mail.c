/* tests/unit/test_mail.c: the digest mail's encoders — header folding and
 * RFC 2047 encoded-words, quoted-printable bodies, addresses, dates, the
 * Markdown-to-text conversion and the whole message's shape. */
#include "core/buf.h"
#include "core/text.h"
#include "report/mail.h"
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

static char *qp(const char *s)
{
	struct pm_buf b = PM_BUF_INIT;
	pm_buf_add(&b, "", 0);
	pm_mail_qp(&b, s, strlen(s));
	return pm_buf_detach(&b, NULL);
}

static char *header(const char *name, const char *value, int *rc)
{
	struct pm_buf b = PM_BUF_INIT;
	struct pm_err err;
	pm_err_init(&err);
	pm_buf_add(&b, "", 0);
	*rc = pm_mail_header(&b, name, value, &err);
	return pm_buf_detach(&b, NULL);
}

/* Longest line (without its CRLF); -1 if a line ends in a bare LF or CR. */
static long longest_line(const char *s)
{
	long max = 0, cur = 0;
	for (; *s; s++) {
		if (*s == '\r' && s[1] == '\n') {
			max = cur > max ? cur : max;
			cur = 0;
			s++;
		} else if (*s == '\n' || *s == '\r') {
			return -1;
		} else {
			cur++;
		}
	}
	return cur > max ? cur : max;
}

static int b64val(char c)
{
	const char *tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = strchr(tab, c);
	return c && p ? (int)(p - tab) : -1;
}

/* Decodes every "=?UTF-8?B?...?=" of a header into out; each word must be
 * whole UTF-8 characters and at most 75 characters long. Returns the
 * number of words, -1 on a bad word. */
static int decode_words(const char *h, struct pm_buf *out)
{
	int words = 0;
	const char *p = h;

	while ((p = strstr(p, "=?UTF-8?B?"))) {
		const char *start = p, *q = p + 10, *end = strstr(q, "?=");
		struct pm_buf w = PM_BUF_INIT;
		unsigned v = 0;
		int bits = 0;
		if (!end || end - start + 2 > 75)
			return -1;
		pm_buf_add(&w, "", 0);
		for (; q < end; q++) {
			int d = b64val(*q);
			if (*q == '=')
				break;
			if (d < 0)
				return -1;
			v = (v << 6) | (unsigned)d;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				pm_buf_addc(&w, (char)((v >> bits) & 0xff));
			}
		}
		if (!pm_text_valid_utf8(w.data, w.len))
			return -1;
		pm_buf_add(out, w.data, w.len);
		pm_buf_release(&w);
		words++;
		p = end + 2;
	}
	return words;
}

static void test_qp(void)
{
	char *s, big[201];
	struct pm_buf b = PM_BUF_INIT;

	TEST("quoted-printable");
#define QP(in, want) do { s = qp(in); CHECK_STR(s, want); free(s); } while (0)
	QP("a=b\n", "a=3Db\r\n");
	QP("plain text\n", "plain text\r\n");
	QP("trailing \n", "trailing=20\r\n");
	QP("tab\t\nx", "tab=09\r\nx");
	QP("caf\xc3\xa9\n", "caf=C3=A9\r\n");
	QP("a\r\nb", "a\r\nb");
	QP("a\rb", "a=0Db");
	QP(".dot\n", "=2Edot\r\n");
	QP("From here\n", "=46rom here\r\n");
	QP("Fromage\n", "Fromage\r\n");
	QP("\n\n", "\r\n\r\n");
	QP("", "");

	TEST("quoted-printable soft breaks");
	memset(big, 'x', 200);
	big[200] = '\0';
	s = qp(big);
	CHECK(longest_line(s) == 76);                /* 75 characters and the "=" */
	pm_buf_add(&b, "", 0);
	for (const char *p = s; *p; p++) {
		if (p[0] == '=' && p[1] == '\r' && p[2] == '\n')
			p += 2;
		else
			pm_buf_addc(&b, *p);
	}
	CHECK_STR(b.data, big);                      /* soft breaks are all that was added */
	free(s);
	pm_buf_release(&b);
	/* an encoded byte is never split by a soft break */
	memset(big, 'x', 200);
	for (int i = 70; i < 90; i++)
		big[i] = '=';
	s = qp(big);
	CHECK(longest_line(s) <= 76);
	CHECK(strstr(s, "=\r\n3D") == NULL && strstr(s, "=3\r\n") == NULL);
	free(s);
#undef QP
}

static void test_headers(void)
{
	char *h, *long_ascii;
	int rc;
	struct pm_buf dec = PM_BUF_INIT;

	TEST("header: plain ASCII");
	h = header("Subject", "hello world", &rc);
	CHECK_INT(rc, 0);
	CHECK_STR(h, "Subject: hello world\r\n");
	free(h);

	TEST("header: UTF-8 becomes an encoded-word");
	h = header("Subject", "ICC press digest \xe2\x80\x94 2026-03-08", &rc);
	CHECK_INT(rc, 0);
	CHECK_STR(h, "Subject: =?UTF-8?B?SUNDIHByZXNzIGRpZ2VzdCDigJQgMjAyNi0wMy0wOA==?=\r\n");
	free(h);

	TEST("header: long ASCII is folded at spaces");
	long_ascii = malloc(20 * 11 + 1);
	long_ascii[0] = '\0';
	for (int i = 0; i < 20; i++)
		strcat(long_ascii, i ? " word-67890" : "word-67890");
	h = header("Subject", long_ascii, &rc);
	CHECK_INT(rc, 0);
	CHECK(longest_line(h) > 0 && longest_line(h) <= PM_MAIL_LINE);
	CHECK(strstr(h, "\r\n word-67890") != NULL);  /* continuation lines start with a space */
	{
		/* unfolding (RFC 5322: remove CRLF) gives the value back */
		struct pm_buf u = PM_BUF_INIT;
		pm_buf_add(&u, "", 0);
		for (const char *p = h + strlen("Subject: "); *p; p++)
			if (*p != '\r' && *p != '\n')
				pm_buf_addc(&u, *p);
		CHECK_STR(u.data, long_ascii);
		pm_buf_release(&u);
	}
	free(h);
	free(long_ascii);

	TEST("header: long UTF-8 is several whole-character words");
	{
		struct pm_buf v = PM_BUF_INIT;
		pm_buf_add(&v, "", 0);
		for (int i = 0; i < 40; i++)
			pm_buf_adds(&v, "Cour p\xc3\xa9nale \xe2\x80\x94 \xd8\xa7\xd9\x84\xd9\x85 ");
		h = header("Subject", v.data, &rc);
		CHECK_INT(rc, 0);
		CHECK(longest_line(h) > 0 && longest_line(h) <= PM_MAIL_LINE);
		pm_buf_add(&dec, "", 0);
		CHECK(decode_words(h, &dec) > 10);
		CHECK_STR(dec.data, v.data);
		pm_buf_release(&v);
		free(h);
	}

	TEST("header: what could inject or confuse is refused or encoded");
	h = header("Subject", "digest\r\nBcc: victim@example.org", &rc);
	CHECK_INT(rc, -1);
	CHECK_STR(h, "");
	free(h);
	h = header("Subject", "bad \xff byte", &rc);
	CHECK_INT(rc, -1);
	free(h);
	h = header("Subject", "looks =?like?= a word", &rc);
	CHECK_INT(rc, 0);
	CHECK(strncmp(h, "Subject: =?UTF-8?B?", 19) == 0);
	free(h);
	pm_buf_release(&dec);
}

static void test_addresses_dates(void)
{
	char d[PM_MAIL_DATE_LEN];

	TEST("addresses");
	CHECK(pm_mail_address_valid("media@example.org"));
	CHECK(pm_mail_address_valid("a.b+digest@mail.example-ngo.org"));
	CHECK(!pm_mail_address_valid("no-at-sign"));
	CHECK(!pm_mail_address_valid("@example.org"));
	CHECK(!pm_mail_address_valid("x@"));
	CHECK(!pm_mail_address_valid("a@b@c"));
	CHECK(!pm_mail_address_valid("a b@example.org"));
	CHECK(!pm_mail_address_valid("a@example.org\r\nRCPT TO:<x@y>"));
	CHECK(!pm_mail_address_valid("<a@example.org>"));
	CHECK(!pm_mail_address_valid("a@exa_mple.org"));
	CHECK(!pm_mail_address_valid("a@.example.org"));
	CHECK(!pm_mail_address_valid("a@example..org"));
	CHECK(!pm_mail_address_valid("caf\xc3\xa9@example.org"));
	CHECK(!pm_mail_address_valid(NULL));

	TEST("dates");
	pm_mail_date(0, d);
	CHECK_STR(d, "Thu, 01 Jan 1970 00:00:00 +0000");
	pm_mail_date(1772928000 + 3723, d); /* 2026-03-08 01:02:03 UTC */
	CHECK_STR(d, "Sun, 08 Mar 2026 01:02:03 +0000");

	TEST("smtp urls");
	CHECK(pm_smtp_url_valid("smtp://127.0.0.1:2525"));
	CHECK(pm_smtp_url_valid("SMTPS://mail.example.org"));
	CHECK(!pm_smtp_url_valid("http://mail.example.org"));
	CHECK(!pm_smtp_url_valid("smtp://"));
	CHECK(!pm_smtp_url_valid(NULL));
	{
		char *s = pm_smtp_url_safe("smtps://digest:s3cret@mail.example.org:465");
		CHECK(strstr(s, "s3cret") == NULL);
		CHECK(strstr(s, "digest") == NULL);
		CHECK(strstr(s, "mail.example.org:465") != NULL);
		free(s);
	}
}

static void test_md_text(void)
{
	const char *md = "# ICC press digest \xe2\x80\x94 2026-03-08\n\n"
			 "- **articles**: 3 \\(+50%\\)\n"
			 "- [A \\[bracketed\\] title](https://news.example.org/a%28b%29) \xe2\x80\x94 Outlet\n"
			 "## Stories\n";
	struct pm_buf b = PM_BUF_INIT;

	TEST("plain text from the digest Markdown");
	pm_buf_add(&b, "", 0);
	pm_mail_text_from_md(md, strlen(md), &b);
	CHECK_STR(b.data, "ICC press digest \xe2\x80\x94 2026-03-08\n"
			  "=============================\n\n"
			  "- articles: 3 (+50%)\n"
			  "- A [bracketed] title <https://news.example.org/a%28b%29> \xe2\x80\x94 Outlet\n"
			  "Stories\n-------\n");
	pm_buf_release(&b);
}

static void test_build(void)
{
	const char *to[] = { "media@example.org", "desk@example.net" };
	const char *bad_to[] = { "media@example.org", "x\r\n@y" };
	struct pm_mail m = { "pressmon@example.org", to, 2,
			     "ICC press digest \xe2\x80\x94 2026-03-08",
			     "text with =_pressmon_ inside and a long line ................................................................................ end\n",
			     "<!DOCTYPE html>\n<p>caf\xc3\xa9</p>\n", 1772928000 };
	struct pm_buf b = PM_BUF_INIT;
	struct pm_err err;
	const char *bnd, *p;
	char boundary[64];
	int n = 0;

	TEST("the whole message");
	pm_err_init(&err);
	CHECK(pm_mail_build(&m, &b, &err) == 0);
	CHECK(longest_line(b.data) > 0 && longest_line(b.data) <= PM_MAIL_LINE);
	CHECK(strncmp(b.data, "Date: Sun, 08 Mar 2026 00:00:00 +0000\r\n", 39) == 0);
	CHECK(strstr(b.data, "\r\nFrom: pressmon@example.org\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nTo: media@example.org, desk@example.net\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nSubject: =?UTF-8?B?") != NULL);
	CHECK(strstr(b.data, "\r\nMessage-ID: <") != NULL && strstr(b.data, "@example.org>\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nMIME-Version: 1.0\r\n") != NULL);
	CHECK(strstr(b.data, "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n") != NULL);
	CHECK(strstr(b.data, "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n") != NULL);
	CHECK(strstr(b.data, "<p>caf=C3=A9</p>") != NULL);
	bnd = strstr(b.data, "boundary=\"");
	CHECK(bnd != NULL);
	if (bnd) {
		size_t l = strcspn(bnd + 10, "\"");
		snprintf(boundary, sizeof(boundary), "--%.*s", (int)l, bnd + 10);
		for (p = b.data; (p = strstr(p, boundary)); p += strlen(boundary))
			n++;
		CHECK_INT(n, 3); /* two parts and the close: the text could not fake one */
		CHECK(strstr(b.data, boundary) && strstr(strstr(b.data, boundary), "--\r\n") != NULL);
	}
	pm_buf_release(&b);

	TEST("bad addresses are refused");
	m.to = bad_to;
	CHECK(pm_mail_build(&m, &b, &err) == -1);
	CHECK_INT(err.code, PM_EINPUT);
	m.to = to;
	m.from = "not an address";
	CHECK(pm_mail_build(&m, &b, &err) == -1);
	m.from = "pressmon@example.org";
	m.nto = 0;
	CHECK(pm_mail_build(&m, &b, &err) == -1);
	pm_buf_release(&b);
}

int main(void)
{
	test_qp();
	test_headers();
	test_addresses_dates();
	test_md_text();
	test_build();
	return tl_summary();
}
