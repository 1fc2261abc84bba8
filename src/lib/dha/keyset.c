#include "dha/keyset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char zero[32];

static size_t start(const unsigned char d[32], size_t cap)
{
	uint64_t h;
	memcpy(&h, d, sizeof(h)); /* a digest: its first bytes are as good as any hash */
	return (size_t)h & (cap - 1);
}

bool ats_keyset_has(const ats_keyset *s, const unsigned char d[32])
{
	if (memcmp(d, zero, 32) == 0)
		return s->has_zero;
	if (!s->cap)
		return false;
	for (size_t i = start(d, s->cap);; i = (i + 1) & (s->cap - 1)) {
		if (memcmp(s->slot[i], zero, 32) == 0)
			return false;
		if (memcmp(s->slot[i], d, 32) == 0)
			return true;
	}
}

static void put(unsigned char (*slot)[32], size_t cap, const unsigned char d[32])
{
	size_t i = start(d, cap);
	while (memcmp(slot[i], zero, 32) != 0)
		i = (i + 1) & (cap - 1);
	memcpy(slot[i], d, 32);
}

int ats_keyset_add(ats_keyset *s, const unsigned char d[32])
{
	if (ats_keyset_has(s, d))
		return 0;
	if (memcmp(d, zero, 32) == 0) {
		s->has_zero = true;
		return 1;
	}
	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		unsigned char (*slot)[32] = calloc(cap, 32);
		if (!slot)
			return -1;
		for (size_t i = 0; i < s->cap; i++)
			if (memcmp(s->slot[i], zero, 32) != 0)
				put(slot, cap, s->slot[i]);
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	put(s->slot, s->cap, d);
	s->n++;
	return 1;
}

void ats_keyset_free(ats_keyset *s)
{
	free(s->slot);
	memset(s, 0, sizeof(*s));
}
