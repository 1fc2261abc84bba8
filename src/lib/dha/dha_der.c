#include "dha/dha_der.h"

#include "base/util.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OID_EC_PUBKEY 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01
#define OID_P256 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07

const unsigned char ats_p256_spki_prefix[26] = {
	0x30, 0x59, 0x30, 0x13, OID_EC_PUBKEY, OID_P256, 0x03, 0x42, 0x00,
};
const unsigned char ats_ecdsa_sha256_alg[12] = {
	0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
};
static const unsigned char pkcs8_head[] = {
	0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, OID_EC_PUBKEY, OID_P256,
	0x04, 0x6d, 0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, 0x20,
};
static const unsigned char sec1_head[] = {0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20};
static const unsigned char sec1_params[] = {0xa0, 0x0a, OID_P256};
static const unsigned char pub_head[] = {0xa1, 0x44, 0x03, 0x42, 0x00};

const unsigned char ats_oid_basic_constraints[3] = {0x55, 0x1d, 0x13};
const unsigned char ats_oid_key_usage[3] = {0x55, 0x1d, 0x0f};
const unsigned char ats_oid_ski[3] = {0x55, 0x1d, 0x0e};
const unsigned char ats_oid_aki[3] = {0x55, 0x1d, 0x23};

/* Reads the TLV at *p (within end), checks its tag; advances *p past it. */
static int take(const unsigned char **p, const unsigned char *end, unsigned want, ats_der_span *whole,
		ats_der_span *content)
{
	unsigned tag;
	size_t h, l;
	if (*p >= end || ats_der_tlv(*p, end, &tag, &h, &l) != 0 || tag != want)
		return -1;
	if (whole) {
		whole->p = *p;
		whole->n = h + l;
	}
	if (content) {
		content->p = *p + h;
		content->n = l;
	}
	*p += h + l;
	return 0;
}

/* The primitive values d2i_X509 checks as it decodes (found by tests/fuzz/fuzz_dha_der.c, which
 * holds this reader to what OpenSSL accepts): an OID's subidentifiers, INTEGER (and ENUMERATED) padding, BOOLEAN
 * and NULL lengths, a BIT STRING's unused bits, BMP and Universal string lengths. Constructed
 * values are walked; OCTET STRINGs (extension values, which OpenSSL reads only on demand) not. */
static int strict(const unsigned char *p, const unsigned char *end, int depth)
{
	while (p < end) {
		unsigned tag;
		size_t h, l;
		if (depth > 16 || ats_der_tlv(p, end, &tag, &h, &l) != 0)
			return -1;
		const unsigned char *v = p + h;
		p += h + l;
		if (tag & 0x20) {
			/* Universal constructed: SEQUENCE and SET only (BER's constructed strings and
			 * OpenSSL's "type not primitive" for the rest are refused alike). */
			if (((tag & 0xc0) == 0 && tag != 0x30 && tag != 0x31) ||
			    strict(v, v + l, depth + 1) != 0)
				return -1;
			continue;
		}
		bool universal = (tag & 0xc0) == 0;
		unsigned t = universal ? tag : (tag == 0x81 || tag == 0x82) ? 0x03 : 0; /* [1] [2] IDs */
		switch (t) {
		case 0x00: if (universal) return -1; break; /* an end-of-contents mark: BER only */
		case 0x01: if (l != 1) return -1; break;
		case 0x02:
		case 0x0a: /* ENUMERATED: decoded as an INTEGER is */
			if (l == 0 || (l > 1 && ((v[0] == 0x00 && !(v[1] & 0x80)) ||
						 (v[0] == 0xff && (v[1] & 0x80)))))
				return -1;
			break;
		case 0x03: if (l == 0 || v[0] > 7 || (l == 1 && v[0] != 0)) return -1; break;
		case 0x05: if (l != 0) return -1; break;
		case 0x10:
		case 0x11: if (universal) return -1; break; /* SEQUENCE, SET: constructed only */
		case 0x06:
			if (l == 0 || (v[l - 1] & 0x80))
				return -1;
			for (size_t i = 0; i < l; i++)
				if (v[i] == 0x80 && (i == 0 || !(v[i - 1] & 0x80)))
					return -1; /* a subidentifier with a leading 0x80 */
			break;
		case 0x1e: if (l & 1) return -1; break;
		case 0x1c: if (l & 3) return -1; break;
		default: break;
		}
	}
	return 0;
}

