/* report/render: the digest as one self-contained HTML file for mail
 * clients (inline CSS, tables, no script, no external assets) and as
 * Markdown for chat. Every field is escaped; only http(s) URLs become links. */
#include "report/report_int.h"
#include "core/mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_STORIES_SHOWN 30

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

void pm_html_esc(struct pm_buf *b, const char *s)
{
	if (!s)
		return;
	for (; *s; s++) {
		switch (*s) {
		case '&': pm_buf_adds(b, "&amp;"); break;
		case '<': pm_buf_adds(b, "&lt;"); break;
		case '>': pm_buf_adds(b, "&gt;"); break;
		case '"': pm_buf_adds(b, "&quot;"); break;
		case '\'': pm_buf_adds(b, "&#39;"); break;
		default: pm_buf_addc(b, *s);
		}
	}
}

int pm_url_linkable(const char *url)
{
	if (!url)
		return 0;
	if (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8))
		return 0;
	/* a URL with spaces or controls is not one we wrote; do not link it */
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* ---- HTML ---- */

static const char *const css_text = "color:#1d2430;";
static const char *const css_muted = "color:#5b6575;font-size:13px;";
static const char *const css_h2 = "font-size:18px;margin:24px 0 8px 0;color:#1d2430;border-bottom:1px solid #c9d1dc;padding-bottom:4px;";
static const char *const css_td = "padding:4px 8px;vertical-align:top;border-bottom:1px solid #e3e8ef;font-size:14px;color:#1d2430;";
static const char *const css_th = "padding:4px 8px;text-align:left;font-size:13px;color:#5b6575;border-bottom:1px solid #c9d1dc;";

static void h_link(struct pm_buf *b, const char *title, const char *url)
{
	if (!title || !*title)
		title = "(untitled)";
	if (pm_url_linkable(url)) {
		pm_buf_adds(b, "<a style=\"color:#1f5fa8;\" href=\"");
		pm_html_esc(b, url);
		pm_buf_adds(b, "\">");
		pm_html_esc(b, title);
		pm_buf_adds(b, "</a>");
	} else {
		pm_html_esc(b, title);
	}
}

static void h_td(struct pm_buf *b, const char *s)
{
	pm_buf_addf(b, "<td style=\"%s\">", css_td);
	pm_html_esc(b, s);
	pm_buf_adds(b, "</td>");
}

static void h_th(struct pm_buf *b, const char *s)
{
	pm_buf_addf(b, "<th style=\"%s\">", css_th);
	pm_html_esc(b, s);
	pm_buf_adds(b, "</th>");
}

static void h_h2(struct pm_buf *b, const char *s)
{
	pm_buf_addf(b, "<h2 class=\"pm-h\" style=\"%s\">", css_h2);
	pm_html_esc(b, s);
	pm_buf_adds(b, "</h2>\n");
}

static void h_join(struct pm_buf *b, json_t *arr)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		if (i)
			pm_buf_adds(b, ", ");
		pm_html_esc(b, json_string_value(v));
	}
}

static void fmt_change(char *out, size_t n, json_t *m)
{
	double ch = json_number_value(json_object_get(m, "change"));
	json_t *pct = json_object_get(m, "change_pct");

	if (json_is_number(pct))
		snprintf(out, n, "%+.2f (%+.1f%%) vs 7-day mean %.2f", ch, json_number_value(pct),
			 json_number_value(json_object_get(m, "mean_prev7")));
	else
		snprintf(out, n, "%+.2f vs 7-day mean %.2f", ch,
			 json_number_value(json_object_get(m, "mean_prev7")));
}

