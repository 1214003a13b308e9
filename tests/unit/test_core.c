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
	test_config();
	return tl_summary();
}
