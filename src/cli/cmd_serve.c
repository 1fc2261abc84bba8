#include "cli.h"

#include "serve/ats_roots_lab.h"
#include "serve/serve.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
	"Usage: atscheck serve --cert FILE --key FILE [--chain FILE] [--listen ADDR:PORT]\n"
	"                      [--tls-min V] [--tls-max V] [--no-h2 | --alpn LIST]\n"
	"                      [--plain | --stall | --reset] [--timeout SECONDS] [--quiet]\n"
	"                      [--ocsp-response FILE]\n"
	"       atscheck serve --ats-roots-lab DIR [--listen ADDR:PORT] [...]\n"
	"       atscheck serve --make-ats-roots-lab DIR\n\n"
	"Serves a look-alike of the ATS test endpoint (https://avs-ats-cert-test.amazon.com) for\n"
	"tests and for labs with no internet: TLS with the certificate and chain given, HTTP/2 or\n"
	"HTTP/1.1 chosen by ALPN. An HTTP/2 request gets 200 \"connection established with ATS\n"
	"certificate\"; an HTTP/1.x request gets an unexpected answer (505), as the real endpoint's\n"
	"HTTP/1.x clients do, although the TLS connection itself succeeded.\n\n"
	"Prints 'listening on ADDR:PORT' on standard output once it accepts connections, one line\n"
	"per request or failed handshake on standard error, and stops cleanly on SIGTERM or SIGINT.\n\n"
	"  --cert FILE        the server certificate, PEM (certificates after the first are sent\n"
	"                     as its chain)\n"
	"  --key FILE         its private key, PEM or DER, unencrypted\n"
	"  --chain FILE       more certificates to send after the leaf, in the order given\n"
	"  --listen ADDR:PORT where to listen (default " ATS_SERVE_DEFAULT_LISTEN
	"); port 0 picks a\n"
	"                     free one; IPv6 as [::1]:8443\n"
	"  --tls-min V        lowest TLS version accepted: 1.0, 1.1, 1.2, 1.3\n"
	"  --tls-max V        highest TLS version accepted (--tls-max 1.1: an old server)\n"
	"  --no-h2            offer only http/1.1 in ALPN (a server without HTTP/2)\n"
	"  --alpn LIST        ALPN protocols offered, preferred first (default h2,http/1.1;\n"
	"                     'none': no ALPN at all)\n"
	"  --plain            no TLS on the port: HTTP in clear (a client expecting TLS fails)\n"
	"  --stall            accept connections and never answer (the client times out)\n"
	"  --reset            reset each connection (TCP RST) during the TLS handshake\n"
	"  --timeout SECONDS  per-connection limit on idle time, and on the whole of a TLS\n"
	"                     handshake or an HTTP/1.x request head however slowly it drips\n"
	"                     (default 10)\n"
	"  --max-conns N      connections open at once (default 256); when all are taken, the\n"
	"                     oldest unfinished handshake or request head makes room, else the\n"
	"                     new one is closed\n"
	"  --quiet            no log lines on standard error\n"
	"  --ocsp-response FILE  staple this DER OCSP response (openssl ocsp -respout) when the\n"
	"                     client asks for one\n"
	"  --make-ats-roots-lab DIR  write a lab for atscheck probe --ats-roots into DIR: five\n"
	"                     roots (the real names and key types), per root a good, an expired\n"
	"                     and a revoked leaf for good./expired./revoked.scaNa.amazontrust.com,\n"
	"                     and each root's index.txt for openssl ocsp; then exit\n"
	"  --ats-roots-lab DIR  serve all 15 names of that lab on one port (SNI picks the\n"
	"                     certificate), stapling DIR/HOST.ocsp.der where there is one\n"
	"  --help             this help\n\n"
	"Exit codes: 0 stopped by a signal, 3 could not start (bad option, unreadable certificate\n"
	"or key, address in use).\n";

static ats_serve *running;

static void on_signal(int sig)
{
	(void)sig;
	if (running)
		ats_serve_stop(running);
}

static void log_line(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "atscheck serve: %s\n", line);
}

/* Runs s until a signal stops it; 0, or 3 (said). */
static int serve_until_stopped(ats_serve *s, bool log)
{
	ats_err err = {0};
	struct sigaction sa = {.sa_handler = on_signal}, ign = {.sa_handler = SIG_IGN};
	sigemptyset(&sa.sa_mask);
	sigemptyset(&ign.sa_mask);
	running = s;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGPIPE, &ign, NULL);

	int rc = 0;
	if (printf("listening on %s\n", ats_serve_bound_address(s)) < 0 || fflush(stdout) != 0)
		rc = cli_fail("cannot write to standard output");
	else if (ats_serve_run(s, &err) != 0)
		rc = cli_fail("%s", err.msg);
	else if (log) {
		ats_serve_stats st;
		ats_serve_get_stats(s, &st);
		fprintf(stderr,
			"atscheck serve: stopped after %lu connections, %lu handshakes (%lu failed), "
			"%lu HTTP/2 and %lu HTTP/1.x requests\n",
			st.accepted, st.handshakes, st.tls_failed, st.h2_requests, st.h1_requests);
	}
	running = NULL;
	return rc;
}

