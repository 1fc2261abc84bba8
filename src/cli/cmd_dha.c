#include "cli.h"

#include "dha/barcode.h"
#include "dha/dha.h"
#include "dha/provision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"Usage: atscheck dha verify CERTIFICATE_PEM [--key FILE] [--control-log-key FILE]\n"
	"                           [--config device.conf] [--anchor FILE]... [--at TIME]\n"
	"       atscheck dha verify --dir DIR [--config device.conf] [--anchor FILE]... [--jobs N]\n"
	"       atscheck dha provision --config device.conf --dak-cert FILE --dak-key FILE\n"
	"                           (--count N | --ids FILE) --out DIR [--days 1825] [--jobs N]\n\n"
	"Device Hardware Authentication (DHA) certificates of Frustration-Free-Setup devices.\n\n"
	"verify checks a certificate.pem (the device certificate, then the DAK certificate that\n"
	"signed it), each check named with pass / warn / fail: the order and count, the device key\n"
	"(EC P-256), the signature (ecdsa-with-SHA256, by the DAK), issuer and key identifiers,\n"
	"validity at --at, the 1825-day lifetime, CA:FALSE, the DAK fit to sign; with --config the\n"
	"subject and extensions device.conf asks for; with --key the private key; with\n"
	"--control-log-key the base64 public key of the control log; with --anchor the DAK's chain.\n"
	"--dir checks every certificate.pem under DIR (and the private_key.pem and\n"
	"dha-control-log-public-key.txt beside each), in parallel, one result per device.\n\n"
	"  --key FILE              the device's private_key.pem\n"
	"  --control-log-key FILE  dha-control-log-public-key.txt\n"
	"  --config FILE           device.conf (its distinguished_name and req_ext)\n"
	"  --extensions SECTION    the extensions section of device.conf (default req_ext)\n"
	"  --anchor FILE           a trust anchor the DAK must chain to (repeatable)\n"
	"  --dir DIR               verify every certificate.pem under DIR\n"
	"  --jobs N                threads (default: the number of cores)\n\n"
	"provision makes, per device, OUT/<id>/ with private_key.pem (0600), device.csr,\n"
	"device-certificate.pem, certificate.pem, dha-control-log-public-key.txt, device-id.txt\n"
	"and the id as a Code 128 barcode; and OUT/control-log.csv and .jsonl for the batch.\n"
	"Run it again to finish an interrupted batch: finished devices are kept, never remade.\n\n"
	"  --config FILE           device.conf from the developer console\n"
	"  --dak-cert FILE         dak-certificate.pem\n"
	"  --dak-key FILE          dak_private_key.pem (must not be readable by group or others)\n"
	"  --allow-open-dak-key    use a DAK key readable by others anyway (reported)\n"
	"  --count N               N devices, ids <batch>-000001... (the batch id is kept in OUT)\n"
	"  --ids FILE              the device ids, one a line\n"
	"  --id-prefix P           ids P-000001... instead of the batch's own\n"
	"  --out DIR               the output folder\n"
	"  --days N                certificate lifetime (default 1825)\n"
	"  --barcode FMT           png (default), svg, both, none\n" CLI_COMMON_HELP
	"\nExit codes: 0 OK, 1 WARNING, 2 CRITICAL (a check failed), 3 UNKNOWN (could not run).\n";

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void progress(void *ctx, size_t done, size_t total)
{
	cli_progress((const char *)ctx, done, total);
}

/* The end both share: the library's result (r), how long it took, the report. */
static int finish(cli_cmd *cmd, int r, const struct timespec *t0)
{
	cli_progress_end();
	if (r == 0)
		json_object_set_new(cmd->report, "seconds", json_real(seconds_since(t0)));
	return cli_end(cmd, r);
}

