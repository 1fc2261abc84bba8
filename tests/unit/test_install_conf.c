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

/* The edits' actions, comma-separated: "conf-newline,conf-add". */
static void actions(json_t *edits, char *out, size_t n)
{
	size_t k;
	json_t *e;
	out[0] = '\0';
	json_array_foreach(edits, k, e) {
		if (k)
			strncat(out, ",", n - strlen(out) - 1);
		strncat(out, json_string_value(json_object_get(e, "action")), n - strlen(out) - 1);
	}
}

/* How update-ca-certificates reads one line: a path in this text, and what it is. */
static const struct find_case {
	const char *path;
	bool selected, bang, broken;
	const char *why;
} find_cases[] = {
	{"mozilla/A.crt", true, false, false, "blanks around a path are trimmed"},
	{"mozilla/B.crt", false, true, false, "'!' deselects"},
	{"mozilla/C.crt", false, false, true, "a CRLF line selects nothing"},
	{"#mozilla/D.crt", true, false, false, "'#' is a comment only as the first character"},
	{"mozilla/D.crt", false, false, false, "... so the path without '#' is not listed"},
	{"mozilla/E.crt", false, false, true, "an unterminated last line is never read"},
	{"comment", false, false, false, "a comment line selects nothing"},
};

Test(conf, find_reads_lines_as_the_tool_does)
{
	const char *t = "# comment\n mozilla/A.crt \n!mozilla/B.crt\nmozilla/C.crt\r\n #mozilla/D.crt\n"
			"mozilla/E.crt";
	for (size_t i = 0; i < sizeof(find_cases) / sizeof(find_cases[0]); i++) {
		const struct find_case *c = &find_cases[i];
		ats_conf_state st;
		ats_conf_find(t, strlen(t), c->path, &st);
		cr_expect(st.selected == c->selected && st.bang == c->bang && st.broken == c->broken,
			  "%s: selected %d bang %d broken %d (%s)", c->path, st.selected, st.bang,
			  st.broken, c->why);
	}
}

/* Selecting these paths in this conf: the text it becomes and the edits it reports. Every path
 * asked for must be selected afterwards, and every other byte kept. */
static const struct edit_case {
	const char *name, *in;
	const char *rels[3];
	const char *out, *actions, *was; /* was: the first edit's "was", when it has one */
} edit_cases[] = {
	{"append keeps every other byte", "# c\nmozilla/A.crt\n", {"atscheck/x.crt"},
	 "# c\nmozilla/A.crt\natscheck/x.crt\n", "conf-add", NULL},
	{"a missing final newline does not merge entries", "mozilla/A.crt", {"atscheck/x.crt"},
	 "mozilla/A.crt\natscheck/x.crt\n", "conf-newline,conf-add", NULL},
	{"a CRLF file keeps its lines and gets a readable one", "mozilla/A.crt\r\nmozilla/B.crt\r\n",
	 {"atscheck/x.crt"}, "mozilla/A.crt\r\nmozilla/B.crt\r\natscheck/x.crt\n", "conf-add", NULL},
	{"a broken line for the path is repaired, not duplicated", "x.crt\nmozilla/A.crt\r\ny.crt\n",
	 {"mozilla/A.crt"}, "x.crt\nmozilla/A.crt\ny.crt\n", "conf-repair", NULL},
	{"reselect turns the '!' line and drops repeats", "!mozilla/A.crt\nb.crt\n!mozilla/A.crt\n",
	 {"mozilla/A.crt"}, "mozilla/A.crt\nb.crt\n", "conf-reselect,conf-drop", "!mozilla/A.crt"},
	{"no duplicates", "mozilla/A.crt\n", {"mozilla/A.crt", "mozilla/B.crt", "mozilla/B.crt"},
	 "mozilla/A.crt\nmozilla/B.crt\n", "conf-add", NULL},
	{"selected already, with a stray '!' line too: not ours to touch",
	 "!mozilla/A.crt\nmozilla/A.crt\n", {"mozilla/A.crt"}, "!mozilla/A.crt\nmozilla/A.crt\n", "",
	 NULL},
	{"an empty file", "", {"atscheck/x.crt"}, "atscheck/x.crt\n", "conf-add", NULL},
};

Test(conf, select_edits_as_the_table_says)
{
	for (size_t i = 0; i < sizeof(edit_cases) / sizeof(edit_cases[0]); i++) {
		const struct edit_case *c = &edit_cases[i];
		size_t n = 0;
		while (n < 3 && c->rels[n])
			n++;
		json_t *e;
		char got[256];
		char *out = edit(c->in, c->rels, n, &e);
		cr_expect_str_eq(out, c->out, "%s: the text", c->name);
		actions(e, got, sizeof(got));
		cr_expect_str_eq(got, c->actions, "%s: the edits", c->name);
		if (c->was)
			cr_expect_str_eq(json_string_value(json_object_get(json_array_get(e, 0), "was")),
					 c->was, "%s: what the line was", c->name);
		for (size_t k = 0; k < n; k++) {
			ats_conf_state st;
			ats_conf_find(out, strlen(out), c->rels[k], &st);
			cr_expect(st.selected, "%s: %s is selected afterwards", c->name, c->rels[k]);
		}
		free(out);
		json_decref(e);
	}
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
