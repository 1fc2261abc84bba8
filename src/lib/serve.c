/* The look-alike endpoint's sockets and poll loop: accept, TLS through memory BIOs (the socket
 * I/O stays ours: send(MSG_NOSIGNAL), no SIGPIPE, exact backpressure), deadlines, closing. */
#include "serve_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void serve_log(ats_serve *s, const char *fmt, ...)
{
	if (!s->o.log)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->o.log(s->o.log_ctx, line);
}

int ats_serve_tls_version(const char *s)
{
	static const struct {
		const char *name;
		int v;
	} vs[] = {{"1.0", TLS1_VERSION}, {"1.1", TLS1_1_VERSION}, {"1.2", TLS1_2_VERSION},
		  {"1.3", TLS1_3_VERSION}};
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++)
		if (strcmp(s, vs[i].name) == 0)
			return vs[i].v;
	return -1;
}

int ats_serve_mode_parse(const char *s)
{
	static const char *const names[] = {"normal", "plain", "stall", "reset"};
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* ---- addresses ---- */

static void format_addr(const struct sockaddr *sa, char *buf, size_t n)
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

static int listen_on(ats_serve *s, const char *spec, ats_err *err)
{
	char host[256], port[16];
	const char *colon;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
			*res = NULL;
	size_t hl;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (!close || close[1] != ':')
			goto bad;
		hl = (size_t)(close - spec - 1);
		memcpy(host, spec + 1, hl < sizeof(host) ? hl : 0);
		colon = close + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || strchr(spec, ':') != colon)
			goto bad;
		hl = (size_t)(colon - spec);
		memcpy(host, spec, hl < sizeof(host) ? hl : 0);
	}
	if (hl == 0 || hl >= sizeof(host) || strlen(colon + 1) == 0 || strlen(colon + 1) >= 6 ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) || atoi(colon + 1) > 65535)
		goto bad;
	host[hl] = '\0';
	snprintf(port, sizeof(port), "%s", colon + 1);
	int gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0)
		return ats_err_set(err, ATS_ENET, "--listen %s: %s", spec, gai_strerror(gai));
	int e = 0;
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		int one = 1;
		if (fd < 0) {
			e = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (a->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 128) == 0) {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);
			getsockname(fd, (struct sockaddr *)&ss, &sl);
			format_addr((struct sockaddr *)&ss, s->addr, sizeof(s->addr));
			s->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
							   : ntohs(((struct sockaddr_in *)&ss)->sin_port);
			s->lfd = fd;
			freeaddrinfo(res);
			return 0;
		}
		e = errno;
		close(fd);
	}
	freeaddrinfo(res);
	return ats_err_set(err, ATS_ENET, "--listen %s: cannot listen: %s", spec, strerror(e));
bad:
	return ats_err_set(err, ATS_EUSAGE,
			   "--listen %s: expected ADDR:PORT, such as 127.0.0.1:8443 or [::1]:0", spec);
}

/* ---- connections ---- */

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

static void conn_free(serve_conn *c)
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

static void conn_new(ats_serve *s, int fd, const struct sockaddr *peer, int64_t now)
{
	serve_conn *c = calloc(1, sizeof(*c));
	serve_conn **grown;
	int one = 1;
	if (!c)
		goto fail;
	c->srv = s;
	c->fd = fd;
	format_addr(peer, c->peer, sizeof(c->peer));
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
		conn_free(c); /* closes fd */
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
		c->deadline = now + c->srv->o.timeout_ms;
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

static void conn_event(serve_conn *c, short re, int64_t now)
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

static void conn_deadline(serve_conn *c, int64_t now)
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
		break;
	default:
		break;
	}
	c->dead = true;
}

/* ---- the server ---- */

