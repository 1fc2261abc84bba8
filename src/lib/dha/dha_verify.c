/* One certificate.pem, check by check. See dha.h. */
#include "dha/dha_int.h"

#include "report/tree.h"
#include "dha/dha_key.h"
#include "base/pem.h"
#include "base/time_abi.h"
#include "base/util.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	C_CHAIN, C_DEVKEY, C_SIG, C_ISSUER, C_KEYIDS, C_VALID, C_LIFETIME, C_NOTCA, C_DAKVALID,
	C_DAKSIGN, C_SUBJECT, C_EXTS, C_PRIVKEY, C_CLKEY, C_ANCHOR, NCHECK
};
static const char *const check_name[NCHECK] = {
	"chain", "device-key", "signature", "issuer", "key-identifiers", "validity", "lifetime",
	"device-not-ca", "dak-validity", "dak-can-sign", "subject", "extensions", "private-key",
	"control-log-key", "anchor",
};
typedef enum { ST_SKIP, ST_PASS, ST_WARN, ST_FAIL } status;
static const char *const status_name[] = {"skip", "pass", "warn", "fail"};

typedef struct check {
	status st;
	bool brief; /* one of many devices: a pass is not shown, so its message is not written */
	char msg[400];
	const char *fix;
} check;

static void set(check *c, status st, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void set(check *c, status st, const char *fix, const char *fmt, ...)
{
	va_list ap;
	c->st = st;
	c->fix = fix;
	if (c->brief && (st == ST_PASS || st == ST_SKIP)) {
		c->msg[0] = '\0';
		return;
	}
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
}

#define MAX_CERTS 4
typedef struct certs {
	unsigned char *der[MAX_CERTS];
	size_t len[MAX_CERTS];
	int n;
	char problem[300];
} certs;

static void on_cert(void *ctx, const unsigned char *der, size_t len, ats_cert_pos pos)
{
	certs *c = ctx;
	(void)pos;
	if (c->n < MAX_CERTS && (c->der[c->n] = malloc(len))) {
		memcpy(c->der[c->n], der, len);
		c->len[c->n] = len;
	}
	c->n++;
}

static void on_problem(void *ctx, ats_cert_pos pos, const char *msg)
{
	certs *c = ctx;
	if (c->problem[0])
		return;
	if (pos.line)
		snprintf(c->problem, sizeof(c->problem), "line %d: %s", pos.line, msg);
	else
		snprintf(c->problem, sizeof(c->problem), "%s", msg);
}

static bool span_eq(ats_der_span a, ats_der_span b)
{
	return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

static bool is_ca(const ats_dha_cert *c)
{
	ats_der_ext e;
	bool ca = false;
	return ats_der_ext_find(c->exts, ats_oid_basic_constraints, 3, &e) == 1 &&
	       ats_der_bc_read(e.value, &ca) == 0 && ca;
}

static void oid_text(ats_der_span oid, char *out, size_t cap)
{
	unsigned char der[64];
	const unsigned char *p = der;
	ASN1_OBJECT *o = NULL;
	snprintf(out, cap, "an unknown extension");
	if (oid.n + 2 > sizeof(der))
		return;
	der[0] = 0x06;
	der[1] = (unsigned char)oid.n;
	memcpy(der + 2, oid.p, oid.n);
	if ((o = d2i_ASN1_OBJECT(NULL, &p, (long)oid.n + 2))) {
		int nid = OBJ_obj2nid(o);
		if (nid != NID_undef)
			snprintf(out, cap, "%s", OBJ_nid2ln(nid));
		else
			OBJ_obj2txt(out, (int)cap, o, 1);
	}
	ASN1_OBJECT_free(o);
}

/* ---- The DAK cache ---- */

static dha_dak *dak_new(dha_batch *b, const unsigned char *der, size_t len, const unsigned char sha[32])
{
	dha_dak *d = calloc(1, sizeof(*d));
	const unsigned char *p;
	ats_der_cert c;
	if (!d || !(d->der = malloc(len)))
		goto bad;
	memcpy(d->der, der, len);
	memcpy(d->sha, sha, 32);
	d->len = len;
	p = d->der;
	if (!(d->x = d2i_X509(NULL, &p, (long)len)) || ats_der_cert_read(d->der, len, &c) != 0)
		goto bad;
	d->subject = c.subject;
	uint32_t fl = X509_get_extension_flags(d->x), ku = X509_get_key_usage(d->x);
	d->ca = (fl & EXFLAG_CA) != 0;
	d->ku_present = (fl & EXFLAG_KUSAGE) != 0;
	d->ku_sign = (ku & KU_KEY_CERT_SIGN) != 0;
	d->nb = ats_asn1_time_to_time(X509_get0_notBefore(d->x));
	d->na = ats_asn1_time_to_time(X509_get0_notAfter(d->x));
	d->anchor = -1;
	if (b->store) {
		X509_STORE_CTX *ctx = X509_STORE_CTX_new();
		if (ctx && X509_STORE_CTX_init(ctx, b->store, d->x, NULL)) {
			if (ats_verify_param_set_time(X509_STORE_CTX_get0_param(ctx),
						      (int64_t)b->o->at) != 0) {
				d->anchor = 0;
				snprintf(d->anchor_msg, sizeof(d->anchor_msg),
					 "--at is past what this platform's OpenSSL can represent");
			} else {
				d->anchor = X509_verify_cert(ctx) == 1;
			}
			if (!d->anchor && !d->anchor_msg[0])
				snprintf(d->anchor_msg, sizeof(d->anchor_msg), "%s",
					 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		}
		X509_STORE_CTX_free(ctx);
		ERR_clear_error();
	}
	if (b->conf) {
		ats_err err = {0};
		if (ats_dha_tmpl_new(b->conf, b->o->section, d->x, b->o->at, b->o->at + 86400, &d->tmpl,
				     &err) != 0)
			snprintf(d->tmpl_err, sizeof(d->tmpl_err), "%s", err.msg);
	}
	return d;
bad:
	if (d) {
		X509_free(d->x);
		free(d->der);
		free(d);
	}
	return NULL;
}

static dha_dak *dak_get(dha_worker *w, const unsigned char *der, size_t len)
{
	dha_batch *b = w->b;
	unsigned char sha[32];
	dha_dak *d;
	if (w->dak && w->dak->len == len && memcmp(w->dak->der, der, len) == 0)
		return w->dak;
	ats_sha256(der, len, sha);
	pthread_mutex_lock(&b->mu);
	for (d = b->daks; d; d = d->next)
		if (memcmp(d->sha, sha, 32) == 0)
			break;
	if (!d && (d = dak_new(b, der, len, sha))) {
		d->next = b->daks;
		b->daks = d;
	}
	pthread_mutex_unlock(&b->mu);
	if (d && d != w->dak) {
		EVP_PKEY_CTX_free(w->vctx);
		w->vctx = NULL;
		w->dak = d;
	}
	return d;
}

void dha_worker_init(dha_worker *w, dha_batch *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
	w->dirfd = -1;
	w->kc = ats_key_checker_new(); /* NULL: each key check makes its own */
}

void dha_worker_free(dha_worker *w)
{
	EVP_PKEY_CTX_free(w->vctx);
	ats_key_checker_free(w->kc);
	memset(w, 0, sizeof(*w));
}

/* Reads one of the device's files (slot: which of the worker's buffers): the listed way in a
 * folder walk, else whole. Free *data when it is not the buffer. */
static int read_file(dha_worker *w, int slot, const char *path, unsigned char **data, size_t *len,
		     ats_err *err)
{
	if (w->listed && w->dirfd >= 0 && strncmp(path, w->dir, w->dirlen) == 0 &&
	    path[w->dirlen] == '/' && !strchr(path + w->dirlen + 1, '/'))
		return ats_file_read_listed_at(w->dirfd, path + w->dirlen + 1, path, path, w->buf[slot],
					       sizeof(w->buf[slot]), data, len, err);
	if (w->listed)
		return ats_file_read_listed(path, path, w->buf[slot], sizeof(w->buf[slot]), data, len, err);
	return ats_file_read(path, path, data, len, err);
}

static void free_file(dha_worker *w, int slot, unsigned char *data)
{
	if (data != w->buf[slot])
		free(data);
}

/* The verify context for the worker's DAK, made once per DAK. */
static EVP_PKEY_CTX *dak_verifier(dha_worker *w)
{
	if (!w->vctx) {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, X509_get0_pubkey(w->dak->x), NULL);
		if (ctx && EVP_PKEY_verify_init(ctx) > 0 &&
		    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0)
			w->vctx = ctx;
		else
			EVP_PKEY_CTX_free(ctx);
		ERR_clear_error();
	}
	return w->vctx;
}

/* ---- The checks ---- */

static void check_device_key(check *c, const ats_dha_cert *dev)
{
	if (dev->c.spki.n == ATS_P256_SPKI_LEN &&
	    memcmp(dev->c.spki.p, ats_p256_spki_prefix, sizeof(ats_p256_spki_prefix)) == 0 &&
	    dev->point.p[0] == 0x04) {
		set(c, ST_PASS, NULL, "EC P-256");
		return;
	}
	const unsigned char *p = dev->c.spki.p;
	EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)dev->c.spki.n);
	char group[64] = "";
	if (k && EVP_PKEY_get_base_id(k) == EVP_PKEY_EC)
		EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof(group), NULL);
	set(c, ST_FAIL, "make the device key with: openssl ecparam -name prime256v1 (EC P-256)",
	    "the device key is %s%s%s, not EC P-256", k ? EVP_PKEY_get0_type_name(k) : "unreadable",
	    *group ? " " : "", group);
	if (k && EVP_PKEY_get_base_id(k) != EVP_PKEY_EC)
		snprintf(c->msg + strlen(c->msg), sizeof(c->msg) - strlen(c->msg), " (%d bits)",
			 EVP_PKEY_get_bits(k));
	EVP_PKEY_free(k);
	ERR_clear_error();
}

