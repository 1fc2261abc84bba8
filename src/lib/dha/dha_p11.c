#define OPENSSL_SUPPRESS_DEPRECATED /* the ENGINE API: the only PKCS#11 route on OpenSSL 3.0 */
#include "dha/dha_p11.h"

#include "base/util.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ui.h>
#include <p11-kit/pkcs11.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P11_KIT_PROXY "p11-kit-proxy.so"

bool ats_p11_is_uri(const char *s)
{
	return s && strncmp(s, "pkcs11:", 7) == 0;
}

/* One attribute of the URI's path or query, percent-decoded; 0 found, -1 absent or too long. */
static int uri_attr(const char *uri, const char *name, bool query, char *out, size_t cap, size_t *outlen)
{
	const char *q = strchr(uri, '?');
	const char *p = query ? (q ? q + 1 : NULL) : uri + 7, *end = query || !q ? uri + strlen(uri) : q;
	size_t nl = strlen(name), n = 0;
	char sep = query ? '&' : ';';
	while (p && p < end) {
		const char *e = memchr(p, sep, (size_t)(end - p));
		if (!e)
			e = end;
		if ((size_t)(e - p) > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			for (const char *c = p + nl + 1; c < e; c++) {
				if (n + 1 >= cap)
					return -1;
				if (*c == '%' && e - c >= 3 && isxdigit((unsigned char)c[1]) && isxdigit((unsigned char)c[2])) {
					char hex[3] = {c[1], c[2], 0};
					out[n++] = (char)strtol(hex, NULL, 16);
					c += 2;
				} else {
					out[n++] = *c;
				}
			}
			out[n] = '\0';
			if (outlen)
				*outlen = n;
			return 0;
		}
		p = e + 1;
	}
	return -1;
}

/* The URI without its query (libp11 reads the path; the query is ours: module-path). */
static void uri_path(const char *uri, char *out, size_t cap)
{
	const char *q = strchr(uri, '?');
	size_t n = q ? (size_t)(q - uri) : strlen(uri);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, uri, n);
	out[n] = '\0';
}

int ats_p11_pin(const char *uri, const char *pin_file, const char *pin, char out[ATS_P11_PIN_MAX + 1],
		ats_err *err)
{
	const char *q = strchr(uri, '?');
	out[0] = '\0';
	if (q && (strstr(q, "pin-value=") || strstr(q, "pin-source="))) {
		char path[512];
		uri_path(uri, path, sizeof(path));
		return ats_err_set(err, ATS_EUSAGE,
				   "%s: the URI carries a PIN (pin-value/pin-source), which would sit on a "
				   "command line; give it in a PIN file or the environment instead",
				   path);
	}
	if (pin_file) {
		unsigned char *data = NULL;
		size_t len = 0;
		int rc = ats_file_read(pin_file, pin_file, &data, &len, err);
		if (rc != 0)
			return rc;
		size_t n = 0;
		while (n < len && data[n] != '\n' && data[n] != '\r')
			n++;
		if (n == 0 || n > ATS_P11_PIN_MAX) {
			ats_wipe(data, len);
			free(data);
			return ats_err_set(err, ATS_EUSAGE, "%s: no PIN on its first line (or longer than %d)",
					   pin_file, ATS_P11_PIN_MAX);
		}
		memcpy(out, data, n);
		out[n] = '\0';
		ats_wipe(data, len);
		free(data);
		return 0;
	}
	if (pin) {
		if (strlen(pin) > ATS_P11_PIN_MAX)
			return ats_err_set(err, ATS_EUSAGE, "the PIN from the environment is longer than %d",
					   ATS_P11_PIN_MAX);
		strcpy(out, pin);
	}
	return 0;
}

static int not_found(const char *uri, ats_err *err);

/* What the engine's error queue says, as one of our causes. */
static const char *engine_cause(void)
{
	unsigned long e;
	const char *cause = NULL;
	while ((e = ERR_get_error()) != 0) {
		const char *r = ERR_reason_error_string(e);
		if (!r || cause)
			continue;
		if (strstr(r, "PIN incorrect") || strstr(r, "PIN len") || strstr(r, "PIN invalid"))
			cause = "the token refused the PIN";
		else if (strstr(r, "PIN locked"))
			cause = "the token's PIN is locked";
		else if (strstr(r, "not found"))
			cause = "no such private key: the token is absent, or has no object with this label/id";
	}
	return cause;
}

