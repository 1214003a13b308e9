/* report/digest: computes the daily digest from the archive as one JSON
 * value — volume and trend, story clusters, balance, misinformation,
 * Security Council watch, feed health. The renderers only format it. */
#include "report/report_int.h"
#include "core/mem.h"
#include "core/time.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TREND_DAYS 7
#define SILENT_DAYS 7 /* a working feed with no article in this many days is silent */

static double round_to(double x, double unit)
{
	return round(x / unit) * unit;
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const char *src_str(json_t *art, const char *key)
{
	return str(json_object_get(art, "source"), key);
}

static const char *outlet_name(json_t *art)
{
	const char *n = src_str(art, "name");
	return n && *n ? n : src_str(art, "id") ? src_str(art, "id") : "unknown outlet";
}

static double best_score(json_t *art)
{
	size_t i;
	json_t *t;
	double best = 0;

	json_array_foreach(json_object_get(art, "tags"), i, t)
		if (json_number_value(json_object_get(t, "score")) > best)
			best = json_number_value(json_object_get(t, "score"));
	return best;
}

static int has_tag(json_t *art, const char *tag)
{
	size_t i;
	json_t *t;

	json_array_foreach(json_object_get(art, "tags"), i, t)
		if (str(t, "tag") && !strcmp(str(t, "tag"), tag))
			return 1;
	return 0;
}

static int collect(void *ctx, json_t *art)
{
	json_array_append((json_t *)ctx, art);
	return 0;
}

/* Local day bounds of day number d (days since the epoch) in tz. */
static int bounds(int64_t d, const char *tz, time_t *s, time_t *e, char date[11])
{
	int y, m, dd;

	pm_civil_from_days(d, &y, &m, &dd);
	snprintf(date, 11, "%04d-%02d-%02d", y, m, dd);
	return pm_day_bounds(y, m, dd, tz, s, e);
}

static json_t *measure(long long today, double sum_prev)
{
	json_t *o = json_object();
	double mean = sum_prev / TREND_DAYS;

	json_object_set_new(o, "count", json_integer(today));
	json_object_set_new(o, "mean_prev7", json_real(round_to(mean, 0.01)));
	json_object_set_new(o, "change", json_real(round_to((double)today - mean, 0.01)));
	json_object_set_new(o, "change_pct", mean > 0 ? json_real(round_to(((double)today - mean) * 100 / mean, 0.1))
						      : json_null());
	return o;
}

static int headline(struct pm_archive *a, int64_t day, const char *tz, json_t *d,
		    struct pm_err *err)
{
	struct pm_archive_stats st, today = { 0, 0, 0, 0 };
	double sum[4] = { 0, 0, 0, 0 };
	json_t *trend = json_array(), *h = json_object();
	time_t s, e;
	char date[11];

	json_object_set_new(d, "headline", h);
	json_object_set_new(d, "trend", trend);
	for (int k = TREND_DAYS; k >= 0; k--) {
		json_t *row;
		if (bounds(day - k, tz, &s, &e, date))
			return pm_err_set(err, PM_EINPUT, "--tz '%s' is not a known time zone", tz);
		if (pm_archive_stats(a, s, e, &st, err))
			return -1;
		row = json_object();
		json_object_set_new(row, "date", json_string(date));
		json_object_set_new(row, "articles", json_integer(st.articles));
		json_array_append_new(trend, row);
		if (k) {
			sum[0] += (double)st.articles;
			sum[1] += (double)st.outlets;
			sum[2] += (double)st.countries;
			sum[3] += (double)st.languages;
		} else {
			today = st;
		}
	}
	json_object_set_new(h, "articles", measure(today.articles, sum[0]));
	json_object_set_new(h, "outlets", measure(today.outlets, sum[1]));
	json_object_set_new(h, "countries", measure(today.countries, sum[2]));
	json_object_set_new(h, "languages", measure(today.languages, sum[3]));
	return 0;
}

/* ---- story clusters ---- */

struct story {
	const char *cluster;
	json_t *arts;        /* borrowed articles, time order */
	size_t outlets;
	time_t first;
	long long size;
};

static void add_unique(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	if (!s || !*s)
		return;
	json_array_foreach(arr, i, v)
		if (!strcmp(json_string_value(v), s))
			return;
	json_array_append_new(arr, json_string(s));
}

static int cmp_str_json(const void *x, const void *y)
{
	return strcmp(json_string_value(*(json_t *const *)x), json_string_value(*(json_t *const *)y));
}

static json_t *sorted(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v = xcalloc(n ? n : 1, sizeof(*v));
	json_t *out = json_array();

	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(arr, i);
	qsort(v, n, sizeof(*v), cmp_str_json);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(arr);
	return out;
}

static int cmp_story(const void *x, const void *y)
{
	const struct story *a = x, *b = y;
	size_t na = json_array_size(a->arts), nb = json_array_size(b->arts);

	if (a->outlets != b->outlets)
		return a->outlets < b->outlets ? 1 : -1;
	if (na != nb)
		return na < nb ? 1 : -1;
	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	return strcmp(a->cluster, b->cluster);
}

static int stories(struct pm_archive *a, json_t *arts, json_t *d, struct pm_err *err)
{
	struct story *st = NULL;
	size_t n = 0, alloc = 0, i, j;
	json_t *art, *out = json_array();
	json_t *where = json_object(); /* cluster -> index in st: a scan of st per
					  article was quadratic (20,000 articles: 3 s) */
	int ret = -1;

	json_object_set_new(d, "stories", out);
	json_array_foreach(arts, i, art) {
		const char *c = str(art, "cluster");
		json_t *at;
		if (!c)
			c = str(art, "id");
		at = json_object_get(where, c);
		j = at ? (size_t)json_integer_value(at) : n;
		if (j == n) {
			json_object_set_new(where, c, json_integer((json_int_t)n));
			XGROW(st, alloc, n + 1);
			memset(&st[n], 0, sizeof(st[n]));
			st[n].cluster = c;
			st[n].arts = json_array();
			n++;
		}
		json_array_append(st[j].arts, art);
	}
	for (j = 0; j < n; j++) {
		json_t *names = json_array();
		json_array_foreach(st[j].arts, i, art)
			add_unique(names, outlet_name(art));
		st[j].outlets = json_array_size(names);
		json_decref(names);
		if (pm_archive_cluster_info(a, st[j].cluster, &st[j].first, &st[j].size, err))
			goto out;
		if (!st[j].size) { /* an article stored before clusters existed */
			time_t t;
			st[j].size = (long long)json_array_size(st[j].arts);
			pm_time_parse_iso(str(json_array_get(st[j].arts, 0), "published") ?
					  str(json_array_get(st[j].arts, 0), "published") :
					  str(json_array_get(st[j].arts, 0), "fetched"), &t);
			st[j].first = t;
		}
	}
	if (n)
		qsort(st, n, sizeof(*st), cmp_story);
	for (j = 0; j < n; j++) {
		json_t *s = json_object(), *outlets = json_array(), *regions = json_array();
		json_t *langs = json_array(), *best = NULL, *ids = json_array();
		char iso[PM_ISO_LEN];
		json_array_foreach(st[j].arts, i, art) {
			/* the best headline: the article the rules are surest about */
			if (!best || best_score(art) > best_score(best))
				best = art;
			add_unique(outlets, outlet_name(art));
			add_unique(regions, src_str(art, "region"));
			add_unique(langs, str(art, "lang"));
			json_array_append_new(ids, json_string(str(art, "id")));
		}
		pm_time_iso(st[j].first, iso);
		json_object_set_new(s, "cluster", json_string(st[j].cluster));
		json_object_set_new(s, "headline", json_string(str(best, "title") ? str(best, "title") : ""));
		json_object_set(s, "url", json_object_get(best, "url"));
		json_object_set_new(s, "articles", json_integer((json_int_t)json_array_size(st[j].arts)));
		json_object_set_new(s, "outlets", outlets);
		json_object_set_new(s, "regions", sorted(regions));
		json_object_set_new(s, "languages", sorted(langs));
		json_object_set_new(s, "first_seen", json_string(iso));
		json_object_set_new(s, "total_articles", json_integer(st[j].size));
		json_object_set_new(s, "ids", ids);
		json_array_append_new(out, s);
	}
	ret = 0;
out:
	for (j = 0; j < n; j++)
		json_decref(st[j].arts);
	free(st);
	json_decref(where);
	return ret;
}

/* ---- balance ---- */

struct dim {
	const char *name, *label, *prefix; /* prefix: a tag family; NULL: outlet/article field */
	const char *sentence;              /* %d%% and the key */
};

static const struct dim dims[] = {
	{ "region", "outlet region", NULL, "%d%% of articles came from outlets in %s." },
	{ "type", "outlet type", NULL, "%d%% of articles came from %s outlets." },
	{ "lang", "language", NULL, "%d%% of articles were in '%s'." },
	{ "situation", "situation country", "situation:", "%d%% of situation mentions concerned %s." },
	{ "voice", "voices quoted", "voice:", "%d%% of the voices quoted were %s." },
	{ "tone", "tone", "tone:", "%d%% of the articles with a tone were %s." },
};

struct kc {
	const char *key;
	long long count;
};

static int cmp_kc(const void *x, const void *y)
{
	const struct kc *a = x, *b = y;

	if (a->count != b->count)
		return a->count < b->count ? 1 : -1;
	return strcmp(a->key, b->key);
}

static json_t *count_values(json_t *counts, long long *total)
{
	size_t n = json_object_size(counts), i = 0;
	struct kc *v = xcalloc(n ? n : 1, sizeof(*v));
	const char *k;
	json_t *c, *out = json_array();

	*total = 0;
	json_object_foreach(counts, k, c) {
		v[i].key = k;
		v[i++].count = json_integer_value(c);
		*total += json_integer_value(c);
	}
	qsort(v, n, sizeof(*v), cmp_kc);
	for (i = 0; i < n; i++) {
		json_t *row = json_object();
		json_object_set_new(row, "key", json_string(v[i].key));
		json_object_set_new(row, "count", json_integer(v[i].count));
		json_object_set_new(row, "share", json_real(round_to((double)v[i].count / (double)*total, 0.001)));
		json_array_append_new(out, row);
	}
	free(v);
	return out;
}

static void bump(json_t *counts, const char *key)
{
	json_t *c;

	if (!key || !*key)
		key = "unknown";
	c = json_object_get(counts, key);
	json_object_set_new(counts, key, json_integer(c ? json_integer_value(c) + 1 : 1));
}

#define LOPSIDED_MIN 5 /* values counted before a dimension can be lopsided */

static void balance(json_t *arts, json_t *d)
{
	json_t *bal = json_object(), *lop = json_null();
	double top = -1;

	for (size_t k = 0; k < sizeof(dims) / sizeof(dims[0]); k++) {
		json_t *counts = json_object(), *art, *t, *dim = json_object(), *values;
		size_t i, j;
		long long total;
		json_array_foreach(arts, i, art) {
			if (!dims[k].prefix) {
				bump(counts, k == 2 ? str(art, "lang") : src_str(art, dims[k].name));
				continue;
			}
			size_t pl = strlen(dims[k].prefix);
			json_array_foreach(json_object_get(art, "tags"), j, t) {
				const char *tag = str(t, "tag");
				if (tag && !strncmp(tag, dims[k].prefix, pl) && tag[pl])
					bump(counts, tag + pl);
			}
		}
		values = count_values(counts, &total);
		json_decref(counts);
		json_object_set_new(dim, "label", json_string(dims[k].label));
		json_object_set_new(dim, "total", json_integer(total));
		json_object_set_new(dim, "values", values);
		json_object_set_new(bal, dims[k].name, dim);
		/* Lopsided means far from an even spread over the values seen,
		 * on enough articles to mean something: a 2-to-1 split of three
		 * articles' tone is noise, 80% of coverage from one region is not. */
		if (total >= LOPSIDED_MIN && (double)total * 5 >= (double)json_array_size(arts)) {
			json_t *first = json_array_get(values, 0);
			double share = json_real_value(json_object_get(first, "share"));
			double excess = share - 1.0 / (double)json_array_size(values);
			if (excess > top) {
				char line[512];
				top = excess;
				snprintf(line, sizeof(line), "Most lopsided: %s. ", dims[k].label);
				size_t l = strlen(line);
				snprintf(line + l, sizeof(line) - l, dims[k].sentence,
					 (int)lround(share * 100), str(first, "key"));
				json_decref(lop);
				lop = json_object();
				json_object_set_new(lop, "dimension", json_string(dims[k].name));
				json_object_set_new(lop, "key", json_string(str(first, "key")));
				json_object_set_new(lop, "share", json_real(share));
				json_object_set_new(lop, "text", json_string(line));
			}
		}
	}
	json_object_set_new(d, "balance", bal);
	json_object_set_new(d, "lopsided", lop);
}

/* ---- misinformation, Security Council, feed health ---- */

static json_t *item(json_t *art)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(str(art, "id")));
	json_object_set_new(o, "outlet", json_string(outlet_name(art)));
	json_object_set(o, "title", json_object_get(art, "title"));
	json_object_set(o, "url", json_object_get(art, "url"));
	json_object_set(o, "published", json_object_get(art, "published"));
	return o;
}