/* A Name as d2i_X509 decodes it: SEQUENCE OF SET OF SEQUENCE { OID, value }, the value one of
 * the string types OpenSSL's X509_NAME_ENTRY takes (tag2bit & B_ASN1_PRINTABLE), and the ones it
 * canonicalises (UTF8, BMP, Universal) well-formed Unicode. */
static bool unicode_ok(unsigned long c)
{
	return c <= 0x10ffff && (c < 0xd800 || c > 0xdfff);
}

static int name_value(unsigned tag, const unsigned char *v, size_t l)
{
	/* B_ASN1_PRINTABLE: Numeric, Printable, T61, IA5, BIT STRING, Universal, BMP, UTF8,
	 * SEQUENCE (constructed, 0x30), and the tags tag2bit calls "unknown" (7-9, 11, 13-15, 29). */
	static const unsigned char ok[32] = {[3] = 1, [7] = 1, [8] = 1, [9] = 1, [11] = 1, [12] = 1,
		[13] = 1, [14] = 1, [15] = 1, [18] = 1, [19] = 1, [20] = 1, [22] = 1, [28] = 1,
		[29] = 1, [30] = 1};
	if (tag == 0x30)
		return 0;
	if ((tag & 0xe0) != 0 || !ok[tag & 0x1f])
		return -1;
	if (tag == 0x0c)
		return ats_utf8_valid(v, l) ? 0 : -1;
	if (tag == 0x1e) {
		for (size_t i = 0; i + 1 < l; i += 2)
			if (!unicode_ok((unsigned long)v[i] << 8 | v[i + 1]))
				return -1;
	} else if (tag == 0x1c) {
		for (size_t i = 0; i + 3 < l; i += 4)
			if (!unicode_ok((unsigned long)v[i] << 24 | (unsigned long)v[i + 1] << 16 |
					(unsigned long)v[i + 2] << 8 | v[i + 3]))
				return -1;
	}
	return 0;
}

/* AlgorithmIdentifier: SEQUENCE { OID, parameters OPTIONAL }. */
static int alg_ok(ats_der_span alg)
{
	const unsigned char *p = alg.p, *end = alg.p + alg.n;
	ats_der_span seq, f;
	if (take(&p, end, 0x30, NULL, &seq) != 0 || p != end)
		return -1;
	p = seq.p;
	end = seq.p + seq.n;
	if (take(&p, end, 0x06, NULL, NULL) != 0)
		return -1;
	if (p < end && take(&p, end, *p, NULL, &f) != 0)
		return -1;
	return p == end ? 0 : -1;
}

static int name_ok(ats_der_span name)
{
	const unsigned char *p = name.p, *end = name.p + name.n;
	ats_der_span seq, set, atv, oid, val;
	if (take(&p, end, 0x30, NULL, &seq) != 0 || p != end)
		return -1;
	for (p = seq.p; p < seq.p + seq.n;) {
		if (take(&p, seq.p + seq.n, 0x31, NULL, &set) != 0)
			return -1;
		for (const unsigned char *q = set.p; q < set.p + set.n;) {
			if (take(&q, set.p + set.n, 0x30, NULL, &atv) != 0)
				return -1;
			const unsigned char *r = atv.p, *rend = atv.p + atv.n;
			if (take(&r, rend, 0x06, NULL, &oid) != 0 || r >= rend)
				return -1;
			unsigned tag = *r;
			if (take(&r, rend, tag, NULL, &val) != 0 || r != rend ||
			    name_value(tag, val.p, val.n) != 0)
				return -1;
		}
	}
	return 0;
}

