/* tests/unit/test_parse: the parser on fixtures written for it (feeds,
 * hostile XML, a page), and tables for dates, URLs and fingerprints.
 * Run from the repository root (fixtures are read by relative path). */
#include "core/err.h"
#include "core/hash.h"
#include "core/mem.h"
#include "core/text.h"
#include "core/time.h"
#include "core/buf.h"
#include "parse/parse.h"
#include "parse/parse_int.h"
#include "testlib.h"

#include <curl/curl.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FIX "tests/fixtures/parse/"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f) {
		fprintf(stderr, "cannot open '%s'\n", path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = xmalloc((size_t)n + 1);
	*len = fread(buf, 1, (size_t)n, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static json_t *parse_file(const char *name, const char *url, const char *ctype)
{
	char path[256];
	size_t len;
	char *body;
	struct pm_err err;
	json_t *doc;

	snprintf(path, sizeof(path), FIX "%s", name);
	body = slurp(path, &len);
	pm_err_init(&err);
	doc = pm_parse_document(body, len, url, ctype, NULL, &err);
	free(body);
	if (!doc)
		fprintf(stderr, "parse '%s': %s\n", name, err.msg);
	return doc;
}

/* Borrowed string at a path like "entries.0.title" (NULL if absent/null). */
static const char *at(json_t *doc, const char *path)
{
	char buf[256], *save = NULL;
	json_t *cur = doc;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = strtok_r(buf, ".", &save); p && cur; p = strtok_r(NULL, ".", &save)) {
		if (json_is_array(cur))
			cur = json_array_get(cur, (size_t)atoi(p));
		else
			cur = json_object_get(cur, p);
	}
	return json_string_value(cur);
}

static void test_rss20(void)
{
	json_t *d = parse_file("rss20.xml", "https://ignored.example/feed", NULL);

	TEST("rss20");
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_STR(at(d, "format"), "rss20");
	CHECK(json_is_false(json_object_get(d, "bozo")));
	CHECK_STR(at(d, "encoding"), "utf-8");
	CHECK_STR(at(d, "feed.title"), "Example World Desk");
	CHECK_STR(at(d, "feed.link"), "https://news.example.org/world/"); /* xml:base */
	CHECK_STR(at(d, "feed.subtitle"), "Sample & test feed");
	CHECK_STR(at(d, "feed.language"), "en-GB");
	CHECK_STR(at(d, "feed.updated"), "2026-11-25T14:03:00Z");
	CHECK_STR(at(d, "entries.0.title"), "Judges confirm charges");
	CHECK_STR(at(d, "entries.0.link"),
		  "https://news.example.org/world/2026/11/judges-confirm.html?utm_source=rss&id=7#top");
	CHECK_STR(at(d, "entries.0.id"), "urn:example:1001");
	CHECK_STR(at(d, "entries.0.author"), "Ada Reporter");
	CHECK_STR(at(d, "entries.0.published"), "2026-11-25T14:03:00Z");
	CHECK_STR(at(d, "entries.0.summary"), "Short summary of the hearing.");
	CHECK_STR(at(d, "entries.0.content"), "First paragraph of the story.\n\nSecond paragraph & more.");
	CHECK_STR(at(d, "entries.0.categories.0.term"), "justice");
	CHECK_STR(at(d, "entries.0.categories.0.scheme"), "https://news.example.org/tags");
	CHECK_STR(at(d, "entries.0.categories.1.term"), "courts");
	CHECK_STR(at(d, "entries.0.enclosures.0.url"), "https://news.example.org/world/media/hearing.mp3");
	CHECK_INT(json_integer_value(json_object_get(
			  json_array_get(json_object_get(json_array_get(json_object_get(d, "entries"), 0),
							 "enclosures"), 0), "length")), 12345);
	/* a permalink GUID becomes the link; dc:date is the update time */
	CHECK_STR(at(d, "entries.1.link"), "https://news.example.org/world/2026/11/permalink.html");
	CHECK_STR(at(d, "entries.1.updated"), "2026-11-24T06:00:00Z");
	CHECK(at(d, "entries.1.published") == NULL);
	CHECK_INT(json_array_size(json_object_get(d, "entries")), 3);

	/* the pipeline view of the same feed */
	json_t *src = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", "ex", "name", "Example", "country", "GB",
				"region", "europe", "type", "public");
	json_t *tags = json_pack("[s]", "monitor");
	json_t *pages = NULL;
	json_t *arts = pm_articles_from_feed(d, src, "fr", tags, "2026-11-25T15:00:00Z", 1, &pages);
	TEST("articles_from_feed");
	CHECK_INT(json_array_size(arts), 2); /* the entry without link and guid is skipped */
	json_t *a0 = json_array_get(arts, 0);
	CHECK_STR(at(a0, "url"), "https://news.example.org/world/2026/11/judges-confirm.html?id=7");
	CHECK_STR(at(a0, "text"), "First paragraph of the story.\n\nSecond paragraph & more.");
	CHECK_STR(at(a0, "lang"), "en");
	CHECK_STR(at(a0, "source.region"), "europe");
	CHECK_STR(at(a0, "fetched"), "2026-11-25T15:00:00Z");
	CHECK_STR(at(a0, "feed_tags.0"), "monitor");
	CHECK(at(a0, "id") && strlen(at(a0, "id")) == 16);
	CHECK(at(a0, "fingerprint") && strlen(at(a0, "fingerprint")) == 16);
	char hex[17];
	pm_id_hex(pm_article_id(at(a0, "url"), NULL), hex);
	CHECK_STR(at(a0, "id"), hex);
	/* the same story with other tracking parameters has the same id */
	pm_id_hex(pm_article_id("HTTPS://News.Example.org:443/world/2026/11/judges-confirm.html?id=7&fbclid=x#c", NULL), hex);
	CHECK_STR(at(a0, "id"), hex);
	json_t *a1 = json_array_get(arts, 1);
	CHECK_STR(at(a1, "published"), "2026-11-24T06:00:00Z"); /* updated stands in */
	/* both entries are short: their pages get fetched */
	CHECK_INT(json_array_size(pages), 2);

	TEST("article_merge_page");
	json_t *page = json_pack("{s:s,s:s,s:s,s:s}", "kind", "page", "text",
				 "A much longer text from the article page itself, with many more words than the feed had.",
				 "byline", "Page Author", "lang", "en");
	json_t *m = pm_article_merge_page(a1, page);
	CHECK_STR(at(m, "text"), "A much longer text from the article page itself, with many more words than the feed had.");
	CHECK_STR(at(m, "author"), "Page Author");
	CHECK(strcmp(at(m, "fingerprint"), at(a1, "fingerprint")) != 0);
	CHECK_STR(at(a1, "text"), "Plain description only."); /* stub untouched */
	json_decref(m);
	json_decref(page);
	json_decref(arts);
	json_decref(pages);
	json_decref(src);
	json_decref(tags);
	json_decref(d);
}

static void test_atom10(void)
{
	json_t *d = parse_file("atom10.xml", NULL, "application/atom+xml");

	TEST("atom10");
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_STR(at(d, "format"), "atom10");
	CHECK(json_is_false(json_object_get(d, "bozo")));
	CHECK_STR(at(d, "feed.language"), "fr-FR");
	CHECK_STR(at(d, "feed.link"), "https://atom.example.net/blog/");
	CHECK_STR(at(d, "feed.subtitle"), "Un carnet de test");
	CHECK_STR(at(d, "entries.0.title"), "Audience & d\xC3\xA9" "cision");
	CHECK_STR(at(d, "entries.0.link"), "https://atom.example.net/blog/posts/audience.html");
	CHECK_STR(at(d, "entries.0.enclosures.0.url"), "https://atom.example.net/blog/media/photo.jpg");
	CHECK_STR(at(d, "entries.0.published"), "2026-11-25T08:30:00Z");
	CHECK_STR(at(d, "entries.0.author"), "Chlo\xC3\xA9 Auteur (chloe@example.net)");
	CHECK_STR(at(d, "entries.0.summary"), "R\xC3\xA9sum\xC3\xA9 en texte brut <pas de balise>");
	CHECK_STR(at(d, "entries.0.content"), "Premier paragraphe.\n\nSecond lien.");
	CHECK_STR(at(d, "entries.0.categories.0.label"), "Cour p\xC3\xA9nale");
	json_decref(d);
}

static void test_malformed(void)
{
	json_t *d = parse_file("malformed.xml", NULL, NULL);

	TEST("malformed");
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK(json_is_true(json_object_get(d, "bozo")));
	CHECK(at(d, "bozo_reason") != NULL);
	CHECK_STR(at(d, "encoding"), "iso-8859-1");
	CHECK_STR(at(d, "feed.title"), "Caf\xC3\xA9 & bare & ampersand");
	CHECK_INT(json_array_size(json_object_get(d, "entries")), 2);
	CHECK_STR(at(d, "entries.0.title"), "First \xE2\x80\xA6 entry");
	CHECK_STR(at(d, "entries.0.link"), "https://bad.example.com/a?x=1&y=2");
	/* windows-1252 bytes in a document labelled iso-8859-1 */
	CHECK_STR(at(d, "entries.1.title"),
		  "Second entry \xE2\x80\x93 windows-1252 quote: \xE2\x80\x9Cok\xE2\x80\x9D");
	json_decref(d);
}

static void test_xxe(void)
{
	json_t *d = parse_file("xxe.xml", NULL, NULL);
	char *dump;

	TEST("xxe and billion laughs");
	CHECK(d != NULL);
	if (!d)
		return;
	dump = json_dumps(d, JSON_COMPACT);
	CHECK(strstr(dump, "root:") == NULL);      /* /etc/passwd never read */
	CHECK(strstr(dump, "lollollol") == NULL);  /* nested entities never expanded */
	CHECK(strlen(dump) < 4096);
	CHECK(json_is_true(json_object_get(d, "bozo")));
	free(dump);
	json_decref(d);
}

static void test_json_feed(void)
{
	json_t *d = parse_file("feed.json", NULL, "application/feed+json");

	TEST("json feed");
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_STR(at(d, "format"), "json11");
	CHECK_STR(at(d, "entries.0.link"), "https://json.example.com/2026/11/nota.html");
	CHECK_STR(at(d, "entries.0.content"), "Texto de la nota.\n\nSegundo p\xC3\xA1rrafo.");
	CHECK_STR(at(d, "entries.0.published"), "2026-11-25T17:03:00Z");
	CHECK_STR(at(d, "entries.0.author"), "Autora Ejemplo");
	CHECK_STR(at(d, "entries.0.categories.1.term"), "onu");
	json_decref(d);
}

static void test_page(void)
{
	json_t *d = parse_file("page.html", "https://chronicle.example/world/story.html", "text/html");
	const char *text;

	TEST("page");
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_STR(at(d, "kind"), "page");
	CHECK_STR(at(d, "title"), "Chamber hears opening statements");
	CHECK_STR(at(d, "byline"), "Sam Writer");
	CHECK_STR(at(d, "published"), "2026-11-25T13:03:00Z");
	CHECK_STR(at(d, "lang"), "en-GB");
	CHECK_STR(at(d, "site_name"), "Example Chronicle");
	text = at(d, "text");
	CHECK(text != NULL);
	if (text) {
		CHECK(strstr(text, "The trial chamber opened the hearing") != NULL);
		CHECK(strstr(text, "adjourned the session shortly before noon.\n\nObservers") != NULL);
		CHECK(strstr(text, "Reader comment") == NULL);
		CHECK(strstr(text, "Another story") == NULL);
		CHECK(strstr(text, "sample product") == NULL);
		CHECK(strstr(text, "tracking") == NULL);
		CHECK(strstr(text, "Copyright") == NULL);
	}
	CHECK_STR(at(d, "links.0"), "https://chronicle.example/");
	json_decref(d);
}

