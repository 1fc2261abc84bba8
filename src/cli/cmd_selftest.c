#include "cli.h"

#include "serve/selftest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: atscheck selftest [--listen ADDR] [--timeout SECONDS] [--format FMT] [--output FILE]\n\n"
	"Proves that this device's libcurl/OpenSSL stack can do the job, even offline: makes a\n"
	"throw-away ATS-like PKI (roots with the six CAs' names and key types, the cross-signs, an\n"
	"intermediate, a leaf for localhost), serves it on loopback with the look-alike endpoint, and\n"
	"probes it over HTTP/2 and HTTP/1.1: with Amazon Root CA 1 in the store; with only Starfield\n"
	"Class 2 and the cross-signs sent; and without the cross-signs, which must fail.\n\n"
	"  --listen ADDR      loopback address to serve on: 127.0.0.1 (default) or ::1\n"
	"  --timeout SECONDS  per probe run (default 10)\n"
	"  --format FMT       text (default), json, prometheus, junit, nagios\n"
	"  --output FILE      write the report to FILE (atomically) instead of standard output\n"
	"  --device-id ID     name this device in the report (default: hostname)\n"
	"  --help             this help\n\n"
	"Exit codes: 0 OK, 2 CRITICAL (this stack cannot do the job), 3 UNKNOWN.\n";

enum { OPT_LISTEN = CLI_OPT_FIRST_OWN, OPT_TIMEOUT };

int cmd_selftest(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{NULL, 0, NULL, 0},
	};
	cli_common c;
	ats_selftest_opts so = {0};
	json_t *report = NULL;
	ats_err err = {0};
	int opt;

	cli_common_init(&c);
	optind = 1;
	while ((opt = cli_getopt(&c, NULL, argc, argv, "", longopts)) != -1) {
		if (opt == CLI_OPT_ERROR)
			return ATS_VERDICT_UNKNOWN;
		switch (opt) {
		case CLI_OPT_HELP: fputs(usage, stdout); return 0;
		case OPT_LISTEN:
			if (strcmp(optarg, "127.0.0.1") != 0 && strcmp(optarg, "::1") != 0)
				return cli_fail("--listen %s: the selftest serves on loopback only "
						"(127.0.0.1 or ::1)", optarg);
			so.listen = optarg;
			break;
		case OPT_TIMEOUT: {
			char *end;
			errno = 0;
			double s = strtod(optarg, &end);
			if (errno || *end || end == optarg || s <= 0 || s > 3600)
				return cli_fail("--timeout %s: expected a number of seconds (up to 3600)",
						optarg);
			so.timeout_ms = (long)(s * 1000) > 0 ? (long)(s * 1000) : 1;
			break;
		}
		default: return cli_usage_error("selftest");
		}
	}
	if (optind < argc)
		return cli_fail("selftest: unexpected argument '%s'", argv[optind]);
	if (c.root || c.at != c.now)
		return cli_fail("selftest: --root and --at do not apply (it tests this device, now)");
	so.now = c.now;
	if (ats_selftest_run(&so, &report, &err) != 0)
		return cli_fail("%s", err.msg);
	return cli_emit(report, &c);
}