static void check_signature(check *c, const ats_dha_cert *dev, dha_worker *w)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	ats_der_span alg = {ats_ecdsa_sha256_alg, sizeof(ats_ecdsa_sha256_alg)};
	EVP_PKEY_CTX *ctx = NULL;
	if (!span_eq(dev->sigalg, alg) || !span_eq(dev->tbs_sigalg, alg)) {
		set(c, ST_FAIL, "sign with -sha256 and an EC P-256 DAK",
		    "not signed with ecdsa-with-SHA256");
		return;
	}
	ats_sha256(dev->c.tbs.p, dev->c.tbs.n, md);
	ctx = dak_verifier(w);
	if (ctx && EVP_PKEY_verify(ctx, dev->sig.p, dev->sig.n, md, sizeof(md)) == 1)
		set(c, ST_PASS, NULL, "ecdsa-with-SHA256, verified with the DAK's key");
	else
		set(c, ST_FAIL,
		    "sign the device certificate with the DAK whose certificate follows it in "
		    "certificate.pem",
		    "the signature does not verify with the DAK's key: another DAK signed it, or it "
		    "was altered");
	ERR_clear_error();
}

static void check_key_ids(check *c, const ats_dha_cert *dev, const dha_dak *dak)
{
	ats_der_ext e;
	ats_der_span keyid = {NULL, 0};
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(dak->x);
	if (ats_der_ext_find(dev->exts, ats_oid_aki, 3, &e) != 1 || ats_der_aki_read(e.value, &keyid) != 0 ||
	    keyid.n == 0) {
		set(c, ST_WARN, "add authorityKeyIdentifier = keyid to [req_ext]",
		    "the device certificate has no authority key identifier");
		return;
	}
	if (!ski) {
		set(c, ST_WARN, NULL, "the DAK certificate has no subject key identifier to compare");
		return;
	}
	if ((size_t)ASN1_STRING_length(ski) == keyid.n &&
	    memcmp(ASN1_STRING_get0_data(ski), keyid.p, keyid.n) == 0)
		set(c, ST_PASS, NULL, "authority key identifier = the DAK's subject key identifier");
	else
		set(c, ST_FAIL, "sign with the DAK in certificate.pem",
		    "the authority key identifier is not the DAK's subject key identifier");
}

