/* Renderers and the fleet merge's pieces: the in-place JSON reader against jansson on valid and
 * broken input, Prometheus label escaping, JUnit escaping and case making from the common
 * shape, format words, and the merge over files written here. */
#include "report/report.h"
#include "report/report_merge.h"
#include "report/report_merge_json.h"
#include "report/report_merge_int.h"
#include "testutil.h"

#include <fcntl.h>

static char *dup_str(const char *s)
{
	size_t n = strlen(s);
	char *b = malloc(n + 1);
	memcpy(b, s, n + 1);
	return b;
}

/* Parses with both readers; they must agree on accepting it. */
static int mj_accepts(const char *text)
{
	mj_doc d = {0};
	char *b = dup_str(text);
	int rc = mj_parse(&d, b, strlen(text));
	free(b);
	mj_free(&d);
	return rc == 0;
}

Test(merge_json, agrees_with_jansson_on_what_is_json)
{
	static const char *const cases[] = {
		"{}", "[]", "{\"a\":1}", "{\"a\":[1,2,{\"b\":null}],\"c\":true,\"d\":false}", "  {\"a\" : \"x\" }  ",
		"{\"a\":-0.5e+3}", "{\"a\":\"\\u00e9\\ud83d\\ude00\\n\\\"\"}", "\"\"", "0", "-1",
		"{", "{\"a\":}", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":\"\\x\"}",
		"{\"a\":\"\\ud800\"}", "{\"a\":\"tab\there\"}", "{\"a\":1} x", "{'a':1}", "nul", "[1 2]",
		"{\"a\":\"\xc3\"}", "{\"a\":\"\xff\"}", "{\"a\":tru}", "", "{\"a\":\"\\u0000\"}",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		json_error_t je;
		json_t *j = json_loads(cases[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
		int jansson = j != NULL;
		/* jansson accepts \u0000 with JSON_ALLOW_NUL; reports never carry it, we refuse it */
		if (strstr(cases[i], "\\u0000"))
			jansson = 0;
		json_decref(j);
		cr_expect_eq(mj_accepts(cases[i]), jansson, "case %zu: %s (jansson %s)", i, cases[i],
			     jansson ? "accepts" : "refuses");
	}
}

Test(merge_json, values_and_in_place_strings)
{
	mj_doc d = {0};
	char *b = dup_str("{\"device\":\"d\\u00e9v\\\"1\",\"n\":2147299200,\"f\":1.5,\"big\":99999999999999999999,"
			  "\"stores\":[{\"error\":null,\"cas\":[{\"name\":\"A\"}]}],\"t\":true}");
	cr_assert_eq(mj_parse(&d, b, strlen(b)), 0, "%s", d.err);
	const mj_node *r = &d.v[0];
	cr_expect_str_eq(mj_str(&d, r, "device"), "d\xc3\xa9v\"1");
	cr_expect_eq(mj_get(&d, r, "n")->num, 2147299200);
	cr_expect(mj_get(&d, r, "n")->is_int);
	cr_expect(!mj_get(&d, r, "f")->is_int);
	cr_expect(!mj_get(&d, r, "big")->is_int, "too big for int64 is not an integer");
	cr_expect_eq(mj_get(&d, r, "t")->type, MJ_TRUE);
	const mj_node *s = mj_first(&d, mj_get(&d, r, "stores"));
	cr_assert_not_null(s);
	cr_expect_eq(mj_get(&d, s, "error")->type, MJ_NULL);
	cr_expect_str_eq(mj_str(&d, mj_first(&d, mj_get(&d, s, "cas")), "name"), "A");
	cr_expect_null(mj_next(&d, s));
	cr_expect_str_eq(mj_str(&d, r, "absent"), "");
	cr_expect_null(mj_get(&d, NULL, "x"));
	free(b);
	mj_free(&d);
}

Test(merge_json, deep_nesting_refused_not_crashed)
{
	char buf[4096];
	size_t n = 0;
	for (int i = 0; i < 2000; i++)
		buf[n++] = '[';
	buf[n] = '\0';
	mj_doc d = {0};
	cr_expect_neq(mj_parse(&d, buf, n), 0);
	cr_expect(strstr(d.err, "deep") != NULL, "%s", d.err);
	mj_free(&d);
}

Test(report, format_words)
{
	cr_expect_eq(ats_format_parse("text"), ATS_FMT_TEXT);
	cr_expect_eq(ats_format_parse("prometheus"), ATS_FMT_PROMETHEUS);
	cr_expect_eq(ats_format_parse("junit"), ATS_FMT_JUNIT);
	cr_expect_eq(ats_format_parse("nagios"), ATS_FMT_NAGIOS);
	cr_expect_eq(ats_format_parse("html"), ATS_FMT_HTML);
	cr_expect_eq(ats_format_parse("yaml"), -1);
	cr_expect_eq(ats_format_parse("JSON"), -1);
}

static json_t *report_with(const char *extra)
{
	char text[4096];
	snprintf(text, sizeof(text),
		 "{\"command\":\"thing\",\"verdict\":\"WARNING\",\"exit_code\":1,\"at\":\"2030-01-01T00:00:00Z\","
		 "\"tool\":{\"atscheck\":\"0\",\"openssl\":\"o\",\"libcurl\":\"c\"},\"device\":\"d\"%s}",
		 extra);
	json_error_t je;
	json_t *r = json_loads(text, 0, &je);
	cr_assert_not_null(r, "%s", je.text);
	return r;
}

Test(report, prometheus_escapes_labels_and_leaves_out_absent_facts)
{
	json_t *r = report_with(",\"problems\":[],\"checks\":[{\"name\":\"a \\\"q\\\" \\\\ b\\nc\",\"status\":\"warn\"},"
				"{\"name\":\"x\",\"status\":\"pass\"},{\"name\":\"x\",\"status\":\"fail\"}]");
	char *s = ats_report_prometheus(r);
	cr_assert_not_null(s);
	cr_expect(strstr(s, "check=\"a \\\"q\\\" \\\\ b\\nc\",status=\"warn\"} 1\n") != NULL, "%s", s);
	cr_expect(strstr(s, "check=\"x#2\",status=\"fail\"} 1\n") != NULL, "a repeated name must not repeat a series");
	cr_expect(strstr(s, "atscheck_ca_") == NULL, "no audit facts, no audit metrics");
	cr_expect(strstr(s, "atscheck_check_at_timestamp_seconds{command=\"thing\"} 1893456000\n") != NULL);
	free(s);
	json_decref(r);
}

Test(report, junit_from_checks_and_from_problems)
{
	json_t *r = report_with(",\"problems\":[{\"severity\":\"WARNING\",\"message\":\"a <b> & \\u0001c\",\"fix\":\"f\"}]");
	char *s = ats_report_junit(r);
	cr_assert_not_null(s);
	cr_expect(strstr(s, "message=\"a &lt;b&gt; &amp; c\"") != NULL, "escaped, control character dropped: %s", s);
	cr_expect(strstr(s, "tests=\"1\" failures=\"1\"") != NULL);
	free(s);
	json_decref(r);
	r = report_with(",\"problems\":[{\"severity\":\"CRITICAL\",\"message\":\"m\",\"fix\":\"\"}],"
			"\"checks\":[{\"name\":\"one\",\"status\":\"pass\"},{\"name\":\"two\",\"status\":\"fail\"}]");
	s = ats_report_junit(r);
	cr_expect(strstr(s, "tests=\"2\" failures=\"1\" errors=\"0\"") != NULL, "checks only: %s", s);
	free(s);
	json_decref(r);
	r = report_with(",\"problems\":[]");
	s = ats_report_junit(r);
	cr_expect(strstr(s, "name=\"verdict\"") != NULL, "nothing else: one case for the verdict");
	free(s);
	json_decref(r);
}

Test(report, render_refuses_fleet_formats_for_a_device)
{
	json_t *r = report_with(",\"problems\":[]");
	ats_err err = {0};
	cr_expect_null(ats_report_render(r, ATS_FMT_HTML, NULL, &err));
	cr_expect(strstr(err.msg, "fleet") != NULL);
	json_decref(r);
}

static void write_report(const char *dir, const char *name, const char *device, const char *verdict,
			 const char *problem, time_t mtime)
{
	char text[1024];
	int code = strcmp(verdict, "OK") == 0 ? 0 : strcmp(verdict, "WARNING") == 0 ? 1 : 2;
	snprintf(text, sizeof(text),
		 "{\"command\":\"audit\",\"verdict\":\"%s\",\"exit_code\":%d,\"device\":\"%s\","
		 "\"tool\":{\"atscheck\":\"0.1\",\"openssl\":\"O3\",\"libcurl\":\"C8\"},\"problems\":[%s%s%s],"
		 "\"stores\":[{\"error\":null,\"cas\":[{\"name\":\"CA X\",\"status\":\"%s\","
		 "\"not_after_epoch\":1000500,\"usable\":%s}]}]}",
		 verdict, code, device, problem ? "{\"severity\":\"WARNING\",\"message\":\"" : "",
		 problem ? problem : "", problem ? "\",\"fix\":\"do it\"}" : "",
		 problem ? "missing" : "present", problem ? "false" : "true");
	tu_write_str(tu_path(dir, name), text);
	struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
	utimensat(AT_FDCWD, tu_path(dir, name), ts, 0);
}

Test(merge, counts_each_device_once_and_names_bad_files)
{
	char *dir = tu_tmpdir();
	write_report(dir, "a.json", "a", "OK", NULL, 100);
	write_report(dir, "b.json", "b", "WARNING", "X is missing", 100);
	write_report(dir, "c.json", "c", "WARNING", "X is missing", 100);
	write_report(dir, "b-old.json", "b", "CRITICAL", "older", 50); /* b's older report */
	tu_write_str(tu_path(dir, "broken.json"), "{\"command\":\"audit\",\"verd");
	tu_write_str(tu_path(dir, "other.txt"), "not a report and not *.json");
	const char *paths[] = {dir};
	ats_merge_opts o = {.at = 1000000, .horizon_days = 1, .jobs = 2};
	json_t *s = NULL;
	ats_err err = {0};
	cr_assert_eq(ats_merge_run(paths, 1, &o, &s, &err), 0, "%s", err.msg);
	json_t *bv = json_object_get(s, "by_verdict");
	cr_expect_eq(json_integer_value(json_object_get(bv, "OK")), 1);
	cr_expect_eq(json_integer_value(json_object_get(bv, "WARNING")), 2, "b's newer report counts");
	cr_expect_eq(json_integer_value(json_object_get(bv, "CRITICAL")), 0);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(s, "files"), "duplicates")), 1);
	json_t *bad = json_object_get(s, "bad_files");
	cr_expect_eq(json_array_size(bad), 1);
	cr_expect(strstr(ats_json_str(json_array_get(bad, 0), "file"), "broken.json") != NULL);
	json_t *cause = json_array_get(json_object_get(s, "causes"), 0);
	cr_expect_str_eq(ats_json_str(cause, "cause"), "X is missing");
	cr_expect_eq(json_integer_value(json_object_get(cause, "devices")), 2);
	cr_expect_eq(json_array_size(json_object_get(s, "causes")), 1, "'older' went with the replaced row");
	json_t *ids = json_object_get(cause, "device_ids");
	cr_expect_str_eq(json_string_value(json_array_get(ids, 0)), "b");
	cr_expect_str_eq(json_string_value(json_array_get(ids, 1)), "c");
	json_t *mc = json_array_get(json_object_get(s, "missing_cas"), 0);
	cr_expect_str_eq(ats_json_str(mc, "ca"), "CA X");
	cr_expect_eq(json_integer_value(json_object_get(mc, "devices")), 2);
	/* Only a's CA X is usable, and it expires 500 s after "at": within one day. */
	json_t *ex = json_array_get(json_object_get(s, "expiring"), 0);
	cr_expect_eq(json_integer_value(json_object_get(ex, "devices")), 1);
	cr_expect_str_eq(ats_json_str(s, "verdict"), "WARNING");

	/* The same summary as a baseline: nothing got worse. Then c turns CRITICAL. */
	char *base = ats_report_json(s);
	tu_write_str(tu_path(dir, "../merge-base.json"), base);
	free(base);
	json_decref(s);
	write_report(dir, "c.json", "c", "CRITICAL", "Y is broken", 200);
	o.baseline = tu_path(dir, "../merge-base.json");
	cr_assert_eq(ats_merge_run(paths, 1, &o, &s, &err), 0, "%s", err.msg);
	json_t *worse = json_object_get(json_object_get(s, "baseline"), "worse");
	cr_expect_eq(json_array_size(worse), 1);
	cr_expect_str_eq(ats_json_str(json_array_get(worse, 0), "device"), "c");
	cr_expect_str_eq(ats_json_str(json_array_get(worse, 0), "after"), "CRITICAL");
	json_decref(s);
	remove(tu_path(dir, "../merge-base.json"));
	tu_rmtree(dir);
}