/* ---- page extraction rules, each on a small page written for it -------- */

static json_t *page_of(const char *html)
{
	struct pm_err err;
	json_t *d;

	pm_err_init(&err);
	d = pm_parse_document(html, strlen(html), "https://news.example/a/story.html",
			      "text/html; charset=utf-8", NULL, &err);
	if (!d)
		fprintf(stderr, "page: %s\n", err.msg);
	return d ? d : json_object();
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *q = hay ? strstr(hay, needle) : NULL; q; q = strstr(q + 1, needle))
		n++;
	return n;
}

/* Three paragraphs of made-up article text for pages that need a body. */
#define BODY_P                                                                                      \
	"<p>The appeals chamber met on Tuesday, in a short session, to hear the parties on the "      \
	"schedule of the coming months, the translation of the record and the witnesses.</p>"      \
	"<p>Counsel for the victims asked, once more, for the hearings to be held closer to the "    \
	"affected communities, so that families could follow them without travelling far.</p>"   \
	"<p>The presiding judge said a decision on the venue, the dates and the interpretation "     \
	"would follow in writing, after the registry had reported on the costs involved.</p>"

static void test_page_rules(void)
{
	json_t *d;

	TEST("page: json-ld in CDATA, @type array, authors joined, offset to UTC");
	d = page_of("<html><head><title>Chamber sets a schedule - Example Courier</title>"
		    "<script type=\"application/ld+json\">\n  <![CDATA[\n"
		    "{\"@context\":\"https://schema.org\",\"@type\":[\"NewsArticle\",\"Thing\"],"
		    "\"headline\":\"Chamber sets a schedule\",\"datePublished\":\"2026-03-02T10:15:00+02:00\","
		    "\"author\":[{\"@type\":\"Person\",\"name\":\"Ana Ejemplo\"},{\"name\":\"Bo Sample\"}],"
		    "\"publisher\":{\"@type\":\"Organization\",\"name\":\"Example Courier\"}}\n  ]]>\n"
		    "</script></head><body><article>" BODY_P "</article></body></html>");
	CHECK_STR(at(d, "title"), "Chamber sets a schedule");
	CHECK_STR(at(d, "byline"), "Ana Ejemplo, Bo Sample");
	CHECK_STR(at(d, "published"), "2026-03-02T08:15:00Z");
	CHECK_STR(at(d, "site_name"), "Example Courier");
	json_decref(d);

	TEST("page: json-ld @graph, name vs headline by likeness to <title>");
	d = page_of("<html><head><title>Reparations order explained | Example Courier</title>"
		    "<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\",\"@graph\":["
		    "{\"@type\":\"WebSite\",\"name\":\"Example Courier\"},"
		    "{\"@type\":\"Article\",\"name\":\"Reparations order explained\","
		    "\"headline\":\"Explainer\",\"datePublished\":\"2026-01-05\"}]}</script>"
		    "</head><body>" BODY_P "</body></html>");
	CHECK_STR(at(d, "title"), "Reparations order explained");
	CHECK_STR(at(d, "published"), "2026-01-05T00:00:00Z");
	json_decref(d);
	d = page_of("<html><head><title>Reparations order explained | Example Courier</title>"
		    "<script type=\"application/ld+json\">{\"@type\":\"BlogPosting\",\"name\":\"Example Courier\","
		    "\"headline\":\"Reparations order explained\"}</script></head><body>" BODY_P "</body></html>");
	CHECK_STR(at(d, "title"), "Reparations order explained");
	json_decref(d);

	TEST("page: meta property wins over meta name, DC.Title is dc:title, og:title kept whole");
	d = page_of("<html><head><title>Ignored | Site</title>"
		    "<meta name=\"DC.Title\" content=\"Named title\">"
		    "<meta property=\"dc:title\" content=\"Property title\">"
		    "<meta name=\"author\" content=\"Name Author\">"
		    "<meta property=\"author\" content=\"Property Author\">"
		    "</head><body>" BODY_P "</body></html>");
	CHECK_STR(at(d, "title"), "Property title");
	CHECK_STR(at(d, "byline"), "Property Author");
	json_decref(d);
	d = page_of("<html><head><title>Ignored</title>"
		    "<meta property=\"og:title\" content=\"Deferral request refused | Example Courier\">"
		    "</head><body>" BODY_P "</body></html>");
	CHECK_STR(at(d, "title"), "Deferral request refused | Example Courier");
	json_decref(d);

	TEST("page: repeated author meta joined, og:article:author, URL authors skipped");
	d = page_of("<html><head><meta name=\"DC.Creator\" content=\"First, A.\">"
		    "<meta name=\"DC.Creator\" content=\"Second, B.\"></head><body>" BODY_P "</body></html>");
	CHECK_STR(at(d, "byline"), "First, A., Second, B.");
	json_decref(d);
	d = page_of("<html><head><meta property=\"article:author\" content=\"https://social.example/someone\">"
		    "<meta property=\"og:article:author\" content=\"Desk Reporter\"></head><body>" BODY_P
		    "</body></html>");
	CHECK_STR(at(d, "byline"), "Desk Reporter");
	json_decref(d);

	TEST("page: byline from markup — rel=author in an aside, By stripped, out of the text");
	d = page_of("<html><body><article>" BODY_P "<aside><p>By <a rel=\"author\" href=\"/staff/kim\">"
		    "Kim Writer</a></p></aside></article></body></html>");
	CHECK_STR(at(d, "byline"), "Kim Writer");
	json_decref(d);
	d = page_of("<html><body><div class=\"byline\">By Lee Reporter</div><article>" BODY_P
		    "</article></body></html>");
	CHECK_STR(at(d, "byline"), "Lee Reporter");
	CHECK(count_of(at(d, "text"), "Lee Reporter") == 0);
	json_decref(d);

	TEST("page: byline skips dates, forms and comment authors; itemprop=author names its person");
	d = page_of("<html><body><span class=\"dateline\">Sunday, Mar 1, 2026 11:57 AM UTC</span>"
		    "<form class=\"follow-author\"><button>Follow Author</button></form>"
		    "<div class=\"comment-author\">Anonymous reader</div>"
		    "<span class=\"author\" itemprop=\"author\" itemscope><span itemprop=\"name\">Rae Author</span>"
		    " &mdash; staff</span><article>" BODY_P "</article></body></html>");
	CHECK_STR(at(d, "byline"), "Rae Author");
	json_decref(d);

	TEST("page: published from microdata, <time pubdate>, DC.date.issued");
	d = page_of("<html><body><article><meta itemprop=\"datePublished\" content=\"2026-02-03T04:05:06-05:00\">"
		    BODY_P "</article></body></html>");
	CHECK_STR(at(d, "published"), "2026-02-03T09:05:06Z");
	json_decref(d);
	d = page_of("<html><body><header><time datetime=\"2020-01-01T00:00:00Z\">today</time></header>"
		    "<article><time pubdate datetime=\"2026-02-04T10:00:00Z\">4 Feb</time>" BODY_P
		    "</article></body></html>");
	CHECK_STR(at(d, "published"), "2026-02-04T10:00:00Z");
	json_decref(d);
	d = page_of("<html><body><header><time datetime=\"2020-01-01T00:00:00Z\">today</time></header>"
		    "<article><time datetime=\"2026-02-05T11:00:00Z\">5 Feb</time>" BODY_P
		    "</article></body></html>");
	CHECK_STR(at(d, "published"), "2026-02-05T11:00:00Z");
	json_decref(d);
	d = page_of("<html><head><meta name=\"DC.date.issued\" content=\"2026-02-06\"></head><body>" BODY_P
		    "</body></html>");
	CHECK_STR(at(d, "published"), "2026-02-06T00:00:00Z");
	json_decref(d);

	TEST("page: hidden blocks dropped however the style is written");
	d = page_of("<html><body><article>" BODY_P
		    "<div style=\"visibility: hidden;\"><p>Secret one, a paragraph long enough, with commas, "
		    "to be scored as content if it were shown.</p></div>"
		    "<div style=\"DISPLAY : None\"><p>Secret two, a paragraph long enough, with commas, "
		    "to be scored as content if it were shown.</p></div></article></body></html>");
	CHECK(at(d, "text") && strstr(at(d, "text"), "appeals chamber") != NULL);
	CHECK(count_of(at(d, "text"), "Secret") == 0);
	json_decref(d);

	TEST("page: each kept block once, source line breaks are spaces");
	d = page_of("<html><body><article><h1>Head</h1><div><p>The first block, written across\n"
		    "two lines of source, with commas, long enough to count as text.</p>" BODY_P "</div>"
		    "<h2>More</h2><div><p>The second block, with its own words, commas, and length enough "
		    "to be kept beside the first.</p>" BODY_P "</div></article></body></html>");
	CHECK(count_of(at(d, "text"), "The second block") == 1);
	CHECK(count_of(at(d, "text"), "The first block") == 1);
	CHECK(count_of(at(d, "text"), "written across two lines") == 1);
	json_decref(d);

	TEST("page: an article split into close-scored sections is kept whole");
#define STEP(n)                                                                                    \
	"<div class=\"step\"><div class=\"sc\"><div class=\"content\"><p>Step " n " of the guide, "   \
	"explained at length, with commas, so that it scores, like the others, about as well as its " \
	"neighbours do.</p></div><figure><img src=\"/i.jpg\"></figure></div></div>"
	d = page_of("<html><body><div id=\"page\">" STEP("one")
		    "<div class=\"related\"><ul><li><a href=\"/x\">Another story</a></li></ul></div>"
		    STEP("two") STEP("three") STEP("four") "</div></body></html>");
#undef STEP
	for (int i = 0; i < 4; i++) {
		static const char *const steps[] = { "Step one", "Step two", "Step three", "Step four" };
		CHECK(count_of(at(d, "text"), steps[i]) == 1);
	}
	CHECK(count_of(at(d, "text"), "Another story") == 0);
	json_decref(d);

	TEST("page: name vs headline on megabyte titles stays linear (the comparison is cut)");
	{
		struct pm_buf b;
		pm_buf_init(&b, 0);
		pm_buf_adds(&b, "<html><head><title>");
		for (int i = 0; i < 60000; i++)
			pm_buf_addf(&b, "w%d ", i);
		pm_buf_adds(&b, "</title><script type=\"application/ld+json\">{\"@type\":\"Article\",\"name\":\"");
		for (int i = 0; i < 60000; i++)
			pm_buf_addf(&b, "w%d ", i);
		pm_buf_adds(&b, "\",\"headline\":\"Short headline\"}</script></head><body>" BODY_P "</body></html>");
		int64_t t0 = pm_mono_ms();
		d = page_of(pm_buf_str(&b));
		CHECK(pm_mono_ms() - t0 < 10000);
		CHECK(at(d, "title") && !strncmp(at(d, "title"), "w0 w1 w2", 8));
		json_decref(d);
		pm_buf_release(&b);
	}
}