static void check_validity(check *c, const char *what, time_t nb, time_t na, time_t at)
{
	char a[32], b[32];
	if (nb == (time_t)-1 || na == (time_t)-1)
		set(c, ST_FAIL, NULL, "%s validity dates cannot be read", what);
	else if (at < nb)
		set(c, ST_FAIL, "check the clock of the machine that signed it, and this one's",
		    "%s not valid until %s", what, ats_time_format(nb, a, sizeof(a)));
	else if (at > na)
		set(c, ST_FAIL, "provision the device again with a new certificate",
		    "%s expired on %s", what, ats_time_format(na, a, sizeof(a)));
	else if (c->brief)
		set(c, ST_PASS, NULL, "%s", what);
	else
		set(c, ST_PASS, NULL, "%s valid from %s to %s", what, ats_time_format(nb, a, sizeof(a)),
		    ats_time_format(na, b, sizeof(b)));
}

static void check_extensions(check *c, const ats_dha_cert *dev, const ats_dha_tmpl *t,
			     const char *sect)
{
	unsigned char want[4096];
	ats_der_span w = {want, t->exts_len}, got = dev->exts;
	ats_der_ext e, f;
	size_t pos = 0;
	char name[80];
	int r;
	if (t->exts_len > sizeof(want) || dev->point.n != ATS_P256_POINT_LEN) {
		set(c, ST_SKIP, NULL, "not compared (the device key is not P-256)");
		return;
	}
	memcpy(want, t->tbs.buf + t->exts_off, t->exts_len);
	if (t->tbs.nski) {
		unsigned char ski[SHA_DIGEST_LENGTH];
		ats_sha1(dev->point.p, ATS_P256_POINT_LEN, ski);
		for (int i = 0; i < t->tbs.nski; i++)
			if (t->tbs.ski_off[i] >= t->exts_off)
				memcpy(want + t->tbs.ski_off[i] - t->exts_off, ski, sizeof(ski));
	}
	if (span_eq(w, got)) {
		set(c, ST_PASS, NULL, "as [%s] in device.conf makes them", sect);
		return;
	}
	/* Say which one differs. */
	while ((r = ats_der_ext_next(w, &pos, &e)) == 1) {
		oid_text(e.oid, name, sizeof(name));
		int found = ats_der_ext_find(got, e.oid.p, e.oid.n, &f);
		if (found != 1) {
			set(c, ST_FAIL, NULL, "%s is missing (device.conf [%s] asks for it)", name, sect);
			return;
		}
		if (!span_eq(e.whole, f.whole)) {
			set(c, ST_FAIL, NULL, "%s differs from what device.conf [%s] makes", name, sect);
			return;
		}
	}
	pos = 0;
	while ((r = ats_der_ext_next(got, &pos, &e)) == 1)
		if (ats_der_ext_find(w, e.oid.p, e.oid.n, &f) != 1) {
			oid_text(e.oid, name, sizeof(name));
			set(c, ST_FAIL, NULL, "%s is there but device.conf [%s] does not ask for it", name,
			    sect);
			return;
		}
	set(c, ST_FAIL, NULL, "the extensions are in another order or encoding than [%s] makes", sect);
}

