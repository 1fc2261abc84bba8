/* The look-alike endpoint's library API: start on port 0, answer libcurl over HTTP/2 and
 * HTTP/1.1 in-process, stop from another thread; the identity loaded from files and objects;
 * bad inputs named; garbage, silence and resets cost only their own connection. */
#include "serve/serve.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#define HOST "avs-ats-cert-test.amazon.com"

typedef struct pki {
	EVP_PKEY *root_key, *int_key, *leaf_key;
	X509 *root, *inter, *leaf;
	char *dir;
} pki;

static pki P;

static void pki_make(void)
{
	P.dir = tu_tmpdir();
	P.root_key = tu_key("ec:P-256");
	P.int_key = tu_key("ec:P-256");
	P.leaf_key = tu_key("ec:P-256");
	P.root = tu_cert("/CN=Test Root CA", P.root_key, NULL, NULL, 1);
	P.inter = tu_cert("/CN=Test Intermediate", P.int_key, P.root, P.root_key, 1);
	ats_err err = {0};
	time_t now = time(NULL);
	ats_pki_cert_opts o = {.subject = "/CN=" HOST, .key = P.leaf_key, .issuer = P.inter,
			       .issuer_key = P.int_key, .not_before = now - 3600,
			       .not_after = now + YEAR, .pathlen = -1, .dns = HOST,
			       .ip = "127.0.0.1,::1"};
	P.leaf = ats_pki_cert_new(&o, &err);
	cr_assert_not_null(P.leaf, "%s", err.msg);
	tu_write_certs(tu_path(P.dir, "root.pem"), &P.root, 1);
	tu_write_certs(tu_path(P.dir, "leaf.pem"), &P.leaf, 1);
	tu_write_certs(tu_path(P.dir, "inter.pem"), &P.inter, 1);
	X509 *both[2] = {P.leaf, P.inter};
	tu_write_certs(tu_path(P.dir, "fullchain.pem"), both, 2);
	cr_assert_eq(ats_pki_write_key(tu_path(P.dir, "leaf.key"), P.leaf_key, &err), 0, "%s", err.msg);
	cr_assert_eq(ats_pki_write_key(tu_path(P.dir, "root.key"), P.root_key, &err), 0, "%s", err.msg);
}

static void pki_free(void)
{
	EVP_PKEY_free(P.root_key);
	EVP_PKEY_free(P.int_key);
	EVP_PKEY_free(P.leaf_key);
	X509_free(P.root);
	X509_free(P.inter);
	X509_free(P.leaf);
	tu_rmtree(P.dir);
	memset(&P, 0, sizeof(P));
}

static void setup(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pki_make();
}

static void teardown(void)
{
	pki_free();
	curl_global_cleanup();
}

TestSuite(serve, .init = setup, .fini = teardown, .timeout = 60);

/* ---- a server on its own thread ---- */

typedef struct running {
	ats_serve *s;
	pthread_t t;
	int rc;
	ats_err err;
} running;

static void *loop(void *arg)
{
	running *r = arg;
	r->rc = ats_serve_run(r->s, &r->err);
	return NULL;
}

static void start(running *r, ats_serve_opts *o)
{
	memset(r, 0, sizeof(*r));
	if (!o->listen)
		o->listen = "127.0.0.1:0";
	cr_assert_eq(ats_serve_new(o, &r->s, &r->err), 0, "%s", r->err.msg);
	cr_assert_gt(ats_serve_bound_port(r->s), 0);
	cr_assert_eq(pthread_create(&r->t, NULL, loop, r), 0);
}

static void stop(running *r, ats_serve_stats *st)
{
	ats_serve_stop(r->s);
	cr_assert_eq(pthread_join(r->t, NULL), 0);
	cr_assert_eq(r->rc, 0, "%s", r->err.msg);
	if (st)
		ats_serve_get_stats(r->s, st);
	ats_serve_free(r->s);
}

/* ---- a libcurl client ---- */

typedef struct answer {
	CURLcode rc;
	long status, version;
	char body[512];
	size_t n;
} answer;

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
	answer *a = ud;
	size_t n = sz * nm, room = sizeof(a->body) - 1 - a->n;
	memcpy(a->body + a->n, p, n < room ? n : room);
	a->n += n < room ? n : room;
	a->body[a->n] = '\0';
	return n;
}

