/* placeholder */
#include "cli.h"
#include "kcg.h"
#include "out.h"

int cmd_mail(struct cli *cli, int argc, char **argv)
{
	return out_error(KCG_EINTERNAL, "not yet");
}
