#include "cmd_probe.h"

#include "check/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: atscheck [check] [--endpoint URL] [--cacert FILE] [--capath DIR] [--resolve H:P:A]\n"
	"                [--timeout SECONDS] [--proxy URL] [--sdk-config FILE]... [--warn-days N]\n"
	"                [--region na|eu|fe] [--offline] [--root DIR] [--at TIME] [--format FMT]\n"
	"                [--output FILE]\n\n"
	"The main job, in one verdict: audits the trust stores this device uses for the six ATS CAs,\n"
	"probes the ATS test endpoint and the AVS gateway this device uses (its SDK config's, else\n"
	"--region's, else the SDK's default; with --endpoint only a named gateway) over HTTP/2 and\n"
	"HTTP/1.1 with this device's libcurl, and says what keeps it from AVS and how to fix it. With --root DIR the image is audited (an image is\n"
	"not probed: use atscheck chain for that).\n\n" PROBE_HELP
	"  --bundle FILE      same as --cacert (audited and probed with)\n"
	"  --sdk-config FILE  AlexaClientSDKConfig.json, repeatable (merged in order, as the SDK does):\n"
	"                     its trust (CA file + CURLOPT_CAPATH) is audited and probed with, its\n"
	"                     gateway probed\n"
	"  --region R         the gateway of region na, eu or fe when the SDK config names none\n"
	"  --warn-days N      warn when a CA expires within N days (default 365)\n"
	"  --offline          audit only; do not probe the endpoint\n" CLI_COMMON_HELP
	"\nExit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n";

enum { OPT_SDK = CLI_OPT_FIRST_OWN, OPT_WARN, OPT_OFFLINE, OPT_REGION };

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		PROBE_LONGOPTS,
		{"bundle", required_argument, NULL, PROBE_OPT_CACERT},
		{"sdk-config", required_argument, NULL, OPT_SDK},
		{"warn-days", required_argument, NULL, OPT_WARN},
		{"offline", no_argument, NULL, OPT_OFFLINE},
		{"region", required_argument, NULL, OPT_REGION},
		{NULL, 0, NULL, 0},
	};
	cli_common c;
	probe_cli p;
	const char **bundles = calloc((size_t)argc + 1, sizeof(char *));
	const char **capaths = calloc((size_t)argc + 1, sizeof(char *));
	const char **sdks = calloc((size_t)argc + 1, sizeof(char *));
	size_t nb = 0, nc = 0, ns = 0;
	ats_check_opts co = {.audit = {.warn_days = 365}};
	json_t *report = NULL;
	ats_err err = {0};
	int rc = ATS_VERDICT_UNKNOWN, opt;
	bool offline = false;

	cli_common_init(&c);
	if (probe_cli_init(&p, argc) != 0 || !bundles || !capaths || !sdks) {
		rc = cli_fail("out of memory");
		goto out;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int r = cli_common_opt(&c, opt, optarg);
		if (r == 0 && (opt == PROBE_OPT_CACERT || opt == PROBE_OPT_CAPATH)) {
			/* The store given is audited and probed with; the probe takes the first. */
			const char **first = opt == PROBE_OPT_CACERT ? &p.o.cainfo : &p.o.capath;
			if (opt == PROBE_OPT_CACERT)
				bundles[nb++] = optarg;
			else
				capaths[nc++] = optarg;
			if (!*first)
				*first = optarg;
			continue;
		}
		if (r == 0)
			r = probe_cli_opt(&p, opt, optarg);
		if (r < 0)
			goto out;
		if (r > 0)
			continue;
		switch (opt) {
		case CLI_OPT_HELP:
			fputs(usage, stdout);
			rc = 0;
			goto out;
		case OPT_SDK: sdks[ns++] = optarg; break;
		case OPT_OFFLINE: offline = true; break;
		case OPT_REGION: co.region = optarg; break;
		case OPT_WARN:
			if (cli_days("--warn-days", optarg, &co.audit.warn_days) != 0)
				goto out;
			break;
		default:
			rc = cli_usage_error("check");
			goto out;
		}
	}
	if (optind < argc) {
		rc = cli_fail("check: unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (probe_cli_finish(&p, &c) != 0)
		goto out;
	co.stores.root = c.root;
	co.stores.bundles = bundles;
	co.stores.capaths = capaths;
	co.stores.sdk_configs = sdks;
	co.stores.use_env = c.root == NULL;
	co.audit.at = c.at;
	co.audit.root = c.root;
	co.probe = p.o;
	if (c.root)
		co.no_probe = "an image under --root is not probed: atscheck chain --root checks a saved chain "
			      "against it";
	else if (offline)
		co.no_probe = "--offline";
	if (co.region && strcmp(co.region, "na") != 0 && strcmp(co.region, "eu") != 0 &&
	    strcmp(co.region, "fe") != 0) {
		rc = cli_fail("--region %s: give na, eu or fe", co.region);
		goto out;
	}
	if (ats_check_run(&co, &report, &err) != 0) {
		rc = cli_fail("%s", err.msg);
		goto out;
	}
	rc = cli_emit(report, &c);
out:
	probe_cli_free(&p);
	free(bundles);
	free(capaths);
	free(sdks);
	return rc;
}
