/* libFuzzer target: the look-alike endpoint's HTTP side fed as a client's byte stream, with no
 * socket and no TLS: the HTTP/1.x request parser, and (when the stream opens with the HTTP/2
 * preface, or the first byte asks for it) the HTTP/2 session and its callbacks. The input is cut
 * into reads at the 0xff bytes' places (as TCP may cut it); answers are drained between reads. */
#include "serve/serve_int.h"

#include <openssl/bio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static ats_serve srv;

static void drain(serve_conn *c)
{
	char buf[16384];
	if (c->state == ST_H2 && !c->closing)
		serve_h2_send(c);
	while (BIO_read(c->out, buf, sizeof(buf)) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!srv.h2cbs) {
		srv.o.timeout_ms = 1000;
		srv.lfd = -1;
		srv.h2cbs = serve_h2_callbacks_new();
	}
	if (size == 0)
		return 0;
	serve_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return 0;
	c->srv = &srv;
	c->fd = -1;
	c->out = BIO_new(BIO_s_mem());
	c->state = ST_H1;
	snprintf(c->peer, sizeof(c->peer), "fuzz");
	/* First byte odd: the connection negotiated h2 by ALPN (as after a TLS handshake). */
	if ((data[0] & 1) && serve_h2_start(c) == 0)
		c->state = ST_H2;
	data++;
	size--;
	while (size && !c->dead && !c->closing) {
		const uint8_t *cut = memchr(data, 0xff, size);
		size_t n = cut ? (size_t)(cut - data) + 1 : size;
		if (c->state == ST_H2)
			serve_h2_recv(c, data, n);
		else
			serve_h1_recv(c, data, n);
		drain(c);
		data += n;
		size -= n;
	}
	serve_conn_free(c);
	return 0;
}
