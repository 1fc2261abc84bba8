#include "base/pem.h"

#include "base/der.h"
#include "base/util.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void problem(const ats_cert_sink *s, int line, int index, const char *fmt, const char *arg)
{
	char msg[256];
	snprintf(msg, sizeof(msg), fmt, arg);
	ats_cert_pos pos = {.line = line, .index = index};
	if (s->problem)
		s->problem(s->ctx, pos, msg);
}

/* A certificate's DER: checks the skeleton; TRUSTED CERTIFICATE carries trust settings after it. */
static int emit_cert(const ats_cert_sink *s, const unsigned char *der, size_t len, ats_cert_pos pos,
		     int trusted)
{
	int line = pos.line, index = pos.index;
	ats_der_cert c;
	if (ats_der_cert_read(der, len, &c) != 0) {
		problem(s, line, index, "%s", "not a valid certificate (DER structure is broken)");
		return 0;
	}
	if (c.cert.n != len && !trusted) {
		problem(s, line, index, "%s", "certificate followed by unexpected bytes");
		return 0;
	}
	if (s->cert)
		s->cert(s->ctx, der, c.cert.n, pos);
	return 1;
}

/* from: the range of the data the bundle came from (its PEM block, or the DER itself). */
static int scan_pkcs7(const unsigned char *der, size_t len, const ats_cert_sink *s, int line,
		      int *index, ats_cert_pos from)
{
	const unsigned char *p = der;
	int found = 0;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)len);
	STACK_OF(X509) *certs = NULL;

	if (p7 && PKCS7_type_is_signed(p7) && p7->d.sign)
		certs = p7->d.sign->cert;
	if (!certs) {
		problem(s, line, ++*index, "%s", "not a readable PKCS#7 certificate bundle");
		PKCS7_free(p7);
		return 0;
	}
	for (int i = 0; i < sk_X509_num(certs); i++) {
		unsigned char *d = NULL;
		int n = i2d_X509(sk_X509_value(certs, i), &d);
		if (n > 0)
			found += emit_cert(s, d, (size_t)n,
					   (ats_cert_pos){line, ++*index, from.off, from.len}, 0);
		OPENSSL_free(d);
	}
	PKCS7_free(p7);
	return found;
}

static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl ? nl : end;
}