int ats_dha_cert_read(const unsigned char *der, size_t len, ats_dha_cert *o)
{
	const unsigned char *p, *end, *tend;
	ats_der_span bits, content;

	memset(o, 0, sizeof(*o));
	if (ats_der_cert_read(der, len, &o->c) != 0 || o->c.cert.n != len)
		return -1;
	end = der + len;
	/* Inside the TBS: the version, the inner algorithm, and what follows the key. */
	p = o->c.tbs.p;
	tend = o->c.tbs.p + o->c.tbs.n;
	if (take(&p, tend, 0x30, NULL, &content) != 0)
		return -1;
	p = content.p;
	o->version = 1;
	if (p < tend && *p == 0xa0) {
		ats_der_span v, vi;
		if (take(&p, tend, 0xa0, NULL, &v) != 0)
			return -1;
		const unsigned char *vp = v.p;
		if (take(&vp, v.p + v.n, 0x02, NULL, &vi) != 0 || vi.n != 1 || vi.p[0] > 2)
			return -1;
		o->version = vi.p[0] + 1;
	}
	p = o->c.serial.p + o->c.serial.n;
	if (take(&p, tend, 0x30, &o->tbs_sigalg, NULL) != 0)
		return -1;
	p = o->c.spki.p + o->c.spki.n;
	unsigned last = 0;
	while (p < tend) {
		unsigned tag = *p;
		ats_der_span f;
		if ((tag != 0x81 && tag != 0x82 && tag != 0xa3) || (tag & 0x1f) <= last)
			return -1; /* [1] [2] [3], each at most once, in that order */
		last = tag & 0x1f;
		if (take(&p, tend, tag, NULL, &f) != 0)
			return -1;
		if (tag == 0xa3) {
			const unsigned char *ep = f.p;
			if (take(&ep, f.p + f.n, 0x30, &o->exts, NULL) != 0 || ep != f.p + f.n)
				return -1;
		}
	}
	/* The key bits. */
	p = o->c.spki.p;
	if (take(&p, o->c.spki.p + o->c.spki.n, 0x30, NULL, &content) != 0)
		return -1;
	p = content.p;
	ats_der_span key_alg;
	if (take(&p, content.p + content.n, 0x30, &key_alg, NULL) != 0 || alg_ok(key_alg) != 0 ||
	    take(&p, content.p + content.n, 0x03, NULL, &bits) != 0 || bits.n < 1 || bits.p[0] != 0 ||
	    p != content.p + content.n)
		return -1;
	o->point.p = bits.p + 1;
	o->point.n = bits.n - 1;
	/* After the TBS: the algorithm and the signature. */
	p = o->c.tbs.p + o->c.tbs.n;
	if (take(&p, end, 0x30, &o->sigalg, NULL) != 0 || take(&p, end, 0x03, NULL, &bits) != 0 ||
	    bits.n < 1 || bits.p[0] != 0 || p != end)
		return -1;
	o->sig.p = bits.p + 1;
	o->sig.n = bits.n - 1;
	/* Every extension well formed (OpenSSL decodes the list whole). */
	size_t pos = 0;
	ats_der_ext e;
	int r;
	while ((r = ats_der_ext_next(o->exts, &pos, &e)) == 1)
		;
	bool times = o->c.not_before.n && o->c.not_after.n &&
		     (o->c.not_before.p[0] == 0x17 || o->c.not_before.p[0] == 0x18) &&
		     (o->c.not_after.p[0] == 0x17 || o->c.not_after.p[0] == 0x18);
	if (r != 0 || !times || alg_ok(o->tbs_sigalg) != 0 || alg_ok(o->sigalg) != 0 ||
	    strict(der, end, 0) != 0 || name_ok(o->c.issuer) != 0 ||
	    name_ok(o->c.subject) != 0)
		return -1;
	return 0;
}

int ats_der_ext_next(ats_der_span exts, size_t *pos, ats_der_ext *e)
{
	const unsigned char *start, *end, *p;
	ats_der_span content, inner;

	if (exts.n == 0)
		return 0;
	p = exts.p;
	if (take(&p, exts.p + exts.n, 0x30, NULL, &content) != 0)
		return -1;
	start = content.p + *pos;
	end = content.p + content.n;
	if (start >= end)
		return 0;
	p = start;
	if (take(&p, end, 0x30, &e->whole, &inner) != 0)
		return -1;
	*pos = (size_t)(p - content.p);
	p = inner.p;
	end = inner.p + inner.n;
	e->critical = false;
	if (take(&p, end, 0x06, NULL, &e->oid) != 0)
		return -1;
	if (p < end && *p == 0x01) {
		ats_der_span b;
		if (take(&p, end, 0x01, NULL, &b) != 0 || b.n != 1)
			return -1;
		e->critical = b.p[0] != 0;
	}
	if (take(&p, end, 0x04, NULL, &e->value) != 0 || p != end)
		return -1;
	return 1;
}

