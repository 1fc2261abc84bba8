/* Which trust stores this device really uses: OpenSSL's defaults, libcurl's compiled-in CA file
 * and path, an AVS Device SDK config, Debian's selection. One store per real location, labelled
 * with everyone who uses it. */
#include "store/catalog.h"
#include "base/pem.h"
#include "base/rootfs.h"
#include "store/store.h"
#include "base/util.h"
#include "base/curl_lazy.h"

#include <curl/curl.h>
#include <dirent.h>
#include <limits.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEBIAN_CONF "/etc/ca-certificates.conf"
#define DEBIAN_SHARE "/usr/share/ca-certificates"
#define DEBIAN_LOCAL "/usr/local/share/ca-certificates"
#define DEBIAN_CERTS "/etc/ssl/certs"

static int list_add(ats_store_list *l, ats_store *s)
{
	ats_store **v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return -1;
	l->v = v;
	l->v[l->n++] = s;
	return 0;
}

/* Adds a discovered location, or only a label when the same real location is already listed. */
static int discover(ats_store_list *l, const char *root, ats_store_kind kind, const char *path,
		    const char *label)
{
	char host[PATH_MAX];
	ats_err err = {0};
	if (!path || !*path)
		return 0;
	if (ats_root_path(root, path, host, sizeof(host), &err) == 0) {
		char a[PATH_MAX], b[PATH_MAX];
		/* Without a root, links are the host's own: compare where they lead. */
		const char *mine = root && *root ? host : realpath(host, a) ? a : host;
		for (size_t i = 0; i < l->n; i++) {
			const char *theirs = l->v[i]->host_path;
			if (!(root && *root) && realpath(theirs, b))
				theirs = b;
			if (l->v[i]->kind == kind && strcmp(theirs, mine) == 0) {
				json_array_append_new(l->v[i]->labels, json_string(label));
				if (strcmp(l->v[i]->path, path) != 0) {
					if (!l->v[i]->aliases)
						l->v[i]->aliases = json_array();
					json_array_append_new(l->v[i]->aliases, json_string(path));
				}
				return 0;
			}
		}
	}
	ats_store *s = kind == ATS_STORE_BUNDLE ? ats_store_load_bundle(root, path)
						: ats_store_load_capath(root, path);
	if (!s)
		return -1;
	json_array_append_new(s->labels, json_string(label));
	/* Name the store by where it really is (/usr/lib/ssl/cert.pem is a link to the bundle),
	 * keeping the name it was found by. */
	char real[PATH_MAX];
	const char *canon = NULL;
	if (root && *root)
		canon = ats_root_strip(root, s->host_path);
	else if (realpath(s->host_path, real))
		canon = real;
	if (canon && strcmp(canon, s->path) != 0) {
		char *p = strdup(canon);
		if (p) {
			s->aliases = json_pack("[s]", s->path);
			free(s->path);
			s->path = p;
		}
	}
	return list_add(l, s);
}

/* libcurl's compiled-in CA file and path. The build reads them once from the libcurl it links
 * against (CMakeLists.txt), so an audit need not load libcurl (~5 ms, ~5 MB) just to ask; a build
 * that could not read them asks libcurl here. */
static void libcurl_ca(const char **cainfo, const char **capath)
{
#if defined(ATS_CURL_CAINFO) && defined(ATS_CURL_CAPATH)
	if (!ats_curl_chosen()) {
		*cainfo = ATS_CURL_CAINFO;
		*capath = ATS_CURL_CAPATH;
		return;
	}
#endif
	{
		/* The libcurl chosen (--libcurl), or a build that could not read them: ask it. */
		const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
		*cainfo = cv ? cv->cainfo : NULL;
		*capath = cv ? cv->capath : NULL;
	}
}

