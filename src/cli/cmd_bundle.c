#include "cli.h"

#include "store/bundle.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
	"Usage: atscheck bundle list [--format FMT]\n"
	"       atscheck bundle export DIR\n\n"
	"The six CA certificates built into atscheck, each checked against its pinned SHA-256\n"
	"before it is shown or written. 'export' writes them into DIR as PEM files.\n";

static int run(int argc, char **argv, bool export)
{
	cli_cmd cmd = {.name = export ? "bundle export" : "bundle list",
		       .usage = usage,
		       .min_args = export,
		       .max_args = export,
		       .args_hint = "into which folder? (atscheck bundle export DIR)"};
	cli_opt opts[] = {{.name = NULL}};
	int rc = cli_parse(&cmd, opts, argc, argv);
	if (rc != CLI_GO)
		return rc;
	return cli_end(&cmd, export ? ats_bundle_export(cmd.args[0], &cmd.report, &cmd.err)
				    : ats_bundle_list(&cmd.report, &cmd.err));
}

static int cmd_bundle_list(int argc, char **argv)
{
	return run(argc, argv, false);
}

static int cmd_bundle_export(int argc, char **argv)
{
	return run(argc, argv, true);
}

int cmd_bundle(int argc, char **argv)
{
	static const cli_command subs[] = {
		{"list", cmd_bundle_list, "the six, checked"},
		{"export", cmd_bundle_export, "write them as PEM files"},
	};
	return cli_dispatch("bundle", subs, 2, &subs[0], usage, argc, argv);
}