int ats_serve_new(const ats_serve_opts *opts, ats_serve **out, ats_err *err)
{
	ats_serve *s = calloc(1, sizeof(*s));
	int rc = ATS_ENOMEM;
	*out = NULL;
	if (!s)
		return ats_err_set(err, rc, "out of memory");
	s->lfd = s->wake[0] = s->wake[1] = -1;
	s->o = *opts;
	if (!s->o.listen)
		s->o.listen = ATS_SERVE_DEFAULT_LISTEN;
	if (s->o.timeout_ms <= 0)
		s->o.timeout_ms = 10000;
	if (s->o.stall_ms <= 0)
		s->o.stall_ms = 120000;
	if (s->o.max_conns <= 0)
		s->o.max_conns = 256;
	if ((rc = serve_alpn_parse(s->o.alpn ? s->o.alpn : "h2,http/1.1", s->alpn_wire,
				   sizeof(s->alpn_wire), &s->alpn_len, err)) != 0)
		goto fail;
	if (s->o.mode == ATS_SERVE_NORMAL && (rc = serve_tls_ctx_new(s, err)) != 0)
		goto fail;
	rc = ATS_ENOMEM;
	if (!(s->h2cbs = serve_h2_callbacks_new())) {
		ats_err_set(err, rc, "out of memory");
		goto fail;
	}
	if (pipe2(s->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
		rc = ats_err_set(err, ATS_EIO, "cannot make a pipe: %s", strerror(errno));
		goto fail;
	}
	if ((rc = listen_on(s, s->o.listen, err)) != 0)
		goto fail;
	*out = s;
	return 0;
fail:
	ats_serve_free(s);
	return rc;
}

int ats_serve_bound_port(const ats_serve *s)
{
	return s->port;
}

const char *ats_serve_bound_address(const ats_serve *s)
{
	return s->addr;
}

static void accept_all(ats_serve *s, int64_t now)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				serve_log(s, "accept: %s; pausing for 100 ms", strerror(errno));
				s->listen_resume = now + 100;
			}
			return;
		}
		s->st.accepted++;
		if (s->nconns >= (size_t)s->o.max_conns) {
			s->st.refused++;
			close(fd);
			continue;
		}
		conn_new(s, fd, (struct sockaddr *)&ss, now);
	}
}

static short conn_events(const serve_conn *c)
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

int ats_serve_run_once(ats_serve *s, int timeout_ms, ats_err *err)
{
	int64_t now = now_ms();
	size_t n = 2 + s->nconns;
	if (n > s->pfds_cap) {
		struct pollfd *p = realloc(s->pfds, n * 2 * sizeof(*p));
		if (!p)
			return ats_err_set(err, ATS_ENOMEM, "out of memory");
		s->pfds = p;
		s->pfds_cap = n * 2;
	}
	int64_t wait = timeout_ms < 0 ? INT64_MAX : timeout_ms;
	bool listening = now >= s->listen_resume;
	if (!listening && s->listen_resume - now < wait)
		wait = s->listen_resume - now;
	s->pfds[0] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
	s->pfds[1] = (struct pollfd){.fd = listening ? s->lfd : -1, .events = POLLIN};
	for (size_t i = 0; i < s->nconns; i++) {
		serve_conn *c = s->conns[i];
		s->pfds[2 + i] = (struct pollfd){.fd = c->fd, .events = conn_events(c)};
		int64_t left = c->deadline > now ? c->deadline - now : 0;
		if (left < wait)
			wait = left;
	}
	if (atomic_load(&s->stop))
		return 0;
	int r = poll(s->pfds, n, wait == INT64_MAX ? -1 : (int)(wait > 60000 ? 60000 : wait));
	if (r < 0) {
		if (errno == EINTR)
			return 0;
		return ats_err_set(err, ATS_EIO, "poll: %s", strerror(errno));
	}
	if (s->pfds[0].revents) {
		char drain[64];
		while (read(s->wake[0], drain, sizeof(drain)) > 0)
			;
	}
	if (atomic_load(&s->stop))
		return 0;
	now = now_ms();
	size_t before = s->nconns;
	for (size_t i = 0; i < before; i++) {
		serve_conn *c = s->conns[i];
		if (s->pfds[2 + i].revents)
			conn_event(c, s->pfds[2 + i].revents, now);
		if (!c->dead && c->deadline <= now)
			conn_deadline(c, now);
	}
	if (s->pfds[1].revents & POLLIN)
		accept_all(s, now);
	size_t k = 0;
	for (size_t i = 0; i < s->nconns; i++) {
		if (s->conns[i]->dead)
			conn_free(s->conns[i]);
		else
			s->conns[k++] = s->conns[i];
	}
	s->nconns = k;
	return 0;
}

int ats_serve_run(ats_serve *s, ats_err *err)
{
	while (!atomic_load(&s->stop)) {
		int rc = ats_serve_run_once(s, -1, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void ats_serve_stop(ats_serve *s)
{
	atomic_store(&s->stop, 1);
	if (s->wake[1] >= 0)
		(void)!write(s->wake[1], "x", 1);
}

bool ats_serve_stopped(const ats_serve *s)
{
	return atomic_load(&s->stop) != 0;
}

void ats_serve_get_stats(const ats_serve *s, ats_serve_stats *st)
{
	*st = s->st;
	st->open = s->nconns;
}

void ats_serve_free(ats_serve *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nconns; i++)
		conn_free(s->conns[i]);
	free(s->conns);
	free(s->pfds);
	if (s->lfd >= 0)
		close(s->lfd);
	for (int i = 0; i < 2; i++)
		if (s->wake[i] >= 0)
			close(s->wake[i]);
	if (s->h2cbs)
		nghttp2_session_callbacks_del(s->h2cbs);
	SSL_CTX_free(s->ctx);
	free(s);
}
