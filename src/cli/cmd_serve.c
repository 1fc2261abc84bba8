#include "cli.h"

#include "serve/serve.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: atscheck serve --cert FILE --key FILE [--chain FILE] [--listen ADDR:PORT]\n"
	"                      [--tls-min V] [--tls-max V] [--no-h2 | --alpn LIST]\n"
	"                      [--plain | --stall | --reset] [--timeout SECONDS] [--quiet]\n\n"
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
	"  --listen ADDR:PORT where to listen (default " ATS_SERVE_DEFAULT_LISTEN "); port 0 picks a\n"
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
	"  --help             this help\n\n"
	"Exit codes: 0 stopped by a signal, 3 could not start (bad option, unreadable certificate\n"
	"or key, address in use).\n";

enum {
	OPT_CERT = CLI_OPT_FIRST_OWN,
	OPT_KEY,
	OPT_CHAIN,
	OPT_LISTEN,
	OPT_TLS_MIN,
	OPT_TLS_MAX,
	OPT_NO_H2,
	OPT_ALPN,
	OPT_PLAIN,
	OPT_STALL,
	OPT_RESET,
	OPT_TIMEOUT,
	OPT_MAX_CONNS,
	OPT_QUIET,
};

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

static int number(const char *opt, const char *arg, long lo, long hi, long *out)
{
	char *end;
	long v = strtol(arg, &end, 10);
	if (!*arg || *end || v < lo || v > hi)
		return cli_fail("%s %s: expected a number from %ld to %ld", opt, arg, lo, hi);
	*out = v;
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"cert", required_argument, NULL, OPT_CERT},
		{"key", required_argument, NULL, OPT_KEY},
		{"chain", required_argument, NULL, OPT_CHAIN},
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"tls-min", required_argument, NULL, OPT_TLS_MIN},
		{"tls-max", required_argument, NULL, OPT_TLS_MAX},
		{"no-h2", no_argument, NULL, OPT_NO_H2},
		{"alpn", required_argument, NULL, OPT_ALPN},
		{"plain", no_argument, NULL, OPT_PLAIN},
		{"stall", no_argument, NULL, OPT_STALL},
		{"reset", no_argument, NULL, OPT_RESET},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"max-conns", required_argument, NULL, OPT_MAX_CONNS},
		{"quiet", no_argument, NULL, OPT_QUIET},
		{"help", no_argument, NULL, CLI_OPT_HELP},
		{NULL, 0, NULL, 0},
	};
	ats_serve_opts o = {.log = log_line};
	ats_serve *s = NULL;
	ats_err err = {0};
	int rc = ATS_VERDICT_UNKNOWN, opt, modes = 0;
	long v = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case CLI_OPT_HELP:
			fputs(usage, stdout);
			return 0;
		case OPT_CERT: o.cert_file = optarg; break;
		case OPT_KEY: o.key_file = optarg; break;
		case OPT_CHAIN: o.chain_file = optarg; break;
		case OPT_LISTEN: o.listen = optarg; break;
		case OPT_TLS_MIN:
		case OPT_TLS_MAX: {
			int ver = ats_serve_tls_version(optarg);
			if (ver < 0)
				return cli_fail("--tls-%s %s: expected 1.0, 1.1, 1.2 or 1.3",
						opt == OPT_TLS_MIN ? "min" : "max", optarg);
			*(opt == OPT_TLS_MIN ? &o.tls_min : &o.tls_max) = ver;
			break;
		}
		case OPT_NO_H2:
		case OPT_ALPN:
			if (o.alpn)
				return cli_fail("--no-h2 and --alpn: give one of them, once");
			o.alpn = opt == OPT_NO_H2 ? "http/1.1" : optarg;
			break;
		case OPT_PLAIN: o.mode = ATS_SERVE_PLAIN; modes++; break;
		case OPT_STALL: o.mode = ATS_SERVE_STALL; modes++; break;
		case OPT_RESET: o.mode = ATS_SERVE_RESET; modes++; break;
		case OPT_TIMEOUT:
			if (number("--timeout", optarg, 1, 86400, &v) != 0)
				return ATS_VERDICT_UNKNOWN;
			o.timeout_ms = (int)(v * 1000);
			break;
		case OPT_MAX_CONNS:
			if (number("--max-conns", optarg, 1, 100000, &v) != 0)
				return ATS_VERDICT_UNKNOWN;
			o.max_conns = (int)v;
			break;
		case OPT_QUIET: o.log = NULL; break;
		default: return cli_usage_error("serve");
		}
	}
	if (optind < argc)
		return cli_fail("serve: unexpected argument '%s'", argv[optind]);
	if (modes > 1)
		return cli_fail("--plain, --stall and --reset: give at most one");
	if (ats_serve_new(&o, &s, &err) != 0)
		return cli_fail("%s", err.msg);

	struct sigaction sa = {.sa_handler = on_signal}, ign = {.sa_handler = SIG_IGN};
	sigemptyset(&sa.sa_mask);
	sigemptyset(&ign.sa_mask);
	running = s;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGPIPE, &ign, NULL);

	if (printf("listening on %s\n", ats_serve_bound_address(s)) < 0 || fflush(stdout) != 0) {
		rc = cli_fail("cannot write to standard output");
		goto out;
	}
	if (ats_serve_run(s, &err) != 0) {
		rc = cli_fail("%s", err.msg);
		goto out;
	}
	if (o.log) {
		ats_serve_stats st;
		ats_serve_get_stats(s, &st);
		fprintf(stderr,
			"atscheck serve: stopped after %lu connections, %lu handshakes (%lu failed), "
			"%lu HTTP/2 and %lu HTTP/1.x requests\n",
			st.accepted, st.handshakes, st.tls_failed, st.h2_requests, st.h1_requests);
	}
	rc = 0;
out:
	running = NULL;
	ats_serve_free(s);
	return rc;
}
