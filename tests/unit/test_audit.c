/* The audit's statuses, each made real with certificates the test builds itself. */
#include "audit/audit.h"
#include "testutil.h"

static json_t *audit_files(const char **bundles, const char **capaths, time_t at, int warn)
{
	ats_store_opts so = {.bundles = bundles, .capaths = capaths};
	ats_audit_opts ao = {.at = at, .warn_days = warn};
	ats_store_list *l = NULL;
	json_t *r = NULL;
	ats_err err = {0};
	cr_assert_eq(ats_store_list_load(&so, &l, &err), 0, "%s", err.msg);
	cr_assert_eq(ats_audit_run(l, &ao, &r, &err), 0, "%s", err.msg);
	ats_store_list_free(l);
	return r;
}

static json_t *audit_bundle(const char *path, time_t at, int warn)
{
	const char *b[] = {path, NULL};
	return audit_files(b, NULL, at, warn);
}

static json_t *ca_entry(json_t *r, const char *name)
{
	json_t *cas = json_object_get(json_array_get(json_object_get(r, "stores"), 0), "cas");
	size_t i;
	json_t *c;
	json_array_foreach(cas, i, c)
		if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
			return c;
	cr_assert_fail("no CA %s in report", name);
	return NULL;
}

static const char *status(json_t *r, const char *name)
{
	return json_string_value(json_object_get(ca_entry(r, name), "status"));
}

static const char *verdict(json_t *r)
{
	return json_string_value(json_object_get(r, "verdict"));
}

static json_t *store0(json_t *r)
{
	return json_array_get(json_object_get(r, "stores"), 0);
}

/* All six, exported from the embedded bundle into one file. */
static void write_six(const char *path, int skip_from)
{
	X509 *x[ATS_CA_COUNT];
	int n = 0;
	for (int i = 0; i < ATS_CA_COUNT; i++)
		if (i < skip_from)
			x[n++] = tu_catalog_x509(i);
	tu_write_certs(path, x, n);
	for (int i = 0; i < n; i++)
		X509_free(x[i]);
}

Test(audit, all_six_present_is_compliant_and_ok)
{
	char *d = tu_tmpdir();
	write_six(tu_path(d, "six.pem"), ATS_CA_COUNT);
	json_t *r = audit_bundle(tu_path(d, "six.pem"), time(NULL), 365);
	for (int i = 0; i < ATS_CA_COUNT; i++)
		cr_assert_str_eq(status(r, ats_catalog_get(i)->name), "present");
	cr_assert(json_is_true(json_object_get(store0(r), "compliant")));
	cr_assert_str_eq(verdict(r), "OK");
	cr_assert_eq(json_integer_value(json_object_get(r, "exit_code")), 0);
	json_decref(r);
	tu_rmtree(d);
}

Test(audit, some_missing_is_connectable_warning)
{
	char *d = tu_tmpdir();
	write_six(tu_path(d, "two.pem"), 2); /* Amazon Root CA 1 and 2 only */
	json_t *r = audit_bundle(tu_path(d, "two.pem"), time(NULL), 365);
	cr_assert_str_eq(status(r, "Amazon Root CA 1"), "present");
	cr_assert_str_eq(status(r, "Amazon Root CA 3"), "missing");
	cr_assert_str_eq(status(r, "Starfield Class 2 Certification Authority"), "missing");
	cr_assert(json_is_false(json_object_get(store0(r), "compliant")));
	cr_assert(json_is_true(json_object_get(store0(r), "connectable")));
	cr_assert_str_eq(verdict(r), "WARNING");
	json_decref(r);
	tu_rmtree(d);
}

Test(audit, no_ats_ca_is_critical)
{
	char *d = tu_tmpdir();
	EVP_PKEY *k = tu_key("ec:P-256");
	X509 *other = tu_cert("/CN=Some Other Root", k, NULL, NULL, 1);
	tu_write_certs(tu_path(d, "other.pem"), &other, 1);
	json_t *r = audit_bundle(tu_path(d, "other.pem"), time(NULL), 365);
	cr_assert_str_eq(status(r, "Amazon Root CA 1"), "missing");
	cr_assert(json_is_false(json_object_get(store0(r), "connectable")));
	cr_assert_str_eq(verdict(r), "CRITICAL");
	json_decref(r);
	X509_free(other);
	EVP_PKEY_free(k);
	tu_rmtree(d);
}

