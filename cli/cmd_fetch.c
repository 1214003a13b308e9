/* cli/cmd_fetch: 'pressmon fetch'. Placeholder until its module lands. */
#include "cli/cli.h"

#include <stdio.h>

int cmd_fetch(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "pressmon fetch: not built yet\n");
	return 1;
}
