/* The file steps of an install: each checks first whether it is needed, records itself, and
 * writes (when the pass is not dry) through a temp name, fsync and rename. */
#include "base/der.h"
#include "install/install_int.h"
#include "base/pem.h"
#include "base/rootfs.h"
#include "base/strbuf.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int inst_host(inst_ctx *c, const char *img, char *host)
{
	return ats_root_path(c->root, img, host, PATH_MAX, c->err);
}

void inst_note(inst_ctx *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(c->notes, json_string(buf));
}

void inst_ca_set(inst_ctx *c, int i, const char *key, const char *value)
{
	json_object_set_new(json_array_get(c->cas, (size_t)i), key, json_string(value));
}

static void record(inst_ctx *c, const char *action, const char *path, int ca, const char *k,
		   const char *v)
{
	json_t *e = c->quiet ? NULL : json_pack("{s:s, s:s}", "action", action, "path", path);
	if (!e)
		return;
	if (ca >= 0)
		json_object_set_new(e, "ca", json_string(ats_catalog_get(ca)->name));
	if (c->by)
		json_object_set_new(e, "by", json_string(c->by));
	if (k)
		json_object_set_new(e, k, json_string(v));
	json_array_append_new(c->changes, e);
}

static int io_fail(inst_ctx *c, const char *host, const char *what)
{
	return ats_err_set(c->err, ATS_EIO, "%s: cannot %s: %s%s", host, what, strerror(errno),
			   errno == EACCES || errno == EPERM ? " (run as root?)" : "");
}

int inst_mkdirs(inst_ctx *c, const char *img_dir)
{
	char host[PATH_MAX], parent[PATH_MAX];
	struct stat st;
	if (inst_host(c, img_dir, host) != 0)
		return ATS_EIO;
	if (stat(host, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0
					   : ats_err_set(c->err, ATS_EIO, "%s: not a directory", host);
	snprintf(parent, sizeof(parent), "%s", img_dir);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		int rc = inst_mkdirs(c, parent);
		if (rc)
			return rc;
	}
	record(c, "mkdir", img_dir, -1, NULL, NULL);
	if (c->dry)
		return 0;
	if (mkdir(host, 0755) != 0 && errno != EEXIST)
		return io_fail(c, host, "create the directory");
	if (c->made_dirs)
		json_array_append_new(c->made_dirs, json_string(host));
	ats_dir_sync(host);
	return 0;
}

static int parent_mkdirs(inst_ctx *c, const char *img)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", img);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return inst_mkdirs(c, dir);
}

int inst_write(inst_ctx *c, const char *img, const void *data, size_t len, const char *action,
	       int ca)
{
	char host[PATH_MAX];
	unsigned char *old = NULL;
	size_t olen = 0;
	ats_err e2 = {0};
	int rc;

	if (inst_host(c, img, host) != 0)
		return ATS_EIO;
	if (ats_file_read(host, img, &old, &olen, &e2) == 0 && olen == len &&
	    memcmp(old, data, len) == 0) {
		free(old);
		return 0;
	}
	free(old);
	if ((rc = parent_mkdirs(c, img)) != 0)
		return rc;
	record(c, action, img, ca, NULL, NULL);
	if (c->dry)
		return 0;
	inst_undo_note(c, host);
	return ats_file_write_atomic(host, data, len, 0644, c->err);
}

/* The link itself on the host: its folder resolved in the image, its own name kept. */
static int link_host(inst_ctx *c, const char *img_link, char *host)
{
	char dir[PATH_MAX];
	const char *base = strrchr(img_link, '/');
	if (!base)
		return ats_err_set(c->err, ATS_EUSAGE, "%s: not an absolute path", img_link);
	snprintf(dir, sizeof(dir), "%.*s", (int)(base - img_link), img_link);
	if (ats_root_path(c->root, dir[0] ? dir : "/", host, PATH_MAX, c->err) != 0)
		return ATS_EIO;
	if (strlen(host) + strlen(base) >= PATH_MAX)
		return ats_err_set(c->err, ATS_EUSAGE, "%s: path too long", img_link);
	strcat(host, base);
	return 0;
}

