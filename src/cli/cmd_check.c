#include "cmd_probe.h"

#include "check/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: atscheck [check] [--endpoint URL] [--cacert FILE] [--capath DIR] [--resolve H:P:A]\n"
	"                [--timeout SECONDS] [--proxy URL] [--sdk-config FILE]... [--warn-days N]\n"
	"                [--region na|eu|fe] [--offline] [--root DIR] [--at TIME] [--format FMT]\n"
	"                [--output FILE] [--ats-roots [--require-revocation] [--port N]]\n\n"
	"The main job, in one verdict: audits the trust stores this device uses for the six ATS CAs,\n"
	"probes the ATS test endpoint and the AVS gateway this device uses (its SDK config's, else\n"
	"--region's, else the SDK's default; with --endpoint only a named gateway) over HTTP/2 and\n"
	"HTTP/1.1 with this device's libcurl, and says what keeps it from AVS and how to fix it. With\n"
	"--root DIR the image is audited (an image is not probed: use atscheck chain for that). With\n"
	"--ats-roots, Amazon Trust Services' 15 test hosts are probed too and their matrix folds into\n"
	"the verdict.\n\n" PROBE_HELP
	"  --bundle FILE      same as --cacert (audited and probed with)\n"
	"  --sdk-config FILE  AlexaClientSDKConfig.json, repeatable (merged in order, as the SDK does):\n"
	"                     its trust (CA file + CURLOPT_CAPATH) is audited and probed with, its\n"
	"                     gateway probed\n"
	"  --region R         the gateway of region na, eu or fe when the SDK config names none\n"
	"  --warn-days N      warn when a CA expires within N days (default 365)\n"
	"  --offline          audit only; do not probe the endpoint\n" CLI_COMMON_HELP
	"\nExit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n";

static const char *region(void *dest, const char *v, char *buf)
{
	(void)dest;
	(void)buf;
	return strcmp(v, "na") == 0 || strcmp(v, "eu") == 0 || strcmp(v, "fe") == 0 ? NULL
										  : "give na, eu or fe";
}

int cmd_check(int argc, char **argv)
{
	cli_cmd cmd = {.name = "check", .usage = usage};
	probe_cli p = {0};
	cli_list bundles = {0}, capaths = {0}, sdks = {0};
	ats_check_opts co = {.audit = {.warn_days = 365}};
	bool offline = false;
	/* Every store given is audited; the probe takes the first of each kind. */
	cli_opt opts[] = {
		PROBE_OPTS(&p),
		{.name = "cacert", .kind = CLI_LIST, .dest = &bundles},
		{.name = "bundle", .kind = CLI_LIST, .dest = &bundles},
		{.name = "capath", .kind = CLI_LIST, .dest = &capaths},
		{.name = "sdk-config", .kind = CLI_LIST, .dest = &sdks},
		{.name = "region", .kind = CLI_STR, .dest = &co.region, .fn = region},
		{.name = "warn-days", .kind = CLI_DAYS, .dest = &co.audit.warn_days},
		{.name = "offline", .kind = CLI_FLAG, .dest = &offline},
		{.name = NULL},
	};
	int rc = cli_parse(&cmd, opts, argc, argv);
	if (rc != CLI_GO)
		return rc;
	p.o.cainfo = bundles.v[0];
	p.o.capath = capaths.v[0];
	co.stores.root = co.audit.root = cmd.c.root;
	co.stores.bundles = bundles.v;
	co.stores.capaths = capaths.v;
	co.stores.sdk_configs = sdks.v;
	co.stores.use_env = cmd.c.root == NULL;
	co.audit.at = cmd.c.at;
	if (cmd.c.root)
		co.no_probe = "an image under --root is not probed: atscheck chain --root checks a saved chain "
			      "against it";
	else if (offline)
		co.no_probe = "--offline";
	rc = probe_cli_finish(&p, &cmd.c, &cmd.err) != 0;
	ats_roots_opts ro = {.probe = p.o, .port = p.port, .require_revocation = p.require_revocation};
	if (!rc) {
		co.probe = p.o;
		if (p.ats_roots)
			co.ats_roots = &ro;
		rc = ats_check_run(&co, &cmd.report, &cmd.err) != 0;
	}
	probe_cli_free(&p);
	return cli_end(&cmd, rc);
}
