/* tests/unit/test_core.c: buffers, ids, time, config and the text
 * normalizer that parse, classify and archive share. */
#include "core/buf.h"
#include "core/config.h"
#include "core/hash.h"
#include "core/mem.h"
#include "core/text.h"
#include "core/text_fold.h"
#include "core/time.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_buf(void)
{
	struct pm_buf b;
	char *s;

	TEST("buf");
	pm_buf_init(&b, 8);
	CHECK(pm_buf_adds(&b, "abcd") == 0);
	CHECK(pm_buf_addf(&b, "%d", 123) == 0);
	CHECK(pm_buf_adds(&b, "xyz") == -1); /* would exceed the cap */
	CHECK_STR(pm_buf_str(&b), "abcd123");
	s = pm_buf_detach(&b, NULL);
	CHECK_STR(s, "abcd123");
	CHECK_INT(b.len, 0);
	free(s);
	pm_buf_release(&b);
}

static void test_hash(void)
{
	char hex[17];
	uint64_t v;

	TEST("hash");
	/* ids key the archive: they must never change between versions */
	pm_id_hex(pm_hash64_str("https://example.org/a"), hex);
	CHECK_INT(strlen(hex), 16);
	CHECK(pm_id_parse(hex, &v) == 0 && v == pm_hash64_str("https://example.org/a"));
	CHECK(pm_id_parse("xyz", &v) == -1);
	CHECK(pm_id_parse("00000000000000001", &v) == -1);
}

static void test_time(void)
{
	time_t t, s, e;
	char iso[PM_ISO_LEN], day[11];
	int y, m, d;

	TEST("time");
	CHECK(pm_time_parse_iso("2026-11-25T14:03:00Z", &t) == 0);
	pm_time_iso(t, iso);
	CHECK_STR(iso, "2026-11-25T14:03:00Z");
	CHECK(pm_time_parse_iso("2026-11-25T16:03:00+02:00", &t) == 0);
	pm_time_iso(t, iso);
	CHECK_STR(iso, "2026-11-25T14:03:00Z");
	CHECK(pm_time_parse_iso("2026-02-30", &t) == -1);
	CHECK(pm_time_parse_iso("2026-11-25T14:03Z junk", &t) == -1);
	CHECK(pm_date_parse("2024-02-29", &y, &m, &d) == 0 && d == 29);
	CHECK(pm_date_parse("2023-02-29", &y, &m, &d) == -1);
	CHECK(pm_day_bounds(2026, 3, 29, "Europe/Paris", &s, &e) == 0);
	CHECK_INT(e - s, 23 * 3600); /* the spring-forward day is 23 hours */
	pm_time_iso(s, iso);
	CHECK_STR(iso, "2026-03-28T23:00:00Z");
	CHECK(pm_day_bounds(2026, 3, 29, "Not/AZone", &s, &e) == -1);
	CHECK(pm_local_date(s, "Europe/Paris", day) == 0);
	CHECK_STR(day, "2026-03-29");
	CHECK(pm_local_date(s, "UTC", day) == 0);
	CHECK_STR(day, "2026-03-28");
}

static char *fold(const char *s)
{
	return pm_text_fold(s, strlen(s));
}

static void check_fold(const char *in, const char *want)
{
	char *got = fold(in);
	CHECK_STR(got, want);
	free(got);
}

