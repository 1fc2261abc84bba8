#include "cmd_probe.h"

#include "probe/ats_roots.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
	"Usage: atscheck probe [--endpoint URL] [--http2] [--http1.1] [--cacert FILE | --capath DIR]\n"
	"                      [--resolve HOST:PORT:ADDR] [--timeout SECONDS] [--proxy URL]\n"
	"                      [--save-chain FILE] [--at TIME] [--format FMT] [--output FILE]\n"
	"       atscheck probe --ats-roots [--require-revocation] [--port N] [store, --resolve,\n"
	"                      --proxy, --timeout, --at, --lab-roots, --format as above]\n\n"
	"Connects to the ATS test endpoint the way this device's libcurl and OpenSSL would, over\n"
	"HTTP/2 and HTTP/1.1 at once: TLS 1.2 or newer, full verification, partial chains refused (a\n"
	"pass proves the root really is in the store). Reports per probe the address, DNS / TCP / TLS /\n"
	"first-byte times, TLS version, cipher, ALPN, HTTP version and status, the chain the server\n"
	"sent and the CA that anchored it; every failure with its cause and its fix.\n\n" PROBE_HELP
	CLI_HELP_FORMAT CLI_HELP_OUTPUT CLI_HELP_AT CLI_HELP_ID "\n"
	"An HTTP/2 probe that does not get HTTP/2 fails: AVS needs it. An HTTP/1.1 probe passes on a\n"
	"verified handshake whatever the server answers.\n"
	"Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n";

const char *probe_cli_resolve(void *dest, const char *arg, char *buf)
{
	(void)dest;
	(void)buf;
	/* HOST:PORT:ADDR[,ADDR]..., as curl takes it. */
	const char *c1 = strchr(arg, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	char *end;
	long port = c1 ? strtol(c1 + 1, &end, 10) : 0;
	if (!c1 || !c2 || c1 == arg || end != c2 || port <= 0 || port > 65535 || !c2[1])
		return "expected HOST:PORT:ADDRESS";
	return NULL;
}

int probe_cli_finish(probe_cli *p, const cli_common *c, ats_err *err)
{
	struct stat st;
	ats_err lerr = {0};
	if (p->o.cainfo &&
	    (stat(p->o.cainfo, &st) != 0 || !S_ISREG(st.st_mode) || access(p->o.cainfo, R_OK) != 0))
		return ats_err_set(err, ATS_EUSAGE, "--cacert %s: %s", p->o.cainfo,
				   errno == ENOENT ? "no such file" : "not a readable file");
	if (p->o.capath && (stat(p->o.capath, &st) != 0 || !S_ISDIR(st.st_mode)))
		return ats_err_set(err, ATS_EUSAGE, "--capath %s: not a directory", p->o.capath);
	if (!p->ats_roots && (p->port || p->require_revocation))
		return ats_err_set(err, ATS_EUSAGE,
				   "--port and --require-revocation apply only with --ats-roots");
	if (p->lab_file) {
		if (ats_lab_roots_load(p->lab_file, &p->lab, &lerr) != 0)
			return ats_err_set(err, ATS_EUSAGE, "--lab-roots %s", lerr.msg);
		p->o.lab = p->lab;
	}
	p->o.resolve = p->resolve.v;
	p->o.at = c->at;
	p->o.now = c->now;
	return 0;
}

void probe_cli_free(probe_cli *p)
{
	ats_lab_roots_free(p->lab);
	p->lab = NULL;
}

int cmd_probe(int argc, char **argv)
{
	cli_cmd cmd = {.name = "probe", .usage = usage};
	probe_cli p = {0};
	cli_opt opts[] = {
		PROBE_OPTS(&p),
		{.name = "cacert", .kind = CLI_STR, .dest = &p.o.cainfo},
		{.name = "capath", .kind = CLI_STR, .dest = &p.o.capath},
		{.name = NULL},
	};
	int rc = cli_parse(&cmd, opts, argc, argv);
	if (rc != CLI_GO)
		return rc;
	if (cmd.c.root) {
		rc = cli_usage_fail(&cmd,
				    "--root does not apply (a probe runs on this device); use "
				    "atscheck chain --root for an image");
	} else if (p.ats_roots && (p.o.url || p.o.http2 || p.o.http11 || p.o.save_chain)) {
		rc = cli_usage_fail(&cmd, "--ats-roots probes its own 15 hosts: --endpoint, --http2, "
					  "--http1.1 and --save-chain do not apply");
	} else if (probe_cli_finish(&p, &cmd.c, &cmd.err) != 0) {
		rc = cli_end(&cmd, 1);
	} else if (p.ats_roots) {
		ats_roots_opts ro = {.probe = p.o, .port = p.port,
				     .require_revocation = p.require_revocation};
		rc = cli_end(&cmd, ats_roots_run(&ro, &cmd.report, &cmd.err) != 0);
	} else {
		rc = cli_end(&cmd, ats_probe_run(&p.o, &cmd.report, &cmd.err) != 0);
	}
	probe_cli_free(&p);
	return rc;
}
