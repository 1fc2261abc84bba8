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

/* No store given: the one a probe would use, libcurl's own CA file and path; a device store that is
 * missing is then a finding, not a bad input. */
static int load_stores(cli_stores *st, const cli_common *c, ats_store_list **out, ats_err *err)
{
	bool defaults = st->bundles.n == 0 && st->capaths.n == 0 && st->sdk_configs.n == 0;
	if (defaults) {
		const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
		if (cv->cainfo)
			st->bundles.v[st->bundles.n++] = cv->cainfo;
		if (cv->capath)
			st->capaths.v[st->capaths.n++] = cv->capath;
	}
	ats_store_opts so = {.root = c->root,
			     .bundles = st->bundles.v,
			     .capaths = st->capaths.v,
			     .sdk_configs = st->sdk_configs.v};
	if (ats_store_list_load(&so, out, err) != 0)
		return -1;
	for (size_t i = 0; defaults && i < (*out)->n; i++)
		(*out)->v[i]->user_given = false;
	return 0;
}

int cmd_chain(int argc, char **argv)
{
	cli_cmd cmd = {.name = "chain",
		       .usage = usage,
		       .min_args = 1,
		       .max_args = 1,
		       .args_hint = "which chain? (atscheck chain FILE)"};
	cli_stores st = {0};
	ats_chain_opts co = {0};
	const char *lab_file = NULL;
	cli_opt opts[] = {
		CLI_OPTS_STORES(&st),
		{.name = "host", .kind = CLI_STR, .dest = &co.host},
		{.name = "cacert", .kind = CLI_LIST, .dest = &st.bundles},
		{.name = "lab-roots", .kind = CLI_STR, .dest = &lab_file},
		{.name = NULL},
	};
	ats_store_list *stores = NULL;
	ats_lab_roots *lab = NULL;
	int rc = cli_parse(&cmd, opts, argc, argv);
	if (rc != CLI_GO)
		return rc;
	co.file = cmd.args[0];
	co.at = cmd.c.at;
	co.now = cmd.c.now;
	co.root = cmd.c.root;
	ats_err lerr = {0};
	if (lab_file && ats_lab_roots_load(lab_file, &lab, &lerr) != 0)
		rc = ats_err_set(&cmd.err, ATS_EUSAGE, "--lab-roots %s", lerr.msg);
	else if ((rc = load_stores(&st, &cmd.c, &stores, &cmd.err)) == 0) {
		co.lab = lab;
		co.stores = stores;
		rc = ats_chain_run(&co, &cmd.report, &cmd.err);
	}
	rc = cli_end(&cmd, rc);
	ats_store_list_free(stores);
	ats_lab_roots_free(lab);
	return rc;
}
