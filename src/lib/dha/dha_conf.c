#include "dha/dha_conf.h"

#include "base/util.h"

#include <limits.h>
#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

struct ats_dha_conf {
	CONF *conf;
	char *path;
	X509_NAME *subject;
	const char *req_exts; /* section name, or NULL */
};

const char *ats_dha_conf_path(const ats_dha_conf *c)
{
	return c->path;
}

const X509_NAME *ats_dha_conf_subject(const ats_dha_conf *c)
{
	return c->subject;
}

bool ats_dha_conf_has_section(const ats_dha_conf *c, const char *section)
{
	return NCONF_get_section(c->conf, section) != NULL;
}

static const char *get(CONF *conf, const char *section, const char *name)
{
	const char *v = NCONF_get_string(conf, section, name);
	ERR_clear_error(); /* a missing key is not an error worth keeping */
	return v;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* As apps/req.c builds the subject: "1.OU" is "OU" (the prefix only makes the key unique) and a
 * leading '+' adds the attribute to the previous RDN. */
static int add_entry(X509_NAME *n, const char *key, const char *value)
{
	const char *type = key;
	int mval = 0;
	for (const char *p = key; *p; p++)
		if (*p == ':' || *p == ',' || *p == '.') {
			if (p[1])
				type = p + 1;
			break;
		}
	if (*type == '+') {
		mval = -1;
		type++;
	}
	return X509_NAME_add_entry_by_txt(n, type, MBSTRING_ASC, (const unsigned char *)value, -1,
					  -1, mval)
		       ? 0
		       : -1;
}

static int build_subject(ats_dha_conf *c, const char *dn_sect, bool prompt, ats_err *err)
{
	STACK_OF(CONF_VALUE) *dn = NCONF_get_section(c->conf, dn_sect);
	const char *at = "";
	if (!dn)
		return ats_err_set(err, ATS_EPARSE, "%s: no [%s] section (named by distinguished_name)",
				   c->path, dn_sect);
	c->subject = X509_NAME_new();
	if (!c->subject)
		return ats_err_set(err, ATS_ENOMEM, "[%s]: out of memory building the subject", dn_sect);
	for (int i = 0; i < sk_CONF_VALUE_num(dn); i++) {
		CONF_VALUE *v = sk_CONF_VALUE_value(dn, i);
		const char *value = v->value;
		at = v->name;
		if (!prompt) {
			if (add_entry(c->subject, v->name, value) != 0)
				goto bad;
			continue;
		}
		/* Prompt mode: "CN = prompt text", "CN_default = value"; -batch takes the defaults. */
		if (ends_with(v->name, "_default") || ends_with(v->name, "_min") ||
		    ends_with(v->name, "_max") || ends_with(v->name, "_value"))
			continue;
		char key[256];
		snprintf(key, sizeof(key), "%s_default", v->name);
		value = get(c->conf, dn_sect, key);
		if (value && *value && add_entry(c->subject, v->name, value) != 0)
			goto bad;
		value = NULL;
	}
	if (X509_NAME_entry_count(c->subject) == 0)
		return ats_err_set(err, ATS_EPARSE, "%s: [%s] gives no subject fields", c->path, dn_sect);
	return 0;
bad:
	ats_err_set(err, ATS_EPARSE, "%s: [%s]: bad subject field '%s'", c->path, dn_sect, at);
	ats_err_add_openssl(err);
	return ATS_EPARSE;
}

int ats_dha_conf_load(const char *path, ats_dha_conf **out, ats_err *err)
{
	unsigned char *data = NULL;
	size_t len = 0;
	*out = NULL;
	/* Read here (a FIFO or a folder is refused at once), parsed from memory. */
	int rc = ats_file_read(path, NULL, &data, &len, err);
	if (rc == 0)
		rc = ats_dha_conf_parse(path, data, len, out, err);
	free(data);
	return rc;
}

int ats_dha_conf_parse(const char *path, const void *data, size_t len, ats_dha_conf **out,
		       ats_err *err)
{
	ats_dha_conf *c = calloc(1, sizeof(*c));
	long line = -1;
	int rc = ATS_ENOMEM;
	BIO *bio = NULL;
	unsigned long old_mask = ASN1_STRING_get_default_mask();

	*out = NULL;
	if (!c || !(c->path = strdup(path)) || !(c->conf = NCONF_new(NULL)))
		goto fail;
	if (len > INT_MAX) {
		rc = ats_err_set(err, ATS_EPARSE, "%s: too large", path);
		goto fail;
	}
	if (!(bio = BIO_new_mem_buf(data, (int)len)))
		goto fail;
	if (NCONF_load_bio(c->conf, bio, &line) <= 0) {
		if (line > 0)
			rc = ats_err_set(err, ATS_EPARSE, "%s: line %ld: not a valid OpenSSL config", path,
					 line);
		else
			rc = ats_err_set(err, ATS_EPARSE, "%s: not a valid OpenSSL config", path);
		ERR_clear_error();
		goto fail;
	}
	BIO_free(bio);
	bio = NULL;
	const char *dn = get(c->conf, "req", "distinguished_name");
	const char *prompt = get(c->conf, "req", "prompt");
	const char *mask = get(c->conf, "req", "string_mask");
	c->req_exts = get(c->conf, "req", "req_extensions");
	if (!dn) {
		rc = ats_err_set(err, ATS_EPARSE, "%s: no distinguished_name in [req]", path);
		goto fail;
	}
	if (c->req_exts && !NCONF_get_section(c->conf, c->req_exts)) {
		rc = ats_err_set(err, ATS_EPARSE, "%s: req_extensions names [%s], which is missing", path,
				 c->req_exts);
		goto fail;
	}
	/* The string mask is process-wide in OpenSSL: set it for the build, then put it back. */
	if (mask && !ASN1_STRING_set_default_mask_asc(mask)) {
		rc = ats_err_set(err, ATS_EPARSE, "%s: string_mask '%s' is not one OpenSSL knows", path,
				 mask);
		goto fail;
	}
	rc = build_subject(c, dn, prompt && strcmp(prompt, "no") == 0 ? false : true, err);
	ASN1_STRING_set_default_mask(old_mask);
	if (rc != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	if (rc == ATS_ENOMEM)
		ats_err_set(err, ATS_ENOMEM, "%s: out of memory", path);
	BIO_free(bio);
	ats_dha_conf_free(c);
	return rc;
}

void ats_dha_conf_free(ats_dha_conf *c)
{
	if (!c)
		return;
	NCONF_free(c->conf);
	X509_NAME_free(c->subject);
	free(c->path);
	free(c);
}

X509_REQ *ats_dha_conf_csr(const ats_dha_conf *c, EVP_PKEY *key, ats_err *err)
{
	X509_REQ *req = X509_REQ_new();
	X509V3_CTX ctx;

	if (!req || !X509_REQ_set_version(req, 0) || !X509_REQ_set_subject_name(req, c->subject) ||
	    !X509_REQ_set_pubkey(req, key))
		goto bad;
	if (c->req_exts) {
		X509V3_set_ctx(&ctx, NULL, NULL, req, NULL, X509V3_CTX_REPLACE);
		X509V3_set_nconf(&ctx, c->conf);
		if (!X509V3_EXT_REQ_add_nconf(c->conf, &ctx, c->req_exts, req)) {
			ats_err_set(err, ATS_EPARSE, "%s: [%s]: cannot make these request extensions",
				    c->path, c->req_exts);
			ats_err_add_openssl(err);
			X509_REQ_free(req);
			return NULL;
		}
	}
	if (!X509_REQ_sign(req, key, EVP_sha256()))
		goto bad;
	return req;
bad:
	ats_err_set(err, ATS_ECRYPTO, "%s: cannot make the certificate request", c->path);
	ats_err_add_openssl(err);
	X509_REQ_free(req);
	return NULL;
}

int ats_dha_conf_add_exts(const ats_dha_conf *c, const char *section, X509 *x, X509 *issuer,
			  ats_err *err)
{
	X509V3_CTX ctx;
	if (!NCONF_get_section(c->conf, section))
		return ats_err_set(err, ATS_EPARSE, "%s: no [%s] section (the device extensions)",
				   c->path, section);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, X509V3_CTX_REPLACE);
	X509V3_set_nconf(&ctx, c->conf);
	if (!X509V3_EXT_add_nconf(c->conf, &ctx, section, x)) {
		ats_err_set(err, ATS_EPARSE, "%s: [%s]: cannot make these extensions", c->path, section);
		ats_err_add_openssl(err);
		return ATS_EPARSE;
	}
	return 0;
}
