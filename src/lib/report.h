/* Renderers: the one result tree (a jansson object with "command", "verdict", "exit_code",
 * "problems" and the command's own facts) turned into text for people or formats for machines.
 * Each returns a malloc'd string; the command decides where it goes. */
#ifndef ATS_REPORT_H
#define ATS_REPORT_H

#include "ats.h"

#include <jansson.h>
#include <stdbool.h>

typedef struct ats_render_opts {
	bool color; /* ANSI colours (the command decides: a terminal, and no NO_COLOR) */
} ats_render_opts;

/* Stamps the report with what every report carries (schema version, tool and library versions,
 * device identity when given). */
void ats_report_stamp(json_t *report, const char *device_id);

char *ats_report_json(const json_t *report);
/* Text for people; dispatches on report["command"]. */
char *ats_report_text(const json_t *report, const ats_render_opts *o);

/* Parses a --format word; -1 when unknown. */
typedef enum { ATS_FMT_TEXT, ATS_FMT_JSON, ATS_FMT_PROMETHEUS, ATS_FMT_JUNIT } ats_format;
int ats_format_parse(const char *s);
/* Renders report in fmt; NULL with err set when the format does not apply to this report. */
char *ats_report_render(const json_t *report, ats_format fmt, const ats_render_opts *o,
			ats_err *err);

#endif
