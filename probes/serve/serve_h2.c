/* HTTP/2 as the endpoint speaks it, through libnghttp2's server session: every complete request
 * gets 200 and ATS_SERVE_H2_BODY. nghttp2 checks the framing, the preface, the pseudo-headers
 * and flow control, and answers protocol errors with GOAWAY; we only hold a little per stream. */
#include "serve/serve_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct serve_stream {
	int32_t id;
	size_t sent;        /* body bytes handed to nghttp2 */
	char method[17];
	char path[128];
	serve_stream *next;
};

static const char body[] = ATS_SERVE_H2_BODY;
#define BODY_LEN (sizeof(body) - 1)

static ssize_t read_body(nghttp2_session *session, int32_t stream_id, uint8_t *buf, size_t length,
			 uint32_t *flags, nghttp2_data_source *source, void *user_data)
{
	(void)session, (void)stream_id, (void)user_data;
	serve_stream *st = source->ptr;
	size_t k = BODY_LEN - st->sent;
	if (k > length)
		k = length;
	memcpy(buf, body + st->sent, k);
	st->sent += k;
	if (st->sent == BODY_LEN)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)k;
}

static void respond(serve_conn *c, serve_stream *st)
{
	char len[24];
	snprintf(len, sizeof(len), "%zu", BODY_LEN);
	/* nghttp2 copies names and values: len may live on the stack. */
#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE}
	nghttp2_nv hdrs[] = {
		NV(":status", "200"),
		NV("content-type", "text/plain; charset=utf-8"),
		NV("content-length", len),
		NV("server", "atscheck-serve"),
	};
#undef NV
	nghttp2_data_provider prd = {.source.ptr = st, .read_callback = read_body};
	bool head = strcmp(st->method, "HEAD") == 0;
	c->srv->st.h2_requests++;
	serve_log(c->srv, "%s: HTTP/2 %s %s: 200", c->peer, st->method, st->path);
	if (nghttp2_submit_response(c->h2, st->id, hdrs, sizeof(hdrs) / sizeof(hdrs[0]),
				    head ? NULL : &prd) != 0)
		nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
}

static int on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
	serve_conn *c = user_data;
	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	serve_stream *st = calloc(1, sizeof(*st));
	if (!st)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	st->id = frame->hd.stream_id;
	st->next = c->streams;
	c->streams = st;
	nghttp2_session_set_stream_user_data(session, st->id, st);
	return 0;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
		     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
		     void *user_data)
{
	(void)flags, (void)user_data;
	serve_stream *st = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
	if (!st || frame->hd.type != NGHTTP2_HEADERS)
		return 0;
	if (namelen == 7 && memcmp(name, ":method", 7) == 0)
		snprintf(st->method, sizeof(st->method), "%.*s", (int)valuelen, (const char *)value);
	else if (namelen == 5 && memcmp(name, ":path", 5) == 0)
		snprintf(st->path, sizeof(st->path), "%.*s", (int)valuelen, (const char *)value);
	return 0;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
	serve_conn *c = user_data;
	if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
	    !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
		return 0;
	serve_stream *st = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
	if (st)
		respond(c, st);
	return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code,
			   void *user_data)
{
	(void)session, (void)error_code;
	serve_conn *c = user_data;
	for (serve_stream **pp = &c->streams; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == stream_id) {
			serve_stream *st = *pp;
			*pp = st->next;
			free(st);
			break;
		}
	}
	return 0;
}

nghttp2_session_callbacks *serve_h2_callbacks_new(void)
{
	nghttp2_session_callbacks *cbs = NULL;
	if (nghttp2_session_callbacks_new(&cbs) != 0)
		return NULL;
	nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
	return cbs;
}

int serve_h2_start(serve_conn *c)
{
	nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100}};
	if (nghttp2_session_server_new(&c->h2, c->srv->h2cbs, c) != 0)
		return -1;
	if (nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, settings, 1) != 0)
		return -1;
	serve_h2_send(c);
	return 0;
}

void serve_h2_send(serve_conn *c)
{
	while (c->h2 && !c->dead && serve_conn_pending(c) < SERVE_OUT_HIGH) {
		const uint8_t *data;
		ssize_t n = nghttp2_session_mem_send(c->h2, &data);
		if (n < 0) {
			c->dead = true;
			return;
		}
		if (n == 0)
			break;
		if (serve_conn_send(c, data, (size_t)n) != 0)
			return;
	}
	if (c->h2 && !nghttp2_session_want_read(c->h2) && !nghttp2_session_want_write(c->h2))
		c->closing = true;
}

void serve_h2_recv(serve_conn *c, const unsigned char *data, size_t n)
{
	ssize_t r = nghttp2_session_mem_recv(c->h2, data, n);
	if (r < 0) {
		c->srv->st.bad_requests++;
		serve_log(c->srv, "%s: HTTP/2 error: %s", c->peer, nghttp2_strerror((int)r));
		/* Say why (GOAWAY) when the session can still speak, then close. */
		nghttp2_session_terminate_session(c->h2, NGHTTP2_PROTOCOL_ERROR);
		serve_h2_send(c);
		c->closing = true;
		return;
	}
	serve_h2_send(c);
}

void serve_h2_goaway(serve_conn *c)
{
	if (c->h2) {
		nghttp2_session_terminate_session(c->h2, NGHTTP2_NO_ERROR);
		serve_h2_send(c);
	}
}

void serve_h2_free(serve_conn *c)
{
	if (c->h2)
		nghttp2_session_del(c->h2);
	c->h2 = NULL;
	while (c->streams) {
		serve_stream *st = c->streams;
		c->streams = st->next;
		free(st);
	}
}
