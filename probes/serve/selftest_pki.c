/* The lab PKI: shaped like ATS (names and key types copied from the real six, the real
 * cross-sign structure), keys and signatures of its own. */
#include "serve/pki.h"
#include "serve/selftest.h"
#include "base/util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400L
#define YEAR (365L * DAY)

static const char *const names[ATS_LAB_N] = {
	"root1", "root2", "root3", "root4", "sfsg2", "sfc2", "root1x",
	"root2x", "root3x", "root4x", "sfsg2x", "inter", "leaf",
};

const char *ats_lab_name(int role)
{
	return role >= 0 && role < ATS_LAB_N ? names[role] : NULL;
}

/* The real CA's certificate, for its exact subject and its key type. */
static X509 *real_ca(int i, ats_err *err)
{
	unsigned char *der = NULL;
	size_t len;
	X509 *x = NULL;
	if (ats_catalog_der(ats_catalog_get(i), &der, &len, err) == 0) {
		const unsigned char *p = der;
		x = d2i_X509(NULL, &p, (long)len);
		if (!x)
			ats_err_set(err, ATS_EPARSE, "embedded %s: cannot parse", ats_catalog_get(i)->file);
	}
	free(der);
	return x;
}

static void key_spec(X509 *x, char *spec, size_t n)
{
	EVP_PKEY *k = X509_get0_pubkey(x);
	char group[64] = "";
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC) {
		EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof(group), NULL);
		snprintf(spec, n, "ec:%s", strcmp(group, "secp384r1") == 0 ? "P-384" : "P-256");
	} else {
		snprintf(spec, n, "rsa:%d", EVP_PKEY_get_bits(k));
	}
}

typedef struct keyjob {
	char spec[32];
	EVP_PKEY *key;
	ats_err err;
} keyjob;

static void *keygen_thread(void *arg)
{
	keyjob *j = arg;
	j->key = ats_pki_key_new(j->spec, &j->err);
	return NULL;
}

int ats_lab_pki_new(time_t now, const char *host, ats_lab_pki **out, ats_err *err)
{
	ats_lab_pki *p = calloc(1, sizeof(*p));
	X509 *real[ATS_CA_COUNT] = {0};
	keyjob jobs[ATS_CA_COUNT];
	pthread_t slow;
	int slow_i = -1, rc = ATS_ECRYPTO;

	*out = NULL;
	if (!p)
		return ats_err_set(err, ATS_ENOMEM, "lab PKI for %s: out of memory", host);
	memset(jobs, 0, sizeof(jobs));
	for (int i = 0; i < ATS_CA_COUNT; i++) {
		if (!(real[i] = real_ca(i, err))) {
			rc = err ? err->code : ATS_EPIN;
			goto out;
		}
		key_spec(real[i], jobs[i].spec, sizeof(jobs[i].spec));
	}
	/* The RSA 4096 key takes most of the time: make it alongside the others. */
	for (int i = 0; i < ATS_CA_COUNT && slow_i < 0; i++)
		if (strcmp(jobs[i].spec, "rsa:4096") == 0 &&
		    pthread_create(&slow, NULL, keygen_thread, &jobs[i]) == 0)
			slow_i = i;
	for (int i = 0; i < ATS_CA_COUNT; i++)
		if (i != slow_i)
			keygen_thread(&jobs[i]);
	if (slow_i >= 0)
		pthread_join(slow, NULL);
	for (int i = 0; i < ATS_CA_COUNT; i++) {
		if (!jobs[i].key) {
			if (err)
				*err = jobs[i].err;
			goto out;
		}
		p->key[i] = jobs[i].key;
		jobs[i].key = NULL;
	}

	ats_pki_cert_opts co = {.not_before = now - YEAR, .not_after = now + 10 * YEAR, .ca = true,
				.pathlen = -1};
	/* The six, self-signed, with the real names. */
	for (int i = 0; i < ATS_CA_COUNT; i++) {
		co.subject_name = X509_get_subject_name(real[i]);
		co.key = p->key[i];
		if (!(p->cert[i] = ats_pki_cert_new(&co, err)))
			goto out;
	}
	/* The cross-signs: Amazon roots by Starfield Services G2, G2 by Starfield Class 2. */
	for (int i = 0; i <= ATS_LAB_SFSG2X - ATS_LAB_ROOT1X; i++) {
		int subj = i < 4 ? ATS_LAB_ROOT1 + i : ATS_LAB_SFSG2;
		int by = i < 4 ? ATS_LAB_SFSG2 : ATS_LAB_SFC2;
		co.subject_name = X509_get_subject_name(real[subj]);
		co.key = p->key[subj];
		co.issuer = p->cert[by];
		co.issuer_key = p->key[by];
		if (!(p->cert[ATS_LAB_ROOT1X + i] = ats_pki_cert_new(&co, err)))
			goto out;
		EVP_PKEY_up_ref(p->key[subj]);
		p->key[ATS_LAB_ROOT1X + i] = p->key[subj];
	}
	/* An intermediate under Amazon Root CA 1, and the leaf. */
	co.subject_name = NULL;
	co.subject = "/C=US/O=Amazon/CN=Amazon RSA 2048 M01 (atscheck lab)";
	co.pathlen = 0;
	co.issuer = p->cert[ATS_LAB_ROOT1];
	co.issuer_key = p->key[ATS_LAB_ROOT1];
	co.not_after = now + 5 * YEAR;
	if (!(p->key[ATS_LAB_INTER] = ats_pki_key_new("rsa:2048", err)))
		goto out;
	co.key = p->key[ATS_LAB_INTER];
	if (!(p->cert[ATS_LAB_INTER] = ats_pki_cert_new(&co, err)))
		goto out;
	char subject[300];
	snprintf(subject, sizeof(subject), "/CN=%s", host);
	co = (ats_pki_cert_opts){.subject = subject, .issuer = p->cert[ATS_LAB_INTER],
				 .issuer_key = p->key[ATS_LAB_INTER], .not_before = now - DAY,
				 .not_after = now + 90 * DAY, .pathlen = -1, .dns = host,
				 .ip = strcmp(host, "localhost") == 0 ? "127.0.0.1,::1" : NULL};
	if (!(p->key[ATS_LAB_LEAF] = ats_pki_key_new("ec:P-256", err)))
		goto out;
	co.key = p->key[ATS_LAB_LEAF];
	if (!(p->cert[ATS_LAB_LEAF] = ats_pki_cert_new(&co, err)))
		goto out;
	*out = p;
	p = NULL;
	rc = 0;
out:
	for (int i = 0; i < ATS_CA_COUNT; i++) {
		X509_free(real[i]);
		EVP_PKEY_free(jobs[i].key);
	}
	ats_lab_pki_free(p);
	return rc;
}

void ats_lab_pki_free(ats_lab_pki *p)
{
	if (!p)
		return;
	for (int i = 0; i < ATS_LAB_N; i++) {
		X509_free(p->cert[i]);
		EVP_PKEY_free(p->key[i]);
	}
	free(p);
}