int inst_symlink(inst_ctx *c, const char *img_link, const char *target, int ca)
{
	char host[PATH_MAX], cur[PATH_MAX], tmp[PATH_MAX + 32];
	ssize_t r;
	int rc;

	if ((rc = link_host(c, img_link, host)) != 0)
		return rc;
	r = readlink(host, cur, sizeof(cur) - 1);
	if (r >= 0) {
		cur[r] = '\0';
		if (strcmp(cur, target) == 0)
			return 0;
	}
	if ((rc = parent_mkdirs(c, img_link)) != 0)
		return rc;
	record(c, "link", img_link, ca, "target", target);
	if (c->dry)
		return 0;
	inst_undo_note(c, host);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", host, (long)getpid());
	unlink(tmp);
	if (symlink(target, tmp) != 0)
		return io_fail(c, host, "create the link");
	if (rename(tmp, host) != 0) {
		int saved = errno;
		unlink(tmp);
		errno = saved;
		return io_fail(c, host, "create the link");
	}
	ats_dir_sync(host);
	return 0;
}

/* SHA-256 of the first certificate in a file of the image; false when there is none. */
static bool first_cert_sha(inst_ctx *c, const char *img, unsigned char sha[32])
{
	char host[PATH_MAX];
	unsigned char *data = NULL, *der = NULL;
	size_t len, dlen;
	ats_err e2 = {0};
	bool ok = false;
	if (ats_root_path(c->root, img, host, sizeof(host), &e2) == 0 &&
	    ats_file_read(host, img, &data, &len, &e2) == 0 &&
	    ats_pem_decode_first((char *)data, len, &der, &dlen) == 0) {
		ats_sha256(der, dlen, sha);
		ok = true;
	}
	free(data);
	free(der);
	return ok;
}

bool inst_file_has(inst_ctx *c, const char *img, int i)
{
	unsigned char sha[32];
	return first_cert_sha(c, img, sha) && memcmp(sha, ats_catalog_get(i)->cert_sha256, 32) == 0;
}

int inst_hash_link(inst_ctx *c, const char *img_dir, const char *target, int i)
{
	ats_der_cert dc;
	const unsigned char *p;
	unsigned long h;
	int ok = 0, free_slot = -1;
	char img[PATH_MAX], host[PATH_MAX];

	if (ats_der_cert_read(c->der[i], c->der_len[i], &dc) != 0)
		return ats_err_set(c->err, ATS_EPARSE, "%s: cannot read its subject", ats_catalog_get(i)->name);
	p = dc.subject.p;
	X509_NAME *name = d2i_X509_NAME(NULL, &p, (long)dc.subject.n);
	if (!name)
		return ats_err_set(c->err, ATS_EPARSE, "%s: cannot read its subject", ats_catalog_get(i)->name);
	h = X509_NAME_hash_ex(name, NULL, NULL, &ok);
	X509_NAME_free(name);
	if (!ok)
		return ats_err_set(c->err, ATS_ECRYPTO, "%s: cannot hash its subject", ats_catalog_get(i)->name);
	for (int k = 0; k < 1000; k++) {
		struct stat st;
		snprintf(img, sizeof(img), "%s/%08lx.%d", img_dir, h, k);
		if (link_host(c, img, host) != 0)
			return ATS_EIO;
		if (lstat(host, &st) != 0) {
			if (free_slot < 0)
				free_slot = k;
			if (k > free_slot + 8)
				break; /* rehash numbers without gaps; a few more are enough */
			continue;
		}
		if (inst_file_has(c, img, i))
			return 0;
	}
	if (free_slot < 0)
		return ats_err_set(c->err, ATS_EIO, "%s: no free hash link name for %s", img_dir,
				   ats_catalog_get(i)->name);
	snprintf(img, sizeof(img), "%s/%08lx.%d", img_dir, h, free_slot);
	return inst_symlink(c, img, target, i);
}

