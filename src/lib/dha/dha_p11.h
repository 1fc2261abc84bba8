/* The DAK's private key in a PKCS#11 token, named by an RFC 7512 URI
 * ("pkcs11:token=Factory%20DAK;object=dak-key;type=private", optionally "?module-path=/usr/lib/
 * softhsm/libsofthsm2.so"; without module-path, p11-kit's proxy, which loads every module the
 * system registered). The key never leaves the token: signing goes through libp11's OpenSSL engine
 * ("pkcs11", Debian's libengine-pkcs11-openssl, loaded at run time through OpenSSL's ENGINE API:
 * Debian 12's OpenSSL 3.0 has no PKCS#11 provider). Key generation in the token (dak csr) talks
 * to the module directly (C_GenerateKeyPair), which the engine cannot do.
 *
 * The PIN comes from a file or the caller (an environment variable), never from the URI (a PIN
 * there would sit on a command line); it is wiped after use and never put in a message. */
#ifndef ATS_DHA_P11_H
#define ATS_DHA_P11_H

#include "base/ats.h"

#include <openssl/evp.h>
#include <stdbool.h>

#define ATS_P11_PIN_MAX 128

bool ats_p11_is_uri(const char *s);

/* The PIN: the first line of pin_file, else pin (may be NULL: then the URI needs none). */
int ats_p11_pin(const char *uri, const char *pin_file, const char *pin, char out[ATS_P11_PIN_MAX + 1],
		ats_err *err);

/* The token's private key as an EVP_PKEY whose operations run in the token. Errors name the URI
 * and say which: the engine missing, the token absent, the PIN wrong, the object missing. */
int ats_p11_load_key(const char *uri, const char *pin, EVP_PKEY **out, ats_err *err);

/* Makes a P-256 key pair in the token with the URI's object label (and id, when given), the
 * private half sensitive and not extractable. Refused when the token already has that label. */
int ats_p11_keygen(const char *uri, const char *pin, ats_err *err);

#endif
