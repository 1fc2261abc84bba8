/* A CA file in a trust store, parsed only where a chain needs it. Loading a ~146-certificate
 * system bundle as X509 objects costs ~20 ms and most of a probe's memory, while a chain asks for
 * one or two issuers. This pre-scans the file (PEM blocks decoded, each subject's canonical hash
 * kept, no X509 built) and gives OpenSSL an X509_LOOKUP that parses the certificates of a subject
 * when a verification first asks for it, as OpenSSL's own hashed-directory lookup does. The
 * verification itself is OpenSSL's, with the same result as X509_STORE_load_file (tests/unit/
 * test_lazy_store.c compares them). A file holding anything but certificates (a CRL, a broken
 * block) is loaded whole by OpenSSL instead, so nothing it would have read is lost. */
#ifndef ATS_LAZY_STORE_H
#define ATS_LAZY_STORE_H

#include <openssl/x509.h>

/* Adds file's certificates to st, lazily where it can. Returns 1 on success, 0 when the file
 * cannot be read (as X509_STORE_load_file does; OpenSSL's error queue may hold the reason). */
int ats_lazy_store_load_file(X509_STORE *st, const char *file);

#endif
