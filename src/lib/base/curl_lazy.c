/* libcurl, loaded when first used.
 *
 * Linking libcurl loads it and its ~30 dependencies (GnuTLS, Kerberos, LDAP...) into every run:
 * ~5 ms and ~6 MB of RSS before main(), which would double the cost of an audit of a given
 * bundle. So atscheck does not link libcurl: these functions, with libcurl's own names and
 * signatures, open libcurl.so.4 on first call and forward to it. Code elsewhere just calls the
 * libcurl API. If libcurl cannot be loaded, calls fail the way libcurl reports failure
 * (CURLE_FAILED_INIT, NULL), and ats_curl_error() says why. */
#define CURL_DISABLE_TYPECHECK 1
#include "base/curl_lazy.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *lib;
static char load_error[1024];
static char chosen[4096]; /* ats_curl_use's file, or "" for the system's libcurl */
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* libcurl4's OpenSSL flavour still brings GnuTLS along (through librtmp and libldap: rtmp:// and
 * ldap:// URLs, which no transfer of atscheck's can take: CURLOPT_PROTOCOLS_STR is "https"), and
 * GnuTLS initialises itself as it loads (p11-kit, its ASN.1 trees: 0.7 MB of a probe's 13).
 * GNUTLS_NO_IMPLICIT_INIT is GnuTLS's own switch for a program that loads it without using it:
 * set for the dlopen alone, when the environment had not set it (no thread of atscheck's runs
 * yet when libcurl is loaded: probe, audit and --version are single-threaded until then). */
static void *open_curl(const char *file)
{
	bool set = !getenv("GNUTLS_NO_IMPLICIT_INIT") && setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 0) == 0;
	void *h = dlopen(file, RTLD_NOW | RTLD_LOCAL);
	if (set)
		unsetenv("GNUTLS_NO_IMPLICIT_INIT");
	return h;
}

static void load(void)
{
	static const char *names[] = {"libcurl.so.4", "libcurl.so"};
	if (chosen[0]) {
		if (!(lib = open_curl(chosen)))
			snprintf(load_error, sizeof(load_error), "%s: cannot load: %s", chosen, dlerror());
		else if (!dlsym(lib, "curl_version_info") || !dlsym(lib, "curl_multi_perform")) {
			snprintf(load_error, sizeof(load_error), "%s: not a libcurl (no curl_version_info)",
				 chosen);
			dlclose(lib);
			lib = NULL;
		}
		return;
	}
	for (size_t i = 0; !lib && i < sizeof(names) / sizeof(names[0]); i++)
		lib = open_curl(names[i]);
	if (!lib)
		snprintf(load_error, sizeof(load_error), "cannot load libcurl: %s", dlerror());
}

int ats_curl_use(const char *path, ats_err *err)
{
	if (lib || strlen(path) >= sizeof(chosen))
		return ats_err_set(err, ATS_EUSAGE, "%s: libcurl %s", path,
				   lib ? "is loaded already" : "path too long");
	snprintf(chosen, sizeof(chosen), "%s", path);
	pthread_once(&once, load);
	if (!lib)
		return ats_err_set(err, ATS_EIO, "%s", load_error);
	return 0;
}

bool ats_curl_chosen(void)
{
	return chosen[0] != '\0';
}

const char *ats_curl_file(void)
{
	static char file[4096];
	Dl_info info;
	void *f;
	pthread_once(&once, load);
	if (!lib || !(f = dlsym(lib, "curl_version_info")) || !dladdr(f, &info) || !info.dli_fname)
		return NULL;
	snprintf(file, sizeof(file), "%s", info.dli_fname);
	return file;
}

static void *sym(const char *name)
{
	pthread_once(&once, load);
	return lib ? dlsym(lib, name) : NULL;
}

bool ats_curl_loaded(void)
{
	return lib != NULL;
}

const char *ats_curl_error(void)
{
	pthread_once(&once, load);
	return lib ? NULL : load_error;
}

