/* The floor for auditing a bundle: PEM-read every certificate and SHA-256 it, nothing else.
 * bench_audit.sh compares `atscheck audit` with this. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	BIO *b = argc == 2 ? BIO_new_file(argv[1], "r") : NULL;
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL, md[32];
	long len;
	unsigned int mdlen, x = 0;
	int n = 0;
	if (!b)
		return 2;
	while (PEM_read_bio(b, &name, &header, &data, &len)) {
		EVP_Digest(data, (size_t)len, md, &mdlen, EVP_sha256(), NULL);
		x ^= md[0];
		n++;
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
	}
	BIO_free(b);
	printf("%d certificates (%u)\n", n, x);
	return 0;
}
