/* ats_install_run on small image trees made here: Debian (atscheck doing the tool's part),
 * Fedora, Alpine, a plain bundle, an unknown platform. Debian's real update-ca-certificates is
 * exercised by the integration tests. */
#include "install/install.h"
#include "base/pem.h"
#include "testutil.h"

#include <errno.h>

static void mkdirs(const char *root, const char *rel)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

static void put(const char *root, const char *rel, const char *text)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	tu_write_str(p, text);
}

static void link_to(const char *root, const char *rel, const char *target)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	cr_assert_eq(symlink(target, p), 0, "%s: %s", p, strerror(errno));
}

static char *slurp(const char *root, const char *rel)
{
	unsigned char *d = NULL;
	size_t n;
	ats_err err = {0};
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	cr_assert_eq(ats_file_read(p, p, &d, &n, &err), 0, "%s", err.msg);
	return (char *)d;
}

static const char *pem(int i)
{
	return ats_catalog_get(i)->pem;
}

/* A CA that is none of the six, as PEM (malloc'd). */
static char *other_pem(void)
{
	EVP_PKEY *k = tu_key("ec:P-256");
	X509 *x = tu_cert("/CN=Some Other Root", k, NULL, NULL, 1);
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	char *out = malloc(ats_pem_encoded_len((size_t)n, "CERTIFICATE") + 1);
	out[ats_pem_encode(der, (size_t)n, "CERTIFICATE", out)] = '\0';
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(k);
	return out;
}

static json_t *run(const ats_install_opts *o, int want_rc)
{
	json_t *r = NULL;
	ats_err err = {0};
	int rc = ats_install_run(o, &r, &err);
	cr_assert_eq(rc, want_rc, "rc %d: %s", rc, err.msg);
	return r;
}

static const char *ca_field(json_t *r, int i, const char *k)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(r, "cas"), (size_t)i), k));
}

static int verdict(json_t *r)
{
	return (int)json_integer_value(json_object_get(r, "exit_code"));
}

/* OpenSSL's default file and folder, as the audit looks for them in an image. */
static void openssl_links(const char *root)
{
	mkdirs(root, "usr/lib/ssl");
	link_to(root, "usr/lib/ssl/certs", "/etc/ssl/certs");
	link_to(root, "usr/lib/ssl/cert.pem", "/etc/ssl/certs/ca-certificates.crt");
}

