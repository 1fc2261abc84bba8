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

enum { OPT_CONFIG = CLI_OPT_FIRST_OWN, OPT_OUT, OPT_DAK_KEY, OPT_MAKE_KEY, OPT_PIN_FILE };

int cmd_dak(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{"config", required_argument, NULL, OPT_CONFIG},
		{"out", required_argument, NULL, OPT_OUT},
		{"dak-key", required_argument, NULL, OPT_DAK_KEY},
		{"make-key", no_argument, NULL, OPT_MAKE_KEY},
		{"pin-file", required_argument, NULL, OPT_PIN_FILE},
		{NULL, 0, NULL, 0},
	};
	cli_common c;
	const char *conf = NULL, *out = NULL, *dak_key = NULL, *sub = argc >= 2 ? argv[1] : "";
	json_t *report = NULL;
	ats_err err = {0};
	int opt;
	bool make_key = false;
	ats_dak_pin pin = {NULL, getenv("ATSCHECK_PKCS11_PIN")}; /* never from argv */

	cli_common_init(&c);
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(sub, "csr") != 0) {
		cli_fail("dak: expected 'csr'%s%s", *sub ? ", not " : "", sub);
		return cli_usage_error("dak");
	}
	argc--;
	argv++;
	optind = 1;
	while ((opt = cli_getopt(&c, NULL, argc, argv, "", longopts)) != -1) {
		if (opt == CLI_OPT_ERROR)
			return ATS_VERDICT_UNKNOWN;
		switch (opt) {
		case CLI_OPT_HELP: fputs(usage, stdout); return 0;
		case OPT_CONFIG: conf = optarg; break;
		case OPT_OUT: out = optarg; break;
		case OPT_DAK_KEY: dak_key = optarg; break;
		case OPT_MAKE_KEY: make_key = true; break;
		case OPT_PIN_FILE: pin.file = optarg; break;
		default: return cli_usage_error("dak");
		}
	}
	if (optind < argc)
		return cli_fail("dak csr: unexpected argument '%s'", argv[optind]);
	if (!conf || !out) {
		cli_fail("dak csr: needs --config dak.conf and --out DIR");
		return cli_usage_error("dak");
	}
	if (dak_key && strncmp(dak_key, "pkcs11:", 7) != 0)
		return cli_fail("dak csr: --dak-key takes a pkcs11: URI (without it the key is made "
				"in DIR/dak_private_key.pem)");
	if (make_key && !dak_key)
		return cli_fail("dak csr: --make-key needs --dak-key pkcs11:URI");
	if (dak_key ? ats_dak_csr_p11(conf, out, dak_key, make_key, &pin, &report, &err) != 0
		    : ats_dak_csr(conf, out, &report, &err) != 0)
		return cli_fail("%s", err.msg);
	return cli_emit(report, &c);
}