static void test_inline(void)
{
	struct pm_err err;
	json_t *d;
	/* UTF-16LE with BOM */
	static const char u16[] = "\xFF\xFE<\0r\0s\0s\0>\0<\0c\0h\0a\0n\0n\0e\0l\0>\0<\0t\0i\0t\0l\0e\0>\0"
				  "\xE9\0<\0/\0t\0i\0t\0l\0e\0>\0<\0/\0c\0h\0a\0n\0n\0e\0l\0>\0<\0/\0r\0s\0s\0>\0";
	TEST("utf-16 bom");
	d = pm_parse_document(u16, sizeof(u16) - 1, NULL, NULL, NULL, &err);
	CHECK(d != NULL);
	CHECK_STR(at(d, "encoding"), "utf-16le");
	CHECK_STR(at(d, "feed.title"), "\xC3\xA9");
	json_decref(d);

	TEST("feed text: <object> fallback and text after a void <embed> are kept");
	static const char emb[] = "<rss version=\"2.0\"><channel><item><description>before&lt;embed src=\"x\"&gt; after "
				  "&lt;object data=\"y\"&gt;fallback&lt;/object&gt;</description></item></channel></rss>";
	d = pm_parse_document(emb, sizeof(emb) - 1, NULL, "application/rss+xml", NULL, &err);
	CHECK(d != NULL);
	CHECK_STR(at(d, "entries.0.summary"), "before after fallback");
	json_decref(d);

	TEST("http charset rules");
	static const char latin[] = "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss><channel><title>caf\xE9</title></channel></rss>";
	d = pm_parse_document(latin, sizeof(latin) - 1, NULL, "application/rss+xml", NULL, &err);
	CHECK_STR(at(d, "encoding"), "iso-8859-1");
	CHECK_STR(at(d, "feed.title"), "caf\xC3\xA9");
	CHECK(json_is_false(json_object_get(d, "bozo")));
	json_decref(d);
	/* text/xml without charset is us-ascii (RFC 3023): the byte does not fit */
	d = pm_parse_document(latin, sizeof(latin) - 1, NULL, "text/xml", NULL, &err);
	CHECK(json_is_true(json_object_get(d, "bozo")));
	json_decref(d);
	d = pm_parse_document(latin, sizeof(latin) - 1, NULL, "application/xml; charset=\"utf-8\"", NULL, &err);
	CHECK(json_is_true(json_object_get(d, "bozo")));
	CHECK_STR(at(d, "feed.title"), "caf\xC3\xA9");
	json_decref(d);

	TEST("rss versions");
	static const struct { const char *doc, *format; } versions[] = {
		{ "<rss version=\"0.91\"><channel/></rss>", "rss091u" },
		{ "<!DOCTYPE rss PUBLIC \"-//Netscape Communications//DTD RSS 0.91//EN\" \"http://my.netscape.com/publish/formats/rss-0.91.dtd\"><rss version=\"0.91\"><channel/></rss>", "rss091n" },
		{ "<rss version=\"0.92\"><channel/></rss>", "rss092" },
		{ "<rss version=\"0.93\"><channel/></rss>", "rss093" },
		{ "<rss version=\"0.94\"><channel/></rss>", "rss094" },
		{ "<rss version=\"2.0\"><channel/></rss>", "rss20" },
		{ "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\"><channel/></rdf:RDF>", "rss10" },
		{ "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://my.netscape.com/rdf/simple/0.9/\"><channel/></rdf:RDF>", "rss090" },
		{ "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"/>", "atom03" },
		{ "<feed xmlns=\"http://www.w3.org/2005/Atom\"/>", "atom10" },
		{ "{\"version\":\"https://jsonfeed.org/version/1\",\"items\":[]}", "json10" },
	};
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		d = pm_parse_document(versions[i].doc, strlen(versions[i].doc), NULL, NULL, NULL, &err);
		CHECK_STR(at(d, "format"), versions[i].format);
		json_decref(d);
	}

	TEST("not a feed");
	d = pm_parse_document("{\"a\":1}", 7, NULL, NULL, NULL, &err);
	CHECK(d == NULL);
	CHECK_INT(err.code, PM_EINPUT);
	d = pm_parse_document("", 0, NULL, NULL, NULL, &err);
	CHECK(d != NULL && json_is_true(json_object_get(d, "bozo")));
	json_decref(d);
}

static void test_dates(void)
{
	static const struct { const char *in, *want; } t[] = {
		{ "Wed, 25 Nov 2026 14:03:00 GMT", "2026-11-25T14:03:00Z" },
		{ "Wed, 25 Nov 2026 14:03:00 +0100", "2026-11-25T13:03:00Z" },
		{ "Wed, 25 Nov 2026 14:03:00 -0500", "2026-11-25T19:03:00Z" },
		{ "Wed, 25 Nov 2026 14:03:00 EST", "2026-11-25T19:03:00Z" },
		{ "Wed, 25 Nov 2026 14:03:00 PDT", "2026-11-25T21:03:00Z" },
		{ "Wed, 25 Nov 2026 14:03 GMT", "2026-11-25T14:03:00Z" },       /* no seconds */
		{ "25 Nov 2026 14:03:00 UT", "2026-11-25T14:03:00Z" },          /* no day name, UT */
		{ "Wed, 25 Nov 26 14:03:00 GMT", "2026-11-25T14:03:00Z" },       /* 2-digit year */
		{ "Wednesday, 25 Nov 2026 14:03:00 GMT", "2026-11-25T14:03:00Z" },
		{ "Wed., 25 Nov. 2026 14:03:00 GMT", "2026-11-25T14:03:00Z" },
		{ "Wed, 25 Nov 2026 14:03:00 +0000 (UTC)", "2026-11-25T14:03:00Z" },
		{ "2026-11-25T14:03:00Z", "2026-11-25T14:03:00Z" },
		{ "2026-11-25T14:03:00.123456+01:00", "2026-11-25T13:03:00Z" },
		{ "2026-11-25T14:03:00-0230", "2026-11-25T16:33:00Z" },
		{ "2026-11-25T14:03Z", "2026-11-25T14:03:00Z" },
		{ "2026-11-25 14:03:00", "2026-11-25T14:03:00Z" },
		{ "2026-11-25", "2026-11-25T00:00:00Z" },
		{ "2026-11", "2026-11-01T00:00:00Z" },
		{ "20261125T140300Z", "2026-11-25T14:03:00Z" },
		{ "  2026-11-25T14:03:00+00:00  ", "2026-11-25T14:03:00Z" },
		/* other languages, and the breakage curl does not read */
		{ "mer., 25 nov. 2026 14:03:00 +0100", "2026-11-25T13:03:00Z" },
		{ "mercredi 25 novembre 2026 à 14 h 03", "2026-11-25T14:03:00Z" },
		{ "1er décembre 2026", "2026-12-01T00:00:00Z" },
		{ "mar., 3 mars 2026", "2026-03-03T00:00:00Z" },     /* mardi, then March */
		{ "27 mar 2026 14:03", "2026-03-27T14:03:00Z" },     /* March alone */
		{ "mié, 25 nov 2026 14:03:00 -0300", "2026-11-25T17:03:00Z" },
		{ "25 de noviembre de 2026", "2026-11-25T00:00:00Z" },
		{ "quarta-feira, 25 de novembro de 2026 às 14h03", "2026-11-25T14:03:00Z" },
		{ "Mi., 25. Nov. 2026 14:03:00 +0100", "2026-11-25T13:03:00Z" },
		{ "Mittwoch, 4. März 2026, 09:15 Uhr", "2026-03-04T09:15:00Z" },
		{ "mercoledì 25 novembre 2026 14:03", "2026-11-25T14:03:00Z" },
		{ "woensdag 25 november 2026 14:03", "2026-11-25T14:03:00Z" },
		{ "Ср, 25 ноя 2026 14:03:00 +0300", "2026-11-25T11:03:00Z" },
		{ "25 ноября 2026 года в 14:03 MSK", "2026-11-25T11:03:00Z" },
		{ "4 марта 2026 г., 09:15", "2026-03-04T09:15:00Z" },
		{ "الأربعاء 25 نوفمبر 2026 14:03", "2026-11-25T14:03:00Z" },
		{ "25 listopada 2026 14:03", "2026-11-25T14:03:00Z" },
		{ "25 Kasım 2026 Çarşamba 14:03", "2026-11-25T14:03:00Z" },
		{ "Rabu, 25 November 2026 14:03 WIB", "2026-11-25T07:03:00Z" },
		{ "2026年11月25日 14:03", "2026-11-25T14:03:00Z" },
		{ "2026년 11월 25일 14시 03분", "2026-11-25T14:03:00Z" },
		{ "Wednesday, November 25, 2026 2:03 PM", "2026-11-25T14:03:00Z" },
		{ "2 p.m. Nov 25, 2026", "2026-11-25T14:00:00Z" },
		{ "12:30 am, 25 Nov 2026", "2026-11-25T00:30:00Z" },
		{ "November 25, 2026", "2026-11-25T00:00:00Z" },
		{ "25.11.2026 14:03", "2026-11-25T14:03:00Z" },
		{ "2026/11/25 14:03:00", "2026-11-25T14:03:00Z" },
		{ "Wed, 25 Nov 2026 14:03:00.123 +0000", "2026-11-25T14:03:00Z" },
		{ "Wed, 25 Nov 2026 14:03:00 +05:30", "2026-11-25T08:33:00Z" },
		{ "25 Nov 2026 14:03:00 GMT+2", "2026-11-25T12:03:00Z" },
		{ "Wed Nov 25 2026 14:03:00 GMT+0100 (Central European Standard Time)",
		  "2026-11-25T13:03:00Z" }, /* JavaScript's Date */
		{ "Wed, 25 Nov 2026 14:03:00 GMT-0500", "2026-11-25T19:03:00Z" },
		{ "25/11/2026 14:03", "2026-11-25T14:03:00Z" },
		{ "11/25/2026", "2026-11-25T00:00:00Z" },
		{ "Posted on November 25, 2026 at 2:03 pm", "2026-11-25T14:03:00Z" },
		{ "Updated: 25 Nov 2026", "2026-11-25T00:00:00Z" },
	};
	static const char *const bad[] = { "", "yesterday", "2026-13-45", "not a date at all", "99999999999999999999",
					   /* a word nobody knows, an ambiguous zone, a day alone */
					   "25 foo 2026", "Wed, 25 Nov 2026 14:03:00 IST", "mercredi",
					   "il y a 3 heures", "13 pm 25 Nov 2026", "25.13.2026",
					   "11/05/2026" /* May or November */ };
	time_t tt;
	char iso[32];

	TEST("dates");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = pm_parse_date(t[i].in, &tt);
		CHECK_INT(r, 0);
		if (!r) {
			struct tm tm;
			gmtime_r(&tt, &tm);
			strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
			if (strcmp(iso, t[i].want))
				fprintf(stderr, "  date '%s'\n", t[i].in);
			CHECK_STR(iso, t[i].want);
		}
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = pm_parse_date(bad[i], &tt);
		if (r == 0)
			fprintf(stderr, "  accepted '%s'\n", bad[i]);
		CHECK_INT(r, -1);
	}
	/* the word table is looked up by bsearch on folded words: each entry
	 * must be its own fold (one word) and the order strcmp's */
	const char *w, *prev = NULL;
	int kind;
	size_t n = 0;
	for (size_t i = 0; (w = pm_date_word_at(i, &kind)); i++, n++) {
		char *f = pm_text_fold(w, strlen(w));
		if (strcmp(f, w))
			fprintf(stderr, "  date word '%s' folds to '%s'\n", w, f);
		CHECK_STR(f, w);
		free(f);
		if (prev && strcmp(prev, w) >= 0)
			fprintf(stderr, "  date words '%s', '%s' out of order\n", prev, w);
		CHECK(!prev || strcmp(prev, w) < 0);
		CHECK(kind >= -1 && kind <= 12);
		prev = w;
	}
	CHECK(n > 300);
}

