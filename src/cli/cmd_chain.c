#include "cli.h"

#include "probe/probe.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: atscheck chain FILE [--host NAME] [--bundle FILE]... [--capath DIR]...\n"
	"                      [--sdk-config FILE]... [--lab-roots FILE] [--root DIR] [--at TIME]\n"
	"                      [--format FMT] [--output FILE]\n\n"
	"Verifies a server chain saved earlier (atscheck probe --save-chain FILE; any PEM chain, leaf\n"
	"first) against trust stores, with no network: would this device, or this firmware image\n"
	"(--root), accept the chain that endpoint serves? Same verification as a probe (server\n"
	"purpose, this system's security level, partial chains refused), same anchor naming, same\n"
	"diagnosis. With no --bundle and no --capath: the CA file and path this device's libcurl uses.\n\n"
	"  --host NAME        the name the server's certificate must carry\n"
	"  --bundle FILE      verify against this CA bundle (repeatable; also --cacert)\n"
	"  --capath DIR       verify against this hashed CA directory (repeatable)\n"
	"  --sdk-config FILE  AlexaClientSDKConfig.json (repeatable): what its libcurl trusts too\n"
	"  --lab-roots FILE   count these CA certificates as ATS roots too (a lab's own PKI)\n" CLI_COMMON_HELP
	"\nExit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (unreadable chain or store).\n";

enum { OPT_HOST = CLI_OPT_FIRST_OWN, OPT_LAB };

int cmd_chain(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{"host", required_argument, NULL, OPT_HOST},
		CLI_STORE_LONGOPTS,
		{"cacert", required_argument, NULL, CLI_OPT_BUNDLE},
		{"lab-roots", required_argument, NULL, OPT_LAB},
		{NULL, 0, NULL, 0},
	};
	cli_common c;
	cli_stores st;
	ats_store_opts so = {0};
	ats_chain_opts co = {0};
	ats_store_list *stores = NULL;
	ats_lab_roots *lab = NULL;
	const char *lab_file = NULL;
	json_t *report = NULL;
	ats_err err = {0};
	int rc = ATS_VERDICT_UNKNOWN, opt;
	bool defaults = false;

	cli_common_init(&c);
	if (cli_stores_init(&st, argc) != 0)
		goto out;
	optind = 1;
	while ((opt = cli_getopt(&c, &st, argc, argv, "", longopts)) != -1) {
		if (opt == CLI_OPT_ERROR)
			goto out;
		switch (opt) {
		case CLI_OPT_HELP:
			fputs(usage, stdout);
			rc = 0;
			goto out;
		case OPT_HOST: co.host = optarg; break;
		case OPT_LAB: lab_file = optarg; break;
		default:
			rc = cli_usage_error("chain");
			goto out;
		}
	}
	if (optind != argc - 1) {
		rc = optind >= argc ? cli_fail("chain: which chain? (atscheck chain FILE)")
				    : cli_fail("chain: unexpected argument '%s'", argv[optind + 1]);
		goto out;
	}
	co.file = argv[optind];
	if (lab_file && ats_lab_roots_load(lab_file, &lab, &err) != 0) {
		rc = cli_fail("--lab-roots %s", err.msg);
		goto out;
	}
	so.sdk_configs = st.sdk_configs;
	if (st.nb == 0 && st.nc == 0 && st.ns == 0) {
		/* The store a probe would use: libcurl's own CA file and path. */
		const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
		if (cv->cainfo)
			st.bundles[st.nb++] = cv->cainfo;
		if (cv->capath)
			st.capaths[st.nc++] = cv->capath;
		defaults = true;
	}
	so.root = c.root;
	so.bundles = st.bundles;
	so.capaths = st.capaths;
	if (ats_store_list_load(&so, &stores, &err) != 0) {
		rc = cli_fail("%s", err.msg);
		goto out;
	}
	for (size_t i = 0; defaults && i < stores->n; i++)
		stores->v[i]->user_given = false; /* a device store that is missing is a finding */
	co.stores = stores;
	co.at = c.at;
	co.now = c.now;
	co.root = c.root;
	co.lab = lab;
	if (ats_chain_run(&co, &report, &err) != 0) {
		rc = cli_fail("%s", err.msg);
		goto out;
	}
	rc = cli_emit(report, &c);
out:
	ats_store_list_free(stores);
	ats_lab_roots_free(lab);
	cli_stores_free(&st);
	return rc;
}
