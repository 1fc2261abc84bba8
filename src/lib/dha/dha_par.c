#include "dha/dha_par.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

typedef struct par {
	void *(*worker)(void *);
	void *arg;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int left;
} par;

static void *run_one(void *arg)
{
	par *p = arg;
	p->worker(p->arg);
	pthread_mutex_lock(&p->mu);
	p->left--;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int ats_par_run(int jobs, void *(*worker)(void *), void *arg, const ats_par_progress *pr)
{
	par p = {worker, arg, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
	pthread_t *t = calloc(jobs > 0 ? (size_t)jobs : 1, sizeof(pthread_t));
	int started = 0;
	if (!t)
		return -1;
	pthread_mutex_lock(&p.mu);
	for (; started < (jobs > 0 ? jobs : 1); started++) {
		if (pthread_create(&t[started], NULL, run_one, &p) != 0)
			break;
		p.left++;
	}
	while (p.left > 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts); /* a wait's timeout, not a judgement of time */
		ts.tv_nsec += 200000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&p.cv, &p.mu, &ts);
		if (pr && pr->fn && p.left > 0) {
			pthread_mutex_unlock(&p.mu);
			pr->fn(pr->ctx, atomic_load(pr->done), pr->total);
			pthread_mutex_lock(&p.mu);
		}
	}
	pthread_mutex_unlock(&p.mu);
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	free(t);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
	return started ? 0 : -1;
}
