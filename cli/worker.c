/* cli/worker: placeholder for the lead's stage worker loop; lets the parse
 * branch link on its own. The lead replaces this file. */
#include "cli/cli.h"

#include <stdio.h>

int cli_worker_main(const char *stage, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "pressmon %s: worker mode comes with the queue\n", stage);
	return 1;
}
