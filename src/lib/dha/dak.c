#include "dha/dak.h"

#include "report/tree.h"
#include "dha/dha_conf.h"
#include "dha/dha_der.h"
#include "dha/dha_key.h"
#include "dha/dha_p11.h"
#include "dha/dha_tmpl.h"
#include "base/pem.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct one_cert {
	unsigned char *der;
	size_t len;
	int count;
	char problem[256];
} one_cert;

static void on_cert(void *ctx, const unsigned char *der, size_t len, ats_cert_pos pos)
{
	one_cert *o = ctx;
	(void)pos;
	if (o->count++ == 0 && (o->der = malloc(len))) {
		memcpy(o->der, der, len);
		o->len = len;
	}
}

static void on_problem(void *ctx, ats_cert_pos pos, const char *msg)
{
	one_cert *o = ctx;
	if (!o->problem[0])
		snprintf(o->problem, sizeof(o->problem), "line %d: %s", pos.line, msg);
}

int ats_dak_load_cert(const char *path, ats_dak **out, ats_err *err)
{
	ats_dak *d = calloc(1, sizeof(*d));
	unsigned char *data = NULL;
	size_t len = 0;
	one_cert o = {0};
	int rc;

	*out = NULL;
	if (!d)
		return ats_err_set(err, ATS_ENOMEM, "%s: out of memory reading the DAK certificate", path);
	if ((rc = ats_file_read(path, path, &data, &len, err)) != 0)
		goto fail;
	ats_cert_sink sink = {&o, on_cert, on_problem};
	ats_certs_scan(data, len, &sink);
	rc = ATS_EPARSE;
	if (o.count != 1 || o.problem[0]) {
		if (o.problem[0])
			ats_err_set(err, rc, "%s: %s", path, o.problem);
		else
			ats_err_set(err, rc, "%s: holds %d certificates; the DAK certificate file holds one",
				    path, o.count);
		goto fail;
	}
	const unsigned char *p = o.der;
	d->cert = d2i_X509(NULL, &p, (long)o.len);
	if (!d->cert) {
		ats_err_set(err, rc, "%s: the certificate cannot be parsed", path);
		goto fail;
	}
	d->der = o.der;
	d->der_len = o.len;
	o.der = NULL;
	if (memmem(data, len, "-----BEGIN", 10)) {
		d->pem = (char *)data; /* verbatim, as cat would copy it */
		d->pem_len = len;
		data = NULL;
	} else {
		d->pem = malloc(ats_pem_encoded_len(d->der_len, "CERTIFICATE"));
		if (!d->pem) {
			rc = ats_err_set(err, ATS_ENOMEM, "%s: out of memory reading the DAK certificate", path);
			goto fail;
		}
		d->pem_len = ats_pem_encode(d->der, d->der_len, "CERTIFICATE", d->pem);
	}
	free(data);
	*out = d;
	return 0;
fail:
	free(o.der);
	free(data);
	ats_dak_free(d);
	return rc;
}

static int load_p11(const char *uri, const ats_dak_pin *pin, EVP_PKEY **key, ats_err *err)
{
	char p[ATS_P11_PIN_MAX + 1];
	int rc = ats_p11_pin(uri, pin ? pin->file : NULL, pin ? pin->value : NULL, p, err);
	if (rc == 0)
		rc = ats_p11_load_key(uri, p, key, err);
	ats_wipe(p, sizeof(p));
	return rc;
}

int ats_dak_load_key(ats_dak *d, const char *key_path, bool allow_open_mode, const ats_dak_pin *pin,
		     ats_err *err)
{
	struct stat st;
	int rc;
	if (ats_p11_is_uri(key_path)) {
		d->key_mode = 0600; /* in the token: no file to be read by others */
		if ((rc = load_p11(key_path, pin, &d->key, err)) != 0)
			return rc;
		goto check;
	}
	if (stat(key_path, &st) != 0)
		return ats_err_set(err, ATS_EIO, "%s: cannot open: %s", key_path, strerror(errno));
	d->key_mode = st.st_mode & 07777;
	if ((st.st_mode & 077) && !allow_open_mode)
		return ats_err_set(err, ATS_EUSAGE,
				   "%s: the DAK key is readable by group or others (mode %04o); run "
				   "chmod 600 '%s' (or pass --allow-open-dak-key to go on anyway)",
				   key_path, d->key_mode, key_path);
	if ((rc = ats_key_load(key_path, key_path, &d->key, err)) != 0)
		return rc;
check:
	if (EVP_PKEY_eq(d->key, X509_get0_pubkey(d->cert)) != 1) {
		EVP_PKEY_free(d->key);
		d->key = NULL;
		return ats_err_set(err, ATS_EUSAGE,
				   "%s: this key does not belong to the DAK certificate (a key from "
				   "another dak csr run?)",
				   key_path);
	}
	return 0;
}

