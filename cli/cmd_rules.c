/* cli/cmd_rules: 'pressmon rules'. Placeholder until its module lands. */
#include "cli/cli.h"

#include <stdio.h>

int cmd_rules(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "pressmon rules: not built yet\n");
	return 1;
}