static void html_headline(json_t *d, struct pm_buf *b)
{
	static const char *const keys[] = { "articles", "outlets", "countries", "languages" };
	json_t *h = json_object_get(d, "headline");

	pm_buf_adds(b, "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr>");
	for (int i = 0; i < 4; i++) {
		json_t *m = json_object_get(h, keys[i]);
		char ch[128];
		fmt_change(ch, sizeof(ch), m);
		pm_buf_addf(b, "<td style=\"padding:8px;border:1px solid #c9d1dc;text-align:center;%s\">"
			       "<div style=\"font-size:26px;font-weight:bold;\">%lld</div>"
			       "<div style=\"%s\">%s</div><div style=\"%s\">",
			    css_text, (long long)json_integer_value(json_object_get(m, "count")),
			    css_muted, keys[i], css_muted);
		pm_html_esc(b, ch);
		pm_buf_adds(b, "</div></td>");
	}
	pm_buf_adds(b, "</tr></table>\n");
	pm_buf_addf(b, "<p style=\"%s\">Articles per day: ", css_muted);
	{
		size_t i;
		json_t *t;
		json_array_foreach(json_object_get(d, "trend"), i, t) {
			if (i)
				pm_buf_adds(b, " &middot; ");
			pm_html_esc(b, str(t, "date") + 5);
			pm_buf_addf(b, ": %lld", (long long)json_integer_value(json_object_get(t, "articles")));
		}
	}
	pm_buf_adds(b, "</p>\n");
}

static void html_stories(json_t *d, struct pm_buf *b)
{
	json_t *st = json_object_get(d, "stories"), *s;
	size_t i;

	h_h2(b, "Stories");
	if (!json_array_size(st)) {
		pm_buf_addf(b, "<p style=\"%s\">No articles on this day.</p>\n", css_muted);
		return;
	}
	pm_buf_adds(b, "<table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr>");
	h_th(b, "Story");
	h_th(b, "Articles");
	h_th(b, "Outlets");
	h_th(b, "Regions");
	h_th(b, "Languages");
	h_th(b, "First seen");
	pm_buf_adds(b, "</tr>\n");
	json_array_foreach(st, i, s) {
		char n[32];
		if (i >= MAX_STORIES_SHOWN)
			break;
		pm_buf_addf(b, "<tr><td style=\"%s\">", css_td);
		h_link(b, str(s, "headline"), str(s, "url"));
		pm_buf_adds(b, "</td>");
		snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(json_object_get(s, "articles")));
		h_td(b, n);
		pm_buf_addf(b, "<td style=\"%s\">", css_td);
		h_join(b, json_object_get(s, "outlets"));
		pm_buf_addf(b, "</td><td style=\"%s\">", css_td);
		h_join(b, json_object_get(s, "regions"));
		pm_buf_addf(b, "</td><td style=\"%s\">", css_td);
		h_join(b, json_object_get(s, "languages"));
		pm_buf_adds(b, "</td>");
		h_td(b, str(s, "first_seen"));
		pm_buf_adds(b, "</tr>\n");
	}
	pm_buf_adds(b, "</table>\n");
	if (json_array_size(st) > MAX_STORIES_SHOWN)
		pm_buf_addf(b, "<p style=\"%s\">and %zu more stories (see digest.json)</p>\n", css_muted,
			    json_array_size(st) - MAX_STORIES_SHOWN);
}

