/* `atscheck dha provision`: DHA keys and certificates for a batch of devices, signed by the DAK,
 * each in its own folder under the output folder, with the batch's control log.
 *
 * Per device (OUT/<device id>/): private_key.pem (0600), device.csr, device-certificate.pem,
 * certificate.pem (device + DAK), dha-control-log-public-key.txt, device-id.txt and the id as a
 * Code 128 barcode (barcode.png / barcode.svg).
 *
 * Safe to stop and to run twice at once into one folder:
 * - a device is built in OUT/.tmp-<id>, claimed by an flock on that folder (a lock dies with its
 *   process, so a killed run's leftovers are reclaimed and rebuilt, never a live run's);
 * - a chunk of devices is synced once, then each folder is renamed into place (never over an
 *   existing one) and its control-log line appended: the line is the commit record;
 * - a device with a line is never made again; a folder without one (killed between rename and
 *   append) is recovered into the log from its files, not rebuilt: a key is never overwritten;
 * - serials are 16 random bytes (126 bits), so runs need no shared serial file. */
#ifndef ATS_PROVISION_H
#define ATS_PROVISION_H

#include "base/ats.h"
#include "dha/dak.h"

#include <jansson.h>
#include <stdbool.h>

typedef struct ats_provision_opts {
	const char *conf;       /* device.conf */
	const char *section;    /* its extensions section, "req_ext" */
	const char *dak_cert, *dak_key; /* dak_key: a file, or a pkcs11: URI */
	ats_dak_pin pin;                 /* a pkcs11: DAK key's PIN */
	bool allow_open_dak_key; /* go on with a group/other-readable DAK key (reported) */
	bool allow_dak_not_ca;   /* sign with a DAK certificate without CA:TRUE (reported) */
	const char *out_dir;
	const char *ids_file;   /* one device id a line; or NULL and count */
	size_t count;           /* ids <prefix>-000001 ... */
	const char *id_prefix;  /* NULL: the batch's own, made once and kept in OUT/batch-id */
	int days;               /* 1825 */
	int jobs;               /* threads */
	int barcode;            /* ats_barcode_fmt bits */
	time_t now;             /* notBefore of every certificate, and the log's time */
	/* Called from the calling thread while the batch runs, a few times a second. */
	void (*progress)(void *ctx, size_t done, size_t total);
	void *progress_ctx;
} ats_provision_opts;

/* Builds the report (command "dha provision"). Returns non-zero only when the batch could not
 * start or a write failed (err names the file); devices already committed stay committed. */
int ats_provision_run(const ats_provision_opts *o, json_t **report, ats_err *err);

#endif
