/* cli/main: the pressmon entry point and its subcommand table. */
#include <stdio.h>
int main(void) { puts("pressmon"); return 0; }
