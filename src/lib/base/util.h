/* Small helpers every module needs: bounded file reads, atomic writes, hex, SHA-256, time. */
#ifndef ATS_UTIL_H
#define ATS_UTIL_H

#include "base/ats.h"

#include <stdbool.h>
#include <sys/types.h>

/* Largest input file atscheck reads whole: no trust store or certificate comes near it, and a
 * 2 GB file is refused before any of it is read. */
#define ATS_MAX_INPUT (64u * 1024u * 1024u)

/* Opens a file for reading only when it is a regular file, without ever blocking on the open: a
 * directory, FIFO, device or socket is refused with one message naming `label` (path when NULL).
 * Returns a blocking descriptor (O_CLOEXEC), or -1 with err set; st, when given, is its fstat.
 * Every reader of a named input goes through this (or ats_file_read, which does). */
struct stat;
int ats_file_open_regular(const char *path, const char *label, struct stat *st, ats_err *err);

/* Reads a regular file whole (NUL-terminated for convenience; *len excludes the NUL). Refuses
 * directories, devices, FIFOs and files over ATS_MAX_INPUT with a message naming `label`. */
int ats_file_read(const char *path, const char *label, unsigned char **data, size_t *len,
		  ats_err *err);
/* ats_file_read, and the descriptor it read through left open in *keep (the caller closes it):
 * for a reader that comes back to parts of the same file later (pread), whatever replaced the
 * name meanwhile. */
int ats_file_read_keep(const char *path, const char *label, int *keep, unsigned char **data,
		       size_t *len, ats_err *err);

/* A file a directory listing has just named a regular file (readdir's d_type), read whole into
 * buf when it fits: one open, one read, one close (no fstat: a short read of a regular file is
 * its end). *data is buf, or a malloc'd copy read the careful way (ats_file_read) when the file
 * fills buf or the first read shows it is not a regular file after all; free it when it is not
 * buf. Same messages and limits as ats_file_read. */
int ats_file_read_listed(const char *path, const char *label, unsigned char *buf, size_t cap,
			 unsigned char **data, size_t *len, ats_err *err);
/* The same, the file named relative to a folder the listing holds open (dirfd; AT_FDCWD: name
 * as a path): no path walk from the root. path is the file's whole name, for the careful way. */
int ats_file_read_listed_at(int dirfd, const char *name, const char *path, const char *label,
			    unsigned char *buf, size_t cap, unsigned char **data, size_t *len,
			    ats_err *err);

/* Writes data to path through a temporary file in the same directory, fsync and rename, so a
 * reader sees the old content or the new, never a part. mode applies to the new file. */
int ats_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			  ats_err *err);
/* fsyncs the directory holding path (after a rename, so the rename is durable). */
void ats_dir_sync(const char *path);

void ats_hex(const unsigned char *in, size_t n, char *out, bool upper); /* out: 2n+1 */
int ats_unhex(const char *in, unsigned char *out, size_t n);          /* 0 when exactly n bytes */
void ats_sha256(const void *data, size_t n, unsigned char out[32]);
void ats_sha1(const void *data, size_t n, unsigned char out[20]);

/* Parses "now", "2035-01-01", "2035-01-01T12:00:00Z", "2035-01-01 12:00:00" or "@<epoch>" as UTC. */
int ats_time_parse(const char *s, time_t now, time_t *out, ats_err *err);
/* ISO 8601 UTC, "2038-01-17T00:00:00Z"; buf at least 21 bytes. */
const char *ats_time_format(time_t t, char *buf, size_t n);
/* ASN1_TIME to time_t; -1 on failure. */
struct asn1_string_st;
time_t ats_asn1_time_to_time(const struct asn1_string_st *t);

/* s as valid UTF-8 in out (cap bytes, always NUL-terminated): each byte that is not part of a
 * well-formed sequence becomes the four characters "\xNN", so a file or device name in another
 * encoding stays visible and distinct in JSON (which holds only UTF-8) instead of being dropped.
 * Returns out. */
const char *ats_utf8_clean(const char *s, char *out, size_t cap);
/* Whether n bytes are well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
bool ats_utf8_valid(const void *s, size_t n);

/* Wipes a buffer in a way the compiler keeps. */
void ats_wipe(void *p, size_t n);

#endif
