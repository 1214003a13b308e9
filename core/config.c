/* core/config: loading and validating feeds.conf.
 * The INI lexer is written here rather than taken from Debian's libinih:
 * that build cuts lines at 200 bytes (long feed URLs are common), never
 * reports empty sections and gives no column, and an operator needs
 * "file:line:col: what is wrong" for every mistake. */
#include "core/config.h"
#include "core/mem.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const regions[] = { "africa", "americas", "asia-pacific",
				       "europe", "middle-east", NULL };
static const char *const types[] = { "wire", "public", "commercial", "state",
				     "ngo", "igo", "court", NULL };

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

int pm_region_valid(const char *s) { return s && in_list(s, regions); }
int pm_outlet_type_valid(const char *s) { return s && in_list(s, types); }

void pm_config_init(struct pm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

static void source_release(struct pm_source *s)
{
	free(s->id);
	free(s->url);
	free(s->name);
	free(s->country);
	free(s->region);
	free(s->lang);
	free(s->type);
	for (size_t i = 0; i < s->ntags; i++)
		free(s->tags[i]);
	free(s->tags);
}

void pm_config_release(struct pm_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nsources; i++)
		source_release(&cfg->sources[i]);
	free(cfg->sources);
	free(cfg->path);
	free(cfg->user_agent_contact);
	free(cfg->prefix);
	free(cfg->rules_dir);
	free(cfg->timezone);
	free(cfg->mail_from);
	pm_config_init(cfg);
}

struct load_ctx {
	struct pm_config *cfg;
	struct pm_err *err;
	struct pm_source *cur; /* NULL in [pressmon] */
	int in_global;
	int failed;
	int line;              /* line being read, from 1 */
};

static int parse_int(const char *v, long lo, long hi, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < lo || n > hi)
		return -1;
	*out = n;
	return 0;
}

