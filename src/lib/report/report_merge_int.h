/* Inside the fleet accumulator (report_merge*.c only).
 *
 * Memory is flat in the number of devices, apart from one compact record per device:
 * - dev (24 bytes): hash of the device name and of its machine id, its newest report's own time,
 *   the "profile" of that report, and a hash of the report's path (orders equal times). A
 *   profile is everything the counts need (verdict, command, versions, missing CAs, causes,
 *   expiring items by day), interned once for the whole fleet: a million devices share a few
 *   hundred profiles. An index of 4-byte slots (load at most 1/2) finds a device's record. At
 *   1,000,000 devices: 24 MB of records + 8 MB of index.
 * - Names (device, machine id, file) go to a spool file on disk, one record per report, and are
 *   read back once at the end: that pass names examples, writes the --devices table and builds
 *   the bounded device rows of the summary.
 * Every list that grows with input is a pick: the smallest BOUND entries by (key, name). */
#ifndef ATS_REPORT_MERGE_INT_H
#define ATS_REPORT_MERGE_INT_H

#include "report/report_merge.h"
#include "report/report_merge_json.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define MAX_CAS 64       /* a profile's missing CAs are a bit mask */
#define MAX_STRINGS 4096 /* distinct causes, versions, commands, expiring names; past it "(other)" */

/* Strings interned to dense ids: the id is the index in s[]. */
typedef struct strtab {
	char **s;
	uint32_t n, cap;
	uint32_t *slot; /* id + 1, 0 = empty; nslot a power of two */
	uint32_t nslot;
} strtab;

long ats_tab_find(const strtab *t, const char *s);
long ats_tab_intern(strtab *t, const char *s); /* -1 when memory ran out */
void ats_tab_free(strtab *t);

uint64_t ats_merge_hash64(const char *s, size_t n);

/* One device: 24 bytes. prof carries flags in its top bits. */
#define DEV_SHARED 0x80000000u  /* another machine has the same name: show the machine id */
#define DEV_WRITTEN 0x40000000u /* its row came out of the spool once */
#define DEV_MATCHED 0x20000000u /* the baseline has it */
#define DEV_PROF 0x1fffffffu
typedef struct dev {
	uint64_t name;
	uint32_t mid, time, prof, tie;
} dev;

/* A profile, as the u32 words it was interned from:
 * [verdict, command, openssl, libcurl, atscheck, missing_lo, missing_hi, ncauses, cause...,
 *  nexp, (item, day)...] */
enum { P_VERDICT, P_COMMAND, P_OPENSSL, P_LIBCURL, P_ATSCHECK, P_MISS_LO, P_MISS_HI, P_NCAUSES };

/* The smallest `bound` entries by (key, name) seen so far. Each entry may carry a JSON object. */
typedef struct pick_ent {
	uint64_t key;
	char *name;
	json_t *obj;
	char *text; /* or a JSON text, parsed when the pick is read (rows: far smaller than a tree) */
} pick_ent;
typedef struct pick {
	pick_ent *v;
	size_t n, bound, seen;
	int full; /* n reached bound once: cut holds the worst kept entry */
	uint64_t cut_key;
	char *cut_name;
} pick;

void ats_pick_init(pick *p, size_t bound);
/* Whether (key, name) would be kept now (so the caller can skip building obj). */
int ats_pick_wants(const pick *p, uint64_t key, const char *name);
/* Adds a copy of name and takes obj (NULL allowed); counts it in seen either way. -1 on OOM. */
int ats_pick_add(pick *p, uint64_t key, const char *name, json_t *obj);
/* The same, with a JSON text (malloc'd, taken) instead of an object. */
int ats_pick_add_text(pick *p, uint64_t key, const char *name, char *text);
/* Sorts and cuts to the bound; entries in v[0..n). */
void ats_pick_finish(pick *p);
void ats_pick_free(pick *p);
/* {"devices": seen, "device_ids": [...], "device_ids_complete": bool} into o. */
void ats_pick_ids(pick *p, json_t *o, const char *count_key, const char *ids_key);

/* Spool: what the end needs per report, written as the reports come, read back once. */
typedef struct spool_rec {
	uint64_t name;
	uint32_t mid, time, tie, prof;
	uint16_t lname, lmid, lfile, pad;
} spool_rec;

typedef struct anomaly {
	size_t n;
	pick files;
} anomaly;

struct ats_merge {
	ats_merge_opts o;
	pthread_mutex_t lock;
	dev *devs;
	size_t ndev, cap_dev;
	uint32_t *slot; /* index into devs + 1; nslot a power of two */
	size_t nslot;
	size_t superseded, done, reports;
	/* profiles */
	uint32_t *pool;
	size_t npool, cap_pool;
	uint32_t *prof_off, *prof_len;
	uint32_t nprof, cap_prof;
	uint32_t *prof_slot;
	uint32_t nprof_slot;
	strtab causes, cas, versions, items, commands;
	uint8_t *cause_sev;
	char **cause_fix;
	int64_t *item_min; /* earliest exact notAfter seen per item */
	/* files that could not be used, and reports whose time was doubtful */
	pick bad;
	size_t nbad, npartial;
	anomaly future, notime;
	FILE *spool;
	char spool_err[256];
	int oom;
};

/* What the end of a merge gathers for the summary (report_merge_devices.c fills it). */
typedef struct fleet_end {
	size_t *count;      /* devices per profile */
	uint32_t stale_before; /* a device whose newest report is older than this is stale */
	pick *by_cause, *by_item, by_ca[MAX_CAS], stale, rows;
	/* against the baseline */
	int have_base;
	size_t before, better, same, fresh, nworse, ngone;
	pick worse, gone;
} fleet_end;

/* Sorts the records, marks shared names, reads the spool back once: names the examples,
 * collects the rows and writes o.devices_file. */
int ats_merge_devices(ats_merge *m, fleet_end *e, ats_err *err);
/* Streams o.baseline against the records. */
int ats_merge_baseline(ats_merge *m, fleet_end *e, ats_err *err);
/* The device at (name, mid), or with mid_known 0 the first of that name; NULL if none. */
dev *ats_merge_lookup(ats_merge *m, uint64_t name, uint32_t mid, int mid_known);
extern const char *const ats_merge_verdicts[4];

/* Severity rank for "got worse": UNKNOWN (could not run) sits between WARNING and CRITICAL. */
int ats_merge_rank(int verdict);
/* A verdict word ("OK", "WARNING", "CRITICAL", "UNKNOWN") to its number; UNKNOWN for others. */
int ats_merge_verdict_of(const char *word);
/* Profile words of id. */
static inline const uint32_t *ats_merge_prof(const struct ats_merge *m, uint32_t id)
{
	return m->pool + m->prof_off[id];
}
/* The profile id of a parsed report (report_merge_profile.c); -1 when memory ran out. Lock held. */
long ats_merge_profile_of(struct ats_merge *m, const mj_doc *d);
/* "2034-01-01T00:00:00Z" (or with a fraction or offset-free date only) to Unix time; -1 if not. */
int64_t ats_merge_parse_time(const char *s);
/* Writes s as a JSON string (quoted, escaped) to f. */
void ats_merge_json_str(FILE *f, const char *s);

#endif