static void misinfo(json_t *arts, json_t *d)
{
	json_t *claims = json_object(), *out = json_object(), *list = json_array();
	json_t *art, *m;
	size_t i, j, flagged = 0, n = 0;
	const char *k;
	struct kc *order;

	json_array_foreach(arts, i, art) {
		if (!json_array_size(json_object_get(art, "misinfo")))
			continue;
		flagged++;
		json_array_foreach(json_object_get(art, "misinfo"), j, m) {
			const char *claim = str(m, "claim");
			json_t *c = json_object_get(claims, claim), *it;
			if (!claim)
				continue;
			if (!c) {
				c = json_object();
				json_object_set_new(c, "claim", json_string(claim));
				json_object_set(c, "verdict", json_object_get(m, "verdict"));
				json_object_set(c, "correction", json_object_get(m, "correction"));
				json_object_set(c, "reference", json_object_get(m, "reference"));
				json_object_set_new(c, "count", json_integer(0));
				json_object_set_new(c, "items", json_array());
				json_object_set_new(claims, claim, c);
			}
			it = item(art);
			json_object_set(it, "sentence", json_object_get(m, "sentence"));
			json_object_set(it, "verdict", json_object_get(m, "verdict"));
			json_object_set(it, "correction", json_object_get(m, "correction"));
			json_object_set(it, "reference", json_object_get(m, "reference"));
			json_array_append_new(json_object_get(c, "items"), it);
			json_object_set_new(c, "count", json_integer((json_int_t)json_array_size(json_object_get(c, "items"))));
		}
	}
	order = xcalloc(json_object_size(claims) + 1, sizeof(*order));
	json_object_foreach(claims, k, m) {
		order[n].key = k;
		order[n++].count = json_integer_value(json_object_get(m, "count"));
	}
	qsort(order, n, sizeof(*order), cmp_kc);
	for (i = 0; i < n; i++)
		json_array_append(list, json_object_get(claims, order[i].key));
	free(order);
	json_decref(claims);
	json_object_set_new(out, "articles", json_integer((json_int_t)flagged));
	json_object_set_new(out, "claims", list);
	json_object_set_new(d, "misinfo", out);
}

