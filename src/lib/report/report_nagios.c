/* Nagios/Icinga plugin output (the monitoring-plugins guidelines): one status line
 * "ATSCHECK <STATE> - <what>", perfdata with one item per distinct certificate (days left at the
 * report's "at"), then one line per problem. Any object in the report that has "not_after_epoch"
 * and a "name" or "subject" is a certificate here, so a command's chain elements get perfdata
 * without this file knowing the command.
 *
 * Thresholds in the guidelines' range syntax: days left alert when *below*, so -w 30 -c 7 reads
 * 'label'=4064;30:;7:;0; (days carry no unit: "d" is not one of the guidelines' units). A
 * certificate the thresholds do not judge (an unusable copy, one already expired: the report's
 * own problems say what that means) carries no thresholds. The thresholds replace the report's
 * own expiry horizon (an audit's --warn-days, cause "ca-expiring"): one rule judges, and the
 * perfdata shows it. */
#include "report/report.h"
#include "base/redact.h"
#include "base/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400

typedef struct nag {
	ats_buf perf, why;
	json_t *seen;	/* certificates given perfdata (by sha256, else by label), and labels used */
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

/* The perfdata item for one certificate, once per distinct certificate: a probe's h2 and
 * http/1.1 see the same chain, and a certificate is both sent and on the path. Two distinct ones
 * that would get the same label are told apart by "#2". */
static void perf_item(nag *n, const json_t *j, const char *name, const char *base, long long days,
		      bool judged)
{
	ats_buf l = {0}, key = {0};
	const char *sha = ats_json_str(j, "sha256");
	label(&l, name);
	if (base) {
		ats_buf_printf(&l, " (");
		label(&l, base);
		ats_buf_printf(&l, ")");
	}
	ats_buf_printf(&key, "%s%s", *sha ? "sha256 " : "label ", *sha ? sha : l.p);
	if (!json_object_get(n->seen, key.p)) {
		json_object_set_new(n->seen, key.p, json_true());
		size_t len = l.n;
		for (int i = 2; json_object_get(n->seen, l.p); i++) {
			l.n = len;
			ats_buf_printf(&l, " #%d", i);
		}
		json_object_set_new(n->seen, l.p, json_true());
		if (judged)
			ats_buf_printf(&n->perf, " '%s'=%lld;%d:;%d:;0;", l.p, days, n->warn, n->crit);
		else
			ats_buf_printf(&n->perf, " '%s'=%lld;;;;", l.p, days);
	}
	ats_buf_free(&l);
	ats_buf_free(&key);
}

/* context names what a certificate belongs to in the status text, base in its perfdata label. */
static void walk(nag *n, const json_t *j, const char *context, const char *base)
{
	size_t i;
	const char *k;
	json_t *v;
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			walk(n, v, context, base);
		return;
	}
	if (!json_is_object(j))
		return;
	/* What a certificate belongs to: a store (its path) or a probe (its protocol). */
	if (json_is_string(json_object_get(j, "path"))) {
		context = ats_json_str(j, "path");
		base = strrchr(context, '/');
		base = base && base[1] ? base + 1 : context;
	} else if (json_is_object(json_object_get(j, "certificates")) && *ats_json_str(j, "name")) {
		context = base = ats_json_str(j, "name");
	}
	const json_t *na = json_object_get(j, "not_after_epoch");
	const char *name = *ats_json_str(j, "name") ? ats_json_str(j, "name") : ats_json_str(j, "subject");
	if (json_is_integer(na) && *name) {
		long long days = ((long long)json_integer_value(na) - (long long)n->at) / DAY;
		/* Thresholds judge what the device relies on; an unusable copy is the report's business. */
		bool judged = !json_is_false(json_object_get(j, "usable")) && days >= 0;
		perf_item(n, j, name, base, days, judged);
		if (judged) {
			ats_verdict t = days < n->crit ? ATS_VERDICT_CRITICAL
					: days < n->warn ? ATS_VERDICT_WARNING
							 : ATS_VERDICT_OK;
			char key[80];
			snprintf(key, sizeof(key), "why %s", ats_json_str(j, "sha256"));
			if (t != ATS_VERDICT_OK && (!*ats_json_str(j, "sha256") || !json_object_get(n->seen, key))) {
				json_object_set_new(n->seen, key, json_true());
				ats_buf_printf(&n->why, "%s%s expires in %lld days%s%s%s", n->why.n ? "; " : "",
					       name, days, context ? " (" : "", context ? context : "",
					       context ? ")" : "");
				n->v = ats_verdict_worst(n->v, t);
			}
		}
	}
	json_object_foreach((json_t *)j, k, v)
		if (json_is_object(v) || json_is_array(v))
			walk(n, v, context, base);
}

/* A problem the thresholds judge instead (an expiry horizon of the command's own). */
static bool superseded(const json_t *p)
{
	return strcmp(ats_json_str(p, "cause"), "ca-expiring") == 0;
}

/* The report's verdict without the problems the thresholds replace: when every problem as bad
 * as the verdict is one of those, the worst of the others. */
static ats_verdict own_verdict(const json_t *r, ats_verdict rv)
{
	const json_t *p;
	size_t i;
	ats_verdict rest = ATS_VERDICT_OK;
	bool any_super = false;
	json_array_foreach(json_object_get(r, "problems"), i, p) {
		ats_verdict pv = ats_status_verdict(ats_json_str(p, "severity"));
		if (superseded(p))
			any_super = true;
		else
			rest = ats_verdict_worst(rest, pv);
	}
	return any_super && rest < rv ? rest : rv;
}

char *ats_report_nagios(const json_t *r, const ats_render_opts *o, int *exit_code)
{
	nag n = {.at = ats_report_at(r), .warn = 30, .crit = 7, .seen = json_object()};
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
	size_t listed = 0;
	if (n.at != (time_t)-1) {
		walk(&n, r, NULL, NULL);
		rv = own_verdict(r, rv);
	}
	ats_verdict v = ats_verdict_worst(rv, n.v);
	/* The first problem as severe as the report's verdict says why in the status line. */
	json_array_foreach(problems, i, p) {
		if (n.at != (time_t)-1 && superseded(p))
			continue;
		listed++;
		if (!first && ats_status_verdict(ats_json_str(p, "severity")) == rv)
			first = p;
	}
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
	if (listed > 1)
		ats_buf_printf(&out, " (%zu problems)", listed);
	/* No bare "|" when there is no perfdata. */
	if (n.perf.n)
		ats_buf_printf(&out, " |%s", n.perf.p);
	ats_buf_printf(&out, "\n");
	json_array_foreach(problems, i, p) {
		if (n.at != (time_t)-1 && superseded(p))
			continue;
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
	json_decref(n.seen);
	*exit_code = (int)v;
	/* Nagios shows this on a web page: no password from any fact or message. */
	char *s = ats_buf_take(&out), *shown = ats_redact_text(s);
	free(s);
	return shown;
}
