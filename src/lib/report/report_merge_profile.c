/* What one report says, as the fleet counts it: its profile (verdict, command, versions, missing
 * CAs, causes, expiring items by day) interned once for the whole fleet, and its own time. Called
 * with the accumulator's lock held. */
#include "report/report_merge_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400

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

long ats_merge_profile_of(ats_merge *m, const mj_doc *d)
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