Test(merge, nothing_found_is_unknown_not_an_error)
{
	char *dir = tu_tmpdir();
	const char *paths[] = {dir};
	ats_merge_opts o = {.at = 0, .horizon_days = 30, .jobs = 1};
	json_t *s = NULL;
	ats_err err = {0};
	cr_assert_eq(ats_merge_run(paths, 1, &o, &s, &err), 0, "%s", err.msg);
	cr_expect_str_eq(ats_json_str(s, "verdict"), "UNKNOWN");
	cr_expect_eq(json_integer_value(json_object_get(s, "exit_code")), 3);
	json_decref(s);
	cr_expect_neq(ats_merge_run(paths, 0, &o, &s, &err), 0, "no path is bad usage");
	tu_rmtree(dir);
}

Test(merge_pick, keeps_the_smallest_by_key_then_name_whatever_the_order)
{
	pick p;
	char name[32];
	ats_pick_init(&p, 20);
	/* 1,000 names in a scrambled order; key 1 for even numbers, 0 for odd */
	for (unsigned i = 0; i < 1000; i++) {
		unsigned k = (i * 7919u) % 1000u;
		snprintf(name, sizeof(name), "dev-%04u", k);
		if (ats_pick_wants(&p, k % 2 == 0, name))
			cr_assert_eq(ats_pick_add(&p, k % 2 == 0, name, NULL), 0);
		else
			p.seen++;
	}
	ats_pick_finish(&p);
	cr_expect_eq(p.seen, 1000);
	cr_assert_eq(p.n, 20);
	for (unsigned i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "dev-%04u", 2 * i + 1); /* the odd ones (key 0) first */
		cr_expect_str_eq(p.v[i].name, name);
	}
	ats_pick_free(&p);
}