/* What an AVS Device SDK's libcurl trusts (LibcurlUtils.cpp prepareForTLS): libcurl's compiled-in
 * CA file, and the config's CURLOPT_CAPATH in place of libcurl's default path. A folder that does
 * not exist is no store: libcurl then uses the CA file alone (measured with OpenSSL's and GnuTLS's
 * libcurl, tests/integration/sdk_capath.sh). */
static int sdk_configs(ats_store_list *l, const ats_store_opts *o, ats_err *err)
{
	const char *cainfo = NULL, *capath = NULL;
	char host[PATH_MAX];
	ats_err e2 = {0};
	struct stat st;
	int rc = ats_sdk_config_load(o->root, o->sdk_configs, &l->sdk, err);

	if (rc != 0)
		return rc;
	libcurl_ca(&cainfo, &capath);
	l->sdk_cainfo = cainfo && *cainfo ? cainfo : NULL;
	if (l->sdk_cainfo && discover(l, o->root, ATS_STORE_BUNDLE, cainfo, "sdk-libcurl-cainfo") != 0)
		return ats_err_set(err, ATS_ENOMEM, "out of memory loading stores");
	if (!l->sdk->capath) {
		l->sdk_capath = capath && *capath ? capath : NULL;
		l->sdk_capath_state = "unset";
		if (l->sdk_capath &&
		    discover(l, o->root, ATS_STORE_CAPATH, capath, "sdk-libcurl-capath") != 0)
			return ats_err_set(err, ATS_ENOMEM, "out of memory loading stores");
		return 0;
	}
	l->sdk_capath = l->sdk->capath;
	if (ats_root_path(o->root, l->sdk->capath, host, sizeof(host), &e2) != 0 ||
	    stat(host, &st) != 0) {
		l->sdk_capath_state = "absent";
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		l->sdk_capath_state = "not-a-directory";
		return 0;
	}
	l->sdk_capath_state = "added";
	if (discover(l, o->root, ATS_STORE_CAPATH, l->sdk->capath, "sdk-config-capath") != 0)
		return ats_err_set(err, ATS_ENOMEM, "out of memory loading stores");
	return 0;
}