void ats_dak_free(ats_dak *d)
{
	if (!d)
		return;
	X509_free(d->cert);
	EVP_PKEY_free(d->key);
	free(d->der);
	free(d->pem);
	free(d);
}

int ats_file_write_new(const char *path, const void *data, size_t len, mode_t mode, ats_err *err)
{
	char tmp[4200];
	int fd, rc = ATS_EIO;
	size_t off = 0;
	snprintf(tmp, sizeof(tmp), "%s.new.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return ats_err_set(err, ATS_EIO, "%s: cannot write: %s", path, strerror(errno));
	while (off < len) {
		ssize_t w = write(fd, (const char *)data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto out;
		off += (size_t)w;
	}
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0)
		goto out;
	if (link(tmp, path) != 0) {
		if (errno == EEXIST)
			rc = ats_err_set(err, ATS_EUSAGE, "%s: already exists; not replacing it", path);
		else
			rc = ats_err_set(err, ATS_EIO, "%s: cannot write: %s", path, strerror(errno));
		close(fd);
		fd = -1;
		unlink(tmp);
		return rc;
	}
	rc = 0;
out:
	if (rc != 0)
		ats_err_set(err, ATS_EIO, "%s: cannot write: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	if (rc == 0)
		ats_dir_sync(path);
	return rc;
}

/* dak csr's report: where the key and the CSR are, the CSR's subject, the key's fingerprint, and
 * what to do next. key_path for a key file, or key_uri (and whether it was made) for a token's. */
static int csr_report(const ats_dha_conf *conf, const unsigned char point[ATS_P256_POINT_LEN],
		      const char *key_path, const char *key_uri, bool key_made, const char *csr_path,
		      json_t **report, ats_err *err)
{
	unsigned char spki[ATS_P256_SPKI_LEN], sha[32], *nd = NULL;
	char hex[65], subj[512];
	ats_p256_spki(point, spki);
	ats_sha256(spki, sizeof(spki), sha);
	ats_hex(sha, 32, hex, false);
	int nn = i2d_X509_NAME(ats_dha_conf_subject(conf), &nd);
	ats_der_span ns = {nd, nn > 0 ? (size_t)nn : 0};
	ats_der_name_text(ns, subj, sizeof(subj));
	OPENSSL_free(nd);
	json_t *r = ats_report_new("dak csr");
	if (r)
		ats_report_close(r, ATS_VERDICT_OK, json_array());
	json_t *facts = json_pack("{s:s, s:s, s:s, s:s, s:s}", "key", key_path ? key_path : key_uri,
				  "csr", csr_path, "subject", subj, "spki_sha256", hex, "next",
				  "upload dak.csr in the AVS developer console (Device Setup > Manage "
				  "Keys), then download dak-certificate.pem and device.conf");
	if (facts && key_uri)
		json_object_set_new(facts, "key_made", json_boolean(key_made));
	if (!r || json_object_update_new(r, facts) != 0) {
		json_decref(r);
		return ats_err_set(err, ATS_ENOMEM, "%s: out of memory writing the report", csr_path);
	}
	*report = r;
	return 0;
}

/* The CSR device.conf asks for, signed by key, as PEM (malloc'd): what dak csr writes, whether the
 * key is in a file or a token. */
static int csr_pem(const ats_dha_conf *conf, EVP_PKEY *key, const char *csr_path, char **pem,
		   size_t *len, ats_err *err)
{
	X509_REQ *req = ats_dha_conf_csr(conf, key, err);
	unsigned char *der = NULL;
	int n = req ? i2d_X509_REQ(req, &der) : 0, rc = ATS_ECRYPTO;
	*pem = NULL;
	if (req && n <= 0)
		ats_err_set(err, rc, "%s: cannot encode the CSR", csr_path);
	else if (req && !(*pem = malloc(ats_pem_encoded_len((size_t)n, "CERTIFICATE REQUEST"))))
		rc = ats_err_set(err, ATS_ENOMEM, "%s: out of memory making the CSR", csr_path);
	else if (req) {
		*len = ats_pem_encode(der, (size_t)n, "CERTIFICATE REQUEST", *pem);
		rc = 0;
	}
	X509_REQ_free(req);
	OPENSSL_free(der);
	return rc;
}

int ats_dak_csr(const char *conf_path, const char *out_dir, json_t **report, ats_err *err)
{
	ats_dha_conf *conf = NULL;
	EVP_PKEY *key = NULL;
	unsigned char scalar[32], point[ATS_P256_POINT_LEN], pkcs8[ATS_P256_PKCS8_LEN];
	char key_pem[300], *csr = NULL, key_path[4096], csr_path[4096];
	size_t csr_len = 0;
	struct stat st;
	int rc;

	*report = NULL;
	snprintf(key_path, sizeof(key_path), "%s/dak_private_key.pem", out_dir);
	snprintf(csr_path, sizeof(csr_path), "%s/dak.csr", out_dir);
	if (stat(out_dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return ats_err_set(err, ATS_EIO, "%s: not a directory", out_dir);
	if (access(key_path, F_OK) == 0)
		return ats_err_set(err, ATS_EUSAGE,
				   "%s: already exists; a DAK key is never replaced (choose another "
				   "--out folder)",
				   key_path);
	if ((rc = ats_dha_conf_load(conf_path, &conf, err)) != 0)
		goto out;
	rc = ATS_ECRYPTO;
	if (!(key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) ||
	    ats_p256_raw(key, point, scalar) != 0) {
		ats_err_set(err, rc, "cannot make a P-256 key");
		goto out;
	}
	if ((rc = csr_pem(conf, key, csr_path, &csr, &csr_len, err)) != 0)
		goto out;
	ats_p256_pkcs8(scalar, point, pkcs8);
	size_t key_len = ats_pem_encode(pkcs8, sizeof(pkcs8), "PRIVATE KEY", key_pem);
	if ((rc = ats_file_write_new(key_path, key_pem, key_len, 0600, err)) != 0)
		goto out;
	if ((rc = ats_file_write_atomic(csr_path, csr, csr_len, 0644, err)) != 0)
		goto out;
	rc = csr_report(conf, point, key_path, NULL, false, csr_path, report, err);
out:
	ats_wipe(scalar, sizeof(scalar));
	ats_wipe(pkcs8, sizeof(pkcs8));
	ats_wipe(key_pem, sizeof(key_pem));
	EVP_PKEY_free(key);
	free(csr);
	ats_dha_conf_free(conf);
	return rc;
}

int ats_dak_csr_p11(const char *conf_path, const char *out_dir, const char *key_uri, bool make_key,
		    const ats_dak_pin *pin, json_t **report, ats_err *err)
{
	ats_dha_conf *conf = NULL;
	EVP_PKEY *key = NULL;
	unsigned char point[ATS_P256_POINT_LEN];
	char p[ATS_P11_PIN_MAX + 1], *csr = NULL, csr_path[4096];
	size_t csr_len = 0;
	struct stat st;
	int rc;

	*report = NULL;
	p[0] = '\0';
	snprintf(csr_path, sizeof(csr_path), "%s/dak.csr", out_dir);
	if (stat(out_dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return ats_err_set(err, ATS_EIO, "%s: not a directory", out_dir);
	if ((rc = ats_dha_conf_load(conf_path, &conf, err)) != 0 ||
	    (rc = ats_p11_pin(key_uri, pin ? pin->file : NULL, pin ? pin->value : NULL, p, err)) != 0)
		goto out;
	if (make_key && (rc = ats_p11_keygen(key_uri, p, err)) != 0)
		goto out;
	if ((rc = ats_p11_load_key(key_uri, p, &key, err)) != 0)
		goto out;
	rc = ATS_ECRYPTO;
	if (ats_p256_raw(key, point, NULL) != 0) {
		ats_err_set(err, ATS_EUSAGE, "%s: not an EC P-256 key; a DAK is one", key_uri);
		goto out;
	}
	if ((rc = csr_pem(conf, key, csr_path, &csr, &csr_len, err)) != 0)
		goto out;
	if ((rc = ats_file_write_atomic(csr_path, csr, csr_len, 0644, err)) != 0)
		goto out;
	rc = csr_report(conf, point, NULL, key_uri, make_key, csr_path, report, err);
out:
	ats_wipe(p, sizeof(p));
	EVP_PKEY_free(key);
	free(csr);
	ats_dha_conf_free(conf);
	return rc;
}
