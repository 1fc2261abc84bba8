#include "cli.h"

#include "dha/barcode.h"
#include "dha/dha.h"
#include "dha/dha_logmerge.h"
#include "dha/dha_sign.h"
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
	"                           (--count N | --ids FILE) --out DIR [--days 1825] [--jobs N]\n"
	"       atscheck dha sign --config device.conf --dak-cert FILE --dak-key FILE --out DIR\n"
	"                           (CSR... | --dir DIR) [--id ID] [--days 1825] [--jobs N]\n"
	"       atscheck dha log merge LOG... --out DIR\n\n"
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
	"  --dak-key FILE|URI      dak_private_key.pem (must not be readable by group or others),\n"
	"                          or the key in a PKCS#11 token: an RFC 7512 pkcs11: URI\n"
	"  --pin-file FILE         the token's PIN (first line); or ATSCHECK_PKCS11_PIN\n"
	"  --allow-open-dak-key    use a DAK key readable by others anyway (reported)\n"
	"  --allow-dak-not-ca      sign with a DAK certificate that is not a CA (CA:FALSE) anyway:\n"
	"                          the devices' certificates will not verify (reported)\n"
	"  --count N               N devices, ids <batch>-000001... (the batch id is kept in OUT)\n"
	"  --ids FILE              the device ids, one a line\n"
	"  --id-prefix P           ids P-000001... instead of the batch's own\n"
	"  --out DIR               the output folder\n"
	"  --days N                certificate lifetime (default 1825)\n"
	"  --barcode FMT           png (default), svg, both, none\n\n"
	"sign certifies CSRs the devices made in their secure element (PEM or DER), as\n"
	"`openssl x509 -req -in ID.csr -extfile device.conf -extensions req_ext -CA dak-certificate.pem\n"
	"-CAkey dak_private_key.pem -days 1825 -sha256` does, after checking each (parses, key,\n"
	"signature, subject, extensions, dak-key, device-id, unique-key); a refused CSR is named with\n"
	"its check and nothing is written for it. Per device OUT/<id>/: device-certificate.pem, <id>.pem\n"
	"(device + DAK certificate), dha-control-log-public-key.txt; and OUT/control-log.csv, .jsonl.\n\n"
	"  CSR...                  CSR files; the device id is the name without .csr (or .der)\n"
	"  --dir DIR               every *.csr and *.der file in DIR\n"
	"  --id ID                 the device id of a single CSR\n\n"
	"log merge folds stations' control logs (control-log.csv, or the station's output folder)\n"
	"into DIR/control-log.csv and .jsonl for the upload, refusing a device id twice, a public key\n"
	"twice (a cloned secure element), and a line that is not its device-certificate.pem's when\n"
	"the device folders are beside the log; the same line twice is folded.\n" CLI_COMMON_HELP
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

/* The options provision and sign share: device.conf, the DAK (a file or a pkcs11: URI, its PIN
 * never from argv), the output folder, the lifetime and the threads. */
#define CLI_OPTS_DAK(o)                                                                            \
	{.name = "config", .kind = CLI_STR, .dest = &(o)->conf},                                   \
	{.name = "extensions", .kind = CLI_STR, .dest = &(o)->section},                            \
	{.name = "jobs", .kind = CLI_INT, .dest = &(o)->jobs, .lo = 1, .hi = 256},                 \
	{.name = "dak-cert", .kind = CLI_STR, .dest = &(o)->dak_cert},                             \
	{.name = "dak-key", .kind = CLI_STR, .dest = &(o)->dak_key},                               \
	{.name = "pin-file", .kind = CLI_STR, .dest = &(o)->pin.file},                             \
	{.name = "allow-open-dak-key", .kind = CLI_FLAG, .dest = &(o)->allow_open_dak_key},        \
	{.name = "out", .kind = CLI_STR, .dest = &(o)->out_dir},                                   \
	{.name = "days", .kind = CLI_INT, .dest = &(o)->days, .lo = 1, .hi = 36500}

