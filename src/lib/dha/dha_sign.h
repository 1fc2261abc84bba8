/* `atscheck dha sign`: certificates for CSRs made in the devices' secure elements (`ace hal dha
 * get_field 0x201 > ${device_name}.csr`), signed by the DAK as the provisioning document's
 *   openssl x509 -req -in ${device_name}.csr -extfile device.conf -extensions req_ext \
 *     -CA dak-certificate.pem -CAkey dak-private-key.pem -days 1825 -sha256 ...
 * signs them (the same TBSCertificate bytes for the same CSR, serial and time), with
 *   cat device-certificate.pem dak-certificate.pem > ${device_name}.pem
 * Per device, OUT/<id>/: device-certificate.pem, <id>.pem (the chain), dha-control-log-public-
 * key.txt; and the batch's OUT/control-log.csv and .jsonl.
 *
 * Every CSR is checked before anything is signed (dha_csr.h names the checks); then the batch:
 * device ids unique, no public key twice (in the batch, or already in the output folder's control
 * log: a cloned secure element), never the DAK's key. A refused CSR is named with its check; the
 * others are signed. The folders are made, synced, renamed and logged by provision's machinery
 * (provision.h): resumable, safe to run twice at once into one folder, nothing half-written.
 *
 * Bounds: at most ATS_SIGN_MAX_CSRS CSRs a run (~200 bytes each while it runs), each file at most
 * ATS_CSR_FILE_MAX bytes; the report names at most ATS_SIGN_MAX_LISTED refusals (and counts all). */
#ifndef ATS_DHA_SIGN_H
#define ATS_DHA_SIGN_H

#include "base/ats.h"
#include "dha/dak.h"

#include <jansson.h>
#include <stdbool.h>

#define ATS_SIGN_MAX_CSRS 1000000
#define ATS_SIGN_MAX_LISTED 1000

typedef struct ats_sign_opts {
	const char *conf;    /* device.conf */
	const char *section; /* "req_ext" */
	const char *dak_cert, *dak_key;
	bool allow_open_dak_key;
	ats_dak_pin pin;      /* a pkcs11: DAK key's PIN */
	const char *out_dir;
	const char *const *csrs; /* CSR files, NULL-terminated; or NULL */
	const char *dir;         /* or every *.csr / *.der in it */
	const char *id;          /* one CSR: its device id (default: the file name without .csr) */
	int days, jobs;
	time_t now;
	void (*progress)(void *ctx, size_t done, size_t total);
	void *progress_ctx;
} ats_sign_opts;

/* Builds the report (command "dha sign"). Non-zero only when the batch could not start (bad
 * device.conf, DAK, output folder) or a write failed: err names the file. Refused CSRs are in the
 * report (CRITICAL), not an error. */
int ats_sign_run(const ats_sign_opts *o, json_t **report, ats_err *err);

#endif
