/* Nagios/Icinga plugin output (the monitoring-plugins guidelines): one status line
 * "ATSCHECK <STATE> - <what>", perfdata with one item per certificate (days left at the report's
 * "at", with the -w/-c thresholds), then one line per problem. Any object in the report that has
 * "not_after_epoch" and a "name" or "subject" is a certificate here, so a command's chain
 * elements get perfdata without this file knowing the command. */
#include "report.h"
#include "strbuf.h"

#include <stdio.h>
#include <string.h>

#define DAY 86400

typedef struct nag {
	ats_buf perf, why;
	time_t at;
	int warn, crit;
	ats_verdict v;
} nag;

static void label(ats_buf *b, const char *s)
{
	for (; *s; s++)
		ats_buf_put(b, *s == '\'' || *s == '=' ? "_" : s, 1);
}

/* Plugin text: a '|' would start the perfdata. */
static void text(ats_buf *b, const char *s)
{
	for (; *s; s++)
		ats_buf_put(b, *s == '|' ? "/" : s, 1);
}

static void walk(nag *n, const json_t *j, const char *context)
{
	size_t i;
	const char *k;
	json_t *v;
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			walk(n, v, context);
		return;
	}
	if (!json_is_object(j))
		return;
	if (json_is_string(json_object_get(j, "path")))
		context = ats_json_str(j, "path");
	else if (json_is_string(json_object_get(j, "protocol")))
		context = ats_json_str(j, "protocol");
	const json_t *na = json_object_get(j, "not_after_epoch");
	const char *name = *ats_json_str(j, "name") ? ats_json_str(j, "name") : ats_json_str(j, "subject");
	if (json_is_integer(na) && *name) {
		long long days = ((long long)json_integer_value(na) - (long long)n->at) / DAY;
		const char *base = context ? strrchr(context, '/') : NULL;
		base = base && base[1] ? base + 1 : context;
		ats_buf_printf(&n->perf, " '");
		label(&n->perf, name);
		if (base) {
			ats_buf_printf(&n->perf, " (");
			label(&n->perf, base);
			ats_buf_printf(&n->perf, ")");
		}
		ats_buf_printf(&n->perf, "'=%lld;%d;%d;;", days, n->warn, n->crit);
		/* Thresholds judge what the device relies on; an unusable copy is the report's business. */
		if (!json_is_false(json_object_get(j, "usable")) && days >= 0) {
			ats_verdict t = days < n->crit ? ATS_VERDICT_CRITICAL
					: days < n->warn ? ATS_VERDICT_WARNING
							 : ATS_VERDICT_OK;
			if (t != ATS_VERDICT_OK) {
				ats_buf_printf(&n->why, "%s%s expires in %lld days%s%s%s", n->why.n ? "; " : "",
					       name, days, context ? " (" : "", context ? context : "",
					       context ? ")" : "");
				n->v = ats_verdict_worst(n->v, t);
			}
		}
	}
	json_object_foreach((json_t *)j, k, v)
		if (json_is_object(v) || json_is_array(v))
			walk(n, v, context);
}

char *ats_report_nagios(const json_t *r, const ats_render_opts *o, int *exit_code)
{
	nag n = {.at = ats_report_at(r), .warn = 30, .crit = 7};
	ats_buf out = {0};
	const json_t *problems = json_object_get(r, "problems"), *p, *first = NULL;
	size_t i;
	ats_verdict rv = (ats_verdict)json_integer_value(json_object_get(r, "exit_code"));

	if (o && o->days_set) {
		n.warn = o->warn_days;
		n.crit = o->crit_days;
	}
	if (rv > ATS_VERDICT_UNKNOWN || rv < ATS_VERDICT_OK)
		rv = ATS_VERDICT_UNKNOWN;
	if (n.at != (time_t)-1)
		walk(&n, r, NULL);
	ats_verdict v = ats_verdict_worst(rv, n.v);
	/* The first problem as severe as the report's verdict says why in the status line. */
	json_array_foreach(problems, i, p)
		if (!first && ats_status_verdict(ats_json_str(p, "severity")) == rv)
			first = p;
	ats_buf_printf(&out, "ATSCHECK %s - %s: ", ats_verdict_name(v), ats_json_str(r, "command"));
	if (first)
		text(&out, ats_json_str(first, "message"));
	if (n.why.n) {
		ats_buf_printf(&out, "%s", first ? "; " : "");
		text(&out, n.why.p);
	}
	if (!first && !n.why.n)
		ats_buf_printf(&out, "%s", v == ATS_VERDICT_OK ? "all checks passed"
							       : ats_json_str(r, "verdict"));
	if (json_array_size(problems) > 1)
		ats_buf_printf(&out, " (%zu problems)", json_array_size(problems));
	ats_buf_printf(&out, " |%s\n", n.perf.p ? n.perf.p : "");
	json_array_foreach(problems, i, p) {
		ats_buf_printf(&out, "%s: ", ats_json_str(p, "severity"));
		text(&out, ats_json_str(p, "message"));
		if (*ats_json_str(p, "fix")) {
			ats_buf_printf(&out, " (fix: ");
			text(&out, ats_json_str(p, "fix"));
			ats_buf_printf(&out, ")");
		}
		ats_buf_printf(&out, "\n");
	}
	ats_buf_free(&n.perf);
	ats_buf_free(&n.why);
	*exit_code = (int)v;
	return ats_buf_take(&out);
}
