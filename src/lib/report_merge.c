/* The fleet accumulator: one compact row per device, strings interned once for the whole fleet
 * (causes, CA names, versions), counts computed at the end from the rows so a device that
 * reported twice counts once. */
#include "report_merge_int.h"

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
	b->file = strdup(file);
	b->kind = strdup(kind);
	b->why = strdup(why);
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

static int add_cause(ats_merge *m, row *r, const json_t *p)
{
	const char *key = ats_json_str(p, "cause");
	if (!*key)
		key = ats_json_str(p, "message");
	if (!*key)
		return 0;
	uint32_t before = m->causes.n;
	long id = ats_tab_intern(&m->causes, key);
	if (id < 0)
		return -1;
	if (m->causes.n > before) {
		/* new cause: grow its side tables to the table's capacity */
		uint8_t *sev = realloc(m->cause_sev, m->causes.cap);
		char **fix = realloc(m->cause_fix, m->causes.cap * sizeof(*fix));
		if (sev)
			m->cause_sev = sev;
		if (fix)
			m->cause_fix = fix;
		if (!sev || !fix)
			return -1;
		m->cause_sev[id] = 0;
		m->cause_fix[id] = NULL;
	}
	int sev = ats_merge_verdict_of(ats_json_str(p, "severity"));
	if (ats_merge_rank(sev) > ats_merge_rank(m->cause_sev[id]))
		m->cause_sev[id] = (uint8_t)sev;
	if (!m->cause_fix[id] && *ats_json_str(p, "fix"))
		m->cause_fix[id] = strdup(ats_json_str(p, "fix"));
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
static int add_expiring(ats_merge *m, row *r, const json_t *j)
{
	size_t i;
	const char *k;
	json_t *v;
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (add_expiring(m, r, v) != 0)
				return -1;
		return 0;
	}
	if (!json_is_object(j))
		return 0;
	const json_t *na = json_object_get(j, "not_after_epoch");
	const char *name = *ats_json_str(j, "name") ? ats_json_str(j, "name") : ats_json_str(j, "subject");
	if (json_is_integer(na) && *name && !json_is_false(json_object_get(j, "usable"))) {
		int64_t e = json_integer_value(na);
		if (e >= (int64_t)m->o.at && e < (int64_t)m->o.at + (int64_t)m->o.horizon_days * DAY) {
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
				r->exp[r->nexp++] = (expiry){(uint32_t)id, e};
			} else if (e < r->exp[i].epoch) {
				r->exp[i].epoch = e;
			}
		}
	}
	json_object_foreach((json_t *)j, k, v)
		if ((json_is_object(v) || json_is_array(v)) && add_expiring(m, r, v) != 0)
			return -1;
	return 0;
}

static int fill_row(ats_merge *m, row *r, const char *file, time_t mtime, const json_t *rep)
{
	const json_t *tool = json_object_get(rep, "tool"), *stores, *s, *ca, *p;
	size_t i, j;
	long id;

	r->mtime = mtime;
	if (!(r->file = strdup(file)))
		return -1;
	r->verdict = (uint8_t)ats_merge_verdict_of(ats_json_str(rep, "verdict"));
#define INTERN(field, tab, str)                          \
	if ((id = ats_tab_intern(&m->tab, str)) < 0)         \
		return -1;                               \
	r->field = (uint32_t)id;
	INTERN(command, commands, ats_json_str(rep, "command"));
	INTERN(openssl, versions, ats_json_str(tool, "openssl"));
	INTERN(libcurl, versions, ats_json_str(tool, "libcurl"));
	INTERN(atscheck, versions, ats_json_str(tool, "atscheck"));
#undef INTERN
	stores = json_object_get(rep, "stores");
	if (!stores)
		stores = json_object_get(json_object_get(rep, "audit"), "stores");
	json_array_foreach(stores, i, s) {
		if (json_is_string(json_object_get(s, "error")))
			continue; /* an unreadable store says nothing about what is in it */
		json_array_foreach(json_object_get(s, "cas"), j, ca) {
			const char *st = ats_json_str(ca, "status");
			if (strcmp(st, "missing") != 0 && strcmp(st, "deselected") != 0)
				continue;
			if ((id = ats_tab_intern(&m->cas, ats_json_str(ca, "name"))) < 0)
				return -1;
			if (id < MAX_CAS)
				r->missing |= 1ull << id;
		}
	}
	json_array_foreach(json_object_get(rep, "problems"), i, p)
		if (add_cause(m, r, p) != 0)
			return -1;
	return add_expiring(m, r, rep);
}

void ats_merge_add(ats_merge *m, const char *file, time_t mtime, const json_t *rep)
{
	const char *device = ats_json_str(rep, "device");
	char fallback[256];
	row fresh = {0};

	if (!*device) { /* no identity in the report: its file name stands for it */
		const char *base = strrchr(file, '/');
		snprintf(fallback, sizeof(fallback), "%s", base ? base + 1 : file);
		char *dot = strrchr(fallback, '.');
		if (dot && dot != fallback)
			*dot = '\0';
		device = fallback;
	}
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
