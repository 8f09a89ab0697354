// SPDX-License-Identifier: GPL-2.0
/*
 * msgq-bench: the processes of a two-process figure. The children are
 * forked (pinned, SCHED_BATCH) and wait on a futex; run_window() releases
 * them, lets them run for --warm ms, reads the shared progress counters,
 * sleeps --window ms, reads them again, and kills the children. The figure
 * is the progress in that window, so no per-message clock reads and no
 * start-up or shut-down transient.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct shm *sh;
long ncpu;

static pid_t kids[MAX_CHILDREN];
static int nkids;

void shm_map(void)
{
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap: %s", strerror(errno));
}

/* A child reports a failure and stops. */
void child_fail(const char *what, int e)
{
	/* what first, then err: the parent kills every child on err */
	if (!__atomic_exchange_n(&sh->err_claim, 1, __ATOMIC_SEQ_CST)) {
		sh->err_errno = e;
		snprintf(sh->what, sizeof(sh->what), "%s", what);
		__atomic_store_n(&sh->err, 1, __ATOMIC_RELEASE);
	}
	_exit(1);
}

void count_set(int slot, unsigned long n)
{
	__atomic_store_n(&sh->count[slot].n, n, __ATOMIC_RELAXED);
}

static unsigned long count_sum(int n)
{
	unsigned long s = 0;
	int i;

	for (i = 0; i < n; i++)
		s += __atomic_load_n(&sh->count[i].n, __ATOMIC_RELAXED);
	return s;
}

/* Wait for the parent's go. */
void child_wait_go(void)
{
	__atomic_fetch_add(&sh->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE))
		futex(&sh->go, FUTEX_WAIT, 0);
}

void reset_shm(bool multi_reader)
{
	pthread_mutexattr_t a;

	memset(sh, 0, sizeof(*sh));
	if (multi_reader) {
		pthread_mutexattr_init(&a);
		pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
		pthread_mutex_init(&sh->rlock, &a);
		pthread_mutexattr_destroy(&a);
	}
	nkids = 0;
}

/* Fork a child running @fn(@j), pinned to vCPU @cpu (modulo the count). */
void spawn(void (*fn)(const struct job *), const struct job *j, int cpu)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		struct sched_param sp = { 0 };

		/*
		 * No wakeup preemption: a woken receiver waits for the
		 * sender to block or use up its slice, instead of a
		 * context switch per message whenever the scheduler's
		 * vruntime arithmetic says so (which, emulated, flips
		 * between runs). Same for every mechanism.
		 */
		if (opt.batch_sched)
			sched_setscheduler(0, SCHED_BATCH, &sp);
		if (opt.pin && ncpu > 1) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(cpu % ncpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
		fn(j);
		_exit(0);
	}
	kids[nkids++] = pid;
}

/* --diag: context switches and CPU time of the children */
struct pstat {
	long vcsw, ivcsw;
	long ticks;	/* utime + stime */
};

/* /proc/@pid/@file into @buf (empty when unreadable) */
static void read_proc(pid_t pid, const char *file, char *buf, size_t size)
{
	char path[64];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = 0;
}

static void read_pstat(pid_t pid, struct pstat *ps)
{
	char buf[4096], *p;
	int i;

	memset(ps, 0, sizeof(*ps));
	read_proc(pid, "status", buf, sizeof(buf));
	p = strstr(buf, "\nvoluntary_ctxt_switches:");
	if (p)
		ps->vcsw = strtol(p + 25, NULL, 10);
	p = strstr(buf, "\nnonvoluntary_ctxt_switches:");
	if (p)
		ps->ivcsw = strtol(p + 28, NULL, 10);
	read_proc(pid, "stat", buf, sizeof(buf));
	p = strrchr(buf, ')');
	/* fields after ")": state is 3; utime 14, stime 15 */
	for (i = 3; p && i < 14; i++)
		p = strchr(p + 1, ' ');
	if (p)
		ps->ticks = strtol(p + 1, &p, 10);
	if (p)
		ps->ticks += strtol(p + 1, NULL, 10);
}

const char *diag_fig;
const struct mech *diag_mech;

