#include "cli.h"

#include "store/bundle.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
	"Usage: atscheck bundle list [--format FMT]\n"
	"       atscheck bundle export DIR\n\n"
	"The six CA certificates built into atscheck, each checked against its pinned SHA-256\n"
	"before it is shown or written. 'export' writes them into DIR as PEM files.\n";

int cmd_bundle(int argc, char **argv)
{
	static const struct option longopts[] = {CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	cli_common c;
	json_t *report = NULL;
	ats_err err = {0};
	int opt;

	cli_common_init(&c);
	optind = 1;
	while ((opt = cli_getopt(&c, NULL, argc, argv, "", longopts)) != -1) {
		if (opt == CLI_OPT_ERROR)
			return ATS_VERDICT_UNKNOWN;
		if (opt == CLI_OPT_HELP) {
			fputs(usage, stdout);
			return 0;
		}
		return cli_usage_error("bundle");
	}
	const char *verb = optind < argc ? argv[optind] : "list";
	if (strcmp(verb, "list") == 0 && optind + 1 >= argc) {
		if (ats_bundle_list(&report, &err) != 0)
			return cli_fail("%s", err.msg);
	} else if (strcmp(verb, "export") == 0 && optind + 2 == argc) {
		if (ats_bundle_export(argv[optind + 1], &report, &err) != 0)
			return cli_fail("%s", err.msg);
	} else {
		fputs(usage, stderr);
		return ATS_VERDICT_UNKNOWN;
	}
	return cli_emit(report, &c);
}
