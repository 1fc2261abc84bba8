/* The ATS root matrix's lab (see ats_roots_lab.h): roots from the selftest's lab PKI (the real
 * names and key types), leaves per root and outcome, and the index openssl ocsp answers from. */
#include "serve/ats_roots_lab.h"

#include "base/pem.h"
#include "base/strbuf.h"
#include "base/util.h"
#include "serve/pki.h"
#include "serve/selftest.h"

#include <errno.h>
#include <openssl/bn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DAY 86400L

/* Root N of the matrix in the lab PKI. */
static int lab_role(int n)
{
	return n == 0 ? ATS_LAB_SFSG2 : ATS_LAB_ROOT1 + n - 1;
}

/* A leaf of the root's family: RSA under the RSA roots, the root's curve under the EC ones. */
static const char *leaf_key_spec(int n)
{
	return n == 3 ? "ec:P-256" : n == 4 ? "ec:P-384" : "rsa:2048";
}

static void index_time(time_t t, char *buf, size_t n)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, n, "%y%m%d%H%M%SZ", &tm);
}

/* One line of an openssl ca index.txt for x. */
static int index_line(ats_buf *b, X509 *x, char status, time_t not_after, time_t revoked)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL, exp[32], rev[32] = "", subj[512];
	if (!hex) {
		BN_free(bn);
		return -1;
	}
	index_time(not_after, exp, sizeof(exp));
	if (status == 'R')
		index_time(revoked, rev, sizeof(rev));
	X509_NAME_oneline(X509_get_subject_name(x), subj, sizeof(subj));
	ats_buf_printf(b, "%c\t%s\t%s%s\t%s\tunknown\t%s\n", status, exp, rev,
		       status == 'R' ? ",keyCompromise" : "", hex, subj);
	OPENSSL_free(hex);
	BN_free(bn);
	return 0;
}

