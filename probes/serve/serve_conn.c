/* One client connection of the look-alike endpoint: TLS through memory BIOs (the socket I/O
 * stays ours: send(MSG_NOSIGNAL), no SIGPIPE, exact backpressure), handing the bytes to HTTP/1.x
 * or HTTP/2, its deadline, and a lingering close so the client reads the whole answer. */
#include "serve/serve_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void serve_format_addr(const struct sockaddr *sa, char *buf, size_t n)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)sa;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
		snprintf(buf, n, "[%s]:%d", host, port);
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)sa;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
		snprintf(buf, n, "%s:%d", host, port);
	} else {
		snprintf(buf, n, "?");
	}
}

size_t serve_conn_pending(const serve_conn *c)
{
	return c->out ? BIO_ctrl_pending(c->out) : 0;
}

int serve_conn_send(serve_conn *c, const void *data, size_t n)
{
	if (n == 0 || c->dead)
		return 0;
	if (c->ssl) {
		/* A memory BIO takes everything: SSL_write either writes all or the session broke. */
		if (SSL_write(c->ssl, data, (int)n) != (int)n) {
			ERR_clear_error();
			c->dead = true;
			return -1;
		}
		return 0;
	}
	if (BIO_write(c->out, data, (int)n) != (int)n) {
		c->dead = true;
		return -1;
	}
	return 0;
}

void serve_conn_free(serve_conn *c)
{
	if (!c)
		return;
	serve_h2_free(c);
	if (c->ssl)
		SSL_free(c->ssl); /* frees both BIOs */
	else
		BIO_free(c->out);
	free(c->in);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

void serve_conn_new(ats_serve *s, int fd, const struct sockaddr *peer, int64_t now)
{
	serve_conn *c = calloc(1, sizeof(*c));
	serve_conn **grown;
	int one = 1;
	if (!c)
		goto fail;
	c->srv = s;
	c->fd = fd;
	serve_format_addr(peer, c->peer, sizeof(c->peer));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->deadline = now + s->o.timeout_ms;
	switch (s->o.mode) {
	case ATS_SERVE_NORMAL: {
		BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());
		c->ssl = SSL_new(s->ctx);
		if (!c->ssl || !rbio || !wbio) {
			BIO_free(rbio);
			BIO_free(wbio);
			goto fail;
		}
		BIO_set_mem_eof_return(rbio, -1); /* empty means "wait for more", not end of file */
		SSL_set_bio(c->ssl, rbio, wbio);
		SSL_set_accept_state(c->ssl);
		c->out = wbio;
		c->state = ST_HANDSHAKE;
		c->phase_start = now;
		c->phase_end = now + s->o.timeout_ms; /* the whole handshake, not each gap */
		break;
	}
	case ATS_SERVE_PLAIN:
		if (!(c->out = BIO_new(BIO_s_mem())))
			goto fail;
		c->state = ST_H1;
		break;
	case ATS_SERVE_STALL:
		c->state = ST_STALL;
		c->deadline = now + s->o.stall_ms;
		break;
	case ATS_SERVE_RESET:
		c->state = ST_RESET;
		break;
	}
	if (s->nconns == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		if (!(grown = realloc(s->conns, cap * sizeof(*grown))))
			goto fail;
		s->conns = grown;
		s->cap = cap;
	}
	s->conns[s->nconns++] = c;
	return;
fail:
	serve_log(s, "%s: out of memory, connection dropped", c ? c->peer : "?");
	if (c)
		serve_conn_free(c); /* closes fd */
	else
		close(fd);
}

/* Resets the connection (RST instead of FIN): what a crashing or hostile middlebox does. */
static void conn_reset(serve_conn *c)
{
	struct linger l = {.l_onoff = 1, .l_linger = 0};
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	c->srv->st.resets++;
	serve_log(c->srv, "%s: reset during the handshake (--reset)", c->peer);
	c->dead = true;
}

