/* The fleet accumulator: one compact row per device, strings interned once for the whole fleet
 * (causes, CA names, versions), counts computed at the end from the rows so a device that
 * reported twice counts once. */
#include "report/report_merge_int.h"
#include "base/util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

ats_merge *ats_merge_new(const ats_merge_opts *o)
{
	ats_merge *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->o = *o;
	pthread_mutex_init(&m->lock, NULL);
	return m;
}

static void row_clear(row *r)
{
	free(r->file);
	free(r->causes);
	free(r->exp);
	memset(r, 0, sizeof(*r));
}

void ats_merge_free(ats_merge *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->devices.n; i++)
		row_clear(&m->rows[i]);
	free(m->rows);
	for (uint32_t i = 0; i < m->causes.n; i++)
		free(m->cause_fix[i]);
	free(m->cause_fix);
	free(m->cause_sev);
	for (size_t i = 0; i < m->nbad; i++) {
		free(m->bad[i].file);
		free(m->bad[i].kind);
		free(m->bad[i].why);
	}
	free(m->bad);
	ats_tab_free(&m->devices);
	ats_tab_free(&m->causes);
	ats_tab_free(&m->cas);
	ats_tab_free(&m->versions);
	ats_tab_free(&m->items);
	ats_tab_free(&m->commands);
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

void ats_merge_bad(ats_merge *m, const char *file, const char *kind, const char *why)
{
	pthread_mutex_lock(&m->lock);
	m->done++;
	if (m->nbad == m->cap_bad) {
		size_t cap = m->cap_bad ? m->cap_bad * 2 : 16;
		bad *v = realloc(m->bad, cap * sizeof(*v));
		if (!v) {
			m->oom = 1;
			goto out;
		}
		m->bad = v;
		m->cap_bad = cap;
	}
	bad *b = &m->bad[m->nbad];
	char clean[4 * PATH_MAX];
	b->file = strdup(ats_utf8_clean(file, clean, sizeof(clean)));
	b->kind = strdup(kind);
	b->why = strdup(ats_utf8_clean(why, clean, sizeof(clean)));
	if (!b->file || !b->kind || !b->why) {
		free(b->file);
		free(b->kind);
		free(b->why);
		m->oom = 1;
		goto out;
	}
	m->nbad++;
out:
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

static int add_cause(ats_merge *m, row *r, const mj_doc *d, const mj_node *p)
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
	long id = ats_tab_intern(&m->causes, key);
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
	for (uint32_t i = 0; i < r->ncauses; i++)
		if (r->causes[i] == (uint32_t)id)
			return 0;
	uint32_t *v = realloc(r->causes, (r->ncauses + 1) * sizeof(*v));
	if (!v)
		return -1;
	r->causes = v;
	r->causes[r->ncauses++] = (uint32_t)id;
	return 0;
}

/* Any object with "not_after_epoch" and a name that is still usable and expires within the
 * horizon: the earliest date per item name. */
static int add_expiring(ats_merge *m, row *r, const mj_doc *d, const mj_node *j)
{
	const mj_node *c;
	if (j->type == MJ_OBJ) {
		const mj_node *na = mj_get(d, j, "not_after_epoch"), *usable = mj_get(d, j, "usable");
		const char *name = *mj_str(d, j, "name") ? mj_str(d, j, "name") : mj_str(d, j, "subject");
		if (na && na->type == MJ_NUM && na->is_int && *name && !(usable && usable->type == MJ_FALSE) &&
		    na->num >= (int64_t)m->o.at &&
		    na->num < (int64_t)m->o.at + (int64_t)m->o.horizon_days * DAY) {
			uint32_t i;
			long id = ats_tab_intern(&m->items, name);
			if (id < 0)
				return -1;
			for (i = 0; i < r->nexp && r->exp[i].item != (uint32_t)id; i++)
				;
			if (i == r->nexp) {
				expiry *x = realloc(r->exp, (r->nexp + 1) * sizeof(*x));
				if (!x)
					return -1;
				r->exp = x;
				r->exp[r->nexp++] = (expiry){(uint32_t)id, na->num};
			} else if (na->num < r->exp[i].epoch) {
				r->exp[i].epoch = na->num;
			}
		}
	}
	for (c = mj_first(d, j); c; c = mj_next(d, c))
		if ((c->type == MJ_OBJ || c->type == MJ_ARR) && add_expiring(m, r, d, c) != 0)
			return -1;
	return 0;
}

static int fill_row(ats_merge *m, row *r, const char *file, time_t mtime, const mj_doc *d)
{
	const mj_node *rep = &d->v[0], *tool = mj_get(d, rep, "tool"), *stores, *s, *ca, *p, *err;
	long id;

	r->mtime = mtime;
	if (!(r->file = strdup(file)))
		return -1;
	r->verdict = (uint8_t)ats_merge_verdict_of(mj_str(d, rep, "verdict"));
#define INTERN(field, tab, str)                          \
	if ((id = ats_tab_intern(&m->tab, str)) < 0)     \
		return -1;                               \
	r->field = (uint32_t)id;
	INTERN(command, commands, mj_str(d, rep, "command"));
	INTERN(openssl, versions, mj_str(d, tool, "openssl"));
	INTERN(libcurl, versions, mj_str(d, tool, "libcurl"));
	INTERN(atscheck, versions, mj_str(d, tool, "atscheck"));
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
				r->missing |= 1ull << id;
		}
	}
	for (p = mj_first(d, mj_get(d, rep, "problems")); p; p = mj_next(d, p))
		if (add_cause(m, r, d, p) != 0)
			return -1;
	return add_expiring(m, r, d, rep);
}

void ats_merge_add(ats_merge *m, const char *file_raw, time_t mtime, const mj_doc *rep)
{
	/* Names go into JSON, which holds only UTF-8: other bytes are shown as \xNN, never dropped. */
	char file[4 * PATH_MAX], dev[1024];
	const char *device = ats_utf8_clean(mj_str(rep, &rep->v[0], "device"), dev, sizeof(dev));
	const char *mid = mj_str(rep, &rep->v[0], "machine_id");
	char fallback[256], key[1024];
	row fresh = {0};

	ats_utf8_clean(file_raw, file, sizeof(file));

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
	snprintf(key, sizeof(key), "%s%s%s", device, *mid ? "\x1f" : "", mid);
	device = key;
	pthread_mutex_lock(&m->lock);
	m->done++;
	long id = ats_tab_find(&m->devices, device);
	if (id >= 0) {
		row *old = &m->rows[id];
		m->duplicates++;
		if (old->mtime > mtime || (old->mtime == mtime && strcmp(old->file, file) > 0))
			goto out; /* the row we have is newer */
	}
	if (fill_row(m, &fresh, file, mtime, rep) != 0) {
		row_clear(&fresh);
		m->oom = 1;
		goto out;
	}
	if (id < 0) {
		if (m->devices.n == m->cap_rows) {
			size_t cap = m->cap_rows ? m->cap_rows * 2 : 1024;
			row *v = realloc(m->rows, cap * sizeof(*v));
			if (!v) {
				row_clear(&fresh);
				m->oom = 1;
				goto out;
			}
			m->rows = v;
			m->cap_rows = cap;
		}
		if ((id = ats_tab_intern(&m->devices, device)) < 0) {
			row_clear(&fresh);
			m->oom = 1;
			goto out;
		}
	} else {
		row_clear(&m->rows[id]);
	}
	m->rows[id] = fresh;
out:
	pthread_mutex_unlock(&m->lock);
}
