/* Install, start to end: check the pins, find the platform, take the lock, audit, plan with a
 * dry pass, check every path of the plan can be written, do it, audit again, and report per CA
 * what it was before and what it is now. */
#include "install/install.h"

#include "audit/audit.h"
#include "install/install_int.h"
#include "report/tree.h"
#include "base/pem.h"
#include "base/rootfs.h"
#include "store/store.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOCK_FAMILIES "/var/lib/atscheck/install.lock"

/* The platform, from the image's os-release first, then from what its layout holds. */
static const char *detect_family(inst_ctx *c, char *pretty, size_t n)
{
	static const struct {
		const char *id, *family;
	} ids[] = {{"debian", "debian"}, {"ubuntu", "debian"},  {"raspbian", "debian"},
		   {"fedora", "fedora"}, {"rhel", "fedora"},    {"centos", "fedora"},
		   {"alpine", "alpine"}};
	const char *files[] = {"/etc/os-release", "/usr/lib/os-release"};
	char host[PATH_MAX], words[512] = " ";
	struct stat st;

	snprintf(pretty, n, "unknown");
	for (size_t f = 0; f < 2; f++) {
		unsigned char *text = NULL;
		size_t len;
		ats_err e2 = {0};
		if (ats_root_path(c->root, files[f], host, sizeof(host), &e2) != 0 ||
		    ats_file_read(host, files[f], &text, &len, &e2) != 0)
			continue;
		for (char *save = NULL, *l = strtok_r((char *)text, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save)) {
			char *v = strchr(l, '=');
			if (!v)
				continue;
			*v++ = '\0';
			v[strcspn(v, "\r")] = '\0';
			if (*v == '"' || *v == '\'') {
				v++;
				v[strcspn(v, "\"'")] = '\0';
			}
			if (strcmp(l, "PRETTY_NAME") == 0)
				snprintf(pretty, n, "%s", v);
			if (strcmp(l, "ID") == 0 || strcmp(l, "ID_LIKE") == 0) {
				strncat(words, v, sizeof(words) - strlen(words) - 2);
				strcat(words, " ");
			}
		}
		free(text);
		break;
	}
	for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
		char w[32];
		snprintf(w, sizeof(w), " %s ", ids[k].id);
		if (strstr(words, w))
			return ids[k].family;
	}
	if (ats_root_path(c->root, "/etc/ca-certificates.conf", host, sizeof(host), NULL) == 0 &&
	    stat(host, &st) == 0)
		return "debian";
	if (ats_root_path(c->root, "/etc/pki/ca-trust/source/anchors", host, sizeof(host), NULL) == 0 &&
	    stat(host, &st) == 0)
		return "fedora";
	return "unknown";
}

static int status_rank(const char *s)
{
	static const char *order[] = {"present", "variant", "expired", "not-yet-valid",
				      "deselected", "missing", "impostor"};
	for (int k = 0; k < 7; k++)
		if (s && strcmp(s, order[k]) == 0)
			return k;
	return 5;
}

/* The audit this install is judged by: the device's own stores, or the family's, or the bundle. */
static int audit(inst_ctx *c, const char *family, json_t **report)
{
	const char *bundles[2] = {NULL, NULL}, *capaths[2] = {NULL, NULL};
	ats_store_opts so = {.root = c->root, .bundles = bundles, .capaths = capaths};
	ats_audit_opts ao = {.at = c->o->at, .warn_days = c->o->warn_days, .root = c->root};
	ats_store_list *l = NULL;
	if (c->o->bundle) {
		bundles[0] = c->o->bundle;
	} else if (strcmp(family, "debian") != 0) {
		inst_family_stores(family, bundles, capaths);
		char host[PATH_MAX];
		struct stat st;
		if (capaths[0] && (inst_host(c, capaths[0], host) != 0 || stat(host, &st) != 0))
			capaths[0] = NULL;
	}
	int rc = ats_store_list_load(&so, &l, c->err);
	if (rc == 0)
		rc = ats_audit_run(l, &ao, report, c->err);
	ats_store_list_free(l);
	return rc;
}

/* Per CA, the worst status any store gives it, and whether some store cannot use it. */
static void summarize(const json_t *report, const char *status[ATS_CA_COUNT],
		      bool unusable[ATS_CA_COUNT])
{
	size_t k;
	json_t *s;
	for (int i = 0; i < ATS_CA_COUNT; i++) {
		status[i] = "missing";
		unusable[i] = json_array_size(json_object_get(report, "stores")) == 0;
	}
	bool first = true;
	json_array_foreach(json_object_get(report, "stores"), k, s) {
		for (int i = 0; i < ATS_CA_COUNT; i++) {
			json_t *ce = json_array_get(json_object_get(s, "cas"), (size_t)i);
			const char *st = json_string_value(json_object_get(ce, "status"));
			if (first || status_rank(st) > status_rank(status[i]))
				status[i] = st ? st : "missing";
			if (!json_is_true(json_object_get(ce, "usable")) && st &&
			    strcmp(st, "expired") != 0 && strcmp(st, "not-yet-valid") != 0)
				unusable[i] = true;
		}
		first = false;
	}
}

