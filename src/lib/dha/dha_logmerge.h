/* `atscheck dha log merge`: several stations' control logs folded into one upload (CSV and JSON
 * lines, as the stations write them), refusing what must never reach Amazon: one device id twice,
 * one public key twice (across stations too: a cloned secure element), a line whose key or
 * fingerprint is not its own certificate's (checked when the station's device folders are beside
 * its log: LOG's folder/<id>/device-certificate.pem). The same line given twice (one station's log
 * passed twice) is folded, not refused. Every occurrence of a duplicate is refused: which one is
 * genuine cannot be told from the logs.
 *
 * Streaming, two passes over the inputs (the first finds duplicates, the second writes), 64 KiB of
 * buffer; memory grows only with sets of 32-byte digests (lines, ids, keys, lines written; and the
 * duplicates), each at most half full: 256-512 bytes per device, whatever the lines hold. The output is written under a
 * temporary name and renamed into place complete, or not at all. */
#ifndef ATS_DHA_LOGMERGE_H
#define ATS_DHA_LOGMERGE_H

#include "base/ats.h"

#include <jansson.h>

#define ATS_LOGMERGE_MAX_LISTED 1000

/* logs: control-log.csv files, or station folders holding one; NULL-terminated. out_dir gets
 * control-log.csv and control-log.jsonl (never over existing ones). Non-zero only when an input
 * cannot be read or the output cannot be written (err names it); refused lines are a result. */
int ats_logmerge_run(const char *const *logs, const char *out_dir, json_t **report, ats_err *err);

#endif
