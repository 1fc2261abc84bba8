/* The ATS root matrix for people: one line per root and key type with the three outcomes, what
 * each row means, what revocation checking was tried and what came back, and the meaning of the
 * whole matrix in words. */
#include "report/report_text.h"

#include <string.h>

typedef struct tint {
	const char *pass, *warn, *fail, *skip, *bold, *off;
} tint;

static tint tint_for(const ats_render_opts *o)
{
	if (o && o->color)
		return (tint){"\033[32m", "\033[33m", "\033[31m", "\033[2m", "\033[1m", "\033[0m"};
	return (tint){"", "", "", "", "", ""};
}

static const char *tone(const tint *t, const char *status)
{
	return strcmp(status, "pass") == 0   ? t->pass
	       : strcmp(status, "warn") == 0 ? t->warn
	       : strcmp(status, "fail") == 0 ? t->fail
					     : t->skip;
}

/* The word in a cell: what happened, upper case when it is wrong. */
static const char *word(const json_t *c, const char *kind)
{
	const char *out = ats_json_str(c, "outcome"), *st = ats_json_str(c, "status");
	if (strcmp(out, "not-tested") == 0)
		return "not tested";
	if (strcmp(st, "skip") == 0)
		return "not judged";
	if (strcmp(kind, "good") == 0)
		return strcmp(out, "accepted") == 0 ? "accepted" : "REJECTED";
	if (strcmp(kind, "expired") == 0)
		return strcmp(out, "accepted") == 0 ? "ACCEPTED" : strcmp(st, "pass") == 0 ? "rejected"
											 : "rejected?";
	if (strcmp(out, "rejected") == 0)
		return "rejected?";
	return json_is_true(json_object_get(c, "noticed")) ? "noticed" : "not checked";
}

void ats_text_ats_roots_matrix(ats_buf *b, const json_t *m, const ats_render_opts *o)
{
	static const char *const kinds[] = {"good", "expired", "revoked"};
	tint t = tint_for(o);
	size_t i;
	json_t *row, *h, *line;

	ats_buf_printf(b, "\n  %-52s %-9s %-12s %-12s %s\n", "root", "key", "good", "expired",
		       "revoked");
	json_array_foreach(json_object_get(m, "roots"), i, row) {
		ats_buf_printf(b, "  %-52s %-9s", ats_json_str(row, "root"), ats_json_str(row, "key"));
		for (size_t k = 0; k < 3; k++) {
			const json_t *c = json_object_get(row, kinds[k]);
			ats_buf_printf(b, " %s%-*s%s", tone(&t, ats_json_str(c, "status")), k < 2 ? 12 : 0,
				       word(c, kinds[k]), t.off);
		}
		ats_buf_printf(b, "\n");
	}
	ats_buf_printf(b, "\n");
	json_array_foreach(json_object_get(m, "roots"), i, row)
		ats_buf_printf(b, "  sca%llda %s: %s\n", json_integer_value(json_object_get(row, "n")),
			       ats_json_str(row, "root"), ats_json_str(row, "meaning"));

	/* Every cell that is not as it must be, with its own words. */
	bool header = false;
	json_array_foreach(json_object_get(m, "roots"), i, row) {
		for (size_t k = 0; k < 3; k++) {
			const json_t *c = json_object_get(row, kinds[k]);
			if (strcmp(ats_json_str(c, "status"), "pass") == 0)
				continue;
			if (!header)
				ats_buf_printf(b, "\n%sCells%s\n", t.bold, t.off);
			header = true;
			ats_buf_printf(b, "  %s%-5s%s %s\n", tone(&t, ats_json_str(c, "status")),
				       ats_json_str(c, "status"), t.off, ats_json_str(c, "message"));
		}
	}

	const json_t *rev = json_object_get(m, "revocation");
	const json_t *so = json_object_get(rev, "stapled_ocsp"), *rs = json_object_get(rev, "responder");
	ats_buf_printf(b, "\n%sRevocation%s, as this device's stack can see it\n", t.bold, t.off);
	ats_buf_printf(b, "  stapled OCSP (CURLOPT_SSL_VERIFYSTATUS): %s\n",
		       json_is_true(json_object_get(so, "tried")) ? "tried on the revoked hosts"
								    : "not offered by this libcurl");
	json_array_foreach(json_object_get(m, "hosts"), i, h) {
		const json_t *s = json_object_get(h, "stapled_ocsp");
		if (!json_is_object(s))
			continue;
		ats_buf_printf(b, "    %-32s ", ats_json_str(h, "name"));
		if (!json_is_true(json_object_get(s, "asked")))
			ats_buf_printf(b, "not reached (%s)\n",
				       json_is_object(json_object_get(h, "certificates"))
					       ? "the chain was rejected first"
					       : "no handshake");
		else if (!json_is_true(json_object_get(s, "stapled")))
			ats_buf_printf(b, "nothing stapled");
		else
			ats_buf_printf(b, "stapled: %s%s%s%s", ats_json_str(s, "cert_status"),
				       *ats_json_str(s, "reason") ? " (" : "", ats_json_str(s, "reason"),
				       *ats_json_str(s, "reason") ? ")" : "");
		const json_t *lc = json_object_get(s, "libcurl");
		const char *url = ats_json_str(json_object_get(h, "ocsp_responder"), "url");
		if (json_is_true(json_object_get(s, "asked")))
			ats_buf_printf(b, "; libcurl %s%s%s%s%s\n",
				       json_is_object(lc) ? ats_json_str(lc, "verdict") : "did not get that far",
				       *ats_json_str(lc, "message") ? ": " : "", ats_json_str(lc, "message"),
				       *url ? "; responder named: " : "", url);
	}
	ats_buf_printf(b, "  the responder named in the certificate: %s (%s)\n",
		       json_is_true(json_object_get(rs, "tried")) ? "asked" : "not asked",
		       ats_json_str(rs, "why"));

	ats_buf_printf(b, "\n%sWhat it means%s\n", t.bold, t.off);
	json_array_foreach(json_object_get(m, "meaning"), i, line)
		ats_buf_printf(b, "  - %s\n", json_string_value(line));
}

bool ats_text_ats_roots(ats_buf *b, const json_t *r, const ats_render_opts *o)
{
	tint t = tint_for(o);
	if (strcmp(ats_json_str(r, "command"), "ats-roots") != 0)
		return false;
	ats_buf_printf(b, "%satscheck probe --ats-roots%s at %s: Amazon Trust Services' test hosts, "
			  "all at once, port %lld\n",
		       t.bold, t.off, ats_json_str(r, "at"), json_integer_value(json_object_get(r, "port")));
	ats_text_ats_roots_matrix(b, r, o);
	ats_text_footer(b, r, o);
	return true;
}