static void collect_sha(void *ctx, const unsigned char *der, size_t len, ats_cert_pos pos)
{
	bool *has = ctx;
	unsigned char sha[32];
	(void)pos;
	ats_sha256(der, len, sha);
	int i = ats_catalog_by_cert(sha);
	if (i >= 0)
		has[i] = true;
}

void inst_ignore_problem(void *ctx, ats_cert_pos pos, const char *msg)
{
	(void)ctx;
	(void)pos;
	(void)msg;
}

int inst_bundle_add(inst_ctx *c, const char *img_bundle, const bool want[ATS_CA_COUNT],
		    const char *backup_img)
{
	char host[PATH_MAX];
	unsigned char *old = NULL;
	size_t olen = 0;
	bool has[ATS_CA_COUNT] = {0}, exists;
	ats_err e2 = {0};
	ats_buf b = {0};
	int rc = 0;
	struct stat st;

	if (inst_host(c, img_bundle, host) != 0)
		return ATS_EIO;
	exists = stat(host, &st) == 0;
	if (exists && ats_file_read(host, img_bundle, &old, &olen, c->err) != 0)
		return ATS_EIO;
	ats_cert_sink sink = {has, collect_sha, inst_ignore_problem};
	if (old)
		ats_certs_scan(old, olen, &sink);
	ats_buf_put(&b, old ? (const char *)old : "", olen);
	if (olen && old[olen - 1] != '\n')
		ats_buf_put(&b, "\n", 1);
	bool any = false;
	for (int i = 0; i < ATS_CA_COUNT; i++) {
		if (!want[i] || has[i])
			continue;
		ats_buf_put(&b, c->pem[i], c->pem_len[i]);
		record(c, "append", img_bundle, i, NULL, NULL);
		any = true;
	}
	if (!any)
		goto out;
	if (backup_img && exists && (rc = inst_write(c, backup_img, old, olen, "backup", -1)) != 0)
		goto out;
	if ((rc = parent_mkdirs(c, img_bundle)) != 0 || c->dry)
		goto out;
	if (b.oom) {
		rc = ats_err_set(c->err, ATS_ENOMEM, "%s: out of memory", img_bundle);
		goto out;
	}
	inst_undo_note(c, host);
	rc = ats_file_write_atomic(host, b.p, b.n, exists ? (st.st_mode & 07777) : 0644, c->err);
out:
	(void)e2;
	free(old);
	ats_buf_free(&b);
	return rc;
}

bool inst_tool_find(const char *name, char *out, size_t n)
{
	const char *path = getenv("PATH");
	char *dirs = NULL, *save = NULL;
	bool found = false;
	if (asprintf(&dirs, "%s:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin") < 0)
		return false;
	for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		if (!*d)
			continue;
		snprintf(out, n, "%s/%s", d, name);
		found = access(out, X_OK) == 0;
	}
	free(dirs);
	return found;
}

