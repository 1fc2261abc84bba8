#include "audit/audit.h"
#include "audit/audit_int.h"

#include "store/catalog.h"
#include "base/der.h"
#include "base/util.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400

/* What one certificate claims to be, by the CN or OU of its subject; -1 when none of the six.
 * Only certificates whose subject bytes mention Amazon or Starfield get their name parsed. */
static int claimed_ca(const ats_store_cert *c)
{
	ats_der_cert dc;
	char cn[256] = "", ou[256] = "";
	const unsigned char *p;
	if (ats_der_cert_read(c->der, c->len, &dc) != 0)
		return -1;
	if (!memmem(dc.subject.p, dc.subject.n, "Amazon Root CA", 14) &&
	    !memmem(dc.subject.p, dc.subject.n, "Starfield", 9))
		return -1;
	p = dc.subject.p;
	X509_NAME *name = d2i_X509_NAME(NULL, &p, (long)dc.subject.n);
	if (!name)
		return -1;
	X509_NAME_get_text_by_NID(name, NID_commonName, cn, sizeof(cn));
	X509_NAME_get_text_by_NID(name, NID_organizationalUnitName, ou, sizeof(ou));
	X509_NAME_free(name);
	return ats_catalog_by_name(cn[0] ? cn : NULL, ou[0] ? ou : NULL);
}

static X509 *parse(const ats_store_cert *c)
{
	const unsigned char *p = c->der;
	return d2i_X509(NULL, &p, (long)c->len);
}

/* Whether OpenSSL could end a chain at this certificate without partial-chain mode: it is
 * self-signed, or its issuer is in the same store and signed it. */
static bool can_anchor(const ats_store *s, const ats_store_cert *c, json_t *ce)
{
	X509 *x = parse(c);
	bool ok = false;
	if (!x)
		return false;
	if (X509_check_issued(x, x) == X509_V_OK && X509_verify(x, X509_get0_pubkey(x)) == 1) {
		ok = true;
		json_object_set_new(ce, "anchor_via", json_string("self-signed"));
	}
	for (size_t i = 0; !ok && i < s->n; i++) {
		if (&s->certs[i] == c)
			continue;
		X509 *iss = parse(&s->certs[i]);
		if (iss && X509_check_issued(iss, x) == X509_V_OK &&
		    X509_verify(x, X509_get0_pubkey(iss)) == 1) {
			char name[256] = "";
			X509_NAME_oneline(X509_get_subject_name(iss), name, sizeof(name));
			json_object_set_new(ce, "anchor_via", json_string(name));
			ok = true;
		}
		X509_free(iss);
	}
	X509_free(x);
	ERR_clear_error();
	return ok;
}

static void set_cert_ref(json_t *ce, const ats_store_cert *c)
{
	char hex[65];
	ats_hex(c->sha256, 32, hex, false);
	json_object_set_new(ce, "sha256", json_string(hex));
	json_object_set_new(ce, "file", json_string(c->file));
	if (c->line)
		json_object_set_new(ce, "line", json_integer(c->line));
	json_object_set_new(ce, "entry", json_integer(c->index));
}

/* Validity of a certificate at `at`; fills not_before / not_after and returns the status word
 * for an otherwise good certificate ("present" or the given word). */
static const char *validity(const ats_store_cert *c, const ats_audit_opts *o, json_t *ce,
			    const char *good)
{
	ats_der_cert dc;
	char buf[32];
	if (ats_der_cert_read(c->der, c->len, &dc) != 0)
		return good;
	time_t nb = ats_der_time(dc.not_before), na = ats_der_time(dc.not_after);
	json_object_set_new(ce, "not_before", json_string(ats_time_format(nb, buf, sizeof(buf))));
	json_object_set_new(ce, "not_after", json_string(ats_time_format(na, buf, sizeof(buf))));
	json_object_set_new(ce, "not_after_epoch", json_integer((json_int_t)na));
	if (na != (time_t)-1 && o->at > na)
		return "expired";
	if (nb != (time_t)-1 && o->at < nb)
		return "not-yet-valid";
	return good;
}

