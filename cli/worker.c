/* cli/worker: the stage worker loop shared by fetch, parse, classify and
 * archive. Temporary stand-in so the classify branch links; the lead's queue
 * work replaces this file. */
#include "cli/cli.h"

#include <stdio.h>

int cli_worker_main(const char *stage, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "pressmon %s: worker mode comes with the queue\n", stage);
	return 1;
}
