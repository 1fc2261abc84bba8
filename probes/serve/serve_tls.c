/* The server's identity (certificate, key, the chain it sends) and its TLS context: version
 * limits, ALPN in the server's order of preference. */
#include "serve/serve_int.h"

#include "base/pem.h"
#include "base/util.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int serve_alpn_parse(const char *list, char *wire, size_t cap, size_t *len, ats_err *err)
{
	size_t n = 0;
	const char *p = list;
	if (strcmp(list, "none") == 0)
		p = "";
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t k = comma ? (size_t)(comma - p) : strlen(p);
		if (k == 0 || k > 255 || n + 1 + k > cap)
			return ats_err_set(err, ATS_EUSAGE,
					   "ALPN list '%s': expected names separated by commas", list);
		wire[n++] = (char)k;
		memcpy(wire + n, p, k);
		n += k;
		p += k + (comma ? 1 : 0);
		if (comma && !*p)
			return ats_err_set(err, ATS_EUSAGE, "ALPN list '%s': ends with a comma", list);
	}
	*len = n;
	return 0;
}

/* The first of our protocols the client also offers; none in common: no ALPN in the answer
 * (the client then speaks HTTP/1.1, as with nginx). */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned int inlen, void *arg)
{
	(void)ssl;
	const ats_serve *s = arg;
	for (size_t i = 0; i < s->alpn_len; i += 1 + (unsigned char)s->alpn_wire[i]) {
		const unsigned char *ours = (const unsigned char *)s->alpn_wire + i;
		for (unsigned int j = 0; j < inlen; j += 1u + in[j]) {
			if (j + 1u + in[j] > inlen)
				break;
			if (in[j] == ours[0] && memcmp(in + j + 1, ours + 1, ours[0]) == 0) {
				*out = ours + 1;
				*outlen = ours[0];
				return SSL_TLSEXT_ERR_OK;
			}
		}
	}
	return SSL_TLSEXT_ERR_NOACK;
}

typedef struct cert_list {
	STACK_OF(X509) *certs;
	char problem[256];
} cert_list;

static void on_cert(void *ctx, const unsigned char *der, size_t len, ats_cert_pos pos)
{
	(void)pos;
	cert_list *l = ctx;
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (!x || !sk_X509_push(l->certs, x))
		X509_free(x);
}

static void on_problem(void *ctx, ats_cert_pos pos, const char *msg)
{
	cert_list *l = ctx;
	if (l->problem[0])
		return;
	if (pos.line > 0)
		snprintf(l->problem, sizeof(l->problem), "certificate %d (line %d): %s", pos.index,
			 pos.line, msg);
	else if (pos.index > 0)
		snprintf(l->problem, sizeof(l->problem), "certificate %d: %s", pos.index, msg);
	else
		snprintf(l->problem, sizeof(l->problem), "%s", msg);
}

/* Every certificate of a PEM, DER or PKCS#7 file, in order; a broken entry fails the whole file
 * (a server must send exactly what it was given). */
static int read_certs(const char *path, const char *what, STACK_OF(X509) **out, ats_err *err)
{
	unsigned char *data = NULL;
	size_t len;
	cert_list l = {.certs = sk_X509_new_null()};
	int rc;
	if (!l.certs) {
		rc = ats_err_set(err, ATS_ENOMEM, "%s: out of memory reading %s", path, what);
		goto bad;
	}
	if ((rc = ats_file_read(path, NULL, &data, &len, err)) != 0)
		goto bad;
	ats_cert_sink sink = {.ctx = &l, .cert = on_cert, .problem = on_problem};
	ats_certs_scan(data, len, &sink);
	if (l.problem[0]) {
		rc = ats_err_set(err, ATS_EPARSE, "%s (%s): %s", path, what, l.problem);
		goto bad;
	}
	if (sk_X509_num(l.certs) == 0) {
		rc = ats_err_set(err, ATS_EPARSE, "%s (%s): no certificate in it", path, what);
		goto bad;
	}
	free(data);
	*out = l.certs;
	return 0;
bad:
	free(data);
	sk_X509_pop_free(l.certs, X509_free);
	return rc;
}

