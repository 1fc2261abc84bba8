/* The look-alike endpoint's server: options, the listening socket, accepting, and the poll loop
 * that hands each connection its events and deadlines (serve_conn.c does the rest). */
#include "serve/serve_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
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
		return ats_err_set(err, ATS_ENET, "listen address %s: %s", spec, gai_strerror(gai));
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
		if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0) {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);
			getsockname(fd, (struct sockaddr *)&ss, &sl);
			serve_format_addr((struct sockaddr *)&ss, s->addr, sizeof(s->addr));
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
	return ats_err_set(err, ATS_ENET, "listen address %s: cannot listen: %s", spec, strerror(e));
bad:
	return ats_err_set(err, ATS_EUSAGE,
			   "listen address %s: expected ADDR:PORT, such as 127.0.0.1:8443 or [::1]:0", spec);
}
/* ---- the server ---- */

int ats_serve_new(const ats_serve_opts *opts, ats_serve **out, ats_err *err)
{
	ats_serve *s = calloc(1, sizeof(*s));
	int rc = ATS_ENOMEM;
	*out = NULL;
	if (!s)
		return ats_err_set(err, rc, "server on %s: out of memory", opts->listen ? opts->listen : ATS_SERVE_DEFAULT_LISTEN);
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
		ats_err_set(err, rc, "server on %s: out of memory", opts->listen ? opts->listen : ATS_SERVE_DEFAULT_LISTEN);
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
		size_t live = 0;
		for (size_t k = 0; k < s->nconns; k++)
			live += !s->conns[k]->dead;
		if (live >= (size_t)s->o.max_conns && !serve_conn_evict(s, now)) {
			s->st.refused++;
			close(fd);
			continue;
		}
		serve_conn_new(s, fd, (struct sockaddr *)&ss, now);
	}
}
int ats_serve_run_once(ats_serve *s, int timeout_ms, ats_err *err)
{
	int64_t now = now_ms();
	size_t n = 2 + s->nconns;
	if (n > s->pfds_cap) {
		struct pollfd *p = realloc(s->pfds, n * 2 * sizeof(*p));
		if (!p)
			return ats_err_set(err, ATS_ENOMEM, "server on %s: out of memory polling %zu connections", s->addr, n);
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
		s->pfds[2 + i] = (struct pollfd){.fd = c->fd, .events = serve_conn_events(c)};
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
			serve_conn_event(c, s->pfds[2 + i].revents, now);
		if (!c->dead && c->deadline <= now)
			serve_conn_deadline(c, now);
	}
	if (s->pfds[1].revents & POLLIN)
		accept_all(s, now);
	size_t k = 0;
	for (size_t i = 0; i < s->nconns; i++) {
		if (s->conns[i]->dead)
			serve_conn_free(s->conns[i]);
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
		serve_conn_free(s->conns[i]);
	free(s->conns);
	free(s->pfds);
	if (s->lfd >= 0)
		close(s->lfd);
	for (int i = 0; i < 2; i++)
		if (s->wake[i] >= 0)
			close(s->wake[i]);
	if (s->h2cbs)
		nghttp2_session_callbacks_del(s->h2cbs);
	serve_tls_free(s);
	free(s);
}
