#include "cli.h"

#include "dha/dak.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
	"Usage: atscheck dak csr --config dak.conf --out DIR [--format FMT] [--output FILE]\n\n"
	"Makes the product's Device Attestation Key (DAK): DIR/dak_private_key.pem (EC P-256,\n"
	"mode 0600, never over an existing key) and DIR/dak.csr from the dak.conf the AVS developer\n"
	"console gives, as these do:\n"
	"  openssl ecparam -name prime256v1 > dak-params.pem\n"
	"  openssl req -new -nodes -config dak.conf -newkey ec:dak-params.pem \\\n"
	"      -keyout dak_private_key.pem -out dak.csr\n"
	"Upload dak.csr in the console, then download dak-certificate.pem and device.conf.\n\n"
	"  --config FILE    dak.conf\n"
	"  --out DIR        where the key and the CSR go (an existing folder)\n" CLI_COMMON_HELP
	"\nExit codes: 0 OK, 3 UNKNOWN (could not run).\n";

static int cmd_dak_csr(int argc, char **argv)
{
	cli_cmd cmd = {.name = "dak csr", .usage = usage};
	const char *conf = NULL, *out = NULL;
	cli_opt opts[] = {
		{.name = "config", .kind = CLI_STR, .dest = &conf},
		{.name = "out", .kind = CLI_STR, .dest = &out},
		{.name = NULL},
	};
	int rc = cli_parse(&cmd, opts, argc, argv);
	if (rc != CLI_GO)
		return rc;
	if (!conf || !out)
		return cli_usage_fail(&cmd, "needs --config dak.conf and --out DIR");
	return cli_end(&cmd, ats_dak_csr(conf, out, &cmd.report, &cmd.err));
}

int cmd_dak(int argc, char **argv)
{
	static const cli_command subs[] = {{"csr", cmd_dak_csr, "the DAK and its CSR"}};
	return cli_dispatch("dak", subs, 1, NULL, usage, argc, argv);
}
