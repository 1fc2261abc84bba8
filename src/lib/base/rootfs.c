#include "base/rootfs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINKS 40

/* Prepends `prefix` (a link target) to the unprocessed rest in `todo`. */
static int push_front(char *todo, size_t n, const char *prefix)
{
	char tmp[PATH_MAX * 2];
	int w = snprintf(tmp, sizeof(tmp), "%s/%s", prefix, todo);
	if (w < 0 || (size_t)w >= n)
		return -1;
	memcpy(todo, tmp, (size_t)w + 1);
	return 0;
}

int ats_root_check(const char *root, ats_err *err)
{
	struct stat st;
	if (!root || !*root)
		return 0;
	if (stat(root, &st) != 0)
		return ats_err_set(err, ATS_EUSAGE, "%s: cannot use as an image root: %s", root,
				   strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return ats_err_set(err, ATS_EUSAGE, "%s: not a directory (an image's root folder is "
				   "expected, e.g. a mounted or unpacked rootfs)", root);
	return 0;
}

int ats_root_path(const char *root, const char *path, char *out, size_t n, ats_err *err)
{
	char todo[PATH_MAX * 2], done[PATH_MAX], host[PATH_MAX * 2], link[PATH_MAX];
	int links = 0;

	if (!root || !*root) {
		if (snprintf(out, n, "%s", path) >= (int)n)
			return ats_err_set(err, ATS_EUSAGE, "%s: path too long", path);
		return 0;
	}
	if (snprintf(todo, sizeof(todo), "%s", path) >= (int)sizeof(todo))
		return ats_err_set(err, ATS_EUSAGE, "%s: path too long", path);
	done[0] = '\0';

	char *p = todo;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		char comp[NAME_MAX + 1];
		if (len > NAME_MAX)
			return ats_err_set(err, ATS_EUSAGE, "%s: path component too long", path);
		memcpy(comp, p, len);
		comp[len] = '\0';
		p += len;

		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			/* ".." at the image's root stays there, as the booted device (and chroot)
			 * resolves it: nothing above the root is ever reached. */
			char *last = strrchr(done, '/');
			if (last)
				*last = '\0';
			continue;
		}
		size_t dl = strlen(done);
		if (dl + 1 + len + 1 > sizeof(done))
			return ats_err_set(err, ATS_EUSAGE, "%s: path too long", path);
		done[dl] = '/';
		memcpy(done + dl + 1, comp, len + 1);

		snprintf(host, sizeof(host), "%s%s", root, done);
		struct stat st;
		if (lstat(host, &st) != 0 || !S_ISLNK(st.st_mode))
			continue; /* a plain entry, or not there (yet): keep it literally */
		if (++links > MAX_LINKS)
			return ats_err_set(err, ATS_EIO, "%s: too many levels of symbolic links (a loop) under %s",
					   path, root);
		ssize_t r = readlink(host, link, sizeof(link) - 1);
		if (r < 0)
			return ats_err_set(err, ATS_EIO, "%s: cannot read link: %s", host, strerror(errno));
		link[r] = '\0';
		/* The link replaces its own component: relative targets start from its parent. */
		done[dl] = '\0';
		if (link[0] == '/')
			done[0] = '\0';
		/* p points into todo; move the rest to the front, then put the target before it. */
		memmove(todo, p, strlen(p) + 1);
		if (push_front(todo, sizeof(todo), link) != 0)
			return ats_err_set(err, ATS_EUSAGE, "%s: path too long", path);
		p = todo;
	}
	if (snprintf(out, n, "%s%s", root, done[0] ? done : "/") >= (int)n)
		return ats_err_set(err, ATS_EUSAGE, "%s: path too long", path);
	return 0;
}

const char *ats_root_strip(const char *root, const char *hostpath)
{
	size_t n = root ? strlen(root) : 0;
	if (n && strncmp(hostpath, root, n) == 0 && hostpath[n] == '/')
		return hostpath + n;
	return hostpath;
}