/* The shortcut for URLs that are canonical already must say what curl's
 * path says, on the forms it takes and on the near misses it must not. */
static void test_url_shortcut(void)
{
	static const char *const heads[] = {
		"https://example.com", "http://example.com", "https://news.example.co.uk",
		"https://a-b.example", "https://x1.example", "https://example.com.", "https://Example.com",
		"https://127.0.0.1", "https://10.1", "https://example.0x1", "https://a..b.example",
		"https://.example.com", "https://example.com:443", "https://example.com:8080",
		"https://u@example.com", "HTTPS://example.com", "https://example-.com", "https://xn--bcher-kva.example",
	};
	static const char *const paths[] = {
		"", "/", "/a/b", "/2026/11/27/story-00012", "/a//b", "/a/./b", "/a/../b", "/a/.", "/.well-known/x",
		"/a.b/c.html", "/~user/x", "/A_B-c~d", "/a%20b", "/a b", "/a#frag", "/a/", "/..", "/a.",
		"/caf\xc3\xa9", "/a+b", "/a:b", "/a@b", "/a,b",
	};
	static const char *const queries[] = {
		"", "?", "?id=3", "?id=3&x=4", "?id=3&&x=4", "?id=3&", "?&id=3", "?utm_source=rss",
		"?id=3&utm_medium=x", "?fbclid=1", "?a.b=c", "?a=b=c", "?a", "?a=%41", "?a=b#f", "?a=b c",
		"?UTM_SOURCE=x", "?a=1;b=2",
	};
	char url[256];
	int diff = 0, n = 0;

	TEST("url canonical: the shortcut and curl agree");
	for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++)
		for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++)
			for (size_t q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
				snprintf(url, sizeof(url), "%s%s%s", heads[h], paths[p], queries[q]);
				char *a = pm_url_canonical(url), *b = pm_url_canonical_curl(url);
				if (!a || !b || strcmp(a, b)) {
					if (diff++ < 5)
						fprintf(stderr, "  '%s': '%s' vs curl '%s'\n", url,
							a ? a : "(null)", b ? b : "(null)");
				}
				n++;
				free(a);
				free(b);
			}
	CHECK_INT(diff, 0);
	CHECK(n > 7000);
}

static void test_urls(void)
{
	static const struct { const char *in, *want; } canon[] = {
		{ "HTTP://Example.COM:80/a/b?x=1#frag", "http://example.com/a/b?x=1" },
		{ "https://example.com:443/", "https://example.com/" },
		{ "https://example.com:8443/p", "https://example.com:8443/p" },
		{ "https://example.com/p?utm_source=rss&utm_medium=feed&id=3&fbclid=abc", "https://example.com/p?id=3" },
		{ "https://example.com/p?gclid=1&mc_cid=2&mc_eid=3", "https://example.com/p" },
		{ "https://example.com", "https://example.com/" },
		{ "https://example.com/a/../b/./c", "https://example.com/b/c" },
		{ "https://user:pw@example.com/x", "https://example.com/x" },
		{ "  https://example.com/trim  ", "https://example.com/trim" },
		{ "file:///srv/feeds/a.xml", "file:///srv/feeds/a.xml" },
		{ "urn:uuid:1234", "urn:uuid:1234" },
	};
	static const struct { const char *base, *ref, *want; } res[] = {
		{ "https://example.com/a/b.html", "c.html", "https://example.com/a/c.html" },
		{ "https://example.com/a/b.html", "/root", "https://example.com/root" },
		{ "https://example.com/a/b.html", "../up", "https://example.com/up" },
		{ "https://example.com/a/b.html", "//cdn.example.net/x", "https://cdn.example.net/x" },
		{ "https://example.com/a/b.html", "?q=1", "https://example.com/a/b.html?q=1" },
		{ "https://example.com/a/", "http://other.example/", "http://other.example/" },
		{ NULL, "relative/only", "relative/only" },
	};
	char *s;

	TEST("url canonical");
	for (size_t i = 0; i < sizeof(canon) / sizeof(canon[0]); i++) {
		s = pm_url_canonical(canon[i].in);
		CHECK_STR(s, canon[i].want);
		free(s);
	}
	CHECK(pm_url_canonical("relative/path") == NULL);
	CHECK(pm_url_canonical(NULL) == NULL);

	TEST("url resolve");
	for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++) {
		s = pm_url_resolve(res[i].base, res[i].ref);
		CHECK_STR(s, res[i].want);
		free(s);
	}

	TEST("article id");
	CHECK(pm_article_id("https://example.com/a?utm_source=x", NULL) == pm_article_id("https://EXAMPLE.com/a#top", NULL));
	CHECK(pm_article_id("https://example.com/a", NULL) != pm_article_id("https://example.com/b", NULL));
	CHECK(pm_article_id(NULL, "urn:guid:1") == pm_hash64_str("urn:guid:1"));
	CHECK(pm_article_id(NULL, NULL) == 0);
}

static void test_fingerprint(void)
{
	const char *a = "The judges of the trial chamber confirmed the charges against the accused on Tuesday, "
			"saying the evidence was sufficient to establish substantial grounds to believe that he "
			"committed the crimes, and sent the case to trial before a new chamber next year.";
	const char *b = "The judges of the trial chamber confirmed the charges against the accused on Tuesday, "
			"saying the evidence was sufficient to establish substantial grounds to believe that he "
			"committed the crimes, and sent the case to trial before a new chamber early next year.";
	const char *c = "Heavy rain flooded the valley overnight and farmers counted the losses in the morning, "
			"while the regional weather office warned of more storms over the weekend and schools "
			"stayed closed as roads remained under water in several villages.";

	TEST("fingerprint");
	uint64_t fa = pm_fingerprint(a, strlen(a)), fb = pm_fingerprint(b, strlen(b)),
		 fc = pm_fingerprint(c, strlen(c));
	CHECK(fa != 0);
	CHECK(pm_fingerprint_distance(fa, fa) == 0);
	CHECK(pm_fingerprint_distance(fa, fb) <= 10);
	CHECK(pm_fingerprint_distance(fa, fc) >= 18);
	/* case and markup-free punctuation do not matter */
	const char *upper = "THE JUDGES OF THE TRIAL CHAMBER confirmed the charges";
	const char *lower = "the judges of the trial chamber, confirmed the charges!";
	CHECK(pm_fingerprint(upper, strlen(upper)) == pm_fingerprint(lower, strlen(lower)));
	CHECK(pm_fingerprint("", 0) == 0);
	CHECK(pm_fingerprint("one", 3) != 0);
}

/* SimHash as written down: +1 or -1 per bit per 3-shingle; the parser's
 * faster counting must give the same value, stored ids depend on it. */
static uint64_t simhash_reference(const char *text)
{
	struct pm_tokens t;
	struct pm_buf sh;
	int64_t v[64] = { 0 };
	uint64_t fp = 0;
	size_t n;

	pm_tokens_init(&t);
	pm_text_tokenize(text, strlen(text), &t);
	pm_buf_init(&sh, 0);
	n = t.n >= 3 ? t.n - 2 : (t.n ? 1 : 0);
	for (size_t i = 0; i < n; i++) {
		pm_buf_reset(&sh);
		for (size_t k = i; k < i + 3 && k < t.n; k++) {
			if (k > i)
				pm_buf_addc(&sh, ' ');
			pm_buf_adds(&sh, pm_token_str(&t, k));
		}
		uint64_t h = pm_hash64(sh.data, sh.len);
		for (int b = 0; b < 64; b++)
			v[b] += (h >> b) & 1 ? 1 : -1;
	}
	for (int b = 0; n && b < 64; b++)
		if (v[b] > 0)
			fp |= (uint64_t)1 << b;
	pm_buf_release(&sh);
	pm_tokens_release(&t);
	return fp;
}

/* pm_text_squash as specified (white space runs to one space, or to a line
 * or paragraph break), over random mixes of words, spaces, tabs, newlines,
 * no-break spaces and paragraph separators: feed text goes through it, and
 * its shortcuts must not change a byte. */
static void test_squash_reference(void)
{
	static const char *const atoms[] = { "a", "bc", " ", " ", "\n", "\t", "\xC2\xA0", "\xE2\x80\xA9",
					     "\xC3\xA9", ".", "x y", "\r\n", "\r", "\x01", "long words here" };
	unsigned seed = 7;
	int bad = 0;

	TEST("squash equals the plain white-space folding");
	for (int round = 0; round < 3000; round++) {
		struct pm_buf in, want;
		size_t natoms = (size_t)(round % 61);
		int keep = round & 1, newlines = 0, in_space = 0;

		pm_buf_init(&in, 0);
		pm_buf_init(&want, 0);
		pm_buf_add(&want, "", 0);
		pm_buf_add(&in, "", 0);
		for (size_t i = 0; i < natoms; i++) {
			seed = seed * 1103515245u + 12345u;
			pm_buf_adds(&in, atoms[(seed >> 16) % (round < 1500 ? 11 : 15)]);
		}
		for (size_t i = 0; i < in.len;) {
			unsigned char c = (unsigned char)in.data[i];
			/* the display form first: CR LF and CR are newlines, other
			 * C0 controls go */
			if (c == '\r' && in.data[i + 1] == '\n') {
				i++;
				continue;
			}
			if (c == '\r')
				c = '\n';
			if (c < 0x20 && c != '\n' && c != '\t') {
				i++;
				continue;
			}
			size_t k = c < 0x80 ? 1 : c < 0xE0 ? 2 : 3;
			int nl = c == '\n' || (k == 3 && !memcmp(in.data + i, "\xE2\x80\xA9", 3));
			int sp = nl || c == ' ' || c == '\t' || (k == 2 && !memcmp(in.data + i, "\xC2\xA0", 2));
			if (sp) {
				in_space = 1;
				newlines += nl;
			} else {
				if (in_space && want.len)
					pm_buf_adds(&want, keep && newlines >= 2 ? "\n\n" : keep && newlines ? "\n" : " ");
				in_space = 0;
				newlines = 0;
				pm_buf_add(&want, in.data + i, k);
			}
			i += k;
		}
		char *got = pm_text_squash(in.data, in.len, keep);
		if (strcmp(got, want.data) && bad++ < 3)
			fprintf(stderr, "  squash('%s', %d) = '%s', want '%s'\n", in.data, keep, got, want.data);
		free(got);
		pm_buf_release(&in);
		pm_buf_release(&want);
	}
	CHECK_INT(bad, 0);
}

