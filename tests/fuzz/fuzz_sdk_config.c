/* libFuzzer target: an AVS Device SDK config as the SDK reads it (comments stripped outside
 * strings, then jansson), merged over itself, and every string in it tried as a gateway URL. */
#include "store/sdk_config.h"

#include <stdint.h>
#include <string.h>

static void urls(const json_t *v)
{
	const char *k, *why;
	json_t *e;
	size_t i;
	if (json_is_string(v))
		ats_sdk_gateway_valid(json_string_value(v), &why);
	else if (json_is_object(v))
		json_object_foreach((json_t *)v, k, e) urls(e);
	else if (json_is_array(v))
		json_array_foreach(v, i, e) urls(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = NULL, *into;
	int line;
	ats_err err = {0};
	if (ats_jsonc_parse((const char *)data, size, "fuzz.json", &j, &line, &err) != 0)
		return 0;
	into = json_deep_copy(j);
	ats_sdk_merge(into, j);
	urls(into);
	json_decref(into);
	json_decref(j);
	return 0;
}
