/* The batch control log: what Amazon's control-log upload needs per device (device id, DHA public
 * key, plus serial, SHA-256 fingerprint and time for the factory's own records), as CSV
 * (control-log.csv) and JSON lines (control-log.jsonl) in the output folder.
 *
 * An appended CSV line is the commit record of a device: its folder was complete and durable
 * before the line was written, and a device with a line is never made again. Appends are locked
 * (flock + mutex), so runs in parallel into one folder, and threads of one run, interleave whole
 * lines only. A line torn by a crash is ignored and its device recovered from its folder. */
#ifndef ATS_PROVISION_LOG_H
#define ATS_PROVISION_LOG_H

#include "base/ats.h"

#include <stdbool.h>
#include <stddef.h>

#define ATS_DEVICE_ID_MAX 64

typedef struct ats_prov_record {
	char id[ATS_DEVICE_ID_MAX + 1];
	char key_b64[128]; /* base64 of the DER SubjectPublicKeyInfo, one line */
	char serial[33];   /* hex, upper case */
	char sha256[65];   /* of the certificate DER, hex, upper case */
	char time[32];     /* ISO 8601 UTC */
} ats_prov_record;

typedef struct ats_prov_log ats_prov_log;

/* Opens (creating with headers) OUT/control-log.csv and .jsonl, reads the ids already committed,
 * and completes the JSON lines from the CSV when a crash left them behind. */
int ats_prov_log_open(int outfd, const char *out_dir, ats_prov_log **out, ats_err *err);
void ats_prov_log_close(ats_prov_log *l);

bool ats_prov_log_has(const ats_prov_log *l, const char *id);
/* Whether a committed line carries this dha_public_key (base64 of the SPKI, as logged). */
bool ats_prov_log_has_key(const ats_prov_log *l, const char *key_b64);
size_t ats_prov_log_count(const ats_prov_log *l);

/* Exclusive between runs and threads; refresh reads lines other runs appended meanwhile. */
void ats_prov_log_lock(ats_prov_log *l);
void ats_prov_log_unlock(ats_prov_log *l);
int ats_prov_log_refresh(ats_prov_log *l, ats_err *err);
/* Appends records to both files and makes them durable; call with the lock held. */
int ats_prov_log_append(ats_prov_log *l, const ats_prov_record *r, size_t n, ats_err *err);

/* One record as a CSV line / JSON line (with '\n'; at most 400 bytes), and a CSV line (no '\n')
 * read back: 0, or -1 when it is not a record (the header, a torn or foreign line). */
extern const char ats_prov_csv_header[];
size_t ats_prov_record_csv(const ats_prov_record *r, char *out, size_t cap);
size_t ats_prov_record_json(const ats_prov_record *r, char *out, size_t cap);
int ats_prov_record_parse(const char *line, ats_prov_record *r);

/* A device id fit for a folder name, a CSV field and a Code 128 barcode: 1-64 characters of
 * A-Z a-z 0-9 . _ - not starting with '.' or '-'. */
bool ats_device_id_ok(const char *id);
/* A name provision keeps for itself in the output folder (its control logs, the batch id),
 * compared without case: never a device's. */
bool ats_device_id_reserved(const char *id);

#endif
