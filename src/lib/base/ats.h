/* atscheck library: the shared vocabulary of every module.
 *
 * Every public function returns 0 or a negative ATS_E* code and, on failure, fills the caller's
 * ats_err with one line naming the input at fault and the fault. The library never prints, never
 * exits and never reads the clock: callers pass "now" (ats_time) so a check can be asked about
 * any moment. Results are jansson trees (the one in-memory report every renderer reads).
 *
 * Layer 0 (base/): includes no other module; every module may include it.
 * The order is checked by tests/integration/layering.sh. */
#ifndef ATS_H
#define ATS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ATS_VERSION "0.1.0"

enum {
	ATS_OK = 0,
	ATS_EUSAGE = -1, /* bad arguments */
	ATS_EIO = -2,    /* cannot read or write an input/output */
	ATS_EPARSE = -3, /* input is not what it should be */
	ATS_ECRYPTO = -4,
	ATS_ENOMEM = -5,
	ATS_EPIN = -6,   /* an embedded PEM does not match its pin */
	ATS_ENET = -7,
	ATS_EBUSY = -8,  /* another run holds the lock */
};

/* Monitoring-plugin verdicts; the numeric value is the exit code. */
typedef enum {
	ATS_VERDICT_OK = 0,
	ATS_VERDICT_WARNING = 1,
	ATS_VERDICT_CRITICAL = 2,
	ATS_VERDICT_UNKNOWN = 3,
} ats_verdict;

typedef struct ats_err {
	int code;
	char msg[1024];
} ats_err;

/* Sets err (when not NULL) and returns code, so callers can `return ats_err_set(...)`. */
int ats_err_set(ats_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Appends OpenSSL's first queued error (if any) to err->msg and clears the queue. */
void ats_err_add_openssl(ats_err *err);
void ats_err_clear(ats_err *err);

const char *ats_verdict_name(ats_verdict v); /* "OK", "WARNING", "CRITICAL", "UNKNOWN" */
ats_verdict ats_verdict_worst(ats_verdict a, ats_verdict b);

#endif
