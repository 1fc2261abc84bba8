/* One device folder: claimed under a temporary name, filled, synced with its chunk, renamed into
 * place, committed by its control-log line. See provision.h for why each step is there. */
#include "dha/provision_int.h"

#include "dha/barcode.h"
#include "base/pem.h"
#include "dha/provision_make.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

typedef prov_slot slot;

void ats_prov_fail(prov_batch *b, int rc, const ats_err *err)
{
	pthread_mutex_lock(&b->mu);
	if (b->rc == 0) {
		b->rc = rc;
		b->err = *err;
	}
	pthread_mutex_unlock(&b->mu);
	atomic_store(&b->stop, 1);
}

int ats_read_at(int dirfd, const char *name, unsigned char *buf, size_t cap, size_t *n)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	*n = 0;
	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t r = read(fd, buf + *n, cap - *n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (*n += (size_t)r) == cap) { /* an error, the end, or too large */
			close(fd);
			return r < 0 || *n == cap ? -1 : 0;
		}
	}
}

void ats_prov_record_fill(ats_prov_record *r, const char *id, const unsigned char spki[91],
			  const unsigned char *serial, size_t serial_len, const unsigned char sha[32],
			  const char *time_iso)
{
	snprintf(r->id, sizeof(r->id), "%s", id);
	EVP_EncodeBlock((unsigned char *)r->key_b64, spki, ATS_P256_SPKI_LEN);
	if (serial_len > 16)
		serial_len = 16;
	ats_hex(serial, serial_len, r->serial, true);
	ats_hex(sha, 32, r->sha256, true);
	snprintf(r->time, sizeof(r->time), "%s", time_iso);
}

int ats_prov_write_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	const char *p = data;
	if (fd < 0)
		return -1;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return close(fd);
}

