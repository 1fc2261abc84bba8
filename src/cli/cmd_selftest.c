#include "cli.h"

#include "serve/selftest.h"

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
	"  --timeout SECONDS  per probe run (default 10)\n" CLI_HELP_FORMAT CLI_HELP_OUTPUT CLI_HELP_ID
	"\n"
	"Exit codes: 0 OK, 2 CRITICAL (this stack cannot do the job), 3 UNKNOWN.\n";

static const char *loopback(void *dest, const char *v, char *buf)
{
	(void)dest;
	(void)buf;
	return strcmp(v, "127.0.0.1") == 0 || strcmp(v, "::1") == 0
		       ? NULL
		       : "the selftest serves on loopback only (127.0.0.1 or ::1)";
}

int cmd_selftest(int argc, char **argv)
{
	cli_cmd cmd = {.name = "selftest", .usage = usage};
	ats_selftest_opts so = {0};
	cli_opt opts[] = {
		{.name = "listen", .kind = CLI_STR, .dest = &so.listen, .fn = loopback},
		{.name = "timeout", .kind = CLI_SECONDS, .dest = &so.timeout_ms, .hi = 3600},
		{.name = NULL},
	};
	int rc = cli_parse(&cmd, opts, argc, argv);
	if (rc != CLI_GO)
		return rc;
	if (cmd.c.root || cmd.c.at != cmd.c.now)
		return cli_usage_fail(&cmd,
				      "--root and --at do not apply (it tests this device, now)");
	so.now = cmd.c.now;
	return cli_end(&cmd, ats_selftest_run(&so, &cmd.report, &cmd.err));
}
