/* Configure-time probe: prints libcurl's compiled-in CA file and CA path (one line each, empty
 * when none), so the audit can name the stores libcurl uses without loading libcurl (which costs
 * ~5 ms and ~5 MB of RSS per run). */
#include <curl/curl.h>
#include <stdio.h>

int main(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	printf("%s\n%s\n", v->cainfo ? v->cainfo : "", v->capath ? v->capath : "");
	return 0;
}
