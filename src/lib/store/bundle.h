/* The embedded bundle as a report (`atscheck bundle list`) and as files (`bundle export`). */
#ifndef ATS_BUNDLE_H
#define ATS_BUNDLE_H

#include "base/ats.h"

#include <jansson.h>

/* Lists the six; every PEM is checked against its pins first (a mismatch fails the call). */
int ats_bundle_list(json_t **report, ats_err *err);
/* Writes the six PEMs into dir (which must exist), each atomically, mode 0644. */
int ats_bundle_export(const char *dir, json_t **report, ats_err *err);

#endif
