/* cli/cmd_query: 'pressmon query'. Placeholder until its module lands. */
#include "cli/cli.h"

#include <stdio.h>

int cmd_query(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "pressmon query: not built yet\n");
	return 1;
}
