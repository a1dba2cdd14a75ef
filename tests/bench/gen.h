/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared driver for the sockscope workload generators: option parsing,
 * worker processes, pacing and the result line.
 *
 * Every generator runs one operation ("cycle") in a loop, in -j worker
 * processes, for -d seconds or -n operations (whichever comes first), at
 * most -r operations per second in total (0: as fast as possible), and
 * prints one JSON line on stdout:
 *
 *   {"workload":"conn4","workers":1,"ops":123456,"secs":2.000,
 *    "ops_per_sec":61728.0,"errors":0,"first_error":"","rate":0,"cpu_s":1.98}
 *
 * cpu_s is the workers' user + system time (getrusage of the children).
 *
 * Pacing is open-loop: operation i of a worker is due at start + i/rate;
 * a worker that is ahead sleeps (absolute deadline, 1 us timer slack), one
 * that is behind catches up without sleeping.
 */
#ifndef SS_BENCH_GEN_H
#define SS_BENCH_GEN_H

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct gen_opts {
	double duration; /* seconds; 0: until count */
	uint64_t count;	 /* total operations; 0: until duration */
	double rate;	 /* total operations per second; 0: unpaced */
	int workers;
	int v6;
	int sendto;	  /* udp: sendto() instead of connect() */
	int nofamily;	  /* not a socket workload: no -6, no 4/6 in the name */
	const char *name; /* workload name in the result line */
};

struct gen_result {
	uint64_t ops;
	uint64_t errors;
	double secs;
	int first_errno;
};

/* One worker's operation. Returns 0 or -errno (counted, the loop goes on). */
typedef int (*gen_op_fn)(void *state);
/* Per-worker set-up before the start barrier; returns state or NULL. */
typedef void *(*gen_setup_fn)(const struct gen_opts *o);

