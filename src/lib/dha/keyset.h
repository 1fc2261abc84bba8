/* A set of 32-byte digests (SHA-256 of a public key, of a device id): open addressing in one
 * flat array, 32 bytes a slot, at most half full, so 64-128 bytes per member whatever the input
 * looks like. Used where a batch or a merge must see every key once (a cloned secure element). */
#ifndef ATS_KEYSET_H
#define ATS_KEYSET_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ats_keyset {
	unsigned char (*slot)[32];
	size_t cap, n;
	bool has_zero; /* the all-zero digest marks an empty slot; it is kept apart */
} ats_keyset;

/* 1: added; 0: already there; -1: out of memory. */
int ats_keyset_add(ats_keyset *s, const unsigned char d[32]);
bool ats_keyset_has(const ats_keyset *s, const unsigned char d[32]);
void ats_keyset_free(ats_keyset *s);

#endif
