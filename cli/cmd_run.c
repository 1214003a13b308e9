/* cli/cmd_run: 'pressmon run'. Placeholder until its module lands. */
#include "cli/cli.h"

#include <stdio.h>

int cmd_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "pressmon run: not built yet\n");
	return 1;
}
