/* libcurl is opened on first use (see curl_lazy.c): call the libcurl API as usual. */
#ifndef ATS_CURL_LAZY_H
#define ATS_CURL_LAZY_H

#include <stdbool.h>

/* Whether libcurl has been loaded in this process so far. */
bool ats_curl_loaded(void);
/* Why libcurl could not be loaded, or NULL when it is (loads it). */
const char *ats_curl_error(void);

#endif