Test(merge_time, parses_report_times_and_refuses_others)
{
	cr_expect_eq(ats_merge_parse_time("2034-01-01T00:00:00Z"), 2019686400);
	cr_expect_eq(ats_merge_parse_time("2034-01-01"), 2019686400);
	cr_expect_eq(ats_merge_parse_time("2030-05-31T12:00:00.250Z"), 1906459200);
	cr_expect_eq(ats_merge_parse_time("1970-01-01T00:00:01Z"), 1);
	cr_expect_eq(ats_merge_parse_time("2034-13-01T00:00:00Z"), -1);
	cr_expect_eq(ats_merge_parse_time("yesterday"), -1);
	cr_expect_eq(ats_merge_parse_time("2034-01-01T00:00"), -1);
}

static void write_at(const char *dir, const char *name, const char *device, const char *at, time_t mtime)
{
	char text[512];
	snprintf(text, sizeof(text),
		 "{\"command\":\"audit\",\"verdict\":\"OK\",\"exit_code\":0,\"device\":\"%s\"%s%s%s,"
		 "\"problems\":[]}", device, at ? ",\"at\":\"" : "", at ? at : "", at ? "\"" : "");
	tu_write_str(tu_path(dir, name), text);
	struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
	utimensat(AT_FDCWD, tu_path(dir, name), ts, 0);
}

