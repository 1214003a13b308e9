/* cli/cmd_opml: 'pressmon opml'. Placeholder until its module lands. */
#include "cli/cli.h"

#include <stdio.h>

int cmd_opml(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "pressmon opml: not built yet\n");
	return 1;
}
