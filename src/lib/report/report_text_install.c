/* Text for people from an install report: per CA before -> after and what was done, then every
 * change (or, in a dry run, every change it would make) with its exact path and line. */
#include "report/report_text.h"

#include <string.h>


static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static void change_line(ats_buf *b, const json_t *e)
{
	const char *a = str(e, "action");
	if (strncmp(a, "conf-", 5) == 0) {
		ats_buf_printf(b, "  %-13s %s: ", a, str(e, "path"));
		if (*str(e, "was"))
			ats_buf_printf(b, "'%s' -> ", str(e, "was"));
		ats_buf_printf(b, "%s'%s'\n", strcmp(a, "conf-drop") == 0 ? "drop " : "", str(e, "line"));
		return;
	}
	if (strcmp(a, "run") == 0) {
		ats_buf_printf(b, "  %-13s %s\n", a, str(e, "command"));
		return;
	}
	ats_buf_printf(b, "  %-13s %s", a, str(e, "path"));
	if (*str(e, "target"))
		ats_buf_printf(b, " -> %s", str(e, "target"));
	if (*str(e, "ca"))
		ats_buf_printf(b, "  (%s)", str(e, "ca"));
	if (*str(e, "by"))
		ats_buf_printf(b, "  [by %s]", str(e, "by"));
	ats_buf_printf(b, "\n");
}

void ats_report_text_install(ats_buf *b, const json_t *r, const ats_render_opts *o)
{
	bool dry = json_is_true(json_object_get(r, "dry_run"));
	size_t i;
	json_t *e;

	ats_buf_printf(b, "atscheck install%s%s%s%s", dry ? " (dry run: nothing written)" : "",
		       json_object_get(r, "root") ? " of image " : "", str(r, "root"),
		       *str(r, "os") ? "" : "\n");
	if (*str(r, "os"))
		ats_buf_printf(b, " (%s; %s)\n", str(r, "os"), str(r, "family"));
	if (json_array_size(json_object_get(r, "cas"))) {
		ats_buf_printf(b, "\n  %-52s %-11s    %-11s %s\n", "CA", "before", dry ? "now" : "after",
			       "action");
		json_array_foreach(json_object_get(r, "cas"), i, e) {
			ats_buf_printf(b, "  %-52s %-11s -> %-11s %s", str(e, "name"), str(e, "before"),
				       str(e, "after"), str(e, "action"));
			if (*str(e, "file") && strcmp(str(e, "action"), "none") != 0)
				ats_buf_printf(b, " %s", str(e, "file"));
			ats_buf_printf(b, "\n");
		}
	}
	const json_t *changes = json_object_get(r, "changes");
	if (json_array_size(changes)) {
		ats_buf_printf(b, "\n%s\n", dry ? "Would change:" : "Changed:");
		json_array_foreach(changes, i, e)
			change_line(b, e);
	} else if (json_object_get(r, "nothing_to_do")) {
		ats_buf_printf(b, "\nNothing to do: nothing was changed.\n");
	}
	const json_t *out = json_object_get(r, "tool_output");
	if (json_array_size(out)) {
		ats_buf_printf(b, "\n%s said:\n", str(r, "method"));
		json_array_foreach(out, i, e)
			ats_buf_printf(b, "  | %s\n", json_string_value(e));
	}
	if (json_array_size(json_object_get(r, "notes"))) {
		ats_buf_printf(b, "\nNotes:\n");
		json_array_foreach(json_object_get(r, "notes"), i, e)
			ats_buf_printf(b, "  - %s\n", json_string_value(e));
	}
	ats_text_footer(b, r, o);
}
