/* Runs one worker function on N threads and reports progress from the calling thread (the
 * library's callers print; workers never do). Shared by verify --dir and provision. */
#ifndef ATS_DHA_PAR_H
#define ATS_DHA_PAR_H

#include <stdatomic.h>
#include <stddef.h>

typedef struct ats_par_progress {
	void (*fn)(void *ctx, size_t done, size_t total);
	void *ctx;
	const atomic_size_t *done; /* read a few times a second */
	size_t total;
} ats_par_progress;

/* 0 when at least one thread ran (all of them are joined on return); -1 when none started. */
int ats_par_run(int jobs, void *(*worker)(void *), void *arg, const ats_par_progress *p);

#endif