Test(audit, impostor_with_the_right_name_and_another_key)
{
	char *d = tu_tmpdir();
	EVP_PKEY *k = tu_key("rsa:2048");
	X509 *imp = tu_cert("/C=US/O=Amazon/CN=Amazon Root CA 1", k, NULL, NULL, 1);
	tu_write_certs(tu_path(d, "imp.pem"), &imp, 1);
	json_t *r = audit_bundle(tu_path(d, "imp.pem"), time(NULL), 365);
	cr_assert_str_eq(status(r, "Amazon Root CA 1"), "impostor");
	cr_assert_eq(json_array_size(json_object_get(ca_entry(r, "Amazon Root CA 1"), "impostors")), 1);
	cr_assert_str_eq(verdict(r), "CRITICAL");
	json_decref(r);
	X509_free(imp);
	EVP_PKEY_free(k);
	tu_rmtree(d);
}

Test(audit, impostor_next_to_the_real_one_is_still_critical)
{
	char *d = tu_tmpdir();
	EVP_PKEY *k = tu_key("ec:P-384");
	X509 *x[2] = {tu_catalog_x509(3), tu_cert("/C=US/O=Amazon/CN=Amazon Root CA 4", k, NULL, NULL, 1)};
	tu_write_certs(tu_path(d, "b.pem"), x, 2);
	json_t *r = audit_bundle(tu_path(d, "b.pem"), time(NULL), 365);
	cr_assert_str_eq(status(r, "Amazon Root CA 4"), "present");
	cr_assert_str_eq(verdict(r), "CRITICAL");
	json_decref(r);
	X509_free(x[0]);
	X509_free(x[1]);
	EVP_PKEY_free(k);
	tu_rmtree(d);
}

/* The real public key and name of Amazon Root CA 1, certified by another CA: a cross-sign. */
Test(audit, variant_cross_signed_anchors_only_with_its_issuer)
{
	char *d = tu_tmpdir();
	X509 *real = tu_catalog_x509(0);
	EVP_PKEY *ck = tu_key("rsa:2048");
	X509 *cross_ca = tu_cert("/CN=Test Cross Signer", ck, NULL, NULL, 1);
	time_t now = time(NULL);
	ats_err err = {0};
	ats_pki_cert_opts o = {.subject_name = X509_get_subject_name(real),
			       .key = X509_get0_pubkey(real), .issuer = cross_ca, .issuer_key = ck,
			       .not_before = now - YEAR, .not_after = now + YEAR, .ca = 1, .pathlen = -1};
	X509 *variant = ats_pki_cert_new(&o, &err);
	cr_assert_not_null(variant, "%s", err.msg);

	tu_write_certs(tu_path(d, "alone.pem"), &variant, 1);
	json_t *r = audit_bundle(tu_path(d, "alone.pem"), now, 30);
	cr_assert_str_eq(status(r, "Amazon Root CA 1"), "variant");
	cr_assert(json_is_false(json_object_get(ca_entry(r, "Amazon Root CA 1"), "anchor")));
	cr_assert(json_is_false(json_object_get(ca_entry(r, "Amazon Root CA 1"), "usable")));
	json_decref(r);

	X509 *both[2] = {variant, cross_ca};
	tu_write_certs(tu_path(d, "both.pem"), both, 2);
	r = audit_bundle(tu_path(d, "both.pem"), now, 30);
	cr_assert_str_eq(status(r, "Amazon Root CA 1"), "variant");
	cr_assert(json_is_true(json_object_get(ca_entry(r, "Amazon Root CA 1"), "anchor")));
	cr_assert(json_is_true(json_object_get(store0(r), "connectable")));
	json_decref(r);
	X509_free(real);
	X509_free(variant);
	X509_free(cross_ca);
	EVP_PKEY_free(ck);
	tu_rmtree(d);
}

