/* parse/opml: OPML 2.0 subscription lists to and from the feeds.conf model,
 * keeping pressmon's per-source settings as outline attributes. */
#ifndef PM_PARSE_OPML_H
#define PM_PARSE_OPML_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"

/* Reads every outline with an xmlUrl (nested folders included) into a new
 * array of objects {"url","name","country","region","lang","type",
 * "interval","fetch_pages","tags","line"}; absent attributes are absent.
 * Never touches the network or expands external entities. */
int pm_opml_read(const char *data, size_t len, const char *path, json_t **out,
		 struct pm_err *err);

/* Writes an OPML 2.0 document for sources (objects as above plus "id").
 * Returned string belongs to the caller. */
char *pm_opml_write(json_t *sources, const char *title);

#endif
