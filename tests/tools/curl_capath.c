/* One real libcurl handshake, set up as the AVS Device SDK sets up its own (LibcurlUtils.cpp
 * prepareForTLS): TLS 1.2 or newer, peer and host verified, a CA file (standing in for libcurl's
 * compiled-in one) and the config's CURLOPT_CAPATH. Prints the TLS library and libcurl's result
 * code; exits 0 when the transfer succeeded, 1 when it did not, 2 on bad usage. Built against
 * each libcurl the machine has (OpenSSL's, GnuTLS's), so tests/integration/sdk_capath.sh can
 * say what each really does with a folder that is missing, empty or not hashed.
 *
 * usage: curl_capath URL CAFILE [CAPATH] [HOST:PORT:ADDR] */
#include <curl/curl.h>
#include <stdio.h>

static size_t drop(char *d, size_t s, size_t n, void *u)
{
	(void)d;
	(void)u;
	return s * n;
}

int main(int argc, char **argv)
{
	char eb[CURL_ERROR_SIZE] = "";
	struct curl_slist *res = NULL;
	CURL *h;
	CURLcode rc;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: curl_capath URL CAFILE [CAPATH] [HOST:PORT:ADDR]\n");
		return 2;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(h = curl_easy_init()))
		return 2;
	curl_easy_setopt(h, CURLOPT_URL, argv[1]);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_CAINFO, argv[2]);
	if (argc > 3 && argv[3][0])
		curl_easy_setopt(h, CURLOPT_CAPATH, argv[3]);
	if (argc > 4) {
		res = curl_slist_append(NULL, argv[4]);
		curl_easy_setopt(h, CURLOPT_RESOLVE, res);
	}
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, eb);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, drop);
	rc = curl_easy_perform(h);
	printf("%s %d %s\n", curl_version_info(CURLVERSION_NOW)->ssl_version, (int)rc, eb);
	curl_easy_cleanup(h);
	curl_slist_free_all(res);
	curl_global_cleanup();
	return rc == CURLE_OK ? 0 : 1;
}
