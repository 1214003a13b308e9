/* parse/encoding: which encoding a fetched document is in, and its UTF-8
 * text. Follows the precedence feed readers apply (RFC 3023 for XML). */
#include "parse/parse_int.h"
#include "core/json_read.h"
#include "core/mem.h"
#include "core/text.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <uchardet.h>

void pm_decoded_release(struct pm_decoded *d)
{
	if (!d)
		return;
	free(d->own);
	d->own = NULL;
	d->text = NULL;
	d->len = 0;
}

/* snprintf(dst, dsz, "%s", src) without the format machinery: this runs
 * a few times per document. */
static void copy_str(char *dst, size_t dsz, const char *src)
{
	size_t n = strlen(src);

	if (n >= dsz)
		n = dsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void lower_copy(char *dst, size_t dsz, const char *src, size_t n)
{
	size_t i, j = 0;

	for (i = 0; i < n && j + 1 < dsz; i++)
		dst[j++] = (char)tolower((unsigned char)src[i]);
	dst[j] = '\0';
}

void pm_content_type_split(const char *ct, char *type, size_t tsz, char *charset, size_t csz)
{
	const char *p, *semi;

	type[0] = charset[0] = '\0';
	if (!ct)
		return;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	semi = strchr(ct, ';');
	p = semi ? semi : ct + strlen(ct);
	while (p > ct && (p[-1] == ' ' || p[-1] == '\t'))
		p--;
	lower_copy(type, tsz, ct, (size_t)(p - ct));
	/* parameters: name = "value" with optional spaces and quotes */
	for (p = semi; p && *p; p = strchr(p + 1, ';')) {
		const char *n = p + 1, *v, *e;
		while (*n == ' ' || *n == '\t')
			n++;
		if (strncasecmp(n, "charset", 7))
			continue;
		v = n + 7;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v != '=')
			continue;
		v++;
		while (*v == ' ' || *v == '\t' || *v == '"' || *v == '\'')
			v++;
		e = v;
		while (*e && *e != ';' && *e != '"' && *e != '\'' && *e != ' ' && *e != '\t')
			e++;
		lower_copy(charset, csz, v, (size_t)(e - v));
		return;
	}
}

int pm_iconv_utf8(const char *enc, const char *in, size_t len, char **out, size_t *outlen)
{
	iconv_t cd;
	size_t cap = len * 4 + 16, left_in = len, left_out;
	char *buf, *ip = (char *)in, *op;

	cd = iconv_open("UTF-8", enc);
	if (cd == (iconv_t)-1)
		return -1;
	buf = xmalloc(cap + 1);
	op = buf;
	left_out = cap;
	while (left_in > 0) {
		if (iconv(cd, &ip, &left_in, &op, &left_out) == (size_t)-1) {
			if (errno == E2BIG) { /* cannot happen with 4x, but stay safe */
				size_t used = (size_t)(op - buf);
				cap *= 2;
				buf = xrealloc(buf, cap + 1);
				op = buf + used;
				left_out = cap - used;
				continue;
			}
			iconv_close(cd);
			free(buf);
			return -1;
		}
	}
	iconv_close(cd);
	*op = '\0';
	*out = buf;
	*outlen = (size_t)(op - buf);
	return 0;
}

/* iso-8859-1 labels are read as windows-1252, as browsers and feed readers
 * do; the five bytes windows-1252 leaves undefined keep their latin-1 value.
 * Written by hand because iconv rejects those five bytes. */
static void decode_cp1252(const char *in, size_t len, char **out, size_t *outlen)
{
	static const unsigned short c1[32] = {
		0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
		0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
		0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
		0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178 };
	struct pm_buf b;
	size_t i;

	pm_buf_init(&b, 0);
	pm_buf_add(&b, "", 0);
	for (i = 0; i < len; i++) {
		unsigned c = (unsigned char)in[i];
		char u[3];
		if (c >= 0x80 && c < 0xA0)
			c = c1[c - 0x80];
		if (c < 0x80) {
			pm_buf_addc(&b, (char)c);
		} else if (c < 0x800) {
			u[0] = (char)(0xC0 | (c >> 6));
			u[1] = (char)(0x80 | (c & 0x3F));
			pm_buf_add(&b, u, 2);
		} else {
			u[0] = (char)(0xE0 | (c >> 12));
			u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
			u[2] = (char)(0x80 | (c & 0x3F));
			pm_buf_add(&b, u, 3);
		}
	}
	*out = pm_buf_detach(&b, outlen);
}

