/* Prometheus series of the ATS root matrix, one label set {root, key} for all of them. */
#ifndef ATS_REPORT_PROM_ATS_ROOTS_H
#define ATS_REPORT_PROM_ATS_ROOTS_H

#include "report/report_prom.h"

/* rows: the matrix's "roots" (probe --ats-roots, or check's "ats_roots" part). */
void ats_prom_ats_roots(ats_prom *p, const json_t *rows);

#endif