static void html_balance(json_t *d, struct pm_buf *b)
{
	static const char *const order[] = { "region", "type", "lang", "situation", "voice", "tone" };
	json_t *bal = json_object_get(d, "balance"), *lop = json_object_get(d, "lopsided");

	h_h2(b, "Balance");
	if (json_is_object(lop)) {
		pm_buf_addf(b, "<p style=\"%sfont-weight:bold;\">", css_text);
		pm_html_esc(b, str(lop, "text"));
		pm_buf_adds(b, "</p>\n");
	}
	for (int k = 0; k < 6; k++) {
		json_t *dim = json_object_get(bal, order[k]), *v;
		size_t i;
		pm_buf_addf(b, "<h3 style=\"font-size:15px;margin:14px 0 4px 0;%s\">", css_text);
		pm_html_esc(b, str(dim, "label"));
		pm_buf_adds(b, "</h3>\n");
		if (!json_array_size(json_object_get(dim, "values"))) {
			pm_buf_addf(b, "<p style=\"%s\">none</p>\n", css_muted);
			continue;
		}
		pm_buf_adds(b, "<table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\">\n");
		json_array_foreach(json_object_get(dim, "values"), i, v) {
			double share = json_number_value(json_object_get(v, "share"));
			int pct = (int)lround(share * 100);
			pm_buf_addf(b, "<tr><td style=\"%swidth:30%%;\">", css_td);
			pm_html_esc(b, str(v, "key"));
			pm_buf_addf(b, "</td><td style=\"%swidth:15%%;text-align:right;\">%lld (%d%%)</td>"
				       "<td style=\"%s\"><table role=\"presentation\" width=\"100%%\" cellpadding=\"0\" cellspacing=\"0\"><tr>"
				       "<td width=\"%d%%\" style=\"background:#3f7fc4;height:10px;font-size:1px;line-height:1px;\">&nbsp;</td>"
				       "<td style=\"font-size:1px;line-height:1px;\">&nbsp;</td></tr></table></td></tr>\n",
				    css_td, (long long)json_integer_value(json_object_get(v, "count")), pct,
				    css_td, pct < 1 ? 1 : pct);
		}
		pm_buf_adds(b, "</table>\n");
	}
}

static void html_misinfo(json_t *d, struct pm_buf *b)
{
	json_t *mi = json_object_get(d, "misinfo"), *c, *it;
	size_t i, j;

	h_h2(b, "Misinformation");
	if (!json_array_size(json_object_get(mi, "claims"))) {
		pm_buf_addf(b, "<p style=\"%s\">No article was flagged.</p>\n", css_muted);
		return;
	}
	json_array_foreach(json_object_get(mi, "claims"), i, c) {
		pm_buf_addf(b, "<h3 style=\"font-size:15px;margin:14px 0 4px 0;%s\">Claim: ", css_text);
		pm_html_esc(b, str(c, "claim"));
		pm_buf_addf(b, " (%lld)</h3>\n", (long long)json_integer_value(json_object_get(c, "count")));
		pm_buf_adds(b, "<table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr>");
		h_th(b, "Outlet");
		h_th(b, "Headline and sentence");
		h_th(b, "Verdict");
		h_th(b, "Correction");
		h_th(b, "Legal reference");
		pm_buf_adds(b, "</tr>\n");
		json_array_foreach(json_object_get(c, "items"), j, it) {
			pm_buf_adds(b, "<tr>");
			h_td(b, str(it, "outlet"));
			pm_buf_addf(b, "<td style=\"%s\">", css_td);
			h_link(b, str(it, "title"), str(it, "url"));
			pm_buf_addf(b, "<div style=\"%sfont-style:italic;\">&ldquo;", css_muted);
			pm_html_esc(b, str(it, "sentence"));
			pm_buf_adds(b, "&rdquo;</div></td>");
			h_td(b, str(it, "verdict"));
			h_td(b, str(it, "correction"));
			h_td(b, str(it, "reference"));
			pm_buf_adds(b, "</tr>\n");
		}
		pm_buf_adds(b, "</table>\n");
	}
}

static void html_unsc(json_t *d, struct pm_buf *b)
{
	json_t *u = json_object_get(d, "unsc"), *it;
	size_t i;

	h_h2(b, "Security Council watch");
	if (!json_array_size(u)) {
		pm_buf_addf(b, "<p style=\"%s\">No article on a referral or deferral.</p>\n", css_muted);
		return;
	}
	pm_buf_adds(b, "<table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr>");
	h_th(b, "Tag");
	h_th(b, "Outlet");
	h_th(b, "Headline");
	h_th(b, "Published");
	pm_buf_adds(b, "</tr>\n");
	json_array_foreach(u, i, it) {
		pm_buf_addf(b, "<tr><td style=\"%s\">", css_td);
		h_join(b, json_object_get(it, "tags"));
		pm_buf_adds(b, "</td>");
		h_td(b, str(it, "outlet"));
		pm_buf_addf(b, "<td style=\"%s\">", css_td);
		h_link(b, str(it, "title"), str(it, "url"));
		pm_buf_adds(b, "</td>");
		h_td(b, str(it, "published"));
		pm_buf_adds(b, "</tr>\n");
	}
	pm_buf_adds(b, "</table>\n");
}

