/* tests/unit/test_report.c: the daily digest built from the fixture archive
 * tests/fixtures/archive/digest-week.ndjson (fictional articles) — exact
 * numbers in digest.json, and injection kept inert in the HTML/Markdown. */
#include "archive/archive.h"
#include "core/mem.h"
#include "report/report.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIXTURES "tests/fixtures/archive/"

static char tmpdir[64];

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s = xmalloc((size_t)n + 1);
	if (fread(s, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	s[n] = '\0';
	fclose(f);
	return s;
}

static struct pm_archive *load_fixture(void)
{
	struct pm_archive *a;
	struct pm_err err;
	char *db = xasprintf("%s/digest.db", tmpdir), line[65536];
	FILE *f = fopen(FIXTURES "digest-week.ndjson", "r");

	pm_err_init(&err);
	if (!f || pm_archive_open(db, PM_ARCHIVE_WRITE, &a, &err)) {
		fprintf(stderr, "cannot set up the fixture archive: %s\n", f ? err.msg : "no fixture (run from the repository root)");
		exit(1);
	}
	free(db);
	pm_archive_begin(a, &err);
	while (fgets(line, sizeof(line), f)) {
		json_t *o = json_loads(line, 0, NULL);
		CHECK(o != NULL);
		CHECK(pm_archive_put(a, o, &err) == 0);
		json_decref(o);
	}
	fclose(f);
	CHECK(pm_archive_commit(a, &err) == 0);
	return a;
}

static json_t *path(json_t *d, const char *p)
{
	/* "a.b.0.c": objects by key, arrays by index */
	char *copy = xstrdup(p), *save = NULL, *k;
	json_t *v = d;

	for (k = strtok_r(copy, ".", &save); k && v; k = strtok_r(NULL, ".", &save))
		v = json_is_array(v) ? json_array_get(v, (size_t)strtoul(k, NULL, 10)) : json_object_get(v, k);
	free(copy);
	return v;
}

#define CHECK_NUM(d, p, want) CHECK_INT((long long)llround(json_number_value(path(d, p)) * 1000), (long long)llround((want) * 1000))
#define CHECK_S(d, p, want) CHECK_STR(json_string_value(path(d, p)), want)

#include <math.h>

static void test_golden(struct pm_archive *a)
{
	struct pm_report_opts o;
	struct pm_err err;
	json_t *paths = NULL, *d, *health;
	char *out = xasprintf("%s/out", tmpdir), *p;
	json_error_t je;

	TEST("golden digest");
	pm_err_init(&err);
	memset(&o, 0, sizeof(o));
	health = json_load_file(FIXTURES "feed-health.json", 0, &je);
	CHECK(health != NULL);
	o.date = "2026-03-10";
	o.out_dir = out;
	o.feed_health = health;
	CHECK(pm_report_build(a, &o, &paths, &err) == 0);
	CHECK_INT(json_array_size(paths), 4);
	p = xasprintf("%s/2026-03-10/digest.json", out);
	CHECK_STR(json_string_value(json_array_get(paths, 2)), p);
	d = json_load_file(p, 0, &je);
	free(p);
	CHECK(d != NULL);
	if (!d)
		goto out;
	CHECK_S(d, "date", "2026-03-10");
	CHECK_S(d, "from", "2026-03-10T00:00:00Z");
	CHECK_S(d, "to", "2026-03-11T00:00:00Z");
	/* headline: 7 articles; the previous 7 days hold 2,3,0,4,2,1,2 = 14 */
	CHECK_NUM(d, "headline.articles.count", 7);
	CHECK_NUM(d, "headline.articles.mean_prev7", 2.0);
	CHECK_NUM(d, "headline.articles.change", 5.0);
	CHECK_NUM(d, "headline.articles.change_pct", 250.0);
	CHECK_NUM(d, "headline.outlets.count", 5);
	CHECK_NUM(d, "headline.outlets.mean_prev7", 1.57); /* 11 / 7 */
	CHECK_NUM(d, "headline.countries.count", 5);
	CHECK_NUM(d, "headline.languages.count", 4);
	CHECK_NUM(d, "headline.languages.mean_prev7", 1.43); /* 10 / 7 */
	CHECK_NUM(d, "headline.languages.change_pct", 180.0);
	CHECK_INT(json_array_size(path(d, "trend")), 8);
	CHECK_S(d, "trend.0.date", "2026-03-03");
	CHECK_NUM(d, "trend.0.articles", 2);
	CHECK_NUM(d, "trend.2.articles", 0);
	CHECK_NUM(d, "trend.6.articles", 2); /* 23:59:59 still counts for the 9th */
	CHECK_NUM(d, "trend.7.articles", 7);
	/* stories: the warrant story (3 outlets today, started on the 9th) first */
	CHECK_INT(json_array_size(path(d, "stories")), 5);
	CHECK_S(d, "stories.0.cluster", "000000000000100e");
	CHECK_S(d, "stories.0.headline", "La Cour pénale internationale délivre un mandat d'arrêt");
	CHECK_NUM(d, "stories.0.articles", 3);
	CHECK_NUM(d, "stories.0.total_articles", 4);
	CHECK_S(d, "stories.0.first_seen", "2026-03-09T10:00:00Z");
	CHECK_S(d, "stories.0.outlets.0", "Lakeside Herald");
	CHECK_S(d, "stories.0.outlets.2", "Andes Wire");
	CHECK_S(d, "stories.0.regions.0", "africa");
	CHECK_S(d, "stories.0.regions.2", "europe");
	CHECK_S(d, "stories.0.languages.1", "es");
	CHECK_S(d, "stories.1.cluster", "0000000000001013"); /* 4 bits away: not the same story */
	/* balance */
	CHECK_NUM(d, "balance.region.total", 7);
	CHECK_S(d, "balance.region.values.0.key", "africa");
	CHECK_NUM(d, "balance.region.values.0.count", 2);
	CHECK_NUM(d, "balance.region.values.0.share", 0.286);
	CHECK_S(d, "balance.type.values.0.key", "commercial");
	CHECK_NUM(d, "balance.type.values.0.count", 3);
	CHECK_S(d, "balance.lang.values.3.key", "es");
	CHECK_S(d, "balance.situation.values.0.key", "sudan");
	CHECK_NUM(d, "balance.situation.values.0.count", 5);
	CHECK_NUM(d, "balance.situation.values.0.share", 0.714);
	CHECK_NUM(d, "balance.voice.total", 7);
	CHECK_S(d, "balance.voice.values.0.key", "court");
	CHECK_S(d, "balance.tone.values.0.key", "critical"); /* ties go by key */
	CHECK_NUM(d, "balance.tone.values.1.count", 3);
	CHECK_S(d, "lopsided.dimension", "situation");
	CHECK_S(d, "lopsided.text", "Most lopsided: situation country. 71% of situation mentions concerned sudan.");
	/* misinformation */
	CHECK_NUM(d, "misinfo.articles", 3);
	CHECK_INT(json_array_size(path(d, "misinfo.claims")), 2);
	CHECK_S(d, "misinfo.claims.0.claim", "icc-only-targets-africa");
	CHECK_NUM(d, "misinfo.claims.0.count", 2);
	CHECK_S(d, "misinfo.claims.0.reference", "Rome Statute, art. 13-15");
	CHECK_S(d, "misinfo.claims.0.items.1.outlet", "Lakeside Herald");
	CHECK_S(d, "misinfo.claims.1.claim", "icc-replaces-national-courts");
	CHECK_S(d, "misinfo.claims.1.items.0.verdict", "misleading");
	/* Security Council watch */
	CHECK_INT(json_array_size(path(d, "unsc")), 2);
	CHECK_S(d, "unsc.0.tags.0", "unsc-referral");
	CHECK_S(d, "unsc.1.tags.0", "unsc-deferral");
	/* feed health */
	CHECK_S(d, "feed_health.failing.0.id", "river-post");
	CHECK_S(d, "feed_health.disabled.0.id", "old-bulletin");
	CHECK_INT(json_array_size(path(d, "feed_health.silent")), 1);
	CHECK_S(d, "feed_health.silent.0.id", "quiet-valley");
	json_decref(d);

	/* the index lists the day */
	p = xasprintf("%s/index.html", out);
	{
		char *idx = slurp(p);
		CHECK(idx && strstr(idx, "href=\"2026-03-10/digest.html\""));
		free(idx);
	}
	free(p);
out:
	json_decref(paths);
	json_decref(health);
	free(out);
}

static void test_tz_day(struct pm_archive *a)
{
	struct pm_report_opts o;
	struct pm_err err;
	json_t *d;
	char *out = xasprintf("%s/out-tz", tmpdir), *p;

	TEST("local day in a time zone");
	pm_err_init(&err);
	memset(&o, 0, sizeof(o));
	o.date = "2026-03-10";
	o.tz = "Asia/Tokyo"; /* 2026-03-09T15:00Z .. 2026-03-10T15:00Z */
	o.out_dir = out;
	o.formats = PM_REPORT_JSON;
	CHECK(pm_report_build(a, &o, NULL, &err) == 0);
	p = xasprintf("%s/2026-03-10/digest.json", out);
	d = json_load_file(p, 0, NULL);
	CHECK(d != NULL);
	CHECK_S(d, "from", "2026-03-09T15:00:00Z");
	/* the 9th 23:59:59Z article and five of the 10th's (08:00..14:00) */
	CHECK_NUM(d, "headline.articles.count", 6);
	CHECK(access(out, F_OK) == 0);
	json_decref(d);
	free(p);
	p = xasprintf("%s/2026-03-10/digest.html", out);
	CHECK(access(p, F_OK) != 0); /* only the format asked for */
	free(p);
	o.tz = "Nowhere/Atlantis";
	CHECK(pm_report_build(a, &o, NULL, &err) == -1);
	CHECK_INT(err.code, PM_EINPUT);
	o.tz = NULL;
	o.date = "2026-02-30";
	CHECK(pm_report_build(a, &o, NULL, &err) == -1);
	CHECK(strstr(err.msg, "--date") != NULL);
	free(out);
}

static void test_injection(void)
{
	char *html_path = xasprintf("%s/out/2026-03-10/digest.html", tmpdir);
	char *md_path = xasprintf("%s/out/2026-03-10/digest.md", tmpdir);
	char *html = slurp(html_path), *md = slurp(md_path);
	const char *p;

	TEST("injection stays inert");
	CHECK(html != NULL && md != NULL);
	if (!html || !md)
		goto out;
	/* the headline is shown, escaped, and never becomes an element */
	CHECK(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt; Deferral request") != NULL);
	CHECK(strstr(html, "<script") == NULL);
	CHECK(strstr(html, "javascript") == NULL); /* the URL is not linked at all */
	CHECK(strstr(html, "<b>only</b>") == NULL);
	CHECK(strstr(html, "HTTP 503 &lt;retry&gt;") != NULL);
	/* every link is http(s) */
	for (p = html; (p = strstr(p, "href=\"")); p += 6)
		CHECK(!strncmp(p + 6, "https://", 8) || !strncmp(p + 6, "http://", 7));
	/* no external assets and no script of any kind */
	CHECK(strstr(html, "<img") == NULL && strstr(html, "<link") == NULL &&
	      strstr(html, "src=") == NULL && strstr(html, "onload") == NULL);
	CHECK(strstr(md, "<script>") == NULL);
	CHECK(strstr(md, "\\<script\\>alert\\(1\\)") != NULL);
	CHECK(strstr(md, "javascript") == NULL);
out:
	free(html);
	free(md);
	free(html_path);
	free(md_path);
}

int main(void)
{
	struct pm_archive *a;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pm-test-report-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	a = load_fixture();
	test_golden(a);
	test_tz_day(a);
	test_injection();
	pm_archive_close(a);
	{
		char *cmd = xasprintf("rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tmpdir);
		free(cmd);
	}
	return tl_summary();
}
