#include "base/der.h"

#include "base/util.h"

#include <openssl/asn1.h>
#include <string.h>

int ats_der_tlv(const unsigned char *p, const unsigned char *end, unsigned *tag, size_t *hdr,
		size_t *len)
{
	size_t h = 2, l;
	if (end - p < 2)
		return -1;
	*tag = p[0];
	if ((p[0] & 0x1f) == 0x1f)
		return -1; /* high tag numbers never occur in the fields we read */
	l = p[1];
	if (l & 0x80) {
		size_t k = l & 0x7f;
		if (k == 0 || k > 4 || (size_t)(end - p) < 2 + k)
			return -1;
		l = 0;
		for (size_t i = 0; i < k; i++)
			l = (l << 8) | p[2 + i];
		h += k;
	}
	if ((size_t)(end - p) - h < l)
		return -1;
	*hdr = h;
	*len = l;
	return 0;
}

/* Reads the next element inside a constructed value; advances *p. */
static int next(const unsigned char **p, const unsigned char *end, ats_der_span *out, unsigned *tag)
{
	size_t h, l;
	if (ats_der_tlv(*p, end, tag, &h, &l) != 0)
		return -1;
	out->p = *p;
	out->n = h + l;
	*p += h + l;
	return 0;
}

int ats_der_cert_read(const unsigned char *der, size_t len, ats_der_cert *c)
{
	const unsigned char *end = der + len, *p, *tend;
	unsigned tag;
	size_t h, l;
	ats_der_span sig, validity;

	memset(c, 0, sizeof(*c));
	if (ats_der_tlv(der, end, &tag, &h, &l) != 0 || tag != 0x30)
		return -1;
	c->cert.p = der;
	c->cert.n = h + l;
	end = der + h + l;
	p = der + h;
	if (next(&p, end, &c->tbs, &tag) != 0 || tag != 0x30)
		return -1;
	tend = c->tbs.p + c->tbs.n;
	if (ats_der_tlv(c->tbs.p, tend, &tag, &h, &l) != 0)
		return -1;
	p = c->tbs.p + h;
	if (p < tend && *p == 0xa0) { /* [0] EXPLICIT version */
		ats_der_span v;
		if (next(&p, tend, &v, &tag) != 0)
			return -1;
	}
	if (next(&p, tend, &c->serial, &tag) != 0 || tag != 0x02)
		return -1;
	if (next(&p, tend, &sig, &tag) != 0 || tag != 0x30)
		return -1;
	if (next(&p, tend, &c->issuer, &tag) != 0 || tag != 0x30)
		return -1;
	if (next(&p, tend, &validity, &tag) != 0 || tag != 0x30)
		return -1;
	if (next(&p, tend, &c->subject, &tag) != 0 || tag != 0x30)
		return -1;
	if (next(&p, tend, &c->spki, &tag) != 0 || tag != 0x30)
		return -1;
	const unsigned char *vp, *vend = validity.p + validity.n;
	if (ats_der_tlv(validity.p, vend, &tag, &h, &l) != 0)
		return -1;
	vp = validity.p + h;
	if (next(&vp, vend, &c->not_before, &tag) != 0 || (tag != 0x17 && tag != 0x18))
		return -1;
	if (next(&vp, vend, &c->not_after, &tag) != 0 || (tag != 0x17 && tag != 0x18))
		return -1;
	return 0;
}

time_t ats_der_time(ats_der_span t)
{
	const unsigned char *p = t.p;
	ASN1_TIME *at = d2i_ASN1_TIME(NULL, &p, (long)t.n);
	time_t r = ats_asn1_time_to_time(at);
	ASN1_TIME_free(at);
	return r;
}
