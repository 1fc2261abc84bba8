/* The fixed templates of dha_tmpl.c and provision_make.c, proven byte for byte against what
 * OpenSSL itself encodes for the same key, serial and dates: the TBS certificate, the CSR info,
 * the PKCS#8 private key PEM, the SubjectPublicKeyInfo and the base64 control-log key. */
#include "dha/dha_conf.h"
#include "dha/dha_tmpl.h"
#include "base/pem.h"
#include "dha/provision_make.h"
#include "testutil.h"

#include <openssl/bio.h>
#include <openssl/pem.h>

static const char device_conf[] =
	"[ req ]\nprompt = no\ndistinguished_name = dn\nstring_mask = utf8only\n\n"
	"[ dn ]\nC = US\nO = Example Devices Inc.\nOU = Frustration Free Setup\nCN = Example DHA\n\n"
	"[ req_ext ]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n"
	"subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n";

/* The same conf with request extensions, so the CSR template has holes too. */
static const char device_conf_reqext[] =
	"[ req ]\nprompt = no\ndistinguished_name = dn\nreq_extensions = csr_ext\n\n"
	"[ dn ]\nC = DE\n0.OU = Line 1\n1.OU = Line 2\nCN = Gerät 7\n\n"
	"[ csr_ext ]\nsubjectKeyIdentifier = hash\nkeyUsage = digitalSignature\n\n"
	"[ req_ext ]\nbasicConstraints = CA:FALSE\nsubjectKeyIdentifier = hash\n"
	"authorityKeyIdentifier = keyid:always\nextendedKeyUsage = clientAuth\n";

typedef struct fixture {
	char *dir;
	EVP_PKEY *dak_key;
	X509 *dak;
	ats_dha_conf *conf;
} fixture;

static fixture setup(const char *conf_text)
{
	fixture f;
	ats_err err = {0};
	f.dir = tu_tmpdir();
	f.dak_key = tu_key("ec:P-256");
	f.dak = tu_cert("/C=US/O=Example Devices Inc./CN=Example DAK", f.dak_key, NULL, NULL, 1);
	tu_write_str(tu_path(f.dir, "device.conf"), conf_text);
	cr_assert_eq(ats_dha_conf_load(tu_path(f.dir, "device.conf"), &f.conf, &err), 0, "%s", err.msg);
	return f;
}

static void teardown(fixture *f)
{
	ats_dha_conf_free(f->conf);
	X509_free(f->dak);
	EVP_PKEY_free(f->dak_key);
	tu_rmtree(f->dir);
}

/* What `openssl x509 -req -extfile device.conf -extensions req_ext -CA dak` encodes. */
static unsigned char *openssl_tbs(fixture *f, EVP_PKEY *key, const unsigned char *serial,
				  time_t nb, time_t na, int *n)
{
	ats_err err = {0};
	X509 *x = X509_new();
	unsigned char *der = NULL;
	cr_assert(X509_set_version(x, 2));
	cr_assert(ASN1_STRING_set(X509_get_serialNumber(x), serial, ATS_SERIAL_LEN));
	cr_assert(X509_set_issuer_name(x, X509_get_subject_name(f->dak)));
	cr_assert(ASN1_TIME_set(X509_getm_notBefore(x), nb));
	cr_assert(ASN1_TIME_set(X509_getm_notAfter(x), na));
	cr_assert(X509_set_subject_name(x, ats_dha_conf_subject(f->conf)));
	cr_assert(X509_set_pubkey(x, key));
	cr_assert_eq(ats_dha_conf_add_exts(f->conf, "req_ext", x, f->dak, &err), 0, "%s", err.msg);
	cr_assert(X509_sign(x, f->dak_key, EVP_sha256()));
	*n = i2d_re_X509_tbs(x, &der);
	X509_free(x);
	return der;
}