static void flush_out(serve_conn *c)
{
	unsigned char scratch[16384];
	while (!c->dead && serve_conn_pending(c) > 0) {
		char *p;
		long n = BIO_get_mem_data(c->out, &p);
		ssize_t w = send(c->fd, p, (size_t)n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->dead = true;
			return;
		}
		for (size_t left = (size_t)w; left > 0;) {
			int k = BIO_read(c->out, scratch, (int)(left < sizeof(scratch) ? left : sizeof(scratch)));
			if (k <= 0)
				break;
			left -= (size_t)k;
		}
	}
}

static void app_recv(serve_conn *c, const unsigned char *data, size_t n)
{
	if (c->state == ST_H2)
		serve_h2_recv(c, data, n);
	else
		serve_h1_recv(c, data, n);
}

static void handshake_done(serve_conn *c)
{
	const unsigned char *proto = NULL;
	unsigned int plen = 0;
	c->srv->st.handshakes++;
	c->phase_start = c->phase_end = 0; /* done in time; a request head starts the next phase */
	SSL_get0_alpn_selected(c->ssl, &proto, &plen);
	if (plen == 2 && memcmp(proto, "h2", 2) == 0) {
		c->state = ST_H2;
		if (serve_h2_start(c) != 0)
			c->dead = true;
	} else {
		c->state = ST_H1;
	}
}

static void tls_drive(serve_conn *c)
{
	unsigned char buf[16384];
	if (c->state == ST_HANDSHAKE) {
		int r = SSL_do_handshake(c->ssl);
		if (r != 1) {
			int e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ)
				return;
			unsigned long code = ERR_peek_error();
			const char *why = code ? ERR_reason_error_string(code) : NULL;
			serve_log(c->srv, "%s: TLS handshake failed: %s", c->peer,
				  why ? why : "protocol error");
			ERR_clear_error();
			c->srv->st.tls_failed++;
			c->closing = true; /* the alert, if any, is queued: send it, then close */
			c->shut_sent = true;
			return;
		}
		handshake_done(c);
	}
	while (!c->dead && !c->closing) {
		int n = SSL_read(c->ssl, buf, sizeof(buf));
		if (n > 0) {
			app_recv(c, buf, (size_t)n);
			continue;
		}
		int e = SSL_get_error(c->ssl, n);
		if (e != SSL_ERROR_WANT_READ) {
			if (e != SSL_ERROR_ZERO_RETURN)
				serve_log(c->srv, "%s: TLS error, connection closed", c->peer);
			ERR_clear_error();
			c->closing = true;
		}
		break;
	}
}

/* After bytes arrived: the idle deadline moves, the phase's does not. An HTTP/1.x request head
 * half read is a phase; a whole one (or none) ends it. */
static void phase_track(serve_conn *c, int64_t now)
{
	int64_t timeout = c->srv->o.timeout_ms;
	if (c->state == ST_H1 && !c->closing && c->in_len > 0) {
		if (!c->phase_end || c->phase_count != c->h1_count) { /* a new head begins */
			c->phase_start = now;
			c->phase_end = now + timeout;
			c->phase_count = c->h1_count;
		}
	} else if (c->state != ST_HANDSHAKE) {
		c->phase_start = c->phase_end = 0;
	}
	c->deadline = now + timeout;
	if (c->phase_end && c->phase_end < c->deadline)
		c->deadline = c->phase_end;
}

bool serve_conn_evict(ats_serve *s, int64_t now)
{
	serve_conn *old = NULL;
	for (size_t i = 0; i < s->nconns; i++) {
		serve_conn *c = s->conns[i];
		if (!c->dead && c->phase_end && now - c->phase_start >= SERVE_EVICT_MIN_MS &&
		    (!old || c->phase_start < old->phase_start))
			old = c;
	}
	if (!old)
		return false;
	s->st.timeouts++;
	if (old->state == ST_HANDSHAKE)
		s->st.tls_failed++;
	serve_log(s, "%s: %s unfinished after %lld ms with every slot taken: closed to make room",
		  old->peer, old->state == ST_HANDSHAKE ? "TLS handshake" : "request",
		  (long long)(now - old->phase_start));
	old->dead = true;
	return true;
}

