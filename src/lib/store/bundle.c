#include "store/bundle.h"

#include "report/tree.h"
#include "store/catalog.h"
#include "base/der.h"
#include "base/util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int list(const char *dir, json_t **report, ats_err *err)
{
	json_t *r = json_object(), *cas = json_array();
	char hex[65], buf[32], path[PATH_MAX];
	int rc = 0;

	json_object_set_new(r, "command", json_string("bundle"));
	json_object_set_new(r, "cas", cas);
	for (int i = 0; i < ATS_CA_COUNT && rc == 0; i++) {
		const ats_ca *ca = ats_catalog_get(i);
		unsigned char *der = NULL;
		size_t len;
		rc = ats_catalog_der(ca, &der, &len, err);
		if (rc != 0)
			break;
		free(der);
		json_t *c = json_pack("{s:s, s:s, s:s}", "name", ca->name, "role", ca->role, "file", ca->file);
		ats_hex(ca->cert_sha256, 32, hex, false);
		json_object_set_new(c, "sha256", json_string(hex));
		ats_hex(ca->spki_sha256, 32, hex, false);
		json_object_set_new(c, "spki_sha256", json_string(hex));
		json_object_set_new(c, "not_after", json_string(ats_time_format(ca->not_after, buf, sizeof(buf))));
		json_object_set_new(c, "debian_path", json_string(ca->debian_path));
		if (dir) {
			snprintf(path, sizeof(path), "%s/%s", dir, ca->file);
			rc = ats_file_write_atomic(path, ca->pem, ca->pem_len, 0644, err);
			if (rc == 0)
				json_object_set_new(c, "written", json_string(path));
		}
		json_array_append_new(cas, c);
	}
	ats_report_close(r, rc ? ATS_VERDICT_UNKNOWN : ATS_VERDICT_OK, json_array());
	if (rc != 0) {
		json_decref(r);
		return rc;
	}
	*report = r;
	return 0;
}

int ats_bundle_list(json_t **report, ats_err *err)
{
	return list(NULL, report, err);
}

int ats_bundle_export(const char *dir, json_t **report, ats_err *err)
{
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return ats_err_set(err, ATS_EIO, "%s: not a directory", dir);
	return list(dir, report, err);
}
