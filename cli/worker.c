/* cli/worker: TEMPORARY placeholder written by the archive helper so that
 * 'pressmon archive' links; the lead replaces it with the real worker mode. */
#include "cli/cli.h"

#include <stdio.h>

int cli_worker_main(const char *stage, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "pressmon %s: worker mode comes with the queue\n", stage);
	return 1;
}
