/* The Prometheus text exposition writer the metric renderers share: families (HELP and TYPE
 * once), samples with escaped labels. Every sample of a family carries the same label names. */
#ifndef ATS_REPORT_PROM_H
#define ATS_REPORT_PROM_H

#include "base/strbuf.h"

#include <jansson.h>

typedef struct ats_prom {
	ats_buf b;
	const char *name, *help; /* the family whose header is due before its first sample */
	int header_out;
} ats_prom;

/* Starts a family: # HELP and # TYPE gauge, written with its first sample (an empty family is
 * left out). */
void ats_prom_family(ats_prom *p, const char *name, const char *help);
/* One sample: labels are NULL-terminated name, value pairs (values escaped here). */
void ats_prom_sample(ats_prom *p, const char *name, double v, ...) __attribute__((sentinel));

/* The fleet summary's metrics (report merge). */
void ats_prom_fleet(ats_prom *p, const json_t *summary);
/* The ATS root matrix's series, labels {root, key} (report_prom_ats_roots.c); rows: the matrix's
 * "roots" (probe --ats-roots, or check's "ats_roots" part). */
void ats_prom_ats_roots(ats_prom *p, const json_t *rows);

#endif