static int is_latin1_label(const char *e)
{
	return !strcmp(e, "iso-8859-1") || !strcmp(e, "latin1") || !strcmp(e, "latin-1") ||
	       !strcmp(e, "iso8859-1") || !strcmp(e, "iso_8859-1") || !strcmp(e, "l1") ||
	       !strcmp(e, "windows-1252") || !strcmp(e, "cp1252") || !strcmp(e, "ascii-8bit");
}

/* Tries one encoding: 0 and the UTF-8 text on success, in *out (new) or,
 * when in is that text already, *out NULL. */
static int try_decode(const char *enc, const char *in, size_t len, char **out, size_t *outlen)
{
	const char *name = enc;

	if (!*enc)
		return -1;
	if ((!strcmp(enc, "utf-8") || !strcmp(enc, "utf8")) && pm_text_valid_utf8(in, len)) {
		/* the common case needs a check, not a conversion, and not
		 * even a copy (a feed is a few hundred KB) */
		*out = NULL;
		*outlen = len;
		return 0;
	}
	if (is_latin1_label(enc)) {
		decode_cp1252(in, len, out, outlen);
		return 0;
	}
	if (!strcmp(enc, "utf-16") || !strcmp(enc, "utf16") || !strcmp(enc, "u16"))
		name = "UTF-16";
	if (!strcmp(enc, "utf-32") || !strcmp(enc, "utf32"))
		name = "UTF-32";
	if (!strcmp(enc, "us-ascii"))
		name = "ASCII";
	return pm_iconv_utf8(name, in, len, out, outlen);
}

/* Length of the well-formed UTF-8 sequence at p (left bytes there), or 0
 * when p starts none: core/json_read's check, which is jansson's. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
	return p[0] < 0x80 ? 1 : pm_json_utf8_len(p, left);
}

/* UTF-8 with a few broken bytes (a truncated character, one stray Latin-1
 * byte in a UTF-8 page, which is common) is still UTF-8: each bad byte
 * becomes U+FFFD, as browsers decode it, instead of the whole document
 * going to windows-1252 and every other non-ASCII character to mojibake.
 * Taken when at least 10 multi-byte sequences are well-formed and at
 * most a tenth as many bytes are not: Latin-1 text has next to no
 * well-formed sequences. 0 and the text (new) in *out; -1 otherwise.
 * *bad gets the number of bytes replaced. Written by hand: iconv can only
 * drop bad bytes (//IGNORE), not mark them, and core/text's sanitizer
 * also drops C1 controls, which the text cleaner later reads as
 * windows-1252. */
static int try_utf8_lossy(const char *in, size_t len, char **out, size_t *outlen, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)in, *end = p + len;
	size_t good = 0, n;
	struct pm_buf b;

	*bad = 0;
	pm_buf_init(&b, 0);
	pm_buf_add(&b, "", 0);
	while (p < end) {
		const unsigned char *run = p;
		while (p < end && (n = utf8_seq(p, (size_t)(end - p)))) {
			good += n > 1;
			p += n;
		}
		pm_buf_add(&b, run, (size_t)(p - run));
		if (p < end) {
			pm_buf_add(&b, "\xEF\xBF\xBD", 3);
			(*bad)++;
			p++;
		}
	}
	if (good < 10 || *bad * 10 > good) {
		pm_buf_release(&b);
		return -1;
	}
	*out = pm_buf_detach(&b, outlen);
	return 0;
}

/* The charsets whose guess is taken, as uchardet names them, with the
 * narrower name tried first where the guess is a superset: text that is
 * valid EUC-KR or GB2312 is named so (what such pages declare when they
 * declare anything), and read as UHC or GB18030 otherwise. */
static const struct {
	const char *guess, *narrow;
} detectable[] = {
	/* multi-byte East Asian encodings: their byte patterns are
	 * distinctive even in a short document */
	{ "EUC-JP", NULL }, { "SHIFT_JIS", NULL }, { "ISO-2022-JP", NULL },
	{ "ISO-2022-KR", NULL }, { "ISO-2022-CN", NULL }, { "BIG5", NULL },
	{ "EUC-TW", NULL }, { "EUC-KR", NULL }, { "UHC", "EUC-KR" },
	{ "GB18030", "GB2312" }, { "HZ-GB-2312", NULL },
	/* single-byte encodings of non-Latin scripts */
	{ "WINDOWS-1251", NULL }, { "KOI8-R", NULL }, { "KOI8-U", NULL },
	{ "ISO-8859-5", NULL }, { "IBM866", NULL }, { "IBM855", NULL },
	{ "MAC-CYRILLIC", NULL }, { "ISO-8859-7", NULL }, { "WINDOWS-1253", NULL },
	{ "ISO-8859-8", NULL }, { "WINDOWS-1255", NULL }, { "ISO-8859-6", NULL },
	{ "WINDOWS-1256", NULL }, { "TIS-620", NULL }, { "ISO-8859-11", NULL },
};

