/* report/mail: the digest as an e-mail — a MIME multipart/alternative
 * message (plain text and the HTML digest) and its delivery over SMTP. */
#ifndef PM_REPORT_MAIL_H
#define PM_REPORT_MAIL_H

#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"

/* Longest header line we write (RFC 5322 recommends 78; 998 is the limit). */
#define PM_MAIL_LINE 78

struct pm_mail {
	const char *from;          /* addr-spec, e.g. pressmon@example.org */
	const char *const *to;     /* addr-specs */
	size_t nto;
	const char *subject;       /* UTF-8 */
	const char *text;          /* text/plain part, UTF-8, "\n" line breaks */
	const char *html;          /* text/html part, UTF-8, "\n" line breaks */
	time_t date;
};

/* 1 if addr is a plain ASCII addr-spec (local@domain) we will put in a
 * header and an SMTP envelope: no spaces, controls, quotes or brackets. */
int pm_mail_address_valid(const char *addr);

/* Appends "Name: value\r\n", folded at spaces so that lines stay within
 * PM_MAIL_LINE; a value that is not printable ASCII becomes RFC 2047
 * encoded-words (UTF-8, base64), each whole characters. -1 (nothing
 * appended) if value has CR or LF or is not valid UTF-8. */
int pm_mail_header(struct pm_buf *b, const char *name, const char *value, struct pm_err *err);

/* Appends s[0..len) quoted-printable (RFC 2045): "\n" and "\r\n" become
 * CRLF line breaks, lines are at most 76 characters, trailing white
 * space, "=" and non-ASCII are encoded, as are a leading "." and "From ". */
void pm_mail_qp(struct pm_buf *b, const char *s, size_t len);

/* RFC 5322 date of t in UTC, e.g. "Sun, 08 Mar 2026 06:00:00 +0000". */
#define PM_MAIL_DATE_LEN 64
void pm_mail_date(time_t t, char out[PM_MAIL_DATE_LEN]);

/* Plain text from the digest's Markdown: links become "title <url>",
 * emphasis and escapes are dropped, headings are underlined. */
void pm_mail_text_from_md(const char *md, size_t len, struct pm_buf *out);

/* Appends the whole message (headers and both parts, CRLF line breaks) to
 * out. -1 with PM_EINPUT on a bad address or header value. */
int pm_mail_build(const struct pm_mail *m, struct pm_buf *out, struct pm_err *err);

struct pm_smtp {
	const char *url;       /* smtp://[user[:password]@]host[:port] or smtps:// */
	const char *user;      /* NULL: from the URL, or no login */
	const char *password;  /* used with user; never logged */
	int timeout_s;         /* whole transfer; 0: 120 */
};

/* 1 if url is an smtp:// or smtps:// URL. */
int pm_smtp_url_valid(const char *url);

/* The URL with any user information removed, for messages. Returned
 * string belongs to the caller. */
char *pm_smtp_url_safe(const char *url);

/* Sends msg (as built by pm_mail_build) from `from` to every address in
 * to. smtps:// is TLS from the start; smtp:// upgrades with STARTTLS when
 * the server offers it, and insists on it when a password would otherwise
 * cross the network in clear (any host but loopback). A refused
 * connection, a failed login or any rejected recipient is -1 with
 * PM_ERUNTIME and a message that never shows the password. */
int pm_mail_send(const struct pm_smtp *s, const char *from, const char *const *to, size_t nto,
		 const char *msg, size_t len, struct pm_err *err);

#endif
