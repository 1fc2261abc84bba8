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

enum { OPT_CA = CLI_OPT_FIRST_OWN, OPT_DRY, OPT_RESELECT, OPT_LOCAL, OPT_NOTOOL, OPT_BUNDLE };

int cmd_install(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{"ca", required_argument, NULL, OPT_CA},
		{"dry-run", no_argument, NULL, OPT_DRY},
		{"reselect", no_argument, NULL, OPT_RESELECT},
		{"local", no_argument, NULL, OPT_LOCAL},
		{"no-tool", no_argument, NULL, OPT_NOTOOL},
		{"bundle", required_argument, NULL, OPT_BUNDLE},
		{NULL, 0, NULL, 0},
	};
	cli_common c;
	const char **cas = calloc((size_t)argc + 1, sizeof(char *));
	size_t nca = 0;
	ats_install_opts io = {.warn_days = 365};
	json_t *report = NULL;
	ats_err err = {0};
	int rc = ATS_VERDICT_UNKNOWN, opt;

	cli_common_init(&c);
	if (!cas)
		goto out;
	optind = 1;
	while ((opt = cli_getopt(&c, NULL, argc, argv, "", longopts)) != -1) {
		if (opt == CLI_OPT_ERROR)
			goto out;
		switch (opt) {
		case CLI_OPT_HELP:
			fputs(usage, stdout);
			rc = 0;
			goto out;
		case OPT_CA: cas[nca++] = optarg; break;
		case OPT_DRY: io.dry_run = true; break;
		case OPT_RESELECT: io.reselect = true; break;
		case OPT_LOCAL: io.local = true; break;
		case OPT_NOTOOL: io.no_tool = true; break;
		case OPT_BUNDLE: io.bundle = optarg; break;
		default:
			rc = cli_usage_error("install");
			goto out;
		}
	}
	if (optind < argc) {
		rc = cli_fail("install: unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (io.bundle && io.local) {
		rc = cli_fail("install: --local and --bundle do not go together");
		goto out;
	}
	io.root = c.root;
	io.cas = nca ? cas : NULL;
	io.at = c.at;
	if (ats_install_run(&io, &report, &err) != 0) {
		rc = cli_fail("%s", err.msg);
		goto out;
	}
	rc = cli_emit(report, &c);
out:
	free(cas);
	return rc;
}