/* A forwarding function: looks the real one up once. */
#define FORWARD(ret, name, fail, params, args)                                                    \
	ret name params                                                                           \
	{                                                                                         \
		static ret(*fp) params;                                                           \
		if (!fp)                                                                          \
			fp = (ret(*) params)sym(#name);                                           \
		if (!fp)                                                                          \
			return fail;                                                              \
		return fp args;                                                                   \
	}
#define FORWARD_VOID(name, params, args)                                                          \
	void name params                                                                          \
	{                                                                                         \
		static void(*fp) params;                                                          \
		if (!fp)                                                                          \
			fp = (void(*) params)sym(#name);                                          \
		if (fp)                                                                           \
			fp args;                                                                  \
	}

FORWARD(CURLcode, curl_global_init, CURLE_FAILED_INIT, (long flags), (flags))
FORWARD_VOID(curl_global_cleanup, (void), ())
FORWARD(curl_version_info_data *, curl_version_info, NULL, (CURLversion v), (v))
FORWARD(char *, curl_version, NULL, (void), ())
FORWARD(CURL *, curl_easy_init, NULL, (void), ())
FORWARD(CURLcode, curl_easy_perform, CURLE_FAILED_INIT, (CURL * h), (h))
FORWARD_VOID(curl_easy_cleanup, (CURL * h), (h))
FORWARD(CURL *, curl_easy_duphandle, NULL, (CURL * h), (h))
FORWARD_VOID(curl_easy_reset, (CURL * h), (h))
FORWARD(const char *, curl_easy_strerror, "libcurl not loaded", (CURLcode c), (c))
FORWARD(char *, curl_easy_escape, NULL, (CURL * h, const char *s, int n), (h, s, n))
FORWARD(struct curl_slist *, curl_slist_append, NULL, (struct curl_slist * l, const char *s), (l, s))
FORWARD_VOID(curl_slist_free_all, (struct curl_slist * l), (l))
FORWARD_VOID(curl_free, (void *p), (p))
FORWARD(CURLM *, curl_multi_init, NULL, (void), ())
FORWARD(CURLMcode, curl_multi_add_handle, CURLM_INTERNAL_ERROR, (CURLM * m, CURL *h), (m, h))
FORWARD(CURLMcode, curl_multi_remove_handle, CURLM_INTERNAL_ERROR, (CURLM * m, CURL *h), (m, h))
FORWARD(CURLMcode, curl_multi_perform, CURLM_INTERNAL_ERROR, (CURLM * m, int *running), (m, running))
FORWARD(CURLMcode, curl_multi_poll, CURLM_INTERNAL_ERROR,
	(CURLM * m, struct curl_waitfd *fds, unsigned int n, int ms, int *numfds),
	(m, fds, n, ms, numfds))
FORWARD(CURLMcode, curl_multi_wait, CURLM_INTERNAL_ERROR,
	(CURLM * m, struct curl_waitfd *fds, unsigned int n, int ms, int *numfds),
	(m, fds, n, ms, numfds))
FORWARD(CURLMcode, curl_multi_wakeup, CURLM_INTERNAL_ERROR, (CURLM * m), (m))
FORWARD(CURLMcode, curl_multi_timeout, CURLM_INTERNAL_ERROR, (CURLM * m, long *ms), (m, ms))
FORWARD(CURLMcode, curl_multi_fdset, CURLM_INTERNAL_ERROR,
	(CURLM * m, fd_set *r, fd_set *w, fd_set *e, int *max), (m, r, w, e, max))
FORWARD(CURLMsg *, curl_multi_info_read, NULL, (CURLM * m, int *left), (m, left))
FORWARD(CURLMcode, curl_multi_cleanup, CURLM_INTERNAL_ERROR, (CURLM * m), (m))
FORWARD(const char *, curl_multi_strerror, "libcurl not loaded", (CURLMcode c), (c))
FORWARD(CURLSH *, curl_share_init, NULL, (void), ())
FORWARD(CURLSHcode, curl_share_cleanup, CURLSHE_NOT_BUILT_IN, (CURLSH * s), (s))
FORWARD(const char *, curl_share_strerror, "libcurl not loaded", (CURLSHcode c), (c))
FORWARD(CURLU *, curl_url, NULL, (void), ())
FORWARD_VOID(curl_url_cleanup, (CURLU * u), (u))
FORWARD(CURLUcode, curl_url_set, CURLUE_OUT_OF_MEMORY,
	(CURLU * u, CURLUPart p, const char *s, unsigned int f), (u, p, s, f))
FORWARD(CURLUcode, curl_url_get, CURLUE_OUT_OF_MEMORY,
	(CURLU * u, CURLUPart p, char **s, unsigned int f), (u, p, s, f))

/* The variadic ones: libcurl encodes each option's argument type in its number (CURLOPTTYPE_*
 * ranges), so the argument can be read with its real type and passed on. */
#define FORWARD_SETOPT(ret, name, htype, otype, fail)                                             \
	ret name(htype h, otype opt, ...)                                                        \
	{                                                                                         \
		static ret (*fp)(htype, otype, ...);                                              \
		va_list ap;                                                                       \
		ret r;                                                                            \
		if (!fp)                                                                          \
			fp = (ret(*)(htype, otype, ...))sym(#name);                               \
		if (!fp)                                                                          \
			return fail;                                                              \
		va_start(ap, opt);                                                                \
		if ((int)opt < CURLOPTTYPE_OBJECTPOINT)                                           \
			r = fp(h, opt, va_arg(ap, long));                                         \
		else if ((int)opt < CURLOPTTYPE_FUNCTIONPOINT)                                    \
			r = fp(h, opt, va_arg(ap, void *));                                       \
		else if ((int)opt < CURLOPTTYPE_OFF_T)                                            \
			r = fp(h, opt, va_arg(ap, void (*)(void)));                               \
		else if ((int)opt < CURLOPTTYPE_BLOB)                                             \
			r = fp(h, opt, va_arg(ap, curl_off_t));                                   \
		else                                                                              \
			r = fp(h, opt, va_arg(ap, void *));                                       \
		va_end(ap);                                                                       \
		return r;                                                                         \
	}

FORWARD_SETOPT(CURLcode, curl_easy_setopt, CURL *, CURLoption, CURLE_FAILED_INIT)
FORWARD_SETOPT(CURLMcode, curl_multi_setopt, CURLM *, CURLMoption, CURLM_INTERNAL_ERROR)

CURLSHcode curl_share_setopt(CURLSH *s, CURLSHoption opt, ...)
{
	static CURLSHcode (*fp)(CURLSH *, CURLSHoption, ...);
	va_list ap;
	CURLSHcode r;
	if (!fp)
		fp = (CURLSHcode(*)(CURLSH *, CURLSHoption, ...))sym("curl_share_setopt");
	if (!fp)
		return CURLSHE_NOT_BUILT_IN;
	va_start(ap, opt);
	/* SHARE/UNSHARE take an int (curl_lock_data), the rest a pointer. */
	if (opt == CURLSHOPT_SHARE || opt == CURLSHOPT_UNSHARE)
		r = fp(s, opt, va_arg(ap, int));
	else
		r = fp(s, opt, va_arg(ap, void *));
	va_end(ap);
	return r;
}

CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	static CURLcode (*fp)(CURL *, CURLINFO, ...);
	va_list ap;
	CURLcode r;
	if (!fp)
		fp = (CURLcode(*)(CURL *, CURLINFO, ...))sym("curl_easy_getinfo");
	if (!fp)
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	r = fp(h, info, va_arg(ap, void *)); /* always a pointer to where the answer goes */
	va_end(ap);
	return r;
}