static void check_control_log(check *c, dha_worker *w, const char *path, const ats_dha_cert *dev)
{
	unsigned char *data = NULL, der[512];
	size_t len = 0, n = 0;
	ats_err err = {0};
	if (read_file(w, 2, path, &data, &len, &err) != 0) {
		set(c, ST_FAIL, NULL, "%s", err.msg);
		return;
	}
	if (ats_b64_decode_loose((char *)data, len, der, sizeof(der), &n) != 0)
		set(c, ST_FAIL, "write it with: openssl x509 -in device-certificate.pem -pubkey -noout | "
				"openssl enc -base64 -d | openssl enc -base64",
		    "%s: not base64 of a public key", path);
	else if (n == dev->c.spki.n && memcmp(der, dev->c.spki.p, n) == 0)
		set(c, ST_PASS, NULL, "%s is this certificate's public key", path);
	else
		set(c, ST_FAIL, "upload the control log made from this device's certificate",
		    "%s is the public key of another device", path);
	free_file(w, 2, data);
}

static void check_private_key(check *c, dha_worker *w, const char *path, const ats_dha_cert *dev)
{
	bool match = false;
	const char *why = "";
	unsigned char *data = NULL;
	size_t len = 0;
	ats_err err = {0};
	int rc;
	if (dev->point.n != ATS_P256_POINT_LEN) {
		set(c, ST_SKIP, NULL, "not compared (the certificate's key is not P-256)");
		return;
	}
	if ((rc = read_file(w, 1, path, &data, &len, &err)) == 0) /* the bytes are wiped by it */
		rc = ats_key_data_matches_point(w->kc, data, len, path, dev->point.p, &match, &why, &err);
	if (data != w->buf[1]) /* read the other way: the buffer may hold the start of the file */
		ats_wipe(w->buf[1], sizeof(w->buf[1]));
	free_file(w, 1, data);
	if (rc != 0)
		set(c, ST_FAIL, NULL, "%s", err.msg);
	else if (match)
		set(c, ST_PASS, NULL, "%s belongs to this certificate", path);
	else
		set(c, ST_FAIL, "keep each device's private_key.pem with its own certificate",
		    "%s is %s, not this certificate's", path, why);
}

