/* Fleet summary: many device reports (JSON files, or folders of them) folded into one "merge"
 * report: devices per verdict, per missing CA, per failure cause, per library version; the
 * devices behind each; what expires within the horizon; and, against a previous summary, the
 * devices whose state got worse.
 *
 * Streaming: each report is parsed, folded into one compact row per device and freed, so memory
 * holds the rows and nothing else per report. Files are parsed on several threads. A file that
 * cannot be read or is not a whole report is counted and named, never fatal. When one device
 * reports twice, its newest file (by mtime, then name) counts. */
#ifndef ATS_REPORT_MERGE_H
#define ATS_REPORT_MERGE_H

#include "report/report.h"

#include <stddef.h>

typedef struct ats_merge_opts {
	time_t at;            /* expiry horizon starts here (the caller's "now" or --at) */
	int horizon_days;     /* list what expires within this many days of at */
	int jobs;             /* parsing threads (at least 1) */
	const char *baseline; /* a previous summary (report merge --format json), or NULL */
	/* Called now and then from the calling thread with the number of files done so far. */
	void (*progress)(void *ctx, size_t done);
	void *progress_ctx;
} ats_merge_opts;

/* paths: report files and folders (walked recursively for *.json). Fails only on bad usage or a
 * baseline that is not a summary; everything about the reports themselves goes into *summary. */
int ats_merge_run(const char *const *paths, size_t n, const ats_merge_opts *o, json_t **summary,
		  ats_err *err);

/* The fleet renderers (ats_report_render dispatches to them for command "merge"). */
char *ats_merge_text(const json_t *summary, const ats_render_opts *o);
char *ats_merge_markdown(const json_t *summary);
char *ats_merge_html(const json_t *summary);

/* Internal to report_merge*.c: the accumulator the scanner feeds. */
typedef struct ats_merge ats_merge;
ats_merge *ats_merge_new(const ats_merge_opts *o);
void ats_merge_free(ats_merge *m);
/* Folds one parsed report in (takes no ownership); thread-safe. */
struct mj_doc;
void ats_merge_add(ats_merge *m, const char *file, time_t mtime, const struct mj_doc *report);
/* Counts and names a file that is not a usable report; thread-safe. */
void ats_merge_bad(ats_merge *m, const char *file, const char *kind, const char *why);
size_t ats_merge_done(ats_merge *m);
int ats_merge_summary(ats_merge *m, json_t **summary, ats_err *err);

#endif