/* Length of a line without trailing whitespace (CR included). */
static size_t trimmed(const char *p, const char *e)
{
	while (e > p && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return (size_t)(e - p);
}

/* The alphabet's values; 0x80 for every other byte. */
static const unsigned char b64_value[256] = {
#define X 0x80
	X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
	X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
	X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  62, X,  X,  X,  63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X,  X,  X,  X,  X,  X,
	X,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X,  X,  X,  X,  X,
	X,  26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X,  X,  X,  X,  X,
	X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
	X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
	X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
	X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
	X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
	X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
	X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
	X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
#undef X
};

long ats_b64_plain_line(const char *p, size_t n, unsigned char *out)
{
	const unsigned char *s = (const unsigned char *)p;
	unsigned char *o = out;
	if (n == 0 || n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		unsigned a = b64_value[s[i]], b = b64_value[s[i + 1]], c = b64_value[s[i + 2]],
			 d = b64_value[s[i + 3]];
		if ((a | b | c | d) & 0x80)
			return -1;
		unsigned v = a << 18 | b << 12 | c << 6 | d;
		o[0] = (unsigned char)(v >> 16);
		o[1] = (unsigned char)(v >> 8);
		o[2] = (unsigned char)v;
		o += 3;
	}
	return (long)(o - out);
}

/* At least more bytes free after used in *buf (grown, doubling); false when memory is out. */
static bool room(unsigned char **buf, size_t *cap, size_t used, size_t more)
{
	if (more <= *cap - used)
		return true;
	if (more > SIZE_MAX / 2 - used)
		return false;
	unsigned char *g = realloc(*buf, 2 * (used + more));
	if (!g)
		return false;
	*buf = g;
	*cap = 2 * (used + more);
	return true;
}

static int scan_pem(const char *text, size_t len, const ats_cert_sink *s)
{
	const char *p = text, *end = text + len;
	int lineno = 0, index = 0, found = 0;
	/* One block's DER at a time, grown to the largest block (a bundle's certificates are a few
	 * KB each: a buffer the size of the whole file was most of an audit's heap). */
	size_t cap = 8192;
	unsigned char *buf = malloc(cap);
	if (!buf)
		return 0;

	while (p < end) {
		const char *e = line_end(p, end);
		size_t n = trimmed(p, e);
		lineno++;
		if (n > 16 && strncmp(p, "-----BEGIN ", 11) == 0 && strncmp(p + n - 5, "-----", 5) == 0) {
			char label[64];
			size_t ll = n - 16;
			int begin = lineno, ok = 1, ended = 0, plain = 1, oom = 0;
			size_t block_off = (size_t)(p - text);
			size_t out = 0;
			EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();

			if (ll >= sizeof(label))
				ll = sizeof(label) - 1;
			memcpy(label, p + 11, ll);
			label[ll] = '\0';
			EVP_DecodeInit(ctx);
			p = e < end ? e + 1 : end;
			while (p < end) {
				e = line_end(p, end);
				n = trimmed(p, e);
				lineno++;
				if (n >= 9 && strncmp(p, "-----END ", 9) == 0) {
					ended = 1;
					p = e < end ? e + 1 : end;
					break;
				}
				if (n >= 11 && strncmp(p, "-----BEGIN ", 11) == 0)
					break; /* next block starts: this one is truncated */
				/* n base64 characters (and OpenSSL's held-back 64 at most) decode to
				 * fewer than n + 64 bytes */
				if (n && ok && !room(&buf, &cap, out, n + 64))
					ok = 0, oom = 1;
				if (n && !memchr(p, ':', n) && ok) {
					int w = 0;
					/* Plain lines up to the first that is not: OpenSSL has been given
					 * nothing yet, so it holds no partial group and has seen no padding. */
					long k = plain ? ats_b64_plain_line(p, n, buf + out) : -1;
					if (k >= 0) {
						out += (size_t)k;
					} else {
						plain = 0;
						if (EVP_DecodeUpdate(ctx, buf + out, &w, (const unsigned char *)p,
								     (int)n) < 0)
							ok = 0;
						else
							out += (size_t)w;
					}
				}
				p = e < end ? e + 1 : end;
			}
			if (ok && !room(&buf, &cap, out, 64))
				ok = 0, oom = 1;
			if (ok) {
				int w = 0;
				if (EVP_DecodeFinal(ctx, buf + out, &w) < 0)
					ok = 0;
				out += (size_t)w;
			}
			EVP_ENCODE_CTX_free(ctx);
			size_t block_len = (size_t)(p - text) - block_off; /* through the END line */
			if (!ended)
				problem(s, begin, ++index, "truncated %s block (no END line)", label);
			else if (oom)
				problem(s, begin, ++index, "out of memory decoding this %s block", label);
			else if (!ok || out == 0)
				problem(s, begin, ++index, "%s block is not valid base64", label);
			else if (strcmp(label, "CERTIFICATE") == 0 || strcmp(label, "X509 CERTIFICATE") == 0)
				found += emit_cert(s, buf, out, (ats_cert_pos){begin, ++index, block_off, block_len}, 0);
			else if (strcmp(label, "TRUSTED CERTIFICATE") == 0)
				found += emit_cert(s, buf, out, (ats_cert_pos){begin, ++index, block_off, block_len}, 1);
			else if (strcmp(label, "PKCS7") == 0 || strcmp(label, "CERTIFICATES") == 0)
				found += scan_pkcs7(buf, out, s, begin, &index,
						    (ats_cert_pos){.off = block_off, .len = block_len});
			else
				problem(s, begin, ++index, "%s block is not a certificate: skipped", label);
			continue;
		}
		p = e < end ? e + 1 : end;
	}
	free(buf);
	return found;
}

int ats_certs_scan(const unsigned char *data, size_t len, const ats_cert_sink *s)
{
	int index = 0, found = 0;

	if (len == 0) {
		problem(s, 0, 0, "%s", "empty file: no certificates");
		return 0;
	}
	/* A text file with a PEM marker anywhere is PEM; anything else must be DER. */
	if (memmem(data, len, "-----BEGIN ", 11)) {
		found = scan_pem((const char *)data, len, s);
		if (found == 0 && s->problem == NULL)
			return 0;
		return found;
	}
	if (data[0] != 0x30) {
		problem(s, 0, 0, "%s", "no PEM block, and not DER or PKCS#7 either");
		return 0;
	}
	/* DER: one or more certificates back to back, or one PKCS#7 structure. */
	const unsigned char *p = data, *end = data + len;
	ats_der_cert c;
	if (ats_der_cert_read(p, len, &c) != 0)
		return scan_pkcs7(data, len, s, 0, &index, (ats_cert_pos){.off = 0, .len = len});
	while (p < end) {
		if (ats_der_cert_read(p, (size_t)(end - p), &c) != 0) {
			problem(s, 0, ++index, "%s", "truncated or broken DER certificate");
			break;
		}
		found += emit_cert(s, p, c.cert.n,
				   (ats_cert_pos){0, ++index, (size_t)(p - data), c.cert.n}, 0);
		p += c.cert.n;
	}
	return found;
}

struct first {
	unsigned char *der;
	size_t len;
};

static void keep_first(void *ctx, const unsigned char *der, size_t len, ats_cert_pos pos)
{
	struct first *f = ctx;
	(void)pos;
	if (f->der)
		return;
	f->der = malloc(len);
	if (f->der) {
		memcpy(f->der, der, len);
		f->len = len;
	}
}

int ats_pem_decode_first(const char *pem, size_t len, unsigned char **der, size_t *derlen)
{
	struct first f = {NULL, 0};
	ats_cert_sink s = {&f, keep_first, NULL};
	scan_pem(pem, len, &s);
	*der = f.der;
	*derlen = f.len;
	return f.der ? 0 : -1;
}

size_t ats_pem_encoded_len(size_t derlen, const char *label)
{
	size_t b64 = (derlen + 2) / 3 * 4;
	return b64 + b64 / 64 + 2 + 2 * (strlen(label) + 16) + 2;
}

size_t ats_pem_encode(const unsigned char *der, size_t derlen, const char *label, char *out)
{
	char *o = out;
	o += sprintf(o, "-----BEGIN %s-----\n", label);
	for (size_t i = 0; i < derlen; i += 48) {
		size_t n = derlen - i < 48 ? derlen - i : 48;
		o += EVP_EncodeBlock((unsigned char *)o, der + i, (int)n);
		*o++ = '\n';
	}
	o += sprintf(o, "-----END %s-----\n", label);
	return (size_t)(o - out);
}

int ats_pem_write_certs(const char *path, X509 *const *certs, int n, ats_err *err)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	int rc = 0;
	if (!b)
		return ats_err_set(err, ATS_ENOMEM, "%s: out of memory encoding %d certificates", path, n);
	for (int i = 0; i < n && rc == 0; i++)
		if (!PEM_write_bio_X509(b, certs[i]))
			rc = ats_err_set(err, ATS_ECRYPTO, "%s: cannot encode certificate %d", path, i + 1);
	long len = BIO_get_mem_data(b, &data);
	if (rc == 0)
		rc = ats_file_write_atomic(path, data, (size_t)len, 0644, err);
	BIO_free(b);
	return rc;
}
