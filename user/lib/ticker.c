// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A periodic thread (ticker.h): a condition variable on CLOCK_MONOTONIC, so
 * a stop is seen at once and a clock step does not bunch or skip calls. */
#include "lib/ticker.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/err.h"
#include "lib/timefmt.h"

struct ticker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	uint64_t period_ns;
	void (*fn)(void *arg, uint64_t now);
	void *arg;
};

static void *run(void *p)
{
	struct ticker *t = p;
	uint64_t next = mono_now_ns() + t->period_ns;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		struct timespec at = {.tv_sec = (time_t)(next / 1000000000ull),
				      .tv_nsec = (long)(next % 1000000000ull)};
		uint64_t now;

		if (pthread_cond_timedwait(&t->wake, &t->lock, &at) != ETIMEDOUT)
			continue; /* a stop, or a spurious wakeup */
		now = mono_now_ns();
		/* after a long call, the next one is a period after it */
		next = next + t->period_ns > now ? next + t->period_ns : now + t->period_ns;
		pthread_mutex_unlock(&t->lock);
		t->fn(t->arg, now);
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int ticker__start(struct ticker **out, uint64_t period_ns, void (*fn)(void *arg, uint64_t now),
		  void *arg, char *err, size_t errlen)
{
	struct ticker *t = calloc(1, sizeof(*t));
	pthread_condattr_t ca;
	int e;

	if (!t)
		return errf(err, errlen, -ENOMEM, "ticker: out of memory");
	t->period_ns = period_ns;
	t->fn = fn;
	t->arg = arg;
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->wake, &ca);
	pthread_condattr_destroy(&ca);
	e = pthread_create(&t->thread, NULL, run, t);
	if (e) {
		pthread_cond_destroy(&t->wake);
		pthread_mutex_destroy(&t->lock);
		free(t);
		return errf(err, errlen, -e, "ticker thread: %s", strerror(e));
	}
	*out = t;
	return 0;
}

void ticker__stop(struct ticker *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->wake);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
