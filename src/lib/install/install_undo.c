/* What a real install pass wrote, with what was there before, so a pass that fails (the
 * platform's tool exits non-zero after the conf lines and CA files are written) puts every file
 * and link back as it found it instead of leaving half an install nobody is told about. The
 * tool's own work in its folders cannot be taken back: the message says to run it again. */
#include "install/install_int.h"

#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct inst_undo {
	char *host;
	bool existed, link, lost; /* lost: what was there could not be kept (not restorable) */
	unsigned char *old;       /* file bytes, or the link's target (NUL-terminated) */
	size_t olen;
	mode_t mode;
};

void inst_undo_note(inst_ctx *c, const char *host)
{
	struct stat st;
	if (c->dry || !c->undo_on)
		return;
	for (size_t i = 0; i < c->nundo; i++)
		if (strcmp(c->undo[i].host, host) == 0)
			return; /* the first write of a path holds what was there before the run */
	if (c->nundo == c->undo_cap) {
		size_t cap = c->undo_cap ? c->undo_cap * 2 : 16;
		struct inst_undo *v = realloc(c->undo, cap * sizeof(*v));
		if (!v)
			return;
		c->undo = v;
		c->undo_cap = cap;
	}
	struct inst_undo *u = &c->undo[c->nundo];
	memset(u, 0, sizeof(*u));
	if (!(u->host = strdup(host)))
		return;
	c->nundo++;
	if (lstat(host, &st) != 0) {
		u->lost = errno != ENOENT;
		return;
	}
	u->existed = true;
	u->mode = st.st_mode & 07777;
	if (S_ISLNK(st.st_mode)) {
		char t[PATH_MAX];
		ssize_t r = readlink(host, t, sizeof(t) - 1);
		u->link = true;
		if (r < 0 || !(u->old = malloc((size_t)r + 1))) {
			u->lost = true;
			return;
		}
		memcpy(u->old, t, (size_t)r);
		u->old[r] = '\0';
		u->olen = (size_t)r;
		return;
	}
	ats_err e2 = {0};
	u->lost = !S_ISREG(st.st_mode) || ats_file_read(host, NULL, &u->old, &u->olen, &e2) != 0;
}

static int put_back(const struct inst_undo *u)
{
	ats_err e2 = {0};
	if (u->lost)
		return -1;
	if (!u->existed)
		return unlink(u->host) == 0 || errno == ENOENT ? 0 : -1;
	if (!u->link)
		return ats_file_write_atomic(u->host, u->old, u->olen, u->mode, &e2);
	char tmp[PATH_MAX + 32];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", u->host, (long)getpid());
	unlink(tmp);
	if (symlink((const char *)u->old, tmp) != 0)
		return -1;
	if (rename(tmp, u->host) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

void inst_undo_run(inst_ctx *c, size_t *restored, size_t *failed, char *first_failed, size_t n)
{
	*restored = *failed = 0;
	if (n)
		first_failed[0] = '\0';
	for (size_t i = c->nundo; i-- > 0;) {
		if (put_back(&c->undo[i]) == 0) {
			++*restored;
			ats_dir_sync(c->undo[i].host);
		} else if ((*failed)++ == 0 && n) {
			snprintf(first_failed, n, "%s", c->undo[i].host);
		}
	}
	inst_undo_free(c);
}

void inst_undo_free(inst_ctx *c)
{
	for (size_t i = 0; i < c->nundo; i++) {
		free(c->undo[i].host);
		if (c->undo[i].old && !c->undo[i].link)
			ats_wipe(c->undo[i].old, c->undo[i].olen);
		free(c->undo[i].old);
	}
	free(c->undo);
	c->undo = NULL;
	c->nundo = c->undo_cap = 0;
}