/* Per message over the window: the children's sleeps, preemptions, CPU */
static void print_diag(const struct pstat *pa, unsigned long n, double dt)
{
	struct pstat pb;
	long v = 0, iv = 0, tk = 0;
	int i;

	for (i = 0; i < nkids; i++) {
		read_pstat(kids[i], &pb);
		v += pb.vcsw - pa[i].vcsw;
		iv += pb.ivcsw - pa[i].ivcsw;
		tk += pb.ticks - pa[i].ticks;
	}
	printf("diag %-12s %-14s %8.0f/s  per message: sleeps %.3f, "
	       "preemptions %.3f, cpu %.2f us; cpus busy %.2f\n",
	       diag_fig, diag_mech->name, n / dt, (double)v / n,
	       (double)iv / n, tk * 1e6 / sysconf(_SC_CLK_TCK) / n,
	       tk / (double)sysconf(_SC_CLK_TCK) / dt);
}

/*
 * Release the children, measure the progress of counter slots 0..nslots-1
 * over the window, kill them. Returns progress per second, or NAN (with
 * sh->err set) when a child failed.
 */
/* Once every child waits (or 30 s), release them all */
static void release(void)
{
	double dl = now_s() + 30;

	while (__atomic_load_n(&sh->ready, __ATOMIC_SEQ_CST) < nkids &&
	       !sh->err && now_s() < dl)
		sleep_s(0.0005);
	__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
	futex(&sh->go, FUTEX_WAKE, INT32_MAX);
}

static void kill_children(void)
{
	int i;

	for (i = 0; i < nkids; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < nkids; i++)
		waitpid(kids[i], NULL, 0);
}

double run_window(int nslots)
{
	struct pstat pa[MAX_CHILDREN];
	double ta, tb;
	unsigned long c0, c1;
	int i;

	release();
	sleep_s(opt.warm_ms / 1000.0);
	if (opt.diag)
		for (i = 0; i < nkids; i++)
			read_pstat(kids[i], &pa[i]);
	c0 = count_sum(nslots);
	ta = now_s();
	sleep_s(opt.window_ms / 1000.0);
	c1 = count_sum(nslots);
	tb = now_s();
	/* A short window may see nothing of a slow case (64 KiB batches) */
	while (c1 == c0 && !sh->err && tb - ta < 10) {
		sleep_s(0.01);
		c1 = count_sum(nslots);
		tb = now_s();
	}
	if (opt.diag && c1 > c0)
		print_diag(pa, c1 - c0, tb - ta);
	kill_children();
	if (sh->err)
		return NAN;
	if (c1 == c0) {
		snprintf(sh->what, sizeof(sh->what),
			 "no progress in %.1f s", tb - ta);
		sh->err = 1;
		return NAN;
	}
	return (double)(c1 - c0) / (tb - ta);
}

/* The first value of counter @slot after @from, and when seen (*@t) */
static unsigned long next_step(int slot, unsigned long from, double *t)
{
	double dl = now_s() + 10;
	unsigned long c;

	do {
		sleep_s(0.0002);
		c = __atomic_load_n(&sh->count[slot].n, __ATOMIC_RELAXED);
		*t = now_s();
	} while (c == from && !sh->err && *t < dl);
	return c;
}

/*
 * run_window() for a figure whose counter @slot moves in big steps (a
 * payload of many MiB each): after --warm ms, the window runs from a step
 * of the counter to the first step at least @window_s later, each seen by
 * polling it every 0.2 ms, so it is not off by a fraction of a step.
 * Returns steps per second, or NAN (with sh->err set).
 */
double run_window_steps(int slot, double window_s)
{
	unsigned long c0, c1;
	double ta, tb;

	release();
	sleep_s(opt.warm_ms / 1000.0);
	c0 = __atomic_load_n(&sh->count[slot].n, __ATOMIC_RELAXED);
	c0 = next_step(slot, c0, &ta);
	c1 = next_step(slot, c0, &tb);
	while (!sh->err && c1 != c0 && tb - ta < window_s)
		c1 = next_step(slot, c1, &tb);
	kill_children();
	if (sh->err)
		return NAN;
	if (c1 == c0) {
		snprintf(sh->what, sizeof(sh->what),
			 "no progress in %.1f s", tb - ta);
		sh->err = 1;
		return NAN;
	}
	return (double)(c1 - c0) / (tb - ta);
}