static void unsc(json_t *arts, json_t *d)
{
	static const char *const watch[] = { "unsc-referral", "unsc-deferral" };
	json_t *out = json_array(), *art;
	size_t i;

	json_array_foreach(arts, i, art) {
		json_t *tags = json_array(), *it;
		for (size_t w = 0; w < 2; w++)
			if (has_tag(art, watch[w]))
				json_array_append_new(tags, json_string(watch[w]));
		if (!json_array_size(tags)) {
			json_decref(tags);
			continue;
		}
		it = item(art);
		json_object_set_new(it, "tags", tags);
		json_array_append_new(out, it);
	}
	json_object_set_new(d, "unsc", out);
}

static int feed_health(struct pm_archive *a, json_t *health, time_t from, time_t to, json_t *d,
		       struct pm_err *err)
{
	json_t *out = json_object(), *failing = json_array(), *disabled = json_array();
	json_t *silent = json_array(), *counts = NULL, *f;
	size_t i;

	json_object_set_new(d, "feed_health", out);
	json_object_set_new(out, "given", json_boolean(health != NULL));
	json_object_set_new(out, "feeds", json_integer((json_int_t)json_array_size(health)));
	json_object_set_new(out, "failing", failing);
	json_object_set_new(out, "disabled", disabled);
	json_object_set_new(out, "silent", silent);
	if (!json_is_array(health))
		return 0;
	if (pm_archive_source_counts(a, from, to, &counts, err))
		return -1;
	json_array_foreach(health, i, f) {
		const char *status = str(f, "status"), *id = str(f, "id");
		json_t *it;
		if (!json_is_object(f) || !id)
			continue;
		it = json_object();
		json_object_set_new(it, "id", json_string(id));
		json_object_set(it, "name", json_object_get(f, "name"));
		json_object_set(it, "status", json_object_get(f, "status"));
		json_object_set(it, "failures", json_object_get(f, "failures"));
		json_object_set(it, "last_error", json_object_get(f, "last_error"));
		json_object_set(it, "last_ok", json_object_get(f, "last_ok"));
		if (status && !strcmp(status, "disabled"))
			json_array_append_new(disabled, it);
		else if (json_integer_value(json_object_get(f, "failures")) > 0 ||
			 (status && strcmp(status, "ok")))
			json_array_append_new(failing, it);
		else if (!json_object_get(counts, id))
			json_array_append_new(silent, it);
		else
			json_decref(it);
	}
	json_decref(counts);
	return 0;
}