static void html_feeds(json_t *d, struct pm_buf *b)
{
	static const char *const groups[] = { "failing", "disabled", "silent" };
	json_t *fh = json_object_get(d, "feed_health");

	h_h2(b, "Feed health");
	if (!json_is_true(json_object_get(fh, "given"))) {
		pm_buf_addf(b, "<p style=\"%s\">No feed state was available for this digest.</p>\n", css_muted);
		return;
	}
	for (int g = 0; g < 3; g++) {
		json_t *arr = json_object_get(fh, groups[g]), *f;
		size_t i;
		pm_buf_addf(b, "<p style=\"%s\"><b>%s</b> (%zu): ", css_text, groups[g], json_array_size(arr));
		if (!json_array_size(arr))
			pm_buf_adds(b, "none");
		json_array_foreach(arr, i, f) {
			if (i)
				pm_buf_adds(b, "; ");
			pm_html_esc(b, str(f, "name") ? str(f, "name") : str(f, "id"));
			if (str(f, "last_error")) {
				pm_buf_adds(b, " &mdash; ");
				pm_html_esc(b, str(f, "last_error"));
			}
		}
		pm_buf_adds(b, "</p>\n");
	}
}

void pm_digest_html(json_t *d, struct pm_buf *b)
{
	pm_buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		       "<meta name=\"color-scheme\" content=\"light dark\">\n"
		       "<meta name=\"supported-color-schemes\" content=\"light dark\">\n<title>");
	pm_buf_adds(b, "pressmon digest ");
	pm_html_esc(b, str(d, "date"));
	/* The light colours are inline (what every mail client keeps); this
	 * block only improves clients that honour prefers-color-scheme. */
	pm_buf_adds(b, "</title>\n<style>\n@media (prefers-color-scheme: dark) {\n"
		       "  body, .pm-body { background:#14181f !important; }\n"
		       "  .pm-body, .pm-body td, .pm-body p, .pm-body div, .pm-body h1, .pm-body h2, .pm-body h3 { color:#e4e9f0 !important; }\n"
		       "  .pm-body a { color:#8cc4ff !important; }\n}\n</style>\n</head>\n");
	pm_buf_addf(b, "<body style=\"margin:0;padding:0;background:#f4f6f9;\">\n"
		       "<table role=\"presentation\" width=\"100%%\" cellpadding=\"0\" cellspacing=\"0\" style=\"background:#f4f6f9;\"><tr><td align=\"center\">\n"
		       "<table class=\"pm-body\" role=\"presentation\" width=\"100%%\" cellpadding=\"0\" cellspacing=\"0\" style=\"max-width:860px;background:#ffffff;font-family:Arial,Helvetica,sans-serif;%s\"><tr><td style=\"padding:16px 20px;\">\n",
		    css_text);
	pm_buf_addf(b, "<h1 style=\"font-size:22px;margin:0 0 4px 0;%s\">ICC press digest &mdash; ", css_text);
	pm_html_esc(b, str(d, "date"));
	pm_buf_addf(b, "</h1>\n<p style=\"%s\">Local day in ", css_muted);
	pm_html_esc(b, str(d, "tz"));
	pm_buf_adds(b, " (");
	pm_html_esc(b, str(d, "from"));
	pm_buf_adds(b, " to ");
	pm_html_esc(b, str(d, "to"));
	pm_buf_adds(b, ")</p>\n");
	html_headline(d, b);
	html_stories(d, b);
	html_balance(d, b);
	html_misinfo(d, b);
	html_unsc(d, b);
	html_feeds(d, b);
	pm_buf_addf(b, "<p style=\"%smargin-top:24px;\">Written by pressmon from its archive. Tags come from explainable rules; check the evidence before quoting.</p>\n",
		    css_muted);
	pm_buf_adds(b, "</td></tr></table>\n</td></tr></table>\n</body></html>\n");
}

