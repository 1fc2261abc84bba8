#include "cli.h"

#include "dha/dak.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: atscheck dak csr --config dak.conf --out DIR [--format FMT] [--output FILE]\n"
	"       atscheck dak csr --config dak.conf --out DIR --dak-key pkcs11:URI [--make-key]\n"
	"                        [--pin-file FILE]\n\n"
	"Makes the product's Device Attestation Key (DAK): DIR/dak_private_key.pem (EC P-256,\n"
	"mode 0600, never over an existing key) and DIR/dak.csr from the dak.conf the AVS developer\n"
	"console gives, as these do:\n"
	"  openssl ecparam -name prime256v1 > dak-params.pem\n"
	"  openssl req -new -nodes -config dak.conf -newkey ec:dak-params.pem \\\n"
	"      -keyout dak_private_key.pem -out dak.csr\n"
	"Upload dak.csr in the console, then download dak-certificate.pem and device.conf.\n\n"
	"  --config FILE    dak.conf\n"
	"  --out DIR        where the key and the CSR go (an existing folder)\n"
	"  --dak-key URI    keep the key in a PKCS#11 token (RFC 7512 URI, e.g.\n"
	"                   pkcs11:token=factory;object=dak-key?module-path=/usr/lib/softhsm/libsofthsm2.so);\n"
	"                   only dak.csr is written\n"
	"  --make-key       make the key in the token (never over an object of that label)\n"
	"  --pin-file FILE  the token's PIN (first line); or ATSCHECK_PKCS11_PIN\n" CLI_COMMON_HELP
	"\nExit codes: 0 OK, 3 UNKNOWN (could not run).\n";

static int cmd_dak_csr(int argc, char **argv)
{
	cli_cmd cmd = {.name = "dak csr", .usage = usage};
	const char *conf = NULL, *out = NULL, *dak_key = NULL;
	bool make_key = false;
	ats_dak_pin pin = {NULL, getenv("ATSCHECK_PKCS11_PIN")}; /* never from argv */
	cli_opt opts[] = {
		{.name = "config", .kind = CLI_STR, .dest = &conf},
		{.name = "out", .kind = CLI_STR, .dest = &out},
		{.name = "dak-key", .kind = CLI_STR, .dest = &dak_key},
		{.name = "make-key", .kind = CLI_FLAG, .dest = &make_key},
		{.name = "pin-file", .kind = CLI_STR, .dest = &pin.file},
		{.name = NULL},
	};
	int rc = cli_parse(&cmd, opts, argc, argv);
	if (rc != CLI_GO)
		return rc;
	if (!conf || !out)
		return cli_usage_fail(&cmd, "needs --config dak.conf and --out DIR");
	if (dak_key && strncmp(dak_key, "pkcs11:", 7) != 0)
		return cli_usage_fail(&cmd, "--dak-key takes a pkcs11: URI (without it the key is made "
					    "in DIR/dak_private_key.pem)");
	if (make_key && !dak_key)
		return cli_usage_fail(&cmd, "--make-key needs --dak-key pkcs11:URI");
	return cli_end(&cmd, dak_key ? ats_dak_csr_p11(conf, out, dak_key, make_key, &pin, &cmd.report,
						       &cmd.err)
				     : ats_dak_csr(conf, out, &cmd.report, &cmd.err));
}

int cmd_dak(int argc, char **argv)
{
	static const cli_command subs[] = {{"csr", cmd_dak_csr, "the DAK and its CSR"}};
	return cli_dispatch("dak", subs, 1, NULL, usage, argc, argv);
}
