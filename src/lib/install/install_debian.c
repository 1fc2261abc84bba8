/* Debian, Raspbian, Ubuntu: the documented procedure. A CA whose file Debian already ships is
 * selected in /etc/ca-certificates.conf (a second copy would make a duplicate hash link); one
 * that is not there is copied to /usr/share/ca-certificates/atscheck/ (or, with --local, to
 * /usr/local/share/ca-certificates/atscheck/) under a name whose link in /etc/ssl/certs collides
 * with nothing; then update-ca-certificates (install_debian_update.c) rebuilds the bundle and
 * the links. A CA the admin deselected with '!' is left alone unless --reselect. */
#include "install/install_debian.h"

#include "install/install_conf.h"
#include "base/pem.h"
#include "store/store.h"
#include "base/util.h"
#include "report/tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether CA i's file, its link and its bundle entry are all where the tool puts them. */
static void store_facts(inst_ctx *c, bool in_bundle[ATS_CA_COUNT], bool hashed[ATS_CA_COUNT])
{
	ats_store *b = ats_store_load_bundle(c->root, DEB_BUNDLE);
	ats_store *d = ats_store_load_capath(c->root, DEB_CERTS);
	for (int i = 0; i < ATS_CA_COUNT; i++) {
		const unsigned char *sha = ats_catalog_get(i)->cert_sha256;
		in_bundle[i] = hashed[i] = false;
		for (size_t k = 0; b && k < b->n; k++)
			in_bundle[i] = in_bundle[i] || memcmp(b->certs[k].sha256, sha, 32) == 0;
		for (size_t k = 0; d && k < d->n; k++)
			hashed[i] = hashed[i] || memcmp(d->certs[k].sha256, sha, 32) == 0;
	}
	ats_store_free(b);
	ats_store_free(d);
}

/* A name for our copy of CA i in img_dir: "atscheck_<Debian's name>.crt", or with a number when
 * that file (with other content) or its /etc/ssl/certs link name is taken. */
static int choose_name(inst_ctx *c, int i, const char *img_dir, char *out, size_t n)
{
	const ats_ca *ca = ats_catalog_get(i);
	size_t fl = strlen(ca->file) - 4; /* without ".pem" */
	for (int k = 1; k < 100; k++) {
		char file[PATH_MAX], link[PATH_MAX], linkname[NAME_MAX + 1], host[PATH_MAX];
		struct stat st;
		if (k == 1)
			snprintf(file, sizeof(file), "%s/atscheck_%.*s.crt", img_dir, (int)fl, ca->file);
		else
			snprintf(file, sizeof(file), "%s/atscheck_%.*s_%d.crt", img_dir, (int)fl, ca->file, k);
		inst_debian_link_name(file, linkname, sizeof(linkname));
		snprintf(link, sizeof(link), "%s/%s", DEB_CERTS, linkname);
		if (inst_host(c, file, host) != 0)
			return ATS_EIO;
		if (lstat(host, &st) == 0 && !inst_file_has(c, file, i))
			continue;
		if (inst_host(c, DEB_CERTS, host) != 0)
			return ATS_EIO;
		strncat(host, "/", sizeof(host) - strlen(host) - 1);
		strncat(host, linkname, sizeof(host) - strlen(host) - 1);
		if (lstat(host, &st) == 0 && !inst_file_has(c, link, i))
			continue;
		snprintf(out, n, "%s", file);
		return 0;
	}
	return ats_err_set(c->err, ATS_EIO, "%s: no free file name for %s", img_dir, ca->name);
}

