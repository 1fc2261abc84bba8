/* Paths inside an unbooted firmware image (--root DIR).
 *
 * Every path the audit or install reads is taken as the image would see it: resolved under DIR,
 * with absolute symlinks pointing inside DIR, and a ".." at DIR staying at DIR (as the booted
 * device's "/.." is "/"), so nothing outside DIR is ever read or written. A loop is an error
 * naming the link. */
#ifndef ATS_ROOTFS_H
#define ATS_ROOTFS_H

#include "base/ats.h"

#include <limits.h>

/* 0 when root is NULL, "" or a directory; else ATS_EUSAGE with one message naming root (a file
 * given as --root would otherwise fail every store with "Not a directory"). */
int ats_root_check(const char *root, ats_err *err);

/* Resolves `path` (absolute, as seen inside the image) to a host path in out (PATH_MAX bytes).
 * With root NULL or "", out is path unchanged. Components that do not exist are kept as they are
 * (so a file to be created resolves too). */
int ats_root_path(const char *root, const char *path, char *out, size_t n, ats_err *err);

/* The image path of a host path returned by ats_root_path (for messages): strips the root. */
const char *ats_root_strip(const char *root, const char *hostpath);

#endif