int ats_roots_lab_write(const char *dir, time_t now, ats_err *err)
{
	ats_lab_pki *pki = NULL;
	X509 *roots[ATS_ROOTS_N], *leaf = NULL, *ca = NULL;
	EVP_PKEY *key = NULL, *cakey = NULL;
	ats_buf idx = {0};
	char path[PATH_MAX], host[64], url[128];
	int rc;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return ats_err_set(err, ATS_EIO, "%s: cannot make the folder: %s", dir, strerror(errno));
	if ((rc = ats_lab_pki_new(now, "localhost", &pki, err)) != 0)
		return rc;
	for (int n = 0; n < ATS_ROOTS_N; n++)
		roots[n] = pki->cert[lab_role(n)];
	snprintf(path, sizeof(path), "%s/roots.pem", dir);
	if ((rc = ats_pem_write_certs(path, roots, ATS_ROOTS_N, err)) != 0)
		goto out;
	for (int n = 0; n < ATS_ROOTS_N; n++) {
		int role = lab_role(n);
		snprintf(path, sizeof(path), "%s/sca%da-root.pem", dir, n);
		if ((rc = ats_pem_write_certs(path, &pki->cert[role], 1, err)) != 0)
			goto out;
		snprintf(path, sizeof(path), "%s/sca%da-root.key", dir, n);
		if ((rc = ats_pki_write_key(path, pki->key[role], err)) != 0)
			goto out;
		/* The issuing CA under the root (sent after each leaf, as ATS hosts do: a client
		 * needs it to ask about the leaf's status), and one key for its three leaves. */
		char subject[96];
		snprintf(subject, sizeof(subject), "/C=US/O=Amazon/CN=Amazon %s M0%d (atscheck lab)",
			 ats_roots_key_type(n), n);
		ats_pki_cert_opts cao = {.subject = subject, .issuer = pki->cert[role],
					 .issuer_key = pki->key[role], .ca = true, .pathlen = 0,
					 .not_before = now - 365 * DAY, .not_after = now + 5 * 365 * DAY};
		if (!(cakey = ats_pki_key_new(leaf_key_spec(n), err)) ||
		    !(cao.key = cakey, ca = ats_pki_cert_new(&cao, err)) ||
		    !(key = ats_pki_key_new(leaf_key_spec(n), err))) {
			rc = err ? err->code : ATS_ECRYPTO;
			goto out;
		}
		snprintf(path, sizeof(path), "%s/sca%da-ca.pem", dir, n);
		if ((rc = ats_pem_write_certs(path, &ca, 1, err)) != 0)
			goto out;
		snprintf(path, sizeof(path), "%s/sca%da-ca.key", dir, n);
		if ((rc = ats_pki_write_key(path, cakey, err)) != 0)
			goto out;
		ats_buf_free(&idx);
		snprintf(url, sizeof(url), "http://ocsp.sca%da.lab.invalid/", n);
		for (int k = 0; k < ATS_ROOTS_KINDS; k++) {
			ats_roots_host(n, k, host, sizeof(host));
			snprintf(subject, sizeof(subject), "/CN=%s", host);
			bool expired = k == ATS_ROOTS_EXPIRED;
			ats_pki_cert_opts co = {
				.subject = subject, .key = key, .issuer = ca, .issuer_key = cakey,
				.pathlen = -1, .dns = host, .ocsp_url = url,
				.not_before = expired ? now - 120 * DAY : now - DAY,
				.not_after = expired ? now - 30 * DAY : now + 90 * DAY};
			if (!(leaf = ats_pki_cert_new(&co, err))) {
				rc = err ? err->code : ATS_ECRYPTO;
				goto out;
			}
			if (index_line(&idx, leaf, k == ATS_ROOTS_REVOKED ? 'R' : expired ? 'E' : 'V',
				       co.not_after, now - DAY) != 0) {
				rc = ats_err_set(err, ATS_ENOMEM, "out of memory");
				goto out;
			}
			snprintf(path, sizeof(path), "%s/%s.pem", dir, host);
			X509 *chain[2] = {leaf, ca};
			if ((rc = ats_pem_write_certs(path, chain, 2, err)) != 0)
				goto out;
			snprintf(path, sizeof(path), "%s/%s.key", dir, host);
			if ((rc = ats_pki_write_key(path, key, err)) != 0)
				goto out;
			X509_free(leaf);
			leaf = NULL;
		}
		EVP_PKEY_free(key);
		EVP_PKEY_free(cakey);
		X509_free(ca);
		key = cakey = NULL;
		ca = NULL;
		snprintf(path, sizeof(path), "%s/sca%da-index.txt", dir, n);
		if ((rc = ats_file_write_atomic(path, idx.p, idx.n, 0644, err)) != 0)
			goto out;
	}
out:
	ats_buf_free(&idx);
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(cakey);
	ats_lab_pki_free(pki);
	return rc;
}

int ats_roots_lab_sites(const char *dir, ats_roots_lab *lab, ats_err *err)
{
	memset(lab, 0, sizeof(*lab));
	for (int i = 0; i < ATS_ROOTS_HOSTS; i++) {
		ats_serve_site *s = &lab->sites[i];
		ats_roots_host(i / ATS_ROOTS_KINDS, i % ATS_ROOTS_KINDS, lab->name[i], sizeof(lab->name[i]));
		snprintf(lab->cert[i], sizeof(lab->cert[i]), "%s/%s.pem", dir, lab->name[i]);
		snprintf(lab->key[i], sizeof(lab->key[i]), "%s/%s.key", dir, lab->name[i]);
		snprintf(lab->ocsp[i], sizeof(lab->ocsp[i]), "%s/%s.ocsp.der", dir, lab->name[i]);
		if (access(lab->cert[i], R_OK) != 0 || access(lab->key[i], R_OK) != 0)
			return ats_err_set(err, ATS_EIO, "%s: not a lab folder (no readable %s.pem / .key)",
					   dir, lab->name[i]);
		s->name = lab->name[i];
		s->cert_file = lab->cert[i];
		s->key_file = lab->key[i];
		s->ocsp_file = access(lab->ocsp[i], R_OK) == 0 ? lab->ocsp[i] : NULL;
	}
	return 0;
}