static answer fetch_tls(int port, long http_version, const char *cafile, long sslversion)
{
	answer a = {0};
	char url[128], resolve[128];
	snprintf(url, sizeof(url), "https://" HOST ":%d/ping", port);
	snprintf(resolve, sizeof(resolve), HOST ":%d:127.0.0.1", port);
	struct curl_slist *res = curl_slist_append(NULL, resolve);
	CURL *h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_RESOLVE, res);
	curl_easy_setopt(h, CURLOPT_CAINFO, cafile);
	curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(h, CURLOPT_SSL_OPTIONS, (long)CURLSSLOPT_NO_PARTIALCHAIN);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, http_version);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, sslversion);
	a.rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a.status);
	curl_easy_getinfo(h, CURLINFO_HTTP_VERSION, &a.version);
	curl_easy_cleanup(h);
	curl_slist_free_all(res);
	return a;
}

static answer fetch(int port, long http_version, const char *cafile)
{
	return fetch_tls(port, http_version, cafile, CURL_SSLVERSION_DEFAULT);
}

Test(serve, answers_h2_and_http11_like_the_endpoint)
{
	running r;
	ats_serve_opts o = {.cert_file = tu_path(P.dir, "leaf.pem"),
			    .key_file = tu_path(P.dir, "leaf.key"),
			    .chain_file = tu_path(P.dir, "inter.pem")};
	start(&r, &o);
	int port = ats_serve_bound_port(r.s);
	char want_addr[32];
	snprintf(want_addr, sizeof(want_addr), "127.0.0.1:%d", port);
	cr_assert_str_eq(ats_serve_bound_address(r.s), want_addr);

	answer a = fetch(port, CURL_HTTP_VERSION_2TLS, tu_path(P.dir, "root.pem"));
	cr_assert_eq(a.rc, CURLE_OK, "%s", curl_easy_strerror(a.rc));
	cr_assert_eq(a.version, CURL_HTTP_VERSION_2_0);
	cr_assert_eq(a.status, 200);
	cr_assert_str_eq(a.body, ATS_SERVE_H2_BODY);

	a = fetch(port, CURL_HTTP_VERSION_1_1, tu_path(P.dir, "root.pem"));
	cr_assert_eq(a.rc, CURLE_OK, "%s", curl_easy_strerror(a.rc));
	cr_assert_eq(a.version, CURL_HTTP_VERSION_1_1);
	cr_assert_eq(a.status, ATS_SERVE_H1_STATUS);
	cr_assert_str_eq(a.body, ATS_SERVE_H1_BODY);

	ats_serve_stats st;
	stop(&r, &st);
	cr_assert_eq(st.h2_requests, 1);
	cr_assert_eq(st.h1_requests, 1);
	cr_assert_eq(st.handshakes, 2);
	cr_assert_eq(st.tls_failed, 0);
}

Test(serve, in_memory_identity_and_the_chain_it_sends)
{
	/* Objects instead of files, as selftest uses it. Without the intermediate, a client that
	 * trusts only the root must fail: proof that exactly the given chain is sent. */
	running r;
	ats_serve_opts o = {.cert = P.leaf, .key = P.leaf_key};
	start(&r, &o);
	answer a = fetch(ats_serve_bound_port(r.s), CURL_HTTP_VERSION_2TLS, tu_path(P.dir, "root.pem"));
	cr_assert_eq(a.rc, CURLE_PEER_FAILED_VERIFICATION, "%s", curl_easy_strerror(a.rc));
	stop(&r, NULL);

	STACK_OF(X509) *chain = sk_X509_new_null();
	sk_X509_push(chain, P.inter);
	o.chain = chain;
	start(&r, &o);
	a = fetch(ats_serve_bound_port(r.s), CURL_HTTP_VERSION_2TLS, tu_path(P.dir, "root.pem"));
	cr_assert_eq(a.rc, CURLE_OK, "%s", curl_easy_strerror(a.rc));
	cr_assert_str_eq(a.body, ATS_SERVE_H2_BODY);
	stop(&r, NULL);
	sk_X509_free(chain);
}