static void fix_install(char *buf, size_t n, const ats_audit_opts *o, const ats_ca *ca,
			const char *extra)
{
	snprintf(buf, n, "atscheck install%s%s%s --ca '%s'", extra, o->root ? " --root " : "",
		 o->root ? o->root : "", ca->name);
}

/* One CA in one bundle or capath store. Returns its contribution to the store verdict. */
static ats_verdict audit_ca(const ats_store *s, int i, const ats_audit_opts *o,
			    const ats_debian_ca *deb, const int *claims, json_t *ce,
			    json_t *problems, bool *usable)
{
	const ats_ca *ca = ats_catalog_get(i);
	const ats_store_cert *exact = NULL, *variant = NULL;
	json_t *impostors = json_array();
	const char *status = "missing";
	char msg[1024], fix[512], buf[32];
	ats_verdict v = ATS_VERDICT_OK;

	*usable = false;
	for (size_t k = 0; k < s->n; k++) {
		const ats_store_cert *c = &s->certs[k];
		if (memcmp(c->sha256, ca->cert_sha256, 32) == 0)
			exact = c;
		else if (claims[k] == i && memcmp(c->spki_sha256, ca->spki_sha256, 32) == 0)
			variant = variant ? variant : c;
		else if (claims[k] == i) {
			json_t *imp = json_object();
			set_cert_ref(imp, c);
			json_array_append_new(impostors, imp);
		}
	}
	if (exact) {
		set_cert_ref(ce, exact);
		status = validity(exact, o, ce, "present");
		*usable = strcmp(status, "present") == 0;
	} else if (variant) {
		set_cert_ref(ce, variant);
		bool anchor = can_anchor(s, variant, ce);
		json_object_set_new(ce, "anchor", json_boolean(anchor));
		status = validity(variant, o, ce, "variant");
		*usable = anchor && strcmp(status, "variant") == 0;
		if (!anchor) {
			snprintf(msg, sizeof(msg), "%s: only a cross-signed or re-issued %s is in the "
				 "store, and it cannot end a chain (its issuer is not there)", s->path, ca->name);
			fix_install(fix, sizeof(fix), o, ca, "");
			ats_report_problem_cause(problems, "variant-cannot-anchor", ATS_VERDICT_WARNING, s->path, ca->name, msg, fix);
			v = ATS_VERDICT_WARNING;
		}
	} else if (deb && deb->file_found && !(deb->listed && deb->linked)) {
		status = "deselected";
	}
	json_object_set_new(ce, "status", json_string(status));

	if (json_array_size(impostors)) {
		json_t *first = json_array_get(impostors, 0);
		snprintf(msg, sizeof(msg), "%s: a certificate named '%s' with another key is in the store "
			 "(%s, entry %lld): it is not Amazon's", s->path, ca->name,
			 json_string_value(json_object_get(first, "file")),
			 json_integer_value(json_object_get(first, "entry")));
		ats_report_problem_cause(problems, "ca-impostor", ATS_VERDICT_CRITICAL, s->path, ca->name, msg,
				   "remove that certificate from the store and find out who put it there");
		v = ATS_VERDICT_CRITICAL;
		if (!exact && !variant)
			json_object_set_new(ce, "status", json_string(status = "impostor"));
	}
	json_object_set_new(ce, "impostors", impostors);

	if (strcmp(status, "missing") == 0 || strcmp(status, "deselected") == 0) {
		if (strcmp(status, "deselected") == 0)
			snprintf(msg, sizeof(msg), "%s: %s is deselected (%s)", s->path, ca->name,
				 deb->bang ? "marked '!' in /etc/ca-certificates.conf"
				 : !deb->listed ? "not listed in /etc/ca-certificates.conf"
						: "no link in /etc/ssl/certs");
		else
			snprintf(msg, sizeof(msg), "%s: %s is missing", s->path, ca->name);
		fix_install(fix, sizeof(fix), o, ca, deb && deb->bang ? " --reselect" : "");
		ats_report_problem_cause(problems, status[0] == 'm' ? "ca-missing" : "ca-deselected", ATS_VERDICT_WARNING, s->path, ca->name, msg, fix);
		v = ats_verdict_worst(v, ATS_VERDICT_WARNING);
	} else if (strcmp(status, "expired") == 0 || strcmp(status, "not-yet-valid") == 0) {
		snprintf(msg, sizeof(msg), "%s: %s is %s at %s (valid %s to %s)", s->path, ca->name,
			 status, ats_time_format(o->at, buf, sizeof(buf)),
			 json_string_value(json_object_get(ce, "not_before")),
			 json_string_value(json_object_get(ce, "not_after")));
		ats_report_problem_cause(problems, status[0] == 'e' ? "ca-expired" : "ca-not-yet-valid", ATS_VERDICT_WARNING, s->path, ca->name, msg,
				   strcmp(status, "expired") == 0
					   ? "update ca-certificates; check the clock (timedatectl)"
					   : "the clock is wrong: set it (NTP, timedatectl)");
		v = ats_verdict_worst(v, ATS_VERDICT_WARNING);
	} else if (*usable) {
		time_t na = (time_t)json_integer_value(json_object_get(ce, "not_after_epoch"));
		if (na - o->at < (time_t)o->warn_days * DAY) {
			snprintf(msg, sizeof(msg), "%s: %s expires on %s, within %d days", s->path,
				 ca->name, ats_time_format(na, buf, sizeof(buf)), o->warn_days);
			ats_report_problem_cause(problems, "ca-expiring", ATS_VERDICT_WARNING, s->path, ca->name, msg,
					   "make sure the device trusts another of the six before then");
			json_object_set_new(ce, "expiring", json_true());
			v = ats_verdict_worst(v, ATS_VERDICT_WARNING);
		}
	}
	return v;
}

