/* report/mail: builds the digest mail (multipart/alternative, quoted-
 * printable parts, folded RFC 2047 headers) and sends it over libcurl's SMTP. */

/* The encoders are hand-written: libcurl's MIME API encodes bodies but
 * neither folds nor encodes headers, and we want them unit-tested alone. */
#include "report/mail.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/text.h"
#include "core/time.h"

#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#define QP_LINE 76           /* RFC 2045 limit, the soft-break "=" included */
#define MAX_RECIPIENTS 1000  /* bound on the envelope */

/* ---- addresses and dates ------------------------------------------------ */

int pm_mail_address_valid(const char *addr)
{
	const char *at = addr ? strchr(addr, '@') : NULL;
	size_t n;

	if (!at || at == addr || !at[1] || strchr(at + 1, '@'))
		return 0;
	n = strlen(addr);
	if (n > 254)
		return 0;
	for (const char *p = addr; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c >= 0x7f || strchr("<>()[],;:\"\\", c))
			return 0;
	}
	/* the domain: labels of letters, digits and hyphens */
	for (const char *p = at + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			return 0;
	return at[1] != '.' && addr[n - 1] != '.' && !strstr(at, "..");
}

void pm_mail_date(time_t t, char out[PM_MAIL_DATE_LEN])
{
	/* fixed English names: strftime would follow the locale */
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, PM_MAIL_DATE_LEN, "%s, %02d %s %04d %02d:%02d:%02d +0000", wd[tm.tm_wday % 7], tm.tm_mday,
		 mo[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* ---- headers ------------------------------------------------------------- */

static void base64(struct pm_buf *b, const unsigned char *s, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		pm_buf_addc(b, tab[(v >> 18) & 63]);
		pm_buf_addc(b, tab[(v >> 12) & 63]);
		pm_buf_addc(b, i + 1 < n ? tab[(v >> 6) & 63] : '=');
		pm_buf_addc(b, i + 2 < n ? tab[v & 63] : '=');
	}
}

static int plain_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* Folds an ASCII value at spaces. Returns -1 when a word is so long that
 * a line would pass 998 characters (the caller encodes instead). */
static int fold_ascii(struct pm_buf *b, size_t col, const char *v)
{
	size_t start = b->len;
	int first = 1;

	while (*v == ' ')
		v++;
	while (*v) {
		const char *sp = strchr(v, ' ');
		size_t wl = sp ? (size_t)(sp - v) : strlen(v);
		if (!first && col + 1 + wl > PM_MAIL_LINE) {
			pm_buf_adds(b, "\r\n");
			col = 0;
		}
		if (col + 1 + wl > 998) {
			b->len = start;
			b->data[start] = '\0';
			return -1;
		}
		pm_buf_addc(b, ' ');
		pm_buf_add(b, v, wl);
		col += 1 + wl;
		first = 0;
		v += wl;
		while (*v == ' ')
			v++;
	}
	return 0;
}

/* RFC 2047 B encoded-words of whole UTF-8 characters, one per line. */
static void encode_words(struct pm_buf *b, size_t col, const char *v)
{
	const size_t overhead = strlen(" =?UTF-8?B?" "?=");
	size_t n = strlen(v);
	int first = 1;

	while (n) {
		/* input bytes that fit the rest of this line once encoded;
		 * at least one character, and at most 45 (a 75-char word) */
		size_t room = col + overhead < PM_MAIL_LINE ? PM_MAIL_LINE - col - overhead : 4;
		size_t take = room / 4 * 3;
		if (take < 6)
			take = 6;
		if (take > 45)
			take = 45;
		if (take >= n)
			take = n;
		else
			while (take > 1 && ((unsigned char)v[take] & 0xc0) == 0x80)
				take--; /* never split a character */
		if (!first) {
			pm_buf_adds(b, "\r\n");
			col = 0;
			room = PM_MAIL_LINE - overhead;
			take = room / 4 * 3 > 45 ? 45 : room / 4 * 3;
			if (take >= n)
				take = n;
			else
				while (take > 1 && ((unsigned char)v[take] & 0xc0) == 0x80)
					take--;
		}
		first = 0;
		pm_buf_adds(b, " =?UTF-8?B?");
		base64(b, (const unsigned char *)v, take);
		pm_buf_adds(b, "?=");
		col += overhead + (take + 2) / 3 * 4;
		v += take;
		n -= take;
	}
}

int pm_mail_header(struct pm_buf *b, const char *name, const char *value, struct pm_err *err)
{
	size_t col = strlen(name) + 1;

	if (strpbrk(value, "\r\n"))
		return pm_err_set(err, PM_EINPUT, "mail header '%s' has a line break", name);
	if (!pm_text_valid_utf8(value, strlen(value)))
		return pm_err_set(err, PM_EINPUT, "mail header '%s' is not valid UTF-8", name);
	pm_buf_adds(b, name);
	pm_buf_addc(b, ':');
	/* "=?" in a plain value would read as an encoded-word: encode it */
	if (!plain_ascii(value) || strstr(value, "=?") || fold_ascii(b, col, value) < 0)
		encode_words(b, col, value);
	pm_buf_adds(b, "\r\n");
	return 0;
}

/* ---- bodies -------------------------------------------------------------- */

static void qp_token(struct pm_buf *b, size_t *col, const char *tok, size_t n)
{
	if (*col + n > QP_LINE - 1) {
		pm_buf_adds(b, "=\r\n");
		*col = 0;
	}
	pm_buf_add(b, tok, n);
	*col += n;
}

void pm_mail_qp(struct pm_buf *b, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		/* one input line: up to "\n" (or "\r\n") or the end */
		size_t end = i, col = 0, next;
		int nl;
		while (end < len && s[end] != '\n')
			end++;
		nl = end < len;
		next = nl ? end + 1 : end;
		if (nl && end > i && s[end - 1] == '\r')
			end--;
		for (size_t k = i; k < end; k++) {
			unsigned char c = (unsigned char)s[k];
			char tok[4];
			int lit = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && k + 1 < end);
			/* a "." at a line start (SMTP) or a leading "From "
			 * (mbox) is never left bare */
			if ((c == '.' && (col == 0 || col + 1 > QP_LINE - 1)) ||
			    (k == i && c == 'F' && end - k >= 5 && !memcmp(s + k, "From ", 5)))
				lit = 0;
			if (lit) {
				tok[0] = (char)c;
				qp_token(b, &col, tok, 1);
			} else {
				snprintf(tok, sizeof(tok), "=%02X", c);
				qp_token(b, &col, tok, 3);
			}
		}
		if (nl)
			pm_buf_adds(b, "\r\n");
		i = next;
	}
}