Test(serve, chain_in_the_cert_file)
{
	running r;
	ats_serve_opts o = {.cert_file = tu_path(P.dir, "fullchain.pem"),
			    .key_file = tu_path(P.dir, "leaf.key")};
	start(&r, &o);
	answer a = fetch(ats_serve_bound_port(r.s), CURL_HTTP_VERSION_2TLS, tu_path(P.dir, "root.pem"));
	cr_assert_eq(a.rc, CURLE_OK, "%s", curl_easy_strerror(a.rc));
	cr_assert_eq(a.version, CURL_HTTP_VERSION_2_0);
	stop(&r, NULL);
}

Test(serve, no_h2_in_alpn_gives_http11)
{
	running r;
	ats_serve_opts o = {.cert_file = tu_path(P.dir, "fullchain.pem"),
			    .key_file = tu_path(P.dir, "leaf.key"), .alpn = "http/1.1"};
	start(&r, &o);
	answer a = fetch(ats_serve_bound_port(r.s), CURL_HTTP_VERSION_2TLS, tu_path(P.dir, "root.pem"));
	cr_assert_eq(a.rc, CURLE_OK, "%s", curl_easy_strerror(a.rc));
	cr_assert_eq(a.version, CURL_HTTP_VERSION_1_1);
	cr_assert_eq(a.status, ATS_SERVE_H1_STATUS);
	stop(&r, NULL);
}

Test(serve, tls_max_12_refuses_a_13_only_client)
{
	running r;
	ats_serve_opts o = {.cert_file = tu_path(P.dir, "fullchain.pem"),
			    .key_file = tu_path(P.dir, "leaf.key"), .tls_max = TLS1_2_VERSION};
	start(&r, &o);
	int port = ats_serve_bound_port(r.s);
	answer a = fetch_tls(port, CURL_HTTP_VERSION_2TLS, tu_path(P.dir, "root.pem"),
			     CURL_SSLVERSION_TLSv1_3);
	cr_assert_eq(a.rc, CURLE_SSL_CONNECT_ERROR, "TLS 1.3 client: %s", curl_easy_strerror(a.rc));
	a = fetch_tls(port, CURL_HTTP_VERSION_2TLS, tu_path(P.dir, "root.pem"),
		      CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2);
	cr_assert_eq(a.rc, CURLE_OK, "TLS 1.2 client: %s", curl_easy_strerror(a.rc));
	cr_assert_eq(a.version, CURL_HTTP_VERSION_2_0);
	stop(&r, NULL);
}

/* ---- bad input: one line naming the input ---- */

static void expect_fail(ats_serve_opts *o, int code, const char *needle)
{
	ats_serve *s = NULL;
	ats_err err = {0};
	if (!o->listen)
		o->listen = "127.0.0.1:0";
	cr_assert_eq(ats_serve_new(o, &s, &err), code, "code %d: %s", err.code, err.msg);
	cr_assert_null(s);
	cr_assert_not_null(strstr(err.msg, needle), "'%s' does not name '%s'", err.msg, needle);
}