/* ---- Markdown ---- */

static void md_esc(struct pm_buf *b, const char *s)
{
	if (!s)
		return;
	for (; *s; s++) {
		if (*s == '\n' || *s == '\r' || *s == '\t') {
			pm_buf_addc(b, ' ');
			continue;
		}
		if (strchr("\\`*_[]()<>#|!~&", *s))
			pm_buf_addc(b, '\\');
		pm_buf_addc(b, *s);
	}
}

static void md_link(struct pm_buf *b, const char *title, const char *url)
{
	if (!title || !*title)
		title = "(untitled)";
	if (!pm_url_linkable(url)) {
		md_esc(b, title);
		return;
	}
	pm_buf_addc(b, '[');
	md_esc(b, title);
	pm_buf_adds(b, "](");
	for (; *url; url++) {
		if (*url == '(' || *url == ')' || *url == '<' || *url == '>' || *url == '\\')
			pm_buf_addf(b, "%%%02X", (unsigned char)*url);
		else
			pm_buf_addc(b, *url);
	}
	pm_buf_addc(b, ')');
}

static void md_join(struct pm_buf *b, json_t *arr)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		if (i)
			pm_buf_adds(b, ", ");
		md_esc(b, json_string_value(v));
	}
}

void pm_digest_md(json_t *d, struct pm_buf *b)
{
	static const char *const keys[] = { "articles", "outlets", "countries", "languages" };
	static const char *const order[] = { "region", "type", "lang", "situation", "voice", "tone" };
	json_t *h = json_object_get(d, "headline"), *v, *w;
	size_t i, j;

	pm_buf_adds(b, "# ICC press digest — ");
	md_esc(b, str(d, "date"));
	pm_buf_adds(b, "\n\nLocal day in ");
	md_esc(b, str(d, "tz"));
	pm_buf_adds(b, ".\n\n");
	for (int k = 0; k < 4; k++) {
		json_t *m = json_object_get(h, keys[k]);
		char ch[128];
		fmt_change(ch, sizeof(ch), m);
		pm_buf_addf(b, "- **%s**: %lld — ", keys[k], (long long)json_integer_value(json_object_get(m, "count")));
		md_esc(b, ch);
		pm_buf_addc(b, '\n');
	}
	pm_buf_adds(b, "\n## Stories\n\n");
	if (!json_array_size(json_object_get(d, "stories")))
		pm_buf_adds(b, "No articles on this day.\n");
	json_array_foreach(json_object_get(d, "stories"), i, v) {
		if (i >= MAX_STORIES_SHOWN) {
			pm_buf_addf(b, "- and %zu more stories (see digest.json)\n",
				    json_array_size(json_object_get(d, "stories")) - MAX_STORIES_SHOWN);
			break;
		}
		pm_buf_adds(b, "- ");
		md_link(b, str(v, "headline"), str(v, "url"));
		pm_buf_addf(b, " — %lld article(s); ", (long long)json_integer_value(json_object_get(v, "articles")));
		md_join(b, json_object_get(v, "outlets"));
		pm_buf_adds(b, "; regions: ");
		md_join(b, json_object_get(v, "regions"));
		pm_buf_adds(b, "; languages: ");
		md_join(b, json_object_get(v, "languages"));
		pm_buf_adds(b, "; first seen ");
		md_esc(b, str(v, "first_seen"));
		pm_buf_addc(b, '\n');
	}
	pm_buf_adds(b, "\n## Balance\n\n");
	if (json_is_object(json_object_get(d, "lopsided"))) {
		md_esc(b, str(json_object_get(d, "lopsided"), "text"));
		pm_buf_adds(b, "\n\n");
	}
	for (int k = 0; k < 6; k++) {
		json_t *dim = json_object_get(json_object_get(d, "balance"), order[k]);
		pm_buf_adds(b, "**");
		md_esc(b, str(dim, "label"));
		pm_buf_adds(b, "**: ");
		if (!json_array_size(json_object_get(dim, "values")))
			pm_buf_adds(b, "none");
		json_array_foreach(json_object_get(dim, "values"), j, w) {
			if (j)
				pm_buf_adds(b, ", ");
			md_esc(b, str(w, "key"));
			pm_buf_addf(b, " %lld (%d%%)", (long long)json_integer_value(json_object_get(w, "count")),
				    (int)lround(json_number_value(json_object_get(w, "share")) * 100));
		}
		pm_buf_adds(b, "\n\n");
	}
	pm_buf_adds(b, "## Misinformation\n\n");
	if (!json_array_size(json_object_get(json_object_get(d, "misinfo"), "claims")))
		pm_buf_adds(b, "No article was flagged.\n");
	json_array_foreach(json_object_get(json_object_get(d, "misinfo"), "claims"), i, v) {
		pm_buf_adds(b, "### Claim: ");
		md_esc(b, str(v, "claim"));
		pm_buf_addf(b, " (%lld)\n\n", (long long)json_integer_value(json_object_get(v, "count")));
		json_array_foreach(json_object_get(v, "items"), j, w) {
			pm_buf_adds(b, "- ");
			md_esc(b, str(w, "outlet"));
			pm_buf_adds(b, ": ");
			md_link(b, str(w, "title"), str(w, "url"));
			pm_buf_adds(b, "\n  > ");
			md_esc(b, str(w, "sentence"));
			pm_buf_adds(b, "\n  Verdict: ");
			md_esc(b, str(w, "verdict"));
			pm_buf_adds(b, ". Correction: ");
			md_esc(b, str(w, "correction"));
			pm_buf_adds(b, " (");
			md_esc(b, str(w, "reference"));
			pm_buf_adds(b, ")\n");
		}
		pm_buf_addc(b, '\n');
	}
	pm_buf_adds(b, "\n## Security Council watch\n\n");
	if (!json_array_size(json_object_get(d, "unsc")))
		pm_buf_adds(b, "No article on a referral or deferral.\n");
	json_array_foreach(json_object_get(d, "unsc"), i, v) {
		pm_buf_adds(b, "- ");
		md_join(b, json_object_get(v, "tags"));
		pm_buf_adds(b, ": ");
		md_esc(b, str(v, "outlet"));
		pm_buf_adds(b, " — ");
		md_link(b, str(v, "title"), str(v, "url"));
		pm_buf_addc(b, '\n');
	}
	pm_buf_adds(b, "\n## Feed health\n\n");
	{
		json_t *fh = json_object_get(d, "feed_health");
		static const char *const groups[] = { "failing", "disabled", "silent" };
		if (!json_is_true(json_object_get(fh, "given")))
			pm_buf_adds(b, "No feed state was available for this digest.\n");
		else
			for (int g = 0; g < 3; g++) {
				json_t *arr = json_object_get(fh, groups[g]);
				pm_buf_addf(b, "- **%s** (%zu): ", groups[g], json_array_size(arr));
				if (!json_array_size(arr))
					pm_buf_adds(b, "none");
				json_array_foreach(arr, j, w) {
					if (j)
						pm_buf_adds(b, "; ");
					md_esc(b, str(w, "name") ? str(w, "name") : str(w, "id"));
					if (str(w, "last_error")) {
						pm_buf_adds(b, " — ");
						md_esc(b, str(w, "last_error"));
					}
				}
				pm_buf_addc(b, '\n');
			}
	}
}
