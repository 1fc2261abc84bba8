/* Who rebuilds /etc/ssl/certs after the conf changed, and how.
 *
 * Debian's update-ca-certificates, when it is there. Under --root it is pointed into the image
 * with its --certsconf/--certsdir/--localcertsdir/--etccertsdir/--hooksdir options; the two
 * certificate folders are given relative to /etc/ssl/certs (the tool works from there), so every
 * link it makes resolves inside the image and `openssl rehash` reads the image's files, not this
 * machine's. The links then get back the absolute form the tool gives them on a booted device
 * (a journal remembers which were relative before, so a kill in between is finished next run).
 * The image's hooks are not run on this machine (they would change this machine's stores).
 *
 * atscheck itself when the tool is missing, too old to be pointed into an image, or not safe
 * here: a link it would judge by this machine's files, or a bundle holding certificates that no
 * selected file provides (added by hand: the tool would drop them). Then only what is missing is
 * added: the link, the hash link, the bundle entry; nothing else changes. */
#include "install/install_conf.h"
#include "install/install_debian.h"
#include "base/pem.h"
#include "base/rootfs.h"
#include "base/strbuf.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOOL "update-ca-certificates"

/* Who rebuilds, names the links too: install_debian.c asks here, never the other way. */
void inst_debian_link_name(const char *file, char *out, size_t n)
{
	/* update-ca-certificates: basename without .crt, ' ' and ',' -> '_', '(' and ')' -> '='. */
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	size_t bl = strlen(base), k = 0;
	if (bl > 4 && strcmp(base + bl - 4, ".crt") == 0)
		bl -= 4;
	for (size_t j = 0; j < bl && k + 5 < n; j++)
		out[k++] = base[j] == ' ' || base[j] == ',' ? '_'
			   : base[j] == '(' || base[j] == ')' ? '='
							     : base[j];
	snprintf(out + k, n - k, ".pem");
}

/* Adds what the targets need, and nothing else. */
static int own_update(inst_ctx *c, const inst_deb_target *t)
{
	char certs_host[PATH_MAX];
	int rc;
	if (inst_host(c, DEB_CERTS, certs_host) != 0)
		return ATS_EIO;
	for (int i = 0; i < ATS_CA_COUNT; i++) {
		char name[NAME_MAX + 1], link[PATH_MAX], host[PATH_MAX];
		struct stat st;
		const char *hash_target = name;
		if (!t->handled[i])
			continue;
		inst_debian_link_name(t->file[i], name, sizeof(name));
		snprintf(link, sizeof(link), "%s/%s", DEB_CERTS, name);
		snprintf(host, sizeof(host), "%s/%s", certs_host, name);
		if (lstat(host, &st) == 0 && !S_ISLNK(st.st_mode) && !inst_file_has(c, link, i))
			hash_target = t->file[i]; /* the name is someone else's file: not ours to replace */
		else if ((rc = inst_symlink(c, link, t->file[i], i)) != 0)
			return rc;
		if ((rc = inst_hash_link(c, DEB_CERTS, hash_target, i)) != 0)
			return rc;
	}
	return inst_bundle_add(c, DEB_BUNDLE, t->handled, NULL);
}

/* The tool reads its options as a shell script: without these it prints its usage and exits 0
 * having done nothing, so look before pointing it into an image. */
static bool tool_takes_dirs(const char *tool)
{
	unsigned char *text = NULL;
	size_t len;
	ats_err e2 = {0};
	bool ok = ats_file_read(tool, tool, &text, &len, &e2) == 0 &&
		  strstr((char *)text, "--certsconf)") && strstr((char *)text, "--certsdir)") &&
		  strstr((char *)text, "--localcertsdir)") && strstr((char *)text, "--etccertsdir)") &&
		  strstr((char *)text, "--hooksdir)");
	free(text);
	return ok;
}

/* A set of certificate SHA-256s. */
typedef struct sha_set {
	unsigned char (*v)[32];
	size_t n, cap;
} sha_set;

static void set_add(void *ctx, const unsigned char *der, size_t len, ats_cert_pos pos)
{
	sha_set *s = ctx;
	(void)pos;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		void *v = realloc(s->v, cap * 32);
		if (!v)
			return;
		s->v = v;
		s->cap = cap;
	}
	ats_sha256(der, len, s->v[s->n++]);
}

static bool set_has(const sha_set *s, const unsigned char sha[32])
{
	for (size_t k = 0; k < s->n; k++)
		if (memcmp(s->v[k], sha, 32) == 0)
			return true;
	return false;
}

