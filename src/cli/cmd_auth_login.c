/* cmd_auth_login.c - `ucfs auth login`: placeholder until the U2M login lands. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_auth_login(int argc, char **argv, struct global_opts *g)
{
	(void)argc;
	(void)argv;
	(void)g;
	fprintf(stderr, "ucfs: error: 'ucfs auth login' is not built yet\n");
	return 1;
}