static void conn_read(serve_conn *c, int64_t now)
{
	unsigned char buf[16384];
	for (int round = 0; round < 8 && !c->dead && (c->state == ST_LINGER || !c->closing); round++) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			if (c->state == ST_HANDSHAKE) {
				c->srv->st.tls_failed++;
				serve_log(c->srv, "%s: client left during the TLS handshake", c->peer);
			}
			c->dead = true; /* the client closed or reset: nothing more to say to it */
			return;
		}
		if (c->state == ST_LINGER)
			continue;
		if (c->ssl) {
			if (BIO_write(SSL_get_rbio(c->ssl), buf, (int)n) != (int)n) {
				c->dead = true;
				return;
			}
			tls_drive(c);
		} else {
			app_recv(c, buf, (size_t)n);
		}
		phase_track(c, now);
		if (serve_conn_pending(c) > SERVE_OUT_HIGH)
			return;
	}
}

/* Closing: queue close_notify, send everything, shut our side, wait (bounded) for the client
 * to close its own, so it reads the whole answer rather than a reset. */
static void conn_progress_close(serve_conn *c, int64_t now)
{
	if (!c->closing || c->dead || c->state == ST_LINGER)
		return;
	if (c->ssl && !c->shut_sent) {
		c->shut_sent = true;
		SSL_shutdown(c->ssl);
		ERR_clear_error();
		flush_out(c);
	}
	if (serve_conn_pending(c) > 0)
		return;
	shutdown(c->fd, SHUT_WR);
	c->state = ST_LINGER;
	c->deadline = now + SERVE_LINGER_MS;
}

void serve_conn_event(serve_conn *c, short re, int64_t now)
{
	switch (c->state) {
	case ST_STALL:
		if (re & (POLLRDHUP | POLLHUP | POLLERR))
			c->dead = true;
		return;
	case ST_RESET:
		if (re & (POLLIN | POLLHUP | POLLERR)) {
			unsigned char buf[4096];
			(void)!recv(c->fd, buf, sizeof(buf), 0);
			conn_reset(c);
		}
		return;
	default:
		break;
	}
	if (re & (POLLIN | POLLHUP | POLLERR))
		conn_read(c, now);
	if (!c->dead)
		flush_out(c);
	if (!c->dead && c->state == ST_H2 && !c->closing) {
		serve_h2_send(c);
		flush_out(c);
	}
	conn_progress_close(c, now);
}

void serve_conn_deadline(serve_conn *c, int64_t now)
{
	ats_serve *s = c->srv;
	switch (c->state) {
	case ST_HANDSHAKE:
		s->st.timeouts++;
		s->st.tls_failed++;
		serve_log(s, "%s: TLS handshake timed out", c->peer);
		c->dead = true;
		return;
	case ST_RESET:
		conn_reset(c);
		return;
	case ST_H2:
		if (!c->closing) {
			s->st.timeouts++;
			serve_h2_goaway(c);
			flush_out(c);
			c->closing = true;
			c->deadline = now + SERVE_LINGER_MS;
			conn_progress_close(c, now);
			return;
		}
		break;
	case ST_H1:
		if (!c->closing)
			s->st.timeouts++;
		if (!c->closing && c->phase_end && c->phase_end <= now)
			serve_log(s, "%s: request head unfinished after %lld ms: closed", c->peer,
				  (long long)(now - c->phase_start));
		break;
	default:
		break;
	}
	c->dead = true;
}

short serve_conn_events(const serve_conn *c)
{
	switch (c->state) {
	case ST_STALL: return POLLRDHUP;
	case ST_RESET:
	case ST_LINGER: return POLLIN;
	default: break;
	}
	size_t pending = serve_conn_pending(c);
	short ev = pending ? POLLOUT : 0;
	if (!c->closing && pending <= SERVE_OUT_HIGH)
		ev |= POLLIN;
	return ev;
}