Test(serve, bad_inputs_are_named)
{
	char *leaf = strdup(tu_path(P.dir, "leaf.pem")), *key = strdup(tu_path(P.dir, "leaf.key"));
	ats_serve_opts o = {.cert_file = tu_path(P.dir, "missing.pem"), .key_file = key};
	expect_fail(&o, ATS_EIO, "missing.pem: cannot open");

	tu_write_str(tu_path(P.dir, "garbage.pem"), "-----BEGIN CERTIFICATE-----\nnot base64\n");
	o = (ats_serve_opts){.cert_file = tu_path(P.dir, "garbage.pem"), .key_file = key};
	expect_fail(&o, ATS_EPARSE, "garbage.pem (the server certificate)");

	o = (ats_serve_opts){.cert_file = leaf, .key_file = tu_path(P.dir, "root.key")};
	expect_fail(&o, ATS_ECRYPTO, "root.key does not match");

	o = (ats_serve_opts){.cert_file = leaf, .key_file = leaf};
	expect_fail(&o, ATS_EPARSE, "not a private key");

	tu_write_str(tu_path(P.dir, "enc.key"),
		     "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n");
	o = (ats_serve_opts){.cert_file = leaf, .key_file = tu_path(P.dir, "enc.key")};
	expect_fail(&o, ATS_EPARSE, "encrypted");

	o = (ats_serve_opts){.cert_file = leaf, .key_file = key, .chain_file = P.dir};
	expect_fail(&o, ATS_EIO, "is a directory");

	o = (ats_serve_opts){.key_file = key};
	expect_fail(&o, ATS_EUSAGE, "needs a certificate and its private key");

	o = (ats_serve_opts){.cert_file = leaf, .key_file = key, .tls_min = TLS1_3_VERSION,
			     .tls_max = TLS1_2_VERSION};
	expect_fail(&o, ATS_EUSAGE, "minimum");

	o = (ats_serve_opts){.cert_file = leaf, .key_file = key, .alpn = "h2,"};
	expect_fail(&o, ATS_EUSAGE, "ALPN list 'h2,'");

	const char *bad_listen[] = {"127.0.0.1", "8443", "[::1]8443", "127.0.0.1:http",
				    "127.0.0.1:99999", ":8443", "::1:8443"};
	for (size_t i = 0; i < sizeof(bad_listen) / sizeof(bad_listen[0]); i++) {
		o = (ats_serve_opts){.mode = ATS_SERVE_PLAIN, .listen = bad_listen[i]};
		expect_fail(&o, ATS_EUSAGE, "expected ADDR:PORT");
	}
	o = (ats_serve_opts){.mode = ATS_SERVE_PLAIN, .listen = "no.such.host.invalid:0"};
	expect_fail(&o, ATS_ENET, "no.such.host.invalid");

	/* The port taken: named. */
	ats_serve *first = NULL;
	ats_err err = {0};
	o = (ats_serve_opts){.mode = ATS_SERVE_PLAIN, .listen = "127.0.0.1:0"};
	cr_assert_eq(ats_serve_new(&o, &first, &err), 0, "%s", err.msg);
	char taken[64];
	snprintf(taken, sizeof(taken), "%s", ats_serve_bound_address(first));
	o.listen = taken;
	expect_fail(&o, ATS_ENET, "cannot listen");
	ats_serve_free(first);
	ats_serve_free(NULL);
	free(leaf);
	free(key);
}

Test(serve, parsers)
{
	cr_assert_eq(ats_serve_tls_version("1.1"), TLS1_1_VERSION);
	cr_assert_eq(ats_serve_tls_version("1.3"), TLS1_3_VERSION);
	cr_assert_eq(ats_serve_tls_version("1.4"), -1);
	cr_assert_eq(ats_serve_mode_parse("stall"), ATS_SERVE_STALL);
	cr_assert_eq(ats_serve_mode_parse("bogus"), -1);
}

/* ---- raw clients, driven by run_once on this thread ---- */

static int connect_to(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Runs the loop until the client's socket sees end of file or a reset (bounded); returns what
 * recv said last: 0 for a clean close, -1 for a reset. */
static int run_until_closed(ats_serve *s, int fd, int max_ms, char *got, size_t cap)
{
	size_t n = 0;
	for (int waited = 0; waited < max_ms; waited += 10) {
		ats_err err = {0};
		cr_assert_eq(ats_serve_run_once(s, 10, &err), 0, "%s", err.msg);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 0) == 1) {
			ssize_t r = recv(fd, got ? got + n : (char[64]){0}, got ? cap - 1 - n : 64, 0);
			if (r <= 0)
				return (int)(r < 0 ? -1 : 0);
			if (got) {
				n += (size_t)r;
				got[n] = '\0';
			}
		}
	}
	cr_assert_fail("the server did not close within %d ms", max_ms);
	return 1;
}

