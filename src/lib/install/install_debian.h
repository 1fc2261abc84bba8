/* Shared by install_debian.c (what to select, copy, add to the conf) and install_debian_update.c
 * (who rebuilds the bundle and the links, and how). */
#ifndef ATS_INSTALL_DEBIAN_H
#define ATS_INSTALL_DEBIAN_H

#include "install/install_int.h"

#define DEB_CONF "/etc/ca-certificates.conf"
#define DEB_CONF_BAK "/etc/ca-certificates.conf.atscheck-bak"
#define DEB_SHARE "/usr/share/ca-certificates"
#define DEB_LOCAL "/usr/local/share/ca-certificates"
#define DEB_CERTS "/etc/ssl/certs"
#define DEB_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define DEB_HOOKS "/etc/ca-certificates/update.d"
/* The links as they were before the tool ran under --root, until their form is restored. */
#define DEB_JOURNAL "/var/lib/atscheck/links.journal"

typedef struct inst_deb_target {
	bool handled[ATS_CA_COUNT];          /* the CA's file is (or will be) selected or local */
	char file[ATS_CA_COUNT][PATH_MAX];   /* that file, as the image sees it */
} inst_deb_target;

/* /etc/ssl/certs/<name>.pem as update-ca-certificates names the link for a .crt file. */
void inst_debian_link_name(const char *file, char *out, size_t n);

/* Brings the bundle and the links up to date for conf (the new text): the tool when it is there
 * and safe to point into the image, else atscheck itself, adding only what the targets need. */
int inst_debian_update(inst_ctx *c, const inst_deb_target *t, const char *conf, size_t conf_len);

#endif
