/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the msgq selftests: the common fixture (a /dev/msgq handle and
 * unique mailbox names, unlinked in teardown) and small helpers to observe
 * blocked tasks, collect results from children and compare times.
 *
 * Include it once per test program, after nothing else: it defines
 * FIXTURE(msgq) with its setup and teardown.
 */
#ifndef MSGQ_TEST_UTIL_H
#define MSGQ_TEST_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * By path, not <msgq.h>: with -I uapi ahead of -I lib/include on the
 * command line, <msgq.h> would find the UAPI header instead.
 */
#include <msgq.h>

#include "kselftest_harness.h"

#define ptr_to_u64(p)	((__u64)(uintptr_t)(p))

/* ------------------------------------------------------------------ */
/* Time */

static inline uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* An absolute CLOCK_REALTIME time @ms milliseconds from now. */
static inline struct timespec realtime_in_ms(unsigned int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* ------------------------------------------------------------------ */
/* Memory shared with child processes */

static inline void *shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ------------------------------------------------------------------ */
/* Children */

/*
 * Wait up to @timeout_ms for child @pid; returns its exit status (0..255),
 * 256 + signal if it was killed, or -1 if it did not finish in time (it is
 * then killed and reaped).
 */
static inline int wait_child_ms(pid_t pid, int timeout_ms)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) +
		       (uint64_t)timeout_ms * 1000000ull;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ns(CLOCK_MONOTONIC) > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		sleep_ms(2);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 256 + WTERMSIG(status);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Observing a blocked task through /proc */

static inline pid_t sys_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* The state letter of /proc/<pid>/task/<tid>/stat, or 0. */
static inline char task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * The system call a task is blocked in, from /proc/<pid>/task/<tid>/syscall:
 * its number, -1 if the task is running or not in a system call, -2 if the
 * file cannot be read (kernel without it).
 */
static inline long task_syscall(pid_t pid, pid_t tid)
{
	char path[64], buf[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -2;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -2;
	buf[n] = '\0';
	if (buf[0] < '0' || buf[0] > '9')
		return -1;
	return strtol(buf, NULL, 10);
}

/*
 * libmsgq waits in ioctl(2), or in write(2) and read(2) for a msgq_send()
 * at priority 0 and a msgq_recv() that wants no priority: as @nr of
 * wait_blocked_in(), SYS_msgq_any stands for any of the three.
 */
#define SYS_msgq_any	(-100L)

static inline bool is_msgq_syscall(long sc)
{
	return sc == SYS_ioctl || sc == SYS_read || sc == SYS_write;
}

/*
 * Wait up to @timeout_ms until task @tid of process @pid is asleep
 * (interruptibly, state S) inside system call @nr (e.g. SYS_ioctl, or
 * SYS_msgq_any). This is how the tests tell "blocked in msgq" from "not yet
 * scheduled".
 */
static inline bool wait_blocked_in(pid_t pid, pid_t tid, long nr,
				   int timeout_ms)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) +
		       (uint64_t)timeout_ms * 1000000ull;

	do {
		if (task_state(pid, tid) == 'S') {
			long sc = task_syscall(pid, tid);

			if (sc == nr || sc == -2 ||
			    (nr == SYS_msgq_any && is_msgq_syscall(sc)))
				return true;
		}
		sleep_ms(1);
	} while (now_ns(CLOCK_MONOTONIC) < end);
	return false;
}

/* voluntary_ctxt_switches of a task: how often it went to sleep. */
static inline long task_nvcsw(pid_t pid, pid_t tid)
{
	char path[64], buf[4096], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "\nvoluntary_ctxt_switches:");
	if (!p)
		return -1;
	return strtol(p + strlen("\nvoluntary_ctxt_switches:"), NULL, 10);
}

/* ------------------------------------------------------------------ */
/* Live object counts: /sys/kernel/debug/msgq/stats */

#define MSGQ_STATS_PATH	"/sys/kernel/debug/msgq/stats"

