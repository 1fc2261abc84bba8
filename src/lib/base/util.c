/* SHA256_Init/Update/Final: deprecated in OpenSSL 3 in favour of EVP, kept by it (see ats_sha256). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file_kind(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
	       : S_ISSOCK(m) ? "a socket" : "not a file";
}

int ats_file_open_regular(const char *path, const char *label, struct stat *st, ats_err *err)
{
	struct stat own;
	if (!st)
		st = &own;
	if (!label)
		label = path;
	/* O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		ats_err_set(err, ATS_EIO, "%s: cannot open: %s", label, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) != 0) {
		ats_err_set(err, ATS_EIO, "%s: cannot stat: %s", label, strerror(errno));
	} else if (S_ISDIR(st->st_mode)) {
		ats_err_set(err, ATS_EIO, "%s: is a directory, expected a file", label);
	} else if (!S_ISREG(st->st_mode)) {
		ats_err_set(err, ATS_EIO, "%s: not a regular file (%s)", label, file_kind(st->st_mode));
	} else {
		return fd; /* O_NONBLOCK changes nothing for a regular file's reads (it stays set) */
	}
	close(fd);
	return -1;
}

int ats_file_read(const char *path, const char *label, unsigned char **data, size_t *len,
		  ats_err *err)
{
	return ats_file_read_keep(path, label, NULL, data, len, err);
}

int ats_file_read_keep(const char *path, const char *label, int *keep, unsigned char **data,
		       size_t *len, ats_err *err)
{
	int fd, rc = ATS_EIO;
	unsigned char *buf = NULL;
	struct stat st;
	size_t got = 0;

	*data = NULL;
	*len = 0;
	if (!label)
		label = path;
	if ((fd = ats_file_open_regular(path, label, &st, err)) < 0)
		goto out;
	if ((unsigned long long)st.st_size > ATS_MAX_INPUT) {
		ats_err_set(err, ATS_EIO, "%s: too large (%lld bytes; the limit is %u MiB)", label,
			    (long long)st.st_size, ATS_MAX_INPUT / (1024 * 1024));
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		ats_err_set(err, ATS_ENOMEM, "%s: out of memory", label);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ats_err_set(err, ATS_EIO, "%s: read failed: %s", label, strerror(errno));
			goto out;
		}
		if (r == 0)
			break; /* shrank while reading: take what is there */
		got += (size_t)r;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	buf = NULL;
	rc = 0;
	if (keep) {
		*keep = fd;
		fd = -1;
	}
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

int ats_file_read_listed(const char *path, const char *label, unsigned char *buf, size_t cap,
			 unsigned char **data, size_t *len, ats_err *err)
{
	return ats_file_read_listed_at(AT_FDCWD, path, path, label, buf, cap, data, len, err);
}

int ats_file_read_listed_at(int dirfd, const char *name, const char *path, const char *label,
			    unsigned char *buf, size_t cap, unsigned char **data, size_t *len,
			    ats_err *err)
{
	/* O_NONBLOCK: if it became a FIFO since the listing, the open and the read return at once. */
	int fd = cap > 1 ? openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK) : -1;
	ssize_t r = -1;
	if (fd >= 0) {
		do
			r = read(fd, buf, cap - 1);
		while (r < 0 && errno == EINTR);
		close(fd);
	}
	if (r > 0 && (size_t)r < cap - 1) {
		buf[r] = '\0';
		*data = buf;
		*len = (size_t)r;
		return 0;
	}
	/* Larger than buf, empty, unreadable, or not what the listing said: the careful way, which
	 * also says what it is. */
	return ats_file_read(path, label, data, len, err);
}