static void check_device(fixture *f, time_t nb, time_t na)
{
	ats_err err = {0};
	ats_dha_tmpl *t = NULL;
	cr_assert_eq(ats_dha_tmpl_new(f->conf, "req_ext", f->dak, nb, na, &t, &err), 0, "%s", err.msg);
	ats_prov_maker *m = ats_prov_maker_new(t, f->dak_key, &err);
	cr_assert_not_null(m, "%s", err.msg);

	for (int round = 0; round < 3; round++) {
		EVP_PKEY *key = tu_key("ec:P-256");
		unsigned char serial[ATS_SERIAL_LEN];
		ats_prov_device d;
		cr_assert_eq(ats_prov_serial(serial), 0);
		cr_assert_eq(ats_prov_make(m, key, serial, &d, &err), 0, "%s", err.msg);

		/* TBS certificate: identical bytes. */
		int ref_n;
		unsigned char *ref = openssl_tbs(f, key, serial, nb, na, &ref_n);
		ats_dha_cert c;
		cr_assert_eq(ats_dha_cert_read(d.cert, d.cert_len, &c), 0);
		cr_assert_eq(c.c.tbs.n, (size_t)ref_n, "TBS length %zu vs OpenSSL %d", c.c.tbs.n, ref_n);
		cr_assert_eq(memcmp(c.c.tbs.p, ref, (size_t)ref_n), 0, "TBS differs from OpenSSL's");
		OPENSSL_free(ref);

		/* The whole certificate parses, re-encodes to itself and verifies with the DAK. */
		const unsigned char *p = d.cert;
		X509 *x = d2i_X509(NULL, &p, (long)d.cert_len);
		cr_assert_not_null(x);
		unsigned char *re = NULL;
		int re_n = i2d_X509(x, &re);
		cr_assert(re_n == (int)d.cert_len && memcmp(re, d.cert, d.cert_len) == 0);
		OPENSSL_free(re);
		cr_assert_eq(X509_verify(x, f->dak_key), 1, "DAK signature does not verify");
		unsigned char fp[32];
		unsigned int fpn = 32;
		cr_assert(X509_digest(x, EVP_sha256(), fp, &fpn));
		cr_assert_eq(memcmp(fp, d.cert_sha256, 32), 0);
		X509_free(x);

		/* The CSR info: identical to what `openssl req -new -config` signs. */
		X509_REQ *req = ats_dha_conf_csr(f->conf, key, &err);
		cr_assert_not_null(req, "%s", err.msg);
		unsigned char *cri = NULL;
		int cri_n = i2d_re_X509_REQ_tbs(req, &cri);
		X509_REQ_free(req);
		p = d.csr;
		req = d2i_X509_REQ(NULL, &p, (long)d.csr_len);
		cr_assert_not_null(req);
		unsigned char *ours = NULL;
		int ours_n = i2d_re_X509_REQ_tbs(req, &ours);
		cr_assert(ours_n == cri_n && memcmp(ours, cri, (size_t)cri_n) == 0, "CSR info differs");
		cr_assert_eq(X509_REQ_verify(req, key), 1, "CSR self-signature does not verify");
		OPENSSL_free(cri);
		OPENSSL_free(ours);
		X509_REQ_free(req);

		/* The private key PEM: the same text PEM_write_bio_PrivateKey writes. */
		BIO *b = BIO_new(BIO_s_mem());
		cr_assert(PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL));
		char *want;
		long want_n = BIO_get_mem_data(b, &want);
		char pem[512];
		size_t pem_n = ats_pem_encode(d.pkcs8, sizeof(d.pkcs8), "PRIVATE KEY", pem);
		cr_assert(pem_n == (size_t)want_n && memcmp(pem, want, pem_n) == 0,
			  "key PEM differs:\n%.*s\nvs\n%.*s", (int)pem_n, pem, (int)want_n, want);
		BIO_free(b);

		/* The SubjectPublicKeyInfo and its base64, as `openssl enc -base64` writes it. */
		unsigned char *spki = NULL;
		int spki_n = i2d_PUBKEY(key, &spki);
		cr_assert(spki_n == ATS_P256_SPKI_LEN && memcmp(spki, d.spki, ATS_P256_SPKI_LEN) == 0);
		BIO *b64 = BIO_push(BIO_new(BIO_f_base64()), BIO_new(BIO_s_mem()));
		BIO_write(b64, spki, spki_n);
		(void)BIO_flush(b64);
		char *enc;
		long enc_n = BIO_get_mem_data(BIO_next(b64), &enc);
		char ours_b64[256];
		size_t ob_n = ats_b64_lines(d.spki, sizeof(d.spki), ours_b64);
		cr_assert(ob_n == (size_t)enc_n && memcmp(ours_b64, enc, ob_n) == 0);
		BIO_free_all(b64);
		OPENSSL_free(spki);

		/* And the key split back out of the PKCS#8 we wrote. */
		const unsigned char *sc, *pt;
		cr_assert_eq(ats_p256_key_split(d.pkcs8, sizeof(d.pkcs8), &sc, &pt), 0);
		cr_assert_eq(memcmp(pt, d.point, ATS_P256_POINT_LEN), 0);

		ats_prov_device_wipe(&d);
		EVP_PKEY_free(key);
	}
	ats_prov_maker_free(m);
	ats_dha_tmpl_free(t);
}

