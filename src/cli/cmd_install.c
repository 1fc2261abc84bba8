#include "cli.h"

#include "install/install.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: atscheck install [--ca NAME]... [--dry-run] [--reselect] [--local] [--no-tool]\n"
	"                        [--bundle FILE] [--root DIR] [--format FMT] [--output FILE]\n\n"
	"Installs the ATS CAs the audit finds missing (or only the --ca ones) the way this platform\n"
	"expects, from the PEMs embedded in atscheck (each checked against its pinned SHA-256), then\n"
	"audits again and shows each CA before -> after. Never removes or rewrites another CA.\n\n"
	"Debian, Raspbian, Ubuntu: selects the CA's file in /etc/ca-certificates.conf when Debian\n"
	"ships it, else copies it to /usr/share/ca-certificates/atscheck/ and adds that line; then\n"
	"runs update-ca-certificates (under --root pointed into the image). Fedora/RHEL: the anchors\n"
	"folder and update-ca-trust. Alpine: /usr/local/share/ca-certificates and its\n"
	"update-ca-certificates. Anything else: --bundle FILE.\n\n"
	"  --ca NAME        only this CA (repeatable): a name as 'atscheck bundle list' shows it\n"
	"  --dry-run        print the exact files and lines it would write, and write nothing\n"
	"  --reselect       select again a CA the admin deselected with '!' (left alone otherwise)\n"
	"  --local          Debian: use /usr/local/share/ca-certificates (no line in the conf)\n"
	"  --no-tool        do not run update-ca-certificates / update-ca-trust: add the links and\n"
	"                   bundle entries with atscheck's own code\n"
	"  --bundle FILE    append the missing CAs to this bundle file (a backup is kept in\n"
	"                   FILE.atscheck-bak)\n" CLI_COMMON_HELP
	"\nExit codes: 0 all six usable afterwards (or nothing to do), 1 WARNING (something left,\n"
	"for example a CA deselected with '!'), 2 CRITICAL, 3 could not run (a path it cannot write,\n"
	"another install running, bad usage); nothing is half-written.\n";

int cmd_install(int argc, char **argv)
{
	cli_cmd cmd = {.name = "install", .usage = usage};
	ats_install_opts io = {.warn_days = 365};
	cli_list cas = {0};
	cli_opt opts[] = {
		{.name = "ca", .kind = CLI_LIST, .dest = &cas},
		{.name = "dry-run", .kind = CLI_FLAG, .dest = &io.dry_run},
		{.name = "reselect", .kind = CLI_FLAG, .dest = &io.reselect},
		{.name = "local", .kind = CLI_FLAG, .dest = &io.local},
		{.name = "no-tool", .kind = CLI_FLAG, .dest = &io.no_tool},
		{.name = "bundle", .kind = CLI_STR, .dest = &io.bundle},
		{.name = NULL},
	};
	int rc = cli_parse(&cmd, opts, argc, argv);
	if (rc != CLI_GO)
		return rc;
	if (io.bundle && io.local)
		return cli_usage_fail(&cmd, "--local and --bundle do not go together");
	io.root = cmd.c.root;
	io.cas = cas.n ? cas.v : NULL;
	io.at = cmd.c.at;
	return cli_end(&cmd, ats_install_run(&io, &cmd.report, &cmd.err));
}