/* Empties a folder we hold the claim on (a killed run's leftovers: never committed). */
static void empty_dir(int fd)
{
	int d = dup(fd);
	DIR *dir = d >= 0 ? fdopendir(d) : NULL;
	struct dirent *e;
	if (!dir) {
		if (d >= 0)
			close(d);
		return;
	}
	while ((e = readdir(dir)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(fd, e->d_name, 0);
	closedir(dir);
}

static void discard(prov_batch *b, slot *s)
{
	if (s->fd < 0)
		return;
	if (!s->renamed) {
		empty_dir(s->fd);
		unlinkat(b->outfd, s->tmp, AT_REMOVEDIR);
	}
	close(s->fd);
	s->fd = -1;
}

static bool exists_at(int dirfd, const char *name)
{
	struct stat st;
	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* 1: claimed; 0: done or being done by another run; <0: error (err set). */
static int claim(prov_batch *b, const char *id, slot *s, ats_err *err)
{
	struct stat a, c;
	bool fresh;
	s->id = id;
	s->fd = -1;
	s->renamed = 0;
	snprintf(s->tmp, sizeof(s->tmp), ".tmp-%s", id);
	fresh = mkdirat(b->outfd, s->tmp, 0755) == 0;
	if (!fresh && errno != EEXIST)
		return ats_err_set(err, ATS_EIO, "%s/%s: cannot create the device folder: %s",
				   b->o->out_dir, s->tmp, strerror(errno));
	s->fd = openat(b->outfd, s->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (s->fd < 0)
		return 0; /* renamed into place by its owner meanwhile */
	/* Held by a live run: its device. Free: ours, but only if the name still leads to the
	 * folder we locked (the owner may have renamed it into place just before releasing). */
	if (flock(s->fd, LOCK_EX | LOCK_NB) != 0 || fstat(s->fd, &a) != 0 ||
	    fstatat(b->outfd, s->tmp, &c, AT_SYMLINK_NOFOLLOW) != 0 || a.st_ino != c.st_ino ||
	    a.st_dev != c.st_dev) {
		close(s->fd);
		s->fd = -1;
		return 0;
	}
	if (!fresh)
		empty_dir(s->fd); /* a killed run's: never committed */
	/* Finished by another run since the batch looked (it renamed its own .tmp- away just
	 * before our mkdirat)? Then nothing is built here: a run killed after building would leave
	 * a whole key under a name no log holds. Once this folder is ours, no other run can
	 * finish the device, so looking once is enough. */
	if (exists_at(b->outfd, id)) {
		discard(b, s);
		return 0;
	}
	return 1;
}

size_t ats_prov_sweep(prov_batch *b)
{
	int d = dup(b->outfd);
	DIR *dir = d >= 0 ? fdopendir(d) : NULL;
	struct dirent *e;
	size_t removed = 0;
	if (!dir) {
		if (d >= 0)
			close(d);
		return 0;
	}
	while ((e = readdir(dir))) {
		const char *id = e->d_name + 5;
		slot s = {.id = id, .fd = -1};
		struct stat a, c;
		if (strncmp(e->d_name, ".tmp-", 5) != 0 || !*id || strlen(e->d_name) >= sizeof(s.tmp) ||
		    !exists_at(b->outfd, id))
			continue; /* an unfinished device's folder is reclaimed by the run that makes it */
		snprintf(s.tmp, sizeof(s.tmp), "%s", e->d_name);
		s.fd = openat(b->outfd, s.tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (s.fd < 0)
			continue;
		/* Held by a live run (it will find the device finished and discard its own), or no
		 * longer the folder of that name: not ours to remove. */
		if (flock(s.fd, LOCK_EX | LOCK_NB) != 0 || fstat(s.fd, &a) != 0 ||
		    fstatat(b->outfd, s.tmp, &c, AT_SYMLINK_NOFOLLOW) != 0 || a.st_ino != c.st_ino ||
		    a.st_dev != c.st_dev) {
			close(s.fd);
			continue;
		}
		discard(b, &s);
		removed += !exists_at(b->outfd, s.tmp);
	}
	closedir(dir);
	return removed;
}

/* Builds the device's files in its claimed folder. */
static int build(prov_batch *b, ats_prov_maker *m, slot *s, ats_err *err)
{
	ats_prov_device d;
	char key_pem[300], *buf = NULL, clkey[200], idline[ATS_DEVICE_ID_MAX + 2];
	const char *name = "";
	size_t cert_cap = ats_pem_encoded_len(b->tmpl->tbs.n + 128, "CERTIFICATE");
	size_t csr_cap = ats_pem_encoded_len(b->tmpl->cri.n + 128, "CERTIFICATE REQUEST");
	int rc;

	if ((rc = ats_prov_make(m, NULL, NULL, &d, err)) != 0)
		return rc;
	buf = malloc(cert_cap + b->dak->pem_len + csr_cap);
	if (!buf) {
		ats_prov_device_wipe(&d);
		return ats_err_set(err, ATS_ENOMEM, "device %s: out of memory writing its files", s->id);
	}
	size_t key_n = ats_pem_encode(d.pkcs8, sizeof(d.pkcs8), "PRIVATE KEY", key_pem);
	ats_prov_device_wipe(&d);
	rc = ATS_EIO;
	if (ats_prov_write_at(s->fd, name = F_KEY, key_pem, key_n, 0600) != 0)
		goto out;
	size_t csr_n = ats_pem_encode(d.csr, d.csr_len, "CERTIFICATE REQUEST", buf);
	if (ats_prov_write_at(s->fd, name = F_CSR, buf, csr_n, 0644) != 0)
		goto out;
	size_t cert_n = ats_pem_encode(d.cert, d.cert_len, "CERTIFICATE", buf);
	if (ats_prov_write_at(s->fd, name = F_CERT, buf, cert_n, 0644) != 0)
		goto out;
	memcpy(buf + cert_n, b->dak->pem, b->dak->pem_len);
	if (ats_prov_write_at(s->fd, name = F_CHAIN, buf, cert_n + b->dak->pem_len, 0644) != 0)
		goto out;
	size_t cl_n = ats_b64_lines(d.spki, sizeof(d.spki), clkey);
	if (ats_prov_write_at(s->fd, name = F_CLKEY, clkey, cl_n, 0644) != 0)
		goto out;
	size_t id_n = (size_t)snprintf(idline, sizeof(idline), "%s\n", s->id);
	if (ats_prov_write_at(s->fd, name = F_ID, idline, id_n, 0644) != 0)
		goto out;
	for (int f = ATS_BARCODE_PNG; f <= ATS_BARCODE_SVG; f <<= 1) {
		if (!(b->o->barcode & f))
			continue;
		unsigned char img[ATS_BARCODE_MAX];
		size_t img_n = ats_barcode_render(s->id, (ats_barcode_fmt)f, img, err);
		if (!img_n)
			goto out_err;
		if (ats_prov_write_at(s->fd, name = f == ATS_BARCODE_PNG ? "barcode.png" : "barcode.svg", img,
			     img_n, 0644) != 0)
			goto out;
	}
	ats_prov_record_fill(&s->rec, s->id, d.spki, d.serial, sizeof(d.serial), d.cert_sha256,
			     b->time_iso);
	rc = 0;
	goto done;
out:
	ats_err_set(err, ATS_EIO, "%s/%s/%s: cannot write: %s", b->o->out_dir, s->tmp, name,
		    strerror(errno));
out_err:
	rc = ATS_EIO;
done:
	ats_wipe(key_pem, sizeof(key_pem));
	free(buf);
	return rc;
}

/* Sync once, rename each folder into place, append the chunk's lines, release the claims. */
static int commit(prov_batch *b, slot *v, int n, ats_err *err)
{
	ats_prov_record recs[PROV_CHUNK];
	size_t nrec = 0;
	int rc = 0;
	bool locked = false;

	if (n && syncfs(b->outfd) != 0)
		rc = ats_err_set(err, ATS_EIO, "%s: cannot sync: %s", b->o->out_dir, strerror(errno));
	if (rc == 0 && n && b->unique_keys) {
		/* Another run may have logged this key (a cloned secure element) since the batch
		 * looked: under the lock, the log is current until these lines are in it. */
		ats_prov_log_lock(b->log);
		locked = true;
		rc = ats_prov_log_refresh(b->log, err);
	}
	for (int i = 0; i < n && rc == 0; i++) {
		if (locked && ats_prov_log_has(b->log, v[i].id)) {
			atomic_fetch_add(&b->elsewhere, 1);
			continue;
		}
		if (locked && ats_prov_log_has_key(b->log, v[i].rec.key_b64)) {
			atomic_fetch_add(&b->refused, 1);
			if (b->on_refused)
				b->on_refused(b, &v[i]);
			continue;
		}
		if (renameat2(b->outfd, v[i].tmp, b->outfd, v[i].id, RENAME_NOREPLACE) == 0) {
			v[i].renamed = 1;
			recs[nrec++] = v[i].rec;
		} else if (errno == EEXIST || errno == ENOTEMPTY) {
			atomic_fetch_add(&b->elsewhere, 1); /* made by another run after all */
		} else {
			rc = ats_err_set(err, ATS_EIO, "%s/%s: cannot rename into place: %s",
					 b->o->out_dir, v[i].id, strerror(errno));
		}
	}
	if (nrec && fsync(b->outfd) != 0 && rc == 0)
		rc = ats_err_set(err, ATS_EIO, "%s: cannot sync: %s", b->o->out_dir, strerror(errno));
	if (nrec) {
		ats_err e2 = {0};
		if (!locked)
			ats_prov_log_lock(b->log);
		int r = ats_prov_log_append(b->log, recs, nrec, &e2);
		if (!locked)
			ats_prov_log_unlock(b->log);
		if (r != 0 && rc == 0) {
			rc = r;
			*err = e2;
		}
		if (r == 0)
			atomic_fetch_add(&b->made, nrec);
	}
	if (locked)
		ats_prov_log_unlock(b->log);
	for (int i = 0; i < n; i++)
		discard(b, &v[i]);
	return rc;
}

void *ats_prov_worker(void *arg)
{
	prov_batch *b = arg;
	ats_err err = {0};
	slot v[PROV_CHUNK];
	ats_prov_maker *m = ats_prov_maker_new(b->tmpl, b->dak->key, &err);
	int rc = m ? 0 : err.code;

	while (rc == 0 && !atomic_load(&b->stop)) {
		size_t start = atomic_fetch_add(&b->next, PROV_CHUNK);
		int n = 0;
		if (start >= b->ntodo)
			break;
		size_t end = start + PROV_CHUNK < b->ntodo ? start + PROV_CHUNK : b->ntodo;
		for (size_t i = start; i < end && rc == 0; i++) {
			int c = claim(b, b->ids[b->todo[i]], &v[n], &err);
			v[n].todo = i;
			if (c < 0)
				rc = c;
			else if (c == 0)
				atomic_fetch_add(&b->elsewhere, 1);
			else if ((rc = (b->build ? b->build : build)(b, m, &v[n], &err)) != 0)
				discard(b, &v[n]);
			else
				n++;
		}
		if (rc != 0) {
			for (int i = 0; i < n; i++)
				discard(b, &v[i]);
			break;
		}
		rc = commit(b, v, n, &err);
		atomic_fetch_add(&b->progressed, end - start);
	}
	if (rc != 0)
		ats_prov_fail(b, rc, &err);
	ats_prov_maker_free(m);
	return NULL;
}
