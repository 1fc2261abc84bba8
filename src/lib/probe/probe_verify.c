/* One certificate verification, captured whole (see probe_int.h), and the report facts of the
 * certificates involved. */
#include "store/catalog.h"
#include "base/pem.h"
#include "probe/probe_int.h"
#include "base/time_abi.h"
#include "base/util.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

typedef struct lab_root {
	X509 *x;
	unsigned char sha256[32], spki_sha256[32];
	char name[256];
} lab_root;

struct ats_lab_roots {
	lab_root *v;
	size_t n;
};

static void cert_hashes(X509 *x, unsigned char sha[32], unsigned char spki[32])
{
	unsigned int n = 32;
	unsigned char *der = NULL;
	X509_digest(x, EVP_sha256(), sha, &n);
	int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (len > 0)
		ats_sha256(der, (size_t)len, spki);
	else
		memset(spki, 0, 32);
	OPENSSL_free(der);
}

/* The name a CA goes by: its CN, else its OU, else the whole subject. */
static void short_name(X509 *x, char *out, size_t n)
{
	X509_NAME *nm = X509_get_subject_name(x);
	out[0] = '\0';
	if (X509_NAME_get_text_by_NID(nm, NID_commonName, out, (int)n) <= 0 &&
	    X509_NAME_get_text_by_NID(nm, NID_organizationalUnitName, out, (int)n) <= 0)
		X509_NAME_oneline(nm, out, (int)n);
}

int ats_lab_roots_add(ats_lab_roots **l, X509 *x, ats_err *err)
{
	if (!*l && !(*l = calloc(1, sizeof(**l))))
		return ats_err_set(err, ATS_ENOMEM, "lab roots: out of memory adding a certificate");
	lab_root *v = realloc((*l)->v, ((*l)->n + 1) * sizeof(*v));
	if (!v)
		return ats_err_set(err, ATS_ENOMEM, "lab roots: out of memory adding a certificate");
	(*l)->v = v;
	lab_root *r = &v[(*l)->n++];
	X509_up_ref(x);
	r->x = x;
	cert_hashes(x, r->sha256, r->spki_sha256);
	short_name(x, r->name, sizeof(r->name));
	return 0;
}

struct lab_scan {
	ats_lab_roots **l;
	int rc;
	ats_err *err;
};

static void lab_cert(void *ctx, const unsigned char *der, size_t len, ats_cert_pos pos)
{
	struct lab_scan *s = ctx;
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	(void)pos;
	if (x && s->rc == 0)
		s->rc = ats_lab_roots_add(s->l, x, s->err);
	X509_free(x);
}

static void lab_problem(void *ctx, ats_cert_pos pos, const char *msg)
{
	(void)ctx;
	(void)pos;
	(void)msg; /* a broken entry is skipped; a file with no certificate at all is refused */
}

int ats_lab_roots_load(const char *path, ats_lab_roots **out, ats_err *err)
{
	unsigned char *data = NULL;
	size_t len;
	ats_lab_roots *l = NULL;
	struct lab_scan s = {&l, 0, err};
	ats_cert_sink sink = {&s, lab_cert, lab_problem};

	*out = NULL;
	int rc = ats_file_read(path, NULL, &data, &len, err);
	if (rc != 0)
		return rc;
	ats_certs_scan(data, len, &sink);
	free(data);
	if (s.rc != 0) {
		ats_lab_roots_free(l);
		return s.rc;
	}
	if (!l) {
		ERR_clear_error();
		return ats_err_set(err, ATS_EPARSE, "%s: no certificate in it", path);
	}
	*out = l;
	return 0;
}

void ats_lab_roots_free(ats_lab_roots *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		X509_free(l->v[i].x);
	free(l->v);
	free(l);
}

void ats_verify_capture_init(ats_verify_capture *c)
{
	memset(c, 0, sizeof(*c));
	c->alert = -1;
}

void ats_verify_capture_free(ats_verify_capture *c)
{
	json_decref(c->errors);
	sk_X509_pop_free(c->sent, X509_free);
	sk_X509_pop_free(c->path, X509_free);
	c->errors = NULL;
	c->sent = c->path = NULL;
}

static void name_str(const X509_NAME *nm, char *out, size_t n)
{
	BIO *b = BIO_new(BIO_s_mem());
	out[0] = '\0';
	if (!b)
		return;
	X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	int len = BIO_read(b, out, (int)n - 1);
	out[len > 0 ? len : 0] = '\0';
	BIO_free(b);
}

