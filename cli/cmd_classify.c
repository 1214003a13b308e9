/* cli/cmd_classify: 'pressmon classify'. Placeholder until its module lands. */
#include "cli/cli.h"

#include <stdio.h>

int cmd_classify(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "pressmon classify: not built yet\n");
	return 1;
}
