/* serve's insides, shared by serve.c (listening, accepting, the poll loop), serve_conn.c (one
 * connection: TLS, reading, writing, deadlines, closing), serve_tls.c (the identity
 * and the TLS context), serve_h1.c and serve_h2.c (the two ways of answering). Not public. */
#ifndef ATS_SERVE_INT_H
#define ATS_SERVE_INT_H

#include "serve/serve.h"

#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

/* Bytes queued for the wire beyond which a connection stops reading (backpressure). */
#define SERVE_OUT_HIGH (256 * 1024)
/* An HTTP/1.x request head larger than this is refused (431). */
#define SERVE_H1_MAX_HEAD 16384
/* A connection at least this far into its phase may be closed to admit a new client when every
 * slot is taken (the oldest first): drippers cannot starve clients that finish quickly. */
#define SERVE_EVICT_MIN_MS 250
/* How long a closing connection waits for the client to close its side. */
#define SERVE_LINGER_MS 1000

typedef enum {
	ST_HANDSHAKE, /* TLS handshake under way */
	ST_H1,        /* HTTP/1.x (or, on a fresh connection, maybe an h2 prior-knowledge preface) */
	ST_H2,
	ST_STALL,
	ST_RESET,
	ST_LINGER,    /* our side shut; reading until the client closes, then close */
} serve_state;

typedef struct serve_stream serve_stream;

typedef struct serve_conn {
	ats_serve *srv;
	int fd;
	serve_state state;
	SSL *ssl;        /* NULL without TLS */
	BIO *out;        /* bytes for the wire: the SSL's write BIO, or a plain memory BIO */
	int64_t deadline;
	/* The phase under way (the TLS handshake, an HTTP/1.x request head) began then and must end
	 * by phase_end, however steadily the client drips bytes: reads push the idle deadline, never
	 * this one. 0: no phase under way (idle between requests, HTTP/2, closing). */
	int64_t phase_start, phase_end;
	unsigned long phase_count; /* h1_count when the request head's phase began */
	bool closing;    /* flush what is queued, then close */
	bool shut_sent;  /* close_notify queued */
	bool dead;       /* to be freed at the end of this round */
	char peer[64];

	/* HTTP/1.x */
	unsigned char *in;
	size_t in_len, in_cap;
	unsigned long long body_left; /* request body bytes still to skip */
	unsigned long h1_count;       /* requests answered on this connection */

	/* HTTP/2 */
	nghttp2_session *h2;
	serve_stream *streams;
} serve_conn;

struct ats_serve {
	ats_serve_opts o;
	char alpn_wire[256];
	size_t alpn_len;
	SSL_CTX *ctx;
	struct serve_site *sites; /* the SNI identities (serve_tls.c) */
	size_t nsites;
	unsigned char *ocsp;      /* the main identity's stapled response, or NULL */
	size_t ocsp_len;
	nghttp2_session_callbacks *h2cbs;
	int lfd;
	int wake[2];
	atomic_int stop;
	int64_t listen_resume; /* accept paused until then (out of descriptors) */
	serve_conn **conns;
	size_t nconns, cap;
	struct pollfd *pfds;
	size_t pfds_cap;
	int port;
	char addr[80];
	ats_serve_stats st;
};

/* serve_log.c: one line to the caller's log (from accepting, and from each connection) */
void serve_log(ats_serve *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* serve_conn.c */
void serve_format_addr(const struct sockaddr *sa, char *buf, size_t n); /* "[::1]:8443" */
void serve_conn_new(ats_serve *s, int fd, const struct sockaddr *peer, int64_t now);
void serve_conn_free(serve_conn *c);
short serve_conn_events(const serve_conn *c); /* what to poll for */
void serve_conn_event(serve_conn *c, short revents, int64_t now);
void serve_conn_deadline(serve_conn *c, int64_t now);
/* Closes the connection that has spent longest in an unfinished phase (at least
 * SERVE_EVICT_MIN_MS), to make room; false when none qualifies. */
bool serve_conn_evict(ats_serve *s, int64_t now);
/* Queues bytes for the client (through TLS when there is TLS); -1 when the connection broke. */
int serve_conn_send(serve_conn *c, const void *data, size_t n);
size_t serve_conn_pending(const serve_conn *c);

/* serve_tls.c */
int serve_tls_ctx_new(ats_serve *s, ats_err *err);
void serve_tls_free(ats_serve *s); /* the contexts and responses of serve_tls_ctx_new */
int serve_alpn_parse(const char *list, char *wire, size_t cap, size_t *len, ats_err *err);

/* serve_h1.c: takes bytes from an HTTP/1.x client (may hand the connection to h2 when the
 * client opens with the HTTP/2 preface). */
void serve_h1_recv(serve_conn *c, const unsigned char *data, size_t n);

/* serve_h2.c */
nghttp2_session_callbacks *serve_h2_callbacks_new(void);
int serve_h2_start(serve_conn *c);
void serve_h2_recv(serve_conn *c, const unsigned char *data, size_t n);
/* Moves what nghttp2 has to say into the connection; marks it closing when the session ends. */
void serve_h2_send(serve_conn *c);
/* Says goodbye (GOAWAY) before an idle close. */
void serve_h2_goaway(serve_conn *c);
void serve_h2_free(serve_conn *c);

#endif
