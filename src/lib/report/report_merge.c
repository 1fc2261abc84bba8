/* The fleet accumulator: a 24-byte record per device pointing at an interned profile, strings
 * interned once for the whole fleet (causes, CA names, versions), names spooled to disk. Counts
 * are computed at the end from the records, so a device that reported twice counts once. */
#include "report/report_merge_int.h"

#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAY 86400

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

long ats_tab_find(const strtab *t, const char *s)
{
	if (!t->nslot)
		return -1;
	for (uint32_t i = hash(s) & (t->nslot - 1);; i = (i + 1) & (t->nslot - 1)) {
		if (!t->slot[i])
			return -1;
		if (strcmp(t->s[t->slot[i] - 1], s) == 0)
			return t->slot[i] - 1;
	}
}

static int tab_grow(strtab *t)
{
	uint32_t ns = t->nslot ? t->nslot * 2 : 64;
	uint32_t *slot = calloc(ns, sizeof(*slot));
	if (!slot)
		return -1;
	for (uint32_t id = 0; id < t->n; id++) {
		uint32_t i = hash(t->s[id]) & (ns - 1);
		while (slot[i])
			i = (i + 1) & (ns - 1);
		slot[i] = id + 1;
	}
	free(t->slot);
	t->slot = slot;
	t->nslot = ns;
	return 0;
}

/* The id of s, adding it when new; -1 when memory ran out. */
long ats_tab_intern(strtab *t, const char *s)
{
	long id = ats_tab_find(t, s);
	if (id >= 0)
		return id;
	if ((t->n + 1) * 2 > t->nslot && tab_grow(t) != 0)
		return -1;
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 64;
		char **v = realloc(t->s, cap * sizeof(*v));
		if (!v)
			return -1;
		t->s = v;
		t->cap = cap;
	}
	char *copy = strdup(s);
	if (!copy)
		return -1;
	t->s[t->n] = copy;
	uint32_t i = hash(s) & (t->nslot - 1);
	while (t->slot[i])
		i = (i + 1) & (t->nslot - 1);
	t->slot[i] = t->n + 1;
	return t->n++;
}

void ats_tab_free(strtab *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	free(t->slot);
}

