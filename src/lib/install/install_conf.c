#include "install/install_conf.h"

#include "base/strbuf.h"

#include <stdlib.h>
#include <string.h>

typedef enum { LINE_BLANK, LINE_COMMENT, LINE_SELECT, LINE_DESELECT } line_kind;

typedef struct conf_line {
	const char *p; /* the line, without its '\n' */
	size_t n;
	bool nl;       /* ended by '\n' */
	line_kind kind;
	const char *name; /* the path as the tool reads it (blanks trimmed; a '\r' kept) */
	size_t nn;
} conf_line;

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

static void parse_line(conf_line *l)
{
	const char *s = l->p, *e = l->p + l->n;
	if (l->n == 0) {
		l->kind = LINE_BLANK;
		return;
	}
	l->kind = s[0] == '#' ? LINE_COMMENT : s[0] == '!' ? LINE_DESELECT : LINE_SELECT;
	if (l->kind == LINE_DESELECT)
		s++;
	while (s < e && blank(*s))
		s++;
	while (e > s && blank(e[-1]))
		e--;
	l->name = s;
	l->nn = (size_t)(e - s);
}

/* Calls fn for each line; stops early when fn returns nonzero. */
static void each_line(const char *text, size_t len, int (*fn)(conf_line *, void *), void *ctx)
{
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		conf_line l = {.p = p, .n = e ? (size_t)(e - p) : (size_t)(end - p), .nl = e != NULL};
		parse_line(&l);
		if (fn(&l, ctx))
			return;
		p = e ? e + 1 : end;
	}
}

/* Whether the line names rel; *exact when the tool reads it as rel (no '\r', ended by '\n'). */
static bool names(const conf_line *l, const char *rel, bool *exact)
{
	size_t rl = strlen(rel), nn = l->nn;
	if (l->kind != LINE_SELECT && l->kind != LINE_DESELECT)
		return false;
	*exact = l->nl;
	if (nn == rl + 1 && l->name[rl] == '\r') {
		nn = rl;
		*exact = false;
	}
	return nn == rl && memcmp(l->name, rel, rl) == 0;
}

struct find_ctx {
	const char *rel;
	ats_conf_state *st;
};

static int find_one(conf_line *l, void *vctx)
{
	struct find_ctx *c = vctx;
	bool exact;
	if (!names(l, c->rel, &exact))
		return 0;
	if (l->kind == LINE_DESELECT)
		c->st->bang = true;
	else if (exact)
		c->st->selected = true;
	else
		c->st->broken = true;
	return 0;
}

void ats_conf_find(const char *text, size_t len, const char *rel, ats_conf_state *st)
{
	struct find_ctx c = {rel, st};
	memset(st, 0, sizeof(*st));
	each_line(text, len, find_one, &c);
}

struct sel_ctx {
	void (*fn)(const char *, size_t, void *);
	void *ctx;
};

static int sel_one(conf_line *l, void *vctx)
{
	struct sel_ctx *c = vctx;
	if (l->kind == LINE_SELECT && l->nl && l->nn && !memchr(l->name, '\r', l->nn))
		c->fn(l->name, l->nn, c->ctx);
	return 0;
}

void ats_conf_each_selected(const char *text, size_t len,
			    void (*fn)(const char *name, size_t n, void *ctx), void *ctx)
{
	struct sel_ctx c = {fn, ctx};
	each_line(text, len, sel_one, &c);
}

struct edit_ctx {
	const char *const *rels;
	size_t n;
	bool *done;     /* rels[i] is selected in the output */
	bool *skip;     /* rels[i] was selected already: its lines are not ours to touch */
	ats_buf *b;
	json_t *edits;
};

static void record(json_t *edits, const char *action, const char *rel, const conf_line *was)
{
	json_t *e = json_pack("{s:s, s:s}", "action", action, "line", rel);
	if (e && was)
		json_object_set_new(e, "was", json_stringn(was->p, was->n));
	json_array_append_new(edits, e);
}

static int edit_one(conf_line *l, void *vctx)
{
	struct edit_ctx *c = vctx;
	for (size_t i = 0; i < c->n; i++) {
		bool exact;
		if (c->skip[i] || !names(l, c->rels[i], &exact) || (l->kind == LINE_SELECT && exact))
			continue;
		/* A '!' or broken line for a path we select: the first becomes the selection, the
		 * rest of them go (a second selecting line would put the CA twice in the bundle). */
		if (!c->done[i]) {
			ats_buf_printf(c->b, "%s\n", c->rels[i]);
			record(c->edits, l->kind == LINE_DESELECT ? "conf-reselect" : "conf-repair",
			       c->rels[i], l);
			c->done[i] = true;
		} else if (l->kind == LINE_DESELECT) {
			record(c->edits, "conf-drop", c->rels[i], l);
		} else {
			break; /* a broken duplicate the tool ignores anyway: keep it as it was */
		}
		return 0;
	}
	ats_buf_put(c->b, l->p, l->n);
	if (l->nl)
		ats_buf_put(c->b, "\n", 1);
	return 0;
}

int ats_conf_select(const char *text, size_t len, const char *const *rels, size_t n, char **out,
		    size_t *outlen, json_t *edits)
{
	ats_buf b = {0};
	bool *done = calloc(2 * (n ? n : 1), sizeof(bool));
	struct edit_ctx c = {rels, n, done, done + n, &b, edits};

	*out = NULL;
	if (!done)
		return -1;
	for (size_t i = 0; i < n; i++) {
		ats_conf_state st;
		ats_conf_find(text, len, rels[i], &st);
		done[i] = c.skip[i] = st.selected;
	}
	each_line(text, len, edit_one, &c);
	for (size_t i = 0; i < n; i++) {
		bool dup = false;
		for (size_t k = 0; k < i; k++)
			dup = dup || strcmp(rels[k], rels[i]) == 0;
		if (done[i] || dup)
			continue;
		if (b.n && b.p[b.n - 1] != '\n') {
			/* The manual `echo >>` would merge two entries here; and the tool never reads
			 * a last line without its '\n', so this one starts to count now. */
			const char *last = memrchr(b.p, '\n', b.n);
			last = last ? last + 1 : b.p;
			json_array_append_new(edits, json_pack("{s:s, s:s%}", "action", "conf-newline",
							       "line", last, (size_t)(b.p + b.n - last)));
			ats_buf_put(&b, "\n", 1);
		}
		ats_buf_printf(&b, "%s\n", rels[i]);
		record(edits, "conf-add", rels[i], NULL);
		done[i] = true;
	}
	free(done);
	*outlen = b.n;
	*out = ats_buf_take(&b);
	return *out ? 0 : -1;
}