Test(audit, expired_and_not_yet_valid_at_the_audit_time)
{
	char *d = tu_tmpdir();
	time_t t;
	write_six(tu_path(d, "six.pem"), ATS_CA_COUNT);
	cr_assert_eq(ats_time_parse("2039-01-01", 0, &t, NULL), 0);
	json_t *r = audit_bundle(tu_path(d, "six.pem"), t, 365);
	cr_assert_str_eq(status(r, "Amazon Root CA 1"), "expired");
	cr_assert_str_eq(status(r, "Starfield Class 2 Certification Authority"), "expired");
	cr_assert_str_eq(status(r, "Amazon Root CA 2"), "present");
	json_decref(r);
	cr_assert_eq(ats_time_parse("2001-01-01", 0, &t, NULL), 0);
	r = audit_bundle(tu_path(d, "six.pem"), t, 365);
	cr_assert_str_eq(status(r, "Amazon Root CA 1"), "not-yet-valid");
	cr_assert_str_eq(verdict(r), "CRITICAL"); /* nothing usable then */
	json_decref(r);
	tu_rmtree(d);
}

Test(audit, expiring_within_the_horizon_warns)
{
	char *d = tu_tmpdir();
	time_t t;
	write_six(tu_path(d, "six.pem"), ATS_CA_COUNT);
	cr_assert_eq(ats_time_parse("2034-01-01", 0, &t, NULL), 0);
	json_t *r = audit_bundle(tu_path(d, "six.pem"), t, 365); /* Class 2 ends 2034-06-29 */
	cr_assert_str_eq(status(r, "Starfield Class 2 Certification Authority"), "present");
	cr_assert(json_is_true(json_object_get(ca_entry(r, "Starfield Class 2 Certification Authority"),
					       "expiring")));
	cr_assert_str_eq(verdict(r), "WARNING");
	json_decref(r);
	r = audit_bundle(tu_path(d, "six.pem"), t, 30);
	cr_assert_str_eq(verdict(r), "OK");
	json_decref(r);
	tu_rmtree(d);
}

Test(audit, unreadable_user_bundle_is_unknown_and_the_rest_is_audited)
{
	char *d = tu_tmpdir();
	write_six(tu_path(d, "six.pem"), ATS_CA_COUNT);
	const char *b[] = {tu_path(d, "does-not-exist.pem"), tu_path(d, "six.pem"), d, NULL};
	json_t *r = audit_files(b, NULL, time(NULL), 365);
	json_t *stores = json_object_get(r, "stores");
	cr_assert_eq(json_array_size(stores), 3);
	cr_assert(strstr(json_string_value(json_object_get(json_array_get(stores, 0), "error")),
			 "cannot open"));
	cr_assert(strstr(json_string_value(json_object_get(json_array_get(stores, 2), "error")),
			 "is a directory"));
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(stores, 1), "verdict")), "OK");
	cr_assert_str_eq(verdict(r), "UNKNOWN");
	json_decref(r);
	tu_rmtree(d);
}

Test(audit, capath_reports_a_missing_hash_link)
{
	char *d = tu_tmpdir();
	X509 *a = tu_catalog_x509(0), *b = tu_catalog_x509(1);
	char link[64];
	tu_write_certs(tu_path(d, "a.pem"), &a, 1);
	tu_write_certs(tu_path(d, "b.pem"), &b, 1);
	snprintf(link, sizeof(link), "%08lx.0", X509_subject_name_hash(a));
	cr_assert_eq(symlink("a.pem", tu_path(d, link)), 0);
	const char *c[] = {d, NULL};
	json_t *r = audit_files(NULL, c, time(NULL), 365);
	cr_assert_str_eq(status(r, "Amazon Root CA 1"), "present");
	cr_assert_str_eq(status(r, "Amazon Root CA 2"), "missing"); /* OpenSSL cannot find it */
	json_t *ep = json_object_get(store0(r), "entry_problems");
	cr_assert_eq(json_array_size(ep), 1);
	cr_assert(strstr(json_string_value(json_object_get(json_array_get(ep, 0), "message")),
			 "no hash link"));
	json_decref(r);
	X509_free(a);
	X509_free(b);
	tu_rmtree(d);
}