/* The Debian selection itself: is each CA's file there, selected and linked? */
static ats_verdict audit_debian_ca(int i, const ats_audit_opts *o, const ats_debian_ca *d,
				   json_t *ce, json_t *problems, bool *usable)
{
	const ats_ca *ca = ats_catalog_get(i);
	char msg[1024], fix[512];
	const char *status = "missing";

	if (d->file_found || d->local) {
		json_object_set_new(ce, "file", json_string(d->rel));
		status = (d->listed || d->local) && d->linked ? "present" : "deselected";
	}
	if (d->file_found) {
		json_object_set_new(ce, "selected", json_boolean(d->listed));
		json_object_set_new(ce, "deselected_with_bang", json_boolean(d->bang));
	}
	json_object_set_new(ce, "linked", json_boolean(d->linked));
	json_object_set_new(ce, "status", json_string(status));
	*usable = strcmp(status, "present") == 0;
	if (*usable)
		return ATS_VERDICT_OK;
	if (!d->file_found && !d->local)
		snprintf(msg, sizeof(msg), "%s is not in /usr/share/ca-certificates", ca->name);
	else
		snprintf(msg, sizeof(msg), "%s (%s) is deselected: %s", ca->name, d->rel,
			 d->bang ? "marked '!' in /etc/ca-certificates.conf"
			 : !d->listed && !d->local ? "not listed in /etc/ca-certificates.conf"
						   : "no link in /etc/ssl/certs");
	fix_install(fix, sizeof(fix), o, ca, d->bang ? " --reselect" : "");
	ats_report_problem_cause(problems, d->file_found || d->local ? "ca-deselected" : "ca-missing", ATS_VERDICT_WARNING, "/etc/ca-certificates.conf", ca->name, msg, fix);
	return ATS_VERDICT_WARNING;
}

static json_t *store_json(const ats_store *s)
{
	json_t *j = json_pack("{s:s, s:s, s:O, s:i, s:O}", "path", s->path, "kind",
			      ats_store_kind_name(s->kind), "labels", s->labels, "certificates",
			      (int)s->n, "entry_problems", s->problems);
	if (s->problems_omitted)
		json_object_set_new(j, "entry_problems_omitted", json_integer((json_int_t)s->problems_omitted));
	json_object_set_new(j, "error", s->error ? json_string(s->error) : json_null());
	if (s->aliases)
		json_object_set(j, "aliases", s->aliases);
	return j;
}

