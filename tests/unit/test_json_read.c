/* tests/unit/test_json_read.c: pm_json_loadb must return what json_loadb
 * returns, on chosen cases and on mutated article text, and must read the
 * usual article itself rather than hand it to jansson. */
#include "core/json_read.h"
#include "testlib.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

/* Every call to jansson's reader, the fallback's included, passes here
 * (this definition comes before the library's): the count shows whether
 * the fast path read an input itself. */
static int loadb_calls;

json_t *json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err)
{
	json_t *(*real)(const char *, size_t, size_t, json_error_t *);

	*(void **)&real = dlsym(RTLD_NEXT, "json_loadb");
	loadb_calls++;
	return real(buf, len, flags, err);
}

/* 1 when both readers agree on s (same compact text, same error). */
static int agree(const char *s, size_t n, size_t flags)
{
	json_error_t e1, e2;
	json_t *a = pm_json_loadb(s, n, flags, &e1);
	json_t *b = json_loadb(s, n, flags, &e2);
	int ok = !a == !b;

	if (ok && a) {
		char *sa = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
		char *sb = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
		ok = sa && sb && !strcmp(sa, sb) && json_equal(a, b);
		free(sa);
		free(sb);
	} else if (ok) {
		ok = !strcmp(e1.text, e2.text) && e1.line == e2.line && e1.column == e2.column &&
		     e1.position == e2.position;
	}
	if (!ok)
		fprintf(stderr, "disagree on (%zu bytes, flags %zu): %.*s\n", n, flags, (int)n, s);
	json_decref(a);
	json_decref(b);
	return ok;
}

static const char article[] =
	"{\"id\":\"0a1b2c3d4e5f6071\",\"url\":\"https://example.org/a?b=1&c=2\","
	"\"title\":\"Court \\\"hears\\\" appeal\\u2014today\",\"lang\":\"en\","
	"\"text\":\"Line one.\\nLine two \\ud83d\\ude00 caf\\u00e9 caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
	"plain words long enough to take the eight-byte path several times over\","
	"\"published\":\"2026-11-25T14:03:00Z\",\"n\":-12,\"big\":123456789012345678,"
	"\"r\":2.5e-3,\"ok\":true,\"no\":false,\"z\":null,\"\":\"empty key\","
	"\"tags\":[{\"tag\":\"icc\",\"score\":0.75,\"evidence\":[{\"field\":\"title\","
	"\"start\":0,\"end\":5,\"text\":\"Court\",\"rule\":\"icc-name\"}]}],"
	"\"esc\\n\\\"key\\\"\":{\"a\":[1,2,[3,{\"b\":{}}]],\"c\":[]}}";

static void test_cases(void)
{
	static const char *const cases[] = {
		"{}", "[]", " \t\r\n{ } \n", "[1,2,3]", "{\"a\":{\"b\":[true,false,null]}}",
		/* numbers */
		"[0]", "[-0]", "[01]", "[-]", "[1.]", "[.5]", "[1e]", "[1e+]", "[+1]", "[1.5e+3]",
		"[1E-2]", "[-0.0]", "[1e308]", "[1e309]", "[-1e400]", "[1e-400]",
		"[123456789012345678]", "[1234567890123456789]", "[9223372036854775807]",
		"[9223372036854775808]", "[-9223372036854775808]", "[-9223372036854775809]",
		"[00000000000000000000001]", "[1.000000000000000000000000000000000000000000000000000001]",
		"[0.1e1x]", "[1x]", "[NaN]", "[Infinity]",
		/* literals */
		"[true]", "[truex]", "[True]", "[nul]", "[null ,false]", "[tru",
		/* strings and escapes */
		"[\"\\u0000\"]", "{\"\\u0000\":1}", "[\"\\ud800\"]", "[\"\\udc00\"]",
		"[\"\\ud800\\u0041\"]", "[\"\\ud800\\udbff\"]", "[\"\\uD834\\uDD1E\"]",
		"[\"\\u00\"]", "[\"\\uGGGG\"]", "[\"\\x\"]", "[\"\\\"]", "[\"\\/\"]",
		"[\"a\tb\"]", "[\"a\x01\"]", "[\"a\x7f\"]", "[\"\xc3\"]", "[\"\xc0\xaf\"]",
		"[\"\xed\xa0\x80\"]", "[\"\xf4\x90\x80\x80\"]", "[\"\xff\"]", "[\"abc",
		"[\"\xe2\x82\xac\"]", "[\"\xf0\x9f\x98\x80 1234567\"]",
		/* structure */
		"", "   ", "1", "\"s\"", "null", "\xef\xbb\xbf{}", "{} x", "{}{}", "[1,]", "[,1]",
		"{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{\"a\":}", "{\"a\":1 \"b\":2}", "[1 2]", "{",
		"[", "]", "{\"a\":1,\"a\":2}", "{\"a\":1,\"b\":{\"a\":1,\"a\":3}}",
		"{\"a\\n\":{\"b\\n\":{\"c\\n\":\"\\u00e9\"}},\"d\\t\":1}", "[\"x\" , \"y\" ]",
	};
	int ok = 1;

	TEST("json reader: chosen cases agree with jansson");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ok &= agree(cases[i], strlen(cases[i]), 0);
		ok &= agree(cases[i], strlen(cases[i]), JSON_REJECT_DUPLICATES);
		ok &= agree(cases[i], strlen(cases[i]), JSON_DECODE_ANY);
	}
	CHECK(ok);
	/* a NUL byte inside the buffer, and nesting on both sides of the limit */
	CHECK(agree("[\"a\0b\"]", 7, 0));
	CHECK(agree("{\"a\":1}\0", 8, 0));
	CHECK(agree(article, sizeof(article) - 1, 0));
	CHECK(agree(article, sizeof(article) - 1, JSON_REJECT_DUPLICATES));
	for (int depth = 60; depth <= 70; depth += 5) {
		char s[200];
		int n = 0;
		for (int i = 0; i < depth; i++)
			s[n++] = '[';
		for (int i = 0; i < depth; i++)
			s[n++] = ']';
		CHECK(agree(s, (size_t)n, 0));
	}
	{
		json_error_t e;
		json_t *v = pm_json_loadb(NULL, 0, 0, &e);
		CHECK(v == NULL && e.text[0] != '\0');
	}
}

