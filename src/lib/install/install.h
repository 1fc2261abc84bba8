/* Install: put the ATS CAs a device is missing where its platform's own tool picks them up, run
 * that tool, audit again, and say what changed per CA (before -> after).
 *
 * Promises: the PEMs come only from the catalog (pins checked before anything is written); no
 * other CA is ever removed or rewritten; every file goes through a temp file, fsync and rename;
 * a lock keeps two runs apart; a run killed at any point and run again ends in the right state;
 * a second run finds nothing to do and writes nothing; a path that cannot be written fails the
 * run (ATS_EIO, the path named) before the first write where that can be known in advance.
 * With dry_run nothing is written: the report lists the exact files and lines a run would.
 *
 * Layer 4, beside probe/ and dha/ (peers include none of each other): uses audit/ and store/
 * below it.
 * The order is checked by tests/integration/layering.sh. */
#ifndef ATS_INSTALL_H
#define ATS_INSTALL_H

#include "base/ats.h"

#include <jansson.h>
#include <stdbool.h>

typedef struct ats_install_opts {
	const char *root;       /* image root, or NULL for this machine */
	const char **cas;       /* NULL-terminated names (catalog names or files), or NULL: the missing */
	bool dry_run;
	bool reselect;          /* select again a CA deselected with '!' in ca-certificates.conf */
	bool local;             /* Debian: /usr/local/share/ca-certificates, no conf line */
	bool no_tool;           /* do not run the platform's tool: rebuild the links ourselves */
	const char *bundle;     /* plain bundle file to append to (any platform), or NULL */
	time_t at;              /* for the audits before and after */
	int warn_days;
} ats_install_opts;

/* Builds the install report (command "install"). Returns ATS_EUSAGE (unknown --ca), ATS_EPIN,
 * ATS_EBUSY (another run holds the lock) or ATS_EIO (a path that cannot be written, named in
 * err) when the run could not be done; *report is then NULL. */
int ats_install_run(const ats_install_opts *o, json_t **report, ats_err *err);

#endif