/* Lines of digest.md (the renderer's own Markdown) as plain text. */
void pm_mail_text_from_md(const char *md, size_t len, struct pm_buf *out)
{
	size_t i = 0;

	while (i < len) {
		size_t end = i, level = 0, chars = 0, start = out->len;
		while (end < len && md[end] != '\n')
			end++;
		while (i + level < end && md[i + level] == '#')
			level++;
		if (level && i + level < end && md[i + level] == ' ')
			i += level + 1;
		else
			level = 0;
		for (size_t k = i; k < end; k++) {
			char c = md[k];
			if (c == '\\' && k + 1 < end) {
				pm_buf_addc(out, md[++k]);
			} else if (c == '*' || c == '[') {
				/* emphasis and the start of a link title: markup */
			} else if (c == ']' && k + 1 < end && md[k + 1] == '(') {
				/* "](url)": the URL after the title, in angle brackets */
				size_t u = k + 2;
				while (u < end && md[u] != ')')
					u++;
				pm_buf_adds(out, " <");
				pm_buf_add(out, md + k + 2, u - k - 2);
				pm_buf_addc(out, '>');
				k = u;
			} else {
				pm_buf_addc(out, c);
			}
		}
		pm_buf_addc(out, '\n');
		if (level == 1 || level == 2) {
			for (size_t k = start; k < out->len - 1; k++)
				chars += ((unsigned char)out->data[k] & 0xc0) != 0x80;
			for (size_t k = 0; k < chars && k < PM_MAIL_LINE; k++)
				pm_buf_addc(out, level == 1 ? '=' : '-');
			pm_buf_addc(out, '\n');
		}
		i = end + 1;
	}
}