static void set_add_file(sha_set *s, const char *host)
{
	unsigned char *data = NULL;
	size_t len;
	ats_err e2 = {0};
	ats_cert_sink sink = {s, set_add, inst_ignore_problem};
	if (ats_file_read(host, host, &data, &len, &e2) == 0)
		ats_certs_scan(data, len, &sink);
	free(data);
}

struct sel_walk {
	inst_ctx *c;
	sha_set *s;
};

static void add_selected(const char *name, size_t n, void *vctx)
{
	struct sel_walk *w = vctx;
	char img[PATH_MAX], host[PATH_MAX];
	snprintf(img, sizeof(img), "%s/%.*s", DEB_SHARE, (int)n, name);
	if (ats_root_path(w->c->root, img, host, sizeof(host), NULL) == 0)
		set_add_file(w->s, host);
}

/* Every *.crt under a folder, links followed (the tool's `find -L`). */
static void add_local(sha_set *s, const char *host, int depth)
{
	DIR *d = depth < 8 ? opendir(host) : NULL;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char p[PATH_MAX];
		struct stat st;
		size_t nl = strlen(e->d_name);
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", host, e->d_name);
		if (stat(p, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			add_local(s, p, depth + 1);
		else if (S_ISREG(st.st_mode) && nl > 4 && strcmp(e->d_name + nl - 4, ".crt") == 0)
			set_add_file(s, p);
	}
	if (d)
		closedir(d);
}

/* How many certificates of the bundle the tool would not put back. */
static size_t bundle_extras(inst_ctx *c, const inst_deb_target *t, const char *conf, size_t len)
{
	sha_set want = {0}, have = {0};
	struct sel_walk w = {c, &want};
	char host[PATH_MAX];
	size_t extras = 0;

	ats_conf_each_selected(conf, len, add_selected, &w);
	if (ats_root_path(c->root, DEB_LOCAL, host, sizeof(host), NULL) == 0)
		add_local(&want, host, 0);
	for (int i = 0; i < ATS_CA_COUNT; i++)
		if (t->handled[i])
			set_add(&want, c->der[i], c->der_len[i], (ats_cert_pos){.line = 0});
	if (ats_root_path(c->root, DEB_BUNDLE, host, sizeof(host), NULL) == 0)
		set_add_file(&have, host);
	for (size_t k = 0; k < have.n; k++)
		extras += !set_has(&want, have.v[k]);
	free(want.v);
	free(have.v);
	return extras;
}

static bool image_file(inst_ctx *c, const char *img)
{
	char host[PATH_MAX];
	struct stat st;
	return ats_root_path(c->root, img, host, sizeof(host), NULL) == 0 && stat(host, &st) == 0 &&
	       S_ISREG(st.st_mode);
}

/* An absolute link in the image's /etc/ssl/certs that the tool would not rewrite: on this
 * machine it would be judged (kept, dropped, hashed) by this machine's file of that name. */
static bool foreign_link(inst_ctx *c, const char *conf, size_t len, char *why, size_t n)
{
	char host[PATH_MAX];
	DIR *d;
	struct dirent *e;
	bool bad = false;
	if (inst_host(c, DEB_CERTS, host) != 0 || !(d = opendir(host)))
		return false;
	while (!bad && (e = readdir(d))) {
		char p[PATH_MAX], target[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s", host, e->d_name);
		ssize_t r = readlink(p, target, sizeof(target) - 1);
		if (r <= 0)
			continue;
		target[r] = '\0';
		if (target[0] != '/')
			continue;
		const char *share = DEB_SHARE "/", *local = DEB_LOCAL "/";
		size_t tl = strlen(target);
		if (strncmp(target, share, strlen(share)) == 0) {
			ats_conf_state st;
			ats_conf_find(conf, len, target + strlen(share), &st);
			if (st.selected)
				continue;
		} else if (strncmp(target, local, strlen(local)) == 0 && tl > 4 &&
			   strcmp(target + tl - 4, ".crt") == 0 && image_file(c, target)) {
			continue;
		}
		snprintf(why, n, "%s/%s -> %s would be judged by this machine's file of that name",
			 DEB_CERTS, e->d_name, target);
		bad = true;
	}
	closedir(d);
	return bad;
}

/* The tool's folders as seen from the image's /etc/ssl/certs ("../../../usr/share/..."). */
static int relative_dirs(inst_ctx *c, char *rshare, char *rlocal, size_t n)
{
	char host[PATH_MAX], up[PATH_MAX] = "";
	if (inst_host(c, DEB_CERTS, host) != 0)
		return ATS_EIO;
	for (const char *p = ats_root_strip(c->root, host); *p; p++)
		if (*p == '/' && p[1])
			strncat(up, "../", sizeof(up) - strlen(up) - 1);
	if (inst_host(c, DEB_SHARE, host) != 0)
		return ATS_EIO;
	snprintf(rshare, n, "%s%s", up, ats_root_strip(c->root, host) + 1);
	if (inst_host(c, DEB_LOCAL, host) != 0)
		return ATS_EIO;
	snprintf(rlocal, n, "%s%s", up, ats_root_strip(c->root, host) + 1);
	return 0;
}

/* Gives the links the tool made relative the absolute form it gives them on a device, except
 * those the journal says were relative already. */
static int restore_links(inst_ctx *c, const char *journal)
{
	char rshare[PATH_MAX], rlocal[PATH_MAX], host[PATH_MAX];
	DIR *d;
	struct dirent *e;
	int rc = relative_dirs(c, rshare, rlocal, sizeof(rshare));
	if (rc || inst_host(c, DEB_CERTS, host) != 0 || !(d = opendir(host)))
		return rc;
	while (rc == 0 && (e = readdir(d))) {
		char p[PATH_MAX], target[PATH_MAX], line[PATH_MAX * 2], abs[PATH_MAX], img[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s", host, e->d_name);
		ssize_t r = readlink(p, target, sizeof(target) - 1);
		if (r <= 0)
			continue;
		target[r] = '\0';
		size_t sl = strlen(rshare), ll = strlen(rlocal);
		if (strncmp(target, rshare, sl) == 0 && target[sl] == '/')
			snprintf(abs, sizeof(abs), "%s%s", DEB_SHARE, target + sl);
		else if (strncmp(target, rlocal, ll) == 0 && target[ll] == '/')
			snprintf(abs, sizeof(abs), "%s%s", DEB_LOCAL, target + ll);
		else
			continue;
		snprintf(line, sizeof(line), "\n%s\t%s\n", e->d_name, target);
		if (journal && strstr(journal, line))
			continue;
		/* A link that had this form before is put back, not changed. */
		snprintf(line, sizeof(line), "\n%s\t%s\n", e->d_name, abs);
		c->quiet = journal && strstr(journal, line);
		snprintf(img, sizeof(img), "%s/%s", DEB_CERTS, e->d_name);
		rc = inst_symlink(c, img, abs, -1);
		c->quiet = false;
	}
	closedir(d);
	return rc;
}

static int journal_links(inst_ctx *c)
{
	char host[PATH_MAX];
	DIR *d;
	struct dirent *e;
	ats_buf b = {0};
	struct stat st;
	/* One left by a killed run knows the older, truer forms: keep it. */
	if (inst_host(c, DEB_JOURNAL, host) == 0 && stat(host, &st) == 0)
		return 0;
	ats_buf_put(&b, "# atscheck: links in /etc/ssl/certs before update-ca-certificates ran\n", 70);
	if (inst_host(c, DEB_CERTS, host) == 0 && (d = opendir(host))) {
		while ((e = readdir(d))) {
			char p[PATH_MAX], target[PATH_MAX];
			snprintf(p, sizeof(p), "%s/%s", host, e->d_name);
			ssize_t r = readlink(p, target, sizeof(target) - 1);
			if (r > 0)
				ats_buf_printf(&b, "%s\t%.*s\n", e->d_name, (int)r, target);
		}
		closedir(d);
	}
	int rc = b.oom ? ats_err_set(c->err, ATS_ENOMEM, "%s: out of memory journalling its links", DEB_CERTS)
		       : inst_write(c, DEB_JOURNAL, b.p, b.n, "journal", -1);
	ats_buf_free(&b);
	return rc;
}

static int finish_links(inst_ctx *c, bool interrupted)
{
	char host[PATH_MAX];
	unsigned char *j = NULL;
	size_t len;
	ats_err e2 = {0};
	if (inst_host(c, DEB_JOURNAL, host) != 0 || ats_file_read(host, DEB_JOURNAL, &j, &len, &e2) != 0)
		return 0;
	if (interrupted)
		inst_note(c, "an interrupted run left links in %s in the form update-ca-certificates "
			  "gave them here: %s their device form", DEB_CERTS,
			  c->dry ? "a run (not --dry-run) will give them back" : "gave them back");
	int rc = restore_links(c, (char *)j);
	free(j);
	if (rc == 0 && !c->dry && unlink(host) == 0)
		ats_dir_sync(host);
	return rc;
}

int inst_debian_recover(inst_ctx *c)
{
	return finish_links(c, true);
}

/* fsync what the tool wrote without syncing (it renames its new bundle into place). */
static void sync_bundle(inst_ctx *c)
{
	char host[PATH_MAX];
	if (inst_host(c, DEB_BUNDLE, host) != 0)
		return;
	int fd = open(host, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	ats_dir_sync(host);
}

static int tool_update(inst_ctx *c, const char *tool, const inst_deb_target *t)
{
	char conf[PATH_MAX], certs[PATH_MAX], hooks[PATH_MAX], rshare[PATH_MAX], rlocal[PATH_MAX];
	char stale[PATH_MAX + 8];
	int rc;

	c->method = TOOL;
	if (inst_host(c, DEB_CERTS, certs) != 0)
		return ATS_EIO;
	snprintf(stale, sizeof(stale), "%s/ca-certificates.crt.new", certs);
	char *plain[] = {(char *)tool, NULL};
	char *argv[] = {(char *)tool, "--certsconf", conf, "--certsdir", rshare, "--localcertsdir",
			rlocal, "--etccertsdir", certs, "--hooksdir", hooks, NULL};
	if (c->root) {
		if ((rc = relative_dirs(c, rshare, rlocal, sizeof(rshare))) != 0 ||
		    inst_host(c, DEB_CONF, conf) != 0 ||
		    inst_host(c, "/var/lib/atscheck/no-hooks-on-this-machine", hooks) != 0)
			return ATS_EIO;
		char h[PATH_MAX];
		DIR *d = inst_host(c, DEB_HOOKS, h) == 0 ? opendir(h) : NULL;
		struct dirent *e;
		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.')
				inst_note(c, "hook %s/%s was not run on this machine: the image runs it the "
					  "next time update-ca-certificates runs there", DEB_HOOKS, e->d_name);
		if (d)
			closedir(d);
		if ((rc = journal_links(c)) != 0)
			return rc;
	}
	/* A killed run of the tool leaves its half-made bundle, which the next run appends to. */
	if (access(stale, F_OK) == 0) {
		json_array_append_new(c->changes, json_pack("{s:s, s:s}", "action", "remove",
							    "path", DEB_CERTS "/ca-certificates.crt.new"));
		if (!c->dry && unlink(stale) != 0)
			return ats_err_set(c->err, ATS_EIO, "%s: cannot remove: %s", stale, strerror(errno));
	}
	if ((rc = inst_run(c, DEB_CERTS, c->root ? argv : plain)) != 0)
		return rc;
	if (c->dry) {
		/* What the tool will add for the targets, for the reader. */
		c->by = TOOL;
		rc = own_update(c, t);
		c->by = NULL;
		return rc;
	}
	const char *last = json_string_value(json_array_get(c->tool_output,
							   json_array_size(c->tool_output) - 1));
	bool ran = false;
	for (size_t k = 0; k < json_array_size(c->tool_output); k++)
		ran = ran || strstr(json_string_value(json_array_get(c->tool_output, k)), " added, ");
	if (!ran)
		return ats_err_set(c->err, ATS_EIO, "%s did not update %s (it said: %s)", tool, certs,
				   last ? last : "nothing");
	sync_bundle(c);
	return c->root ? finish_links(c, false) : 0;
}

int inst_debian_update(inst_ctx *c, const inst_deb_target *t, const char *conf, size_t conf_len)
{
	char tool[PATH_MAX], why[PATH_MAX * 2 + 64] = "";
	size_t extras;

	if (c->o->no_tool)
		snprintf(why, sizeof(why), "--no-tool");
	else if (!inst_tool_find(TOOL, tool, sizeof(tool)))
		snprintf(why, sizeof(why), TOOL " is not installed on this machine");
	else if (c->root && !tool_takes_dirs(tool))
		snprintf(why, sizeof(why), "%s cannot be pointed into an image (no --etccertsdir, "
			 "--hooksdir...)", tool);
	else if (c->root && foreign_link(c, conf, conf_len, why, sizeof(why)))
		;
	else if ((extras = bundle_extras(c, t, conf, conf_len)) > 0)
		snprintf(why, sizeof(why), "%s holds %zu certificate%s that no selected file provides "
			 "(added by hand?), which " TOOL " would drop", DEB_BUNDLE, extras,
			 extras == 1 ? "" : "s");
	if (!why[0])
		return tool_update(c, tool, t);
	c->method = "atscheck";
	inst_note(c, "atscheck added the links and the bundle entries itself, touching nothing "
		  "else: %s", why);
	return own_update(c, t);
}
