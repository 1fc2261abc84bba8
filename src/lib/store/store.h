/* Trust stores: what a device's TLS stack would trust, loaded from a bundle file, a hashed
 * directory, or found the way OpenSSL, libcurl and an AVS Device SDK config find them — all of it
 * optionally under an unbooted image (--root). Broken entries become problems with their file and
 * position; they never stop the rest.
 *
 * Layer 2: includes base/ and report/tree.h only.
 * The order is checked by tests/integration/layering.sh. */
#ifndef ATS_STORE_H
#define ATS_STORE_H

#include "base/ats.h"
#include "store/catalog.h"
#include "store/sdk_config.h"

#include <jansson.h>
#include <stdbool.h>

typedef struct ats_store_cert {
	unsigned char *der;
	size_t len;
	unsigned char sha256[32];
	unsigned char spki_sha256[32];
	char *file; /* as the device sees it */
	int line, index;
} ats_store_cert;

typedef enum { ATS_STORE_BUNDLE, ATS_STORE_CAPATH, ATS_STORE_DEBIAN } ats_store_kind;

typedef struct ats_store {
	ats_store_kind kind;
	char *path;      /* as the device sees it */
	char *host_path; /* where it was read on this machine (differs under --root) */
	json_t *labels;  /* who uses it: ["openssl-default-file", "libcurl-cainfo", ...] */
	json_t *aliases; /* other names it was found by (links to it), or NULL */
	bool user_given; /* named on the command line (an unreadable one is UNKNOWN, not CRITICAL) */
	ats_store_cert *certs;
	size_t n, cap;
	json_t *problems; /* [{"file","line","entry","message"}], the first ATS_STORE_PROBLEMS_MAX */
	size_t problems_omitted; /* the ones past the bound, counted, not kept */
	char *error;      /* the store as a whole could not be read; NULL when it could */
} ats_store;

/* A file of a million broken blocks must not become a million problems: each store keeps the
 * first ATS_STORE_PROBLEMS_MAX and counts the rest (the report says how many). */
#define ATS_STORE_PROBLEMS_MAX 100

const char *ats_store_kind_name(ats_store_kind k); /* "bundle", "capath", "debian-selection" */

typedef struct ats_store_opts {
	const char *root;         /* image root, or NULL */
	const char **bundles;     /* NULL-terminated, or NULL */
	const char **capaths;     /* NULL-terminated, or NULL */
	const char *const *sdk_configs; /* AlexaClientSDKConfig.json files, merged in order;
				      * NULL-terminated, or NULL */
	bool use_env;             /* honour SSL_CERT_FILE / SSL_CERT_DIR (not for an image) */
} ats_store_opts;

typedef struct ats_store_list {
	ats_store **v;
	size_t n;
	json_t *problems; /* problems not tied to one store */
	ats_sdk_config *sdk; /* the AVS SDK config read, or NULL */
	/* What the SDK's libcurl trusts: its compiled-in CA file plus the config's CURLOPT_CAPATH
	 * (or libcurl's default path without one). sdk_capath_state: "unset" (libcurl's default
	 * path), "added", "absent", "not-a-directory". */
	const char *sdk_cainfo, *sdk_capath, *sdk_capath_state;
} ats_store_list;

/* Loads the stores named in opts, or with none named discovers the ones this device uses.
 * Fails only for bad usage or out of memory; unreadable stores carry their error. */
int ats_store_list_load(const ats_store_opts *opts, ats_store_list **out, ats_err *err);
void ats_store_list_free(ats_store_list *l);

/* A single store from one bundle file or one directory (image path resolved under root). */
ats_store *ats_store_load_bundle(const char *root, const char *path);
ats_store *ats_store_load_capath(const char *root, const char *path);
void ats_store_free(ats_store *s);

/* The Debian selection facts for one catalog CA (see audit for how they are used). */
typedef struct ats_debian_ca {
	bool file_found;  /* a file with this exact certificate under /usr/share/ca-certificates */
	char rel[512];    /* its path relative to that folder */
	bool listed;      /* listed in /etc/ca-certificates.conf (selected) */
	bool bang;        /* deselected there with '!' */
	bool linked;      /* /etc/ssl/certs/<basename>.pem points at it */
	bool local;       /* found in /usr/local/share/ca-certificates instead (always selected) */
} ats_debian_ca;

/* Reads the Debian selection of all six; returns false when the image has no
 * /etc/ca-certificates.conf (not a Debian-family layout). */
bool ats_debian_selection(const char *root, ats_debian_ca out[ATS_CA_COUNT]);

#endif
