/* device.conf and dak.conf: the OpenSSL configuration files Amazon's developer console hands out,
 * read the way `openssl req -new -config FILE` and `openssl x509 -extfile FILE -extensions SECT`
 * read them, through OpenSSL's own config and X509v3 code, so the subject and extensions we
 * produce are the ones those commands would. */
#ifndef ATS_DHA_CONF_H
#define ATS_DHA_CONF_H

#include "base/ats.h"

#include <openssl/x509.h>
#include <stdbool.h>

typedef struct ats_dha_conf ats_dha_conf;

/* Loads FILE: its [req] section, the distinguished_name section it names (prompt = no: the
 * values; otherwise the *_default values, as `openssl req -batch` takes them), string_mask and
 * req_extensions. */
int ats_dha_conf_load(const char *path, ats_dha_conf **out, ats_err *err);
/* The same from bytes already read; path only names them in messages. */
int ats_dha_conf_parse(const char *path, const void *data, size_t len, ats_dha_conf **out,
		       ats_err *err);
void ats_dha_conf_free(ats_dha_conf *c);

const char *ats_dha_conf_path(const ats_dha_conf *c);
/* The subject the distinguished_name section describes. */
const X509_NAME *ats_dha_conf_subject(const ats_dha_conf *c);
bool ats_dha_conf_has_section(const ats_dha_conf *c, const char *section);

/* A CSR as `openssl req -new -config FILE` makes it for key: version 1, the subject, the
 * req_extensions (if any), signed with SHA-256. */
X509_REQ *ats_dha_conf_csr(const ats_dha_conf *c, EVP_PKEY *key, ats_err *err);
/* Adds section's extensions to x as `openssl x509 -req -extfile FILE -extensions section -CA
 * issuer` does. */
int ats_dha_conf_add_exts(const ats_dha_conf *c, const char *section, X509 *x, X509 *issuer,
			  ats_err *err);

#endif
