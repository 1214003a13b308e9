/* cli/cmd_parse: 'pressmon parse'. Placeholder until its module lands. */
#include "cli/cli.h"

#include <stdio.h>

int cmd_parse(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "pressmon parse: not built yet\n");
	return 1;
}
