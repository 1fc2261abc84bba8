/* The file floor of provisioning: the same device folders and files `atscheck dha provision`
 * writes (seven files of the sizes given), with nothing else: no keys, no signatures, no
 * barcode, no control log. Two ways:
 *   bare     mkdir + the files, nothing more;
 *   durable  what provisioning's durability design needs on top: each folder made under a
 *            temporary name, one syncfs per chunk of 32, each renamed into place, the parent
 *            folder fsync'd.
 * Prints devices/s. Used by bench_dha.sh, beside atscheck's own figure:
 *   files_floor OUT COUNT JOBS bare|durable SIZE...   (one SIZE per file, in bytes) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 32
#define MAX_FILES 16

static int outfd, durable, nfiles;
static size_t count, sizes[MAX_FILES];
static atomic_size_t next;
static atomic_int failed;
static char data[65536];

static int write_file(int dfd, const char *name, size_t len)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	int ok = write(fd, data, len) == (ssize_t)len;
	return close(fd) == 0 && ok ? 0 : -1;
}

static void *worker(void *arg)
{
	char tmp[CHUNK][64], id[CHUNK][64], fname[32];
	(void)arg;
	for (;;) {
		size_t start = atomic_fetch_add(&next, CHUNK);
		if (start >= count)
			break;
		size_t n = start + CHUNK < count ? CHUNK : count - start;
		for (size_t i = 0; i < n; i++) {
			snprintf(id[i], sizeof(id[i]), "D-%08zu", start + i);
			snprintf(tmp[i], sizeof(tmp[i]), "%s%s", durable ? ".tmp-" : "", id[i]);
			if (mkdirat(outfd, tmp[i], 0755) != 0)
				goto fail;
			int dfd = openat(outfd, tmp[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd < 0)
				goto fail;
			for (int f = 0; f < nfiles; f++) {
				snprintf(fname, sizeof(fname), "file%d", f);
				if (write_file(dfd, fname, sizes[f]) != 0) {
					close(dfd);
					goto fail;
				}
			}
			close(dfd);
		}
		if (!durable)
			continue;
		if (syncfs(outfd) != 0)
			goto fail;
		for (size_t i = 0; i < n; i++)
			if (renameat(outfd, tmp[i], outfd, id[i]) != 0)
				goto fail;
		if (fsync(outfd) != 0)
			goto fail;
	}
	return NULL;
fail:
	perror("files_floor");
	atomic_store(&failed, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	if (argc < 6 || (strcmp(argv[4], "bare") && strcmp(argv[4], "durable"))) {
		fprintf(stderr, "usage: files_floor OUT COUNT JOBS bare|durable SIZE...\n");
		return 2;
	}
	count = strtoul(argv[2], NULL, 10);
	int jobs = atoi(argv[3]);
	durable = strcmp(argv[4], "durable") == 0;
	for (int i = 5; i < argc && nfiles < MAX_FILES; i++) {
		sizes[nfiles] = strtoul(argv[i], NULL, 10);
		if (sizes[nfiles] > sizeof(data))
			sizes[nfiles] = sizeof(data);
		nfiles++;
	}
	memset(data, 'A', sizeof(data));
	if (mkdir(argv[1], 0755) != 0 || (outfd = open(argv[1], O_RDONLY | O_DIRECTORY)) < 0) {
		perror(argv[1]);
		return 1;
	}
	if (jobs < 1 || jobs > 64)
		jobs = 1;
	pthread_t t[64];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < jobs; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < jobs; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (failed)
		return 1;
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%.0f\n", (double)count / s);
	return 0;
}