Test(serve, garbage_costs_only_its_connection)
{
	ats_serve *s = NULL;
	ats_err err = {0};
	ats_serve_opts o = {.cert_file = tu_path(P.dir, "fullchain.pem"),
			    .key_file = tu_path(P.dir, "leaf.key"), .listen = "127.0.0.1:0"};
	cr_assert_eq(ats_serve_new(&o, &s, &err), 0, "%s", err.msg);
	int port = ats_serve_bound_port(s);

	/* Plain HTTP on the TLS port. */
	int fd = connect_to(port);
	const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	cr_assert_eq(send(fd, req, sizeof(req) - 1, 0), (ssize_t)sizeof(req) - 1);
	run_until_closed(s, fd, 3000, NULL, 0);
	close(fd);

	/* Random bytes. */
	unsigned char noise[4096];
	for (size_t i = 0; i < sizeof(noise); i++)
		noise[i] = (unsigned char)(i * 131u + 7u);
	fd = connect_to(port);
	(void)!send(fd, noise, sizeof(noise), 0);
	run_until_closed(s, fd, 3000, NULL, 0);
	close(fd);

	/* Half a ClientHello, then a reset. */
	fd = connect_to(port);
	const unsigned char hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03};
	(void)!send(fd, hello, sizeof(hello), 0);
	struct linger l = {1, 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	for (int i = 0; i < 5; i++)
		ats_serve_run_once(s, 10, &err);
	close(fd);
	for (int i = 0; i < 20; i++)
		ats_serve_run_once(s, 10, &err);

	ats_serve_stats st;
	ats_serve_get_stats(s, &st);
	cr_assert_eq(st.tls_failed, 3, "tls_failed %lu", st.tls_failed);
	cr_assert_eq(st.open, 0, "%lu still open", st.open);
	ats_serve_free(s);
}

Test(serve, idle_and_stalled_connections_meet_their_deadline)
{
	ats_serve *s = NULL;
	ats_err err = {0};
	ats_serve_opts o = {.cert = P.leaf, .key = P.leaf_key, .listen = "127.0.0.1:0",
			    .timeout_ms = 200};
	cr_assert_eq(ats_serve_new(&o, &s, &err), 0, "%s", err.msg);
	int fd = connect_to(ats_serve_bound_port(s));
	run_until_closed(s, fd, 3000, NULL, 0);
	close(fd);
	ats_serve_stats st;
	ats_serve_get_stats(s, &st);
	cr_assert_eq(st.timeouts, 1);
	ats_serve_free(s);

	o = (ats_serve_opts){.mode = ATS_SERVE_STALL, .listen = "127.0.0.1:0", .stall_ms = 200};
	cr_assert_eq(ats_serve_new(&o, &s, &err), 0, "%s", err.msg);
	fd = connect_to(ats_serve_bound_port(s));
	(void)!send(fd, "GET / HTTP/1.1\r\n\r\n", 18, 0);
	char got[64] = "";
	run_until_closed(s, fd, 3000, got, sizeof(got));
	cr_assert_str_empty(got, "a stalled server answered '%s'", got);
	close(fd);
	ats_serve_free(s);
}

Test(serve, reset_mode_resets)
{
	ats_serve *s = NULL;
	ats_err err = {0};
	ats_serve_opts o = {.mode = ATS_SERVE_RESET, .listen = "127.0.0.1:0"};
	cr_assert_eq(ats_serve_new(&o, &s, &err), 0, "%s", err.msg);
	int fd = connect_to(ats_serve_bound_port(s));
	const unsigned char hello[] = {0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x03};
	(void)!send(fd, hello, sizeof(hello), 0);
	cr_assert_eq(run_until_closed(s, fd, 3000, NULL, 0), -1, "expected a reset");
	close(fd);
	ats_serve_stats st;
	ats_serve_get_stats(s, &st);
	cr_assert_eq(st.resets, 1);
	ats_serve_free(s);
}

Test(serve, max_conns_refuses_the_extra_ones)
{
	ats_serve *s = NULL;
	ats_err err = {0};
	ats_serve_opts o = {.mode = ATS_SERVE_STALL, .listen = "127.0.0.1:0", .max_conns = 2};
	cr_assert_eq(ats_serve_new(&o, &s, &err), 0, "%s", err.msg);
	int fds[3];
	for (int i = 0; i < 3; i++)
		fds[i] = connect_to(ats_serve_bound_port(s));
	for (int i = 0; i < 10; i++)
		ats_serve_run_once(s, 10, &err);
	ats_serve_stats st;
	ats_serve_get_stats(s, &st);
	cr_assert_eq(st.accepted, 3);
	cr_assert_eq(st.refused, 1);
	cr_assert_eq(st.open, 2);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	for (int i = 0; i < 10 && st.open; i++) {
		ats_serve_run_once(s, 10, &err);
		ats_serve_get_stats(s, &st);
	}
	cr_assert_eq(st.open, 0, "stalled connections whose client left are released");
	ats_serve_free(s);
}
