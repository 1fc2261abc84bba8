/* The ATS root matrix as series: per root and key type, whether its chains are usable, whether
 * an expired chain was accepted (alert on 1), whether a revoked one was noticed. Every family
 * has the labels {root, key}; the per-host cells are atscheck_check_status (the report's checks). */
#include "report/report.h"
#include "report/report_prom.h"

#include <string.h>

void ats_prom_ats_roots(ats_prom *p, const json_t *rows)
{
	static const struct {
		const char *name, *help;
	} fam[] = {
		{"atscheck_ats_root_usable",
		 "1 when the good test host under this ATS root verified with this device's stack."},
		{"atscheck_ats_root_expired_accepted",
		 "1 when the expired test host under this ATS root was accepted (clock or verification "
		 "wrong)."},
		{"atscheck_ats_root_revocation_noticed",
		 "1 when the revoked test host under this ATS root was noticed (stapled OCSP)."},
	};
	size_t i;
	const json_t *row;
	for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		ats_prom_family(p, fam[f].name, fam[f].help);
		json_array_foreach(rows, i, row) {
			const json_t *good = json_object_get(row, "good");
			const json_t *exp = json_object_get(row, "expired");
			double v = f == 0   ? strcmp(ats_json_str(good, "status"), "pass") == 0
				   : f == 1 ? strcmp(ats_json_str(exp, "outcome"), "accepted") == 0
					    : json_is_true(json_object_get(json_object_get(row, "revoked"),
									   "noticed"));
			ats_prom_sample(p, fam[f].name, v, "root", ats_json_str(row, "root"), "key",
					ats_json_str(row, "key"), NULL);
		}
	}
}