/* Bytes that declare no encoding, or one they are not in, and are not
 * UTF-8: decoded in the charset uchardet guesses (a statistical model of
 * each language's byte patterns; nothing to write by hand). Only the
 * guesses in `detectable` are taken, and only from 16 non-ASCII bytes
 * on. For the Latin-script single-byte charsets a short text gives the
 * detector little to go on (on a windows-1252 corpus feed with one
 * accented letter it names WINDOWS-1258), and
 * windows-1252 is what browsers and feed readers assume for them, so the
 * caller's windows-1252 stays. 0 with the text (new) and the lower-case
 * name in name on success; -1 when there is no usable guess or the bytes
 * are not valid in it. */
static int try_detected(const char *in, size_t len, char **out, size_t *outlen,
			char *name, size_t nsz)
{
	/* the model has decided long before 64 KiB */
	size_t sample = len < 65536 ? len : 65536;
	const char *guess, *narrow = NULL;
	uchardet_t ud;
	size_t i, n = sizeof(detectable) / sizeof(detectable[0]);
	int r = -1;

	size_t high = 0;

	/* a few non-ASCII bytes say nothing of a language, and building the
	 * detector costs more than a small document's whole parse */
	for (i = 0; i < sample && high < 16; i++)
		high += (unsigned char)in[i] >= 0x80;
	if (high < 16 || !(ud = uchardet_new()))
		return -1;
	if (uchardet_handle_data(ud, in, sample) == 0) {
		uchardet_data_end(ud);
		guess = uchardet_get_charset(ud);
		for (i = 0; i < n && strcmp(guess, detectable[i].guess); i++)
			;
		if (i < n) {
			narrow = detectable[i].narrow;
			if (narrow && !pm_iconv_utf8(narrow, in, len, out, outlen)) {
				lower_copy(name, nsz, narrow, strlen(narrow));
				r = 0;
			} else if (!pm_iconv_utf8(guess, in, len, out, outlen)) {
				lower_copy(name, nsz, guess, strlen(guess));
				r = 0;
			}
		}
	}
	uchardet_delete(ud);
	return r;
}

/* Encoding from a BOM (*bom gets its length) or from the first bytes of
 * "<?xml" in UTF-16/32 without one. */
static const char *sniff(const unsigned char *s, size_t len, size_t *bom)
{
	*bom = 0;
	if (len >= 4 && !memcmp(s, "\x00\x00\xFE\xFF", 4))
		return *bom = 4, "utf-32be";
	if (len >= 4 && !memcmp(s, "\xFF\xFE\x00\x00", 4))
		return *bom = 4, "utf-32le";
	if (len >= 2 && !memcmp(s, "\xFE\xFF", 2))
		return *bom = 2, "utf-16be";
	if (len >= 2 && !memcmp(s, "\xFF\xFE", 2))
		return *bom = 2, "utf-16le";
	if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
		return *bom = 3, "utf-8";
	if (len >= 4 && !memcmp(s, "\x00\x00\x00\x3C", 4))
		return "utf-32be";
	if (len >= 4 && !memcmp(s, "\x3C\x00\x00\x00", 4))
		return "utf-32le";
	if (len >= 4 && !memcmp(s, "\x00\x3C\x00\x3F", 4))
		return "utf-16be";
	if (len >= 4 && !memcmp(s, "\x3C\x00\x3F\x00", 4))
		return "utf-16le";
	return NULL;
}

/* encoding="..." of the XML declaration, read through the sniffed encoding. */
static void xml_decl_encoding(const char *s, size_t len, const char *sniffed, char *out, size_t osz)
{
	char *head = NULL;
	size_t hlen = 0, n = len < 512 ? len : 512;
	const char *p, *end, *q;

	out[0] = '\0';
	if (sniffed && strcmp(sniffed, "utf-8")) {
		/* cut on a whole code unit so that iconv does not fail */
		size_t unit = strstr(sniffed, "32") ? 4 : 2;
		n -= n % unit;
		if (pm_iconv_utf8(sniffed, s, n, &head, &hlen))
			return;
		p = head;
	} else {
		p = s;
		hlen = n;
	}
	end = p + hlen;
	if (hlen >= 5 && !memcmp(p, "<?xml", 5)) {
		const char *close = pm_find(p, hlen, "?>", 2);
		const char *e = pm_find(p, close ? (size_t)(close - p) : hlen, "encoding", 8);
		if (e) {
			e += 8;
			while (e < end && (*e == ' ' || *e == '=' || *e == '\t'))
				e++;
			if (e < end && (*e == '"' || *e == '\'')) {
				char quote = *e++;
				q = e;
				while (q < end && *q != quote && q - e < 60)
					q++;
				if (q < end && *q == quote)
					lower_copy(out, osz, e, (size_t)(q - e));
			}
		}
	}
	free(head);
}

