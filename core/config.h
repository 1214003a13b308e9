/* core/config: feeds.conf, one INI section per source (inih does the
 * lexing). The loaded configuration is read-only once loaded. */
#ifndef PM_CORE_CONFIG_H
#define PM_CORE_CONFIG_H

#include <stddef.h>

#include "core/err.h"

struct pm_source {
	char *id;          /* section name after "feed " */
	char *url;
	char *name;
	char *country;     /* ISO 3166-1 alpha-2, upper case */
	char *region;      /* africa, americas, asia-pacific, europe, middle-east */
	char *lang;        /* BCP 47 primary tag, lower case */
	char *type;        /* wire, public, commercial, state, ngo, igo, court */
	char **tags;       /* extra tags added to every article of this source */
	size_t ntags;
	int interval;      /* seconds between polls */
	int min_interval;  /* adaptive bounds */
	int max_interval;
	int fetch_pages;   /* queue full article pages of summary-only items */
	int adaptive;      /* poll busy feeds more often, quiet ones less, within
			      min_interval..max_interval */
	int enabled;
	int line;          /* line of the section header, for messages */
};

struct pm_config {
	char *path;
	char *user_agent_contact;
	char *prefix;           /* Redis key prefix, default "pm:" */
	char *rules_dir;        /* default "classify/rules" next to the config */
	char *timezone;         /* digest time zone, default "UTC" */
	char *mail_from;        /* sender of the mailed digest, may be NULL */
	int default_interval;   /* default 900 */
	size_t max_body;        /* fetch body cap in bytes, default 8 MiB */
	struct pm_source *sources;
	size_t nsources, alloc;
};

void pm_config_init(struct pm_config *cfg);
void pm_config_release(struct pm_config *cfg);
/* Loads path into cfg (which must be freshly initialized). Errors carry
 * "path:line: message" and code PM_EINPUT; a missing file is PM_EINPUT too. */
int pm_config_load(struct pm_config *cfg, const char *path, struct pm_err *err);
/* Borrowed pointer to the source with this id, or NULL. */
const struct pm_source *pm_config_source(const struct pm_config *cfg, const char *id);

/* Validators shared with OPML import and archive import. */
int pm_region_valid(const char *s);
int pm_outlet_type_valid(const char *s);

#endif
