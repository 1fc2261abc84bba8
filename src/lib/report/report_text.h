/* The text renderer's parts: report_text.c dispatches on the command to the family that renders
 * it, and every family ends with the same footer. Renderers read the tree (report/tree.h) and
 * build nothing. */
#ifndef ATS_REPORT_TEXT_H
#define ATS_REPORT_TEXT_H

#include "base/strbuf.h"
#include "report/report.h"

#include <stdbool.h>

/* The problems list and the verdict line every text report ends with (report_text.c). */
void ats_text_footer(ats_buf *b, const json_t *r, const ats_render_opts *o);
/* The AVS Device SDK's trust, when an SDK config was read: the CA file and the folder, what the
 * folder adds, the families, the gateway (report_text.c; audit and check reports). */
void ats_text_sdk(ats_buf *b, const json_t *audit, const ats_render_opts *o);
/* probe, chain, check and selftest reports (report_text_probe.c); false for other commands. */
bool ats_text_probe_family(ats_buf *b, const json_t *r, const ats_render_opts *o);
/* An install report (report_text_install.c). */
void ats_report_text_install(ats_buf *b, const json_t *r, const ats_render_opts *o);
/* True when it rendered r, a "dha verify", "dha provision" or "dak csr" report
 * (report_text_dha.c). */
int ats_report_text_dha(ats_buf *b, const json_t *r, const ats_render_opts *o);
/* The ATS root matrix (report_text_ats_roots.c): the matrix, the revocation details and what it
 * means, no footer (also check --ats-roots' part); and a whole "ats-roots" report, false when r
 * is another command's. */
void ats_text_ats_roots_matrix(ats_buf *b, const json_t *m, const ats_render_opts *o);
bool ats_text_ats_roots(ats_buf *b, const json_t *r, const ats_render_opts *o);

#endif