static inline double gen_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void gen_sleep_until(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static inline void gen_usage(const char *prog, const char *extra)
{
	fprintf(stderr,
		"usage: %s [-d SECS] [-n OPS] [-r OPS_PER_SEC] [-j WORKERS] [-6]%s\n"
		"  -d, --duration SECS   run this long (default 2; 0 with -n: until -n)\n"
		"  -n, --count OPS       stop after OPS operations in total\n"
		"  -r, --rate R          offered load: at most R operations/s in total (0: unpaced)\n"
		"  -j, --workers N       worker processes (default 1)\n"
		"  -6                    IPv6 (::1) instead of IPv4 (127.0.0.1)\n",
		prog, extra ? extra : "");
}

/* gen_parse()'s flags: which of the optional options a generator takes */
#define GEN_SENDTO 1   /* --sendto (udp_cycle) */
#define GEN_NOFAMILY 2 /* no -4/-6: the workload is not a socket's */

static inline void gen_parse(int argc, char **argv, struct gen_opts *o, const char *base_name,
			     int flags)
{
	const int allow_sendto = flags & GEN_SENDTO;
	static const struct option longopts[] = {
		{"duration", required_argument, NULL, 'd'},
		{"count", required_argument, NULL, 'n'},
		{"rate", required_argument, NULL, 'r'},
		{"workers", required_argument, NULL, 'j'},
		{"sendto", no_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static char name[32];
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->duration = 2.0;
	o->workers = 1;
	while ((c = getopt_long(argc, argv, "d:n:r:j:46h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->duration = strtod(optarg, &end);
			if (*end || o->duration < 0)
				goto bad;
			break;
		case 'n':
			o->count = strtoull(optarg, &end, 10);
			if (*end)
				goto bad;
			break;
		case 'r':
			o->rate = strtod(optarg, &end);
			if (*end || o->rate < 0)
				goto bad;
			break;
		case 'j':
			o->workers = (int)strtol(optarg, &end, 10);
			if (*end || o->workers < 1 || o->workers > 256)
				goto bad;
			break;
		case '4':
			if (flags & GEN_NOFAMILY)
				goto bad;
			o->v6 = 0;
			break;
		case '6':
			if (flags & GEN_NOFAMILY)
				goto bad;
			o->v6 = 1;
			break;
		case 'S':
			if (!allow_sendto)
				goto bad;
			o->sendto = 1;
			break;
		case 'h':
			gen_usage(argv[0], allow_sendto ? " [--sendto]" : NULL);
			exit(0);
		default:
			goto bad;
		}
	}
	if (optind != argc || (o->duration == 0 && o->count == 0))
		goto bad;
	o->nofamily = !!(flags & GEN_NOFAMILY);
	snprintf(name, sizeof(name), "%s%s%s", base_name, o->sendto ? "-sendto" : "",
		 o->nofamily ? ""
		 : o->v6     ? "6"
			     : "4");
	o->name = name;
	return;
bad:
	gen_usage(argv[0], allow_sendto ? " [--sendto]" : NULL);
	exit(2);
}

/* 127.0.0.1:port or [::1]:port (port in host order). */
static inline socklen_t gen_loopback(struct sockaddr_storage *ss, int v6, unsigned int port)
{
	memset(ss, 0, sizeof(*ss));
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		s6->sin6_port = htons((uint16_t)port);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s4->sin_port = htons((uint16_t)port);
	return sizeof(*s4);
}

/*
 * A socket of type (SOCK_*, flags included) bound to a loopback port the
 * kernel picks, listening with backlog if it is > 0; its address in *ss and
 * *len. Returns the fd, or -1 after perror("<what>").
 */
static inline int gen_bound(int v6, int type, int backlog, struct sockaddr_storage *ss,
			    socklen_t *len, const char *what)
{
	int fd;

	*len = gen_loopback(ss, v6, 0);
	fd = socket(v6 ? AF_INET6 : AF_INET, type, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)ss, *len) ||
	    (backlog > 0 && listen(fd, backlog))) {
		perror(what);
		return -1;
	}
	*len = sizeof(*ss);
	if (getsockname(fd, (struct sockaddr *)ss, len)) {
		perror(what);
		return -1;
	}
	return fd;
}

/* Raise the soft RLIMIT_NOFILE to the hard limit (never above it). */
static inline rlim_t gen_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur;
}

static inline void gen_worker(const struct gen_opts *o, gen_setup_fn setup, gen_op_fn op,
			      int ready_fd, int go_fd, int res_fd, int index)
{
	struct gen_result r;
	uint64_t my_count = 0;
	double rate = o->rate / o->workers, t0, now, deadline;
	void *state;
	char b = 0;

	memset(&r, 0, sizeof(r));
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_TIMERSLACK, 1000UL);
	if (o->count) {
		my_count = o->count / (uint64_t)o->workers;
		if ((uint64_t)index < o->count % (uint64_t)o->workers)
			my_count++;
	}
	state = setup(o);
	if (!state)
		_exit(3);
	if (write(ready_fd, &b, 1) != 1)
		_exit(3);
	/* Start barrier: the parent closes go_fd's other end. */
	if (read(go_fd, &b, 1) < 0)
		_exit(3);

	t0 = now = gen_now();
	deadline = o->duration > 0 ? t0 + o->duration : 0;
	while (!my_count || r.ops + r.errors < my_count) {
		int err;

		if (rate > 0) {
			double due = t0 + (double)(r.ops + r.errors) / rate;

			if (due > now) {
				if (deadline && due >= deadline)
					break;
				gen_sleep_until(due);
			}
		}
		err = op(state);
		if (err) {
			if (!r.errors)
				r.first_errno = -err;
			r.errors++;
		} else {
			r.ops++;
		}
		now = gen_now();
		if (deadline && now >= deadline)
			break;
	}
	r.secs = now - t0;
	if (write(res_fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(3);
	_exit(0);
}

/* Runs the workers, prints the result line; returns the exit code. */
static inline int gen_run(const struct gen_opts *o, gen_setup_fn setup, gen_op_fn op)
{
	int ready[2], go[2], res[2], status, rc = 0;
	uint64_t ops = 0, errors = 0;
	double secs = 0;
	int first_errno = 0;
	pid_t pids[256];
	struct rusage ru;
	double cpu;
	char b;

	if (pipe(ready) || pipe(go) || pipe(res)) {
		perror("pipe");
		return 1;
	}
	for (int i = 0; i < o->workers; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("fork");
			return 1;
		}
		if (pids[i] == 0) {
			close(ready[0]);
			close(go[1]);
			close(res[0]);
			gen_worker(o, setup, op, ready[1], go[0], res[1], i);
		}
	}
	close(ready[1]);
	close(go[0]);
	close(res[1]);
	for (int i = 0; i < o->workers; i++) {
		if (read(ready[0], &b, 1) != 1) {
			fprintf(stderr, "%s: a worker failed to set up\n", o->name);
			rc = 1;
			break;
		}
	}
	close(go[1]); /* go */
	for (int i = 0; i < o->workers && !rc; i++) {
		struct gen_result r;

		if (read(res[0], &r, sizeof(r)) != (ssize_t)sizeof(r)) {
			fprintf(stderr, "%s: a worker died\n", o->name);
			rc = 1;
			break;
		}
		ops += r.ops;
		errors += r.errors;
		if (r.secs > secs)
			secs = r.secs;
		if (r.errors && !first_errno)
			first_errno = r.first_errno;
	}
	for (int i = 0; i < o->workers; i++) {
		if (rc)
			kill(pids[i], SIGKILL);
		waitpid(pids[i], &status, 0);
	}
	if (rc)
		return rc;
	/* CPU time of the workers (user + system, kernel-side tracer programs
	 * included): per operation it is insensitive to other load on the host.
	 */
	getrusage(RUSAGE_CHILDREN, &ru);
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	printf("{\"workload\":\"%s\",\"workers\":%d,\"ops\":%llu,\"secs\":%.6f,"
	       "\"ops_per_sec\":%.1f,\"errors\":%llu,\"first_error\":\"%s\",\"rate\":%.1f,"
	       "\"cpu_s\":%.6f}\n",
	       o->name, o->workers, (unsigned long long)ops, secs,
	       secs > 0 ? (double)ops / secs : 0.0, (unsigned long long)errors,
	       first_errno ? strerror(first_errno) : "", o->rate, cpu);
	fflush(stdout);
	if (errors && errors * 100 > ops + errors) {
		fprintf(stderr, "%s: %llu of %llu operations failed (first: %s)\n", o->name,
			(unsigned long long)errors, (unsigned long long)(ops + errors),
			strerror(first_errno));
		return 1;
	}
	return 0;
}

/* A generator's main(): the options (GEN_* flags), then the run. */
static inline int gen_main(int argc, char **argv, const char *name, int flags, gen_setup_fn setup,
			   gen_op_fn op)
{
	struct gen_opts o;

	gen_parse(argc, argv, &o, name, flags);
	return gen_run(&o, setup, op);
}

#endif