/* Never asks for a passphrase: an encrypted key is an error, not a prompt. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

static int read_key(const char *path, EVP_PKEY **out, ats_err *err)
{
	unsigned char *data = NULL;
	size_t len = 0;
	EVP_PKEY *k = NULL;
	int rc = ats_file_read(path, NULL, &data, &len, err);
	if (rc != 0)
		return rc;
	BIO *b = BIO_new_mem_buf(data, (int)len);
	if (b)
		k = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	if (!k) {
		const unsigned char *p = data;
		k = d2i_AutoPrivateKey(NULL, &p, (long)len);
	}
	if (!k) {
		const char *why = memmem(data, len, "ENCRYPTED", 9) ? "the key is encrypted (give it "
								   "unencrypted)"
								 : "not a private key (PEM or DER)";
		rc = ats_err_set(err, ATS_EPARSE, "%s (the server key): %s", path, why);
	}
	ERR_clear_error();
	BIO_free(b);
	ats_wipe(data, len);
	free(data);
	*out = k;
	return rc;
}

static int set_versions(SSL_CTX *ctx, const ats_serve_opts *o, ats_err *err)
{
	if (o->tls_min && o->tls_max && o->tls_min > o->tls_max)
		return ats_err_set(err, ATS_EUSAGE, "TLS minimum version is above the maximum");
	if ((o->tls_min && !SSL_CTX_set_min_proto_version(ctx, o->tls_min)) ||
	    (o->tls_max && !SSL_CTX_set_max_proto_version(ctx, o->tls_max)))
		return ats_err_set(err, ATS_EUSAGE, "TLS version limits not supported by this OpenSSL");
	/* OpenSSL 3 refuses TLS 1.0/1.1 at security level 1 and above; a server told to speak
	 * only an old version must really offer it, so the client is the one that refuses. */
	bool old = (o->tls_max && o->tls_max < TLS1_2_VERSION) ||
		   (o->tls_min && o->tls_min < TLS1_2_VERSION);
	if (old) {
		SSL_CTX_set_security_level(ctx, 0);
		if (!SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0"))
			return ats_err_set(err, ATS_ECRYPTO, "cannot enable the old TLS ciphers");
	}
	if (!o->tls_min && old && !SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION))
		return ats_err_set(err, ATS_ECRYPTO, "cannot enable TLS 1.0");
	return 0;
}

static int set_identity(SSL_CTX *ctx, const ats_serve_opts *o, ats_err *err)
{
	STACK_OF(X509) *certs = NULL, *extra = NULL;
	EVP_PKEY *key = NULL;
	X509 *leaf = o->cert;
	const char *certname = o->cert_file ? o->cert_file : "the certificate";
	const char *keyname = o->key_file ? o->key_file : "the key";
	int rc = ATS_EUSAGE;

	if (!o->cert && !o->cert_file) {
		ats_err_set(err, ATS_EUSAGE, "a TLS server needs a certificate and its private key: none given");
		goto out;
	}
	if (!o->key && !o->key_file) {
		ats_err_set(err, ATS_EUSAGE, "%s: no private key given for it", certname);
		goto out;
	}
	if (!leaf) {
		if ((rc = read_certs(o->cert_file, "the server certificate", &certs, err)) != 0)
			goto out;
		leaf = sk_X509_value(certs, 0);
	}
	if (o->chain_file && (rc = read_certs(o->chain_file, "the chain to send", &extra, err)) != 0)
		goto out;
	key = o->key;
	if (!key && (rc = read_key(o->key_file, &key, err)) != 0)
		goto out;
	rc = ATS_ECRYPTO;
	if (SSL_CTX_use_certificate(ctx, leaf) != 1) {
		ats_err_set(err, rc, "%s: the TLS library refuses this certificate", certname);
		ats_err_add_openssl(err);
		goto out;
	}
	if (SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		ats_err_set(err, rc, "%s does not match the certificate in %s", keyname, certname);
		ERR_clear_error();
		goto out;
	}
	for (int i = 1; certs && i < sk_X509_num(certs); i++)
		if (!SSL_CTX_add1_chain_cert(ctx, sk_X509_value(certs, i)))
			goto chain_fail;
	for (int i = 0; o->chain && i < sk_X509_num(o->chain); i++)
		if (!SSL_CTX_add1_chain_cert(ctx, sk_X509_value(o->chain, i)))
			goto chain_fail;
	for (int i = 0; extra && i < sk_X509_num(extra); i++)
		if (!SSL_CTX_add1_chain_cert(ctx, sk_X509_value(extra, i)))
			goto chain_fail;
	rc = 0;
	goto out;
chain_fail:
	ats_err_set(err, rc, "%s: cannot use the chain", o->chain_file ? o->chain_file : certname);
	ats_err_add_openssl(err);
out:
	if (key != o->key)
		EVP_PKEY_free(key);
	sk_X509_pop_free(certs, X509_free);
	sk_X509_pop_free(extra, X509_free);
	return rc;
}

struct serve_site {
	char name[256];
	SSL_CTX *ctx;
	unsigned char *ocsp;
	size_t ocsp_len;
};

/* A stapled response as given: a DER OCSPResponse (checked to parse, so a wrong file is an
 * error naming it rather than garbage on the wire). */
static int read_ocsp(const char *path, unsigned char **out, size_t *len, ats_err *err)
{
	int rc = ats_file_read(path, NULL, out, len, err);
	if (rc != 0)
		return rc;
	const unsigned char *p = *out;
	OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, (long)*len);
	if (!r) {
		free(*out);
		*out = NULL;
		ERR_clear_error();
		return ats_err_set(err, ATS_EPARSE, "%s: not a DER OCSP response", path);
	}
	OCSP_RESPONSE_free(r);
	return 0;
}