Test(install, debian_without_the_tool)
{
	char *root = tu_tmpdir(), *other = other_pem(), bundle[8192 * 4];
	mkdirs(root, "etc/ssl/certs");
	mkdirs(root, "usr/share/ca-certificates/mozilla");
	openssl_links(root);
	put(root, "etc/os-release", "ID=debian\nPRETTY_NAME=\"Debian test\"\n");
	/* 1 selected, 3 deselected with '!', 4 shipped but not listed, 2, 5, 6 not shipped. */
	put(root, "etc/ca-certificates.conf", "# test\nmozilla/Amazon_Root_CA_1.crt\n"
					      "!mozilla/Amazon_Root_CA_3.crt");
	put(root, "usr/share/ca-certificates/mozilla/Amazon_Root_CA_1.crt", pem(0));
	put(root, "usr/share/ca-certificates/mozilla/Amazon_Root_CA_3.crt", pem(2));
	put(root, "usr/share/ca-certificates/mozilla/Amazon_Root_CA_4.crt", pem(3));
	snprintf(bundle, sizeof(bundle), "%s%s", pem(0), other);
	put(root, "etc/ssl/certs/ca-certificates.crt", bundle);
	link_to(root, "etc/ssl/certs/Amazon_Root_CA_1.pem",
		"/usr/share/ca-certificates/mozilla/Amazon_Root_CA_1.crt");
	link_to(root, "etc/ssl/certs/ce5e74ef.0", "Amazon_Root_CA_1.pem");

	ats_install_opts o = {.root = root, .no_tool = true, .at = time(NULL), .warn_days = 30};
	json_t *r = run(&o, 0);
	cr_assert_str_eq(json_string_value(json_object_get(r, "family")), "debian");
	cr_assert_str_eq(ca_field(r, 0, "action"), "none");
	cr_assert_str_eq(ca_field(r, 1, "action"), "copy");
	cr_assert_str_eq(ca_field(r, 2, "action"), "left-deselected");
	cr_assert_str_eq(ca_field(r, 3, "action"), "select");
	cr_assert_str_eq(ca_field(r, 3, "after"), "present");
	cr_assert_str_eq(ca_field(r, 2, "after"), "deselected");
	cr_assert_eq(verdict(r), 1, "CA 3 left deselected: WARNING");
	json_decref(r);

	char *conf = slurp(root, "etc/ca-certificates.conf");
	cr_assert_str_eq(conf, "# test\nmozilla/Amazon_Root_CA_1.crt\n!mozilla/Amazon_Root_CA_3.crt\n"
			       "atscheck/atscheck_Amazon_Root_CA_2.crt\nmozilla/Amazon_Root_CA_4.crt\n"
			       "atscheck/atscheck_Starfield_Services_Root_Certificate_Authority_-_G2.crt\n"
			       "atscheck/atscheck_Starfield_Class_2_CA.crt\n");
	free(conf);
	char *bak = slurp(root, "etc/ca-certificates.conf.atscheck-bak");
	cr_assert_str_eq(bak, "# test\nmozilla/Amazon_Root_CA_1.crt\n!mozilla/Amazon_Root_CA_3.crt");
	free(bak);
	char *copy = slurp(root, "usr/share/ca-certificates/atscheck/atscheck_Amazon_Root_CA_2.crt");
	cr_assert_str_eq(copy, pem(1));
	free(copy);
	char *nb = slurp(root, "etc/ssl/certs/ca-certificates.crt");
	cr_assert_eq(strncmp(nb, bundle, strlen(bundle)), 0, "the old bundle stays byte for byte");
	cr_assert_null(strstr(nb, pem(2)) ? strstr(nb, pem(2)) : NULL, "CA 3 not added");
	cr_assert_not_null(strstr(nb, pem(1)));
	free(nb);

	/* --reselect: CA 3 too; then nothing is left to do. */
	o.reselect = true;
	r = run(&o, 0);
	cr_assert_str_eq(ca_field(r, 2, "action"), "reselect");
	cr_assert_eq(verdict(r), 0);
	json_decref(r);
	r = run(&o, 0);
	cr_assert(json_is_true(json_object_get(r, "nothing_to_do")));
	cr_assert_eq(json_array_size(json_object_get(r, "changes")), 0);
	cr_assert_eq(verdict(r), 0);
	json_decref(r);
	free(other);
	tu_rmtree(root);
}

Test(install, plain_bundle_appends_and_keeps_a_backup)
{
	char *root = tu_tmpdir(), *other = other_pem(), path[PATH_MAX];
	size_t ol = strlen(other);
	other[ol - 1] = '\0'; /* no final newline: appending must not merge two lines */
	put(root, "b.pem", other);
	snprintf(path, sizeof(path), "%s/b.pem", root);
	ats_install_opts o = {.bundle = path, .at = time(NULL), .warn_days = 30};
	json_t *r = run(&o, 0);
	cr_assert_eq(verdict(r), 0);
	cr_assert_str_eq(json_string_value(json_object_get(r, "family")), "bundle");
	json_decref(r);
	char *nb = slurp(root, "b.pem"), *bak = slurp(root, "b.pem.atscheck-bak");
	cr_assert_str_eq(bak, other);
	cr_assert_eq(strncmp(nb, other, ol - 1), 0);
	cr_assert_eq(nb[ol - 1], '\n');
	cr_assert_eq(strncmp(nb + ol, pem(0), strlen(pem(0))), 0);
	free(nb);
	free(bak);
	r = run(&o, 0);
	cr_assert(json_is_true(json_object_get(r, "nothing_to_do")));
	json_decref(r);
	free(other);
	tu_rmtree(root);
}