static int is_unicode_family(const char *e)
{
	static const char *const names[] = {
		"iso-10646-ucs-2", "ucs-2", "csunicode", "iso-10646-ucs-4", "ucs-4",
		"csucs4", "utf-16", "utf-32", "utf_16", "utf_32", "utf16", "u16", NULL };
	for (size_t i = 0; names[i]; i++)
		if (!strcmp(e, names[i]))
			return 1;
	return 0;
}

static void set_bozo(struct pm_decoded *out, const char *fmt, const char *a, const char *b)
{
	if (out->bozo)
		return;
	out->bozo = 1;
	snprintf(out->reason, sizeof(out->reason), fmt, a, b);
}

/* text is what try_decode gave for in (NULL: in itself). */
static void finish(struct pm_decoded *out, const char *in, char *text, size_t len,
		   const char *enc)
{
	const char *t = text ? text : in;

	/* a BOM left over by an explicit-endian decoder */
	if (len >= 3 && !memcmp(t, "\xEF\xBB\xBF", 3)) {
		t += 3;
		len -= 3;
	}
	out->own = text;
	out->text = t;
	out->len = len;
	copy_str(out->encoding, sizeof(out->encoding), enc);
}

void pm_decode_xml(const char *body, size_t len, const char *content_type,
		   struct pm_decoded *out)
{
	char type[128], http_enc[64], xml_enc[64], rfc[64], guess[64];
	const char *bom_enc, *cands[7];
	size_t bom = 0, i, nc = 0, bad;
	int acceptable = 0;
	char *text;
	size_t tlen;

	memset(out, 0, sizeof(*out));
	pm_content_type_split(content_type, type, sizeof(type), http_enc, sizeof(http_enc));
	bom_enc = sniff((const unsigned char *)body, len, &bom);
	xml_decl_encoding(body + bom, len - bom, bom_enc, xml_enc, sizeof(xml_enc));
	if (bom_enc && is_unicode_family(xml_enc))
		copy_str(xml_enc, sizeof(xml_enc), bom_enc);
	if (!xml_enc[0] && bom_enc && bom)
		copy_str(xml_enc, sizeof(xml_enc), bom_enc);

	size_t tl = strlen(type);
	int plus_xml = tl > 4 && !strcmp(type + tl - 4, "+xml");
	if (!strcmp(type, "application/xml") || !strcmp(type, "application/xml-dtd") ||
	    !strcmp(type, "application/xml-external-parsed-entity") ||
	    (!strncmp(type, "application/", 12) && plus_xml)) {
		acceptable = 1;
		copy_str(rfc, sizeof(rfc), http_enc[0] ? http_enc : xml_enc[0] ? xml_enc : "utf-8");
	} else if (!strcmp(type, "text/xml") || !strcmp(type, "text/xml-external-parsed-entity") ||
		   (!strncmp(type, "text/", 5) && plus_xml)) {
		acceptable = 1;
		copy_str(rfc, sizeof(rfc), http_enc[0] ? http_enc : "us-ascii");
	} else if (!strncmp(type, "text/", 5)) {
		copy_str(rfc, sizeof(rfc), http_enc[0] ? http_enc : "us-ascii");
	} else {
		copy_str(rfc, sizeof(rfc), xml_enc[0] ? xml_enc : "utf-8");
	}
	if (!strcmp(rfc, "gb2312"))
		copy_str(rfc, sizeof(rfc), "gb18030");
	if (!strcmp(xml_enc, "gb2312"))
		copy_str(xml_enc, sizeof(xml_enc), "gb18030");
	/* a BOM is stronger than any label: the bytes cannot be anything else */
	if (bom_enc && bom && strcmp(rfc, bom_enc) && !is_unicode_family(rfc))
		copy_str(rfc, sizeof(rfc), bom_enc);
	if (content_type && *content_type && !acceptable)
		set_bozo(out, "'%s' is not an XML media type%s", content_type, "");

