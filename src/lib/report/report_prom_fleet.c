/* The fleet summary as Prometheus metrics (atscheck_fleet_*), for a dashboard of the whole fleet
 * fed by one textfile. Names frozen in reports/README.md. */
#include "report/report.h"
#include "report/report_prom.h"

static const char *const verdicts[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

static double num(const json_t *o, const char *k)
{
	return (double)json_integer_value(json_object_get(o, k));
}

void ats_prom_fleet(ats_prom *p, const json_t *r)
{
	const json_t *files = json_object_get(r, "files"), *e, *base = json_object_get(r, "baseline");
	size_t i;
	static const char *const comps[] = {"openssl", "libcurl", "atscheck"};

	ats_prom_family(p, "atscheck_fleet_verdict",
			"Verdict of the fleet: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.");
	ats_prom_sample(p, "atscheck_fleet_verdict", num(r, "exit_code"), NULL);
	ats_prom_family(p, "atscheck_fleet_devices", "Devices per verdict.");
	for (i = 0; i < 4; i++)
		ats_prom_sample(p, "atscheck_fleet_devices",
				num(json_object_get(r, "by_verdict"), verdicts[i]), "verdict", verdicts[i],
				NULL);
	ats_prom_family(p, "atscheck_fleet_report_files",
			"Report files seen: used, duplicates, unreadable, partial.");
	ats_prom_sample(p, "atscheck_fleet_report_files", num(files, "devices"), "kind", "used", NULL);
	ats_prom_sample(p, "atscheck_fleet_report_files", num(files, "duplicates"), "kind",
			"duplicate", NULL);
	ats_prom_sample(p, "atscheck_fleet_report_files", num(files, "unreadable"), "kind",
			"unreadable", NULL);
	ats_prom_sample(p, "atscheck_fleet_report_files", num(files, "partial"), "kind", "partial",
			NULL);
	ats_prom_family(p, "atscheck_fleet_stale_devices",
			"Devices whose newest report is older than the stale limit (report merge --stale).");
	ats_prom_sample(p, "atscheck_fleet_stale_devices", num(json_object_get(r, "stale"), "devices"),
			NULL);
	ats_prom_family(p, "atscheck_fleet_report_time_doubtful",
			"Reports dated in the future, or with no time: their file's time was used.");
	ats_prom_sample(p, "atscheck_fleet_report_time_doubtful",
			num(json_object_get(json_object_get(r, "report_time"), "future"), "reports"),
			"reason", "future", NULL);
	ats_prom_sample(p, "atscheck_fleet_report_time_doubtful",
			num(json_object_get(json_object_get(r, "report_time"), "missing"), "reports"),
			"reason", "missing", NULL);
	ats_prom_family(p, "atscheck_fleet_ca_missing_devices",
			"Devices where the CA is missing or deselected in a trust store.");
	json_array_foreach(json_object_get(r, "missing_cas"), i, e)
		ats_prom_sample(p, "atscheck_fleet_ca_missing_devices", num(e, "devices"), "ca",
				ats_json_str(e, "ca"), NULL);
	ats_prom_family(p, "atscheck_fleet_cause_devices", "Devices per problem cause.");
	json_array_foreach(json_object_get(r, "causes"), i, e)
		ats_prom_sample(p, "atscheck_fleet_cause_devices", num(e, "devices"), "cause",
				ats_json_str(e, "cause"), "severity", ats_json_str(e, "severity"), NULL);
	ats_prom_family(p, "atscheck_fleet_expiring_devices",
			"Devices relying on a certificate that expires within the horizon.");
	json_array_foreach(json_object_get(r, "expiring"), i, e)
		ats_prom_sample(p, "atscheck_fleet_expiring_devices", num(e, "devices"), "name",
				ats_json_str(e, "name"), NULL);
	ats_prom_family(p, "atscheck_fleet_expiring_first_timestamp_seconds",
			"Earliest notAfter of that certificate across the fleet (Unix time).");
	json_array_foreach(json_object_get(r, "expiring"), i, e)
		ats_prom_sample(p, "atscheck_fleet_expiring_first_timestamp_seconds",
				num(e, "first_not_after_epoch"), "name", ats_json_str(e, "name"), NULL);
	ats_prom_family(p, "atscheck_fleet_version_devices", "Devices per library version.");
	for (size_t c = 0; c < 3; c++)
		json_array_foreach(json_object_get(json_object_get(r, "versions"), comps[c]), i, e)
			ats_prom_sample(p, "atscheck_fleet_version_devices", num(e, "devices"), "component",
					comps[c], "version", ats_json_str(e, "version"), NULL);
	if (base) {
		ats_prom_family(p, "atscheck_fleet_worse_devices",
				"Devices whose state got worse since the baseline summary.");
		ats_prom_sample(p, "atscheck_fleet_worse_devices",
				num(base, "worse_devices"), NULL);
		ats_prom_family(p, "atscheck_fleet_gone_devices",
				"Devices in the baseline summary that sent no report.");
		ats_prom_sample(p, "atscheck_fleet_gone_devices",
				num(base, "gone_devices"), NULL);
	}
}