static int parse_bool(const char *v, int *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
		*out = 1;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

static int fail(struct load_ctx *c, const char *fmt, const char *a, const char *b)
{
	char msg[300];

	snprintf(msg, sizeof(msg), fmt, a, b);
	pm_err_set(c->err, PM_EINPUT, "%s:%d: %s", c->cfg->path, c->line, msg);
	c->failed = 1;
	return 0;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

static int id_valid(const char *id)
{
	if (!*id || strlen(id) > 64)
		return 0;
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return 0;
	return 1;
}

static void add_tags(struct pm_source *s, const char *v)
{
	const char *p = v;

	while (*p) {
		const char *q;
		while (*p == ',' || *p == ' ')
			p++;
		q = p;
		while (*q && *q != ',' && *q != ' ')
			q++;
		if (q > p) {
			s->tags = xrealloc(s->tags, (s->ntags + 1) * sizeof(*s->tags));
			s->tags[s->ntags++] = xstrndup(p, (size_t)(q - p));
		}
		p = q;
	}
}

static int on_source_key(struct load_ctx *c, const char *k, const char *v)
{
	struct pm_source *s = c->cur;
	long n;

	if (!strcmp(k, "url")) {
		if (!*v)
			return fail(c, "url of [feed %s] is empty%s", s->id, "");
		set_str(&s->url, v);
	} else if (!strcmp(k, "name")) {
		set_str(&s->name, v);
	} else if (!strcmp(k, "country")) {
		if (strlen(v) != 2 || !isalpha((unsigned char)v[0]) || !isalpha((unsigned char)v[1]))
			return fail(c, "country '%s' is not an ISO 3166-1 alpha-2 code%s", v, "");
		set_str(&s->country, v);
		s->country[0] = (char)toupper((unsigned char)s->country[0]);
		s->country[1] = (char)toupper((unsigned char)s->country[1]);
	} else if (!strcmp(k, "region")) {
		if (!pm_region_valid(v))
			return fail(c, "region '%s' is not one of africa, americas, asia-pacific, europe, middle-east%s", v, "");
		set_str(&s->region, v);
	} else if (!strcmp(k, "lang")) {
		if (!*v || strlen(v) > 35)
			return fail(c, "lang '%s' is not a language tag%s", v, "");
		set_str(&s->lang, v);
		for (char *p = s->lang; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	} else if (!strcmp(k, "type")) {
		if (!pm_outlet_type_valid(v))
			return fail(c, "type '%s' is not one of wire, public, commercial, state, ngo, igo, court%s", v, "");
		set_str(&s->type, v);
	} else if (!strcmp(k, "interval") || !strcmp(k, "min_interval") ||
		   !strcmp(k, "max_interval")) {
		if (parse_int(v, 10, 7 * 86400, &n))
			return fail(c, "%s '%s' is not a number of seconds from 10 to 604800", k, v);
		if (k[0] == 'i')
			s->interval = (int)n;
		else if (k[1] == 'i')
			s->min_interval = (int)n;
		else
			s->max_interval = (int)n;
	} else if (!strcmp(k, "fetch_pages") || !strcmp(k, "enabled") || !strcmp(k, "adaptive")) {
		int b;
		if (parse_bool(v, &b))
			return fail(c, "%s '%s' is not yes or no", k, v);
		if (k[0] == 'f')
			s->fetch_pages = b;
		else if (k[0] == 'a')
			s->adaptive = b;
		else
			s->enabled = b;
	} else if (!strcmp(k, "tags")) {
		add_tags(s, v);
	} else {
		return fail(c, "unknown key '%s' in [feed %s]", k, s->id);
	}
	return 1;
}

/* "file:samples/x.xml" (no slashes after the colon) is relative to the
 * directory of feeds.conf, so that the bundled samples work from any
 * checkout; it becomes an absolute file:/// URL here. */
static char *resolve_file_url(const char *conf_path, const char *url)
{
	char *dir, *abs, *slash, *r;

	if (strncmp(url, "file:", 5) || url[5] == '/')
		return NULL;
	dir = realpath(conf_path, NULL);
	if (!dir)
		return NULL;
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	abs = xasprintf("%s/%s", dir, url + 5);
	r = xasprintf("file://%s", abs);
	free(abs);
	free(dir);
	return r;
}

static int on_global_key(struct load_ctx *c, const char *k, const char *v)
{
	struct pm_config *cfg = c->cfg;
	long n;

	if (!strcmp(k, "user_agent_contact"))
		set_str(&cfg->user_agent_contact, v);
	else if (!strcmp(k, "prefix"))
		set_str(&cfg->prefix, v);
	else if (!strcmp(k, "rules"))
		set_str(&cfg->rules_dir, v);
	else if (!strcmp(k, "timezone"))
		set_str(&cfg->timezone, v);
	else if (!strcmp(k, "mail_from"))
		set_str(&cfg->mail_from, v);
	else if (!strcmp(k, "interval")) {
		if (parse_int(v, 10, 7 * 86400, &n))
			return fail(c, "interval '%s' is not a number of seconds from 10 to 604800%s", v, "");
		cfg->default_interval = (int)n;
	} else if (!strcmp(k, "max_body")) {
		if (parse_int(v, 1024, 1L << 30, &n))
			return fail(c, "max_body '%s' is not a byte count from 1024 to 1073741824%s", v, "");
		cfg->max_body = (size_t)n;
	} else
		return fail(c, "unknown key '%s' in [pressmon]%s", k, "");
	return 1;
}

static int on_section(struct load_ctx *c, const char *section)
{
	struct pm_config *cfg = c->cfg;
	const char *id;

	c->cur = NULL;
	c->in_global = 0;
	if (!strcmp(section, "pressmon")) {
		c->in_global = 1;
		return 1;
	}
	if (strncmp(section, "feed ", 5))
		return fail(c, "section '[%s]' is neither [pressmon] nor [feed ID]%s", section, "");
	id = section + 5;
	while (*id == ' ')
		id++;
	if (!id_valid(id))
		return fail(c, "feed id '%s' must be 1-64 letters, digits, '-', '_' or '.'%s", id, "");
	if (pm_config_source(cfg, id))
		return fail(c, "feed id '%s' is defined twice%s", id, "");
	XGROW(cfg->sources, cfg->alloc, cfg->nsources + 1);
	c->cur = &cfg->sources[cfg->nsources++];
	memset(c->cur, 0, sizeof(*c->cur));
	c->cur->id = xstrdup(id);
	c->cur->enabled = 1;
	c->cur->line = c->line;
	return 1;
}

static int on_key(struct load_ctx *c, const char *name, const char *value)
{
	if (c->in_global)
		return on_global_key(c, name, value);
	if (!c->cur)
		return fail(c, "key '%s' outside of a section%s", name, "");
	return on_source_key(c, name, value);
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* One line: blank, comment (; or #), [section] or key = value, where an
 * inline comment starts at " ;" or " #". */
static int parse_line(struct load_ctx *c, char *line)
{
	char *s = trim(line), *eq, *p;

	if (!*s || *s == ';' || *s == '#')
		return 1;
	for (p = s + 1; *p; p++)
		if ((*p == ';' || *p == '#') && (p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			s = trim(s);
			break;
		}
	if (*s == '[') {
		char *close = strchr(s, ']');
		if (!close || close[1]) {
			pm_err_set(c->err, PM_EINPUT, "%s:%d:%d: expected ']' at the end of the section header",
				   c->cfg->path, c->line, (int)(s - line) + (int)strlen(s) + 1);
			c->failed = 1;
			return 0;
		}
		*close = '\0';
		return on_section(c, trim(s + 1));
	}
	eq = strchr(s, '=');
	if (!eq || eq == s) {
		pm_err_set(c->err, PM_EINPUT, "%s:%d:%d: expected 'key = value' or '[section]'",
			   c->cfg->path, c->line, (int)(s - line) + 1);
		c->failed = 1;
		return 0;
	}
	*eq = '\0';
	return on_key(c, trim(s), trim(eq + 1));
}

int pm_config_load(struct pm_config *cfg, const char *path, struct pm_err *err)
{
	struct load_ctx c = { cfg, err, NULL, 0, 0, 0 };
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	cfg->path = xstrdup(path);
	f = fopen(path, "r");
	if (!f)
		return pm_err_set(err, PM_EINPUT, "cannot open '%s': %s", path, strerror(errno));
	while ((n = getline(&line, &cap, f)) >= 0) {
		c.line++;
		if ((size_t)n != strlen(line)) {
			pm_err_set(err, PM_EINPUT, "%s:%d: line contains a NUL byte", path, c.line);
			c.failed = 1;
		} else if (n > 65536) {
			pm_err_set(err, PM_EINPUT, "%s:%d: line longer than 65536 bytes", path, c.line);
			c.failed = 1;
		} else if (c.line == 1 && !strncmp(line, "\xEF\xBB\xBF", 3)) {
			memmove(line, line + 3, (size_t)n - 2);
		}
		if (c.failed || !parse_line(&c, line))
			break;
	}
	free(line);
	fclose(f);
	if (c.failed)
		return -1;
	if (cfg->rules_dir && cfg->rules_dir[0] != '/') {
		/* rules = DIR is relative to feeds.conf, not to the current directory */
		char *abs = realpath(path, NULL), *slash;
		if (abs && (slash = strrchr(abs, '/'))) {
			*slash = '\0';
			char *joined = xasprintf("%s/%s", abs, cfg->rules_dir);
			free(cfg->rules_dir);
			cfg->rules_dir = joined;
		}
		free(abs);
	}
	if (!cfg->prefix)
		cfg->prefix = xstrdup("pm:");
	if (!cfg->timezone)
		cfg->timezone = xstrdup("UTC");
	if (!cfg->default_interval)
		cfg->default_interval = 900;
	if (!cfg->max_body)
		cfg->max_body = 8u << 20;
	for (size_t i = 0; i < cfg->nsources; i++) {
		struct pm_source *s = &cfg->sources[i];
		char *abs;
		if (!s->url)
			return pm_err_set(err, PM_EINPUT, "%s:%d: [feed %s] has no url", path, s->line, s->id);
		if ((abs = resolve_file_url(path, s->url))) {
			free(s->url);
			s->url = abs;
		}
		if (!s->interval)
			s->interval = cfg->default_interval;
		if (!s->min_interval)
			s->min_interval = s->interval / 4 > 10 ? s->interval / 4 : 10;
		if (!s->max_interval)
			s->max_interval = s->interval * 8;
		if (!s->name)
			s->name = xstrdup(s->id);
	}
	return 0;
}

const struct pm_source *pm_config_source(const struct pm_config *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->nsources; i++)
		if (!strcmp(cfg->sources[i].id, id))
			return &cfg->sources[i];
	return NULL;
}
