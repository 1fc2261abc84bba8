/* What the install modules share (not public): the run's context, and the file steps every
 * platform is made of. Each step first looks whether it is needed (so a second run does nothing),
 * records itself in "changes", and writes only when the pass is not a dry one: install.c plans
 * with a dry pass, checks that every recorded path can be written, then runs the same code for
 * real. */
#ifndef ATS_INSTALL_INT_H
#define ATS_INSTALL_INT_H

#include "store/catalog.h"
#include "install/install.h"

#include <limits.h>
#include <stdbool.h>

typedef struct inst_ctx {
	const ats_install_opts *o;
	const char *root;
	bool dry;        /* record what would be done; write nothing */
	json_t *changes; /* [{"action", "path", ...}] in the order they are (or would be) done */
	json_t *notes;   /* [string]: what the reader should know, not a problem */
	json_t *problems;
	json_t *cas;     /* one object per catalog CA, in catalog order */
	bool want[ATS_CA_COUNT];
	unsigned char *der[ATS_CA_COUNT]; /* from ats_catalog_der: pins checked */
	size_t der_len[ATS_CA_COUNT];
	char *pem[ATS_CA_COUNT];          /* the same certificate as PEM text */
	size_t pem_len[ATS_CA_COUNT];
	const char *method;               /* who rebuilt the store: a tool's name or "atscheck" */
	json_t *tool_output;              /* [string], what the tool printed */
	bool quiet;                       /* the step puts back what was there: not a change */
	const char *by;                   /* set while recording what a tool will do (dry run) */
	const char *lock_img;
	json_t *made_dirs;                /* host folders this run created, to undo if it fails */
	struct inst_undo *undo;           /* what the real pass wrote, and what was there before */
	size_t nundo, undo_cap;
	bool undo_on;                     /* the real pass: note each path before writing it */
	ats_err *err;
} inst_ctx;

/* install_undo.c: before a file or link is written, what was at host (nothing, a file, a link)
 * is kept; a failed pass puts them all back, newest first (restored and failed counted, the
 * first path that could not be put back named), and forgets them. */
void inst_undo_note(inst_ctx *c, const char *host);
void inst_undo_run(inst_ctx *c, size_t *restored, size_t *failed, char *first_failed, size_t n);
void inst_undo_free(inst_ctx *c);

/* Host path of an image path (PATH_MAX bytes). */
int inst_host(inst_ctx *c, const char *img, char *host);
void inst_note(inst_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The CA's entry in c->cas; sets key to a string value. */
void inst_ca_set(inst_ctx *c, int i, const char *key, const char *value);

/* Creates img_dir and its missing parents (0755). */
int inst_mkdirs(inst_ctx *c, const char *img_dir);
/* Writes a whole file (temp + fsync + rename) unless it already holds exactly these bytes. */
int inst_write(inst_ctx *c, const char *img, const void *data, size_t len, const char *action,
	       int ca);
/* Makes img_link a symbolic link to target unless it already is one (temp link + rename). */
int inst_symlink(inst_ctx *c, const char *img_link, const char *target, int ca);
/* Gives the certificate of CA i a subject-hash link <hash>.N -> target in img_dir, as
 * `openssl rehash` would, unless one of the <hash>.N there already leads to it. */
int inst_hash_link(inst_ctx *c, const char *img_dir, const char *target, int i);
/* Appends the wanted CAs missing from a bundle file (created when absent); the rest of its bytes
 * stay as they were. backup_img, when not NULL, first receives the previous content. */
int inst_bundle_add(inst_ctx *c, const char *img_bundle, const bool want[ATS_CA_COUNT],
		    const char *backup_img);
/* Removes "<name>.tmp.<pid>" files a killed run left in img_dir (only names starting with
 * prefix, when given; only when that process is gone). */
int inst_clean_temps(inst_ctx *c, const char *img_dir, const char *prefix);
/* A certificate sink's problem callback for files only searched, not audited. */
struct ats_cert_pos;
void inst_ignore_problem(void *ctx, struct ats_cert_pos pos, const char *msg);
/* Whether a file (resolved in the image) holds the certificate of CA i. */
bool inst_file_has(inst_ctx *c, const char *img, int i);

/* Runs a platform tool, its output kept in c->tool_output; "path" names where it writes. */
int inst_run(inst_ctx *c, const char *path, char *const argv[]);
/* Finds a tool in PATH, then /usr/sbin, /sbin (a user's PATH often lacks them). */
bool inst_tool_find(const char *name, char *out, size_t n);

/* Takes the lock, waiting a while for a run (or the tool it started) that holds it. The fd is
 * inherited by the tool, so a killed run keeps others out until its tool has finished. */
int inst_lock(inst_ctx *c, int *fd);
/* Every path recorded in c->changes can be written: names the first that cannot. */
int inst_preflight(inst_ctx *c);

/* Platforms. Each plans and applies the wanted CAs (c->want) for its layout. */
int inst_debian(inst_ctx *c);
int inst_fedora(inst_ctx *c);
int inst_alpine(inst_ctx *c);
int inst_plain_bundle(inst_ctx *c, const char *bundle);
/* The stores a family's audit looks at (NULL-terminated, at most one each). */
void inst_family_stores(const char *family, const char **bundles, const char **capaths);
/* Finishes what a killed run left half done (Debian link forms); before planning. */
int inst_debian_recover(inst_ctx *c);

#endif
