/* cli/cmd_status: 'pressmon status'. Placeholder until its module lands. */
#include "cli/cli.h"

#include <stdio.h>

int cmd_status(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "pressmon status: not built yet\n");
	return 1;
}