/* ---- the message --------------------------------------------------------- */

static uint64_t random64(void)
{
	uint64_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v)) {
		/* no entropy source: unique enough for ids, which is all we need */
		char seed[64];
		snprintf(seed, sizeof(seed), "%lld.%d", (long long)pm_now_ms(), (int)getpid());
		v = pm_hash64_str(seed);
	}
	return v;
}

int pm_mail_build(const struct pm_mail *m, struct pm_buf *out, struct pm_err *err)
{
	struct pm_buf to = PM_BUF_INIT;
	char date[PM_MAIL_DATE_LEN], boundary[40], msgid[320], id[17];
	const char *domain;
	int rc = -1;

	if (!pm_mail_address_valid(m->from))
		return pm_err_set(err, PM_EINPUT, "mail from '%s' is not an address like name@example.org",
				  m->from ? m->from : "");
	if (!m->nto)
		return pm_err_set(err, PM_EINPUT, "mail has no recipient");
	for (size_t i = 0; i < m->nto; i++) {
		if (!pm_mail_address_valid(m->to[i])) {
			pm_buf_release(&to);
			return pm_err_set(err, PM_EINPUT, "mail to '%s' is not an address like name@example.org",
					  m->to[i]);
		}
		pm_buf_addf(&to, "%s%s", i ? ", " : "", m->to[i]);
	}
	domain = strchr(m->from, '@') + 1;
	pm_mail_date(m->date, date);
	pm_id_hex(random64(), id);
	snprintf(msgid, sizeof(msgid), "<%s.%lld@%s>", id, (long long)m->date, domain);
	/* "=_" can occur in neither quoted-printable nor base64 text */
	pm_id_hex(random64(), id);
	snprintf(boundary, sizeof(boundary), "=_pressmon_%s", id);

	if (pm_mail_header(out, "Date", date, err) < 0 ||
	    pm_mail_header(out, "From", m->from, err) < 0 ||
	    pm_mail_header(out, "To", to.data, err) < 0 ||
	    pm_mail_header(out, "Subject", m->subject ? m->subject : "", err) < 0 ||
	    pm_mail_header(out, "Message-ID", msgid, err) < 0)
		goto out;
	pm_buf_adds(out, "MIME-Version: 1.0\r\n"
			 "Auto-Submitted: auto-generated\r\n");
	pm_buf_addf(out, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n\r\n", boundary);
	pm_buf_adds(out, "This is a MIME message: the digest as plain text and as HTML.\r\n");
	pm_buf_addf(out, "\r\n--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
			 "Content-Transfer-Encoding: quoted-printable\r\n\r\n", boundary);
	pm_mail_qp(out, m->text ? m->text : "", m->text ? strlen(m->text) : 0);
	pm_buf_addf(out, "\r\n--%s\r\nContent-Type: text/html; charset=utf-8\r\n"
			 "Content-Transfer-Encoding: quoted-printable\r\n\r\n", boundary);
	pm_mail_qp(out, m->html ? m->html : "", m->html ? strlen(m->html) : 0);
	pm_buf_addf(out, "\r\n--%s--\r\n", boundary);
	rc = 0;
out:
	pm_buf_release(&to);
	return rc;
}

/* ---- SMTP ---------------------------------------------------------------- */

int pm_smtp_url_valid(const char *url)
{
	size_t skip;

	if (!url)
		return 0;
	skip = !strncasecmp(url, "smtp://", 7) ? 7 : !strncasecmp(url, "smtps://", 8) ? 8 : 0;
	/* a host must follow the scheme */
	return skip && url[skip] && url[skip] != '/' && !strpbrk(url, " \t\r\n");
}

char *pm_smtp_url_safe(const char *url)
{
	CURLU *h = curl_url();
	char *s = NULL, *r;

	if (h && curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_set(h, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
	    curl_url_set(h, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
	    curl_url_set(h, CURLUPART_OPTIONS, NULL, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_URL, &s, 0) == CURLUE_OK) {
		r = xstrdup(s);
		curl_free(s);
	} else {
		r = xstrdup("(an smtp url that cannot be parsed)");
	}
	curl_url_cleanup(h);
	return r;
}

struct upload {
	const char *data;
	size_t len, off;
};

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(buf, u->data + u->off, n);
	u->off += n;
	return n;
}

/* Whether the URL's host is this machine, where a password in clear does
 * not cross a network. */
static int loopback_host(const char *url)
{
	CURLU *h = curl_url();
	char *host = NULL;
	int lo = 0;

	if (h && curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		lo = !strcasecmp(host, "localhost") || !strncmp(host, "127.", 4) ||
		     !strcmp(host, "[::1]");
	curl_free(host);
	curl_url_cleanup(h);
	return lo;
}

static int url_has_user(const char *url)
{
	CURLU *h = curl_url();
	char *user = NULL;
	int has;

	has = h && curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
	      curl_url_get(h, CURLUPART_USER, &user, 0) == CURLUE_OK && user && *user;
	curl_free(user);
	curl_url_cleanup(h);
	return has;
}

int pm_mail_send(const struct pm_smtp *s, const char *from, const char *const *to, size_t nto,
		 const char *msg, size_t len, struct pm_err *err)
{
	CURL *c = NULL;
	struct curl_slist *rcpt = NULL;
	struct upload u = { msg, len, 0 };
	char errbuf[CURL_ERROR_SIZE] = "";
	char *safe = NULL, *env_from = NULL;
	int login, rc = -1;
	CURLcode res;

	if (!pm_smtp_url_valid(s->url))
		/* not repeated: it may hold a password */
		return pm_err_set(err, PM_EINPUT, "the smtp server is not an smtp:// or smtps:// url");
	if (!nto || nto > MAX_RECIPIENTS)
		return pm_err_set(err, PM_EINPUT, "mail needs 1 to %d recipients", MAX_RECIPIENTS);
	safe = pm_smtp_url_safe(s->url);
	c = curl_easy_init();
	if (!c) {
		pm_err_set(err, PM_ERUNTIME, "cannot start an smtp transfer");
		goto out;
	}
	env_from = xasprintf("<%s>", from);
	for (size_t i = 0; i < nto; i++) {
		char *r = xasprintf("<%s>", to[i]);
		struct curl_slist *n = curl_slist_append(rcpt, r);
		free(r);
		if (!n) {
			pm_err_set(err, PM_ERUNTIME, "out of memory for the recipients");
			goto out;
		}
		rcpt = n;
	}
	login = url_has_user(s->url) || (s->user && *s->user);
	curl_easy_setopt(c, CURLOPT_URL, s->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#endif
	if (!url_has_user(s->url) && s->user && *s->user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s->password ? s->password : "");
	}
	if (!strncasecmp(s->url, "smtp://", 7))
		curl_easy_setopt(c, CURLOPT_USE_SSL,
				 (long)(login && !loopback_host(s->url) ? CURLUSESSL_ALL : CURLUSESSL_TRY));
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, env_from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(s->timeout_s > 0 ? s->timeout_s : 120));
	res = curl_easy_perform(c);
	if (res != CURLE_OK) {
		pm_err_set(err, PM_ERUNTIME, "cannot mail the digest through '%s': %s%s%s", safe,
			   curl_easy_strerror(res), errbuf[0] ? ": " : "", errbuf);
		goto out;
	}
	pm_info("mail_sent", "smtp=%s recipients=%zu bytes=%zu", safe, nto, len);
	rc = 0;
out:
	curl_slist_free_all(rcpt);
	if (c)
		curl_easy_cleanup(c);
	free(env_from);
	free(safe);
	return rc;
}
