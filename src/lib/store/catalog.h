/* The six ATS certificate authorities: identities (SHA-256 of the certificate and of its
 * SubjectPublicKeyInfo) and the PEMs embedded at build time from cabundle/.
 *
 * Identity is never by name alone: the name only says which CA a certificate claims to be. */
#ifndef ATS_CATALOG_H
#define ATS_CATALOG_H

#include "base/ats.h"

#include <stdbool.h>

#define ATS_CA_COUNT 6

typedef struct ats_ca {
	const char *file;        /* cabundle/ file name, e.g. "Amazon_Root_CA_1.pem" */
	const char *name;        /* display name, as reports must say it */
	const char *role;        /* "amazon-root" or "starfield-cross-signer" */
	const char *match;       /* "CN=..." or "OU=...": the subject attribute that names it */
	const char *debian_path; /* relative to /usr/share/ca-certificates */
	unsigned char cert_sha256[32];
	unsigned char spki_sha256[32];
	time_t not_after;
	const char *pem; /* embedded text, NUL-terminated */
	size_t pem_len;
} ats_ca;

const ats_ca *ats_catalog_get(int i); /* 0..ATS_CA_COUNT-1, NULL otherwise */
/* By display name, case-insensitive, or by file name with or without ".pem"; NULL if none. */
const ats_ca *ats_catalog_find(const char *name);
/* Index of the CA whose certificate SHA-256 is sha, or -1. */
int ats_catalog_by_cert(const unsigned char sha[32]);
int ats_catalog_by_spki(const unsigned char sha[32]);
/* Index of the CA whose name the subject attribute value claims (value of CN or OU), or -1. */
int ats_catalog_by_name(const char *cn, const char *ou);

/* The four Amazon roots are four key families (Root CA 1 RSA 2048, 2 RSA 4096, 3 EC P-256, 4 EC
 * P-384): a chain under one is anchored by that root, or by either Starfield root (which
 * cross-sign every Amazon root) when the server sends the cross-signs. Family f is Amazon Root
 * CA f+1. */
#define ATS_FAMILY_COUNT 4
/* The family AVS endpoints serve: chains captured from ATS endpoints are RSA chains under Root
 * CA 1 (probe/targets.c keeps it per endpoint; a verified probe's anchor confirms it). */
#define ATS_FAMILY_AVS 0
const char *ats_family_name(int f); /* "Amazon Root CA 1 (RSA 2048)" */
const char *ats_family_key(int f);  /* "RSA 2048" */
/* How a store whose usable CAs are `usable` (indexed like ats_catalog_get) anchors family f:
 * "root", "starfield-cross-sign" (needs the server to send the cross-signs), or NULL. */
const char *ats_family_anchor(const bool usable[ATS_CA_COUNT], int f);
/* The catalog index of family f's root, and the family of catalog CA i (-1: a Starfield root). */
int ats_family_root(int f);
int ats_family_of(int i);

/* Decodes the embedded PEM and checks it against both pins before anyone may use it. On success
 * *der is malloc'd (free it). A mismatch is ATS_EPIN: the binary has been tampered with. */
int ats_catalog_der(const ats_ca *ca, unsigned char **der, size_t *len, ats_err *err);

#endif
