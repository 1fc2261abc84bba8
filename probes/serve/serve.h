/* serve: a loopback look-alike of the ATS test endpoint (https://avs-ats-cert-test.amazon.com).
 *
 * One thread, non-blocking sockets and poll(): TLS through OpenSSL (memory BIOs, so the library
 * never raises SIGPIPE), HTTP/2 through libnghttp2's server session, HTTP/1.1 by hand, chosen by
 * ALPN. Answers as the endpoint does: an HTTP/2 request gets 200 and ATS_SERVE_H2_BODY; an
 * HTTP/1.x request gets an "unexpected" answer (ATS_SERVE_H1_STATUS) although the TLS connection
 * itself succeeded. Test scenarios are options (TLS version limits, ALPN list, plain TCP, a
 * server that never answers, a reset during the handshake), so a scenario is data.
 *
 * Every connection has a deadline (handshake, idle, lingering close), a garbage-speaking client
 * only costs its own connection, and the number of connections is bounded. The module reads the
 * monotonic clock for those deadlines (never the wall clock) and never prints: what happens is
 * handed to the optional log callback, one line per event.
 *
 * Layer 7, its own library (atscheck_serve, with the lab PKI serve/pki.h and selftest): it
 * may use the whole library; nothing in src/lib includes it.
 * The order is checked by tests/integration/layering.sh. */
#ifndef ATS_SERVE_H
#define ATS_SERVE_H

#include "base/ats.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>

#define ATS_SERVE_H2_BODY "connection established with ATS certificate\n"
#define ATS_SERVE_H1_STATUS 505
#define ATS_SERVE_H1_BODY                                                                          \
	"unexpected HTTP/1.x request: this endpoint answers HTTP/2 only (the TLS connection "     \
	"itself succeeded)\n"
#define ATS_SERVE_DEFAULT_LISTEN "127.0.0.1:8443"

typedef enum {
	ATS_SERVE_NORMAL = 0, /* TLS, then HTTP/2 or HTTP/1.1 by ALPN */
	ATS_SERVE_PLAIN,      /* no TLS: HTTP/1.1 (or h2c with prior knowledge) in clear */
	ATS_SERVE_STALL,      /* accept and never answer (until the client goes or stall_ms) */
	ATS_SERVE_RESET,      /* read the ClientHello, then reset the connection (TCP RST) */
} ats_serve_mode;

/* More identities on the same port, chosen by the name the client asks for (SNI); a client that
 * names none of them gets the main identity (the first site when no main one is given). */
#define ATS_SERVE_MAX_SITES 64
typedef struct ats_serve_site {
	const char *name;                 /* the SNI host name it answers to */
	const char *cert_file, *key_file; /* leaf first; certificates after it are sent as its chain */
	const char *ocsp_file;            /* a DER OCSP response to staple when asked, or NULL */
} ats_serve_site;

typedef struct ats_serve_opts {
	/* The server's identity: files (leaf first; a --chain file's certificates are sent after
	 * the leaf and after any others in cert_file), or objects (taken by reference, for an
	 * in-process PKI). Exactly the given chain is sent: nothing is added from a store. */
	const char *cert_file, *key_file, *chain_file;
	X509 *cert;
	EVP_PKEY *key;
	STACK_OF(X509) *chain;

	const char *ocsp_file; /* a DER OCSP response (openssl ocsp -respout) stapled when the
				  client asks (status_request), or NULL */
	const ats_serve_site *sites; /* identities chosen by SNI, up to ATS_SERVE_MAX_SITES */
	size_t nsites;

	const char *listen;   /* "ADDR:PORT", "[V6ADDR]:PORT"; port 0 picks one; NULL: default */
	ats_serve_mode mode;
	int tls_min, tls_max; /* TLS1_VERSION .. TLS1_3_VERSION; 0: OpenSSL's default */
	const char *alpn;     /* protocols offered, preferred first: "h2,http/1.1" when NULL;
				 "" offers none (the client falls back to HTTP/1.1) */
	int timeout_ms;       /* per connection: idle limit, and total limit of a TLS handshake or
				 an HTTP/1.x request head (a drip of bytes does not extend it); 0: 10 s */
	int stall_ms;         /* how long STALL holds a connection; 0: 120 s */
	int max_conns;        /* connections open at once; 0: 256. When all are taken, the one
				 longest in an unfinished handshake or request head is closed for
				 the new one, else the new one is closed at accept */

	/* Called with one line per event (a request answered, a handshake that failed...). */
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
} ats_serve_opts;

typedef struct ats_serve_stats {
	unsigned long accepted, refused;      /* connections; refused: over max_conns */
	unsigned long handshakes, tls_failed; /* TLS handshakes completed / failed */
	unsigned long h2_requests, h1_requests, bad_requests;
	unsigned long timeouts, resets;       /* connections closed for a deadline / reset on purpose */
	unsigned long open;                   /* connections open now */
} ats_serve_stats;

typedef struct ats_serve ats_serve;

/* Loads the identity, builds the TLS context and binds and listens (so a client can connect as
 * soon as this returns). err names the file or address at fault. */
int ats_serve_new(const ats_serve_opts *opts, ats_serve **out, ats_err *err);

/* The bound port (the one picked when port 0 was asked for), and "ADDR:PORT" as a client would
 * write it ("[::1]:8443" for IPv6). */
int ats_serve_bound_port(const ats_serve *s);
const char *ats_serve_bound_address(const ats_serve *s);

/* Waits at most timeout_ms (-1: until something happens) for events and handles them. Returns 0,
 * or a negative ATS_E* code when the server cannot go on (poll itself failed). */
int ats_serve_run_once(ats_serve *s, int timeout_ms, ats_err *err);
/* Runs until ats_serve_stop(). */
int ats_serve_run(ats_serve *s, ats_err *err);
/* Asks a running loop to return. Safe from a signal handler and from another thread. */
void ats_serve_stop(ats_serve *s);
bool ats_serve_stopped(const ats_serve *s);

/* Counters so far (read them from the thread that runs the loop, or after it returned). */
void ats_serve_get_stats(const ats_serve *s, ats_serve_stats *st);

/* Parses "1.0", "1.1", "1.2", "1.3" into TLS1_VERSION...; -1 when unknown. */
int ats_serve_tls_version(const char *s);
/* Parses "normal", "plain", "stall", "reset"; -1 when unknown. */
int ats_serve_mode_parse(const char *s);

/* Closes every connection and the listening socket. Accepts NULL. */
void ats_serve_free(ats_serve *s);

#endif