int cmd_serve(int argc, char **argv)
{
	cli_cmd cmd = {.name = "serve", .usage = usage, .bare = true};
	ats_serve_opts o = {.log = log_line};
	int timeout_s = 0, mode = ATS_SERVE_NORMAL;
	bool no_h2 = false, quiet = false;
	const char *lab_dir = NULL, *make_lab = NULL;
	cli_opt opts[] = {
		{.name = "cert", .kind = CLI_STR, .dest = &o.cert_file},
		{.name = "key", .kind = CLI_STR, .dest = &o.key_file},
		{.name = "chain", .kind = CLI_STR, .dest = &o.chain_file},
		{.name = "listen", .kind = CLI_STR, .dest = &o.listen},
		{.name = "tls-min",
		 .kind = CLI_ENUM,
		 .dest = &o.tls_min,
		 .parse = ats_serve_tls_version,
		 .expect = "1.0, 1.1, 1.2 or 1.3"},
		{.name = "tls-max",
		 .kind = CLI_ENUM,
		 .dest = &o.tls_max,
		 .parse = ats_serve_tls_version,
		 .expect = "1.0, 1.1, 1.2 or 1.3"},
		{.name = "no-h2", .kind = CLI_FLAG, .dest = &no_h2},
		{.name = "alpn", .kind = CLI_STR, .dest = &o.alpn},
		{.name = "plain", .kind = CLI_CONST, .dest = &mode, .lo = ATS_SERVE_PLAIN},
		{.name = "stall", .kind = CLI_CONST, .dest = &mode, .lo = ATS_SERVE_STALL},
		{.name = "reset", .kind = CLI_CONST, .dest = &mode, .lo = ATS_SERVE_RESET},
		{.name = "timeout", .kind = CLI_INT, .dest = &timeout_s, .lo = 1, .hi = 86400},
		{.name = "max-conns", .kind = CLI_INT, .dest = &o.max_conns, .lo = 1, .hi = 100000},
		{.name = "quiet", .kind = CLI_FLAG, .dest = &quiet},
		{.name = "ocsp-response", .kind = CLI_STR, .dest = &o.ocsp_file},
		{.name = "ats-roots-lab", .kind = CLI_STR, .dest = &lab_dir},
		{.name = "make-ats-roots-lab", .kind = CLI_STR, .dest = &make_lab},
		{.name = NULL},
	};
	ats_serve *s = NULL;
	static ats_roots_lab lab;
	int rc = cli_parse(&cmd, opts, argc, argv);
	if (rc != CLI_GO)
		return rc;
	if (opts[6].given + opts[7].given > 1)
		return cli_usage_fail(&cmd, "--no-h2 and --alpn: give one of them, once");
	if (opts[8].given + opts[9].given + opts[10].given > 1)
		return cli_usage_fail(&cmd, "--plain, --stall and --reset: give at most one");
	if (make_lab) {
		if (ats_roots_lab_write(make_lab, time(NULL), &cmd.err) != 0)
			return cli_fail("%s", cmd.err.msg);
		printf("wrote the ATS root matrix lab in %s (trust %s/roots.pem)\n", make_lab, make_lab);
		return 0;
	}
	if (lab_dir) {
		if (o.cert_file || o.key_file || o.chain_file)
			return cli_usage_fail(&cmd, "--ats-roots-lab serves its own certificates: --cert, "
						    "--key and --chain do not apply");
		if (ats_roots_lab_sites(lab_dir, &lab, &cmd.err) != 0)
			return cli_fail("--ats-roots-lab %s", cmd.err.msg);
		o.sites = lab.sites;
		o.nsites = ATS_ROOTS_HOSTS;
	} else if (mode == ATS_SERVE_NORMAL && (!o.cert_file || !o.key_file)) {
		/* --plain, --stall and --reset speak no TLS: they need no identity. */
		return cli_usage_fail(&cmd, "needs --cert FILE and --key FILE (or --ats-roots-lab DIR)");
	}
	if (no_h2)
		o.alpn = "http/1.1";
	o.mode = (ats_serve_mode)mode;
	o.timeout_ms = timeout_s * 1000;
	if (quiet)
		o.log = NULL;
	if (ats_serve_new(&o, &s, &cmd.err) != 0)
		return cli_fail("%s", cmd.err.msg);
	rc = serve_until_stopped(s, o.log != NULL);
	ats_serve_free(s);
	return rc;
}
