/* cli/cmd_archive: 'pressmon archive'. Placeholder until its module lands. */
#include "cli/cli.h"

#include <stdio.h>

int cmd_archive(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "pressmon archive: not built yet\n");
	return 1;
}