/* Records every failure and carries on, so a report lists all of them (an expired leaf for the
 * wrong host says both); ats_verify_run still fails the verification at the end. */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	ats_verify_capture *c = X509_STORE_CTX_get_app_data(ctx);
	if (ok || !c)
		return ok;
	int e = X509_STORE_CTX_get_error(ctx), d = X509_STORE_CTX_get_error_depth(ctx);
	X509 *x = X509_STORE_CTX_get_current_cert(ctx);
	char subj[512] = "";
	size_t i;
	json_t *prev;

	if (c->first_error == X509_V_OK) {
		c->first_error = e;
		c->first_depth = d;
	}
	json_array_foreach(c->errors, i, prev)
		if (json_integer_value(json_object_get(prev, "code")) == e &&
		    json_integer_value(json_object_get(prev, "depth")) == d)
			return 1;
	if (x)
		name_str(X509_get_subject_name(x), subj, sizeof(subj));
	json_array_append_new(c->errors, json_pack("{s:i, s:s, s:i, s:s}", "code", e, "error",
						   X509_verify_cert_error_string(e), "depth", d,
						   "subject", subj));
	return 1;
}

static bool is_ip(const char *h)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1;
}

int ats_verify_run(X509_STORE_CTX *ctx, ats_verify_capture *c)
{
	X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
	STACK_OF(X509) *untrusted = X509_STORE_CTX_get0_untrusted(ctx);
	X509 *leaf = X509_STORE_CTX_get0_cert(ctx);

	c->called = true;
	c->first_error = X509_V_OK;
	if (!c->errors)
		c->errors = json_array();
	if (c->at && ats_verify_param_set_time(vp, (int64_t)c->at) != 0) {
		/* A 32-bit OpenSSL (Debian 12 armhf) cannot judge a time past 2038. */
		c->first_error = X509_V_ERR_UNSPECIFIED;
		json_array_append_new(c->errors,
				      json_pack("{s:i, s:s, s:i, s:s}", "code", c->first_error, "error",
						"--at is past what this platform's OpenSSL can represent "
						"(a 32-bit time_t)", "depth", 0, "subject", ""));
		return 0;
	}
	/* A pass must mean the root itself is in the store. */
	X509_VERIFY_PARAM_clear_flags(vp, X509_V_FLAG_PARTIAL_CHAIN);
	if (c->host[0]) {
		if (is_ip(c->host)) {
			X509_VERIFY_PARAM_set1_ip_asc(vp, c->host);
		} else {
			X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
			X509_VERIFY_PARAM_set1_host(vp, c->host, 0);
		}
	}
	/* What the peer sent, leaf first (OpenSSL hands a client the whole peer chain). */
	sk_X509_pop_free(c->sent, X509_free);
	c->sent = sk_X509_new_null();
	if (leaf && c->sent) {
		X509_up_ref(leaf);
		sk_X509_push(c->sent, leaf);
	}
	for (int i = 0; c->sent && i < sk_X509_num(untrusted); i++) {
		X509 *x = sk_X509_value(untrusted, i);
		if (x == leaf || (i == 0 && leaf && X509_cmp(x, leaf) == 0))
			continue;
		X509_up_ref(x);
		sk_X509_push(c->sent, x);
	}
	X509_STORE_CTX_set_app_data(ctx, c);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	int r = X509_verify_cert(ctx);
	sk_X509_pop_free(c->path, X509_free);
	c->path = X509_STORE_CTX_get1_chain(ctx);
	X509_STORE_CTX_set_app_data(ctx, NULL);
	if (r != 1 && c->first_error == X509_V_OK) {
		c->first_error = X509_STORE_CTX_get_error(ctx);
		if (c->first_error == X509_V_OK)
			c->first_error = X509_V_ERR_UNSPECIFIED;
		json_array_append_new(c->errors,
				      json_pack("{s:i, s:s, s:i, s:s}", "code", c->first_error, "error",
						X509_verify_cert_error_string(c->first_error), "depth", 0,
						"subject", ""));
	}
	c->ok = r == 1 && c->first_error == X509_V_OK;
	ERR_clear_error();
	if (!c->ok) {
		X509_STORE_CTX_set_error(ctx, c->first_error);
		X509_STORE_CTX_set_error_depth(ctx, c->first_depth);
		return 0;
	}
	return 1;
}

