/* cli/main: the pressmon entry point; a table of subcommands, each in its
 * own cli/cmd_*.c file. */
#include "cli/cli.h"
#include "archive/archive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cmd_entry {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cmd_entry commands[] = {
	{ "run", cmd_run, "all stages in one process (--once: until drained)" },
	{ "fetch", cmd_fetch, "worker: due feeds and pages -> raw" },
	{ "parse", cmd_parse, "worker: raw -> articles; --file: one document -> JSON" },
	{ "classify", cmd_classify, "worker: articles -> tagged; --file: one article -> tags" },
	{ "archive", cmd_archive, "worker: tagged -> SQLite; import, export" },
	{ "report", cmd_report, "daily digest as HTML, Markdown, JSON" },
	{ "query", cmd_query, "search and count the archive" },
	{ "status", cmd_status, "streams, workers, feeds, archive" },
	{ "metrics", cmd_metrics, "serve the status as Prometheus metrics over HTTP" },
	{ "opml", cmd_opml, "import or export feeds.conf as OPML" },
	{ "rules", cmd_rules, "check (lint) the rule files" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: pressmon <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nenvironment: PRESSMON_REDIS, PRESSMON_DB, PRESSMON_CONFIG\n"
		     "'pressmon <command> --help' shows a command's options.\n");
}

/* glibc reads its malloc tunables once, at start-up, from the
 * environment, so the one way for a program to tune its own malloc is to
 * run itself again with GLIBC_TUNABLES set. Two settings pay:
 * - glibc.malloc.hugetlb=1, where the kernel offers transparent huge
 *   pages: a digest of a 20,000-article day touches ~180 MB of new heap
 *   and an import ~130 MB per 20,000 articles, and on the VMs measured a
 *   4 KiB page fault each time cost a quarter to a third of the CPU
 *   (bench/digest.sh: 1.69 -> 1.35 s; import of 20,000: 10.1 -> 7.7 s;
 *   44,000 faults -> 2,400);
 * - for the parsers (parse, run), glibc.malloc.tcache_count=1000: libxml2
 *   frees a feed's whole tree and builds the next one of the same node
 *   sizes, and with the default 7 chunks per size a fifth of the parse
 *   went to malloc's consolidation and bin walks (bench_parse of the
 *   generated feeds: 3.37 -> 2.58 us per entry). An archive import gained
 *   nothing from it and held 5 MB more, so the other commands leave it;
 * - for the archive writers (run, archive), glibc.malloc.trim_threshold=
 *   1 GiB and top_pad=64 MiB: each batch frees what it built, and glibc
 *   gave the top of the heap back to the kernel, which with huge pages
 *   zeroed 2 MiB again at each next growth (an import of 20,000: 16,000
 *   page faults, 1,400 without; clear_page was a tenth of its main
 *   thread). Five alternating pairs of that import: 2.66 -> 2.50 s wall,
 *   3.50 -> 3.24 s CPU; two of `run --once` on 100,000: 16.47/16.48 ->
 *   15.44/15.98 s. The peak RSS stays the same: the heap keeps what it
 *   had, it no longer gives it back between batches.
 * Skipped when GLIBC_TUNABLES is set at all (set it empty to turn this
 * off), and when the exec fails (the program then just goes on). */
static void exec_with_malloc_tunables(char **argv, int many_trees, int no_trim)
{
	char mode[128] = "";
	char self[4096], tun[256] = "";
	ssize_t n;
	FILE *f;

	if (getenv("GLIBC_TUNABLES"))
		return;
	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (f) {
		if (!fgets(mode, sizeof(mode), f))
			mode[0] = '\0';
		fclose(f);
	}
	if (strstr(mode, "[always]") || strstr(mode, "[madvise]"))
		snprintf(tun, sizeof(tun), "glibc.malloc.hugetlb=1");
	if (many_trees)
		snprintf(tun + strlen(tun), sizeof(tun) - strlen(tun), "%sglibc.malloc.tcache_count=1000",
			 tun[0] ? ":" : "");
	if (no_trim)
		snprintf(tun + strlen(tun), sizeof(tun) - strlen(tun),
			 "%sglibc.malloc.trim_threshold=1073741824:glibc.malloc.top_pad=67108864",
			 tun[0] ? ":" : "");
	if (!tun[0])
		return;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return;
	self[n] = '\0';
	if (setenv("GLIBC_TUNABLES", tun, 1) != 0)
		return;
	execv(self, argv);
	unsetenv("GLIBC_TUNABLES"); /* not replaced: carry on as we are */
}

/* Whether this command touches enough memory for huge pages to pay for
 * a second start (~20 ms of loading the libraries again): the digest, the
 * archive and the workers do; a query, a status look or one `--file`
 * document does not (a week's CSV query: 77 ms without, 98 ms with). */
static int wants_huge_pages(int argc, char **argv)
{
	static const char *const big[] = { "run", "fetch", "parse", "classify", "archive", "report" };
	int hit = 0;

	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++)
		if (!strcmp(argv[1], big[i]))
			hit = 1;
	for (int i = 2; hit && i < argc; i++)
		if (!strcmp(argv[i], "--file") || !strncmp(argv[i], "--file=", 7) ||
		    !strcmp(argv[i], "--help") || !strcmp(argv[i], "export"))
			hit = 0;
	return hit;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && wants_huge_pages(argc, argv))
		exec_with_malloc_tunables(argv, !strcmp(argv[1], "parse") || !strcmp(argv[1], "run"),
					  !strcmp(argv[1], "archive") || !strcmp(argv[1], "run"));
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("pressmon %s\n", PM_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	pm_archive_library_init();
	/* commands print one line of their own for a bad option */
	opterr = 0;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "pressmon: '%s' is not a command (see 'pressmon --help')\n", argv[1]);
	return 2;
}
