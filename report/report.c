/* report/report: writes the digest files (DIR/DATE/digest.html|md|json,
 * each replaced atomically) and DIR/index.html listing every digest. */
#include "report/report_int.h"
#include "core/mem.h"
#include "core/time.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_INDEX_ENTRIES 10000 /* bound on the digests listed in index.html */

static int mkdir_p(const char *path, struct pm_err *err)
{
	char *p = xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST) {
			pm_err_set(err, PM_ERUNTIME, "cannot create '%s': %s", p, strerror(errno));
			free(p);
			return -1;
		}
		*s = '/';
	}
	if (mkdir(p, 0755) && errno != EEXIST) {
		pm_err_set(err, PM_ERUNTIME, "cannot create '%s': %s", p, strerror(errno));
		free(p);
		return -1;
	}
	free(p);
	return 0;
}

/* Writes data to path through a temporary file and rename(), so a reader
 * (a web server, a mailer) never sees half a digest. */
static int write_file(const char *path, const char *data, size_t len, struct pm_err *err)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "wb");

	if (!f) {
		pm_err_set(err, PM_ERUNTIME, "cannot write '%s': %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	if (fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		pm_err_set(err, PM_ERUNTIME, "cannot write '%s': %s", tmp, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (rename(tmp, path)) {
		pm_err_set(err, PM_ERUNTIME, "cannot rename '%s': %s", tmp, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

static int is_date_name(const char *s)
{
	int y, m, d;

	return strlen(s) == 10 && pm_date_parse(s, &y, &m, &d) == 0;
}

static int cmp_desc(const void *x, const void *y)
{
	return strcmp(*(char *const *)y, *(char *const *)x);
}

static int file_exists(const char *dir, const char *date, const char *name)
{
	char *p = xasprintf("%s/%s/%s", dir, date, name);
	struct stat sb;
	int ok = stat(p, &sb) == 0;

	free(p);
	return ok;
}

static int write_index(const char *dir, json_t *paths, struct pm_err *err)
{
	DIR *dh = opendir(dir);
	struct dirent *e;
	char **dates = NULL;
	size_t n = 0, alloc = 0;
	struct pm_buf b = PM_BUF_INIT;
	char *path;
	int ret;

	if (!dh)
		return pm_err_set(err, PM_ERUNTIME, "cannot read '%s': %s", dir, strerror(errno));
	while ((e = readdir(dh)) && n < MAX_INDEX_ENTRIES) {
		if (!is_date_name(e->d_name))
			continue;
		XGROW(dates, alloc, n + 1);
		dates[n++] = xstrdup(e->d_name);
	}
	closedir(dh);
	if (n)
		qsort(dates, n, sizeof(*dates), cmp_desc);
	pm_buf_adds(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
			"<meta name=\"color-scheme\" content=\"light dark\">\n"
			"<title>pressmon digests</title></head>\n"
			"<body style=\"font-family:Arial,Helvetica,sans-serif;max-width:700px;margin:20px auto;padding:0 12px;\">\n"
			"<h1 style=\"font-size:22px;\">ICC press digests</h1>\n<ul>\n");
	for (size_t i = 0; i < n; i++) {
		/* the names were checked to be dates: nothing to escape */
		pm_buf_addf(&b, "<li>%s", dates[i]);
		if (file_exists(dir, dates[i], "digest.html"))
			pm_buf_addf(&b, " <a href=\"%s/digest.html\">HTML</a>", dates[i]);
		if (file_exists(dir, dates[i], "digest.md"))
			pm_buf_addf(&b, " <a href=\"%s/digest.md\">Markdown</a>", dates[i]);
		if (file_exists(dir, dates[i], "digest.json"))
			pm_buf_addf(&b, " <a href=\"%s/digest.json\">JSON</a>", dates[i]);
		pm_buf_adds(&b, "</li>\n");
		free(dates[i]);
	}
	free(dates);
	pm_buf_adds(&b, "</ul>\n</body></html>\n");
	path = xasprintf("%s/index.html", dir);
	ret = write_file(path, b.data, b.len, err);
	if (!ret && paths)
		json_array_append_new(paths, json_string(path));
	free(path);
	pm_buf_release(&b);
	return ret;
}

int pm_report_build(struct pm_archive *a, const struct pm_report_opts *opts, json_t **paths,
		    struct pm_err *err)
{
	json_t *d = NULL, *written = json_array();
	const char *out = opts->out_dir && *opts->out_dir ? opts->out_dir : "out";
	char *dir = NULL;
	int ret = -1;
	unsigned formats = opts->formats ? opts->formats : PM_REPORT_HTML | PM_REPORT_MD | PM_REPORT_JSON;

	if (paths)
		*paths = NULL;
	if (pm_digest_build(a, opts, &d, err))
		goto out;
	dir = xasprintf("%s/%s", out, json_string_value(json_object_get(d, "date")));
	if (mkdir_p(dir, err))
		goto out;
	for (unsigned f = PM_REPORT_HTML; f <= PM_REPORT_JSON; f <<= 1) {
		struct pm_buf b = PM_BUF_INIT;
		char *path;
		int r;
		if (!(formats & f))
			continue;
		pm_buf_add(&b, "", 0);
		if (f == PM_REPORT_HTML) {
			pm_digest_html(d, &b);
		} else if (f == PM_REPORT_MD) {
			pm_digest_md(d, &b);
		} else {
			char *s = json_dumps(d, JSON_INDENT(1) | JSON_REAL_PRECISION(6));
			pm_buf_adds(&b, s);
			pm_buf_addc(&b, '\n');
			free(s);
		}
		path = xasprintf("%s/digest.%s", dir, f == PM_REPORT_HTML ? "html" : f == PM_REPORT_MD ? "md" : "json");
		r = write_file(path, b.data, b.len, err);
		if (!r)
			json_array_append_new(written, json_string(path));
		free(path);
		pm_buf_release(&b);
		if (r)
			goto out;
	}
	if (write_index(out, written, err))
		goto out;
	ret = 0;
out:
	if (!ret && paths)
		*paths = json_incref(written);
	json_decref(written);
	json_decref(d);
	free(dir);
	return ret;
}