/* ---- One device ---- */

static json_t *result_json(const char *path, const check *c, bool full, ats_verdict v,
			   const char *unknown)
{
	json_t *r = json_pack("{s:s, s:s}", "file", path, "verdict", ats_verdict_name(v));
	json_t *checks = json_array();
	if (unknown)
		json_object_set_new(r, "error", json_string(unknown));
	for (int i = 0; c && i < NCHECK; i++) {
		if (!full && (c[i].st == ST_PASS || c[i].st == ST_SKIP))
			continue;
		json_t *o = json_pack("{s:s, s:s, s:s}", "name", check_name[i], "status",
				      status_name[c[i].st], "message", c[i].msg);
		if (c[i].fix)
			json_object_set_new(o, "fix", json_string(c[i].fix));
		json_array_append_new(checks, o);
	}
	json_object_set_new(r, "checks", checks);
	return r;
}

static void facts(json_t *r, const ats_dha_cert *dev, const unsigned char *der, size_t len,
		  const dha_dak *dak)
{
	char buf[512], t1[32], t2[32], hex[65], serial[80];
	unsigned char sha[32];
	size_t hl = dev->c.serial.p[1] & 0x80 ? 2 + (dev->c.serial.p[1] & 0x7f) : 2;
	size_t sn = dev->c.serial.n - hl < 39 ? dev->c.serial.n - hl : 39;
	ats_hex(dev->c.serial.p + hl, sn, serial, true);
	json_object_set_new(r, "serial", json_string(serial));
	json_t *d = json_object();
	json_object_set_new(r, "device_certificate", d);
	ats_der_name_text(dev->c.subject, buf, sizeof(buf));
	json_object_set_new(d, "subject", json_string(buf));
	ats_der_name_text(dev->c.issuer, buf, sizeof(buf));
	json_object_set_new(d, "issuer", json_string(buf));
	json_object_set_new(d, "serial", json_string(serial));
	json_object_set_new(d, "not_before", json_string(ats_time_format(ats_der_time(dev->c.not_before), t1, sizeof(t1))));
	json_object_set_new(d, "not_after", json_string(ats_time_format(ats_der_time(dev->c.not_after), t2, sizeof(t2))));
	/* The epoch makes it a certificate to every renderer: Nagios perfdata, fleet expiry. */
	json_object_set_new(d, "not_after_epoch", json_integer((json_int_t)ats_der_time(dev->c.not_after)));
	ats_sha256(der, len, sha);
	ats_hex(sha, 32, hex, false);
	json_object_set_new(d, "sha256", json_string(hex));
	ats_sha256(dev->c.spki.p, dev->c.spki.n, sha);
	ats_hex(sha, 32, hex, false);
	json_object_set_new(d, "spki_sha256", json_string(hex));
	if (dak) {
		ats_der_name_text(dak->subject, buf, sizeof(buf));
		ats_hex(dak->sha, 32, hex, false);
		json_object_set_new(r, "dak", json_pack("{s:s, s:s, s:I, s:s}", "subject", buf, "not_after",
							ats_time_format(dak->na, t1, sizeof(t1)),
							"not_after_epoch", (json_int_t)dak->na, "sha256", hex));
	}
}