static void key_desc(X509 *x, json_t *j)
{
	EVP_PKEY *k = X509_get0_pubkey(x);
	char curve[64] = "";
	const char *type = "unknown";
	int bits = k ? EVP_PKEY_get_bits(k) : 0;

	if (!k)
		return;
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA: type = "RSA"; break;
	case EVP_PKEY_EC:
		type = "EC";
		EVP_PKEY_get_utf8_string_param(k, "group", curve, sizeof(curve), NULL);
		break;
	case EVP_PKEY_ED25519: type = "Ed25519"; break;
	case EVP_PKEY_ED448: type = "Ed448"; break;
	case EVP_PKEY_DSA: type = "DSA"; break;
	}
	json_object_set_new(j, "key_type", json_string(type));
	json_object_set_new(j, "key_bits", json_integer(bits));
	if (curve[0])
		json_object_set_new(j, "key_curve", json_string(strcmp(curve, "prime256v1") == 0 ? "P-256"
								: strcmp(curve, "secp384r1") == 0 ? "P-384"
												  : curve));
}

/* The names a server certificate is valid for (subjectAltName DNS and IP entries). */
static json_t *san_json(X509 *x)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	json_t *a = json_array();
	for (int i = 0; a && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS) {
			const ASN1_STRING *s = g->d.dNSName;
			json_array_append_new(a, json_stringn((const char *)ASN1_STRING_get0_data(s),
							      (size_t)ASN1_STRING_length(s)));
		} else if (g->type == GEN_IPADD) {
			char buf[64] = "";
			const ASN1_OCTET_STRING *s = g->d.iPAddress;
			int len = ASN1_STRING_length(s);
			if (len == 4 || len == 16)
				inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(s), buf,
					  sizeof(buf));
			json_array_append_new(a, json_string(buf));
		}
	}
	GENERAL_NAMES_free(gens);
	return a;
}

json_t *ats_cert_json(X509 *x, const ats_lab_roots *lab)
{
	unsigned char sha[32], spki[32];
	char hex[65], buf[1024], t[32];
	json_t *j = json_object();
	int i;

	if (!j)
		return NULL;
	cert_hashes(x, sha, spki);
	name_str(X509_get_subject_name(x), buf, sizeof(buf));
	json_object_set_new(j, "subject", json_string(buf));
	name_str(X509_get_issuer_name(x), buf, sizeof(buf));
	json_object_set_new(j, "issuer", json_string(buf));
	ats_hex(sha, 32, hex, false);
	json_object_set_new(j, "sha256", json_string(hex));
	/* The serial as lower-case hex (what ssl_exporter and openssl x509 -serial show). */
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *sh = bn ? BN_bn2hex(bn) : NULL;
	if (sh) {
		for (char *c = sh; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'F' ? *c - 'A' + 'a' : *c);
		json_object_set_new(j, "serial", json_string(sh));
	}
	OPENSSL_free(sh);
	BN_free(bn);
	time_t nb = ats_asn1_time_to_time(X509_get0_notBefore(x));
	time_t na = ats_asn1_time_to_time(X509_get0_notAfter(x));
	json_object_set_new(j, "not_before", json_string(ats_time_format(nb, t, sizeof(t))));
	json_object_set_new(j, "not_after", json_string(ats_time_format(na, t, sizeof(t))));
	json_object_set_new(j, "not_before_epoch", json_integer((json_int_t)nb));
	json_object_set_new(j, "not_after_epoch", json_integer((json_int_t)na));
	key_desc(x, j);
	json_object_set_new(j, "self_signed", json_boolean(X509_self_signed(x, 0) == 1));
	json_object_set_new(j, "ca", json_boolean(X509_check_ca(x) > 0));
	if (X509_check_ca(x) <= 0)
		json_object_set_new(j, "names", san_json(x));
	ERR_clear_error();

	/* Which ATS CA this is, if any: by the certificate, then by its key (a cross-signed or
	 * re-issued form of one), then among the lab's roots. */
	const char *ats = NULL, *match = NULL;
	if ((i = ats_catalog_by_cert(sha)) >= 0) {
		ats = ats_catalog_get(i)->name;
		match = "exact";
	} else if ((i = ats_catalog_by_spki(spki)) >= 0) {
		ats = ats_catalog_get(i)->name;
		match = "same-key";
	}
	for (size_t k = 0; !ats && lab && k < lab->n; k++) {
		if (memcmp(lab->v[k].sha256, sha, 32) == 0 || memcmp(lab->v[k].spki_sha256, spki, 32) == 0) {
			ats = lab->v[k].name;
			match = "lab";
		}
	}
	if (ats)
		json_object_set_new(j, "ats", json_pack("{s:s, s:s}", "name", ats, "match", match));
	return j;
}

static json_t *chain_json(STACK_OF(X509) *sk, const ats_lab_roots *lab)
{
	json_t *a = json_array();
	for (int i = 0; a && i < sk_X509_num(sk); i++)
		json_array_append_new(a, ats_cert_json(sk_X509_value(sk, i), lab));
	return a;
}