int pm_digest_build(struct pm_archive *a, const struct pm_report_opts *opts, json_t **out,
		    struct pm_err *err)
{
	int y, m, dd;
	int64_t day;
	time_t from, to, sfrom, sto;
	char iso[PM_ISO_LEN], date[11];
	json_t *d = json_object(), *arts = json_array();
	const char *tz = opts->tz && *opts->tz ? opts->tz : "UTC";

	*out = NULL;
	if (!opts->date || pm_date_parse(opts->date, &y, &m, &dd)) {
		pm_err_set(err, PM_EINPUT, "--date '%s' is not a date YYYY-MM-DD", opts->date ? opts->date : "");
		goto fail;
	}
	day = pm_days_from_civil(y, m, dd);
	if (bounds(day, tz, &from, &to, date)) {
		pm_err_set(err, PM_EINPUT, "--tz '%s' is not a known time zone", tz);
		goto fail;
	}
	/* one snapshot: the counts, stories and balance of one digest agree
	 * even while the archive worker commits */
	if (pm_archive_read_begin(a, err))
		goto fail;
	json_object_set_new(d, "date", json_string(date));
	json_object_set_new(d, "tz", json_string(tz));
	pm_time_iso(from, iso);
	json_object_set_new(d, "from", json_string(iso));
	pm_time_iso(to, iso);
	json_object_set_new(d, "to", json_string(iso));
	{
		/* how much of the day's intake the digest is about */
		struct pm_archive_stats all;
		pm_archive_set_scope(a, NULL);
		if (pm_archive_stats(a, from, to, &all, err))
			goto fail;
		json_object_set_new(d, "scope", json_pack("{s:O,s:I}", "tags",
			opts->scope ? opts->scope : json_null(), "archived", (json_int_t)all.articles));
		pm_archive_set_scope(a, opts->scope);
	}
	if (headline(a, day, tz, d, err))
		goto fail;
	if (pm_archive_each_in_range(a, from, to, collect, arts, err))
		goto fail;
	if (stories(a, arts, d, err))
		goto fail;
	balance(arts, d);
	misinfo(arts, d);
	unsc(arts, d);
	if (bounds(day - (SILENT_DAYS - 1), tz, &sfrom, &sto, date) ||
	    feed_health(a, opts->feed_health, sfrom, to, d, err))
		goto fail;
	pm_archive_set_scope(a, NULL);
	pm_archive_read_end(a);
	json_decref(arts);
	*out = d;
	return 0;
fail:
	pm_archive_read_end(a);
	pm_archive_set_scope(a, NULL);
	json_decref(arts);
	json_decref(d);
	return -1;
}
