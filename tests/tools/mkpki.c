/* mkpki: writes the PKI of probe scenarios (tests/scenarios/NAME.scn) from their description.
 *
 *   mkpki OUTDIR SCENARIO...      → OUTDIR/<scenario name>/ for each
 *
 * A scenario file is lines of words; mkpki reads these and ignores the rest (the runner's):
 *   preset ats            the lab PKI of the library (ats_lab_pki_new): root1..root4, sfsg2,
 *                         sfc2, root1x..root4x, sfsg2x, inter, leaf (for localhost); made once
 *                         per mkpki run and shared by every scenario
 *   cert NAME [subject="/CN=..."] [key=SPEC|@CERT] [issuer=CERT|self] [from=REL] [to=REL]
 *             [ca] [pathlen=N] [dns=a,b] [ip=A,B] [md=sha256]
 *                         a certificate (replacing one of that name); SPEC as ats_pki_key_new
 *                         takes it, @CERT shares that certificate's key; REL is now, or
 *                         +N/-N with s, m, h, d or y (default from=-1d to=+90d, key=ec:P-256)
 *   server CERT...        the chain the server sends, leaf first: server.pem (all),
 *                         server-cert.pem (leaf), server-chain.pem (the rest), server.key
 *   trust CERT...         trust.pem, the client's store
 * Every scenario also gets lab.pem (the lab's six roots) when it uses the preset. */
#include "base/pem.h"
#include "serve/pki.h"
#include "serve/selftest.h"
#include "base/util.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAXCERTS 64

typedef struct named {
	char name[64];
	X509 *cert;
	EVP_PKEY *key;
} named;

typedef struct table {
	named v[MAXCERTS];
	int n;
} table;

static ats_lab_pki *preset;
static time_t now;

static void die(const char *file, int line, const char *msg)
{
	fprintf(stderr, "mkpki: %s:%d: %s\n", file, line, msg);
	exit(2);
}

static named *find(table *t, const char *name)
{
	for (int i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return &t->v[i];
	return NULL;
}

static named *put(table *t, const char *name, X509 *x, EVP_PKEY *k)
{
	named *e = find(t, name);
	if (!e) {
		if (t->n == MAXCERTS)
			return NULL;
		e = &t->v[t->n++];
		snprintf(e->name, sizeof(e->name), "%s", name);
	} else {
		X509_free(e->cert);
		EVP_PKEY_free(e->key);
	}
	X509_up_ref(x);
	EVP_PKEY_up_ref(k);
	e->cert = x;
	e->key = k;
	return e;
}

static int rel_time(const char *s, time_t *out)
{
	char *end;
	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	long v = strtol(s, &end, 10);
	long unit = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400
		    : *end == 'y' ? 365 * 86400L : 0;
	if ((s[0] != '+' && s[0] != '-') || end == s + 1 || !unit || end[1])
		return -1;
	*out = now + v * unit;
	return 0;
}

/* Splits a line into words; a value may be double-quoted (key="a b"). */
static int words(char *line, char **w, int max)
{
	int n = 0;
	char *p = line;
	while (*p && n < max) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			break;
		w[n++] = p;
		char *o = p;
		bool q = false;
		while (*p && (q || (*p != ' ' && *p != '\t'))) {
			if (*p == '"')
				q = !q;
			else
				*o++ = *p;
			p++;
		}
		if (*p)
			p++;
		*o = '\0';
	}
	return n;
}