int inst_run(inst_ctx *c, const char *path, char *const argv[])
{
	ats_buf cmd = {0};
	int pfd[2] = {-1, -1}, status = 0;
	pid_t pid;
	char buf[4096];
	ats_buf out = {0};

	for (int k = 0; argv[k]; k++)
		ats_buf_printf(&cmd, "%s%s", k ? " " : "", argv[k]);
	json_t *e = json_pack("{s:s, s:s, s:s}", "action", "run", "path", path, "command",
			      cmd.p ? cmd.p : "");
	json_array_append_new(c->changes, e);
	if (c->dry) {
		ats_buf_free(&cmd);
		return 0;
	}
	if (pipe2(pfd, O_CLOEXEC) != 0 || (pid = fork()) < 0) {
		ats_buf_free(&cmd);
		return ats_err_set(c->err, ATS_EIO, "%s: cannot start: %s", argv[0], strerror(errno));
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(pfd[1], STDOUT_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		ssize_t r = read(pfd[0], buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (out.n < 256 * 1024)
			ats_buf_put(&out, buf, (size_t)r);
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	char *text = ats_buf_take(&out), *save = NULL, *last = "";
	for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
		json_array_append_new(c->tool_output, json_string(l));
		last = l;
	}
	int rc = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		rc = ats_err_set(c->err, ATS_EIO, "%s failed (%s %d): %s", cmd.p,
				 WIFEXITED(status) ? "exit" : "signal",
				 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), last);
	free(text);
	ats_buf_free(&cmd);
	return rc;
}

int inst_lock(inst_ctx *c, int *fd)
{
	char host[PATH_MAX];
	*fd = -1;
	int rc = parent_mkdirs(c, c->lock_img); /* none for a bare name: the current folder */
	json_array_clear(c->changes); /* the lock's folder is not a change worth reporting */
	if (rc != 0 || inst_host(c, c->lock_img, host) != 0)
		return rc ? rc : ATS_EIO;
	/* Not O_CLOEXEC: the platform tool inherits the lock and holds it until it ends. */
	*fd = open(host, O_RDWR | O_CREAT | O_NOFOLLOW, 0644);
	if (*fd < 0)
		return io_fail(c, host, "create the lock file");
	for (int tries = 0; flock(*fd, LOCK_EX | LOCK_NB) != 0; tries++) {
		if (errno != EWOULDBLOCK || tries >= 200) {
			close(*fd);
			*fd = -1;
			return ats_err_set(c->err, ATS_EBUSY, "%s: another atscheck install (or the tool "
					   "it started) holds this lock; try again when it has finished", host);
		}
		usleep(50 * 1000);
	}
	return 0;
}

/* The nearest folder that exists on the way to host: where a new entry would be made. */
static void existing_dir(const char *host, char *dir, size_t n)
{
	struct stat st;
	snprintf(dir, n, "%s", host);
	for (;;) {
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir) {
			snprintf(dir, n, "/");
			return;
		}
		*slash = '\0';
		if (stat(dir, &st) == 0)
			return;
	}
}

int inst_preflight(inst_ctx *c)
{
	size_t k;
	json_t *e;
	json_array_foreach(c->changes, k, e) {
		const char *img = json_string_value(json_object_get(e, "path"));
		const char *action = json_string_value(json_object_get(e, "action"));
		char host[PATH_MAX], dir[PATH_MAX];
		if (!img || inst_host(c, img, host) != 0)
			continue;
		/* "run" names the folder the tool writes in; everything else a new entry. */
		if (strcmp(action, "run") == 0)
			snprintf(dir, sizeof(dir), "%s", host);
		else
			existing_dir(host, dir, sizeof(dir));
		if (access(dir, W_OK) != 0)
			return io_fail(c, dir, "write");
	}
	return 0;
}

int inst_clean_temps(inst_ctx *c, const char *img_dir, const char *prefix)
{
	char host[PATH_MAX];
	DIR *d;
	struct dirent *e;
	int rc = 0;
	if (inst_host(c, img_dir, host) != 0 || !(d = opendir(host)))
		return 0;
	while (rc == 0 && (e = readdir(d))) {
		const char *t = strstr(e->d_name, ".tmp.");
		char *end, img[PATH_MAX], p[PATH_MAX];
		if (!t || (prefix && strncmp(e->d_name, prefix, strlen(prefix)) != 0))
			continue;
		while (strstr(t + 1, ".tmp."))
			t = strstr(t + 1, ".tmp.");
		long pid = strtol(t + 5, &end, 10);
		if (*end || pid <= 0 || end == t + 5 || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue; /* not ours, or its writer is alive */
		snprintf(img, sizeof(img), "%s/%s", img_dir, e->d_name);
		snprintf(p, sizeof(p), "%s/%s", host, e->d_name);
		record(c, "remove", img, -1, "why", "left by a run that was killed");
		if (!c->dry && unlink(p) != 0 && errno != ENOENT)
			rc = io_fail(c, p, "remove");
	}
	closedir(d);
	return rc;
}
