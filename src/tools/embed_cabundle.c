/* Build-time tool: reads cabundle/manifest.txt and the PEMs beside it, checks each PEM against
 * its pins (certificate SHA-256, SubjectPublicKeyInfo SHA-256, notAfter) and writes the C source
 * that embeds them. Any mismatch fails the build. */
#include "base/der.h"
#include "base/pem.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void emit_string(FILE *out, const char *s, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			fputs("\\n\"\n\t\"", out);
		else if (s[i] == '"' || s[i] == '\\')
			fprintf(out, "\\%c", s[i]);
		else if (s[i] == '\r')
			fputs("\\r", out);
		else
			fputc(s[i], out);
	}
	fputc('"', out);
}

static void emit_bytes(FILE *out, const unsigned char *b)
{
	fputc('{', out);
	for (int i = 0; i < 32; i++)
		fprintf(out, "0x%02x%s", b[i], i < 31 ? "," : "");
	fputc('}', out);
}

int main(int argc, char **argv)
{
	char line[2048], path[4096];
	int count = 0;
	ats_err err = {0};

	if (argc != 4) {
		fprintf(stderr, "usage: %s MANIFEST DIR OUTPUT.c\n", argv[0]);
		return 2;
	}
	FILE *m = fopen(argv[1], "r");
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[3]);
	FILE *out = fopen(tmp, "w");
	if (!m || !out) {
		fprintf(stderr, "embed_cabundle: cannot open %s or %s\n", argv[1], argv[3]);
		return 1;
	}
	fprintf(out, "/* Generated from cabundle/ by embed_cabundle: do not edit. */\n"
		     "#include \"store/catalog.h\"\n\nconst ats_ca ats_catalog_embedded[ATS_CA_COUNT] = {\n");
	while (fgets(line, sizeof(line), m)) {
		char *f[8], *save = NULL;
		int n = 0;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		for (char *t = strtok_r(line, "|", &save); t && n < 8; t = strtok_r(NULL, "|", &save))
			f[n++] = t;
		if (n != 8) {
			fprintf(stderr, "embed_cabundle: %s: a line without 8 fields\n", argv[1]);
			return 1;
		}
		unsigned char cert_pin[32], spki_pin[32], sha[32], *pem = NULL, *der = NULL;
		size_t pem_len, der_len;
		time_t not_after;
		ats_der_cert c;
		snprintf(path, sizeof(path), "%s/%s", argv[2], f[0]);
		if (ats_file_read(path, NULL, &pem, &pem_len, &err) != 0) {
			fprintf(stderr, "embed_cabundle: %s\n", err.msg);
			return 1;
		}
		if (ats_unhex(f[4], cert_pin, 32) || ats_unhex(f[5], spki_pin, 32) ||
		    ats_time_parse(f[6], 0, &not_after, &err)) {
			fprintf(stderr, "embed_cabundle: %s: bad pin or date for %s\n", argv[1], f[0]);
			return 1;
		}
		if (ats_pem_decode_first((char *)pem, pem_len, &der, &der_len) != 0 ||
		    ats_der_cert_read(der, der_len, &c) != 0) {
			fprintf(stderr, "embed_cabundle: %s: not a PEM certificate\n", path);
			return 1;
		}
		ats_sha256(der, der_len, sha);
		if (memcmp(sha, cert_pin, 32) != 0) {
			fprintf(stderr, "embed_cabundle: %s: certificate SHA-256 does not match its pin\n", path);
			return 1;
		}
		ats_sha256(c.spki.p, c.spki.n, sha);
		if (memcmp(sha, spki_pin, 32) != 0) {
			fprintf(stderr, "embed_cabundle: %s: public key SHA-256 does not match its pin\n", path);
			return 1;
		}
		if (ats_der_time(c.not_after) != not_after) {
			fprintf(stderr, "embed_cabundle: %s: notAfter does not match the manifest\n", path);
			return 1;
		}
		fprintf(out, "\t{\"%s\", \"%s\", \"%s\", \"%s\", \"%s\",\n\t ", f[0], f[1], f[2], f[3], f[7]);
		emit_bytes(out, cert_pin);
		fputs(",\n\t ", out);
		emit_bytes(out, spki_pin);
		fprintf(out, ",\n\t %lld,\n\t", (long long)not_after);
		emit_string(out, (char *)pem, pem_len);
		fprintf(out, ",\n\t %zu},\n", pem_len);
		free(pem);
		free(der);
		count++;
	}
	fputs("};\n", out);
	fclose(m);
	if (fclose(out) != 0 || count != 6 || rename(tmp, argv[3]) != 0) {
		fprintf(stderr, "embed_cabundle: expected 6 CAs in %s, found %d\n", argv[1], count);
		remove(tmp);
		return 1;
	}
	return 0;
}
