/* The platforms other than Debian's: Fedora/RHEL (anchors + update-ca-trust), Alpine
 * (/usr/local/share/ca-certificates + its update-ca-certificates) and a plain bundle file. Under
 * --root (or without the tool) atscheck does the tool's part for the missing CAs only: the
 * extracted bundle gets them appended and the hashed folder its links. */
#include "install/install_int.h"
#include "base/pem.h"
#include "base/rootfs.h"
#include "base/util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FED_ANCHORS "/etc/pki/ca-trust/source/anchors"
#define FED_BUNDLE "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"
#define FED_HASHDIR "/etc/pki/ca-trust/extracted/pem/directory-hash"
#define ALP_LOCAL "/usr/local/share/ca-certificates"
#define ALP_CERTS "/etc/ssl/certs"
#define ALP_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

static bool is_dir(inst_ctx *c, const char *img)
{
	char host[PATH_MAX];
	struct stat st;
	ats_err e2 = {0};
	return ats_root_path(c->root, img, host, sizeof(host), &e2) == 0 && stat(host, &st) == 0 &&
	       S_ISDIR(st.st_mode);
}

/* A file in img_dir (not below) already holding CA i's certificate; its image path in out. */
static bool find_in_dir(inst_ctx *c, const char *img_dir, int i, char *out, size_t n)
{
	char host[PATH_MAX];
	DIR *d;
	struct dirent *e;
	bool found = false;
	if (inst_host(c, img_dir, host) != 0 || !(d = opendir(host)))
		return false;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(out, n, "%s/%s", img_dir, e->d_name);
		found = inst_file_has(c, out, i);
	}
	closedir(d);
	return found;
}

/* Writes CA i into img_dir as atscheck_<name><ext> (numbered when taken by another file)
 * unless a file there holds it already; its path in out. */
static int place(inst_ctx *c, const char *img_dir, int i, const char *ext, char *out, size_t n)
{
	const ats_ca *ca = ats_catalog_get(i);
	size_t fl = strlen(ca->file) - 4;
	char host[PATH_MAX];
	struct stat st;
	if (find_in_dir(c, img_dir, i, out, n)) {
		inst_ca_set(c, i, "action", "none");
		inst_ca_set(c, i, "file", out);
		return 0;
	}
	for (int k = 1; k < 100; k++) {
		if (k == 1)
			snprintf(out, n, "%s/atscheck_%.*s%s", img_dir, (int)fl, ca->file, ext);
		else
			snprintf(out, n, "%s/atscheck_%.*s_%d%s", img_dir, (int)fl, ca->file, k, ext);
		if (inst_host(c, out, host) != 0)
			return ATS_EIO;
		if (lstat(host, &st) == 0)
			continue;
		inst_ca_set(c, i, "action", "copy");
		inst_ca_set(c, i, "file", out);
		return inst_write(c, out, c->pem[i], c->pem_len[i], "write", i);
	}
	return ats_err_set(c->err, ATS_EIO, "%s: no free file name for %s", img_dir, ca->name);
}

/* The tool's part, done by atscheck for the wanted CAs: links (when the hashed folder exists)
 * and the bundle entries. */
static int own_links_and_bundle(inst_ctx *c, const char *certs_dir, const char *bundle,
				char files[ATS_CA_COUNT][PATH_MAX], const bool done[ATS_CA_COUNT])
{
	int rc = 0;
	c->method = "atscheck";
	for (int i = 0; certs_dir && is_dir(c, certs_dir) && i < ATS_CA_COUNT && !rc; i++) {
		char link[PATH_MAX], name[NAME_MAX + 1];
		const char *base;
		if (!done[i])
			continue;
		base = strrchr(files[i], '/') + 1;
		snprintf(name, sizeof(name), "%.*s.pem", (int)(strcspn(base, ".")), base);
		snprintf(link, sizeof(link), "%s/%s", certs_dir, name);
		if ((rc = inst_symlink(c, link, files[i], i)) == 0)
			rc = inst_hash_link(c, certs_dir, name, i);
	}
	return rc ? rc : inst_bundle_add(c, bundle, done, NULL);
}

static int anchors_family(inst_ctx *c, const char *dir, const char *ext, const char *tool,
			  char *const tool_args[], const char *certs_dir, const char *bundle)
{
	char files[ATS_CA_COUNT][PATH_MAX], path[PATH_MAX];
	bool done[ATS_CA_COUNT] = {0};
	char bdir[PATH_MAX];
	int rc;
	snprintf(bdir, sizeof(bdir), "%.*s", (int)(strrchr(bundle, '/') - bundle), bundle);
	if ((rc = inst_clean_temps(c, dir, NULL)) != 0 || (rc = inst_clean_temps(c, bdir, NULL)) != 0 ||
	    (certs_dir && (rc = inst_clean_temps(c, certs_dir, NULL)) != 0))
		return rc;
	for (int i = 0; i < ATS_CA_COUNT; i++) {
		if (!c->want[i])
			continue;
		if ((rc = place(c, dir, i, ext, files[i], sizeof(files[i]))) != 0)
			return rc;
		done[i] = true;
	}
	if (!c->root && !c->o->no_tool && inst_tool_find(tool, path, sizeof(path))) {
		char *argv[4] = {path, tool_args[0], tool_args[0] ? tool_args[1] : NULL, NULL};
		c->method = tool;
		return inst_run(c, bundle, argv);
	}
	inst_note(c, "%s was not run (%s): atscheck added the links and bundle entries itself; run "
		  "%s on the device to rebuild everything", tool,
		  c->root ? "an image" : c->o->no_tool ? "--no-tool" : "not installed", tool);
	return own_links_and_bundle(c, certs_dir, bundle, files, done);
}

int inst_fedora(inst_ctx *c)
{
	char *args[] = {"extract", NULL};
	return anchors_family(c, FED_ANCHORS, ".pem", "update-ca-trust", args, FED_HASHDIR, FED_BUNDLE);
}

int inst_alpine(inst_ctx *c)
{
	char *args[] = {NULL, NULL};
	return anchors_family(c, ALP_LOCAL, ".crt", "update-ca-certificates", args, ALP_CERTS,
			      ALP_BUNDLE);
}

int inst_plain_bundle(inst_ctx *c, const char *bundle)
{
	char bak[PATH_MAX], dir[PATH_MAX];
	const char *base = strrchr(bundle, '/');
	int rc;
	c->method = "atscheck";
	snprintf(bak, sizeof(bak), "%s.atscheck-bak", bundle);
	snprintf(dir, sizeof(dir), "%.*s", base ? (int)(base - bundle) : 1, base ? bundle : ".");
	if ((rc = inst_clean_temps(c, dir[0] ? dir : "/", base ? base + 1 : bundle)) != 0)
		return rc;
	for (int i = 0; i < ATS_CA_COUNT; i++)
		if (c->want[i])
			inst_ca_set(c, i, "action", "append");
	return inst_bundle_add(c, bundle, c->want, bak);
}

void inst_family_stores(const char *family, const char **bundles, const char **capaths)
{
	bundles[0] = capaths[0] = NULL;
	if (strcmp(family, "fedora") == 0) {
		bundles[0] = FED_BUNDLE;
		capaths[0] = FED_HASHDIR;
	} else if (strcmp(family, "alpine") == 0) {
		bundles[0] = ALP_BUNDLE;
		capaths[0] = ALP_CERTS;
	}
	bundles[1] = capaths[1] = NULL;
}