int ats_store_list_load(const ats_store_opts *o, ats_store_list **out, ats_err *err)
{
	ats_store_list *l = calloc(1, sizeof(*l));
	bool named = (o->bundles && o->bundles[0]) || (o->capaths && o->capaths[0]);

	*out = NULL;
	if (ats_root_check(o->root, err) != 0) {
		free(l);
		return err ? err->code : ATS_EUSAGE;
	}
	if (!l || !(l->problems = json_array())) {
		free(l);
		return ats_err_set(err, ATS_ENOMEM, "loading trust stores%s%s: out of memory", o->root ? " under " : "", o->root ? o->root : "");
	}
	for (size_t i = 0; o->bundles && o->bundles[i]; i++) {
		ats_store *s = ats_store_load_bundle(o->root, o->bundles[i]);
		if (!s || list_add(l, s) != 0)
			goto oom;
		s->user_given = true;
		json_array_append_new(s->labels, json_string("command-line"));
	}
	for (size_t i = 0; o->capaths && o->capaths[i]; i++) {
		ats_store *s = ats_store_load_capath(o->root, o->capaths[i]);
		if (!s || list_add(l, s) != 0)
			goto oom;
		s->user_given = true;
		json_array_append_new(s->labels, json_string("command-line"));
	}
	if (o->sdk_configs && o->sdk_configs[0]) {
		int rc = sdk_configs(l, o, err);
		if (rc != 0) {
			ats_store_list_free(l);
			return rc;
		}
	}
	if (!named) {
		const char *env_file = o->use_env ? getenv(X509_get_default_cert_file_env()) : NULL;
		const char *env_dir = o->use_env ? getenv(X509_get_default_cert_dir_env()) : NULL;
		const char *cainfo = NULL, *capath = NULL;
		libcurl_ca(&cainfo, &capath);
		if (env_file && !*env_file)
			env_file = NULL;
		if (env_dir && !*env_dir)
			env_dir = NULL;

		discover(l, o->root, ATS_STORE_BUNDLE, env_file ? env_file : X509_get_default_cert_file(),
			 env_file ? "openssl-env-SSL_CERT_FILE" : "openssl-default-file");
		/* The default directory may be a colon-separated list. */
		char *dirs = strdup(env_dir ? env_dir : X509_get_default_cert_dir()), *save = NULL;
		for (char *d = dirs ? strtok_r(dirs, ":", &save) : NULL; d; d = strtok_r(NULL, ":", &save))
			discover(l, o->root, ATS_STORE_CAPATH, d,
				 env_dir ? "openssl-env-SSL_CERT_DIR" : "openssl-default-dir");
		free(dirs);
		if (cainfo && *cainfo)
			discover(l, o->root, ATS_STORE_BUNDLE, cainfo, "libcurl-cainfo");
		if (capath && *capath)
			discover(l, o->root, ATS_STORE_CAPATH, capath, "libcurl-capath");

		char host[PATH_MAX];
		struct stat st;
		ats_err e2 = {0};
		if (ats_root_path(o->root, DEBIAN_CONF, host, sizeof(host), &e2) == 0 &&
		    stat(host, &st) == 0) {
			ats_store *s = calloc(1, sizeof(*s));
			if (!s || list_add(l, s) != 0) {
				free(s);
				goto oom;
			}
			s->kind = ATS_STORE_DEBIAN;
			s->path = strdup(DEBIAN_CONF);
			s->host_path = strdup(host);
			s->labels = json_pack("[s]", "debian-ca-certificates");
			s->problems = json_array();
		}
	}
	*out = l;
	return 0;
oom:
	ats_store_list_free(l);
	return ats_err_set(err, ATS_ENOMEM, "loading trust stores%s%s: out of memory", o->root ? " under " : "", o->root ? o->root : "");
}

void ats_store_list_free(ats_store_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		ats_store_free(l->v[i]);
	free(l->v);
	json_decref(l->problems);
	ats_sdk_config_free(l->sdk);
	free(l);
}

/* Finds the file under /usr/share/ca-certificates holding the exact certificate, trying the
 * path Debian ships it at first, then any *.crt (a local copy an admin or atscheck put there). */