static void cert_line(table *t, char **w, int n, const char *file, int ln)
{
	ats_err err = {0};
	ats_pki_cert_opts o = {.pathlen = -1};
	const char *keyspec = "ec:P-256", *issuer = "self";
	EVP_PKEY *key = NULL;
	named *iss = NULL;

	if (rel_time("-1d", &o.not_before) || rel_time("+90d", &o.not_after))
		die(file, ln, "clock");
	char subject[256];
	snprintf(subject, sizeof(subject), "/CN=%s", w[1]);
	o.subject = subject;
	for (int i = 2; i < n; i++) {
		char *eq = strchr(w[i], '=');
		const char *v = eq ? eq + 1 : "";
		if (eq)
			*eq = '\0';
		if (strcmp(w[i], "subject") == 0)
			o.subject = v;
		else if (strcmp(w[i], "key") == 0)
			keyspec = v;
		else if (strcmp(w[i], "issuer") == 0)
			issuer = v;
		else if (strcmp(w[i], "from") == 0 && rel_time(v, &o.not_before) == 0)
			;
		else if (strcmp(w[i], "to") == 0 && rel_time(v, &o.not_after) == 0)
			;
		else if (strcmp(w[i], "ca") == 0)
			o.ca = true;
		else if (strcmp(w[i], "pathlen") == 0)
			o.pathlen = atoi(v);
		else if (strcmp(w[i], "dns") == 0)
			o.dns = v;
		else if (strcmp(w[i], "ip") == 0)
			o.ip = v;
		else if (strcmp(w[i], "md") == 0)
			o.md = v;
		else
			die(file, ln, "unknown cert attribute");
	}
	if (keyspec[0] == '@') {
		named *k = find(t, keyspec + 1);
		if (!k)
			die(file, ln, "key=@CERT names no certificate defined before");
		EVP_PKEY_up_ref(k->key);
		key = k->key;
	} else if (!(key = ats_pki_key_new(keyspec, &err))) {
		die(file, ln, err.msg);
	}
	if (strcmp(issuer, "self") != 0 && !(iss = find(t, issuer)))
		die(file, ln, "issuer names no certificate defined before");
	o.key = key;
	o.issuer = iss ? iss->cert : NULL;
	o.issuer_key = iss ? iss->key : NULL;
	X509 *x = ats_pki_cert_new(&o, &err);
	if (!x)
		die(file, ln, err.msg);
	if (!put(t, w[1], x, key))
		die(file, ln, "too many certificates");
	X509_free(x);
	EVP_PKEY_free(key);
}

static void write_certs(table *t, const char *dir, const char *name, char **w, int n,
			const char *file, int ln)
{
	X509 *v[MAXCERTS];
	ats_err err = {0};
	char path[PATH_MAX];
	for (int i = 0; i < n; i++) {
		named *e = find(t, w[i]);
		if (!e)
			die(file, ln, "names no certificate defined before");
		v[i] = e->cert;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (ats_pem_write_certs(path, v, n, &err) != 0)
		die(file, ln, err.msg);
}

static void scenario(const char *outdir, const char *file)
{
	char dir[PATH_MAX], base[256], line[2048], *w[32];
	table t = {0};
	ats_err err = {0};
	int ln = 0;
	bool lab = false;
	FILE *f = fopen(file, "r");

	if (!f)
		die(file, 0, strerror(errno));
	snprintf(base, sizeof(base), "%s", basename((char *)file));
	char *dot = strrchr(base, '.');
	if (dot)
		*dot = '\0';
	snprintf(dir, sizeof(dir), "%s/%s", outdir, base);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		die(dir, 0, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		ln++;
		line[strcspn(line, "\r\n")] = '\0';
		int n = words(line, w, 32);
		if (n == 0)
			continue;
		if (strcmp(w[0], "preset") == 0) {
			if (n != 2 || strcmp(w[1], "ats") != 0)
				die(file, ln, "the only preset is 'ats'");
			if (!preset && ats_lab_pki_new(now, "localhost", &preset, &err) != 0)
				die(file, ln, err.msg);
			for (int i = 0; i < ATS_LAB_N; i++)
				put(&t, ats_lab_name(i), preset->cert[i], preset->key[i]);
			lab = true;
		} else if (strcmp(w[0], "cert") == 0 && n >= 2) {
			cert_line(&t, w, n, file, ln);
		} else if (strcmp(w[0], "trust") == 0 && n >= 2) {
			write_certs(&t, dir, "trust.pem", w + 1, n - 1, file, ln);
		} else if (strcmp(w[0], "server") == 0 && n >= 2) {
			char path[PATH_MAX];
			write_certs(&t, dir, "server.pem", w + 1, n - 1, file, ln);
			write_certs(&t, dir, "server-cert.pem", w + 1, 1, file, ln);
			if (n > 2)
				write_certs(&t, dir, "server-chain.pem", w + 2, n - 2, file, ln);
			snprintf(path, sizeof(path), "%s/server.key", dir);
			if (ats_pki_write_key(path, find(&t, w[1])->key, &err) != 0)
				die(file, ln, err.msg);
		}
	}
	fclose(f);
	if (lab) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/lab.pem", dir);
		if (ats_pem_write_certs(path, preset->cert, ATS_LAB_SFC2 + 1, &err) != 0)
			die(path, 0, err.msg);
	}
	for (int i = 0; i < t.n; i++) {
		X509_free(t.v[i].cert);
		EVP_PKEY_free(t.v[i].key);
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: mkpki OUTDIR SCENARIO...\n");
		return 2;
	}
	now = time(NULL);
	if (mkdir(argv[1], 0755) != 0 && errno != EEXIST)
		die(argv[1], 0, strerror(errno));
	for (int i = 2; i < argc; i++)
		scenario(argv[1], argv[i]);
	ats_lab_pki_free(preset);
	return 0;
}
