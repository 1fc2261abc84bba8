/* The endpoints a device talks to, as data: the ATS test endpoint and Amazon's regional AVS
 * gateways (with their legacy names), each with the key family of the chain it serves (Root CA
 * 1's, RSA, until a verified probe shows otherwise: probes/README.md). */
#ifndef ATS_PROBE_TARGETS_H
#define ATS_PROBE_TARGETS_H

typedef struct ats_probe_target {
	const char *region;  /* "na", "eu", "fe"; NULL for the test endpoint */
	const char *url;     /* what to probe */
	const char *legacy;  /* the older name of the same gateway, or NULL */
	int family;          /* ATS_FAMILY_* of the chain it serves */
} ats_probe_target;

const ats_probe_target *ats_probe_target_test(void);
/* The gateway of a region ("na", "eu", "fe"), or NULL. */
const ats_probe_target *ats_probe_target_region(const char *region);
/* The target whose url or legacy url is url's (scheme and host, case-insensitive), or NULL. */
const ats_probe_target *ats_probe_target_find(const char *url);

#endif
