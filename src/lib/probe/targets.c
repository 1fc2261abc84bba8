#include "probe/targets.h"

#include "probe/probe.h"
#include "store/catalog.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

static const ats_probe_target targets[] = {
	{NULL, ATS_PROBE_DEFAULT_URL, NULL, ATS_FAMILY_AVS},
	{"na", "https://alexa.na.gateway.devices.a2z.com", "https://avs-alexa-na.amazon.com", ATS_FAMILY_AVS},
	{"eu", "https://alexa.eu.gateway.devices.a2z.com", "https://avs-alexa-eu.amazon.com", ATS_FAMILY_AVS},
	{"fe", "https://alexa.fe.gateway.devices.a2z.com", "https://avs-alexa-fe.amazon.com", ATS_FAMILY_AVS},
};

const ats_probe_target *ats_probe_target_test(void)
{
	return &targets[0];
}

const ats_probe_target *ats_probe_target_region(const char *region)
{
	for (size_t i = 1; region && i < sizeof(targets) / sizeof(targets[0]); i++)
		if (strcasecmp(region, targets[i].region) == 0)
			return &targets[i];
	return NULL;
}

static bool same_origin(const char *a, const char *b)
{
	size_t n = b ? strlen(b) : 0;
	return a && b && strncasecmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

const ats_probe_target *ats_probe_target_find(const char *url)
{
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		if (same_origin(url, targets[i].url) || same_origin(url, targets[i].legacy))
			return &targets[i];
	return NULL;
}
