/* libcurl is opened on first use (see curl_lazy.c): call the libcurl API as usual. */
#ifndef ATS_CURL_LAZY_H
#define ATS_CURL_LAZY_H

#include "base/ats.h"

#include <stdbool.h>

/* Whether libcurl has been loaded in this process so far. */
bool ats_curl_loaded(void);
/* Why libcurl could not be loaded, or NULL when it is (loads it). */
const char *ats_curl_error(void);
/* Loads this libcurl instead of the system's (a libcurl built from source under /usr/local, or
 * Debian's libcurl3-gnutls: the one an AVS SDK binary really uses), before anything else loads
 * one. A file that is not a loadable libcurl is an error naming it. */
int ats_curl_use(const char *path, ats_err *err);
/* Whether ats_curl_use chose the library (then its CA defaults are asked at run time). */
bool ats_curl_chosen(void);
/* The file the loaded libcurl really is (loads it); NULL when none could be. */
const char *ats_curl_file(void);

#endif
