/* `atscheck dha verify`: a device's certificate.pem (device certificate, then the DAK that signed
 * it), checked one named check at a time (pass / warn / fail / skip), with its private key, its
 * control-log public key, device.conf and trust anchors when given; or every certificate.pem
 * under a folder, in parallel, one result per device and a summary.
 *
 * The device certificate is read at the DER level (dha_der.h), never with d2i_X509: per device
 * the cost is the signature check. The DAK is parsed once per batch (cached by its SHA-256).
 *
 * Layer 4, beside install/ and probe/: uses base/ and report/tree.h only.
 * The order is checked by tests/integration/layering.sh. */
#ifndef ATS_DHA_H
#define ATS_DHA_H

#include "base/ats.h"

#include <jansson.h>

#define ATS_DHA_LIFETIME_DAYS 1825

typedef struct ats_dha_verify_opts {
	const char *key;             /* private_key.pem, or NULL */
	const char *control_log_key; /* dha-control-log-public-key.txt, or NULL */
	const char *config;          /* device.conf, or NULL */
	const char *section;         /* its extensions section ("req_ext") */
	const char **anchors;        /* NULL-terminated, or NULL */
	time_t at;
	int jobs;                    /* --dir: threads */
	void (*progress)(void *ctx, size_t done, size_t total); /* --dir, from the calling thread */
	void *progress_ctx;
} ats_dha_verify_opts;

/* Non-zero only when an option's own input is unusable (device.conf, an anchor): err says
 * which. A bad certificate.pem is a result (UNKNOWN, exit 3), with the file named. */
int ats_dha_verify_file(const char *path, const ats_dha_verify_opts *o, json_t **report,
			ats_err *err);
int ats_dha_verify_dir(const char *dir, const ats_dha_verify_opts *o, json_t **report,
		       ats_err *err);

#endif
