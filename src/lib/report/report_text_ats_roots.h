/* Text for the ATS root matrix (probe --ats-roots, and its part of check --ats-roots). */
#ifndef ATS_REPORT_TEXT_ATS_ROOTS_H
#define ATS_REPORT_TEXT_ATS_ROOTS_H

#include "base/strbuf.h"
#include "report/report.h"

/* The matrix, the revocation details and what it means (no footer). */
void ats_text_ats_roots_matrix(ats_buf *b, const json_t *m, const ats_render_opts *o);
/* A whole "ats-roots" report; false when r is another command's. */
bool ats_text_ats_roots(ats_buf *b, const json_t *r, const ats_render_opts *o);

#endif
