/* Inside the ATS root matrix: the probing (ats_roots.c) hands the facts of its 15 hosts to the
 * judging (ats_roots_judge.c), which builds the report. */
#ifndef ATS_ROOTS_INT_H
#define ATS_ROOTS_INT_H

#include "probe/ats_roots.h"

#include <openssl/ocsp.h>

/* Takes over hosts (15 probe objects, root-major, kinds in ATS_ROOTS_* order, each with "root"
 * and "kind"; the revoked ones with "stapled_ocsp" and "ocsp_responder") and store_facts. */
int ats_roots_report(const ats_roots_opts *o, json_t *hosts, json_t *store_facts,
		     bool status_offered, json_t **report, ats_err *err);

#endif
