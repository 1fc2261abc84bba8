/* Runs a fuzz target's LLVMFuzzerTestOneInput on the files named (or every file of the folders
 * named), without libFuzzer: the seeds and the crashes kept as regression cases are replayed by
 * the ordinary test suite (CTest fuzz_replay.*), under whatever sanitizers that build has. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int one(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n == cap) {
			unsigned char *b = realloc(buf, cap = cap ? cap * 2 : 4096);
			if (!b) {
				fclose(f);
				free(buf);
				return 1;
			}
			buf = b;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int bad = 0, ran = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0)
			continue; /* a target without regression cases yet */
		if (!S_ISDIR(st.st_mode)) {
			bad |= one(argv[i]);
			ran++;
			continue;
		}
		DIR *d = opendir(argv[i]);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			char p[4096];
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", argv[i], e->d_name);
			bad |= one(p);
			ran++;
		}
		if (d)
			closedir(d);
	}
	printf("%d inputs replayed\n", ran);
	return bad || ran == 0;
}