static int load_cas(inst_ctx *c)
{
	for (int i = 0; i < ATS_CA_COUNT; i++) {
		const ats_ca *ca = ats_catalog_get(i);
		int rc = ats_catalog_der(ca, &c->der[i], &c->der_len[i], c->err);
		if (rc)
			return rc;
		c->pem[i] = malloc(ats_pem_encoded_len(c->der_len[i], "CERTIFICATE"));
		if (!c->pem[i])
			return ats_err_set(c->err, ATS_ENOMEM, "%s: out of memory encoding the embedded certificate", ca->name);
		c->pem_len[i] = ats_pem_encode(c->der[i], c->der_len[i], "CERTIFICATE", c->pem[i]);
	}
	return 0;
}

static void reset_pass(inst_ctx *c, bool dry)
{
	c->dry = dry;
	c->method = NULL;
	json_array_clear(c->changes);
	json_array_clear(c->notes);
	json_array_clear(c->problems);
	json_array_clear(c->cas);
	for (int i = 0; i < ATS_CA_COUNT; i++)
		json_array_append_new(c->cas, json_pack("{s:s}", "name", ats_catalog_get(i)->name));
}

/* The pass failed: put back what it wrote and say so on the error's one line. */
static void undo_failed(inst_ctx *c)
{
	size_t restored, failed, len = strlen(c->err->msg);
	char first[PATH_MAX];
	inst_undo_run(c, &restored, &failed, first, sizeof(first));
	if (!restored && !failed)
		return;
	if (!failed)
		snprintf(c->err->msg + len, sizeof(c->err->msg) - len,
			 "; atscheck put back the %zu file%s and link%s it had written: nothing of "
			 "this run is applied", restored, restored == 1 ? "" : "s", restored == 1 ? "" : "s");
	else
		snprintf(c->err->msg + len, sizeof(c->err->msg) - len,
			 "; atscheck put back %zu of the files it had written but not %s (and %zu "
			 "more): check them before running again", restored, first, failed - 1);
}

static int apply(inst_ctx *c, const char *family)
{
	if (c->o->bundle)
		return inst_plain_bundle(c, c->o->bundle);
	if (strcmp(family, "debian") == 0)
		return inst_debian(c);
	if (strcmp(family, "fedora") == 0)
		return inst_fedora(c);
	return inst_alpine(c);
}

