/* cli/cmd_report: 'pressmon report'. Placeholder until its module lands. */
#include "cli/cli.h"

#include <stdio.h>

int cmd_report(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "pressmon report: not built yet\n");
	return 1;
}