int inst_debian(inst_ctx *c)
{
	ats_debian_ca deb[ATS_CA_COUNT];
	bool in_bundle[ATS_CA_COUNT], hashed[ATS_CA_COUNT], update = false;
	inst_deb_target t = {0};
	char host[PATH_MAX];
	unsigned char *conf = NULL;
	size_t conf_len = 0;
	char *newconf = NULL;
	const char *rels[ATS_CA_COUNT];
	size_t nrels = 0;
	ats_err e2 = {0};
	int rc = 0;

	if ((rc = inst_clean_temps(c, "/etc", "ca-certificates.conf")) != 0 ||
	    (rc = inst_clean_temps(c, DEB_SHARE "/atscheck", NULL)) != 0 ||
	    (rc = inst_clean_temps(c, DEB_LOCAL "/atscheck", NULL)) != 0 ||
	    (rc = inst_clean_temps(c, DEB_CERTS, NULL)) != 0 ||
	    (rc = inst_clean_temps(c, "/var/lib/atscheck", NULL)) != 0)
		return rc;
	ats_debian_selection(c->root, deb);
	if (inst_host(c, DEB_CONF, host) != 0)
		return ATS_EIO;
	struct stat st;
	if (stat(host, &st) == 0 && ats_file_read(host, DEB_CONF, &conf, &conf_len, c->err) != 0)
		return ATS_EIO;
	store_facts(c, in_bundle, hashed);

	for (int i = 0; i < ATS_CA_COUNT; i++) {
		const ats_ca *ca = ats_catalog_get(i);
		ats_debian_ca *d = &deb[i];
		ats_conf_state cs = {0};
		char *file = t.file[i];
		if (!c->want[i])
			continue;
		if (d->file_found && !d->local)
			ats_conf_find(conf ? (char *)conf : "", conf_len, d->rel, &cs);
		if (d->file_found && !d->local && cs.bang && !c->o->reselect && !cs.selected) {
			char msg[1024], fix[512];
			inst_ca_set(c, i, "action", "left-deselected");
			inst_ca_set(c, i, "file", d->rel);
			snprintf(msg, sizeof(msg), "%s (%s) was deselected with '!%s' in %s: left alone",
				 ca->name, d->rel, d->rel, DEB_CONF);
			snprintf(fix, sizeof(fix), "atscheck install --reselect --ca '%s'%s%s", ca->name,
				 c->root ? " --root " : "", c->root ? c->root : "");
			ats_report_problem(c->problems, ATS_VERDICT_WARNING, DEB_CONF, ca->name, msg, fix);
			continue;
		}
		if ((d->file_found && cs.selected) || d->local) {
			/* In place already: only the links or the bundle may lag behind. */
			snprintf(file, PATH_MAX, "%s/%s", d->local ? DEB_LOCAL : DEB_SHARE, d->rel);
			bool stale = !d->linked || !in_bundle[i] || !hashed[i];
			inst_ca_set(c, i, "action", stale ? "rebuild" : "none");
			inst_ca_set(c, i, "file", file);
			t.handled[i] = true;
			update = update || stale;
			continue;
		}
		if (d->file_found && (!c->o->local || cs.bang)) {
			snprintf(file, PATH_MAX, "%s/%s", DEB_SHARE, d->rel);
			rels[nrels++] = d->rel;
			inst_ca_set(c, i, "action", cs.bang ? "reselect" : cs.broken ? "repair" : "select");
			inst_ca_set(c, i, "conf_line", d->rel);
		} else {
			const char *dir = c->o->local ? DEB_LOCAL "/atscheck" : DEB_SHARE "/atscheck";
			if ((rc = choose_name(c, i, dir, file, PATH_MAX)) != 0 ||
			    (rc = inst_write(c, file, c->pem[i], c->pem_len[i], "write", i)) != 0)
				goto out;
			if (!c->o->local) {
				rels[nrels++] = file + strlen(DEB_SHARE) + 1;
				inst_ca_set(c, i, "conf_line", rels[nrels - 1]);
			}
			inst_ca_set(c, i, "action", "copy");
		}
		inst_ca_set(c, i, "file", file);
		t.handled[i] = true;
		update = true;
	}
	if (nrels) {
		size_t nl;
		json_t *edits = json_array();
		if (!edits || ats_conf_select(conf ? (char *)conf : "", conf_len, rels, nrels, &newconf,
					      &nl, edits) != 0) {
			json_decref(edits);
			rc = ats_err_set(c->err, ATS_ENOMEM, "%s: out of memory", DEB_CONF);
			goto out;
		}
		if (conf && (rc = inst_write(c, DEB_CONF_BAK, conf, conf_len, "backup", -1)) != 0) {
			json_decref(edits);
			goto out;
		}
		rc = inst_write(c, DEB_CONF, newconf, nl, "write", -1);
		size_t k;
		json_t *e;
		json_array_foreach(edits, k, e) {
			json_object_set_new(e, "path", json_string(DEB_CONF));
			json_array_append(c->changes, e);
		}
		json_decref(edits);
		if (rc)
			goto out;
	}
	if (update)
		rc = inst_debian_update(c, &t, newconf ? newconf : (char *)conf,
					newconf ? strlen(newconf) : conf_len);
	else
		c->method = "none";
out:
	(void)e2;
	free(conf);
	free(newconf);
	return rc;
}
