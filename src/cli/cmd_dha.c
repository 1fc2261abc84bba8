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
	"  --allow-dak-not-ca      sign with a DAK certificate that is not a CA (CA:FALSE) anyway:\n"
	"                          the devices' certificates will not verify (reported)\n"
	"  --count N               N devices, ids <batch>-000001... (the batch id is kept in OUT)\n"
	"  --ids FILE              the device ids, one a line\n"
	"  --id-prefix P           ids P-000001... instead of the batch's own\n"
	"  --out DIR               the output folder\n"
	"  --days N                certificate lifetime (default 1825)\n"
	"  --barcode FMT           png (default), svg, both, none\n" CLI_COMMON_HELP
	"\nExit codes: 0 OK, 1 WARNING, 2 CRITICAL (a check failed), 3 UNKNOWN (could not run).\n";

enum {
	OPT_KEY = CLI_OPT_FIRST_OWN,
	OPT_CLKEY,
	OPT_CONFIG,
	OPT_EXTS,
	OPT_ANCHOR,
	OPT_DIR,
	OPT_JOBS,
	OPT_DAK_CERT,
	OPT_DAK_KEY,
	OPT_ALLOW_OPEN,
	OPT_ALLOW_NOT_CA,
	OPT_COUNT,
	OPT_IDS,
	OPT_PREFIX,
	OPT_OUT,
	OPT_DAYS,
	OPT_BARCODE,
};