/* The shortcut for "Wed, 18 Nov 2026 21:16:00 +0000" must answer as
 * curl_getdate does on what the general path hands it (commas blanked),
 * for valid dates and for the near misses it leaves to curl. */
static void test_date_shortcut(void)
{
	static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Xyz", "mon" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
					      "Aug", "Sep", "Oct", "Nov", "Dec", "Foo", "nov" };
	static const char *const zones[] = { "GMT", "+0000", "-0000", "+0530", "-0800", "+1400", "+1500",
					     "-0960", "UT", "Z", "EST", "+00", "GMT+1", "utc" };
	static const int years[] = { 1969, 1970, 1999, 2000, 2024, 2026, 2100, 2999, 3000 };
	unsigned seed = 99;
	int bad = 0, fast = 0;

	TEST("dates: the RFC 822 shortcut and curl_getdate agree");
	for (int i = 0; i < 20000; i++) {
		char s[96], munged[96];
		time_t t;
		unsigned r[7];
		for (int k = 0; k < 7; k++) {
			seed = seed * 1103515245u + 12345u;
			r[k] = seed >> 8;
		}
		snprintf(s, sizeof(s), "%s, %02u %s %d %02u:%02u:%02u %s", days[r[0] % 9], r[1] % 33,
			 months[r[2] % 14], years[r[3] % 9], r[4] % 26, r[5] % 61, (r[5] >> 8) % 62,
			 zones[r[6] % 14]);
		snprintf(munged, sizeof(munged), "%s", s);
		for (char *c = munged; *c; c++)
			if (*c == ',')
				*c = ' ';
		time_t want = curl_getdate(munged, NULL);
		/* curl reads "GMT+1" as GMT and drops the "+1"; pm_parse_date
		 * takes it as UTC+1, as people and JavaScript write it */
		if (want != (time_t)-1 && r[6] % 14 == 12)
			want -= 3600;
		int rc = pm_parse_date(s, &t);
		if (rc == 0 && r[6] % 14 < 6)
			fast++;
		if ((rc == 0 ? t : (time_t)-1) != want && bad++ < 5)
			fprintf(stderr, "  '%s': %lld, curl %lld\n", s, rc == 0 ? (long long)t : -1LL,
				(long long)want);
	}
	CHECK_INT(bad, 0);
	CHECK(fast > 1000);
}

static void test_json_text(void)
{
	static const char *const ok[] = { "", "plain", "caf\xC3\xA9 \xE2\x80\x94 \xF0\x9F\x98\x80" };
	static const char *const bad[] = { "\xC3", "a\xC0\xAF\x62", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xFF" };

	TEST("pm_json_text is json_string with a faster check");
	for (size_t i = 0; i < 3; i++) {
		json_t *a = pm_json_text(ok[i]), *b = json_string(ok[i]);
		CHECK(a && b && json_equal(a, b));
		json_decref(a);
		json_decref(b);
	}
	for (size_t i = 0; i < 5; i++) {
		CHECK(json_string(bad[i]) == NULL);
		CHECK(pm_json_text(bad[i]) == NULL);
	}
}

/* Text of one text node is read in place, without the capped buffer; the
 * cap must still act as it did (a node past it is left out, a node within
 * it is cut to max_text). */
static void test_text_caps(void)
{
	char feed[2048], x[101];
	struct pm_parse_opts o = { .max_text = 10 };
	struct pm_err e;
	json_t *j, *en;

	TEST("text caps: in place as through the buffer");
	memset(x, 'x', 100);
	x[100] = '\0';
	snprintf(feed, sizeof(feed),
		 "<rss version=\"2.0\"><channel><title>%.41s</title><item><title>%.40s</title>"
		 "<author>%.20s</author><description>%.41s</description><guid>%.21s</guid></item>"
		 "</channel></rss>", x, x, x, x, x);
	pm_err_init(&e);
	j = pm_parse_document(feed, strlen(feed), NULL, NULL, &o, &e);
	en = json_array_get(json_object_get(j, "entries"), 0);
	CHECK(json_is_null(json_object_get(json_object_get(j, "feed"), "title")));
	CHECK_STR(json_string_value(json_object_get(en, "title")), "xxxxxxxxxx");
	CHECK_STR(json_string_value(json_object_get(en, "author")), "xxxxxxxxxx");
	CHECK(json_is_null(json_object_get(en, "summary")));
	CHECK(json_is_null(json_object_get(en, "id")));
	json_decref(j);
}

/* HTML read in place as UTF-8 must still ignore the encoding a fragment
 * or page names for itself: the text is UTF-8 by then. */
static void test_html_in_place(void)
{
	static const struct { const char *doc, *ctype, *field, *want; } cases[] = {
		{ "<rss version=\"2.0\"><channel><item><guid>a</guid><description>&lt;meta charset=\"iso-8859-1\"&gt;"
		  "&lt;p&gt;caf\xC3\xA9 &amp;eacute; \xE2\x80\x94 ok&lt;/p&gt;</description></item></channel></rss>",
		  NULL, "summary", "caf\xC3\xA9 \xC3\xA9 \xE2\x80\x94 ok" },
		{ "<rss version=\"2.0\"><channel><item><guid>a</guid><description>&lt;meta http-equiv=\"Content-Type\" "
		  "content=\"text/html; charset=windows-1251\"&gt;&lt;b&gt;\xD0\x9F\xD1\x80\xD0\xB8&lt;/b&gt; x"
		  "</description></item></channel></rss>",
		  NULL, "summary", "\xD0\x9F\xD1\x80\xD0\xB8\n\nx" },
		{ "<rss version=\"2.0\"><channel><item><guid>a</guid><description>&lt;?xml version=\"1.0\" "
		  "encoding=\"latin1\"?&gt;&lt;p&gt;na\xC3\xAFve&lt;/p&gt;</description></item></channel></rss>",
		  NULL, "summary", "na\xC3\xAFve" },
		{ "<rss version=\"2.0\"><channel><item><guid>a</guid><description>\xC3\xA9&lt;p&gt;x&lt;/p&gt;"
		  "</description></item></channel></rss>",
		  NULL, "summary", "\xC3\xA9\n\nx" },
		{ "<html><head><meta charset=\"iso-8859-1\"><title>caf\xC3\xA9</title></head><body><article><p>Le "
		  "caf\xC3\xA9 est ouvert \xE2\x80\x94 depuis toujours, dit-on.</p></article></body></html>",
		  "text/html; charset=utf-8", "text", "Le caf\xC3\xA9 est ouvert \xE2\x80\x94 depuis toujours, dit-on." },
	};
	struct pm_err e;

	TEST("HTML read in place keeps ignoring the encoding it names");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j, *o;
		pm_err_init(&e);
		j = pm_parse_document(cases[i].doc, strlen(cases[i].doc), NULL, cases[i].ctype, NULL, &e);
		o = json_array_get(json_object_get(j, "entries"), 0);
		if (!o)
			o = j;
		CHECK_STR(json_string_value(json_object_get(o, cases[i].field)), cases[i].want);
		json_decref(j);
	}
}

static void test_fingerprint_reference(void)
{
	static const char *const words[] = { "court", "judges", "warrant", "Darfur", "référé",
					     "الجنائية", "суд", "7", "the", "of" };
	struct pm_buf b;
	unsigned seed = 12345;

	TEST("fingerprint equals the plain SimHash (short and long texts)");
	pm_buf_init(&b, 0);
	/* 0 to 2,000 words: below one shingle, and past the 255 shingles a
	 * byte counter holds, several times */
	for (size_t words_n = 0; words_n <= 2000; words_n += words_n < 8 ? 1 : 251) {
		pm_buf_reset(&b);
		for (size_t i = 0; i < words_n; i++) {
			seed = seed * 1103515245u + 12345u;
			pm_buf_adds(&b, words[(seed >> 16) % 10]);
			pm_buf_addc(&b, i % 17 == 16 ? '.' : ' ');
		}
		CHECK(pm_fingerprint(b.data ? b.data : "", b.len) ==
		      (b.len ? simhash_reference(b.data) : 0));
	}
	/* long words: shingles longer than the fingerprint's stack buffer */
	pm_buf_reset(&b);
	for (int i = 0; i < 12; i++) {
		for (int k = 0; k < 90 + 20 * i; k++)
			pm_buf_addc(&b, (char)('a' + (i + k) % 26));
		pm_buf_addc(&b, ' ');
	}
	CHECK(pm_fingerprint(b.data, b.len) == simhash_reference(b.data));
	/* every shingle the same: all counters reach n, none may wrap */
	pm_buf_reset(&b);
	for (int i = 0; i < 3000; i++)
		pm_buf_adds(&b, "icc ");
	CHECK(pm_fingerprint(b.data, b.len) == simhash_reference(b.data));
	CHECK(pm_fingerprint(b.data, b.len) == pm_hash64("icc icc icc", 11));
	pm_buf_release(&b);
}

/* one kept parser context for a feed's fragments gives each the text a
 * fresh context gives it, whatever came before (non-ASCII, broken markup,
 * a named charset, a cut-off tag, nothing) */
static void test_html_reuse(void)
{
	static const char *const frags[] = {
		"<p>The Court said <b>on Monday</b> &amp; more</p>",
		"<p>\xD0\x9D\xD0\xB5\xD0\xB2\xD0\xB8\xD0\xB4 &amp; \xD0\xB1\xD1\x80\xD0\xBE\xD0\xBD\xD1\x8F</p>",
		"<meta charset=\"iso-8859-1\"><p>caf\xC3\xA9</p>",
		"\xC3\xA9<p>first byte not ASCII</p>",
		"<div><p>unclosed <i>italic<p>next <script>var x = '<p>';</script>tail",
		"<table><tr><td>a<td>b</table><ul><li>one<li>two</ul>",
		"<p>bad \xFF byte</p>",
		"<?xml version=\"1.0\" encoding=\"latin1\"?><p>na\xC3\xAFve</p>",
		"<p>x</p><",
		"<p>&eacute;&hellip;&#8212;&#x1F600;&bogus; &</p>",
		"<br>",
		"<!-- only a comment -->",
		"<p>\xE4\xB8\xAD\xE6\x96\x87 \xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\xD8\xA9</p>",
	};
	const size_t n = sizeof(frags) / sizeof(frags[0]);
	struct pm_html_reuse h = { NULL };
	int same = 0;

	TEST("one HTML context per feed: each fragment's text unchanged");
	for (size_t r = 0; r < 3; r++)
		for (size_t i = 0; i < n; i++) {
			/* a different order each round */
			const char *f = frags[(i * (r + 1) + r) % n];
			for (int para = 0; para < 2; para++) {
				char *want = pm_html_fragment_text(f, strlen(f), para, 1000);
				char *got = pm_html_fragment_text_in(&h, f, strlen(f), para, 1000, 0);
				if ((!want && !got) || (want && got && !strcmp(want, got)))
					same++;
				else
					fprintf(stderr, "fragment %zu: want \"%s\", got \"%s\"\n", i,
						want ? want : "(null)", got ? got : "(null)");
				free(want);
				free(got);
			}
		}
	CHECK_INT(same, (int)(3 * n * 2));
	CHECK(h.plain != NULL);
	pm_html_reuse_release(&h);
	CHECK(h.plain == NULL);
	pm_html_reuse_release(&h);
	pm_html_reuse_release(NULL);
}