static int cmd_dha_verify(int argc, char **argv)
{
	cli_cmd cmd = {.name = "dha verify", .usage = usage, .max_args = 1};
	ats_dha_verify_opts vo = {.section = "req_ext", .jobs = cli_cores(256)};
	cli_list anchors = {0};
	const char *dir = NULL;
	cli_opt opts[] = {
		{.name = "key", .kind = CLI_STR, .dest = &vo.key},
		{.name = "control-log-key", .kind = CLI_STR, .dest = &vo.control_log_key},
		{.name = "config", .kind = CLI_STR, .dest = &vo.config},
		{.name = "extensions", .kind = CLI_STR, .dest = &vo.section},
		{.name = "anchor", .kind = CLI_LIST, .dest = &anchors},
		{.name = "dir", .kind = CLI_STR, .dest = &dir},
		{.name = "jobs", .kind = CLI_INT, .dest = &vo.jobs, .lo = 1, .hi = 256},
		{.name = NULL},
	};
	struct timespec t0;
	int rc = cli_parse(&cmd, opts, argc, argv);
	if (rc != CLI_GO)
		return rc;
	if (!dir == !cmd.nargs)
		return cli_usage_fail(&cmd, "give one CERTIFICATE_PEM, or --dir DIR");
	vo.anchors = anchors.v;
	vo.at = cmd.c.at;
	vo.progress = progress;
	vo.progress_ctx = "verifying";
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = dir ? ats_dha_verify_dir(dir, &vo, &cmd.report, &cmd.err)
		 : ats_dha_verify_file(cmd.args[0], &vo, &cmd.report, &cmd.err);
	return finish(&cmd, rc, &t0);
}

static int cmd_dha_provision(int argc, char **argv)
{
	cli_cmd cmd = {.name = "dha provision", .usage = usage};
	ats_provision_opts po = {.days = 1825,
				 .section = "req_ext",
				 .jobs = cli_cores(256),
				 .barcode = ATS_BARCODE_PNG};
	int count = 0;
	cli_opt opts[] = {
		{.name = "config", .kind = CLI_STR, .dest = &po.conf},
		{.name = "extensions", .kind = CLI_STR, .dest = &po.section},
		{.name = "jobs", .kind = CLI_INT, .dest = &po.jobs, .lo = 1, .hi = 256},
		{.name = "dak-cert", .kind = CLI_STR, .dest = &po.dak_cert},
		{.name = "dak-key", .kind = CLI_STR, .dest = &po.dak_key},
		{.name = "allow-open-dak-key", .kind = CLI_FLAG, .dest = &po.allow_open_dak_key},
		{.name = "count", .kind = CLI_INT, .dest = &count, .lo = 1, .hi = 10000000},
		{.name = "ids", .kind = CLI_STR, .dest = &po.ids_file},
		{.name = "id-prefix", .kind = CLI_STR, .dest = &po.id_prefix},
		{.name = "out", .kind = CLI_STR, .dest = &po.out_dir},
		{.name = "days", .kind = CLI_INT, .dest = &po.days, .lo = 1, .hi = 36500},
		{.name = "barcode",
		 .kind = CLI_ENUM,
		 .dest = &po.barcode,
		 .parse = ats_barcode_fmt_parse,
		 .expect = "png, svg, both or none"},
		{.name = NULL},
	};
	struct timespec t0;
	int rc = cli_parse(&cmd, opts, argc, argv);
	if (rc != CLI_GO)
		return rc;
	po.count = (size_t)count;
	if (!po.conf || !po.dak_cert || !po.dak_key || !po.out_dir || !po.ids_file == !po.count)
		return cli_usage_fail(&cmd,
				      "needs --config, --dak-cert, --dak-key, --out and one of "
				      "--count N or --ids FILE");
	if (po.allow_open_dak_key)
		fprintf(stderr, "atscheck: WARNING: --allow-open-dak-key: a DAK key readable by "
				"group or others will be used if it is one\n");
	po.now = cmd.c.now;
	po.progress = progress;
	po.progress_ctx = "provisioning";
	clock_gettime(CLOCK_MONOTONIC, &t0);
	return finish(&cmd, ats_provision_run(&po, &cmd.report, &cmd.err), &t0);
}

int cmd_dha(int argc, char **argv)
{
	static const cli_command subs[] = {
		{"verify", cmd_dha_verify, "check a device's certificate.pem"},
		{"provision", cmd_dha_provision, "make a batch of devices"},
	};
	return cli_dispatch("dha", subs, 2, NULL, usage, argc, argv);
}
