/* ca-certificates.conf read and edited the way update-ca-certificates reads it. */
#include "install/install_conf.h"
#include "testutil.h"

static char *edit(const char *text, const char *const *rels, size_t n, json_t **edits)
{
	char *out = NULL;
	size_t len = 0;
	*edits = json_array();
	cr_assert_eq(ats_conf_select(text, strlen(text), rels, n, &out, &len, *edits), 0);
	cr_assert_eq(strlen(out), len);
	return out;
}

static const char *action(json_t *edits, size_t k)
{
	return json_string_value(json_object_get(json_array_get(edits, k), "action"));
}

Test(conf, find_reads_lines_as_the_tool_does)
{
	const char *t = "# comment\n mozilla/A.crt \n!mozilla/B.crt\nmozilla/C.crt\r\n #mozilla/D.crt\n"
			"mozilla/E.crt";
	ats_conf_state st;
	ats_conf_find(t, strlen(t), "mozilla/A.crt", &st);
	cr_assert(st.selected && !st.bang && !st.broken, "blanks around a path are trimmed");
	ats_conf_find(t, strlen(t), "mozilla/B.crt", &st);
	cr_assert(!st.selected && st.bang);
	ats_conf_find(t, strlen(t), "mozilla/C.crt", &st);
	cr_assert(!st.selected && st.broken, "a CRLF line selects nothing");
	ats_conf_find(t, strlen(t), "#mozilla/D.crt", &st);
	cr_assert(st.selected, "'#' is a comment only as the first character");
	ats_conf_find(t, strlen(t), "mozilla/D.crt", &st);
	cr_assert(!st.selected);
	ats_conf_find(t, strlen(t), "mozilla/E.crt", &st);
	cr_assert(!st.selected && st.broken, "an unterminated last line is never read");
	ats_conf_find(t, strlen(t), "comment", &st);
	cr_assert(!st.selected);
}

Test(conf, append_keeps_every_other_byte)
{
	const char *rels[] = {"atscheck/x.crt"};
	json_t *e;
	char *out = edit("# c\nmozilla/A.crt\n", rels, 1, &e);
	cr_assert_str_eq(out, "# c\nmozilla/A.crt\natscheck/x.crt\n");
	cr_assert_str_eq(action(e, 0), "conf-add");
	free(out);
	json_decref(e);
}

Test(conf, missing_final_newline_does_not_merge_entries)
{
	const char *rels[] = {"atscheck/x.crt"};
	json_t *e;
	char *out = edit("mozilla/A.crt", rels, 1, &e);
	cr_assert_str_eq(out, "mozilla/A.crt\natscheck/x.crt\n");
	cr_assert_str_eq(action(e, 0), "conf-newline");
	cr_assert_str_eq(action(e, 1), "conf-add");
	free(out);
	json_decref(e);
}

Test(conf, crlf_file_keeps_its_lines_and_gets_a_readable_one)
{
	const char *rels[] = {"atscheck/x.crt"};
	json_t *e;
	char *out = edit("mozilla/A.crt\r\nmozilla/B.crt\r\n", rels, 1, &e);
	cr_assert_str_eq(out, "mozilla/A.crt\r\nmozilla/B.crt\r\natscheck/x.crt\n");
	ats_conf_state st;
	ats_conf_find(out, strlen(out), "atscheck/x.crt", &st);
	cr_assert(st.selected);
	free(out);
	json_decref(e);
}

Test(conf, a_broken_line_for_the_path_is_repaired_not_duplicated)
{
	const char *rels[] = {"mozilla/A.crt"};
	json_t *e;
	char *out = edit("x.crt\nmozilla/A.crt\r\ny.crt\n", rels, 1, &e);
	cr_assert_str_eq(out, "x.crt\nmozilla/A.crt\ny.crt\n");
	cr_assert_str_eq(action(e, 0), "conf-repair");
	free(out);
	json_decref(e);
}

Test(conf, reselect_turns_the_bang_line_and_drops_repeats)
{
	const char *rels[] = {"mozilla/A.crt"};
	json_t *e;
	char *out = edit("!mozilla/A.crt\nb.crt\n!mozilla/A.crt\n", rels, 1, &e);
	cr_assert_str_eq(out, "mozilla/A.crt\nb.crt\n");
	cr_assert_str_eq(action(e, 0), "conf-reselect");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(e, 0), "was")),
			 "!mozilla/A.crt");
	cr_assert_str_eq(action(e, 1), "conf-drop");
	free(out);
	json_decref(e);
}

Test(conf, no_duplicates)
{
	const char *rels[] = {"mozilla/A.crt", "mozilla/B.crt", "mozilla/B.crt"};
	json_t *e;
	char *out = edit("mozilla/A.crt\n", rels, 3, &e);
	cr_assert_str_eq(out, "mozilla/A.crt\nmozilla/B.crt\n");
	cr_assert_eq(json_array_size(e), 1);
	free(out);
	json_decref(e);
	/* Selected already, with a stray '!' line too: not ours to touch. */
	out = edit("!mozilla/A.crt\nmozilla/A.crt\n", rels, 1, &e);
	cr_assert_str_eq(out, "!mozilla/A.crt\nmozilla/A.crt\n");
	cr_assert_eq(json_array_size(e), 0);
	free(out);
	json_decref(e);
}

Test(conf, empty_file)
{
	const char *rels[] = {"atscheck/x.crt"};
	json_t *e;
	char *out = edit("", rels, 1, &e);
	cr_assert_str_eq(out, "atscheck/x.crt\n");
	free(out);
	json_decref(e);
}

static void collect(const char *name, size_t n, void *ctx)
{
	strncat(ctx, name, n);
	strcat(ctx, ";");
}

Test(conf, each_selected)
{
	const char *t = "# c\na.crt\n!b.crt\nc.crt\r\n\n d.crt\ne.crt";
	char got[256] = "";
	ats_conf_each_selected(t, strlen(t), collect, got);
	cr_assert_str_eq(got, "a.crt;d.crt;");
}