Test(merge, stale_future_and_timeless_reports_by_their_own_time)
{
	char *dir = tu_tmpdir();
	const time_t at = 2019686400; /* 2034-01-01 */
	write_at(dir, "fresh.json", "fresh", "2033-12-31T12:00:00Z", 0);
	write_at(dir, "old.json", "old", "2033-12-25T00:00:00Z", at); /* its file is new: the report counts */
	write_at(dir, "ahead.json", "ahead", "2040-01-01T00:00:00Z", at - 10 * 86400);
	write_at(dir, "none.json", "none", NULL, at - 3600);
	/* "fresh" again, older by its own time though its file is newer: superseded */
	write_at(dir, "fresh-old.json", "fresh", "2033-12-20T00:00:00Z", at);
	const char *paths[] = {dir};
	ats_merge_opts o = {.at = at, .horizon_days = 1, .jobs = 2};
	json_t *s = NULL;
	ats_err err = {0};
	cr_assert_eq(ats_merge_run(paths, 1, &o, &s, &err), 0, "%s", err.msg);
	json_t *st = json_object_get(s, "stale");
	cr_expect_eq(json_integer_value(json_object_get(st, "devices")), 2, "old, and ahead (by its file)");
	cr_expect_str_eq(json_string_value(json_array_get(json_object_get(st, "device_ids"), 0)), "ahead",
			 "the longest silent first");
	cr_expect_str_eq(json_string_value(json_array_get(json_object_get(st, "device_ids"), 1)), "old");
	json_t *rt = json_object_get(s, "report_time");
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(rt, "future"), "reports")), 1);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(rt, "missing"), "reports")), 1);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(s, "files"), "superseded")), 1);
	json_t *d;
	size_t i;
	json_array_foreach(json_object_get(s, "devices"), i, d)
		if (strcmp(ats_json_str(d, "device"), "fresh") == 0)
			cr_expect(strstr(ats_json_str(d, "file"), "/fresh.json") != NULL, "the newer report by time");
	cr_expect_str_eq(ats_json_str(s, "verdict"), "WARNING", "stale devices need a look");
	json_decref(s);
	tu_rmtree(dir);
}
