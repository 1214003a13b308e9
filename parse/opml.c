/* parse/opml: OPML 2.0 in and out with libxml2 (reader and text writer),
 * so escaping and ill-formed files are the library's business. */
#include "parse/opml.h"
#include "core/mem.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <string.h>

/* attribute name in OPML -> key in our objects */
static const char *const attr_map[][2] = {
	{ "xmlUrl", "url" },       { "country", "country" },
	{ "region", "region" },    { "language", "lang" },
	{ "outletType", "type" },  { "interval", "interval" },
	{ "fetchPages", "fetch_pages" }, { "tags", "tags" },
	{ "pressmonId", "id" },
};

static void walk(xmlNode *n, json_t *out, int depth)
{
	for (; n && depth < 32; n = n->next) {
		xmlChar *url;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrcmp(n->name, BAD_CAST "outline")) {
			walk(n->children, out, depth + 1);
			continue;
		}
		url = xmlGetProp(n, BAD_CAST "xmlUrl");
		if (url) {
			json_t *o = json_object();
			xmlChar *name = xmlGetProp(n, BAD_CAST "title");
			if (!name)
				name = xmlGetProp(n, BAD_CAST "text");
			if (name)
				json_object_set_new(o, "name", json_string((const char *)name));
			xmlFree(name);
			for (size_t i = 0; i < sizeof(attr_map) / sizeof(attr_map[0]); i++) {
				xmlChar *v = xmlGetProp(n, BAD_CAST attr_map[i][0]);
				if (v && json_string((const char *)v))
					json_object_set_new(o, attr_map[i][1], json_string((const char *)v));
				xmlFree(v);
			}
			json_object_set_new(o, "line", json_integer(xmlGetLineNo(n)));
			json_array_append_new(out, o);
			xmlFree(url);
		}
		walk(n->children, out, depth + 1);
	}
}

int pm_opml_read(const char *data, size_t len, const char *path, json_t **out,
		 struct pm_err *err)
{
	xmlDoc *doc;
	xmlNode *root;
	const xmlError *xe;

	if (len > 64u << 20)
		return pm_err_set(err, PM_EINPUT, "'%s' is larger than 64 MiB", path);
	doc = xmlReadMemory(data, (int)len, path, NULL,
			   XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		const char *msg;
		xe = xmlGetLastError();
		msg = xe && xe->message ? xe->message : "parse error";
		return pm_err_set(err, PM_EINPUT, "%s:%d:%d: not well-formed OPML: %.*s", path,
				  xe ? xe->line : 0, xe ? xe->int2 : 0,
				  (int)strcspn(msg, "\n"), msg);
	}
	root = xmlDocGetRootElement(doc);
	if (!root || xmlStrcmp(root->name, BAD_CAST "opml")) {
		xmlFreeDoc(doc);
		return pm_err_set(err, PM_EINPUT, "%s:1:1: the root element is not <opml>", path);
	}
	*out = json_array();
	walk(root->children, *out, 0);
	xmlFreeDoc(doc);
	return 0;
}

char *pm_opml_write(json_t *sources, const char *title)
{
	xmlBuffer *buf = xmlBufferCreate();
	xmlTextWriter *w = xmlNewTextWriterMemory(buf, 0);
	json_t *s;
	size_t i;
	char *r;

	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterSetIndentString(w, BAD_CAST "  ");
	xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL);
	xmlTextWriterStartElement(w, BAD_CAST "opml");
	xmlTextWriterWriteAttribute(w, BAD_CAST "version", BAD_CAST "2.0");
	xmlTextWriterStartElement(w, BAD_CAST "head");
	xmlTextWriterWriteElement(w, BAD_CAST "title", BAD_CAST title);
	xmlTextWriterEndElement(w);
	xmlTextWriterStartElement(w, BAD_CAST "body");
	json_array_foreach(sources, i, s) {
		const char *name = json_string_value(json_object_get(s, "name"));
		xmlTextWriterStartElement(w, BAD_CAST "outline");
		xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST "rss");
		if (name) {
			xmlTextWriterWriteAttribute(w, BAD_CAST "text", BAD_CAST name);
			xmlTextWriterWriteAttribute(w, BAD_CAST "title", BAD_CAST name);
		}
		for (size_t k = 0; k < sizeof(attr_map) / sizeof(attr_map[0]); k++) {
			const char *v = json_string_value(json_object_get(s, attr_map[k][1]));
			if (v)
				xmlTextWriterWriteAttribute(w, BAD_CAST attr_map[k][0], BAD_CAST v);
		}
		xmlTextWriterEndElement(w);
	}
	xmlTextWriterEndDocument(w);
	xmlFreeTextWriter(w);
	r = xstrdup((const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	return r;
}