json_t *dha_verify_one(dha_worker *w, const char *path, const char *key, const char *clkey,
		       bool full, ats_verdict *v)
{
	dha_batch *b = w->b;
	const ats_dha_verify_opts *o = b->o;
	certs cs;
	check c[NCHECK];
	ats_dha_cert parsed[2], *dev = &parsed[0], *dakc = &parsed[1];
	unsigned char *data = NULL;
	size_t len = 0;
	int di = 0, ki = 1;
	dha_dak *dak = NULL;
	ats_err err = {0};
	char unknown[1200] = "";
	json_t *r = NULL;

	memset(&cs, 0, sizeof(cs));
	memset(c, 0, sizeof(c));
	for (int i = 0; i < NCHECK; i++) {
		snprintf(c[i].msg, sizeof(c[i].msg), "not checked");
		c[i].brief = !full;
	}
	snprintf(c[C_SUBJECT].msg, sizeof(c[0].msg), "not checked (no --config device.conf)");
	snprintf(c[C_EXTS].msg, sizeof(c[0].msg), "not checked (no --config device.conf)");
	snprintf(c[C_PRIVKEY].msg, sizeof(c[0].msg), "not checked (no --key)");
	snprintf(c[C_CLKEY].msg, sizeof(c[0].msg), "not checked (no --control-log-key)");
	snprintf(c[C_ANCHOR].msg, sizeof(c[0].msg), "not checked (no --anchor)");
	if (read_file(w, 0, path, &data, &len, &err) != 0) {
		snprintf(unknown, sizeof(unknown), "%s", err.msg);
		goto unknown;
	}
	ats_cert_sink sink = {&cs, on_cert, on_problem};
	ats_certs_scan(data, len, &sink);
	if (cs.problem[0] || cs.n == 0) {
		snprintf(unknown, sizeof(unknown), "%s: %s", path,
			 cs.problem[0] ? cs.problem : "no certificate in it");
		goto unknown;
	}
	for (int i = 0; i < cs.n && i < 2; i++)
		if (!cs.der[i] || ats_dha_cert_read(cs.der[i], cs.len[i], &parsed[i]) != 0) {
			snprintf(unknown, sizeof(unknown),
				 "%s: certificate %d is not a well-formed X.509 certificate", path, i + 1);
			goto unknown;
		}

	/* Order and count. */
	const char *cat_fix = "cat device-certificate.pem dak-certificate.pem > certificate.pem";
	if (cs.n == 1) {
		set(&c[C_CHAIN], ST_FAIL, cat_fix,
		    "one certificate: the DAK certificate must follow the device certificate");
	} else {
		bool a_by_b = span_eq(parsed[0].c.issuer, parsed[1].c.subject);
		bool b_by_a = span_eq(parsed[1].c.issuer, parsed[0].c.subject);
		bool reversed = (b_by_a && !a_by_b) ||
				(!a_by_b && !b_by_a && is_ca(&parsed[0]) && !is_ca(&parsed[1]));
		if (reversed) {
			di = 1;
			ki = 0;
			dev = &parsed[1];
			dakc = &parsed[0];
			set(&c[C_CHAIN], ST_FAIL, cat_fix,
			    "reversed: the DAK certificate comes first; the device certificate must be "
			    "first");
		} else if (cs.n > 2) {
			set(&c[C_CHAIN], ST_FAIL, cat_fix,
			    "%d certificates: certificate.pem holds exactly two, device then DAK", cs.n);
		} else {
			set(&c[C_CHAIN], ST_PASS, NULL, "two certificates, the device's first");
		}
		dak = dak_get(w, cs.der[ki], cs.len[ki]);
		if (!dak) {
			snprintf(unknown, sizeof(unknown), "%s: the DAK certificate cannot be parsed", path);
			goto unknown;
		}
	}
	(void)dakc;
	check_device_key(&c[C_DEVKEY], dev);
	if (dak) {
		check_signature(&c[C_SIG], dev, w);
		if (span_eq(dev->c.issuer, dak->subject))
			set(&c[C_ISSUER], ST_PASS, NULL, "the issuer is the DAK's subject");
		else
			set(&c[C_ISSUER], ST_FAIL, "sign with the DAK in certificate.pem",
			    "the issuer is not the DAK's subject");
		check_key_ids(&c[C_KEYIDS], dev, dak);
		check_validity(&c[C_DAKVALID], "the DAK certificate is", dak->nb, dak->na, o->at);
		if (dak->ca && (!dak->ku_present || dak->ku_sign))
			set(&c[C_DAKSIGN], ST_PASS, NULL, "the DAK is a CA (CA:TRUE%s)",
			    dak->ku_present ? ", keyCertSign" : "");
		else
			set(&c[C_DAKSIGN], ST_WARN,
			    "check it is the DAK certificate from the AVS developer console",
			    "the DAK certificate is not marked fit to sign certificates (%s): strict "
			    "verifiers such as openssl verify refuse the chain",
			    !dak->ca ? "no CA:TRUE" : "no keyCertSign");
		if (dak->anchor == 1)
			set(&c[C_ANCHOR], ST_PASS, NULL, "the DAK chains to a given anchor");
		else if (dak->anchor == 0)
			set(&c[C_ANCHOR], ST_FAIL, "check the DAK certificate is the one Amazon issued",
			    "the DAK does not chain to any --anchor: %s", dak->anchor_msg);
	} else {
		const char *m = "no DAK certificate to check against";
		set(&c[C_SIG], ST_SKIP, NULL, "%s", m);
		set(&c[C_ISSUER], ST_SKIP, NULL, "%s", m);
		set(&c[C_KEYIDS], ST_SKIP, NULL, "%s", m);
		set(&c[C_DAKVALID], ST_SKIP, NULL, "%s", m);
		set(&c[C_DAKSIGN], ST_SKIP, NULL, "%s", m);
		if (o->anchors && o->anchors[0])
			set(&c[C_ANCHOR], ST_FAIL, cat_fix, "%s", m);
	}
	time_t nb = ats_der_time(dev->c.not_before), na = ats_der_time(dev->c.not_after);
	check_validity(&c[C_VALID], "the device certificate is", nb, na, o->at);
	long days = (long)((na - nb + 43200) / 86400);
	if (labs((long)(na - nb) - ATS_DHA_LIFETIME_DAYS * 86400L) < 86400)
		set(&c[C_LIFETIME], ST_PASS, NULL, "%ld days", days);
	else
		set(&c[C_LIFETIME], ST_WARN, "sign with -days 1825", "%ld days; 1825 expected", days);
	ats_der_ext e;
	bool ca = false;
	int bc = ats_der_ext_find(dev->exts, ats_oid_basic_constraints, 3, &e);
	if (bc == 1 && ats_der_bc_read(e.value, &ca) == 0 && ca)
		set(&c[C_NOTCA], ST_FAIL, "basicConstraints = critical, CA:FALSE in [req_ext]",
		    "the device certificate is a CA (CA:TRUE)");
	else if (bc == 1)
		set(&c[C_NOTCA], ST_PASS, NULL, "CA:FALSE");
	else
		set(&c[C_NOTCA], ST_PASS, NULL, "no basicConstraints: not a CA");
	if (b->conf) {
		char want[512], got[512];
		if (dak && dak->tmpl) {
			ats_der_span ws = {dak->tmpl->tbs.buf + dak->tmpl->subject_off, dak->tmpl->subject_len};
			if (span_eq(ws, dev->c.subject)) {
				set(&c[C_SUBJECT], ST_PASS, NULL, "as device.conf's distinguished_name");
			} else {
				ats_der_name_text(ws, want, sizeof(want));
				ats_der_name_text(dev->c.subject, got, sizeof(got));
				set(&c[C_SUBJECT], ST_FAIL, NULL, "'%.180s', device.conf says '%.180s'", got, want);
			}
			check_extensions(&c[C_EXTS], dev, dak->tmpl, o->section);
		} else {
			const char *why = dak ? dak->tmpl_err : "no DAK certificate";
			set(&c[C_SUBJECT], ST_SKIP, NULL, "not compared: %.300s", why);
			set(&c[C_EXTS], ST_SKIP, NULL, "not compared: %.300s", why);
		}
	}
	if (key)
		check_private_key(&c[C_PRIVKEY], w, key, dev);
	if (clkey)
		check_control_log(&c[C_CLKEY], w, clkey, dev);

	*v = ATS_VERDICT_OK;
	for (int i = 0; i < NCHECK; i++)
		*v = ats_verdict_worst(*v, c[i].st == ST_FAIL   ? ATS_VERDICT_CRITICAL
					   : c[i].st == ST_WARN ? ATS_VERDICT_WARNING
								: ATS_VERDICT_OK);
	r = result_json(path, c, full, *v, NULL);
	if (full)
		facts(r, dev, cs.der[di], cs.len[di], dak);
	else {
		size_t hl = dev->c.serial.p[1] & 0x80 ? 2 + (dev->c.serial.p[1] & 0x7f) : 2;
		char serial[80];
		ats_hex(dev->c.serial.p + hl, dev->c.serial.n - hl < 39 ? dev->c.serial.n - hl : 39, serial, true);
		json_object_set_new(r, "serial", json_string(serial));
	}
	goto out;
unknown:
	*v = ATS_VERDICT_UNKNOWN;
	r = result_json(path, NULL, full, *v, unknown);
out:
	for (int i = 0; i < cs.n && i < MAX_CERTS; i++)
		free(cs.der[i]);
	free_file(w, 0, data);
	return r;
}