uint64_t ats_merge_hash64(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	h ^= h >> 33; /* fmix64: the low bits index the table */
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

ats_merge *ats_merge_new(const ats_merge_opts *o)
{
	ats_merge *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->o = *o;
	if (m->o.stale_days <= 0)
		m->o.stale_days = 2;
	pthread_mutex_init(&m->lock, NULL);
	ats_pick_init(&m->bad, ATS_MERGE_NAMED);
	ats_pick_init(&m->future.files, ATS_MERGE_NAMED);
	ats_pick_init(&m->notime.files, ATS_MERGE_NAMED);
	/* The spool: created and unlinked at once, so nothing is left behind whatever happens. */
	const char *dir = o->tmpdir && *o->tmpdir ? o->tmpdir : "/tmp";
	char path[4096];
	snprintf(path, sizeof(path), "%s/atscheck-merge.XXXXXX", dir);
	int fd = mkstemp(path);
	if (fd < 0 || !(m->spool = fdopen(fd, "w+"))) {
		snprintf(m->spool_err, sizeof(m->spool_err), "%s: cannot make a spool file: %s", dir,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
	} else {
		unlink(path);
	}
	return m;
}

void ats_merge_free(ats_merge *m)
{
	if (!m)
		return;
	free(m->devs);
	free(m->slot);
	free(m->pool);
	free(m->prof_off);
	free(m->prof_len);
	free(m->prof_slot);
	for (uint32_t i = 0; i < m->causes.n; i++)
		free(m->cause_fix[i]);
	free(m->cause_fix);
	free(m->cause_sev);
	free(m->item_min);
	ats_pick_free(&m->bad);
	ats_pick_free(&m->future.files);
	ats_pick_free(&m->notime.files);
	ats_tab_free(&m->causes);
	ats_tab_free(&m->cas);
	ats_tab_free(&m->versions);
	ats_tab_free(&m->items);
	ats_tab_free(&m->commands);
	if (m->spool)
		fclose(m->spool);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

size_t ats_merge_done(ats_merge *m)
{
	pthread_mutex_lock(&m->lock);
	size_t n = m->done;
	pthread_mutex_unlock(&m->lock);
	return n;
}

static const char *utf8_clean(const char *s, char *buf, size_t n);

void ats_merge_bad(ats_merge *m, const char *file, const char *kind, const char *why)
{
	char fb[4097], wb[512];
	file = utf8_clean(file, fb, sizeof(fb));
	why = utf8_clean(why, wb, sizeof(wb));
	pthread_mutex_lock(&m->lock);
	m->done++;
	m->nbad++;
	m->npartial += strcmp(kind, "partial") == 0;
	if (ats_pick_wants(&m->bad, 0, file)) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "file", file, "kind", kind, "error", why);
		if (!o || ats_pick_add(&m->bad, 0, file, o) != 0)
			m->oom = 1;
	} else {
		m->bad.seen++;
	}
	pthread_mutex_unlock(&m->lock);
}

int ats_merge_rank(int v)
{
	static const int r[] = {0, 1, 3, 2};
	return v >= 0 && v <= 3 ? r[v] : 2;
}

int ats_merge_verdict_of(const char *s)
{
	ats_verdict v = ats_status_verdict(s);
	return strcmp(s, "UNKNOWN") == 0 ? ATS_VERDICT_UNKNOWN : (int)v;
}

/* The record of (name, mid), or a new one (index returned in *fresh = 1). NULL on OOM. */
static dev *dev_find(ats_merge *m, uint64_t name, uint32_t mid, int *fresh)
{
	uint64_t h = name ^ ((uint64_t)mid * 0x9e3779b97f4a7c15ull);
	size_t mask = m->nslot - 1, i;
	*fresh = 0;
	if (m->nslot)
		for (i = (size_t)h & mask; m->slot[i]; i = (i + 1) & mask) {
			dev *d = &m->devs[m->slot[i] - 1];
			if (d->name == name && d->mid == mid)
				return d;
		}
	if ((m->ndev + 1) * 2 > m->nslot) {
		size_t ns = m->nslot ? m->nslot * 2 : 4096;
		uint32_t *slot = calloc(ns, sizeof(*slot));
		if (!slot)
			return NULL;
		for (size_t k = 0; k < m->ndev; k++) {
			uint64_t hk = m->devs[k].name ^ ((uint64_t)m->devs[k].mid * 0x9e3779b97f4a7c15ull);
			for (i = (size_t)hk & (ns - 1); slot[i]; i = (i + 1) & (ns - 1))
				;
			slot[i] = (uint32_t)k + 1;
		}
		free(m->slot);
		m->slot = slot;
		m->nslot = ns;
		mask = ns - 1;
	}
	if (m->ndev == m->cap_dev) {
		/* grows by half: glibc moves big blocks with mremap, so the peak is not old + new */
		size_t cap = m->cap_dev ? m->cap_dev + m->cap_dev / 2 : 4096;
		dev *v = realloc(m->devs, cap * sizeof(*v));
		if (!v)
			return NULL;
		m->devs = v;
		m->cap_dev = cap;
	}
	if (m->ndev >= UINT32_MAX - 1)
		return NULL;
	for (i = (size_t)h & mask; m->slot[i]; i = (i + 1) & mask)
		;
	m->slot[i] = (uint32_t)m->ndev + 1;
	dev *d = &m->devs[m->ndev++];
	memset(d, 0, sizeof(*d));
	d->name = name;
	d->mid = mid;
	*fresh = 1;
	return d;
}

/* A path as it can go into JSON: bytes that are not UTF-8 (a file name is any bytes) become
 * '?', so one odd name cannot make the summary unwritable. Returns s, or buf holding the copy. */
static const char *utf8_clean(const char *s, char *buf, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	int high = 0;
	for (const unsigned char *q = p; *q; q++)
		high |= *q >= 0x80;
	if (!high)
		return s;
	while (*p && i + 1 < n) {
		int k = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 && *p >= 0xc2 ? 1 : (*p & 0xf0) == 0xe0 ? 2
			: (*p & 0xf8) == 0xf0 && *p <= 0xf4 ? 3 : -1;
		int ok = k >= 0 && i + (size_t)k + 1 < n;
		for (int j = 1; ok && j <= k; j++)
			ok = (p[j] & 0xc0) == 0x80;
		if (!ok) {
			buf[i++] = '?';
			p++;
			continue;
		}
		for (int j = 0; j <= k; j++)
			buf[i++] = (char)*p++;
	}
	buf[i] = '\0';
	return buf;
}

static void note(ats_merge *m, anomaly *a, const char *file)
{
	a->n++;
	if (!ats_pick_wants(&a->files, 0, file))
		a->files.seen++;
	else if (ats_pick_add(&a->files, 0, file, NULL) != 0)
		m->oom = 1;
}

static uint32_t clamp32(int64_t t)
{
	return t < 0 ? 0 : t > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

void ats_merge_add(ats_merge *m, const char *file, time_t mtime, const mj_doc *rep)
{
	const char *device = mj_str(rep, &rep->v[0], "device");
	const char *mid = mj_str(rep, &rep->v[0], "machine_id");
	const char *at = mj_str(rep, &rep->v[0], "at");
	char fallback[256], fb[4097];

	file = utf8_clean(file, fb, sizeof(fb));
	if (!*device) { /* no identity in the report: its file name stands for it */
		const char *base = strrchr(file, '/');
		snprintf(fallback, sizeof(fallback), "%s", base ? base + 1 : file);
		char *dot = strrchr(fallback, '.');
		if (dot && dot != fallback)
			*dot = '\0';
		device = fallback;
	}
	/* Many devices keep a default host name (every Raspberry Pi is "raspberrypi"): the machine
	 * id tells them apart; the summary shows it only where two share a name. */
	size_t lname = strlen(device), lmid = strlen(mid), lfile = strlen(file);
	if (lname > 1024)
		lname = 1024;
	if (lmid > 64)
		lmid = 64;
	if (lfile > 4096)
		lfile = 4096;
	uint64_t nh = ats_merge_hash64(device, lname);
	uint32_t mh = lmid ? (uint32_t)ats_merge_hash64(mid, lmid) | 1u : 0;
	uint32_t tie = (uint32_t)ats_merge_hash64(file, lfile);
	int64_t t = *at ? ats_merge_parse_time(at) : -1;
	int future = 0;
	if (t > (int64_t)m->o.at + 3600) {
		/* a clock ahead: the report's time is not believed; its file's (at most --at) is */
		future = 1;
		t = mtime < m->o.at ? (int64_t)mtime : (int64_t)m->o.at;
	}

	pthread_mutex_lock(&m->lock);
	m->done++;
	m->reports++;
	if (t < 0) {
		note(m, &m->notime, file);
		t = mtime;
	} else if (future) {
		note(m, &m->future, file);
	}
	long prof = ats_merge_profile_of(m, rep);
	int fresh;
	dev *d = prof < 0 ? NULL : dev_find(m, nh, mh, &fresh);
	if (!d) {
		m->oom = 1;
		goto out;
	}
	uint32_t t32 = clamp32(t);
	if (!fresh) {
		m->superseded++;
		if (d->time > t32 || (d->time == t32 && d->tie >= tie))
			goto out; /* the record we have is newer */
	}
	d->time = t32;
	d->tie = tie;
	d->prof = (uint32_t)prof;
	if (m->spool && !m->spool_err[0]) {
		spool_rec r = {nh, mh, t32, tie, (uint32_t)prof, (uint16_t)lname, (uint16_t)lmid,
			       (uint16_t)lfile, 0};
		if (fwrite(&r, sizeof(r), 1, m->spool) != 1 || fwrite(device, 1, lname, m->spool) != lname ||
		    fwrite(mid, 1, lmid, m->spool) != lmid || fwrite(file, 1, lfile, m->spool) != lfile)
			snprintf(m->spool_err, sizeof(m->spool_err), "cannot write the spool file: %s",
				 strerror(errno));
	}
out:
	pthread_mutex_unlock(&m->lock);
}