Test(install, fedora_image)
{
	char *root = tu_tmpdir(), *other = other_pem();
	mkdirs(root, "etc/pki/ca-trust/source/anchors");
	mkdirs(root, "etc/pki/ca-trust/extracted/pem/directory-hash");
	put(root, "etc/os-release", "ID=\"rhel\"\nID_LIKE=\"fedora\"\n");
	put(root, "etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", other);
	put(root, "etc/pki/ca-trust/source/anchors/mine.pem", pem(0));
	ats_install_opts o = {.root = root, .at = time(NULL), .warn_days = 30};
	json_t *r = run(&o, 0);
	cr_assert_str_eq(json_string_value(json_object_get(r, "family")), "fedora");
	cr_assert_eq(verdict(r), 0, "%s", json_dumps(json_object_get(r, "problems"), 0));
	cr_assert_str_eq(ca_field(r, 0, "action"), "none", "its anchor was there already");
	cr_assert_str_eq(ca_field(r, 1, "action"), "copy");
	json_decref(r);
	char *a = slurp(root, "etc/pki/ca-trust/source/anchors/atscheck_Amazon_Root_CA_2.pem");
	cr_assert_str_eq(a, pem(1));
	free(a);
	char *b = slurp(root, "etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem");
	cr_assert_eq(strncmp(b, other, strlen(other)), 0);
	free(b);
	free(other);
	tu_rmtree(root);
}

Test(install, alpine_image)
{
	char *root = tu_tmpdir(), *other = other_pem();
	mkdirs(root, "etc/ssl/certs");
	put(root, "etc/os-release", "NAME=\"Alpine Linux\"\nID=alpine\n");
	put(root, "etc/ssl/certs/ca-certificates.crt", other);
	ats_install_opts o = {.root = root, .at = time(NULL), .warn_days = 30};
	json_t *r = run(&o, 0);
	cr_assert_str_eq(json_string_value(json_object_get(r, "family")), "alpine");
	cr_assert_eq(verdict(r), 0, "%s", json_dumps(json_object_get(r, "problems"), 0));
	json_decref(r);
	char *a = slurp(root, "usr/local/share/ca-certificates/atscheck_Amazon_Root_CA_3.crt");
	cr_assert_str_eq(a, pem(2));
	free(a);
	char target[PATH_MAX] = "";
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/etc/ssl/certs/atscheck_Amazon_Root_CA_3.pem", root);
	cr_assert_gt(readlink(p, target, sizeof(target) - 1), 0);
	cr_assert_str_eq(target, "/usr/local/share/ca-certificates/atscheck_Amazon_Root_CA_3.crt");
	free(other);
	tu_rmtree(root);
}

Test(install, unknown_platform_says_what_to_do)
{
	char *root = tu_tmpdir();
	mkdirs(root, "etc");
	put(root, "etc/os-release", "ID=plan9\n");
	ats_install_opts o = {.root = root, .at = time(NULL)};
	json_t *r = run(&o, 0);
	cr_assert_eq(verdict(r), 3);
	cr_assert_str_eq(json_string_value(json_object_get(r, "family")), "unknown");
	const char *fix = json_string_value(
		json_object_get(json_array_get(json_object_get(r, "problems"), 0), "fix"));
	cr_assert_not_null(strstr(fix, "--bundle FILE"));
	json_decref(r);
	tu_rmtree(root);
}

Test(install, unknown_ca_name_is_bad_usage)
{
	const char *cas[] = {"Amazon Root CA 9", NULL};
	ats_install_opts o = {.cas = cas, .dry_run = true};
	json_t *r = run(&o, ATS_EUSAGE);
	cr_assert_null(r);
}
