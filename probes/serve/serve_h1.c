/* HTTP/1.x as the endpoint speaks it: every well-formed request gets the same "unexpected"
 * answer (ATS_SERVE_H1_STATUS), keep-alive and pipelining honoured, request bodies skipped, and
 * a malformed request a 400 and a close. A fresh connection that opens with the HTTP/2 preface
 * (prior knowledge, no ALPN) is handed to HTTP/2. */
#include "serve/serve_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define PREFACE_LEN (sizeof(preface) - 1)

typedef struct request {
	char method[17];
	char target[128];
	int minor;         /* HTTP/1.<minor> */
	unsigned long long content_length;
	bool chunked, close, keep_alive;
} request;

static void respond(serve_conn *c, int status, const char *reason, const char *body, bool head,
		    bool keep)
{
	char buf[1024];
	size_t blen = strlen(body);
	int n = snprintf(buf, sizeof(buf),
			 "HTTP/1.1 %d %s\r\nServer: atscheck-serve\r\n"
			 "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
			 "Connection: %s\r\n\r\n%s",
			 status, reason, blen, keep ? "keep-alive" : "close", head ? "" : body);
	serve_conn_send(c, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	if (!keep)
		c->closing = true;
}

static bool tchar(unsigned char ch)
{
	return isalnum(ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Whether the bytes so far can start a request line: a TLS ClientHello (0x16...) or other
 * binary gets its 400 at once instead of waiting for a line end that never comes. */
static bool plausible_start(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len && i < 17; i++) {
		if (p[i] == ' ')
			return i > 0;
		if (!tchar(p[i]))
			return false;
	}
	return len < 17;
}

static void bad_request(serve_conn *c, const char *why)
{
	c->srv->st.bad_requests++;
	serve_log(c->srv, "%s: bad HTTP/1.x request (%s): 400", c->peer, why);
	respond(c, 400, "Bad Request", "bad request\n", false, false);
}

/* Length of the head up to and including the blank line; 0 when it has not all arrived. */
static size_t head_end(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static bool contains_token(const char *v, size_t n, const char *tok)
{
	size_t t = strlen(tok);
	for (size_t i = 0; i + t <= n; i++)
		if (strncasecmp(v + i, tok, t) == 0)
			return true;
	return false;
}

/* Parses the request line and the headers that matter; returns a reason when malformed. */
static const char *parse(const char *p, size_t len, request *r)
{
	const char *end = p + len, *eol = memchr(p, '\n', len);
	size_t n = 0;
	memset(r, 0, sizeof(*r));
	while (p + n < eol && n < 16 && tchar((unsigned char)p[n]))
		n++;
	if (n == 0 || p[n] != ' ')
		return "request line";
	memcpy(r->method, p, n);
	const char *t = p + n + 1, *sp = memchr(t, ' ', (size_t)(eol - t));
	if (!sp || sp == t)
		return "request line";
	snprintf(r->target, sizeof(r->target), "%.*s", (int)(sp - t), t);
	for (const char *q = t; q < sp; q++)
		if ((unsigned char)*q <= 0x20 || *q == 0x7f)
			return "request target";
	size_t vlen = (size_t)(eol - sp - 1);
	if (vlen && sp[vlen] == '\r')
		vlen--;
	if (vlen != 8 || memcmp(sp + 1, "HTTP/1.", 7) != 0 || (sp[8] != '0' && sp[8] != '1'))
		return "HTTP version";
	r->minor = sp[8] - '0';
	for (const char *line = eol + 1; line < end;) {
		const char *le = memchr(line, '\n', (size_t)(end - line));
		size_t ll = (size_t)(le - line);
		if (ll && line[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			break;
		const char *colon = memchr(line, ':', ll);
		if (!colon || colon == line || line[0] == ' ' || line[0] == '\t')
			return "header line";
		size_t nl = (size_t)(colon - line);
		const char *v = colon + 1;
		size_t vl = ll - nl - 1;
		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		if (nl == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
			char num[24];
			if (vl == 0 || vl > 19 || strspn(v, "0123456789") < vl)
				return "Content-Length";
			memcpy(num, v, vl);
			num[vl] = '\0';
			r->content_length = strtoull(num, NULL, 10);
		} else if (nl == 17 && strncasecmp(line, "Transfer-Encoding", 17) == 0) {
			r->chunked = contains_token(v, vl, "chunked");
		} else if (nl == 10 && strncasecmp(line, "Connection", 10) == 0) {
			r->close = contains_token(v, vl, "close");
			r->keep_alive = contains_token(v, vl, "keep-alive");
		}
		line = le + 1;
	}
	return NULL;
}

static void handle(serve_conn *c, const unsigned char *p, size_t len)
{
	request r;
	const char *bad = parse((const char *)p, len, &r);
	if (bad) {
		bad_request(c, bad);
		return;
	}
	/* A chunked body would need decoding to find the next request: answer, then close. */
	bool keep = !r.close && !r.chunked && (r.minor == 1 || r.keep_alive);
	c->body_left = r.chunked ? 0 : r.content_length;
	c->h1_count++;
	c->srv->st.h1_requests++;
	serve_log(c->srv, "%s: HTTP/1.%d %s %s: %d", c->peer, r.minor, r.method, r.target,
		  ATS_SERVE_H1_STATUS);
	respond(c, ATS_SERVE_H1_STATUS, "HTTP Version Not Supported", ATS_SERVE_H1_BODY,
		strcmp(r.method, "HEAD") == 0, keep);
}

static int append(serve_conn *c, const unsigned char *data, size_t n)
{
	if (c->in_len + n > c->in_cap) {
		size_t cap = c->in_cap ? c->in_cap : 4096;
		while (cap < c->in_len + n)
			cap *= 2;
		unsigned char *p = realloc(c->in, cap);
		if (!p)
			return -1;
		c->in = p;
		c->in_cap = cap;
	}
	memcpy(c->in + c->in_len, data, n);
	c->in_len += n;
	return 0;
}

/* Prior knowledge: the client opened with the HTTP/2 preface. Returns true when it did. */
static bool to_h2(serve_conn *c)
{
	if (c->h1_count != 0 || c->in_len < PREFACE_LEN || memcmp(c->in, preface, PREFACE_LEN) != 0)
		return false;
	unsigned char *in = c->in;
	size_t len = c->in_len;
	c->in = NULL;
	c->in_len = c->in_cap = 0;
	c->state = ST_H2;
	if (serve_h2_start(c) != 0)
		c->dead = true;
	else
		serve_h2_recv(c, in, len);
	free(in);
	return true;
}

void serve_h1_recv(serve_conn *c, const unsigned char *data, size_t n)
{
	/* Body bytes of the last request go straight to the floor. */
	if (c->in_len == 0 && c->body_left) {
		size_t k = c->body_left < n ? (size_t)c->body_left : n;
		c->body_left -= k;
		data += k;
		n -= k;
	}
	if (n == 0)
		return;
	if (append(c, data, n) != 0) {
		c->dead = true;
		return;
	}
	size_t off = 0;
	while (!c->closing && !c->dead && off < c->in_len) {
		const unsigned char *p = c->in + off;
		size_t len = c->in_len - off;
		if (c->body_left) {
			size_t k = c->body_left < len ? (size_t)c->body_left : len;
			c->body_left -= k;
			off += k;
			continue;
		}
		if (off == 0 && c->h1_count == 0 &&
		    memcmp(p, preface, len < PREFACE_LEN ? len : PREFACE_LEN) == 0) {
			to_h2(c); /* or, with only part of the preface so far, wait for the rest */
			return;
		}
		if (!plausible_start(p, len)) {
			bad_request(c, "not an HTTP request line");
			break;
		}
		size_t head = head_end(p, len);
		if (head == 0) {
			if (len > SERVE_H1_MAX_HEAD) {
				c->srv->st.bad_requests++;
				serve_log(c->srv, "%s: HTTP/1.x request head over %d bytes: 431", c->peer,
					  SERVE_H1_MAX_HEAD);
				respond(c, 431, "Request Header Fields Too Large", "request head too large\n",
					false, false);
			}
			break;
		}
		handle(c, p, head);
		off += head;
	}
	if (c->in && off) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
}
