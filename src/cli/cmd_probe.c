#include "cmd_probe.h"

#include "base/curl_lazy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
	"Usage: atscheck probe [--endpoint URL] [--http2] [--http1.1] [--cacert FILE | --capath DIR]\n"
	"                      [--resolve HOST:PORT:ADDR] [--timeout SECONDS] [--proxy URL]\n"
	"                      [--save-chain FILE] [--at TIME] [--format FMT] [--output FILE]\n\n"
	"Connects to the ATS test endpoint the way this device's libcurl and OpenSSL would, over\n"
	"HTTP/2 and HTTP/1.1 at once: TLS 1.2 or newer, full verification, partial chains refused (a\n"
	"pass proves the root really is in the store). Reports per probe the address, DNS / TCP / TLS /\n"
	"first-byte times, TLS version, cipher, ALPN, HTTP version and status, the chain the server\n"
	"sent and the CA that anchored it; every failure with its cause and its fix.\n\n" PROBE_HELP
	"  --format FMT       text (default), json, prometheus, junit, nagios\n"
	"  --output FILE      write the report to FILE (atomically) instead of standard output\n"
	"  --at TIME          verify certificates as at TIME (YYYY-MM-DD[THH:MM:SSZ], @EPOCH)\n"
	"  --device-id ID     name this device in the report (default: hostname)\n"
	"  --help             this help\n\n"
	"An HTTP/2 probe that does not get HTTP/2 fails: AVS needs it. An HTTP/1.1 probe passes on a\n"
	"verified handshake whatever the server answers.\n"
	"Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n";

int probe_cli_init(probe_cli *p, int argc)
{
	memset(p, 0, sizeof(*p));
	p->resolve = calloc((size_t)argc + 1, sizeof(char *));
	p->o.resolve = p->resolve;
	return p->resolve ? 0 : -1;
}

int probe_cli_opt(probe_cli *p, int opt, const char *arg)
{
	switch (opt) {
	case PROBE_OPT_ENDPOINT: p->o.url = arg; return 1;
	case PROBE_OPT_HTTP2: p->o.http2 = true; return 1;
	case PROBE_OPT_HTTP11: p->o.http11 = true; return 1;
	case PROBE_OPT_CACERT: p->o.cainfo = arg; return 1;
	case PROBE_OPT_CAPATH: p->o.capath = arg; return 1;
	case PROBE_OPT_PROXY: p->o.proxy = arg; return 1;
	case PROBE_OPT_SAVE_CHAIN: p->o.save_chain = arg; return 1;
	case PROBE_OPT_LAB_ROOTS: p->lab_file = arg; return 1;
	case PROBE_OPT_LIBCURL: {
		ats_err err = {0};
		if (ats_curl_use(arg, &err) != 0)
			return cli_fail("--libcurl %s", err.msg), -1;
		return 1;
	}
	case PROBE_OPT_RESOLVE: {
		/* HOST:PORT:ADDR[,ADDR]..., as curl takes it. */
		const char *c1 = strchr(arg, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		char *end;
		long port = c1 ? strtol(c1 + 1, &end, 10) : 0;
		if (!c1 || !c2 || c1 == arg || end != c2 || port <= 0 || port > 65535 || !c2[1]) {
			cli_fail("--resolve %s: expected HOST:PORT:ADDRESS", arg);
			return -1;
		}
		p->resolve[p->nresolve++] = arg;
		return 1;
	}
	case PROBE_OPT_TIMEOUT: {
		char *end;
		errno = 0;
		double s = strtod(arg, &end);
		if (errno || *end || end == arg || s <= 0 || s > 3600) {
			cli_fail("--timeout %s: expected a number of seconds (up to 3600)", arg);
			return -1;
		}
		p->o.timeout_ms = (long)(s * 1000);
		if (p->o.timeout_ms < 1)
			p->o.timeout_ms = 1;
		return 1;
	}
	default: return 0;
	}
}

int probe_cli_finish(probe_cli *p, const cli_common *c)
{
	struct stat st;
	ats_err err = {0};
	if (p->o.cainfo && (stat(p->o.cainfo, &st) != 0 || !S_ISREG(st.st_mode) ||
			    access(p->o.cainfo, R_OK) != 0))
		return cli_fail("--cacert %s: %s", p->o.cainfo,
				errno == ENOENT ? "no such file" : "not a readable file"),
		       -1;
	if (p->o.capath && (stat(p->o.capath, &st) != 0 || !S_ISDIR(st.st_mode)))
		return cli_fail("--capath %s: not a directory", p->o.capath), -1;
	if (p->lab_file) {
		if (ats_lab_roots_load(p->lab_file, &p->lab, &err) != 0)
			return cli_fail("--lab-roots %s", err.msg), -1;
		p->o.lab = p->lab;
	}
	p->o.at = c->at;
	p->o.now = c->now;
	return 0;
}

void probe_cli_free(probe_cli *p)
{
	free(p->resolve);
	ats_lab_roots_free(p->lab);
}

int cmd_probe(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		PROBE_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	cli_common c;
	probe_cli p;
	json_t *report = NULL;
	ats_err err = {0};
	int rc = ATS_VERDICT_UNKNOWN, opt;

	cli_common_init(&c);
	if (probe_cli_init(&p, argc) != 0)
		return cli_fail("out of memory");
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int r = cli_common_opt(&c, opt, optarg);
		if (r == 0)
			r = probe_cli_opt(&p, opt, optarg);
		if (r < 0)
			goto out;
		if (r > 0)
			continue;
		if (opt == CLI_OPT_HELP) {
			fputs(usage, stdout);
			rc = 0;
		} else {
			rc = cli_usage_error("probe");
		}
		goto out;
	}
	if (optind < argc) {
		rc = cli_fail("probe: unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (c.root) {
		rc = cli_fail("probe: --root does not apply (a probe runs on this device); "
			      "use atscheck chain --root for an image");
		goto out;
	}
	if (probe_cli_finish(&p, &c) != 0)
		goto out;
	if (ats_probe_run(&p.o, &report, &err) != 0) {
		rc = cli_fail("%s", err.msg);
		goto out;
	}
	rc = cli_emit(report, &c);
out:
	probe_cli_free(&p);
	return rc;
}