int ats_der_ext_find(ats_der_span exts, const unsigned char *oid, size_t oidlen, ats_der_ext *e)
{
	size_t pos = 0;
	int r;
	while ((r = ats_der_ext_next(exts, &pos, e)) == 1)
		if (e->oid.n == oidlen && memcmp(e->oid.p, oid, oidlen) == 0)
			return 1;
	return r;
}

int ats_der_bc_read(ats_der_span v, bool *ca)
{
	const unsigned char *p = v.p, *end = v.p + v.n;
	ats_der_span c, b;
	*ca = false;
	if (take(&p, end, 0x30, NULL, &c) != 0 || p != end)
		return -1;
	p = c.p;
	if (p < c.p + c.n && *p == 0x01) {
		if (take(&p, c.p + c.n, 0x01, NULL, &b) != 0 || b.n != 1)
			return -1;
		*ca = b.p[0] != 0;
	}
	return 0;
}

int ats_der_ku_read(ats_der_span v, unsigned *bits)
{
	const unsigned char *p = v.p, *end = v.p + v.n;
	ats_der_span b;
	*bits = 0;
	if (take(&p, end, 0x03, NULL, &b) != 0 || p != end || b.n < 1)
		return -1;
	if (b.n >= 2)
		*bits = b.p[1];
	if (b.n >= 3)
		*bits |= (unsigned)b.p[2] << 8;
	return 0;
}

int ats_der_ski_read(ats_der_span v, ats_der_span *id)
{
	const unsigned char *p = v.p;
	return take(&p, v.p + v.n, 0x04, NULL, id) == 0 && p == v.p + v.n ? 0 : -1;
}

int ats_der_aki_read(ats_der_span v, ats_der_span *keyid)
{
	const unsigned char *p = v.p;
	ats_der_span c;
	keyid->p = NULL;
	keyid->n = 0;
	if (take(&p, v.p + v.n, 0x30, NULL, &c) != 0 || p != v.p + v.n)
		return -1;
	p = c.p;
	if (p < c.p + c.n && *p == 0x80 && take(&p, c.p + c.n, 0x80, NULL, keyid) != 0)
		return -1;
	return 0;
}

size_t ats_der_put_hdr(unsigned char *out, unsigned tag, size_t len)
{
	unsigned char b[6];
	size_t n = 0;
	b[n++] = (unsigned char)tag;
	if (len < 0x80) {
		b[n++] = (unsigned char)len;
	} else if (len < 0x100) {
		b[n++] = 0x81;
		b[n++] = (unsigned char)len;
	} else if (len < 0x10000) {
		b[n++] = 0x82;
		b[n++] = (unsigned char)(len >> 8);
		b[n++] = (unsigned char)len;
	} else {
		b[n++] = 0x83;
		b[n++] = (unsigned char)(len >> 16);
		b[n++] = (unsigned char)(len >> 8);
		b[n++] = (unsigned char)len;
	}
	if (out)
		memcpy(out, b, n);
	return n;
}

void ats_p256_spki(const unsigned char point[ATS_P256_POINT_LEN], unsigned char out[ATS_P256_SPKI_LEN])
{
	memcpy(out, ats_p256_spki_prefix, sizeof(ats_p256_spki_prefix));
	memcpy(out + sizeof(ats_p256_spki_prefix), point, ATS_P256_POINT_LEN);
}

void ats_p256_pkcs8(const unsigned char scalar[32], const unsigned char point[ATS_P256_POINT_LEN],
		    unsigned char out[ATS_P256_PKCS8_LEN])
{
	unsigned char *o = out;
	memcpy(o, pkcs8_head, sizeof(pkcs8_head));
	o += sizeof(pkcs8_head);
	memcpy(o, scalar, 32);
	o += 32;
	memcpy(o, pub_head, sizeof(pub_head));
	o += sizeof(pub_head);
	memcpy(o, point, ATS_P256_POINT_LEN);
}

int ats_p256_key_split(const unsigned char *der, size_t len, const unsigned char **scalar,
		       const unsigned char **point)
{
	const unsigned char *p;
	if (len == ATS_P256_PKCS8_LEN && memcmp(der, pkcs8_head, sizeof(pkcs8_head)) == 0) {
		p = der + sizeof(pkcs8_head) + 32;
	} else if (len == 121 && memcmp(der, sec1_head, sizeof(sec1_head)) == 0 &&
		   memcmp(der + sizeof(sec1_head) + 32, sec1_params, sizeof(sec1_params)) == 0) {
		p = der + sizeof(sec1_head) + 32 + sizeof(sec1_params);
	} else {
		return -1;
	}
	if (memcmp(p, pub_head, sizeof(pub_head)) != 0 || p[sizeof(pub_head)] != 0x04)
		return -1;
	*scalar = p - 32;
	*point = p + sizeof(pub_head);
	return 0;
}