/* Where the six (and the lab's roots) would anchor the sent chain, dates aside; NULL if nowhere. */
static json_t *would_anchor(const ats_verify_capture *c)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *v = X509_STORE_CTX_new();
	json_t *out = NULL;

	if (!st || !v || sk_X509_num(c->sent) == 0)
		goto out;
	for (int i = 0; i < ATS_CA_COUNT; i++) {
		unsigned char *der = NULL;
		size_t len;
		ats_err e = {0};
		if (ats_catalog_der(ats_catalog_get(i), &der, &len, &e) == 0) {
			const unsigned char *p = der;
			X509 *x = d2i_X509(NULL, &p, (long)len);
			if (x)
				X509_STORE_add_cert(st, x);
			X509_free(x);
		}
		free(der);
	}
	for (size_t k = 0; c->lab && k < c->lab->n; k++)
		X509_STORE_add_cert(st, c->lab->v[k].x);
	if (!X509_STORE_CTX_init(v, st, sk_X509_value(c->sent, 0), c->sent))
		goto out;
	X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(v), X509_V_FLAG_NO_CHECK_TIME);
	if (X509_verify_cert(v) == 1) {
		STACK_OF(X509) *ch = X509_STORE_CTX_get0_chain(v);
		out = ats_cert_json(sk_X509_value(ch, sk_X509_num(ch) - 1), c->lab);
	}
out:
	ERR_clear_error();
	X509_STORE_CTX_free(v);
	X509_STORE_free(st);
	return out;
}

/* Whether the failure is about the trust path (no trusted root reached), as opposed to dates,
 * names or key sizes on a path that did reach one. */
static bool untrusted_path(const ats_verify_capture *c)
{
	size_t i;
	json_t *e;
	json_array_foreach(c->errors, i, e) {
		switch (json_integer_value(json_object_get(e, "code"))) {
		case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
		case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
		case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		case X509_V_ERR_CERT_UNTRUSTED:
			return true;
		}
	}
	return false;
}

/* The key family a verified path used: that of the first Amazon root on it (the root itself, a
 * Starfield cross-sign of it, or a lab root of that name), from the leaf up; null when the path
 * reaches Starfield with no Amazon root on it. */
static json_t *path_family(const json_t *path)
{
	size_t i;
	json_t *c;
	json_array_foreach(path, i, c) {
		const char *name = json_string_value(json_object_get(json_object_get(c, "ats"), "name"));
		const ats_ca *ca = name ? ats_catalog_find(name) : NULL;
		for (int k = 0; ca && k < ATS_CA_COUNT; k++)
			if (ats_catalog_get(k) == ca && ats_family_of(k) >= 0)
				return json_string(ats_family_name(ats_family_of(k)));
	}
	return json_null();
}

json_t *ats_verify_facts(const ats_verify_capture *c)
{
	json_t *f = json_object();
	if (!f)
		return NULL;
	json_object_set_new(f, "verified", json_boolean(c->ok));
	json_object_set_new(f, "errors", c->errors ? json_deep_copy(c->errors) : json_array());
	json_object_set_new(f, "sent", chain_json(c->sent, c->lab));
	json_object_set_new(f, "path", chain_json(c->path, c->lab));
	int np = sk_X509_num(c->path);
	json_object_set_new(f, "anchor", c->ok && np > 0
						 ? ats_cert_json(sk_X509_value(c->path, np - 1), c->lab)
						 : json_null());
	json_object_set_new(f, "family", c->ok ? path_family(json_object_get(f, "path")) : json_null());
	if (!c->ok && untrusted_path(c)) {
		json_t *w = would_anchor(c);
		json_object_set_new(f, "would_anchor", w ? w : json_null());
	}
	if (c->host[0] && sk_X509_num(c->sent) > 0) {
		X509 *leaf = sk_X509_value(c->sent, 0);
		int m = is_ip(c->host) ? X509_check_ip_asc(leaf, c->host, 0)
				       : X509_check_host(leaf, c->host, 0,
							 X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL);
		json_object_set_new(f, "hostname", json_pack("{s:s, s:b}", "name", c->host, "match", m == 1));
		ERR_clear_error();
	}
	return f;
}

int ats_chain_save(const char *path, STACK_OF(X509) *chain, ats_err *err)
{
	int n = sk_X509_num(chain);
	if (n <= 0)
		return ats_err_set(err, ATS_EUSAGE, "%s: no chain was received to save", path);
	X509 **v = calloc((size_t)n, sizeof(*v));
	if (!v)
		return ats_err_set(err, ATS_ENOMEM, "%s: out of memory saving the chain", path);
	for (int i = 0; i < n; i++)
		v[i] = sk_X509_value(chain, i);
	int rc = ats_pem_write_certs(path, v, n, err);
	free(v);
	return rc;
}