/* ---- The batch ---- */

static int load_anchor(X509_STORE *s, const char *path, ats_err *err)
{
	unsigned char *data = NULL;
	size_t len = 0;
	certs cs;
	int rc = ats_file_read(path, path, &data, &len, err);
	memset(&cs, 0, sizeof(cs));
	if (rc != 0)
		return rc;
	ats_cert_sink sink = {&cs, on_cert, on_problem};
	ats_certs_scan(data, len, &sink);
	free(data);
	if (cs.n == 0)
		rc = ats_err_set(err, ATS_EPARSE, "%s: no certificate in it%s%s", path,
				 cs.problem[0] ? ": " : "", cs.problem);
	for (int i = 0; i < cs.n && i < MAX_CERTS; i++) {
		const unsigned char *p = cs.der[i];
		X509 *x = cs.der[i] ? d2i_X509(NULL, &p, (long)cs.len[i]) : NULL;
		if (x)
			X509_STORE_add_cert(s, x);
		X509_free(x);
		free(cs.der[i]);
	}
	ERR_clear_error();
	return rc;
}

int dha_batch_init(dha_batch *b, const ats_dha_verify_opts *o, ats_err *err)
{
	int rc;
	memset(b, 0, sizeof(*b));
	b->o = o;
	pthread_mutex_init(&b->mu, NULL);
	json_object_seed(0); /* before any thread builds JSON */
	if (o->config) {
		if ((rc = ats_dha_conf_load(o->config, &b->conf, err)) != 0)
			return rc;
		if (!ats_dha_conf_has_section(b->conf, o->section))
			return ats_err_set(err, ATS_EPARSE, "%s: no [%s] section (the device extensions)",
					   o->config, o->section);
	}
	if (o->anchors && o->anchors[0]) {
		if (!(b->store = X509_STORE_new()))
			return ats_err_set(err, ATS_ENOMEM, "trust anchor %s: out of memory", o->anchors[0]);
		X509_STORE_set_flags(b->store, X509_V_FLAG_PARTIAL_CHAIN);
		for (int i = 0; o->anchors[i]; i++)
			if ((rc = load_anchor(b->store, o->anchors[i], err)) != 0)
				return rc;
	}
	return 0;
}