	cands[nc++] = rfc;
	cands[nc++] = xml_enc;
	if (bom_enc)
		cands[nc++] = bom_enc;
	cands[nc++] = "utf-8";
	cands[nc++] = "windows-1252";
	for (i = 0; i < nc; i++) {
		size_t j;
		for (j = 0; j < i; j++)
			if (!strcmp(cands[i], cands[j]))
				break;
		if (j < i)
			continue;
		/* before the last resort: UTF-8 with a few bad bytes, then
		 * what the bytes look like (a BOM would have said it already) */
		if (i == nc - 1 && !bom && !try_utf8_lossy(body, len, &text, &tlen, &bad)) {
			snprintf(guess, sizeof(guess), "%zu", bad);
			set_bozo(out, "document declared as %s, but UTF-8 with %s invalid bytes (replaced)",
				 rfc, guess);
			finish(out, body, text, tlen, "utf-8");
			return;
		}
		if (i == nc - 1 && !bom &&
		    !try_detected(body, len, &text, &tlen, guess, sizeof(guess))) {
			set_bozo(out, "document declared as %s, but parsed as %s", rfc, guess);
			finish(out, body, text, tlen, guess);
			return;
		}
		if (!try_decode(cands[i], body + bom, len - bom, &text, &tlen)) {
			if (i > 0)
				set_bozo(out, "document declared as %s, but parsed as %s", rfc, cands[i]);
			finish(out, body + bom, text, tlen, cands[i]);
			return;
		}
	}
	/* unreachable: windows-1252 decodes every byte */
	decode_cp1252(body + bom, len - bom, &text, &tlen);
	finish(out, body + bom, text, tlen, "windows-1252");
}

/* charset of <meta charset=...> or <meta http-equiv content="...; charset=...">
 * within the first bytes of an HTML page. */
static void html_meta_charset(const char *s, size_t len, char *out, size_t osz)
{
	size_t n = len < 4096 ? len : 4096, i;

	out[0] = '\0';
	for (i = 0; i + 8 < n; i++) {
		if (strncasecmp(s + i, "charset", 7))
			continue;
		const char *p = s + i + 7, *end = s + n, *q;
		while (p < end && (*p == ' ' || *p == '='))
			p++;
		while (p < end && (*p == '"' || *p == '\''))
			p++;
		q = p;
		while (q < end && (isalnum((unsigned char)*q) || *q == '-' || *q == '_') && q - p < 40)
			q++;
		if (q > p) {
			lower_copy(out, osz, p, (size_t)(q - p));
			return;
		}
	}
}

void pm_decode_other(const char *body, size_t len, const char *content_type, int html,
		     struct pm_decoded *out)
{
	char type[128], http_enc[64], meta[64], guess[64];
	const char *bom_enc;
	size_t bom = 0, bad;
	char *text;
	size_t tlen;

	memset(out, 0, sizeof(*out));
	pm_content_type_split(content_type, type, sizeof(type), http_enc, sizeof(http_enc));
	bom_enc = sniff((const unsigned char *)body, len, &bom);
	if (bom_enc && bom && !try_decode(bom_enc, body + bom, len - bom, &text, &tlen)) {
		finish(out, body + bom, text, tlen, bom_enc);
		return;
	}
	meta[0] = '\0';
	if (html)
		html_meta_charset(body, len, meta, sizeof(meta));
	/* a page that says utf-16 in ASCII bytes cannot be utf-16 */
	if (is_unicode_family(meta))
		copy_str(meta, sizeof(meta), "utf-8");
	if (!strcmp(http_enc, "gb2312"))
		copy_str(http_enc, sizeof(http_enc), "gb18030");
	if (!strcmp(meta, "gb2312"))
		copy_str(meta, sizeof(meta), "gb18030");
	if (http_enc[0] && !try_decode(http_enc, body, len, &text, &tlen)) {
		finish(out, body, text, tlen, http_enc);
		return;
	}
	if (meta[0] && !try_decode(meta, body, len, &text, &tlen)) {
		finish(out, body, text, tlen, meta);
		return;
	}
	if (!try_decode("utf-8", body, len, &text, &tlen)) {
		finish(out, body, text, tlen, "utf-8");
		return;
	}
	if (!try_utf8_lossy(body, len, &text, &tlen, &bad)) {
		finish(out, body, text, tlen, "utf-8");
		return;
	}
	if (!try_detected(body, len, &text, &tlen, guess, sizeof(guess))) {
		if (http_enc[0] || meta[0])
			set_bozo(out, "document declared as %s, but parsed as %s",
				 http_enc[0] ? http_enc : meta, guess);
		finish(out, body, text, tlen, guess);
		return;
	}
	if (http_enc[0] || meta[0])
		set_bozo(out, "document declared as %s, but parsed as %s",
			 http_enc[0] ? http_enc : meta, "windows-1252");
	decode_cp1252(body, len, &text, &tlen);
	finish(out, body, text, tlen, "windows-1252");
}
