/* Text for people for the dha and dak commands (report_text.c dispatches here). */
#ifndef ATS_REPORT_TEXT_DHA_H
#define ATS_REPORT_TEXT_DHA_H

#include "report/report.h"
#include "base/strbuf.h"

/* True when it rendered r (a "dha verify", "dha provision" or "dak csr" report). */
int ats_report_text_dha(ats_buf *b, const json_t *r, const ats_render_opts *o);

#endif
