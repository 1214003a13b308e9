/* cli/cmd_opml: 'pressmon opml import FILE' prints feeds.conf sections for
 * the subscriptions of an OPML file; 'pressmon opml export' prints the
 * configured sources as OPML 2.0. Per-source settings travel as outline
 * attributes (country, region, language, outletType, interval, fetchPages,
 * tags, pressmonId). */
#include "cli/cli.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/mem.h"
#include "parse/opml.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(void)
{
	printf("usage: pressmon opml import FILE [--config PATH]\n"
	       "       pressmon opml export [--config PATH]\n\n"
	       "import prints one feeds.conf section per subscription of FILE (append\n"
	       "them to feeds.conf after review); ids already in the configuration are\n"
	       "skipped. export prints the configured sources as OPML 2.0.\n");
}

/* A feed id from a name or URL: lower-case letters, digits and '-'. */
static char *make_id(const char *name, const char *url)
{
	const char *src = name && *name ? name : url;
	struct pm_buf b = PM_BUF_INIT;

	if (!name || !*name) {
		const char *p = strstr(src, "://");
		src = p ? p + 3 : src;
	}
	for (const char *p = src; *p && b.len < 48; p++) {
		unsigned char c = (unsigned char)*p;
		if (isalnum(c))
			pm_buf_addc(&b, (char)tolower(c));
		else if (b.len && b.data[b.len - 1] != '-')
			pm_buf_addc(&b, '-');
	}
	while (b.len && b.data[b.len - 1] == '-')
		b.data[--b.len] = '\0';
	if (!b.len)
		pm_buf_adds(&b, "feed");
	return pm_buf_detach(&b, NULL);
}

static int do_import(const char *file, const char *config)
{
	struct pm_config cfg;
	struct pm_err err;
	char *data;
	size_t len, i;
	json_t *outs, *o, *ids = json_object();
	int rc = 0, have_cfg;

	pm_err_init(&err);
	pm_config_init(&cfg);
	have_cfg = pm_config_load(&cfg, config, &err) == 0;
	pm_err_init(&err);
	if (cli_read_file(file, 64u << 20, &data, &len, &err) < 0 ||
	    pm_opml_read(data, len, file, &outs, &err) < 0) {
		if (data)
			free(data);
		pm_config_release(&cfg);
		json_decref(ids);
		return cli_fail(&err);
	}
	free(data);
	json_array_foreach(outs, i, o) {
		const char *url = json_string_value(json_object_get(o, "url"));
		const char *name = json_string_value(json_object_get(o, "name"));
		const char *region = json_string_value(json_object_get(o, "region"));
		const char *type = json_string_value(json_object_get(o, "type"));
		const char *given = json_string_value(json_object_get(o, "id"));
		int line = (int)json_integer_value(json_object_get(o, "line"));
		char *id = given ? xstrdup(given) : make_id(name, url);

		if (region && !pm_region_valid(region)) {
			fprintf(stderr, "pressmon: %s:%d: region '%s' is not one of africa, americas, "
					"asia-pacific, europe, middle-east\n", file, line, region);
			rc = PM_EINPUT;
		}
		if (type && !pm_outlet_type_valid(type)) {
			fprintf(stderr, "pressmon: %s:%d: outletType '%s' is not one of wire, public, "
					"commercial, state, ngo, igo, court\n", file, line, type);
			rc = PM_EINPUT;
		}
		if ((have_cfg && pm_config_source(&cfg, id)) || json_object_get(ids, id)) {
			fprintf(stderr, "pressmon: %s:%d: feed id '%s' exists already, skipped\n",
				file, line, id);
			free(id);
			continue;
		}
		json_object_set_new(ids, id, json_true());
		printf("[feed %s]\nurl = %s\n", id, url);
		if (name)
			printf("name = %s\n", name);
		static const char *const keys[] = { "country", "region", "lang", "type",
						    "interval", "fetch_pages", "tags" };
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			const char *v = json_string_value(json_object_get(o, keys[k]));
			if (v && !strchr(v, '\n'))
				printf("%s = %s\n", keys[k], v);
		}
		printf("\n");
		free(id);
	}
	json_decref(outs);
	json_decref(ids);
	pm_config_release(&cfg);
	return rc;
}

static int do_export(const char *config)
{
	struct pm_config cfg;
	struct pm_err err;
	json_t *arr = json_array();
	char *xml;

	pm_err_init(&err);
	pm_config_init(&cfg);
	if (pm_config_load(&cfg, config, &err) < 0) {
		pm_config_release(&cfg);
		json_decref(arr);
		return cli_fail(&err);
	}
	for (size_t i = 0; i < cfg.nsources; i++) {
		const struct pm_source *s = &cfg.sources[i];
		json_t *o = json_object();
		char num[24];
		struct pm_buf tags = PM_BUF_INIT;

		json_object_set_new(o, "id", json_string(s->id));
		json_object_set_new(o, "url", json_string(s->url));
		json_object_set_new(o, "name", json_string(s->name));
		if (s->country)
			json_object_set_new(o, "country", json_string(s->country));
		if (s->region)
			json_object_set_new(o, "region", json_string(s->region));
		if (s->lang)
			json_object_set_new(o, "lang", json_string(s->lang));
		if (s->type)
			json_object_set_new(o, "type", json_string(s->type));
		snprintf(num, sizeof(num), "%d", s->interval);
		json_object_set_new(o, "interval", json_string(num));
		json_object_set_new(o, "fetch_pages", json_string(s->fetch_pages ? "yes" : "no"));
		for (size_t k = 0; k < s->ntags; k++)
			pm_buf_addf(&tags, "%s%s", k ? "," : "", s->tags[k]);
		if (s->ntags)
			json_object_set_new(o, "tags", json_string(pm_buf_str(&tags)));
		pm_buf_release(&tags);
		json_array_append_new(arr, o);
	}
	xml = pm_opml_write(arr, "pressmon sources");
	fputs(xml, stdout);
	free(xml);
	json_decref(arr);
	pm_config_release(&cfg);
	return 0;
}

int cmd_opml(int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	struct cli_env env;
	int c;

	cli_env_init(&env);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int h = cli_common_opt(&env, c, optarg);
		if (h == 2) {
			usage();
			return 0;
		}
		if (h <= 0)
			return h < 0 ? PM_EINPUT : cli_usage("opml", "unknown option '%s'", argv[optind - 1]);
	}
	if (optind < argc && !strcmp(argv[optind], "import")) {
		if (optind + 2 != argc)
			return cli_usage("opml", "import takes one FILE");
		return do_import(argv[optind + 1], env.config);
	}
	if (optind < argc && !strcmp(argv[optind], "export")) {
		if (optind + 1 != argc)
			return cli_usage("opml", "export takes no argument");
		return do_export(env.config);
	}
	return cli_usage("opml", "expected 'import FILE' or 'export'");
}