static void test_text(void)
{
	struct pm_tokens t;
	char *s;
	const char *src = "The ICC said. U.N. Security Council met!\n\nNew para";

	TEST("text fold");
	check_fold("Cour Pénale Internationale", "cour penale internationale");
	check_fold("Straße", "strasse");
	check_fold("ＩＣＣ", "icc");                 /* full width, NFKC */
	check_fold("l'ICC—today", "l icc today");
	check_fold("soft\xC2\xADhyphen", "softhyphen"); /* default ignorable */
	check_fold("المحكمة الجنائية الدولية", "المحكمه الجناييه الدوليه");
	check_fold("أحمد إلى مجلس الأمن", "احمد الي مجلس الامن");
	check_fold("国际刑事法院", "国 际 刑 事 法 院");
	check_fold("Международный уголовный суд", "международныи уголовныи суд");
	check_fold("bad\xFF" "byte", "bad byte");

	TEST("text tokens");
	pm_tokens_init(&t);
	pm_text_tokenize(src, strlen(src), &t);
	CHECK_INT(t.n, 10);
	CHECK_STR(pm_token_str(&t, 1), "icc");
	CHECK(t.v[1].flags & PM_TOK_UPPER);
	CHECK(!(t.v[0].flags & PM_TOK_UPPER));
	CHECK_INT(t.v[1].start, 4);
	CHECK_INT(t.v[1].end, 7);
	CHECK_INT(t.v[2].sentence, 0);
	CHECK_INT(t.v[3].sentence, 1); /* "U" after "said." */
	CHECK_INT(t.v[5].sentence, 1); /* "U.N." does not end the sentence */
	CHECK_INT(t.v[8].sentence, 2);
	CHECK_INT(t.v[8].para, 1);
	pm_tokens_release(&t);

	TEST("text display");
	s = pm_text_nfc("e\xCC\x81t\xC3\xA9", 6); /* decomposed é -> composed */
	CHECK_STR(s, "\xC3\xA9t\xC3\xA9");
	free(s);
	s = pm_text_nfc("caf\xC3\xA9 \xE2\x80\x94 \xE5\x9B\xBD", 13); /* the fast path */
	CHECK_STR(s, "caf\xC3\xA9 \xE2\x80\x94 \xE5\x9B\xBD");
	free(s);
	s = pm_text_nfc("\xE2\x80\x80x", 4); /* U+2000 EN QUAD is not NFC: U+2002 */
	CHECK_STR(s, "\xE2\x80\x82x");
	free(s);
	CHECK(pm_text_valid_utf8("caf\xC3\xA9", 5));
	CHECK(!pm_text_valid_utf8("caf\xC3", 4));
	CHECK(!pm_text_valid_utf8("\xED\xA0\x80", 3)); /* a surrogate */
	CHECK(!pm_text_valid_utf8("\xC0\xAF", 2));     /* overlong '/' */
	s = pm_text_squash("  a \t b\n\n\n c  ", 15, 1);
	CHECK_STR(s, "a b\n\nc");
	free(s);
	s = pm_text_squash("a\xC2\xA0\n b", 6, 0);
	CHECK_STR(s, "a b");
	free(s);
}

/* The tokenizer's fast paths (ASCII, the generated two-byte table, CJK
 * ideographs) against the slow path and against utf8proc_map itself. */
static void test_text_fast_paths(void)
{
	struct pm_tokens t;
	int bad = 0, badcjk = 0, badmap = 0;
	const char *mixed =
		"La Cour pénale internationale (CPI) — l'ÉTAT partie. Международный уголовный "
		"суд ВЫДАЛ ордер. المحكمة الجنائية الدولية أصدرت مذكرة توقيف. Straße ﬁnal "
		"Ǆemal ŉ ΣΊΣΥΦΟΣ 国际刑事法院 がガ ＩＣＣ 한국어 x\xC2\xADy";

	pm_tokens_init(&t);
	TEST("text fast path: every two-byte code point as the slow path folds it");
	for (utf8proc_int32_t c = 0x80; c < 0x800; c++) {
		char in[8], want[32];
		int wl;
		utf8proc_ssize_t n;

		in[0] = 'a';
		n = utf8proc_encode_char(c, (utf8proc_uint8_t *)in + 1);
		in[1 + n] = 'b';
		pm_text_tokenize(in, (size_t)n + 2, &t);
		switch (pm_fold_class(c)) {
		case PM_FOLD_WORD:
			wl = pm_fold_cp(c, want + 1, 30);
			want[0] = 'a';
			want[1 + wl] = 'b';
			want[2 + wl] = '\0';
			bad += !(t.n == 1 && !strcmp(pm_token_str(&t, 0), want) && t.v[0].end == n + 2);
			break;
		case PM_FOLD_IGNORE:
			bad += !(t.n == 1 && !strcmp(pm_token_str(&t, 0), "ab"));
			break;
		default:
			bad += !(t.n == 2 && !strcmp(pm_token_str(&t, 0), "a") &&
				 !strcmp(pm_token_str(&t, 1), "b"));
		}
	}
	CHECK_INT(bad, 0);

	TEST("text fast path: CJK ideographs fold to themselves");
	for (utf8proc_int32_t c = 0x3400; c <= 0x9FFF; c++) {
		char want[8];
		int wl;

		if (c > 0x4DBF && c < 0x4E00)
			continue;
		wl = pm_fold_cp(c, want, 8);
		badcjk += !(wl == utf8proc_encode_char(c, (utf8proc_uint8_t *)want + 0) &&
			    pm_fold_class(c) == PM_FOLD_CJK && pm_fold_kind_of(c) == PM_FOLD_OTHER);
	}
	CHECK_INT(badcjk, 0);

	TEST("text tokens: byte for byte what utf8proc_map makes of each word");
	pm_text_tokenize(mixed, strlen(mixed), &t);
	CHECK(t.n > 30);
	for (size_t i = 0; i < t.n; i++) {
		char ref[256];
		size_t rl = pm_fold_reference(mixed + t.v[i].start, t.v[i].end - t.v[i].start, ref,
					      sizeof(ref));

		if (rl != t.v[i].norm_len || memcmp(ref, pm_token_str(&t, i), rl)) {
			fprintf(stderr, "  token '%s', utf8proc_map '%.*s'\n", pm_token_str(&t, i),
				(int)rl, ref);
			badmap++;
		}
	}
	CHECK_INT(badmap, 0);
	check_fold("한국어 ＩＣＣ", "한국어 icc"); /* Hangul stays composed (NFKC) */
	check_fold("ΣΊΣΥΦΟΣ Ǆemal", "σισυφοσ dzemal");
	pm_tokens_release(&t);
}

