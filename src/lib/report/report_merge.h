/* Fleet summary: many device reports (JSON files, or folders of them) folded into one "merge"
 * report: devices per verdict, per missing CA, per failure cause, per library version; examples
 * of the devices behind each (at most ATS_MERGE_EXAMPLES); what expires within the horizon;
 * devices whose newest report is older than the stale limit; and, against a previous run, the
 * devices whose state got worse or that stopped reporting.
 *
 * Flat memory: each report is parsed, folded into a 24-byte record per device and freed; counts
 * are exact; names go to a spool file and come back once at the end (report_merge_int.h). The
 * full per-device table is streamed to a JSON Lines file when asked (devices_file). Files are
 * parsed on several threads. A file that cannot be read or is not a whole report is counted and
 * named (the first ATS_MERGE_NAMED by name), never fatal. When one device reports twice, its
 * newest report counts, by the report's own time ("at"; the file's mtime when it has none). */
#ifndef ATS_REPORT_MERGE_H
#define ATS_REPORT_MERGE_H

#include "report/report.h"

#include <stddef.h>

#define ATS_MERGE_EXAMPLES 20   /* devices named per cause, CA, expiring item, stale, worse, gone */
#define ATS_MERGE_NAMED 1000    /* unusable files and reports with a doubtful time named */
#define ATS_MERGE_ROWS 10000    /* device rows in the summary (the worst first); all in devices_file */

typedef struct ats_merge_opts {
	time_t at;            /* expiry horizon and report ages start here (the caller's "now" or --at) */
	int horizon_days;     /* list what expires within this many days of at */
	int stale_days;       /* a device whose newest report is older than this is stale (0: 2) */
	const char *devices_file; /* write every device as JSON Lines here (atomically), or NULL */
	const char *tmpdir;   /* where the spool goes (NULL: /tmp); it is unlinked at once */
	int jobs;             /* parsing threads (at least 1) */
	const char *baseline; /* a previous run's devices_file, or its summary when that lists every
			       * device (report merge --format json), or NULL */
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