void dha_batch_free(dha_batch *b)
{
	while (b->daks) {
		dha_dak *d = b->daks;
		b->daks = d->next;
		X509_free(d->x);
		ats_dha_tmpl_free(d->tmpl);
		free(d->der);
		free(d);
	}
	X509_STORE_free(b->store);
	ats_dha_conf_free(b->conf);
	pthread_mutex_destroy(&b->mu);
}

int ats_dha_verify_file(const char *path, const ats_dha_verify_opts *o, json_t **report,
			ats_err *err)
{
	dha_batch b;
	ats_verdict v;
	char at[32];
	size_t i;
	json_t *ck;
	int rc = dha_batch_init(&b, o, err);
	*report = NULL;
	if (rc == 0) {
		dha_worker w;
		dha_worker_init(&w, &b);
		json_t *r = dha_verify_one(&w, path, o->key, o->control_log_key, true, &v);
		dha_worker_free(&w);
		json_t *problems = json_array();
		const char *e = json_string_value(json_object_get(r, "error"));
		if (e)
			ats_report_problem(problems, ATS_VERDICT_UNKNOWN, NULL, NULL, e,
					   "give the certificate.pem of a device: its certificate, then the DAK's");
		json_array_foreach(json_object_get(r, "checks"), i, ck) {
			const char *st = json_string_value(json_object_get(ck, "status"));
			if (strcmp(st, "fail") && strcmp(st, "warn"))
				continue;
			char msg[600];
			snprintf(msg, sizeof(msg), "%s: %s", json_string_value(json_object_get(ck, "name")),
				 json_string_value(json_object_get(ck, "message")));
			ats_report_problem(problems,
					   strcmp(st, "fail") == 0 ? ATS_VERDICT_CRITICAL : ATS_VERDICT_WARNING,
					   NULL, NULL, msg, json_string_value(json_object_get(ck, "fix")));
		}
		json_t *top = ats_report_new("dha verify");
		json_object_set_new(top, "at", json_string(ats_time_format(o->at, at, sizeof(at))));
		json_object_update_missing(top, r);
		json_decref(r);
		r = top;
		ats_report_close(r, v, problems);
		*report = r;
	}
	dha_batch_free(&b);
	return rc;
}
