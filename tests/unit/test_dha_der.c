/* The DER reader of device certificates and keys on every truncation and on flipped bytes:
 * never reads outside its input (run under ASan), never takes a broken input for a good one. */
#include "dha/barcode.h"
#include "dha/dha_der.h"
#include "base/pem.h"
#include "testutil.h"

static unsigned char *device_der(size_t *n)
{
	EVP_PKEY *ca_key = tu_key("ec:P-256"), *key = tu_key("ec:P-256");
	X509 *ca = tu_cert("/CN=DAK", ca_key, NULL, NULL, 1);
	X509 *dev = tu_cert("/CN=Device", key, ca, ca_key, 0);
	unsigned char *der = NULL;
	int len = i2d_X509(dev, &der);
	cr_assert_gt(len, 0);
	unsigned char *copy = malloc((size_t)len);
	memcpy(copy, der, (size_t)len);
	OPENSSL_free(der);
	X509_free(dev);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
	*n = (size_t)len;
	return copy;
}

/* Everything a verify would read from a parsed certificate. */
static void read_all(const ats_dha_cert *c)
{
	ats_der_ext e;
	size_t pos = 0;
	bool ca;
	unsigned ku;
	ats_der_span id;
	while (ats_der_ext_next(c->exts, &pos, &e) == 1) {
		ats_der_bc_read(e.value, &ca);
		ats_der_ku_read(e.value, &ku);
		ats_der_ski_read(e.value, &id);
		ats_der_aki_read(e.value, &id);
	}
}

Test(dha_der, reads_a_device_certificate)
{
	size_t n;
	unsigned char *der = device_der(&n);
	ats_dha_cert c;
	ats_der_ext e;
	bool ca = true;
	unsigned ku = 0;
	ats_der_span id;
	cr_assert_eq(ats_dha_cert_read(der, n, &c), 0);
	cr_assert_eq(c.version, 3);
	cr_assert_eq(c.point.n, ATS_P256_POINT_LEN);
	cr_assert_eq(c.c.spki.n, ATS_P256_SPKI_LEN);
	cr_assert_eq(memcmp(c.c.spki.p, ats_p256_spki_prefix, sizeof(ats_p256_spki_prefix)), 0);
	cr_assert_eq(memcmp(c.sigalg.p, ats_ecdsa_sha256_alg, sizeof(ats_ecdsa_sha256_alg)), 0);
	cr_assert_eq(ats_der_ext_find(c.exts, ats_oid_basic_constraints, 3, &e), 1);
	cr_assert(e.critical);
	cr_assert_eq(ats_der_bc_read(e.value, &ca), 0);
	cr_assert(!ca);
	cr_assert_eq(ats_der_ext_find(c.exts, ats_oid_key_usage, 3, &e), 1);
	cr_assert_eq(ats_der_ku_read(e.value, &ku), 0);
	cr_assert(ku & ATS_KU_DIGITAL_SIGNATURE);
	cr_assert_eq(ats_der_ext_find(c.exts, ats_oid_aki, 3, &e), 1);
	cr_assert_eq(ats_der_aki_read(e.value, &id), 0);
	cr_assert_eq(id.n, 20);
	cr_assert_eq(ats_der_ext_find(c.exts, (const unsigned char *)"\x55\x1d\x99", 3, &e), 0);
	free(der);
}

Test(dha_der, every_truncation_and_flip_is_safe)
{
	size_t n;
	unsigned char *der = device_der(&n);
	ats_dha_cert c;
	for (size_t len = 0; len < n; len++) {
		unsigned char *cut = malloc(len ? len : 1); /* exact size: ASan sees any overread */
		memcpy(cut, der, len);
		cr_assert_neq(ats_dha_cert_read(cut, len, &c), 0, "truncated at %zu taken as whole", len);
		free(cut);
	}
	unsigned char *b = malloc(n);
	for (size_t i = 0; i < n; i++)
		for (int bit = 0; bit < 8; bit += 3) {
			memcpy(b, der, n);
			b[i] ^= (unsigned char)(1 << bit);
			if (ats_dha_cert_read(b, n, &c) == 0)
				read_all(&c);
		}
	free(b);
	free(der);
}

