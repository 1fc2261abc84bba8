#include "store/catalog.h"

#include "base/pem.h"
#include "base/util.h"

#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Generated at build time by src/tools/embed_cabundle.c from cabundle/manifest.txt. */
extern const ats_ca ats_catalog_embedded[ATS_CA_COUNT];

const ats_ca *ats_catalog_get(int i)
{
	return i >= 0 && i < ATS_CA_COUNT ? &ats_catalog_embedded[i] : NULL;
}

const ats_ca *ats_catalog_find(const char *name)
{
	for (int i = 0; i < ATS_CA_COUNT; i++) {
		const ats_ca *ca = &ats_catalog_embedded[i];
		size_t fl = strlen(ca->file) - 4; /* without ".pem" */
		if (strcasecmp(name, ca->name) == 0 || strcasecmp(name, ca->file) == 0 ||
		    (strlen(name) == fl && strncasecmp(name, ca->file, fl) == 0))
			return ca;
	}
	return NULL;
}

int ats_catalog_by_cert(const unsigned char sha[32])
{
	for (int i = 0; i < ATS_CA_COUNT; i++)
		if (memcmp(sha, ats_catalog_embedded[i].cert_sha256, 32) == 0)
			return i;
	return -1;
}

int ats_catalog_by_spki(const unsigned char sha[32])
{
	for (int i = 0; i < ATS_CA_COUNT; i++)
		if (memcmp(sha, ats_catalog_embedded[i].spki_sha256, 32) == 0)
			return i;
	return -1;
}

int ats_catalog_by_name(const char *cn, const char *ou)
{
	for (int i = 0; i < ATS_CA_COUNT; i++) {
		const char *m = ats_catalog_embedded[i].match;
		const char *want = strncmp(m, "CN=", 3) == 0 ? cn : ou;
		if (want && strcmp(want, m + 3) == 0)
			return i;
	}
	return -1;
}

int ats_catalog_der(const ats_ca *ca, unsigned char **der, size_t *len, ats_err *err)
{
	unsigned char sha[32];
	unsigned char *d = NULL, *spki = NULL;
	const unsigned char *p;
	X509 *x = NULL;
	int rc = ATS_EPIN, n;

	*der = NULL;
	*len = 0;
	rc = ats_pem_decode_first(ca->pem, ca->pem_len, &d, len);
	if (rc != 0) {
		rc = ats_err_set(err, ATS_EPIN, "embedded %s: not a PEM certificate", ca->file);
		goto out;
	}
	ats_sha256(d, *len, sha);
	if (memcmp(sha, ca->cert_sha256, 32) != 0) {
		rc = ats_err_set(err, ATS_EPIN,
				 "embedded %s: SHA-256 does not match its pin: refusing to use it", ca->file);
		goto out;
	}
	p = d;
	x = d2i_X509(NULL, &p, (long)*len);
	n = x ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki) : -1;
	if (n <= 0) {
		rc = ats_err_set(err, ATS_EPIN, "embedded %s: cannot read its public key", ca->file);
		goto out;
	}
	ats_sha256(spki, (size_t)n, sha);
	if (memcmp(sha, ca->spki_sha256, 32) != 0) {
		rc = ats_err_set(err, ATS_EPIN,
				 "embedded %s: public key does not match its pin: refusing to use it",
				 ca->file);
		goto out;
	}
	*der = d;
	d = NULL;
	rc = 0;
out:
	if (rc != 0)
		*len = 0;
	free(d);
	OPENSSL_free(spki);
	X509_free(x);
	return rc;
}

static const char *const family_names[ATS_FAMILY_COUNT] = {
	"Amazon Root CA 1 (RSA 2048)", "Amazon Root CA 2 (RSA 4096)",
	"Amazon Root CA 3 (EC P-256)", "Amazon Root CA 4 (EC P-384)"};

const char *ats_family_name(int f)
{
	return f >= 0 && f < ATS_FAMILY_COUNT ? family_names[f] : NULL;
}

const char *ats_family_key(int f)
{
	static const char *const keys[ATS_FAMILY_COUNT] = {"RSA 2048", "RSA 4096", "EC P-256",
							   "EC P-384"};
	return f >= 0 && f < ATS_FAMILY_COUNT ? keys[f] : NULL;
}

int ats_family_root(int f)
{
	char name[32];
	const ats_ca *ca;
	if (f < 0 || f >= ATS_FAMILY_COUNT)
		return -1;
	snprintf(name, sizeof(name), "Amazon Root CA %d", f + 1);
	ca = ats_catalog_find(name);
	for (int i = 0; ca && i < ATS_CA_COUNT; i++)
		if (ats_catalog_get(i) == ca)
			return i;
	return -1;
}

int ats_family_of(int i)
{
	for (int f = 0; f < ATS_FAMILY_COUNT; f++)
		if (ats_family_root(f) == i)
			return f;
	return -1;
}

const char *ats_family_anchor(const bool usable[ATS_CA_COUNT], int f)
{
	int r = ats_family_root(f);
	if (r < 0)
		return NULL;
	if (usable[r])
		return "root";
	for (int i = 0; i < ATS_CA_COUNT; i++)
		if (usable[i] && strcmp(ats_catalog_get(i)->role, "starfield-cross-signer") == 0)
			return "starfield-cross-sign";
	return NULL;
}
