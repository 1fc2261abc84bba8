/* Bounded lists for the fleet summary: of everything seen, the smallest `bound` entries by
 * (key, name), so the list is the same whatever order threads finish in, and its size is stated
 * rather than grown with the fleet. Entries are gathered up to a quarter over the bound, then
 * sorted and cut (a full pick refuses what would be cut at once): adding costs O(log bound)
 * amortised, and the room held is 1.25 x the bound. */
#include "report/report_merge_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ats_pick_init(pick *p, size_t bound)
{
	memset(p, 0, sizeof(*p));
	p->bound = bound;
}

static int cmp_ent(const void *a, const void *b)
{
	const pick_ent *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return strcmp(x->name, y->name);
}

int ats_pick_wants(const pick *p, uint64_t key, const char *name)
{
	if (!p->full)
		return 1;
	return key < p->cut_key || (key == p->cut_key && strcmp(name, p->cut_name) < 0);
}

static void cut(pick *p)
{
	if (p->n > 1) /* an empty pick has no array yet: qsort(NULL, 0) is undefined */
		qsort(p->v, p->n, sizeof(*p->v), cmp_ent);
	for (size_t i = p->bound; i < p->n; i++) {
		free(p->v[i].name);
		free(p->v[i].text);
		json_decref(p->v[i].obj);
	}
	if (p->n >= p->bound) {
		p->n = p->bound;
		p->full = 1;
		p->cut_key = p->v[p->n - 1].key;
		p->cut_name = p->v[p->n - 1].name;
	}
}

static int add(pick *p, uint64_t key, const char *name, json_t *obj, char *text)
{
	p->seen++;
	if (!p->bound || !ats_pick_wants(p, key, name)) {
		json_decref(obj);
		free(text);
		return 0;
	}
	size_t room = p->bound + p->bound / 4 + 1;
	if (p->n == room)
		cut(p);
	char *copy = strdup(name);
	if (!copy || (!p->v && !(p->v = malloc(room * sizeof(*p->v))))) {
		free(copy);
		json_decref(obj);
		free(text);
		return -1;
	}
	p->v[p->n++] = (pick_ent){key, copy, obj, text};
	return 0;
}

int ats_pick_add(pick *p, uint64_t key, const char *name, json_t *obj)
{
	return add(p, key, name, obj, NULL);
}

int ats_pick_add_text(pick *p, uint64_t key, const char *name, char *text)
{
	return add(p, key, name, NULL, text);
}

void ats_pick_finish(pick *p)
{
	cut(p);
}

void ats_pick_free(pick *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].name);
		free(p->v[i].text);
		json_decref(p->v[i].obj);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

void ats_pick_ids(pick *p, json_t *o, const char *count_key, const char *ids_key)
{
	json_t *a = json_array();
	ats_pick_finish(p);
	for (size_t i = 0; i < p->n; i++)
		json_array_append_new(a, json_string(p->v[i].name));
	if (count_key)
		json_object_set_new(o, count_key, json_integer((json_int_t)p->seen));
	json_object_set_new(o, ids_key, a);
	char complete[64];
	snprintf(complete, sizeof(complete), "%s_complete", ids_key);
	json_object_set_new(o, complete, json_boolean(p->n == p->seen));
}

void ats_merge_json_str(FILE *f, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	putc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			putc('\\', f);
			putc(c, f);
		} else if (c < 0x20) {
			fputs("\\u00", f);
			putc(hex[c >> 4], f);
			putc(hex[c & 15], f);
		} else {
			putc(c, f);
		}
	}
	putc('"', f);
}