/* The whole-word ASCII path against the general loop: every record (folded
 * text, offsets, sentence, paragraph, flags) and the folded buffer, on text
 * made of the pieces where they could part: words of every length around
 * the 8-byte steps and the 256-byte cut, capitals, digits, mixed, sentence
 * ends and "U.N.", blank lines, tabs, CR, NUL, non-ASCII letters, marks and
 * ignorables right after an ASCII word, invalid bytes, the text's end. */
static unsigned long long tok_rng = 0x9E3779B97F4A7C15ULL;

static unsigned tok_rand(unsigned n)
{
	return tl_rand(&tok_rng, n);
}

static size_t tok_text(char *out, size_t max)
{
	static const char *const seps[] = {
		" ", " ", " ", " ", "  ", ". ", ", ", ".\n\n", "\n", "\t", "\r\n", "! ", "? ",
		"\"", ".\"", "-", "'", "/", ":", "\0", "(", ")", "U.N. ", "\xC3\xA9", "\xC2\xAD",
		"\xCC\x81", "\xE2\x80\x94", "\xE5\x9B\xBD", "\xFF", "\xC3", "\xD8\xA7\xD9\x84",
		"\xE2\x80\x8B", "\xEF\xBC\xA9", "\xC2\xA0", "\xE2\x80\xA9", "\x7F", "@", "[", "`",
		"{", "; ", ": ", ". ", "a. ",
	};
	static const char alpha[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t n = 0;

	while (n + 300 < max && tok_rand(60)) {
		unsigned kind = tok_rand(10), wl;

		/* word lengths: mostly short, some near 8 and 16, some past 248 */
		wl = kind < 6 ? 1 + tok_rand(12) : kind < 9 ? 1 + tok_rand(40) : 240 + tok_rand(30);
		for (unsigned k = 0; k < wl; k++) {
			unsigned style = tok_rand(20);
			char c = alpha[tok_rand(style < 14 ? 26 : style < 18 ? 52 : 62)];
			out[n++] = c;
		}
		if (kind == 5) /* an all-capitals or all-digits word */
			for (unsigned k = 0; k < 3; k++)
				out[n++] = tok_rand(2) ? (char)('A' + tok_rand(26)) : (char)('0' + tok_rand(10));
		if (tok_rand(3)) {
			out[n++] = ' ';
		} else {
			const char *p = seps[tok_rand(sizeof(seps) / sizeof(seps[0]))];
			size_t k = p[0] ? strlen(p) : 1;
			memcpy(out + n, p, k);
			n += k;
		}
	}
	/* end inside a word half the time */
	if (n > 1 && tok_rand(2))
		n--;
	return n;
}

static void test_text_ascii_words(void)
{
	struct pm_tokens a, b;
	static char text[20000];
	int same = 0, runs = 3000;
	size_t tokens = 0;

	pm_tokens_init(&a);
	pm_tokens_init(&b);
	TEST("text: whole-word ASCII path gives the general loop's tokens");
	for (int r = 0; r < runs; r++) {
		size_t n = tok_text(text, sizeof(text));
		/* sometimes only a piece, so that words meet the text's end */
		size_t off = tok_rand(4) ? 0 : tok_rand((unsigned)n + 1);
		int ok;

		if (r % 2) /* reserved room or grown step by step: the same */
			pm_tokens_reserve(&a, n - off);
		pm_text_tokenize(text + off, n - off, &a);
		pm_text_tokenize_ref(text + off, n - off, &b);
		ok = a.n == b.n && a.len == b.len && !memcmp(a.buf, b.buf, a.len);
		for (size_t i = 0; ok && i < a.n; i++)
			ok = !memcmp(&a.v[i], &b.v[i], sizeof(a.v[i]));
		if (!ok && same + 3 > r)
			fprintf(stderr, "  run %d: %zu tokens vs %zu\n", r, a.n, b.n);
		same += ok;
		tokens += a.n;
	}
	CHECK_INT(same, runs);
	CHECK(tokens > 100000);
	{
		/* one word per case at every length from 1 to 300, ending the text
		 * or before a space, a full stop or a non-ASCII letter */
		static const char *const ends[] = { "", " x", ". X", "\xC3\xA9", "\xC2\xAD", "\n\nY" };
		int bad = 0;
		for (size_t wl = 1; wl <= 300; wl++)
			for (size_t e = 0; e < sizeof(ends) / sizeof(ends[0]); e++) {
				size_t n = 0;
				int ok;
				for (size_t k = 0; k < wl; k++)
					text[n++] = (char)(k % 7 == 3 ? 'Q' : 'a' + (char)(k % 26));
				memcpy(text + n, ends[e], strlen(ends[e]));
				n += strlen(ends[e]);
				pm_text_tokenize(text, n, &a);
				pm_text_tokenize_ref(text, n, &b);
				ok = a.n == b.n && a.len == b.len && !memcmp(a.buf, b.buf, a.len);
				for (size_t i = 0; ok && i < a.n; i++)
					ok = !memcmp(&a.v[i], &b.v[i], sizeof(a.v[i]));
				bad += !ok;
			}
		CHECK_INT(bad, 0);
	}
	pm_tokens_release(&a);
	pm_tokens_release(&b);
}

static const char *write_tmp(const char *text)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/pm-test-conf-%d.conf", (int)getpid());
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

/* pm_text_nfc skips utf8proc for text made of the code points that
 * pm_text_nfc_stable_cp lists: each must have combining class 0, be its
 * own NFC, and never be the second of a composition. The seconds are
 * found as the later code points of every code point's full canonical
 * decomposition, over all of Unicode (more than the seconds: stricter). */
static void test_text_nfc_stable(void)
{
	unsigned char *second = xcalloc(0x110000, 1);
	int bad = 0, listed = 0, same = 0;
	unsigned long long seed = 12345;

	TEST("text NFC: every code point said stable is class 0, its own NFC, never a second");
	for (utf8proc_int32_t c = 0; c < 0x110000; c++) {
		utf8proc_int32_t d[64];
		int lb = 0;
		utf8proc_ssize_t n;

		if (c >= 0xD800 && c <= 0xDFFF)
			continue;
		n = utf8proc_decompose_char(c, d, 64, UTF8PROC_DECOMPOSE, &lb);
		for (utf8proc_ssize_t i = 1; i < n && i < 64; i++)
			second[d[i]] = 1;
	}
	for (utf8proc_int32_t c = 0; c < 0x110000; c++) {
		utf8proc_uint8_t in[8], *out = NULL;
		utf8proc_ssize_t n, m;

		if ((c >= 0xD800 && c <= 0xDFFF) || !pm_text_nfc_stable_cp(c))
			continue;
		listed++;
		n = utf8proc_encode_char(c, in);
		m = utf8proc_map(in, n, &out, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
		if (utf8proc_get_property(c)->combining_class != 0 || second[c] || m != n ||
		    memcmp(in, out, (size_t)n)) {
			if (bad++ < 5)
				fprintf(stderr, "U+%04X said NFC-stable\n", (unsigned)c);
		}
		free(out);
	}
	CHECK_INT(bad, 0);
	CHECK(listed > 30000);

	TEST("text NFC: random text of stable code points as utf8proc_map makes it");
	for (int r = 0; r < 2000; r++) {
		static const int32_t from[][2] = { { 0x20, 0x7E }, { 0xA0, 0x2FF }, { 0x400, 0x52F },
						   { 0x5D0, 0x5EA }, { 0x620, 0x6D5 }, { 0x2010, 0x206F },
						   { 0x3041, 0x30FA }, { 0xAC00, 0xD7A3 }, { 0xFF01, 0xFF5E } };
		utf8proc_uint8_t s[400], *want = NULL;
		utf8proc_ssize_t n = 0, m;
		char *got;

		for (int k = 0; k < 60; k++) {
			const int32_t *rg = from[tl_rand(&seed, sizeof(from) / sizeof(from[0]))];
			int32_t c = rg[0] + (int32_t)tl_rand(&seed, (unsigned)(rg[1] - rg[0] + 1));
			if (!pm_text_nfc_stable_cp(c))
				continue;
			n += utf8proc_encode_char(c, s + n);
		}
		m = utf8proc_map(s, n, &want, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
		got = pm_text_nfc((const char *)s, (size_t)n);
		same += m >= 0 && strlen(got) == (size_t)m && !memcmp(got, want, (size_t)m);
		free(got);
		free(want);
	}
	CHECK_INT(same, 2000);
	free(second);
}

static void test_config(void)
{
	struct pm_config cfg;
	struct pm_err err;
	const char *p;

	TEST("config ok");
	pm_err_init(&err);
	pm_config_init(&cfg);
	p = write_tmp("[pressmon]\nuser_agent_contact = https://example.org/x\n\n"
		      "[feed a-1]  ; comment\nurl = file:///tmp/a.xml\nname = Outlet A\n"
		      "country = ke\nregion = africa\nlang = EN\ntype = public\n"
		      "interval = 600\nfetch_pages = yes\ntags = x, y\n");
	CHECK(pm_config_load(&cfg, p, &err) == 0);
	CHECK_INT(cfg.nsources, 1);
	CHECK_STR(cfg.sources[0].country, "KE");
	CHECK_STR(cfg.sources[0].lang, "en");
	CHECK_INT(cfg.sources[0].interval, 600);
	CHECK_INT(cfg.sources[0].fetch_pages, 1);
	CHECK_INT(cfg.sources[0].ntags, 2);
	CHECK_STR(cfg.user_agent_contact, "https://example.org/x");
	pm_config_release(&cfg);

	TEST("config errors name file:line");
	pm_config_init(&cfg);
	p = write_tmp("[feed a]\nurl = x\nregion = antarctica\n");
	CHECK(pm_config_load(&cfg, p, &err) == -1);
	CHECK(strstr(err.msg, ":3: region 'antarctica'") != NULL);
	CHECK_INT(err.code, PM_EINPUT);
	pm_config_release(&cfg);

	pm_config_init(&cfg);
	p = write_tmp("[feed a]\nurl = x\n[feed a]\n");
	CHECK(pm_config_load(&cfg, p, &err) == -1);
	CHECK(strstr(err.msg, ":3: feed id 'a' is defined twice") != NULL);
	pm_config_release(&cfg);

	pm_config_init(&cfg);
	p = write_tmp("[feed a]\nurl x\n");
	CHECK(pm_config_load(&cfg, p, &err) == -1);
	CHECK(strstr(err.msg, ":2:1: expected") != NULL);
	pm_config_release(&cfg);

	pm_config_init(&cfg);
	p = write_tmp("[feed b]\nname = no url\n");
	CHECK(pm_config_load(&cfg, p, &err) == -1);
	CHECK(strstr(err.msg, ":1: [feed b] has no url") != NULL);
	pm_config_release(&cfg);
	unlink(p);
}

int main(void)
{
	test_buf();
	test_hash();
	test_time();
	test_text();
	test_text_fast_paths();
	test_text_ascii_words();
	test_text_nfc_stable();
	test_config();
	return tl_summary();
}