static ENGINE *engine_get(const char *uri, ats_err *err)
{
	char module[1024];
	ENGINE *e = ENGINE_by_id("pkcs11");
	if (!e) {
		ERR_clear_error();
		ats_err_set(err, ATS_EUSAGE,
			    "%s: the PKCS#11 engine for OpenSSL is not installed (Debian: "
			    "libengine-pkcs11-openssl)",
			    uri);
		return NULL;
	}
	if (ENGINE_ctrl_cmd_string(e, "QUIET", NULL, 0) != 1)
		ERR_clear_error(); /* an older engine: it may print, but still works */
	if (uri_attr(uri, "module-path", true, module, sizeof(module), NULL) == 0 &&
	    ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module, 0) != 1) {
		ats_err_set(err, ATS_EUSAGE, "%s: the engine does not take the module path", uri);
		ENGINE_free(e);
		return NULL;
	}
	if (!ENGINE_init(e)) {
		ERR_clear_error();
		ats_err_set(err, ATS_EUSAGE, "%s: the PKCS#11 engine cannot load the module", uri);
		ENGINE_free(e);
		return NULL;
	}
	return e;
}

int ats_p11_load_key(const char *uri, const char *pin, EVP_PKEY **out, ats_err *err)
{
	char path[2048];
	ENGINE *e;
	*out = NULL;
	ERR_clear_error();
	if (!(e = engine_get(uri, err)))
		return err->code;
	if (pin && *pin && ENGINE_ctrl_cmd_string(e, "PIN", pin, 0) != 1) {
		ENGINE_finish(e);
		ENGINE_free(e);
		return ats_err_set(err, ATS_EUSAGE, "%s: the engine does not take a PIN", uri);
	}
	uri_path(uri, path, sizeof(path));
	/* UI_null: the engine must never prompt on a terminal a factory station may not have. */
	*out = ENGINE_load_private_key(e, path, (UI_METHOD *)UI_null(), NULL); /* not written to */
	if (pin && *pin)
		ENGINE_ctrl_cmd_string(e, "PIN", "", 0); /* the engine's copy, as far as it lets us */
	if (!*out) {
		const char *cause = engine_cause();
		ENGINE_finish(e);
		ENGINE_free(e);
		if (!pin || !*pin)
			return ats_err_set(err, ATS_EUSAGE,
					   "%s: cannot use the key without a PIN (give a PIN file or set the "
					   "PIN in the environment)%s%s",
					   uri, cause ? "; " : "", cause ? cause : "");
		if (!cause || strncmp(cause, "no such", 7) == 0)
			return not_found(uri, err);
		return ats_err_set(err, ATS_EUSAGE, "%s: %s", uri, cause);
	}
	ENGINE_free(e); /* the key keeps its functional reference */
	ERR_clear_error();
	return 0;
}

/* --- Key generation, straight through the module. --- */