Test(dha_tmpl, same_bytes_as_openssl)
{
	fixture f = setup(device_conf);
	time_t now = time(NULL);
	check_device(&f, now, now + 1825L * 86400);
	teardown(&f);
}

Test(dha_tmpl, generalized_time_after_2049_and_request_extensions)
{
	fixture f = setup(device_conf_reqext);
	time_t nb = 2500000000; /* 2049-03-22: the 1825-day lifetime ends in GeneralizedTime */
	check_device(&f, nb, nb + 1825L * 86400);
	teardown(&f);
}

Test(dha_tmpl, time_encoding)
{
	unsigned char b[20];
	cr_assert_eq(ats_der_put_time(b, 0), 15);  /* 1970: UTCTime */
	cr_assert_eq(b[0], 0x17);
	cr_assert_eq(ats_der_put_time(b, 2524608000), 17); /* 2050-01-01: GeneralizedTime */
	cr_assert_eq(b[0], 0x18);
	cr_assert_eq(memcmp(b + 2, "20500101000000Z", 15), 0);
}

Test(dha_tmpl, conf_errors_name_the_file)
{
	char *dir = tu_tmpdir();
	ats_err err = {0};
	ats_dha_conf *c = NULL;
	tu_write_str(tu_path(dir, "a.conf"), "[ req ]\nprompt = no\n");
	cr_assert_neq(ats_dha_conf_load(tu_path(dir, "a.conf"), &c, &err), 0);
	cr_assert(strstr(err.msg, "a.conf") && strstr(err.msg, "distinguished_name"), "%s", err.msg);
	tu_write_str(tu_path(dir, "b.conf"), "[ req\nx = \n");
	cr_assert_neq(ats_dha_conf_load(tu_path(dir, "b.conf"), &c, &err), 0);
	cr_assert(strstr(err.msg, "b.conf") && strstr(err.msg, "line"), "%s", err.msg);
	cr_assert_neq(ats_dha_conf_load(tu_path(dir, "none.conf"), &c, &err), 0);
	cr_assert(strstr(err.msg, "none.conf"), "%s", err.msg);
	tu_rmtree(dir);
}

Test(dha_tmpl, prompt_mode_takes_the_defaults)
{
	char *dir = tu_tmpdir();
	ats_err err = {0};
	ats_dha_conf *c = NULL;
	char buf[256];
	tu_write_str(tu_path(dir, "p.conf"),
		     "[ req ]\ndistinguished_name = dn\n[ dn ]\ncountryName = Country\n"
		     "countryName_default = US\ncountryName_min = 2\ncommonName = Your name\n"
		     "commonName_default = Prompted Device\norganizationName = Org (no default)\n");
	cr_assert_eq(ats_dha_conf_load(tu_path(dir, "p.conf"), &c, &err), 0, "%s", err.msg);
	X509_NAME_oneline(ats_dha_conf_subject(c), buf, sizeof(buf));
	cr_assert_str_eq(buf, "/C=US/CN=Prompted Device");
	ats_dha_conf_free(c);
	tu_rmtree(dir);
}