/* The walker finds an element's class by bsearch in a table sorted by
 * name: an entry added out of order would be missed silently. */
static void test_tag_table(void)
{
	static const char *const listed[] = {
		"address", "article", "aside", "blockquote", "body", "br", "button", "caption",
		"center", "dd", "details", "dialog", "dir", "div", "dl", "dt", "fieldset",
		"figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
		"head", "header", "hgroup", "hr", "html", "iframe", "legend", "li", "main", "menu",
		"nav", "noscript", "ol", "p", "pre", "script", "section", "select", "style",
		"summary", "table", "tbody", "td", "template", "textarea", "tfoot", "th", "thead",
		"tr", "ul",
	};
	char up[16];

	TEST("markup walker: every listed element is found, in any case");
	for (size_t i = 0; i < sizeof(listed) / sizeof(listed[0]); i++) {
		size_t n = strlen(listed[i]);
		CHECK(pm_html_tag_listed(listed[i]));
		for (size_t k = 0; k <= n; k++)
			up[k] = (char)(listed[i][k] >= 'a' && listed[i][k] <= 'z' ? listed[i][k] - 32 : listed[i][k]);
		CHECK(pm_html_tag_listed(up));
	}
	CHECK(!pm_html_tag_listed("span"));
	CHECK(!pm_html_tag_listed("a"));
	CHECK(!pm_html_tag_listed("blockquoteblockquote"));
}

/* One struct pm_parser for a stream of documents, as a parse worker uses
 * it: each document's output must be what a fresh parser gives, whatever
 * came before (entities declared, encodings, base URLs, errors and bozo
 * state of the previous document must not leak into the next). */
struct reuse_doc {
	const char *body;
	size_t len;
	const char *url, *ctype;
};

static char *dump_or_err(json_t *o, const struct pm_err *e)
{
	return o ? json_dumps(o, JSON_COMPACT) : xasprintf("NULL %d %s", e->code, e->msg);
}

static int same_as_fresh(struct pm_parser *p, const struct reuse_doc *d, int verbose)
{
	struct pm_err e1, e2;
	json_t *a, *b;
	char *x, *y;
	int same;

	pm_err_init(&e1);
	pm_err_init(&e2);
	a = pm_parse_document_with(p, d->body, d->len, d->url, d->ctype, NULL, &e1);
	b = pm_parse_document(d->body, d->len, d->url, d->ctype, NULL, &e2);
	x = dump_or_err(a, &e1);
	y = dump_or_err(b, &e2);
	same = x && y && !strcmp(x, y);
	if (!same && verbose)
		fprintf(stderr, "reused: %.300s\nfresh:  %.300s\n", x ? x : "?", y ? y : "?");
	free(x);
	free(y);
	json_decref(a);
	json_decref(b);
	return same;
}

static void test_parser_reuse(void)
{
	static const char with_entity[] =
		"<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY who \"the Registry\">]>\n"
		"<rss version=\"2.0\"><channel><title>Notes from &who;</title>"
		"<link>/desk/</link><item><title>Hearing set by &who;</title>"
		"<link>items/1.html</link><guid isPermaLink=\"false\">n-1</guid>"
		"<description>&lt;p&gt;A short &lt;b&gt;note&lt;/b&gt;.&lt;/p&gt;</description>"
		"</item></channel></rss>";
	/* the same entity used without its declaration, an unclosed element
	 * and a bare ampersand: bozo */
	static const char broken[] =
		"<rss version=\"2.0\"><channel><title>Said by &who; & others</title>"
		"<item><title>Unclosed <b>bold</title><link>b.html</link>"
		"<description>Text &eacute;t&eacute; &bogus;</description></item>"
		"<item><title>Second</title></channel>";
	/* iso-8859-1 bytes, declared in the XML declaration */
	static const char latin[] =
		"<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss version=\"0.91\"><channel>"
		"<title>Caf\xE9 cr\xE8me</title><item><title>D\xE9" "cision \x93rendue\x94</title>"
		"<link>http://latin.example.org/d</link></item></channel></rss>";
	/* UTF-16LE with a BOM: "<feed xmlns=...><title>Z</title></feed>" */
	char u16[512];
	size_t u16len = 0;
	static const char atom[] =
		"<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"http://atom.example.net/root/\">"
		"<title type=\"html\">&lt;i&gt;Atom&lt;/i&gt; desk</title>"
		"<entry xml:base=\"sub/\"><id>urn:x:1</id><title>One</title>"
		"<link href=\"one.html\"/><updated>2026-03-01T10:00:00+01:00</updated>"
		"<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Body "
		"<b>text</b></p></div></content></entry></feed>";
	/* valid UTF-8 whose first byte is not ASCII: the other read path */
	static const char nonascii_first[] =
		"\xC3\xA9<rss version=\"2.0\"><channel><title>x</title></channel></rss>";
	static const char page[] =
		"<!DOCTYPE html><html lang=\"fr\"><head><title>Une page - Site</title>"
		"<meta property=\"og:site_name\" content=\"Site\"></head><body><article><p>"
		"Le texte de la page, assez long pour compter comme un article entier.</p>"
		"</article></body></html>";
	static const char json[] =
		"{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"J\",\"items\":"
		"[{\"id\":\"1\",\"url\":\"/j/1\",\"content_html\":\"<p>Hi &amp; bye</p>\"}]}";
	const char *const fixtures[] = { "rss20.xml", "atom10.xml", "malformed.xml", "xxe.xml",
					 "page.html", "feed.json" };
	struct reuse_doc docs[32];
	char *fixture_data[6];
	size_t nd = 0, checked = 0;
	int same = 0;
	struct pm_parser *p = pm_parser_new();
	unsigned long long seed = 7;

	{
		const char *t = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Z</title></feed>";
		u16[u16len++] = (char)0xFF;
		u16[u16len++] = (char)0xFE;
		for (; *t; t++) {
			u16[u16len++] = *t;
			u16[u16len++] = 0;
		}
	}
	docs[nd++] = (struct reuse_doc){ with_entity, sizeof(with_entity) - 1,
					 "https://a.example.org/feeds/main.xml", "application/rss+xml" };
	docs[nd++] = (struct reuse_doc){ broken, sizeof(broken) - 1, "http://b.example.com/x/", NULL };
	docs[nd++] = (struct reuse_doc){ latin, sizeof(latin) - 1, NULL, "text/xml" };
	docs[nd++] = (struct reuse_doc){ latin, sizeof(latin) - 1, NULL, NULL };
	docs[nd++] = (struct reuse_doc){ u16, u16len, NULL, NULL };
	docs[nd++] = (struct reuse_doc){ atom, sizeof(atom) - 1, "http://other.example/", NULL };
	docs[nd++] = (struct reuse_doc){ nonascii_first, sizeof(nonascii_first) - 1, NULL, NULL };
	docs[nd++] = (struct reuse_doc){ page, sizeof(page) - 1, "http://p.example.fr/a/b", "text/html" };
	docs[nd++] = (struct reuse_doc){ json, sizeof(json) - 1, "http://j.example/feed.json", NULL };
	docs[nd++] = (struct reuse_doc){ "", 0, NULL, NULL };
	docs[nd++] = (struct reuse_doc){ "<rss><channel><title>cut", 24, NULL, NULL };
	for (size_t i = 0; i < 6; i++) {
		char path[256];
		size_t len;
		snprintf(path, sizeof(path), FIX "%s", fixtures[i]);
		fixture_data[i] = slurp(path, &len);
		docs[nd++] = (struct reuse_doc){ fixture_data[i], len, "http://fix.example/f/", NULL };
	}

	TEST("one parser for a stream of documents: A, B, A gives A's output both times");
	/* A, broken B, A; A, latin B, A; ... every pair, then a long
	 * random order */
	for (size_t a = 0; a < nd; a++)
		for (size_t b = 0; b < nd; b++) {
			same += same_as_fresh(p, &docs[a], same == (int)checked);
			same += same_as_fresh(p, &docs[b], same == (int)checked + 1);
			same += same_as_fresh(p, &docs[a], same == (int)checked + 2);
			checked += 3;
		}
	for (int r = 0; r < 500; r++) {
		same += same_as_fresh(p, &docs[tl_rand(&seed, (unsigned)nd)], same == (int)checked);
		checked++;
	}
	CHECK_INT(same, (int)checked);
	CHECK(p->xml != NULL);
	CHECK(p->docs > 0);

	TEST("one parser: the dictionary of names is bounded, the output unchanged");
	{
		/* documents of 3,000 made-up element names each: the context's
		 * dictionary keeps them all until it is dropped */
		struct pm_buf b;
		int ok = 0;
		pm_buf_init(&b, 0);
		for (int d = 0; d < 12; d++) {
			struct reuse_doc big;
			pm_buf_reset(&b);
			pm_buf_adds(&b, "<rss version=\"2.0\"><channel><title>names</title>");
			for (int k = 0; k < 3000; k++)
				pm_buf_addf(&b, "<x%d_%d_padding_padding_padding_padding_padding/>", d, k);
			pm_buf_adds(&b, "<item><title>t</title><link>http://n.example/</link></item>"
					"</channel></rss>");
			big = (struct reuse_doc){ b.data, b.len, NULL, NULL };
			ok += same_as_fresh(p, &big, 1);
			ok += same_as_fresh(p, &docs[0], 1);
		}
		CHECK_INT(ok, 24);
		CHECK(xmlDictGetUsage(p->xml->dict) < ((size_t)2 << 20));
		pm_buf_release(&b);
	}
	pm_parser_free(p);
	pm_parser_free(NULL);
	for (size_t i = 0; i < 6; i++)
		free(fixture_data[i]);
}

/* text (UTF-8) in encoding enc, by iconv; NULL if iconv cannot */
static char *encode_as(const char *text, const char *enc, size_t *outlen)
{
	size_t inleft = strlen(text), cap = inleft * 2 + 8, outleft = cap;
	char *in = (char *)text, *buf = xmalloc(cap), *o = buf;
	iconv_t cd = iconv_open(enc, "UTF-8");

	if (cd == (iconv_t)-1 || iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1) {
		if (cd != (iconv_t)-1)
			iconv_close(cd);
		free(buf);
		return NULL;
	}
	iconv_close(cd);
	*outlen = (size_t)(o - buf);
	return buf;
}

/* A feed whose item title is text in enc, with no encoding declared (or
 * decl as the XML declaration's encoding), parsed; NULL if iconv cannot. */
static json_t *feed_in(const char *text, const char *enc, const char *decl)
{
	struct pm_buf b;
	struct pm_err err;
	size_t n;
	char *bytes = encode_as(text, enc, &n);
	json_t *d;

	if (!bytes)
		return NULL;
	pm_buf_init(&b, 0);
	if (decl) {
		pm_buf_adds(&b, "<?xml version=\"1.0\" encoding=\"");
		pm_buf_adds(&b, decl);
		pm_buf_adds(&b, "\"?>\n");
	}
	pm_buf_adds(&b, "<rss version=\"2.0\"><channel><title>t</title><item><title>");
	pm_buf_add(&b, bytes, n);
	pm_buf_adds(&b, "</title><link>https://example.org/a</link></item></channel></rss>\n");
	free(bytes);
	pm_err_init(&err);
	d = pm_parse_document(b.data, b.len, NULL, NULL, NULL, &err);
	pm_buf_release(&b);
	return d;
}