size_t ats_der_signed(const unsigned char *body, size_t body_len, const unsigned char *sig,
		      size_t sig_len, unsigned char *out)
{
	size_t bits_hdr = ats_der_put_hdr(NULL, 0x03, sig_len + 1);
	size_t content = body_len + sizeof(ats_ecdsa_sha256_alg) + bits_hdr + sig_len + 1;
	unsigned char *o = out;
	o += ats_der_put_hdr(o, 0x30, content);
	memcpy(o, body, body_len);
	o += body_len;
	memcpy(o, ats_ecdsa_sha256_alg, sizeof(ats_ecdsa_sha256_alg));
	o += sizeof(ats_ecdsa_sha256_alg);
	o += ats_der_put_hdr(o, 0x03, sig_len + 1);
	*o++ = 0x00;
	memcpy(o, sig, sig_len);
	o += sig_len;
	return (size_t)(o - out);
}

size_t ats_der_put_time(unsigned char *out, time_t t)
{
	struct tm tm;
	char s[20];
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 1950 || tm.tm_year + 1900 > 9999)
		return 0;
	bool utc = tm.tm_year + 1900 < 2050;
	size_t n = strftime(s, sizeof(s), utc ? "%y%m%d%H%M%SZ" : "%Y%m%d%H%M%SZ", &tm);
	out[0] = utc ? 0x17 : 0x18;
	out[1] = (unsigned char)n;
	memcpy(out + 2, s, n);
	return n + 2;
}

size_t ats_b64_lines_len(size_t n)
{
	size_t b64 = (n + 2) / 3 * 4;
	return b64 + (b64 + 63) / 64 + 1;
}

size_t ats_b64_lines(const unsigned char *data, size_t n, char *out)
{
	char *o = out;
	for (size_t i = 0; i < n; i += 48) {
		size_t k = n - i < 48 ? n - i : 48;
		o += EVP_EncodeBlock((unsigned char *)o, data + i, (int)k);
		*o++ = '\n';
	}
	*o = '\0';
	return (size_t)(o - out);
}

int ats_b64_decode_loose(const char *text, size_t len, unsigned char *out, size_t cap,
			 size_t *outlen)
{
	/* Keep only the base64 alphabet; lines starting with "-----" (PEM markers) are skipped. */
	char *clean = malloc(len + 1);
	size_t n = 0, pad = 0;
	int rc = -1;
	if (!clean)
		return -1;
	for (size_t i = 0; i < len;) {
		size_t e = i;
		while (e < len && text[e] != '\n')
			e++;
		if (!(e - i >= 5 && memcmp(text + i, "-----", 5) == 0)) {
			for (size_t k = i; k < e; k++) {
				char c = text[k];
				if (c == ' ' || c == '\t' || c == '\r')
					continue;
				if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
				      (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '='))
					goto out;
				clean[n++] = c;
			}
		}
		i = e + 1;
	}
	if (n == 0 || n % 4 != 0 || (n / 4) * 3 > cap)
		goto out;
	while (pad < 2 && clean[n - 1 - pad] == '=')
		pad++;
	for (size_t k = 0; k < n - pad; k++)
		if (clean[k] == '=')
			goto out;
	int w = EVP_DecodeBlock(out, (const unsigned char *)clean, (int)n);
	if (w < 0)
		goto out;
	*outlen = (size_t)w - pad;
	rc = 0;
out:
	free(clean);
	return rc;
}

void ats_der_name_text(ats_der_span s, char *out, size_t cap)
{
	const unsigned char *p = s.p;
	X509_NAME *n = d2i_X509_NAME(NULL, &p, (long)s.n);
	BIO *b = BIO_new(BIO_s_mem());
	out[0] = '\0';
	if (n && b && X509_NAME_print_ex(b, n, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		int k = BIO_read(b, out, (int)cap - 1);
		out[k > 0 ? k : 0] = '\0';
	}
	BIO_free(b);
	X509_NAME_free(n);
}