/* The value of line "@key N" of the stats file, or -1 if unavailable. */
static inline long long msgq_stat(const char *key)
{
	char line[128];
	size_t klen = strlen(key);
	long long v = -1;
	FILE *f = fopen(MSGQ_STATS_PATH, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ' ') {
			v = strtoll(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* ------------------------------------------------------------------ */
/* Small wrappers */

/* depth of a mailbox, or -1 */
static inline long mbox_depth(int fd)
{
	struct msgq_attr a;

	if (msgq_getattr(fd, &a))
		return -1;
	return a.cur_msgs;
}

/* Fill @buf with a pattern derived from @seed, to check payloads. */
static inline void fill_pattern(void *buf, size_t len, unsigned int seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 131u + i * 7u + (i >> 8));
}

static inline bool check_pattern(const void *buf, size_t len,
				 unsigned int seed)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)(seed * 131u + i * 7u + (i >> 8)))
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* The fixture */

/*
 * Every test gets a device handle and names unique to its process and
 * test; teardown closes what the test left in @fd/@fd2 and unlinks every
 * name (ENOENT is fine: the test may have unlinked it already).
 */
FIXTURE(msgq) {
	int dev;			/* /dev/msgq */
	int fd;				/* the test's main mailbox, or -1 */
	int fd2;			/* a second handle, or -1 */
	char name[MSGQ_NAME_MAX + 1];	/* unique per test */
	char name2[MSGQ_NAME_MAX + 1];	/* a second unique name */
	char extra[MSGQ_NAME_MAX + 2];	/* test-built name, "" if unused */
};

FIXTURE_SETUP(msgq)
{
	self->dev = -1;
	self->fd = -1;
	self->fd2 = -1;
	/*
	 * SKIP(return) in a setup does not stop the 6.1 harness from running
	 * the test body; the test runs in a child of its own, and exit status
	 * 255 is what that harness reports as SKIP.
	 */
	if (access(MSGQ_DEVICE_PATH, F_OK))
		SKIP(_exit(255), "%s absent: msgq module not loaded",
		     MSGQ_DEVICE_PATH);
	self->dev = msgq_dev_open();
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", MSGQ_DEVICE_PATH,
				       strerror(errno));
	snprintf(self->name, sizeof(self->name), "msgqt-%d-%s",
		 (int)getpid(), _metadata->name);
	snprintf(self->name2, sizeof(self->name2), "msgqt-%d-%s-2",
		 (int)getpid(), _metadata->name);
	self->extra[0] = '\0';
}

FIXTURE_TEARDOWN(msgq)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->fd2 >= 0)
		close(self->fd2);
	if (self->dev < 0)
		return;
	msgq_unlink_at(self->dev, self->name);
	msgq_unlink_at(self->dev, self->name2);
	if (self->extra[0])
		msgq_unlink_at(self->dev, self->extra);
	close(self->dev);
}

/*
 * Note for loops and ifs around ASSERT_*()/EXPECT_*(): the harness's
 * macros expand to two statements (the check, then the TH_LOG handler), so
 * such bodies always take braces, whatever checkpatch says.
 */

/* Create the test's main mailbox, read-write, exclusive. */
#define MBOX_CREATE(max_msgs, max_msgsize) do {				\
	self->fd = msgq_create_at(self->dev, self->name,		\
				  MSGQ_O_RDWR | MSGQ_O_EXCL |		\
				  MSGQ_O_CLOEXEC, 0600,			\
				  (max_msgs), (max_msgsize));		\
	ASSERT_LE(0, self->fd) TH_LOG("create %s: %s", self->name,	\
				      strerror(errno));			\
} while (0)

/* Assert that @expr fails with -1 and errno @err. */
#define ASSERT_ERRNO(err, expr) do {					\
	errno = 0;							\
	long __r = (long)(expr);					\
	int __e = errno;						\
	ASSERT_EQ(-1, __r) TH_LOG("%s succeeded (%ld), expected %s",	\
				  #expr, __r, strerror(err));		\
	ASSERT_EQ((err), __e) TH_LOG("%s: %s, expected %s", #expr,	\
				     strerror(__e), strerror(err));	\
} while (0)

#endif /* MSGQ_TEST_UTIL_H */
