/* The embedded bundle: the six by their pins, lookups, and refusal of a tampered PEM. */
#include "testutil.h"

Test(catalog, six_with_fingerprints_from_the_design)
{
	static const char *want[ATS_CA_COUNT] = {
		"8ECDE6884F3D87B1125BA31AC3FCB13D7016DE7F57CC904FE1CB97C6AE98196E",
		"1BA5B2AA8C65401A82960118F80BEC4F62304D83CEC4713A19C39C011EA46DB4",
		"18CE6CFE7BF14E60B2E347B8DFE868CB31D02EBB3ADA271569F50343B46DB3A4",
		"E35D28419ED02025CFA69038CD623962458DA5C695FBDEA3C22B0BFB25897092",
		"568D6905A2C88708A4B3025190EDCFEDB1974A606A13C6E5290FCB2AE63EDAB5",
		"1465FA205397B876FAA6F0A9958E5590E40FCC7FAA4FB7C2C8677521FB5FB658"};
	for (int i = 0; i < ATS_CA_COUNT; i++) {
		const ats_ca *ca = ats_catalog_get(i);
		unsigned char *der, sha[32];
		char hex[65];
		size_t n;
		ats_err err = {0};
		cr_assert_eq(ats_catalog_der(ca, &der, &n, &err), 0, "%s", err.msg);
		ats_sha256(der, n, sha);
		ats_hex(sha, 32, hex, true);
		cr_assert_str_eq(hex, want[i]);
		cr_assert_eq(ats_catalog_by_cert(sha), i);
		free(der);
	}
	cr_assert_null(ats_catalog_get(6));
}

Test(catalog, find_by_name_or_file)
{
	cr_assert_eq(ats_catalog_find("amazon root ca 3"), ats_catalog_get(2));
	cr_assert_eq(ats_catalog_find("Starfield_Class_2_CA"), ats_catalog_get(5));
	cr_assert_eq(ats_catalog_find("Starfield_Class_2_CA.pem"), ats_catalog_get(5));
	cr_assert_null(ats_catalog_find("Amazon Root CA 5"));
	cr_assert_eq(ats_catalog_by_name(NULL, "Starfield Class 2 Certification Authority"), 5);
	cr_assert_eq(ats_catalog_by_name("Amazon Root CA 2", NULL), 1);
}

Test(catalog, tampered_pem_is_refused)
{
	ats_ca copy = *ats_catalog_get(0);
	/* Another valid certificate under this entry's pins, as a swapped file would be. */
	copy.pem = ats_catalog_get(1)->pem;
	copy.pem_len = ats_catalog_get(1)->pem_len;
	unsigned char *der = NULL;
	size_t n;
	ats_err err = {0};
	cr_assert_eq(ats_catalog_der(&copy, &der, &n, &err), ATS_EPIN);
	cr_assert_null(der);
	cr_assert(strstr(err.msg, "does not match its pin"), "%s", err.msg);
	/* Same certificate, pin of the public key changed: refused too. */
	copy = *ats_catalog_get(0);
	copy.spki_sha256[0] ^= 1;
	cr_assert_eq(ats_catalog_der(&copy, &der, &n, &err), ATS_EPIN);
}

/* Which families a set of usable CAs anchors, and how: a table of stores. */
Test(catalog, key_families)
{
	static const struct {
		const char *have; /* '1'..'4' Amazon roots, 'g' Starfield G2, 'c' Starfield Class 2 */
		const char *want[ATS_FAMILY_COUNT];
	} cases[] = {
		{"1234", {"root", "root", "root", "root"}},
		{"34", {NULL, NULL, "root", "root"}},
		{"3", {NULL, NULL, "root", NULL}},
		{"c", {"starfield-cross-sign", "starfield-cross-sign", "starfield-cross-sign", "starfield-cross-sign"}},
		{"g3", {"starfield-cross-sign", "starfield-cross-sign", "root", "starfield-cross-sign"}},
		{"", {NULL, NULL, NULL, NULL}},
	};
	for (size_t t = 0; t < sizeof(cases) / sizeof(cases[0]); t++) {
		bool u[ATS_CA_COUNT] = {0};
		for (const char *h = cases[t].have; *h; h++) {
			const char *name = *h == 'g' ? "Starfield Services Root Certificate Authority - G2"
					   : *h == 'c' ? "Starfield Class 2 Certification Authority"
						       : NULL;
			char buf[32];
			if (!name) {
				snprintf(buf, sizeof(buf), "Amazon Root CA %c", *h);
				name = buf;
			}
			for (int i = 0; i < ATS_CA_COUNT; i++)
				if (ats_catalog_get(i) == ats_catalog_find(name))
					u[i] = true;
		}
		for (int f = 0; f < ATS_FAMILY_COUNT; f++) {
			const char *got = ats_family_anchor(u, f);
			if (cases[t].want[f])
				cr_assert(got && strcmp(got, cases[t].want[f]) == 0, "case %zu family %d: %s", t, f,
					  got ? got : "(none)");
			else
				cr_assert_null(got, "case %zu family %d: %s", t, f, got);
		}
	}
	cr_assert_str_eq(ats_family_name(ATS_FAMILY_AVS), "Amazon Root CA 1 (RSA 2048)");
	cr_assert_eq(ats_family_of(ats_family_root(2)), 2);
	cr_assert_eq(ats_family_of(5), -1);
	cr_assert_null(ats_family_name(4));
}