/* Staples the response of the identity the handshake uses, when the client asked for one. */
static int status_cb(SSL *ssl, void *arg)
{
	ats_serve *s = arg;
	SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);
	const unsigned char *resp = ctx == s->ctx ? s->ocsp : NULL;
	size_t len = ctx == s->ctx ? s->ocsp_len : 0;
	for (size_t i = 0; i < s->nsites; i++)
		if (s->sites[i].ctx == ctx) {
			resp = s->sites[i].ocsp;
			len = s->sites[i].ocsp_len;
		}
	if (!resp)
		return SSL_TLSEXT_ERR_NOACK;
	unsigned char *copy = OPENSSL_malloc(len);
	if (!copy)
		return SSL_TLSEXT_ERR_NOACK;
	memcpy(copy, resp, len);
	if (!SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)len)) {
		OPENSSL_free(copy);
		return SSL_TLSEXT_ERR_NOACK;
	}
	return SSL_TLSEXT_ERR_OK;
}

/* SNI: the site by that name, else the main identity. */
static int servername_cb(SSL *ssl, int *alert, void *arg)
{
	ats_serve *s = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	(void)alert;
	for (size_t i = 0; name && i < s->nsites; i++)
		if (strcasecmp(s->sites[i].name, name) == 0) {
			SSL_set_SSL_CTX(ssl, s->sites[i].ctx);
			break;
		}
	return SSL_TLSEXT_ERR_OK;
}

/* One TLS context: versions, ALPN, stapling, and the identity in o. */
static SSL_CTX *ctx_new(ats_serve *s, const ats_serve_opts *o, ats_err *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		ats_err_set(err, ATS_ECRYPTO, "server on %s: cannot create a TLS context", s->o.listen ? s->o.listen : ATS_SERVE_DEFAULT_LISTEN);
		ats_err_add_openssl(err);
		return NULL;
	}
	/* Send exactly the chain given (a scenario may leave an intermediate out on purpose). */
	SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, s);
	SSL_CTX_set_tlsext_status_cb(ctx, status_cb);
	SSL_CTX_set_tlsext_status_arg(ctx, s);
	if (set_versions(ctx, &s->o, err) != 0 || set_identity(ctx, o, err) != 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int serve_tls_ctx_new(ats_serve *s, ats_err *err)
{
	ats_serve_opts main = s->o;
	int rc;
	if (s->o.nsites > ATS_SERVE_MAX_SITES)
		return ats_err_set(err, ATS_EUSAGE, "%zu names to serve: at most %d", s->o.nsites,
				   ATS_SERVE_MAX_SITES);
	if (s->o.nsites && !s->o.cert && !s->o.cert_file) {
		main.cert_file = s->o.sites[0].cert_file;
		main.key_file = s->o.sites[0].key_file;
		main.ocsp_file = s->o.sites[0].ocsp_file;
	}
	if (main.ocsp_file && (rc = read_ocsp(main.ocsp_file, &s->ocsp, &s->ocsp_len, err)) != 0)
		return rc;
	if (!(s->ctx = ctx_new(s, &main, err)))
		return err ? err->code : ATS_ECRYPTO;
	if (s->o.nsites && !(s->sites = calloc(s->o.nsites, sizeof(*s->sites))))
		return ats_err_set(err, ATS_ENOMEM, "out of memory");
	for (size_t i = 0; i < s->o.nsites; i++) {
		const ats_serve_site *site = &s->o.sites[i];
		ats_serve_opts one = s->o;
		one.cert = NULL;
		one.key = NULL;
		one.chain = NULL;
		one.chain_file = NULL;
		one.cert_file = site->cert_file;
		one.key_file = site->key_file;
		if (!site->name || !*site->name)
			return ats_err_set(err, ATS_EUSAGE, "%s: a site needs a name",
					   site->cert_file ? site->cert_file : "(no certificate)");
		snprintf(s->sites[i].name, sizeof(s->sites[i].name), "%s", site->name);
		s->nsites = i + 1;
		if (site->ocsp_file &&
		    (rc = read_ocsp(site->ocsp_file, &s->sites[i].ocsp, &s->sites[i].ocsp_len, err)) != 0)
			return rc;
		if (!(s->sites[i].ctx = ctx_new(s, &one, err)))
			return err ? err->code : ATS_ECRYPTO;
	}
	if (s->nsites) {
		SSL_CTX_set_tlsext_servername_callback(s->ctx, servername_cb);
		SSL_CTX_set_tlsext_servername_arg(s->ctx, s);
	}
	return 0;
}

void serve_tls_free(ats_serve *s)
{
	for (size_t i = 0; i < s->nsites; i++) {
		SSL_CTX_free(s->sites[i].ctx);
		free(s->sites[i].ocsp);
	}
	free(s->sites);
	free(s->ocsp);
	SSL_CTX_free(s->ctx);
	s->sites = NULL;
	s->ocsp = NULL;
	s->ctx = NULL;
	s->nsites = 0;
}
