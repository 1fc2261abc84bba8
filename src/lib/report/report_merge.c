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

/* A string's id, or "(other)"'s once the table holds MAX_STRINGS: per-device text in a cause or
 * a certificate name must not grow the tables with the fleet. */
static long intern_capped(strtab *t, const char *s)
{
	long id = ats_tab_find(t, s);
	if (id >= 0)
		return id;
	return ats_tab_intern(t, t->n >= MAX_STRINGS ? "(other)" : s);
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned mo, unsigned d)
{
	y -= mo <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int64_t ats_merge_parse_time(const char *s)
{
	int y, mo, d, h = 0, mi = 0, se = 0;
	if (strlen(s) < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	s += 10;
	if (*s == 'T' || *s == ' ') {
		if (strlen(s) < 9 || digits(s + 1, 2, &h) || s[3] != ':' || digits(s + 4, 2, &mi) ||
		    s[6] != ':' || digits(s + 7, 2, &se) || h > 23 || mi > 59 || se > 60)
			return -1;
		s += 9;
		if (*s == '.')
			for (s++; *s >= '0' && *s <= '9'; s++)
				;
		if (*s == 'Z')
			s++;
	}
	if (*s)
		return -1;
	return days_from_civil(y, (unsigned)mo, (unsigned)d) * DAY + h * 3600 + mi * 60 + se;
}

/* What one report contributes, gathered before it is interned as a profile. */
#define MAX_CAUSES_PER 256
#define MAX_EXP_PER 256
typedef struct gather {
	uint32_t causes[MAX_CAUSES_PER], ncauses;
	struct {
		uint32_t item, day;
		int64_t epoch;
	} exp[MAX_EXP_PER];
	uint32_t nexp;
	uint64_t missing;
} gather;

static int add_cause(ats_merge *m, gather *g, const mj_doc *d, const mj_node *p)
{
	const char *key = mj_str(d, p, "cause"), *ca = mj_str(d, p, "ca");
	char both[512];
	if (!*key)
		key = mj_str(d, p, "message");
	else if (*ca) { /* "ca-missing: Amazon Root CA 4": one cause per CA */
		snprintf(both, sizeof(both), "%s: %s", key, ca);
		key = both;
	}
	if (!*key)
		return 0;
	uint32_t before = m->causes.n;
	long id = intern_capped(&m->causes, key);
	if (id < 0)
		return -1;
	if (m->causes.n > before) {
		/* new cause: grow its side tables to the table's capacity */
		uint8_t *sev = realloc(m->cause_sev, m->causes.cap);
		if (sev)
			m->cause_sev = sev;
		char **fix = realloc(m->cause_fix, m->causes.cap * sizeof(*fix));
		if (fix)
			m->cause_fix = fix;
		if (!sev || !fix)
			return -1;
		m->cause_sev[id] = 0;
		m->cause_fix[id] = NULL;
	}
	int sev = ats_merge_verdict_of(mj_str(d, p, "severity"));
	if (ats_merge_rank(sev) > ats_merge_rank(m->cause_sev[id]))
		m->cause_sev[id] = (uint8_t)sev;
	if (!m->cause_fix[id] && *mj_str(d, p, "fix"))
		m->cause_fix[id] = strdup(mj_str(d, p, "fix"));
	for (uint32_t i = 0; i < g->ncauses; i++)
		if (g->causes[i] == (uint32_t)id)
			return 0;
	if (g->ncauses < MAX_CAUSES_PER)
		g->causes[g->ncauses++] = (uint32_t)id;
	return 0;
}

/* Any object with "not_after_epoch" and a name that is still usable and expires within the
 * horizon: the earliest date per item name. */
static int add_expiring(ats_merge *m, gather *g, const mj_doc *d, const mj_node *j, int depth)
{
	const mj_node *c;
	if (j->type == MJ_OBJ) {
		const mj_node *na = mj_get(d, j, "not_after_epoch"), *usable = mj_get(d, j, "usable");
		const char *name = *mj_str(d, j, "name") ? mj_str(d, j, "name") : mj_str(d, j, "subject");
		if (na && na->type == MJ_NUM && na->is_int && *name && !(usable && usable->type == MJ_FALSE) &&
		    na->num >= (int64_t)m->o.at &&
		    na->num < (int64_t)m->o.at + (int64_t)m->o.horizon_days * DAY) {
			uint32_t i;
			uint32_t before = m->items.n;
			long id = intern_capped(&m->items, name);
			if (id < 0)
				return -1;
			if (m->items.n > before) {
				int64_t *v = realloc(m->item_min, m->items.cap * sizeof(*v));
				if (!v)
					return -1;
				m->item_min = v;
				m->item_min[id] = INT64_MAX;
			}
			if (na->num < m->item_min[id])
				m->item_min[id] = na->num;
			for (i = 0; i < g->nexp && g->exp[i].item != (uint32_t)id; i++)
				;
			if (i == g->nexp && g->nexp < MAX_EXP_PER) {
				g->exp[g->nexp].item = (uint32_t)id;
				g->exp[g->nexp].epoch = na->num;
				g->exp[g->nexp++].day = (uint32_t)(na->num / DAY);
			} else if (i < g->nexp && na->num < g->exp[i].epoch) {
				g->exp[i].epoch = na->num;
				g->exp[i].day = (uint32_t)(na->num / DAY);
			}
		}
	}
	if (depth > 64)
		return 0;
	for (c = mj_first(d, j); c; c = mj_next(d, c))
		if ((c->type == MJ_OBJ || c->type == MJ_ARR) && add_expiring(m, g, d, c, depth + 1) != 0)
			return -1;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static uint32_t words_hash(const uint32_t *w, uint32_t n)
{
	return (uint32_t)ats_merge_hash64((const char *)w, n * sizeof(*w));
}

/* The id of the profile made of words w[0..n); -1 when memory ran out. */
static long prof_intern(ats_merge *m, const uint32_t *w, uint32_t n)
{
	uint32_t h = words_hash(w, n), mask = m->nprof_slot - 1, i;
	if (m->nprof_slot) {
		for (i = h & mask; m->prof_slot[i]; i = (i + 1) & mask) {
			uint32_t id = m->prof_slot[i] - 1;
			if (m->prof_len[id] == n && memcmp(ats_merge_prof(m, id), w, n * sizeof(*w)) == 0)
				return id;
		}
	}
	if (m->nprof >= DEV_PROF)
		return -1;
	if ((m->nprof + 1) * 2 > m->nprof_slot) {
		uint32_t ns = m->nprof_slot ? m->nprof_slot * 2 : 256, *slot = calloc(ns, sizeof(*slot));
		if (!slot)
			return -1;
		for (uint32_t id = 0; id < m->nprof; id++) {
			for (i = words_hash(ats_merge_prof(m, id), m->prof_len[id]) & (ns - 1); slot[i];
			     i = (i + 1) & (ns - 1))
				;
			slot[i] = id + 1;
		}
		free(m->prof_slot);
		m->prof_slot = slot;
		m->nprof_slot = ns;
		mask = ns - 1;
	}
	if (m->nprof == m->cap_prof) {
		uint32_t cap = m->cap_prof ? m->cap_prof * 2 : 256;
		uint32_t *off = realloc(m->prof_off, cap * sizeof(*off));
		if (off)
			m->prof_off = off;
		uint32_t *len = realloc(m->prof_len, cap * sizeof(*len));
		if (len)
			m->prof_len = len;
		if (!off || !len)
			return -1;
		m->cap_prof = cap;
	}
	if (m->npool + n > m->cap_pool) {
		size_t cap = m->cap_pool ? m->cap_pool * 2 : 4096;
		while (cap < m->npool + n)
			cap *= 2;
		uint32_t *v = realloc(m->pool, cap * sizeof(*v));
		if (!v)
			return -1;
		m->pool = v;
		m->cap_pool = cap;
	}
	memcpy(m->pool + m->npool, w, n * sizeof(*w));
	m->prof_off[m->nprof] = (uint32_t)m->npool;
	m->prof_len[m->nprof] = n;
	m->npool += n;
	for (i = h & mask; m->prof_slot[i]; i = (i + 1) & mask)
		;
	m->prof_slot[i] = m->nprof + 1;
	return m->nprof++;
}

static int cmp_exp(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b; /* item first */
	return (x[0] > y[0]) - (x[0] < y[0]);
}

static long profile_of(ats_merge *m, const mj_doc *d)
{
	const mj_node *rep = &d->v[0], *tool = mj_get(d, rep, "tool"), *stores, *s, *ca, *p, *err;
	static __thread gather g;
	uint32_t w[8 + MAX_CAUSES_PER + 1 + 2 * MAX_EXP_PER], n = 0;
	long id;

	g.ncauses = g.nexp = 0;
	g.missing = 0;
	w[n++] = (uint32_t)ats_merge_verdict_of(mj_str(d, rep, "verdict"));
#define INTERN(tab, str)                                 \
	if ((id = intern_capped(&m->tab, str)) < 0)      \
		return -1;                               \
	w[n++] = (uint32_t)id;
	INTERN(commands, mj_str(d, rep, "command"));
	INTERN(versions, mj_str(d, tool, "openssl"));
	INTERN(versions, mj_str(d, tool, "libcurl"));
	INTERN(versions, mj_str(d, tool, "atscheck"));
#undef INTERN
	stores = mj_get(d, rep, "stores");
	if (!stores)
		stores = mj_get(d, mj_get(d, rep, "audit"), "stores");
	for (s = mj_first(d, stores); s; s = mj_next(d, s)) {
		if ((err = mj_get(d, s, "error")) && err->type == MJ_STR)
			continue; /* an unreadable store says nothing about what is in it */
		for (ca = mj_first(d, mj_get(d, s, "cas")); ca; ca = mj_next(d, ca)) {
			const char *st = mj_str(d, ca, "status");
			if (strcmp(st, "missing") != 0 && strcmp(st, "deselected") != 0)
				continue;
			if ((id = ats_tab_intern(&m->cas, mj_str(d, ca, "name"))) < 0)
				return -1;
			if (id < MAX_CAS)
				g.missing |= 1ull << id;
		}
	}
	for (p = mj_first(d, mj_get(d, rep, "problems")); p; p = mj_next(d, p))
		if (add_cause(m, &g, d, p) != 0)
			return -1;
	if (add_expiring(m, &g, d, rep, 0) != 0)
		return -1;
	w[n++] = (uint32_t)g.missing;
	w[n++] = (uint32_t)(g.missing >> 32);
	qsort(g.causes, g.ncauses, sizeof(*g.causes), cmp_u32);
	w[n++] = g.ncauses;
	memcpy(w + n, g.causes, g.ncauses * sizeof(*w));
	n += g.ncauses;
	w[n++] = g.nexp;
	uint32_t *e = w + n;
	for (uint32_t i = 0; i < g.nexp; i++) {
		w[n++] = g.exp[i].item;
		w[n++] = g.exp[i].day;
	}
	qsort(e, g.nexp, 2 * sizeof(*e), cmp_exp);
	return prof_intern(m, w, n);
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
	long prof = profile_of(m, rep);
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