void ats_dir_sync(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

int ats_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			  ats_err *err)
{
	char *tmp = NULL;
	int fd = -1, rc = ATS_EIO;
	size_t off = 0;
	size_t n = strlen(path) + 32;

	tmp = malloc(n);
	if (!tmp)
		return ats_err_set(err, ATS_ENOMEM, "%s: out of memory", path);
	snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		ats_err_set(err, ATS_EIO, "%s: cannot write: %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) != 0) { /* umask must not widen or narrow what the caller asked */
		ats_err_set(err, ATS_EIO, "%s: cannot set mode: %s", path, strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t w = write(fd, (const char *)data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			ats_err_set(err, ATS_EIO, "%s: cannot write: %s", path, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0) {
		ats_err_set(err, ATS_EIO, "%s: cannot write: fsync: %s", path, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		ats_err_set(err, ATS_EIO, "%s: cannot write: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		ats_err_set(err, ATS_EIO, "%s: cannot write: rename: %s", path, strerror(errno));
		goto out;
	}
	ats_dir_sync(path);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

void ats_hex(const unsigned char *in, size_t n, char *out, bool upper)
{
	const char *d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ats_unhex(const char *in, unsigned char *out, size_t n)
{
	size_t i = 0;
	for (; i < n; i++) {
		int hi = hexval((unsigned char)in[0]), lo = hi < 0 ? -1 : hexval((unsigned char)in[1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
		in += 2;
		if (*in == ':')
			in++;
	}
	return *in == '\0' ? 0 : -1;
}

/* SHA-256 by OpenSSL's digest itself (SHA256_Init/Update/Final), not through EVP: the EVP route
 * starts OpenSSL 3's provider machinery on first use (about 2 MB of a run's peak memory, for an
 * audit that needs nothing else of it) and looks the algorithm up on every call; the one-shot
 * SHA256() is EVP underneath in OpenSSL 3. The same code hashes either way (OpenSSL's sha256
 * block functions). */
void ats_sha256(const void *data, size_t n, unsigned char out[32])
{
	SHA256_CTX c;
	SHA256_Init(&c);
	SHA256_Update(&c, data, n);
	SHA256_Final(out, &c);
	OPENSSL_cleanse(&c, sizeof(c));
}

/* SHA-1, for key identifiers (RFC 5280 4.2.1.2), the same way and for the same reasons. */
void ats_sha1(const void *data, size_t n, unsigned char out[20])
{
	SHA_CTX c;
	SHA1_Init(&c);
	SHA1_Update(&c, data, n);
	SHA1_Final(out, &c);
	OPENSSL_cleanse(&c, sizeof(c));
}

int ats_time_parse(const char *s, time_t now, time_t *out, ats_err *err)
{
	struct tm tm;
	char *end;

	if (!s || strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if (s[0] == '@') {
		errno = 0;
		long long v = strtoll(s + 1, &end, 10);
		if (errno || *end || end == s + 1)
			goto bad;
		*out = (time_t)v;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (!end)
		goto bad;
	if (*end == 'T' || *end == ' ') {
		end = strptime(end + 1, "%H:%M:%S", &tm);
		if (!end)
			goto bad;
		if (*end == 'Z')
			end++;
	}
	if (*end)
		goto bad;
	*out = timegm(&tm);
	return 0;
bad:
	return ats_err_set(err, ATS_EUSAGE,
			   "time '%s': expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ, @EPOCH or now",
			   s);
}

const char *ats_time_format(time_t t, char *buf, size_t n)
{
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, n, "@%lld", (long long)t);
	return buf;
}

time_t ats_asn1_time_to_time(const ASN1_TIME *t)
{
	struct tm tm;
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return (time_t)-1;
	return timegm(&tm);
}

void ats_wipe(void *p, size_t n)
{
	if (p)
		OPENSSL_cleanse(p, n);
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
	if (p[0] < 0x80)
		return 1;
	size_t n = p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : p[0] >= 0xe0 && p[0] <= 0xef ? 3
		   : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((n == 3 && p[0] == 0xe0 && p[1] < 0xa0) || (n == 3 && p[0] == 0xed && p[1] > 0x9f) ||
	    (n == 4 && p[0] == 0xf0 && p[1] < 0x90) || (n == 4 && p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return n;
}

const char *ats_utf8_clean(const char *s, char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k = 0;
	if (!cap)
		return out;
	while (*p) {
		size_t n = utf8_seq(p, strlen((const char *)p));
		if (n) {
			if (k + n >= cap)
				break;
			memcpy(out + k, p, n);
			k += n;
			p += n;
		} else {
			if (k + 4 >= cap)
				break;
			snprintf(out + k, cap - k, "\\x%02x", *p++);
			k += 4;
		}
	}
	out[k] = '\0';
	return out;
}

bool ats_utf8_valid(const void *s, size_t n)
{
	const unsigned char *p = s;
	for (size_t k; n; p += k, n -= k)
		if (!(k = utf8_seq(p, n)))
			return false;
	return true;
}