static int parse_num(const char *opt, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < lo || v > hi) {
		cli_fail("%s %s: expected a number from %ld to %ld", opt, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

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

static int default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 && n < 256 ? (int)n : 1;
}

int cmd_dha(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{"key", required_argument, NULL, OPT_KEY},
		{"control-log-key", required_argument, NULL, OPT_CLKEY},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"extensions", required_argument, NULL, OPT_EXTS},
		{"anchor", required_argument, NULL, OPT_ANCHOR},
		{"dir", required_argument, NULL, OPT_DIR},
		{"jobs", required_argument, NULL, OPT_JOBS},
		{"dak-cert", required_argument, NULL, OPT_DAK_CERT},
		{"dak-key", required_argument, NULL, OPT_DAK_KEY},
		{"allow-open-dak-key", no_argument, NULL, OPT_ALLOW_OPEN},
		{"allow-dak-not-ca", no_argument, NULL, OPT_ALLOW_NOT_CA},
		{"count", required_argument, NULL, OPT_COUNT},
		{"ids", required_argument, NULL, OPT_IDS},
		{"id-prefix", required_argument, NULL, OPT_PREFIX},
		{"out", required_argument, NULL, OPT_OUT},
		{"days", required_argument, NULL, OPT_DAYS},
		{"barcode", required_argument, NULL, OPT_BARCODE},
		{NULL, 0, NULL, 0},
	};
	cli_common c;
	ats_dha_verify_opts vo = {0};
	ats_provision_opts po = {0};
	const char **anchors = calloc((size_t)argc + 1, sizeof(char *));
	const char *dir = NULL, *sub = argc >= 2 ? argv[1] : "";
	size_t na = 0;
	long v;
	int rc = ATS_VERDICT_UNKNOWN, opt, jobs = default_jobs(), barcode = ATS_BARCODE_PNG;
	json_t *report = NULL;
	ats_err err = {0};
	struct timespec t0;

	cli_common_init(&c);
	po.days = 1825;
	po.section = vo.section = "req_ext";
	if (!anchors)
		goto out;
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		fputs(usage, stdout);
		rc = 0;
		goto out;
	}
	if (strcmp(sub, "verify") != 0 && strcmp(sub, "provision") != 0) {
		rc = cli_fail("dha: expected 'verify' or 'provision'%s%s", *sub ? ", not " : "", sub);
		cli_usage_error("dha");
		goto out;
	}
	argc--;
	argv++;
	optind = 1;
	while ((opt = cli_getopt(&c, NULL, argc, argv, "", longopts)) != -1) {
		if (opt == CLI_OPT_ERROR)
			goto out;
		switch (opt) {
		case CLI_OPT_HELP:
			fputs(usage, stdout);
			rc = 0;
			goto out;
		case OPT_KEY: vo.key = optarg; break;
		case OPT_CLKEY: vo.control_log_key = optarg; break;
		case OPT_CONFIG: vo.config = po.conf = optarg; break;
		case OPT_EXTS: vo.section = po.section = optarg; break;
		case OPT_ANCHOR: anchors[na++] = optarg; break;
		case OPT_DIR: dir = optarg; break;
		case OPT_DAK_CERT: po.dak_cert = optarg; break;
		case OPT_DAK_KEY: po.dak_key = optarg; break;
		case OPT_ALLOW_OPEN: po.allow_open_dak_key = true; break;
		case OPT_ALLOW_NOT_CA: po.allow_dak_not_ca = true; break;
		case OPT_IDS: po.ids_file = optarg; break;
		case OPT_PREFIX: po.id_prefix = optarg; break;
		case OPT_OUT: po.out_dir = optarg; break;
		case OPT_JOBS:
			if (parse_num("--jobs", optarg, 1, 256, &v) != 0)
				goto out;
			jobs = (int)v;
			break;
		case OPT_COUNT:
			if (parse_num("--count", optarg, 1, 10000000, &v) != 0)
				goto out;
			po.count = (size_t)v;
			break;
		case OPT_DAYS:
			if (parse_num("--days", optarg, 1, 36500, &v) != 0)
				goto out;
			po.days = (int)v;
			break;
		case OPT_BARCODE:
			if ((barcode = ats_barcode_fmt_parse(optarg)) < 0) {
				rc = cli_fail("--barcode %s: expected png, svg, both or none", optarg);
				goto out;
			}
			break;
		default:
			rc = cli_usage_error("dha");
			goto out;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (strcmp(sub, "provision") == 0) {
		if (optind < argc) {
			rc = cli_fail("dha provision: unexpected argument '%s'", argv[optind]);
			goto out;
		}
		if (!po.conf || !po.dak_cert || !po.dak_key || !po.out_dir ||
		    !po.ids_file == !po.count) {
			rc = cli_fail("dha provision: needs --config, --dak-cert, --dak-key, --out and "
				      "one of --count N or --ids FILE");
			cli_usage_error("dha");
			goto out;
		}
		if (po.allow_open_dak_key)
			fprintf(stderr, "atscheck: WARNING: --allow-open-dak-key: a DAK key readable by "
					"group or others will be used if it is one\n");
		po.jobs = jobs;
		po.barcode = barcode;
		po.now = c.now;
		po.progress = progress;
		po.progress_ctx = "provisioning";
		int r = ats_provision_run(&po, &report, &err);
		cli_progress_end();
		if (r != 0) {
			rc = cli_fail("%s", err.msg);
			goto out;
		}
	} else {
		if (!dir == !(optind < argc) || argc - optind > 1) {
			rc = cli_fail("dha verify: give one CERTIFICATE_PEM, or --dir DIR");
			cli_usage_error("dha");
			goto out;
		}
		vo.anchors = anchors;
		vo.at = c.at;
		vo.jobs = jobs;
		vo.progress = progress;
		vo.progress_ctx = "verifying";
		int r = dir ? ats_dha_verify_dir(dir, &vo, &report, &err)
			    : ats_dha_verify_file(argv[optind], &vo, &report, &err);
		cli_progress_end();
		if (r != 0) {
			rc = cli_fail("%s", err.msg);
			goto out;
		}
	}
	double s = seconds_since(&t0);
	json_object_set_new(report, "seconds", json_real(s));
	rc = cli_emit(report, &c);
out:
	free(anchors);
	return rc;
}