/* Undeclared legacy encodings: the guess is taken for East Asian and
 * non-Latin scripts, windows-1252 stays for Latin ones. */
static void test_charset_guess(void)
{
	static const char ja[] =
		"\xE5\x9B\xBD\xE9\x9A\x9B\xE5\x88\x91\xE4\xBA\x8B\xE8\xA3\x81\xE5\x88\xA4\xE6\x89\x80"
		"\xE3\x81\xAF\xE3\x80\x81\xE9\x9B\x86\xE5\x9B\xA3\xE6\xAE\xBA\xE5\xAE\xB3\xE7\x8A\xAF"
		"\xE7\xBD\xAA\xE3\x80\x81\xE4\xBA\xBA\xE9\x81\x93\xE3\x81\xAB\xE5\xAF\xBE\xE3\x81\x99"
		"\xE3\x82\x8B\xE7\x8A\xAF\xE7\xBD\xAA\xE3\x80\x81\xE6\x88\xA6\xE4\xBA\x89\xE7\x8A\xAF"
		"\xE7\xBD\xAA\xE3\x81\x8A\xE3\x82\x88\xE3\x81\xB3\xE4\xBE\xB5\xE7\x95\xA5\xE7\x8A\xAF"
		"\xE7\xBD\xAA\xE3\x81\xAB\xE3\x81\xA4\xE3\x81\x84\xE3\x81\xA6\xE5\x80\x8B\xE4\xBA\xBA"
		"\xE3\x81\xAE\xE5\x88\x91\xE4\xBA\x8B\xE8\xB2\xAC\xE4\xBB\xBB\xE3\x82\x92\xE8\xBF\xBD"
		"\xE5\x8F\x8A\xE3\x81\x99\xE3\x82\x8B\xE5\xB8\xB8\xE8\xA8\xAD\xE3\x81\xAE\xE8\xA3\x81"
		"\xE5\x88\xA4\xE6\x89\x80\xE3\x81\xA7\xE3\x81\x99\xE3\x80\x82";
	static const char ko[] =
		"\xEA\xB5\xAD\xEC\xA0\x9C\xED\x98\x95\xEC\x82\xAC\xEC\x9E\xAC\xED\x8C\x90\xEC\x86\x8C"
		"\xEB\x8A\x94 \xEC\xA7\x91\xEB\x8B\xA8\xEC\x82\xB4\xED\x95\xB4\xEC\xA3\x84, \xEC\x9D\xB8"
		"\xEB\x8F\x84\xEC\x97\x90 \xEB\xB0\x98\xED\x95\x9C \xEC\xA3\x84, \xEC\xA0\x84\xEC\x9F\x81"
		"\xEB\xB2\x94\xEC\xA3\x84 \xEB\xB0\x8F \xEC\xB9\xA8\xEB\x9E\xB5\xEB\xB2\x94\xEC\xA3\x84"
		"\xEC\x97\x90 \xEB\x8C\x80\xED\x95\x98\xEC\x97\xAC \xEA\xB0\x9C\xEC\x9D\xB8\xEC\x9D\x98 "
		"\xED\x98\x95\xEC\x82\xAC\xEC\xB1\x85\xEC\x9E\x84\xEC\x9D\x84 \xEB\xAC\xBB\xEB\x8A\x94 "
		"\xEC\x83\x81\xEC\x84\xA4 \xEC\x9E\xAC\xED\x8C\x90\xEC\x86\x8C\xEC\x9E\x85\xEB\x8B\x88"
		"\xEB\x8B\xA4.";
	static const char zh[] =
		"\xE5\x9B\xBD\xE9\x99\x85\xE5\x88\x91\xE4\xBA\x8B\xE6\xB3\x95\xE9\x99\xA2\xE6\x98\xAF"
		"\xE4\xB8\x80\xE4\xB8\xAA\xE5\xB8\xB8\xE8\xAE\xBE\xE6\xB3\x95\xE9\x99\xA2\xEF\xBC\x8C"
		"\xE8\xB4\x9F\xE8\xB4\xA3\xE5\xAE\xA1\xE5\x88\xA4\xE8\xA2\xAB\xE6\x8E\xA7\xE7\x8A\xAF"
		"\xE6\x9C\x89\xE7\x81\xAD\xE7\xBB\x9D\xE7\xA7\x8D\xE6\x97\x8F\xE7\xBD\xAA\xE3\x80\x81"
		"\xE5\x8D\xB1\xE5\xAE\xB3\xE4\xBA\xBA\xE7\xB1\xBB\xE7\xBD\xAA\xE3\x80\x81\xE6\x88\x98"
		"\xE4\xBA\x89\xE7\xBD\xAA\xE5\x92\x8C\xE4\xBE\xB5\xE7\x95\xA5\xE7\xBD\xAA\xE7\x9A\x84"
		"\xE4\xB8\xAA\xE4\xBA\xBA\xE3\x80\x82\xE6\xB3\x95\xE9\x99\xA2\xE8\xAE\xBE\xE5\x9C\xA8"
		"\xE8\x8D\xB7\xE5\x85\xB0\xE6\xB5\xB7\xE7\x89\x99\xE3\x80\x82";
	static const char ru[] =
		"\xD0\x9C\xD0\xB5\xD0\xB6\xD0\xB4\xD1\x83\xD0\xBD\xD0\xB0\xD1\x80\xD0\xBE\xD0\xB4\xD0\xBD"
		"\xD1\x8B\xD0\xB9 \xD1\x83\xD0\xB3\xD0\xBE\xD0\xBB\xD0\xBE\xD0\xB2\xD0\xBD\xD1\x8B\xD0\xB9 "
		"\xD1\x81\xD1\x83\xD0\xB4 \xD0\xBF\xD1\x80\xD0\xB5\xD1\x81\xD0\xBB\xD0\xB5\xD0\xB4\xD1\x83"
		"\xD0\xB5\xD1\x82 \xD0\xBE\xD1\x82\xD0\xB4\xD0\xB5\xD0\xBB\xD1\x8C\xD0\xBD\xD1\x8B\xD1\x85 "
		"\xD0\xBB\xD0\xB8\xD1\x86 \xD0\xB7\xD0\xB0 \xD0\xB3\xD0\xB5\xD0\xBD\xD0\xBE\xD1\x86\xD0\xB8"
		"\xD0\xB4 \xD0\xB8 \xD0\xB2\xD0\xBE\xD0\xB5\xD0\xBD\xD0\xBD\xD1\x8B\xD0\xB5 \xD0\xBF\xD1\x80"
		"\xD0\xB5\xD1\x81\xD1\x82\xD1\x83\xD0\xBF\xD0\xBB\xD0\xB5\xD0\xBD\xD0\xB8\xD1\x8F. \xD0\xA1"
		"\xD0\xBE\xD0\xB2\xD0\xB5\xD1\x82 \xD0\x91\xD0\xB5\xD0\xB7\xD0\xBE\xD0\xBF\xD0\xB0\xD1\x81"
		"\xD0\xBD\xD0\xBE\xD1\x81\xD1\x82\xD0\xB8 \xD0\xBC\xD0\xBE\xD0\xB6\xD0\xB5\xD1\x82 \xD0\xBF"
		"\xD0\xB5\xD1\x80\xD0\xB5\xD0\xB4\xD0\xB0\xD1\x82\xD1\x8C \xD1\x81\xD0\xB8\xD1\x82\xD1\x83"
		"\xD0\xB0\xD1\x86\xD0\xB8\xD1\x8E \xD0\xBF\xD1\x80\xD0\xBE\xD0\xBA\xD1\x83\xD1\x80\xD0\xBE"
		"\xD1\x80\xD1\x83 \xD1\x81\xD1\x83\xD0\xB4\xD0\xB0.";
	static const char fr[] =
		"La Cour p\xC3\xA9nale internationale juge des personnes, pas des \xC3\x89tats. Le "
		"Conseil de s\xC3\xA9" "curit\xC3\xA9 peut d\xC3\xA9" "f\xC3\xA9rer une situation au "
		"procureur, m\xC3\xAAme quand l'\xC3\x89tat concern\xC3\xA9 n'a pas ratifi\xC3\xA9 le Statut.";
	static const struct {
		const char *text, *enc, *want;
	} cases[] = {
		{ ja, "EUC-JP", "euc-jp" },
		{ ja, "SHIFT_JIS", "shift_jis" },
		{ ko, "EUC-KR", "euc-kr" },
		{ zh, "GB2312", "gb2312" },
		{ ru, "WINDOWS-1251", "windows-1251" },
		/* Latin script: the detector's guess is not taken */
		{ fr, "WINDOWS-1252", "windows-1252" },
		{ fr, "ISO-8859-15", "windows-1252" },
	};
	struct pm_decoded dec;
	size_t n;
	char *bytes, *page;

	TEST("charset guess");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *d = feed_in(cases[i].text, cases[i].enc, NULL);
		CHECK(d != NULL);
		if (!d)
			continue;
		CHECK_STR(at(d, "encoding"), cases[i].want);
		CHECK(json_is_true(json_object_get(d, "bozo")));
		CHECK_STR(at(d, "entries.0.title"), cases[i].text);
		json_decref(d);
	}
	/* declared as UTF-8, but it is not: the bytes are looked at too */
	json_t *d = feed_in(ja, "SHIFT_JIS", "utf-8");
	CHECK(d != NULL);
	if (d) {
		CHECK_STR(at(d, "encoding"), "shift_jis");
		CHECK_STR(at(d, "entries.0.title"), ja);
		CHECK_STR(at(d, "bozo_reason"), "document declared as utf-8, but parsed as shift_jis");
		json_decref(d);
	}
	/* a declared encoding that fits is never second-guessed */
	d = feed_in(ru, "KOI8-R", "koi8-r");
	CHECK(d != NULL);
	if (d) {
		CHECK_STR(at(d, "encoding"), "koi8-r");
		CHECK(json_is_false(json_object_get(d, "bozo")));
		json_decref(d);
	}
	/* an HTML page without a charset anywhere */
	bytes = encode_as(ru, "WINDOWS-1251", &n);
	CHECK(bytes != NULL);
	if (bytes) {
		struct pm_buf b;
		pm_buf_init(&b, 0);
		pm_buf_adds(&b, "<html><head><title>x</title></head><body><p>");
		pm_buf_add(&b, bytes, n);
		pm_buf_adds(&b, "</p></body></html>");
		page = pm_buf_detach(&b, &n);
		pm_decode_other(page, n, "text/html", 1, &dec);
		CHECK_STR(dec.encoding, "windows-1251");
		CHECK(dec.len > 0 && pm_find(dec.text, dec.len, ru, strlen(ru)) != NULL);
		pm_decoded_release(&dec);
		free(page);
		free(bytes);
	}
}

