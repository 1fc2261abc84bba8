#include "cli.h"

#include "base/curl_lazy.h"
#include "base/redact.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_cores(int max)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 && n <= max ? (int)n : n > max ? max : 1;
}

int cli_fail(const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *line = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (line)
		vsnprintf(line, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	/* An option's value (a proxy URL) may carry a password: never on stderr. */
	char *shown = ats_redact_text(line);
	fprintf(stderr, "atscheck: %s\n", shown ? shown : "(out of memory)");
	free(shown);
	free(line);
	return ATS_VERDICT_UNKNOWN;
}

int cli_write(const char *text, const cli_common *c, int code)
{
	ats_err err = {0};
	if (c->output) {
		if (ats_file_write_atomic(c->output, text, strlen(text), 0644, &err) != 0)
			return cli_fail("%s", err.msg);
	} else if (fputs(text, stdout) == EOF || fflush(stdout) != 0) {
		return cli_fail("cannot write to standard output");
	}
	return code;
}

/* This machine's id (systemd's /etc/machine-id), which tells apart devices that keep a default
 * host name; "" when there is none. */
static const char *machine_id(char mid[64])
{
	FILE *f = fopen("/etc/machine-id", "re");
	mid[0] = '\0';
	if (f) {
		if (fgets(mid, 64, f))
			mid[strcspn(mid, " \r\n")] = '\0';
		fclose(f);
	}
	return mid;
}

int cli_emit(json_t *report, const cli_common *c)
{
	ats_err err = {0};
	char mid[64];
	ats_render_opts ro = c->ro;
	char host[256];
	const char *id = c->device_id;

	if (!id && gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		id = host;
	}
	ats_report_stamp(report, id, machine_id(mid));
	ats_redact_json(report);
	int code = (int)json_integer_value(json_object_get(report, "exit_code"));
	/* Whatever the format, every input that could not be used gets its one line on stderr. */
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(report, "problems"), i, p)
		if (strcmp(ats_json_str(p, "severity"), "UNKNOWN") == 0)
			cli_fail("%s", ats_json_str(p, "message"));
	ro.color = c->color && !c->output;
	/* nagios: the plugin's status is the verdict with the day thresholds applied. */
	char *out = c->fmt == ATS_FMT_NAGIOS ? ats_report_nagios(report, &ro, &code)
					     : ats_report_render(report, c->fmt, &ro, &err);
	json_decref(report);
	if (!out)
		return cli_fail("%s", err.msg);
	code = cli_write(out, c, code);
	free(out);
	return code;
}

static int progress_shown;

void cli_progress(const char *what, size_t done, size_t total)
{
	if (!isatty(STDERR_FILENO))
		return;
	if (total)
		fprintf(stderr, "\r%s %zu/%zu (%zu%%)\033[K", what, done, total,
			done * 100 / total);
	else
		fprintf(stderr, "\r%s %zu\033[K", what, done);
	progress_shown = 1;
}

void cli_progress_end(void)
{
	if (progress_shown && isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
	progress_shown = 0;
}

const char *cli_libcurl(void *dest, const char *value, char *buf)
{
	ats_err err = {0};
	(void)dest;
	if (ats_curl_use(value, &err) == 0)
		return NULL;
	snprintf(buf, 256, "%s", err.msg);
	return buf;
}