int ats_audit_run(const ats_store_list *l, const ats_audit_opts *o, json_t **report, ats_err *err)
{
	ats_debian_ca deb[ATS_CA_COUNT];
	bool need_deb = false, have_deb = false;
	/* Debian's selection explains the system's own stores; stores named on the command line
	 * are judged on their own, so an audit of a given bundle skips reading it. */
	for (size_t si = 0; si < l->n; si++)
		need_deb |= !l->v[si]->user_given;
	if (need_deb)
		have_deb = ats_debian_selection(o->root, deb);
	json_t *r = json_object(), *stores = json_array(), *problems = json_array();
	json_t *sdk_problems = json_array();
	bool(*use)[ATS_CA_COUNT] = calloc(l->n ? l->n : 1, sizeof(*use));
	ats_verdict overall = ATS_VERDICT_OK;
	char buf[32], msg[1024];

	if (!r || !stores || !problems || !sdk_problems || !use) {
		json_decref(r);
		json_decref(stores);
		json_decref(problems);
		json_decref(sdk_problems);
		free(use);
		return ats_err_set(err, ATS_ENOMEM, "auditing %zu trust stores: out of memory", l->n);
	}
	for (size_t k = 0; k < json_array_size(l->problems); k++) {
		json_t *p = json_array_get(l->problems, k);
		ats_report_problem_cause(problems, "input-unreadable", ATS_VERDICT_UNKNOWN, NULL, NULL,
				   json_string_value(json_object_get(p, "message")),
				   "check the file named");
		overall = ATS_VERDICT_UNKNOWN;
	}
	for (size_t si = 0; si < l->n; si++) {
		const ats_store *s = l->v[si];
		/* A store the SDK reads is judged with the rest of the SDK's trust (audit_sdk): what
		 * it lacks alone is no finding of its own. */
		bool sdk_reads = ats_audit_sdk_reads(s);
		json_t *into = sdk_reads ? sdk_problems : problems;
		json_t *sj = store_json(s), *cas = json_array(), *anchors = json_array();
		ats_verdict sv = ATS_VERDICT_OK;
		int usable_count = 0;
		int *claims = calloc(s->n ? s->n : 1, sizeof(int));

		if (!claims || !sj || !cas || !anchors) {
			/* Not a store without the CAs: an audit that could not be done. */
			free(claims);
			json_decref(sj);
			json_decref(cas);
			json_decref(anchors);
			json_decref(r);
			json_decref(stores);
			json_decref(problems);
			return ats_err_set(err, ATS_ENOMEM, "%s: out of memory auditing its %zu certificates",
					   s->path, s->n);
		}
		for (size_t k = 0; k < s->n; k++)
			claims[k] = claimed_ca(&s->certs[k]);
		for (int i = 0; i < ATS_CA_COUNT; i++) {
			const ats_ca *ca = ats_catalog_get(i);
			char hex[65];
			bool usable = false;
			json_t *ce = json_pack("{s:s, s:s}", "name", ca->name, "role", ca->role);
			ats_hex(ca->cert_sha256, 32, hex, false);
			json_object_set_new(ce, "expected_sha256", json_string(hex));
			if (s->error) {
				json_object_set_new(ce, "status", json_string("missing"));
			} else if (s->kind == ATS_STORE_DEBIAN) {
				sv = ats_verdict_worst(sv, audit_debian_ca(i, o, &deb[i], ce, into, &usable));
			} else {
				/* Debian's facts explain a missing CA only for the system's own stores. */
				const ats_debian_ca *d = have_deb && !s->user_given ? &deb[i] : NULL;
				sv = ats_verdict_worst(sv, audit_ca(s, i, o, d, claims, ce, into, &usable));
			}
			json_object_set_new(ce, "usable", json_boolean(usable));
			use[si][i] = usable;
			if (usable) {
				usable_count++;
				json_array_append_new(anchors, json_string(ca->name));
			}
			json_array_append_new(cas, ce);
		}
		free(claims);
		for (size_t k = 0; k < json_array_size(s->problems); k++) {
			json_t *p = json_array_get(s->problems, k);
			snprintf(msg, sizeof(msg), "%s:%lld: %s",
				 json_string_value(json_object_get(p, "file")),
				 json_integer_value(json_object_get(p, "line")),
				 json_string_value(json_object_get(p, "message")));
			ats_report_problem_cause(into, "store-entry-broken", ATS_VERDICT_WARNING, s->path, NULL, msg,
					   "OpenSSL may skip or refuse this entry: repair or remove it");
			sv = ats_verdict_worst(sv, ATS_VERDICT_WARNING);
		}
		if (s->problems_omitted) {
			snprintf(msg, sizeof(msg), "%s: and %zu more broken entries, not listed (atscheck "
				 "lists the first %d of a store)", s->path, s->problems_omitted,
				 ATS_STORE_PROBLEMS_MAX);
			ats_report_problem_cause(problems, "store-entry-broken", ATS_VERDICT_WARNING, s->path, NULL, msg,
					   "OpenSSL may skip or refuse these entries: repair or remove them");
		}
		if (s->error) {
			sv = s->user_given ? ATS_VERDICT_UNKNOWN : ATS_VERDICT_CRITICAL;
			ats_report_problem_cause(into, s->user_given ? "input-unreadable" : "store-unreadable", sv, s->path, NULL, s->error,
					   s->user_given ? "check the path given"
							 : "install ca-certificates, or point the TLS stack at a CA file that exists");
		} else if (usable_count == 0 || !ats_family_anchor(use[si], ATS_FAMILY_AVS)) {
			/* With an SDK config the SDK is what talks to AVS: a store it does not read
			 * fails other programs, not the device's AVS connection. */
			ats_verdict sev = l->sdk ? ATS_VERDICT_WARNING : ATS_VERDICT_CRITICAL;
			const char *aside = !l->sdk ? ""
					    : sdk_reads ? " (this store alone; the SDK's whole trust is judged as one)"
							: " (programs using it; the AVS Device SDK does not read it)";
			if (usable_count == 0) {
				snprintf(msg, sizeof(msg), "%s: none of the six ATS CAs is usable: TLS to AVS "
					 "will fail%s", s->path, aside);
				ats_report_problem_cause(into, "no-usable-ca", sev, s->path, NULL, msg,
							 o->root ? "atscheck install --root DIR" : "atscheck install");
			} else {
				ats_audit_cannot_anchor(s->path, use[si], o, sev, aside, into);
			}
			sv = ats_verdict_worst(sv, sev);
		}
		json_object_set_new(sj, "cas", cas);
		json_object_set_new(sj, "anchors", anchors);
		json_object_set_new(sj, "compliant", json_boolean(!s->error && usable_count == ATS_CA_COUNT));
		json_object_set_new(sj, "families", ats_audit_families(use[si]));
		json_object_set_new(sj, "anchors_avs",
				    json_boolean(!s->error && ats_family_anchor(use[si], ATS_FAMILY_AVS)));
		json_object_set_new(sj, "connectable",
				    json_boolean(!s->error && ats_family_anchor(use[si], ATS_FAMILY_AVS)));
		json_object_set_new(sj, "verdict", json_string(ats_verdict_name(sv)));
		json_array_append_new(stores, sj);
		if (!sdk_reads)
			overall = ats_verdict_worst(overall, sv);
	}
	if (l->sdk)
		overall = ats_verdict_worst(overall, ats_audit_sdk(l, use, o, r, problems, sdk_problems));
	json_decref(sdk_problems);
	free(use);
	if (l->n == 0 && !l->sdk) {
		ats_report_problem_cause(problems, "no-trust-store", ATS_VERDICT_CRITICAL, NULL, NULL,
				   "no trust store found: this device trusts nothing",
				   "install ca-certificates, then atscheck install");
		overall = ATS_VERDICT_CRITICAL;
	}
	json_object_set_new(r, "command", json_string("audit"));
	json_object_set_new(r, "at", json_string(ats_time_format(o->at, buf, sizeof(buf))));
	json_object_set_new(r, "warn_days", json_integer(o->warn_days));
	if (o->root)
		json_object_set_new(r, "root", json_string(o->root));
	ats_report_open(r);
	json_object_set_new(r, "stores", stores);
	ats_report_close(r, overall, problems);
	*report = r;
	return 0;
}