/* UTF-8 with a stray byte stays UTF-8: the byte becomes U+FFFD, the rest
 * of the text is kept (not all of it read as windows-1252). */
static void test_utf8_lossy(void)
{
	static const char ru[] =
		"\xD0\xA1\xD0\xBE\xD0\xB2\xD0\xB5\xD1\x82 \xD0\x91\xD0\xB5\xD0\xB7\xD0\xBE"
		"\xD0\xBF\xD0\xB0\xD1\x81\xD0\xBD\xD0\xBE\xD1\x81\xD1\x82\xD0\xB8";
	struct pm_decoded dec;
	struct pm_err err;
	char doc[512], want[256];
	json_t *d;

	TEST("utf-8 with bad bytes");
	/* one windows-1252 e-acute amid UTF-8 Cyrillic, declared and not */
	for (int declared = 0; declared < 2; declared++) {
		snprintf(doc, sizeof(doc),
			 "%s<rss version=\"2.0\"><channel><item><title>%s caf\xE9 %s</title>"
			 "<link>https://example.org/a</link></item></channel></rss>",
			 declared ? "<?xml version=\"1.0\" encoding=\"utf-8\"?>" : "", ru, ru);
		pm_err_init(&err);
		d = pm_parse_document(doc, strlen(doc), NULL, NULL, NULL, &err);
		CHECK(d != NULL);
		if (!d)
			continue;
		snprintf(want, sizeof(want), "%s caf\xEF\xBF\xBD %s", ru, ru);
		CHECK_STR(at(d, "encoding"), "utf-8");
		CHECK_STR(at(d, "entries.0.title"), want);
		CHECK(json_is_true(json_object_get(d, "bozo")));
		CHECK(at(d, "bozo_reason") && strstr(at(d, "bozo_reason"), "1 invalid bytes"));
		json_decref(d);
	}
	/* a page with a character cut short */
	snprintf(doc, sizeof(doc), "<html><body><p>%s \xD0</p><p>%s</p></body></html>", ru, ru);
	pm_decode_other(doc, strlen(doc), NULL, 1, &dec);
	CHECK_STR(dec.encoding, "utf-8");
	snprintf(want, sizeof(want), "%s \xEF\xBF\xBD</p>", ru);
	CHECK(pm_find(dec.text, dec.len, want, strlen(want)) != NULL);
	pm_decoded_release(&dec);
	/* Latin-1 text has no well-formed sequences: still windows-1252 */
	snprintf(doc, sizeof(doc), "<html><body><p>Le proc\xE8s s'ouvre \xE0 La Haye, "
		 "l'accus\xE9 est pr\xE9sent.</p></body></html>");
	pm_decode_other(doc, strlen(doc), NULL, 1, &dec);
	CHECK_STR(dec.encoding, "windows-1252");
	pm_decoded_release(&dec);
}

/* UTF-8 that went through Latin-1 or windows-1252 once too often, in a
 * UTF-8 feed: repaired when the whole field maps back to UTF-8 bytes. */
static void test_unmojibake(void)
{
	static const struct {
		const char *title, *want;
	} cases[] = {
		/* windows-1252 mojibake of "Café – ok" */
		{ "Caf\xC3\x83\xC2\xA9 \xC3\xA2\xE2\x82\xAC\xE2\x80\x9C ok", "Caf\xC3\xA9 \xE2\x80\x93 ok" },
		/* Latin-1 mojibake by character references, one of them a byte
		 * windows-1252 leaves undefined (0x81 of "Á") */
		{ "&#195;&#129;frica &#226;&#128;&#166;", "\xC3\x81" "frica \xE2\x80\xA6" },
		/* real Latin-1 text: "é" alone is no UTF-8 sequence */
		{ "na\xC3\xAFve caf\xC3\xA9", "na\xC3\xAFve caf\xC3\xA9" },
		/* mojibake beside a character no single byte gives: left alone */
		{ "Caf\xC3\x83\xC2\xA9 \xE2\x94\x80", "Caf\xC3\x83\xC2\xA9 \xE2\x94\x80" },
		/* ASCII stays, and so do curly quotes and dashes (windows-1252
		 * bytes, but no UTF-8 lead byte among them) */
		{ "plain words", "plain words" },
		{ "It\xE2\x80\x99s \xE2\x80\x9C" "fine\xE2\x80\x9D \xE2\x80\x94 ok",
		  "It\xE2\x80\x99s \xE2\x80\x9C" "fine\xE2\x80\x9D \xE2\x80\x94 ok" },
		/* a lead byte's look-alike at the very end: no sequence */
		{ "end \xC3\x83", "end \xC3\x83" },
	};
	struct pm_err err;
	char doc[512];

	TEST("unmojibake");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(doc, sizeof(doc),
			 "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>"
			 "<item><title>%s</title><link>https://example.org/a</link></item>"
			 "</channel></rss>", cases[i].title);
		pm_err_init(&err);
		json_t *d = pm_parse_document(doc, strlen(doc), NULL, NULL, NULL, &err);
		CHECK(d != NULL);
		if (!d)
			continue;
		CHECK_STR(at(d, "entries.0.title"), cases[i].want);
		json_decref(d);
	}
	/* JSON Feed is UTF-8 by definition: the same repair */
	{
		static const char jf[] = "{\"version\":\"https://jsonfeed.org/version/1.1\","
					 "\"title\":\"t\",\"items\":[{\"id\":\"1\",\"url\":"
					 "\"https://example.org/1\",\"title\":\"Caf\xC3\x83\xC2\xA9\","
					 "\"content_html\":\"<p>Statut \xC3\xA2\xE2\x82\xAC\xE2\x80\x9C"
					 " Rome</p>\"}]}";
		pm_err_init(&err);
		json_t *j = pm_parse_document(jf, strlen(jf), NULL, NULL, NULL, &err);
		CHECK(j != NULL);
		if (j) {
			CHECK_STR(at(j, "entries.0.title"), "Caf\xC3\xA9");
			CHECK_STR(at(j, "entries.0.content"), "Statut \xE2\x80\x93 Rome");
			json_decref(j);
		}
	}
	/* a JSON Feed that is not UTF-8 (a bare windows-1252 byte) is read as
	 * windows-1252, and its "Ã©" is what those bytes say there */
	{
		static const char jf[] = "{\"version\":\"https://jsonfeed.org/version/1.1\","
					 "\"title\":\"t\",\"items\":[{\"id\":\"1\",\"url\":"
					 "\"https://example.org/1\",\"title\":\"Caf\xC3\xA9\","
					 "\"content_text\":\"d\xE9j\xE0 vu\"}]}";
		pm_err_init(&err);
		json_t *j = pm_parse_document(jf, strlen(jf), NULL, NULL, NULL, &err);
		CHECK(j != NULL);
		if (j) {
			CHECK_STR(at(j, "encoding"), "windows-1252");
			CHECK_STR(at(j, "entries.0.title"), "Caf\xC3\x83\xC2\xA9");
			CHECK_STR(at(j, "entries.0.content"), "d\xC3\xA9j\xC3\xA0 vu");
			json_decref(j);
		}
	}
	/* only a UTF-8 document: in a windows-1252 one, "Ã©" is what it says */
	snprintf(doc, sizeof(doc),
		 "<?xml version=\"1.0\" encoding=\"windows-1252\"?><rss version=\"2.0\"><channel>"
		 "<item><title>Caf\xC3\xA9</title><link>https://example.org/a</link></item>"
		 "</channel></rss>");
	pm_err_init(&err);
	json_t *d = pm_parse_document(doc, strlen(doc), NULL, NULL, NULL, &err);
	CHECK(d != NULL);
	if (d) {
		CHECK_STR(at(d, "entries.0.title"), "Caf\xC3\x83\xC2\xA9");
		json_decref(d);
	}
}

/* Content-Location and Content-Language, as fetch passes them on */
static void test_http_headers(void)
{
	static const char feed[] =
		"<rss version=\"2.0\"><channel><title>t</title><link>/front</link>"
		"<item><title>a</title><link>story/1</link></item></channel></rss>";
	static const char feed_lang[] =
		"<rss version=\"2.0\"><channel><title>t</title><language>fr</language>"
		"<item><title>a</title><link>https://example.org/1</link></item></channel></rss>";
	static const char page[] =
		"<html><head><title>A page</title></head><body><p>Some words.</p></body></html>";
	static const char page_lang[] =
		"<html lang=\"pt\"><head><title>A page</title></head><body><p>Words.</p></body></html>";
	struct pm_parse_opts o = { 0 };
	struct pm_err err;
	json_t *d;

	TEST("http headers");
	o.content_location = "/feeds/v2/main.xml";
	o.content_language = " de-AT, en";
	pm_err_init(&err);
	d = pm_parse_document(feed, strlen(feed), "https://news.example.com/rss", NULL, &o, &err);
	CHECK(d != NULL);
	if (d) {
		/* relative links against Content-Location, itself resolved
		 * against the URL */
		CHECK_STR(at(d, "feed.link"), "https://news.example.com/front");
		CHECK_STR(at(d, "entries.0.link"), "https://news.example.com/feeds/v2/story/1");
		CHECK_STR(at(d, "feed.language"), "de-AT");
		json_decref(d);
	}
	/* the feed's own language wins; an unsafe location is no base */
	o.content_location = "javascript:alert(1)";
	d = pm_parse_document(feed_lang, strlen(feed_lang), "https://news.example.com/rss", NULL,
			      &o, &err);
	CHECK(d != NULL);
	if (d) {
		CHECK_STR(at(d, "feed.language"), "fr");
		json_decref(d);
	}
	d = pm_parse_document(feed, strlen(feed), "https://news.example.com/rss", NULL, &o, &err);
	CHECK(d != NULL);
	if (d) {
		CHECK_STR(at(d, "entries.0.link"), "https://news.example.com/story/1");
		json_decref(d);
	}
	/* pages: html lang first, the header where there is none */
	d = pm_parse_document(page, strlen(page), "https://news.example.com/a", NULL, &o, &err);
	CHECK(d != NULL);
	if (d) {
		CHECK_STR(at(d, "lang"), "de-AT");
		json_decref(d);
	}
	d = pm_parse_document(page_lang, strlen(page_lang), "https://news.example.com/a", NULL, &o,
			      &err);
	CHECK(d != NULL);
	if (d) {
		CHECK_STR(at(d, "lang"), "pt");
		json_decref(d);
	}
	/* without the headers nothing is made up */
	d = pm_parse_document(page, strlen(page), "https://news.example.com/a", NULL, NULL, &err);
	CHECK(d != NULL);
	if (d) {
		CHECK(at(d, "lang") == NULL);
		json_decref(d);
	}
}

int main(void)
{
	test_tag_table();
	test_rss20();
	test_atom10();
	test_malformed();
	test_charset_guess();
	test_unmojibake();
	test_utf8_lossy();
	test_http_headers();
	test_xxe();
	test_json_feed();
	test_page();
	test_page_rules();
	test_inline();
	test_dates();
	test_urls();
	test_url_shortcut();
	test_fingerprint();
	test_fingerprint_reference();
	test_squash_reference();
	test_date_shortcut();
	test_json_text();
	test_text_caps();
	test_html_in_place();
	test_html_reuse();
	test_parser_reuse();
	return tl_summary();
}
