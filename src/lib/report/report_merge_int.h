/* Inside the fleet accumulator (report_merge*.c only). */
#ifndef ATS_REPORT_MERGE_INT_H
#define ATS_REPORT_MERGE_INT_H

#include "report/report_merge.h"
#include "report/report_merge_json.h"

#include <pthread.h>
#include <stdint.h>

#define MAX_CAS 64 /* a row's missing CAs are a bit mask */

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

typedef struct expiry {
	uint32_t item;
	int64_t epoch;
} expiry;

typedef struct row {
	char *file;
	time_t mtime;
	uint8_t verdict;
	uint32_t command, openssl, libcurl, atscheck;
	uint64_t missing; /* bit i: CA cas.s[i] missing or deselected in some store */
	uint32_t *causes, ncauses;
	expiry *exp;
	uint32_t nexp;
} row;

typedef struct bad {
	char *file, *kind, *why;
} bad;

struct ats_merge {
	ats_merge_opts o;
	pthread_mutex_t lock;
	strtab devices; /* id = row index */
	row *rows;
	size_t cap_rows, duplicates, done;
	strtab causes, cas, versions, items, commands;
	uint8_t *cause_sev;
	char **cause_fix;
	bad *bad;
	size_t nbad, cap_bad;
	int oom;
};

/* Severity rank for "got worse": UNKNOWN (could not run) sits between WARNING and CRITICAL. */
int ats_merge_rank(int verdict);
/* A verdict word ("OK", "WARNING", "CRITICAL", "UNKNOWN") to its number; UNKNOWN for others. */
int ats_merge_verdict_of(const char *word);

#endif