static int cmd_dha_provision(int argc, char **argv)
{
	cli_cmd cmd = {.name = "dha provision", .usage = usage};
	ats_provision_opts po = {.days = 1825,
				 .section = "req_ext",
				 .jobs = cli_cores(256),
				 .barcode = ATS_BARCODE_PNG,
				 .pin.value = getenv("ATSCHECK_PKCS11_PIN")}; /* never from argv */
	int count = 0;
	cli_opt opts[] = {
		CLI_OPTS_DAK(&po),
		{.name = "allow-dak-not-ca", .kind = CLI_FLAG, .dest = &po.allow_dak_not_ca},
		{.name = "count", .kind = CLI_INT, .dest = &count, .lo = 1, .hi = 10000000},
		{.name = "ids", .kind = CLI_STR, .dest = &po.ids_file},
		{.name = "id-prefix", .kind = CLI_STR, .dest = &po.id_prefix},
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

static int cmd_dha_sign(int argc, char **argv)
{
	cli_cmd cmd = {.name = "dha sign", .usage = usage, .max_args = 1 << 30};
	ats_sign_opts so = {.days = 1825,
			    .section = "req_ext",
			    .jobs = cli_cores(256),
			    .pin.value = getenv("ATSCHECK_PKCS11_PIN")}; /* never from argv */
	cli_opt opts[] = {
		CLI_OPTS_DAK(&so),
		{.name = "dir", .kind = CLI_STR, .dest = &so.dir},
		{.name = "id", .kind = CLI_STR, .dest = &so.id},
		{.name = NULL},
	};
	struct timespec t0;
	int rc = cli_parse(&cmd, opts, argc, argv);
	if (rc != CLI_GO)
		return rc;
	if (!so.conf || !so.dak_cert || !so.dak_key || !so.out_dir || !so.dir == !cmd.nargs)
		return cli_usage_fail(&cmd, "needs --config, --dak-cert, --dak-key, --out and CSR files "
					    "or --dir DIR");
	so.csrs = cmd.nargs ? (const char *const *)cmd.args : NULL;
	so.now = cmd.c.now;
	so.progress = progress;
	so.progress_ctx = "signing";
	clock_gettime(CLOCK_MONOTONIC, &t0);
	return finish(&cmd, ats_sign_run(&so, &cmd.report, &cmd.err), &t0);
}

static int cmd_dha_log_merge(int argc, char **argv)
{
	cli_cmd cmd = {.name = "dha log merge",
		       .usage = usage,
		       .min_args = 1,
		       .max_args = 1 << 30,
		       .args_hint = "which control logs? (atscheck dha log merge LOG... --out DIR)"};
	const char *out = NULL;
	cli_opt opts[] = {
		{.name = "out", .kind = CLI_STR, .dest = &out},
		{.name = NULL},
	};
	struct timespec t0;
	int rc = cli_parse(&cmd, opts, argc, argv);
	if (rc != CLI_GO)
		return rc;
	if (!out)
		return cli_usage_fail(&cmd, "needs control logs and --out DIR");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	return finish(&cmd, ats_logmerge_run((const char *const *)cmd.args, out, &cmd.report, &cmd.err),
		      &t0);
}

static int cmd_dha_log(int argc, char **argv)
{
	static const cli_command subs[] = {
		{"merge", cmd_dha_log_merge, "fold stations' control logs into one upload"},
	};
	return cli_dispatch("dha log", subs, 1, NULL, usage, argc, argv);
}

int cmd_dha(int argc, char **argv)
{
	static const cli_command subs[] = {
		{"verify", cmd_dha_verify, "check a device's certificate.pem"},
		{"provision", cmd_dha_provision, "make a batch of devices"},
		{"sign", cmd_dha_sign, "certify CSRs made on the devices"},
		{"log", cmd_dha_log, "the control logs (merge)"},
	};
	return cli_dispatch("dha", subs, sizeof(subs) / sizeof(subs[0]), NULL, usage, argc, argv);
}