static bool find_share_file(const char *root, const char *share, const ats_ca *ca, char *rel,
			    size_t n, int depth)
{
	char host[PATH_MAX], img[PATH_MAX];
	ats_err err = {0};
	DIR *d;
	struct dirent *e;
	bool found = false;

	if (depth == 0) {
		snprintf(img, sizeof(img), "%s/%s", share, ca->debian_path);
		if (ats_root_path(root, img, host, sizeof(host), &err) == 0) {
			unsigned char *data = NULL, *der = NULL, sha[32];
			size_t len, dlen;
			if (ats_file_read(host, img, &data, &len, &err) == 0 &&
			    ats_pem_decode_first((char *)data, len, &der, &dlen) == 0) {
				ats_sha256(der, dlen, sha);
				found = memcmp(sha, ca->cert_sha256, 32) == 0;
			}
			free(data);
			free(der);
			if (found) {
				snprintf(rel, n, "%s", ca->debian_path);
				return true;
			}
		}
	}
	if (depth > 3 || ats_root_path(root, share, host, sizeof(host), &err) != 0 ||
	    !(d = opendir(host)))
		return false;
	while (!found && (e = readdir(d))) {
		size_t nl = strlen(e->d_name);
		if (e->d_name[0] == '.')
			continue;
		char h[PATH_MAX];
		struct stat st;
		snprintf(img, sizeof(img), "%s/%s", share, e->d_name);
		if (ats_root_path(root, img, h, sizeof(h), &err) != 0 || stat(h, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			char sub[PATH_MAX];
			if (find_share_file(root, img, ca, sub, sizeof(sub), depth + 1)) {
				snprintf(rel, n, "%s/%s", e->d_name, sub);
				found = true;
			}
			continue;
		}
		if (nl < 4 || strcmp(e->d_name + nl - 4, ".crt") != 0)
			continue;
		unsigned char *data = NULL, *der = NULL, sha[32];
		size_t len, dlen;
		if (ats_file_read(h, img, &data, &len, &err) == 0 &&
		    ats_pem_decode_first((char *)data, len, &der, &dlen) == 0) {
			ats_sha256(der, dlen, sha);
			if (memcmp(sha, ca->cert_sha256, 32) == 0) {
				snprintf(rel, n, "%s", e->d_name);
				found = true;
			}
		}
		free(data);
		free(der);
	}
	closedir(d);
	return found;
}

/* Whether /etc/ssl/certs/<basename>.pem exists (update-ca-certificates' link for a .crt). */
static bool has_link(const char *root, const char *rel)
{
	char img[PATH_MAX], host[PATH_MAX];
	ats_err err = {0};
	struct stat st;
	const char *base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	size_t bl = strlen(base);
	if (bl > 4 && strcmp(base + bl - 4, ".crt") == 0)
		bl -= 4;
	snprintf(img, sizeof(img), "%s/%.*s.pem", DEBIAN_CERTS, (int)bl, base);
	return ats_root_path(root, img, host, sizeof(host), &err) == 0 && stat(host, &st) == 0;
}

bool ats_debian_selection(const char *root, ats_debian_ca out[ATS_CA_COUNT])
{
	char host[PATH_MAX];
	ats_err err = {0};
	unsigned char *conf = NULL;
	size_t len;

	memset(out, 0, sizeof(ats_debian_ca) * ATS_CA_COUNT);
	if (ats_root_path(root, DEBIAN_CONF, host, sizeof(host), &err) != 0 ||
	    ats_file_read(host, DEBIAN_CONF, &conf, &len, &err) != 0)
		return false;
	for (int i = 0; i < ATS_CA_COUNT; i++) {
		const ats_ca *ca = ats_catalog_get(i);
		ats_debian_ca *d = &out[i];
		if (find_share_file(root, DEBIAN_SHARE, ca, d->rel, sizeof(d->rel), 0)) {
			d->file_found = true;
			/* The conf lists one relative path per '\n'-ended line, read as update-ca-certificates
			 * reads it ("read -r": blanks around it trimmed, a '\r' kept, an unterminated last
			 * line never read); '!' first deselects; '#' first is a comment. A selecting line
			 * wins over a '!' one (the tool removes first, then adds). */
			for (char *p = (char *)conf; p && *p;) {
				char *e = strchr(p, '\n');
				size_t n = e ? (size_t)(e - p) : strlen(p);
				bool bang = n && p[0] == '!';
				const char *name = bang ? p + 1 : p;
				size_t nn = bang ? n - 1 : n;
				while (nn && (*name == ' ' || *name == '\t'))
					name++, nn--;
				while (nn && (name[nn - 1] == ' ' || name[nn - 1] == '\t'))
					nn--;
				if (e && nn == strlen(d->rel) && strncmp(name, d->rel, nn) == 0) {
					d->listed = d->listed || !bang;
					d->bang = d->bang || bang;
				}
				p = e ? e + 1 : NULL;
			}
			d->linked = has_link(root, d->rel);
		}
		/* A copy in /usr/local/share/ca-certificates is always selected. */
		char lrel[sizeof(d->rel)];
		if (!(d->listed && d->linked) &&
		    find_share_file(root, DEBIAN_LOCAL, ca, lrel, sizeof(lrel), 1)) {
			d->local = true;
			memcpy(d->rel, lrel, sizeof(lrel));
			d->linked = has_link(root, d->rel);
		}
	}
	free(conf);
	return true;
}