/* The fast path reads an article itself, and leaves every error (and
 * every repeated key) to jansson. */
static void test_errors_are_jansson(void)
{
	json_error_t e;
	json_t *v;

	TEST("json reader: articles are read without jansson, errors by it");
	loadb_calls = 0;
	v = pm_json_loadb(article, sizeof(article) - 1, JSON_REJECT_DUPLICATES, &e);
	CHECK(v && json_object_size(v) == 15);
	CHECK_INT(loadb_calls, 0);
	json_decref(v);
	v = pm_json_loadb("{\"a\":1,\"a\":2}", 13, JSON_REJECT_DUPLICATES, &e);
	CHECK(v == NULL);
	CHECK_INT(loadb_calls, 1);
	CHECK(strstr(e.text, "duplicate") != NULL);
	v = pm_json_loadb("{\"a\":1,\"a\":2}", 13, 0, &e);
	CHECK(v && json_integer_value(json_object_get(v, "a")) == 2);
	json_decref(v);
	v = pm_json_loadb("[1,]", 4, 0, &e);
	CHECK(v == NULL && e.line == 1 && e.position > 0);
	v = pm_json_loadb("{\"a\":[1,2]}", 11, 0, &e);
	CHECK(v && e.text[0] == '\0' && !strcmp(e.source, "<buffer>"));
	json_decref(v);
}

/* Mutations of the article: bytes replaced by ones that matter to a JSON
 * reader, inserted, deleted, the text cut short. */
static void test_mutations(void)
{
	static const char alphabet[] = "\"\\{}[]:,u0123456789eE+-.tfn \t\n\x01\x1f\x7f";
	static const unsigned char high[] = { 0x80, 0xbf, 0xc0, 0xc3, 0xdf, 0xe0, 0xed, 0xef,
					      0xf0, 0xf4, 0xf5, 0xff };
	unsigned long long seed = 0x9e3779b97f4a7c15ULL;
	size_t n0 = sizeof(article) - 1;
	char buf[sizeof(article) + 16];
	int ok = 1;

	TEST("json reader: mutated articles agree with jansson");
	for (int i = 0; i < 20000 && ok; i++) {
		size_t n = n0;
		int edits = 1 + (int)tl_rand(&seed, 3);
		memcpy(buf, article, n0);
		for (int k = 0; k < edits; k++) {
			size_t at = tl_rand(&seed, (unsigned)n);
			char c = tl_rand(&seed, 4) ? alphabet[tl_rand(&seed, sizeof(alphabet) - 1)]
						   : (char)high[tl_rand(&seed, sizeof(high))];
			switch (tl_rand(&seed, 4)) {
			case 0: /* replace */
				buf[at] = c;
				break;
			case 1: /* insert */
				if (n < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = c;
					n++;
				}
				break;
			case 2: /* delete */
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
				break;
			default: /* cut */
				n = at;
			}
			if (!n)
				break;
		}
		ok &= agree(buf, n, i % 2 ? JSON_REJECT_DUPLICATES : 0);
	}
	CHECK(ok);
}

int main(void)
{
	test_cases();
	test_errors_are_jansson();
	test_mutations();
	return tl_summary();
}