static const unsigned char p256_params[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

static const char *ckr_text(CK_RV rv)
{
	switch (rv) {
	case CKR_PIN_INCORRECT: return "the token refused the PIN";
	case CKR_PIN_LOCKED: return "the token's PIN is locked";
	case CKR_TOKEN_NOT_PRESENT: return "the token is absent";
	case CKR_TOKEN_WRITE_PROTECTED: return "the token is write-protected";
	case CKR_MECHANISM_INVALID: return "the token cannot make EC P-256 keys";
	case CKR_USER_PIN_NOT_INITIALIZED: return "the token's user PIN is not set";
	default: return "the token refused";
	}
}

/* The module the URI names (or p11-kit's proxy), started, and the slot of the token labelled as
 * the URI's token=. 1: found; 0: the module works but no such token; <0: err set. */
typedef struct p11_mod {
	void *lib;
	CK_FUNCTION_LIST_PTR f;
	bool inited;
	CK_SLOT_ID slot;
	char token[256];
} p11_mod;

static void p11_close(p11_mod *m)
{
	if (m->inited)
		m->f->C_Finalize(NULL);
	if (m->lib)
		dlclose(m->lib);
	memset(m, 0, sizeof(*m));
}

static int p11_open(const char *uri, p11_mod *m, ats_err *err)
{
	char module[1024];
	CK_SLOT_ID slots[64];
	CK_ULONG nslots = 64;
	memset(m, 0, sizeof(*m));
	if (uri_attr(uri, "token", false, m->token, sizeof(m->token), NULL) != 0)
		return ats_err_set(err, ATS_EUSAGE, "%s: the URI names no token=", uri);
	if (uri_attr(uri, "module-path", true, module, sizeof(module), NULL) != 0)
		snprintf(module, sizeof(module), "%s", P11_KIT_PROXY);
	if (!(m->lib = dlopen(module, RTLD_NOW | RTLD_LOCAL)))
		return ats_err_set(err, ATS_EUSAGE, "%s: cannot load the PKCS#11 module %s", uri, module);
	CK_C_GetFunctionList gfl = (CK_C_GetFunctionList)dlsym(m->lib, "C_GetFunctionList");
	if (!gfl || gfl(&m->f) != CKR_OK || m->f->C_Initialize(NULL) != CKR_OK) {
		p11_close(m);
		return ats_err_set(err, ATS_EUSAGE, "%s: the PKCS#11 module %s does not start", uri, module);
	}
	m->inited = true;
	if (m->f->C_GetSlotList(CK_TRUE, slots, &nslots) != CKR_OK)
		nslots = 0;
	for (CK_ULONG i = 0; i < nslots; i++) {
		CK_TOKEN_INFO ti;
		if (m->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		size_t n = sizeof(ti.label);
		while (n && ti.label[n - 1] == ' ')
			n--;
		if (n == strlen(m->token) && memcmp(ti.label, m->token, n) == 0) {
			m->slot = slots[i];
			return 1;
		}
	}
	return 0;
}

/* After the engine found no key: which of the two it is, in one line. */
static int not_found(const char *uri, ats_err *err)
{
	p11_mod m;
	ats_err e2 = {0};
	int f = p11_open(uri, &m, &e2);
	if (f == 0)
		ats_err_set(err, ATS_EUSAGE, "%s: the token is absent (no token labelled '%s')", uri, m.token);
	else if (f > 0)
		ats_err_set(err, ATS_EUSAGE, "%s: token '%s' is there, but holds no such private key "
					     "(check object= / id=)", uri, m.token);
	else
		ats_err_set(err, ATS_EUSAGE, "%s: no such private key (the token is absent, or has no "
					     "object with this label/id)", uri);
	p11_close(&m);
	return ATS_EUSAGE;
}

int ats_p11_keygen(const char *uri, const char *pin, ats_err *err)
{
	char label[256], id[128];
	size_t id_len = 0, label_len = 0;
	p11_mod m;
	CK_FUNCTION_LIST_PTR f;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_RV rv;
	int rc = ATS_EUSAGE, found;

	if (uri_attr(uri, "object", false, label, sizeof(label), &label_len) != 0)
		return ats_err_set(err, ATS_EUSAGE, "%s: to make a key, the URI names its token= and object=", uri);
	if (uri_attr(uri, "id", false, id, sizeof(id), &id_len) != 0) {
		id_len = 8; /* pkcs11-tool and libp11 find keys by id as well as label */
		if (RAND_bytes((unsigned char *)id, (int)id_len) != 1)
			return ats_err_set(err, ATS_ECRYPTO, "no randomness");
	}
	if ((found = p11_open(uri, &m, err)) < 0)
		return found;
	f = m.f;
	slot = m.slot;
	if (!found) {
		ats_err_set(err, ATS_EUSAGE, "%s: the token is absent (no token labelled '%s')", uri, m.token);
		goto out;
	}
	if ((rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s)) != CKR_OK) {
		ats_err_set(err, ATS_EUSAGE, "%s: %s (cannot open a session)", uri, ckr_text(rv));
		goto out;
	}
	if (!pin || !*pin) {
		ats_err_set(err, ATS_EUSAGE, "%s: making a key needs the token's PIN", uri);
		goto out;
	}
	if ((rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin))) != CKR_OK &&
	    rv != CKR_USER_ALREADY_LOGGED_IN) {
		ats_err_set(err, ATS_EUSAGE, "%s: %s", uri, ckr_text(rv));
		goto out;
	}
	CK_OBJECT_CLASS priv_class = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE find[] = {{CKA_CLASS, &priv_class, sizeof(priv_class)}, {CKA_LABEL, label, label_len}};
	CK_OBJECT_HANDLE h;
	CK_ULONG nfound = 0;
	if (f->C_FindObjectsInit(s, find, 2) == CKR_OK) {
		f->C_FindObjects(s, &h, 1, &nfound);
		f->C_FindObjectsFinal(s);
	}
	if (nfound) {
		ats_err_set(err, ATS_EUSAGE, "%s: the token already holds a private key labelled '%s'; a key is "
					     "never replaced", uri, label);
		goto out;
	}
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
	CK_ATTRIBUTE pub[] = {
		{CKA_EC_PARAMS, (void *)p256_params, sizeof(p256_params)}, {CKA_TOKEN, &yes, sizeof(yes)},
		{CKA_VERIFY, &yes, sizeof(yes)}, {CKA_LABEL, label, label_len}, {CKA_ID, id, id_len},
	};
	CK_ATTRIBUTE priv[] = {
		{CKA_TOKEN, &yes, sizeof(yes)}, {CKA_PRIVATE, &yes, sizeof(yes)},
		{CKA_SENSITIVE, &yes, sizeof(yes)}, {CKA_EXTRACTABLE, &no, sizeof(no)},
		{CKA_SIGN, &yes, sizeof(yes)}, {CKA_LABEL, label, label_len}, {CKA_ID, id, id_len},
	};
	CK_OBJECT_HANDLE hpub, hpriv;
	if ((rv = f->C_GenerateKeyPair(s, &mech, pub, sizeof(pub) / sizeof(pub[0]), priv,
				       sizeof(priv) / sizeof(priv[0]), &hpub, &hpriv)) != CKR_OK) {
		ats_err_set(err, ATS_EUSAGE, "%s: %s (key generation)", uri, ckr_text(rv));
		goto out;
	}
	rc = 0;
out:
	if (s != CK_INVALID_HANDLE) {
		f->C_Logout(s);
		f->C_CloseSession(s);
	}
	p11_close(&m);
	return rc;
}