int ats_install_run(const ats_install_opts *o, json_t **report, ats_err *err)
{
	inst_ctx c = {.o = o, .root = o->root, .err = err};
	char pretty[256], lock[PATH_MAX];
	const char *family = "bundle", *before[ATS_CA_COUNT], *after[ATS_CA_COUNT];
	bool unusable[ATS_CA_COUNT], named[ATS_CA_COUNT] = {0}, dummy[ATS_CA_COUNT];
	json_t *r = NULL, *audit_before = NULL, *audit_after = NULL;
	int rc = 0, lock_fd = -1;

	*report = NULL;
	for (size_t k = 0; o->cas && o->cas[k]; k++) {
		const ats_ca *ca = ats_catalog_find(o->cas[k]);
		if (!ca)
			return ats_err_set(err, ATS_EUSAGE, "CA '%s': not one of the six (see atscheck "
					   "bundle list)", o->cas[k]);
		for (int i = 0; i < ATS_CA_COUNT; i++)
			named[i] = named[i] || ats_catalog_get(i) == ca;
	}
	c.changes = json_array();
	c.notes = json_array();
	c.problems = json_array();
	c.cas = json_array();
	c.tool_output = json_array();
	r = json_object();
	if (!c.changes || !c.notes || !c.problems || !c.cas || !c.tool_output || !r) {
		rc = ats_err_set(err, ATS_ENOMEM, "installing into %s: out of memory", o->root ? o->root : "/");
		goto out;
	}
	/* The pins, before anything is read or written. */
	if ((rc = ats_root_check(o->root, err)) != 0 || (rc = load_cas(&c)) != 0)
		goto out;
	snprintf(pretty, sizeof(pretty), "%s", "");
	if (!o->bundle)
		family = detect_family(&c, pretty, sizeof(pretty));
	json_object_set_new(r, "command", json_string("install"));
	if (o->root)
		json_object_set_new(r, "root", json_string(o->root));
	json_object_set_new(r, "family", json_string(family));
	if (*pretty)
		json_object_set_new(r, "os", json_string(pretty));
	json_object_set_new(r, "dry_run", json_boolean(o->dry_run));
	if (strcmp(family, "unknown") == 0) {
		ats_report_problem(c.problems, ATS_VERDICT_UNKNOWN, NULL, NULL,
				   "this platform's way of adding a CA is not known to atscheck "
				   "(no Debian, Fedora/RHEL or Alpine layout found)",
				   "export the PEMs with 'atscheck bundle export DIR' and add them to the "
				   "CA file your TLS stack uses, or run 'atscheck install --bundle FILE'");
		json_object_set_new(r, "problems", json_incref(c.problems));
		ats_report_close(r, ATS_VERDICT_UNKNOWN, NULL);
		goto done;
	}
	if (!o->dry_run) {
		if (o->bundle)
			snprintf(lock, sizeof(lock), "%s.atscheck-lock", o->bundle);
		else
			snprintf(lock, sizeof(lock), "%s", LOCK_FAMILIES);
		c.lock_img = lock;
		if ((rc = inst_lock(&c, &lock_fd)) != 0)
			goto out;
	}
	reset_pass(&c, true);
	if (!o->bundle && strcmp(family, "debian") == 0) {
		c.dry = o->dry_run;
		if ((rc = inst_debian_recover(&c)) != 0)
			goto out;
		c.dry = true;
	}
	if ((rc = audit(&c, family, &audit_before)) != 0)
		goto out;
	summarize(audit_before, before, unusable);
	for (int i = 0; i < ATS_CA_COUNT; i++)
		c.want[i] = o->cas && o->cas[0] ? named[i] : unusable[i];

	/* Plan: the same code, writing nothing. */
	json_t *recovered = json_deep_copy(c.changes), *recovered_notes = json_deep_copy(c.notes);
	reset_pass(&c, true);
	rc = apply(&c, family);
	if (rc == 0 && !o->dry_run && json_array_size(c.changes)) {
		if ((rc = inst_preflight(&c)) == 0) {
			reset_pass(&c, false);
			c.made_dirs = json_array();
			c.undo_on = true;
			rc = apply(&c, family);
			/* A failed run leaves nothing of its own applied: every file and link it wrote
			 * is put back as it was, then the folders it made are removed. */
			if (rc)
				undo_failed(&c);
			c.undo_on = false;
			inst_undo_free(&c);
			for (size_t k = json_array_size(c.made_dirs); rc && k-- > 0;)
				rmdir(json_string_value(json_array_get(c.made_dirs, k)));
			json_decref(c.made_dirs);
			c.made_dirs = NULL;
		}
	}
	json_array_extend(recovered, c.changes);
	json_array_extend(recovered_notes, c.notes);
	json_object_set_new(r, "changes", recovered);
	json_object_set_new(r, "notes", recovered_notes);
	if (rc)
		goto out;

	json_t *after_report = audit_before;
	if (!o->dry_run) {
		if ((rc = audit(&c, family, &audit_after)) != 0)
			goto out;
		after_report = audit_after;
	}
	summarize(after_report, after, dummy);
	for (int i = 0; i < ATS_CA_COUNT; i++) {
		json_t *ce = json_array_get(c.cas, (size_t)i);
		json_object_set_new(ce, "before", json_string(before[i]));
		json_object_set_new(ce, "after", json_string(after[i]));
		json_object_set_new(ce, "wanted", json_boolean(c.want[i]));
		if (!json_object_get(ce, "action"))
			json_object_set_new(ce, "action", json_string("none"));
	}
	bool nothing = json_array_size(json_object_get(r, "changes")) == 0;
	json_object_set_new(r, "mode", json_string(o->bundle ? "bundle" : o->local ? "local" : "default"));
	json_object_set_new(r, "method", json_string(c.method ? c.method : "none"));
	json_object_set_new(r, "nothing_to_do", json_boolean(nothing));
	json_object_set_new(r, "cas", json_incref(c.cas));
	json_object_set_new(r, "tool_output", json_incref(c.tool_output));
	json_object_set_new(r, "stores", json_incref(json_object_get(after_report, "stores")));
	ats_verdict v = (ats_verdict)json_integer_value(json_object_get(after_report, "exit_code"));
	json_array_extend(c.problems, json_object_get(after_report, "problems"));
	/* Problems first, then the verdict they make: the order install's reports always had. */
	json_object_set_new(r, "problems", json_incref(c.problems));
	ats_report_close(r, ats_report_worst(c.problems, v), NULL);
done:
	*report = r;
	r = NULL;
out:
	if (lock_fd >= 0)
		close(lock_fd);
	for (int i = 0; i < ATS_CA_COUNT; i++) {
		free(c.der[i]);
		free(c.pem[i]);
	}
	json_decref(r);
	json_decref(audit_before);
	json_decref(audit_after);
	json_decref(c.changes);
	json_decref(c.notes);
	json_decref(c.problems);
	json_decref(c.cas);
	json_decref(c.tool_output);
	return rc;
}