Test(dha_der, base64_loose)
{
	unsigned char out[64];
	size_t n = 0;
	const char *pem = "-----BEGIN PUBLIC KEY-----\r\nAAEC\r\nAw==\n-----END PUBLIC KEY-----\n";
	cr_assert_eq(ats_b64_decode_loose(pem, strlen(pem), out, sizeof(out), &n), 0);
	cr_assert_eq(n, 4);
	cr_assert_eq(memcmp(out, "\x00\x01\x02\x03", 4), 0);
	cr_assert_eq(ats_b64_decode_loose("AA=A", 4, out, sizeof(out), &n), -1, "'=' inside");
	cr_assert_eq(ats_b64_decode_loose("AAA", 3, out, sizeof(out), &n), -1, "not a multiple of 4");
	cr_assert_eq(ats_b64_decode_loose("AA*A", 4, out, sizeof(out), &n), -1, "not base64");
	cr_assert_eq(ats_b64_decode_loose("", 0, out, sizeof(out), &n), -1, "empty");
	cr_assert_eq(ats_b64_decode_loose("AAAAAAAA", 8, out, 3, &n), -1, "over capacity");
}

Test(dha_der, key_split_refuses_other_shapes)
{
	unsigned char scalar[32] = {1}, point[ATS_P256_POINT_LEN] = {4}, k[ATS_P256_PKCS8_LEN];
	const unsigned char *s, *p;
	ats_p256_pkcs8(scalar, point, k);
	cr_assert_eq(ats_p256_key_split(k, sizeof(k), &s, &p), 0);
	cr_assert_eq(memcmp(s, scalar, 32), 0);
	for (size_t len = 0; len < sizeof(k); len++)
		cr_assert_eq(ats_p256_key_split(k, len, &s, &p), -1);
	k[10] ^= 1; /* another algorithm */
	cr_assert_eq(ats_p256_key_split(k, sizeof(k), &s, &p), -1);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Every chunk's CRC-32, bit by bit, and the IDAT's zlib stream (one stored block) with its
 * Adler-32, byte by byte: the reference forms of what barcode.c computes a table or a row at a
 * time. */
static void check_png_sums(const unsigned char *img, size_t n)
{
	for (size_t i = 8; i + 12 <= n;) {
		uint32_t len = be32(img + i), crc = 0xffffffffu;
		cr_assert_leq(i + 12 + len, n);
		for (size_t j = i + 4; j < i + 8 + len; j++) {
			crc ^= img[j];
			for (int k = 0; k < 8; k++)
				crc = crc & 1 ? 0xedb88320u ^ (crc >> 1) : crc >> 1;
		}
		cr_assert_eq(~crc, be32(img + i + 8 + len), "CRC of chunk at %zu", i);
		if (memcmp(img + i + 4, "IDAT", 4) == 0) {
			const unsigned char *z = img + i + 8;
			size_t raw = (size_t)z[3] | (size_t)z[4] << 8;
			uint32_t a = 1, b = 0;
			cr_assert_eq(z[2], 1, "one final stored block");
			cr_assert_eq(raw ^ ((size_t)z[5] | (size_t)z[6] << 8), 0xffff);
			cr_assert_eq(len, 2 + 5 + raw + 4);
			for (size_t j = 0; j < raw; j++) {
				a = (a + z[7 + j]) % 65521;
				b = (b + a) % 65521;
			}
			cr_assert_eq(b << 16 | a, be32(z + 7 + raw), "Adler-32");
		}
		i += 12 + len;
	}
}

Test(dha_der, barcode_png_and_svg)
{
	unsigned char img[ATS_BARCODE_MAX];
	ats_err err = {0};
	size_t n = ats_barcode_render("DEV-000123", ATS_BARCODE_PNG, img, &err);
	cr_assert_gt(n, 100, "%s", err.msg);
	cr_assert_eq(memcmp(img, "\x89PNG\r\n\x1a\n", 8), 0);
	cr_assert_eq(memcmp(img + 12, "IHDR", 4), 0);
	cr_assert_eq(memcmp(img + n - 8, "IEND", 4), 0);
	check_png_sums(img, n);
	n = ats_barcode_render("A17559E9-000001", ATS_BARCODE_PNG, img, &err);
	cr_assert_gt(n, 100, "%s", err.msg);
	check_png_sums(img, n);
	n = ats_barcode_render("DEV-000123", ATS_BARCODE_SVG, img, &err);
	cr_assert_gt(n, 100);
	cr_assert(memmem(img, n, ">DEV-000123</text>", 18));
	cr_assert_eq(ats_barcode_render("\x01\x02", ATS_BARCODE_PNG, img, &err) > 0 ? 0 : 1, 0,
		     "Code 128 carries control characters");
}
