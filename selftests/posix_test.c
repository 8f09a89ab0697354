// SPDX-License-Identifier: GPL-2.0
/*
 * The <mqueue.h> API, one test per assertion of POSIX.1-2017's pages
 * (each mq_* page's DESCRIPTION, RETURN VALUE and ERRORS), and of what
 * Linux's mq_*(3) pages add where POSIX leaves a choice ("Linux:" below).
 *
 * Built twice from this one source (selftests/Makefile):
 *   posix_test        against glibc's mq_* (-lrt): Linux's own mqueue, the
 *                     reference; every test passes there
 *   posix_test-msgq   against libmsgq-posix.a (-DPOSIX_TEST_MSGQ): the same
 *                     calls on msgq mailboxes
 * The two differ only in the "backend" tests (where a queue lives) and in
 * how ENOSPC's namespace limit is set up. A test that fails on msgq alone
 * is a difference msgq-posix(7) must name, or a bug.
 *
 * Needs the kernel of issue 16 on msgq (MSGQ_IOC_NOTIFY and priorities up
 * to 32767): every mq_notify test, and mq_send's prio_* tests above 63.
 * Against an older module those fail with ENOSYS and EINVAL, and say so.
 * Runs as root (tests of permissions drop to uid 65534 in a child).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#ifdef POSIX_TEST_MSGQ
#define BACKEND		"msgq"
#else
#define BACKEND		"mqueue"
#endif

/* What a failure of a test that needs the issue-16 kernel says. */
#define KERNEL16	"(on msgq: needs the module of issue 16)"

#define NOBODY		65534

/* ------------------------------------------------------------------ */
/* Helpers */

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* An absolute CLOCK_REALTIME time @ms from now (negative: in the past) */
static struct timespec realtime_in_ms(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	} else if (ts.tv_nsec < 0) {
		ts.tv_sec--;
		ts.tv_nsec += 1000000000L;
	}
	return ts;
}

/* A queue name of this process, unique per @tag */
static void make_name(char *buf, size_t size, const char *tag)
{
	static unsigned int seq;

	snprintf(buf, size, "/posix_test-%s-%d-%u", tag, getpid(), seq++);
}

/* Create @name (O_EXCL) with @oflag's access and flags, @maxmsg x @msgsize */
static mqd_t create_q(const char *name, int oflag, long maxmsg, long msgsize)
{
	struct mq_attr a = { .mq_maxmsg = maxmsg, .mq_msgsize = msgsize };

	return mq_open(name, oflag | O_CREAT | O_EXCL, 0600, &a);
}

/* Run @fn(@arg) in a child, as uid/gid 65534 if @nobody; its exit status */
static int in_child(int (*fn)(void *), void *arg, bool nobody)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (!pid) {
		if (nobody && (setgroups(0, NULL) || setgid(NOBODY) ||
			       setuid(NOBODY)))
			_exit(200);
		_exit(fn(arg));
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* errno of a failed call, 0 for success: what a child reports */
#define ERRNO_OF(expr)	((expr) == -1 ? errno : 0)

/* Is thread @tid of this process asleep (in a wait)? */
static bool task_sleeping(pid_t tid)
{
	char path[64], buf[256], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	return p && p[1] == ' ' && p[2] == 'S';
}

/* Wait until thread @tid sleeps, up to 2 s */
static bool wait_sleeping(pid_t tid)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (task_sleeping(tid))
			return true;
		sleep_ms(10);
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* A child process that keeps a descriptor, for the tests of two processes */

struct kid {
	pid_t pid;
	int cmd;	/* to the child: one byte per command; EOF ends it */
	int res;	/* from the child: one int per command */
};

enum kid_cmd { KID_NOTIFY_NONE = 'n', KID_NOTIFY_REMOVE = 'r',
	       KID_SEND = 's' };

static void kid_main(const char *name, int cmd, int res)
{
	mqd_t q = mq_open(name, O_RDWR);
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	char c;
	int r;

	while (read(cmd, &c, 1) == 1) {
		switch (c) {
		case KID_NOTIFY_NONE:
			r = ERRNO_OF(mq_notify(q, &sev));
			break;
		case KID_NOTIFY_REMOVE:
			r = ERRNO_OF(mq_notify(q, NULL));
			break;
		case KID_SEND:
			r = ERRNO_OF(mq_send(q, "kid", 3, 0));
			break;
		default:
			r = EINVAL;
		}
		if (q == (mqd_t)-1)
			r = 250;
		if (write(res, &r, sizeof(r)) != sizeof(r))
			break;
	}
	_exit(0);
}

static int kid_start(struct kid *k, const char *name)
{
	int to[2], from[2];

	if (pipe(to) || pipe(from))
		return -1;
	k->pid = fork();
	if (k->pid < 0)
		return -1;
	if (!k->pid) {
		close(to[1]);
		close(from[0]);
		kid_main(name, to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	k->cmd = to[1];
	k->res = from[0];
	return 0;
}

/* Have the child do @c: its errno, 0 on success, -1 if it is gone */
static int kid_do(struct kid *k, enum kid_cmd c)
{
	char b = (char)c;
	int r;

	if (write(k->cmd, &b, 1) != 1 || read(k->res, &r, sizeof(r)) != sizeof(r))
		return -1;
	return r;
}

static void kid_stop(struct kid *k)
{
	if (k->pid <= 0)
		return;
	close(k->cmd);
	close(k->res);
	waitpid(k->pid, NULL, 0);
	k->pid = 0;
}

/* ------------------------------------------------------------------ */
/* Fixtures: one per page, each with a name and two descriptors */

struct mqt {
	char name[64];
	mqd_t q, q2;
	struct kid kid;
};

static void mqt_setup(struct mqt *t)
{
	make_name(t->name, sizeof(t->name), "q");
	t->q = t->q2 = (mqd_t)-1;
	t->kid.pid = 0;
}

static void mqt_teardown(struct mqt *t)
{
	kid_stop(&t->kid);
	if (t->q != (mqd_t)-1)
		mq_close(t->q);
	if (t->q2 != (mqd_t)-1)
		mq_close(t->q2);
	mq_unlink(t->name);
}

#define MQ_FIXTURE(f)							\
	FIXTURE(f) { struct mqt t; };					\
	FIXTURE_SETUP(f) { mqt_setup(&self->t); }			\
	FIXTURE_TEARDOWN(f) { mqt_teardown(&self->t); }

MQ_FIXTURE(mq_open)
MQ_FIXTURE(mq_close)
MQ_FIXTURE(mq_unlink)
MQ_FIXTURE(mq_send)
MQ_FIXTURE(mq_timedsend)
MQ_FIXTURE(mq_receive)
MQ_FIXTURE(mq_timedreceive)
MQ_FIXTURE(mq_getattr)
MQ_FIXTURE(mq_setattr)
MQ_FIXTURE(mq_notify)
MQ_FIXTURE(backend)

/* The fixture's queue: @maxmsg x @msgsize, O_RDWR and @oflag */
#define CREATE(oflag, maxmsg, msgsize) do {				\
	self->t.q = create_q(self->t.name, O_RDWR | (oflag), maxmsg, msgsize); \
	ASSERT_NE((mqd_t)-1, self->t.q) TH_LOG("mq_open: %s", strerror(errno)); \
} while (0)

/* @expr fails with @err */
#define ASSERT_ERRNO(err, expr) do {					\
	long r_;							\
	int e_;								\
	errno = 0;							\
	r_ = (long)(expr);						\
	e_ = errno;							\
	ASSERT_EQ(-1, r_) TH_LOG("%s succeeded, expected %s", #expr,	\
				 strerror(err));			\
	ASSERT_EQ((err), e_) TH_LOG("%s: %s, expected %s", #expr,	\
				    strerror(e_), strerror(err));	\
} while (0)

/* @expr returns 0 */
#define ASSERT_OK(expr)							\
	ASSERT_EQ(0, (expr)) TH_LOG("%s: %s", #expr, strerror(errno))

/* ... where msgq needs the module of issue 16 for it */
#define ASSERT_OK_K16(expr)						\
	ASSERT_EQ(0, (expr)) TH_LOG("%s: %s %s", #expr, strerror(errno), \
				    KERNEL16)

/* Send @s at @prio on the fixture's queue */
#define SEND(s, prio)	ASSERT_OK(mq_send(self->t.q, s, strlen(s), prio))

/* Receive on @q into a buffer of @msgsize; expect @s at @prio */
#define RECV_EXPECT(q, msgsize, s, prio) do {				\
	char b_[msgsize];						\
	unsigned int p_ = ~0U;						\
	ssize_t n_ = mq_receive(q, b_, sizeof(b_), &p_);		\
	ASSERT_EQ((ssize_t)strlen(s), n_) TH_LOG("mq_receive: %s",	\
						 strerror(errno));	\
	ASSERT_EQ(0, memcmp(b_, s, strlen(s)));				\
	ASSERT_EQ((unsigned int)(prio), p_);				\
} while (0)

static long curmsgs(mqd_t q)
{
	struct mq_attr a;

	return mq_getattr(q, &a) ? -1 : a.mq_curmsgs;
}

/* ------------------------------------------------------------------ */
/* mq_open */

/* RETURN VALUE: a message queue descriptor, usable at once */
TEST_F(mq_open, returns_descriptor)
{
	struct mq_attr a;

	CREATE(0, 4, 32);
	ASSERT_OK(mq_getattr(self->t.q, &a));
}

/* Without O_CREAT: the existing queue, through a new descriptor */
TEST_F(mq_open, opens_existing_queue)
{
	CREATE(0, 4, 32);
	self->t.q2 = mq_open(self->t.name, O_RDONLY);
	ASSERT_NE((mqd_t)-1, self->t.q2) TH_LOG("%s", strerror(errno));
	ASSERT_NE(self->t.q, self->t.q2);
	SEND("shared", 1);
	RECV_EXPECT(self->t.q2, 32, "shared", 1);
}

/* O_CREAT without O_EXCL on an existing queue: opened, attr ignored */
TEST_F(mq_open, creat_existing_ignores_attr)
{
	struct mq_attr a = { .mq_maxmsg = 9, .mq_msgsize = 99 };

	CREATE(0, 4, 32);
	self->t.q2 = mq_open(self->t.name, O_RDWR | O_CREAT, 0600, &a);
	ASSERT_NE((mqd_t)-1, self->t.q2) TH_LOG("%s", strerror(errno));
	ASSERT_OK(mq_getattr(self->t.q2, &a));
	EXPECT_EQ(4, a.mq_maxmsg);
	EXPECT_EQ(32, a.mq_msgsize);
}

/* ... even attributes that would be refused for a new queue (Linux) */
TEST_F(mq_open, creat_existing_ignores_bad_attr)
{
	struct mq_attr a = { .mq_maxmsg = 0, .mq_msgsize = -1 };

	CREATE(0, 4, 32);
	self->t.q2 = mq_open(self->t.name, O_RDWR | O_CREAT, 0600, &a);
	ASSERT_NE((mqd_t)-1, self->t.q2) TH_LOG("%s", strerror(errno));
}

/* attr NULL: implementation-defined defaults, usable */
TEST_F(mq_open, null_attr_defaults)
{
	struct mq_attr a;

	self->t.q = mq_open(self->t.name, O_RDWR | O_CREAT | O_EXCL, 0600,
			    NULL);
	ASSERT_NE((mqd_t)-1, self->t.q) TH_LOG("%s", strerror(errno));
	ASSERT_OK(mq_getattr(self->t.q, &a));
	EXPECT_LT(0, a.mq_maxmsg);
	EXPECT_LT(0, a.mq_msgsize);
	EXPECT_EQ(0, a.mq_curmsgs);
}

/* attr given: the queue has its mq_maxmsg and mq_msgsize */
TEST_F(mq_open, attr_sets_limits)
{
	struct mq_attr a;

	CREATE(0, 3, 77);
	ASSERT_OK(mq_getattr(self->t.q, &a));
	EXPECT_EQ(3, a.mq_maxmsg);
	EXPECT_EQ(77, a.mq_msgsize);
}

/* O_RDONLY: receive only; a send is EBADF */
TEST_F(mq_open, rdonly_receives_only)
{
	CREATE(0, 4, 32);
	self->t.q2 = mq_open(self->t.name, O_RDONLY);
	ASSERT_NE((mqd_t)-1, self->t.q2);
	ASSERT_ERRNO(EBADF, mq_send(self->t.q2, "x", 1, 0));
	SEND("x", 0);
	RECV_EXPECT(self->t.q2, 32, "x", 0);
}

/* O_WRONLY: send only; a receive is EBADF */
TEST_F(mq_open, wronly_sends_only)
{
	char buf[32];

	CREATE(0, 4, 32);
	self->t.q2 = mq_open(self->t.name, O_WRONLY);
	ASSERT_NE((mqd_t)-1, self->t.q2);
	ASSERT_OK(mq_send(self->t.q2, "x", 1, 0));
	ASSERT_ERRNO(EBADF, mq_receive(self->t.q2, buf, sizeof(buf), NULL));
	RECV_EXPECT(self->t.q, 32, "x", 0);
}

/* O_NONBLOCK: the description is non-blocking */
TEST_F(mq_open, nonblock)
{
	struct mq_attr a;
	char buf[32];

	CREATE(O_NONBLOCK, 4, 32);
	ASSERT_OK(mq_getattr(self->t.q, &a));
	EXPECT_EQ(O_NONBLOCK, a.mq_flags & O_NONBLOCK);
	ASSERT_ERRNO(EAGAIN, mq_receive(self->t.q, buf, sizeof(buf), NULL));
}

static const char *child_name;

static int open_rdonly(void *arg)
{
	return ERRNO_OF(mq_open(child_name, O_RDONLY));
}

static int open_wronly(void *arg)
{
	return ERRNO_OF(mq_open(child_name, O_WRONLY));
}

static int open_rdwr(void *arg)
{
	return ERRNO_OF(mq_open(child_name, O_RDWR));
}

/* EACCES: the queue exists and oflag's permissions are denied */
TEST_F(mq_open, eacces_permission_denied)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 32 };

	if (geteuid())
		SKIP(return, "needs root, to drop to another uid");
	umask(0);
	self->t.q = mq_open(self->t.name, O_RDWR | O_CREAT | O_EXCL, 0602, &a);
	ASSERT_NE((mqd_t)-1, self->t.q);
	child_name = self->t.name;
	EXPECT_EQ(EACCES, in_child(open_rdonly, NULL, true));
	EXPECT_EQ(EACCES, in_child(open_rdwr, NULL, true));
	EXPECT_EQ(0, in_child(open_wronly, NULL, true));
}

/* EACCES on Linux: a name with a second slash */
TEST_F(mq_open, eacces_second_slash)
{
	ASSERT_ERRNO(EACCES, mq_open("/posix_test/x", O_RDWR | O_CREAT, 0600,
				     NULL));
}

/* EEXIST: O_CREAT and O_EXCL, and the queue exists */
TEST_F(mq_open, eexist)
{
	CREATE(0, 4, 32);
	ASSERT_ERRNO(EEXIST, create_q(self->t.name, O_RDWR, 4, 32));
}

/* EINVAL on Linux: a name without the leading slash */
TEST_F(mq_open, einval_no_leading_slash)
{
	ASSERT_ERRNO(EINVAL, mq_open(self->t.name + 1, O_RDWR | O_CREAT, 0600,
				     NULL));
}

/* EINVAL: O_CREAT and attr with mq_maxmsg <= 0 */
TEST_F(mq_open, einval_maxmsg_not_positive)
{
	ASSERT_ERRNO(EINVAL, create_q(self->t.name, O_RDWR, 0, 32));
	ASSERT_ERRNO(EINVAL, create_q(self->t.name, O_RDWR, -1, 32));
	ASSERT_ERRNO(ENOENT, mq_open(self->t.name, O_RDWR));
}

/* EINVAL: O_CREAT and attr with mq_msgsize <= 0 */
TEST_F(mq_open, einval_msgsize_not_positive)
{
	ASSERT_ERRNO(EINVAL, create_q(self->t.name, O_RDWR, 4, 0));
	ASSERT_ERRNO(EINVAL, create_q(self->t.name, O_RDWR, 4, -1));
	ASSERT_ERRNO(ENOENT, mq_open(self->t.name, O_RDWR));
}

/* EINVAL on Linux: attr beyond the system's limits (even for root) */
TEST_F(mq_open, einval_beyond_limits)
{
	ASSERT_ERRNO(EINVAL, create_q(self->t.name, O_RDWR, 1L << 20, 32));
	ASSERT_ERRNO(EINVAL, create_q(self->t.name, O_RDWR, 4, 1L << 26));
}

/* EINVAL on Linux: O_WRONLY | O_RDWR, opening an existing queue */
TEST_F(mq_open, einval_both_access_modes)
{
	CREATE(0, 4, 32);
	ASSERT_ERRNO(EINVAL, mq_open(self->t.name, O_WRONLY | O_RDWR));
}

static int fill_fd_table(void *arg)
{
	struct rlimit rl = { 16, 16 };
	int i, err = 0;

	if (setrlimit(RLIMIT_NOFILE, &rl))
		return 201;
	for (i = 0; i < 32 && !err; i++) {
		char name[64];

		make_name(name, sizeof(name), "emfile");
		err = ERRNO_OF(create_q(name, O_RDWR, 1, 8));
		mq_unlink(name);
	}
	return err;
}

/* EMFILE: too many descriptors in use by this process */
TEST_F(mq_open, emfile)
{
	EXPECT_EQ(EMFILE, in_child(fill_fd_table, NULL, false));
}

/* A name of NAME_MAX bytes after the slash is one */
TEST_F(mq_open, name_max_bytes)
{
	char name[NAME_MAX + 2];

	int len = snprintf(name, sizeof(name), "/%d-", getpid());

	memset(name + len, 'n', NAME_MAX + 1 - len);
	name[NAME_MAX + 1] = '\0';
	self->t.q = create_q(name, O_RDWR, 4, 32);
	ASSERT_NE((mqd_t)-1, self->t.q) TH_LOG("%s", strerror(errno));
	ASSERT_OK(mq_unlink(name));
}

/* ENAMETOOLONG: a name longer than NAME_MAX */
TEST_F(mq_open, enametoolong)
{
	char name[NAME_MAX + 3];

	memset(name, 'n', sizeof(name));
	name[0] = '/';
	name[NAME_MAX + 2] = '\0';
	ASSERT_ERRNO(ENAMETOOLONG, create_q(name, O_RDWR, 4, 32));
}

/* ENOENT: no O_CREAT, and no such queue */
TEST_F(mq_open, enoent)
{
	ASSERT_ERRNO(ENOENT, mq_open(self->t.name, O_RDWR));
}

/* ENOENT on Linux: the name "/" alone */
TEST_F(mq_open, enoent_slash_alone)
{
	ASSERT_ERRNO(ENOENT, mq_open("/", O_RDWR | O_CREAT, 0600, NULL));
}

/*
 * The namespace's limit on queues: 0 for this test. Linux: queues_max in
 * a new IPC namespace; msgq: the module's max_mailboxes (every namespace's
 * limit), put back by limit_restore().
 */
#ifdef POSIX_TEST_MSGQ
#define LIMIT_FILE	"/sys/module/msgq/parameters/max_mailboxes"
#else
#define LIMIT_FILE	"/proc/sys/fs/mqueue/queues_max"
#endif

static char limit_saved[32];

static int write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fputs(s, f) >= 0;
	return fclose(f) || !ok ? -1 : 0;
}

static int limit_zero(void)
{
	FILE *f = fopen(LIMIT_FILE, "r");

	if (!f || !fgets(limit_saved, sizeof(limit_saved), f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	return write_file(LIMIT_FILE, "0");
}

#ifdef POSIX_TEST_MSGQ
static void limit_restore(void)
{
	if (limit_saved[0])
		write_file(LIMIT_FILE, limit_saved);
}
#endif

static int create_in_new_ns(void *arg)
{
	char name[64];
	mqd_t q;
	int err;

	make_name(name, sizeof(name), "enospc");
	q = create_q(name, O_RDWR, 4, 32);
	err = ERRNO_OF(q);
	if (q != (mqd_t)-1)
		mq_unlink(name);
	return err;
}

/* ENOSPC: no room for another queue (and no CAP_SYS_RESOURCE) */
TEST_F(mq_open, enospc)
{
	pid_t pid;
	int st;

	if (geteuid())
		SKIP(return, "needs root: a namespace of its own, a limit");
#ifdef POSIX_TEST_MSGQ
	/* Every namespace's limit, but only the child's new one is empty. */
	if (limit_zero())
		SKIP(return, "cannot set %s", LIMIT_FILE);
#endif
	pid = fork();
	if (!pid) {
		if (unshare(CLONE_NEWIPC))
			_exit(202);
#ifndef POSIX_TEST_MSGQ
		if (limit_zero())
			_exit(203);
#endif
		_exit(in_child(create_in_new_ns, NULL, true));
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
#ifdef POSIX_TEST_MSGQ
	limit_restore();
#endif
	ASSERT_LE(0, pid);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(ENOSPC, WEXITSTATUS(st));
}

/* Linux: a descriptor is close-on-exec */
TEST_F(mq_open, descriptor_close_on_exec)
{
	CREATE(0, 4, 32);
	ASSERT_EQ(FD_CLOEXEC, fcntl(self->t.q, F_GETFD) & FD_CLOEXEC);
}

/* Linux: mqd_t is a file descriptor that poll(2) takes */
TEST_F(mq_open, descriptor_polls)
{
	struct pollfd p;

	CREATE(0, 1, 32);
	p = (struct pollfd){ .fd = self->t.q, .events = POLLIN | POLLOUT };
	ASSERT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLOUT, p.revents);
	SEND("x", 0);
	ASSERT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLIN, p.revents);
}

/* ------------------------------------------------------------------ */
/* mq_close */

/* RETURN VALUE: 0; the descriptor is no longer valid */
TEST_F(mq_close, returns_zero_descriptor_gone)
{
	CREATE(0, 4, 32);
	ASSERT_OK(mq_close(self->t.q));
	ASSERT_ERRNO(EBADF, mq_send(self->t.q, "x", 1, 0));
	self->t.q = (mqd_t)-1;
}

/* The queue outlives the descriptor, messages and all */
TEST_F(mq_close, queue_and_messages_remain)
{
	CREATE(0, 4, 32);
	SEND("kept", 3);
	ASSERT_OK(mq_close(self->t.q));
	self->t.q = mq_open(self->t.name, O_RDWR);
	ASSERT_NE((mqd_t)-1, self->t.q);
	RECV_EXPECT(self->t.q, 32, "kept", 3);
}

/* EBADF: not a valid descriptor */
TEST_F(mq_close, ebadf)
{
	CREATE(0, 4, 32);
	ASSERT_OK(mq_close(self->t.q));
	ASSERT_ERRNO(EBADF, mq_close(self->t.q));
	self->t.q = (mqd_t)-1;
}

/* The process's notification request goes with the descriptor */
TEST_F(mq_close, removes_notification)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };

	CREATE(0, 4, 32);
	ASSERT_OK_K16(mq_notify(self->t.q, &sev));
	ASSERT_OK(mq_close(self->t.q));
	self->t.q = (mqd_t)-1;
	ASSERT_OK(kid_start(&self->t.kid, self->t.name));
	EXPECT_EQ(0, kid_do(&self->t.kid, KID_NOTIFY_NONE));
}

/* ------------------------------------------------------------------ */
/* mq_unlink */

/* RETURN VALUE: 0; the name is gone */
TEST_F(mq_unlink, returns_zero_name_gone)
{
	CREATE(0, 4, 32);
	ASSERT_OK(mq_unlink(self->t.name));
	ASSERT_ERRNO(ENOENT, mq_open(self->t.name, O_RDWR));
}

/* Open descriptors work on after the unlink */
TEST_F(mq_unlink, descriptors_keep_working)
{
	CREATE(0, 4, 32);
	self->t.q2 = mq_open(self->t.name, O_RDWR);
	ASSERT_NE((mqd_t)-1, self->t.q2);
	ASSERT_OK(mq_unlink(self->t.name));
	SEND("after", 2);
	RECV_EXPECT(self->t.q2, 32, "after", 2);
}

/* The name can be used again at once: a new queue, not the old one */
TEST_F(mq_unlink, name_reusable_while_open)
{
	CREATE(0, 4, 32);
	SEND("old", 0);
	ASSERT_OK(mq_unlink(self->t.name));
	self->t.q2 = create_q(self->t.name, O_RDWR, 4, 32);
	ASSERT_NE((mqd_t)-1, self->t.q2) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, curmsgs(self->t.q2));
	EXPECT_EQ(1, curmsgs(self->t.q));
}

static int unlink_it(void *arg)
{
	return ERRNO_OF(mq_unlink(child_name));
}

/* EACCES: permission denied to unlink another user's queue */
TEST_F(mq_unlink, eacces)
{
	if (geteuid())
		SKIP(return, "needs root, to drop to another uid");
	self->t.q = create_q(self->t.name, O_RDWR, 4, 32);
	ASSERT_NE((mqd_t)-1, self->t.q);
	child_name = self->t.name;
	EXPECT_EQ(EACCES, in_child(unlink_it, NULL, true));
}

/* ENAMETOOLONG */
TEST_F(mq_unlink, enametoolong)
{
	char name[NAME_MAX + 3];

	memset(name, 'n', sizeof(name));
	name[0] = '/';
	name[NAME_MAX + 2] = '\0';
	ASSERT_ERRNO(ENAMETOOLONG, mq_unlink(name));
}

/* ENOENT: no such queue */
TEST_F(mq_unlink, enoent)
{
	ASSERT_ERRNO(ENOENT, mq_unlink(self->t.name));
}

/* ------------------------------------------------------------------ */
/* mq_send */

/* RETURN VALUE: 0, and the message is queued as sent */
TEST_F(mq_send, returns_zero)
{
	CREATE(0, 4, 32);
	ASSERT_EQ(0, mq_send(self->t.q, "hello", 5, 0));
	EXPECT_EQ(1, curmsgs(self->t.q));
	RECV_EXPECT(self->t.q, 32, "hello", 0);
}

/* A larger msg_prio goes ahead of smaller ones */
TEST_F(mq_send, priority_order)
{
	CREATE(0, 8, 32);
	SEND("one", 1);
	SEND("five", 5);
	SEND("three", 3);
	SEND("zero", 0);
	RECV_EXPECT(self->t.q, 32, "five", 5);
	RECV_EXPECT(self->t.q, 32, "three", 3);
	RECV_EXPECT(self->t.q, 32, "one", 1);
	RECV_EXPECT(self->t.q, 32, "zero", 0);
}

/* ... and after those of equal msg_prio */
TEST_F(mq_send, fifo_within_priority)
{
	CREATE(0, 8, 32);
	SEND("a", 2);
	SEND("b", 2);
	SEND("hi", 7);
	SEND("c", 2);
	RECV_EXPECT(self->t.q, 32, "hi", 7);
	RECV_EXPECT(self->t.q, 32, "a", 2);
	RECV_EXPECT(self->t.q, 32, "b", 2);
	RECV_EXPECT(self->t.q, 32, "c", 2);
}

/* msg_prio up to MQ_PRIO_MAX - 1 (sysconf: 32768 on Linux) */
TEST_F(mq_send, prio_max_minus_one)
{
	long max = sysconf(_SC_MQ_PRIO_MAX);

	ASSERT_LE(32, max);
	CREATE(0, 4, 32);
	ASSERT_OK_K16(mq_send(self->t.q, "top", 3, (unsigned int)max - 1));
	RECV_EXPECT(self->t.q, 32, "top", max - 1);
}

/* Priorities across the whole range keep their order */
TEST_F(mq_send, prio_whole_range_order)
{
	static const unsigned int prios[] = { 0, 32767, 64, 63, 1000, 31 };
	static const unsigned int sorted[] = { 32767, 1000, 64, 63, 31, 0 };
	unsigned int i, p;
	char buf[32];

	CREATE(0, 8, 32);
	for (i = 0; i < 6; i++)
		ASSERT_OK_K16(mq_send(self->t.q, "p", 1, prios[i]));
	for (i = 0; i < 6; i++) {
		ASSERT_EQ(1, mq_receive(self->t.q, buf, sizeof(buf), &p));
		EXPECT_EQ(sorted[i], p);
	}
}

/* A message of mq_msgsize bytes, and one of 0 bytes */
TEST_F(mq_send, full_and_empty_lengths)
{
	char msg[64], buf[64];

	memset(msg, 'm', sizeof(msg));
	CREATE(0, 4, 64);
	ASSERT_OK(mq_send(self->t.q, msg, 64, 0));
	ASSERT_OK(mq_send(self->t.q, msg, 0, 0));
	ASSERT_EQ(64, mq_receive(self->t.q, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, memcmp(buf, msg, 64));
	ASSERT_EQ(0, mq_receive(self->t.q, buf, sizeof(buf), NULL));
}

/* EAGAIN: O_NONBLOCK and the queue is full */
TEST_F(mq_send, eagain_full_nonblock)
{
	CREATE(O_NONBLOCK, 2, 32);
	SEND("1", 0);
	SEND("2", 0);
	ASSERT_ERRNO(EAGAIN, mq_send(self->t.q, "3", 1, 0));
	EXPECT_EQ(2, curmsgs(self->t.q));
}

/* EBADF: not a valid descriptor */
TEST_F(mq_send, ebadf_invalid)
{
	int fd = open("/dev/null", O_WRONLY);

	ASSERT_ERRNO(EBADF, mq_send((mqd_t)-1, "x", 1, 0));
	ASSERT_LE(0, fd);
	ASSERT_ERRNO(EBADF, mq_send(fd, "x", 1, 0));
	close(fd);
}

/* EBADF: not open for writing */
TEST_F(mq_send, ebadf_not_for_writing)
{
	CREATE(0, 4, 32);
	self->t.q2 = mq_open(self->t.name, O_RDONLY);
	ASSERT_NE((mqd_t)-1, self->t.q2);
	ASSERT_ERRNO(EBADF, mq_send(self->t.q2, "x", 1, 0));
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	alarms++;
}

/* SIGALRM without SA_RESTART in @ms milliseconds */
static int alarm_in_ms(unsigned int ms)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { 0, (long)ms * 1000 } };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL))
		return -1;
	return setitimer(ITIMER_REAL, &it, NULL);
}

/* EINTR: a signal interrupts the wait for room */
TEST_F(mq_send, eintr)
{
	CREATE(0, 1, 32);
	SEND("full", 0);
	ASSERT_OK(alarm_in_ms(100));
	ASSERT_ERRNO(EINTR, mq_send(self->t.q, "x", 1, 0));
	EXPECT_EQ(1, alarms);
}

/* EINVAL: msg_prio outside 0..MQ_PRIO_MAX - 1 */
TEST_F(mq_send, einval_prio)
{
	long max = sysconf(_SC_MQ_PRIO_MAX);

	CREATE(0, 4, 32);
	ASSERT_ERRNO(EINVAL, mq_send(self->t.q, "x", 1, (unsigned int)max));
	ASSERT_ERRNO(EINVAL, mq_send(self->t.q, "x", 1, UINT_MAX));
	EXPECT_EQ(0, curmsgs(self->t.q));
}

/* EMSGSIZE: msg_len beyond mq_msgsize */
TEST_F(mq_send, emsgsize)
{
	char msg[33] = { 0 };

	CREATE(0, 4, 32);
	ASSERT_ERRNO(EMSGSIZE, mq_send(self->t.q, msg, 33, 0));
	EXPECT_EQ(0, curmsgs(self->t.q));
}

static int send_after_receive(void *arg)
{
	char buf[32];
	mqd_t q = mq_open(child_name, O_RDONLY);

	sleep_ms(200);
	return ERRNO_OF(mq_receive(q, buf, sizeof(buf), NULL)) ? 1 : 0;
}

/* Full, without O_NONBLOCK: waits for room, then sends */
TEST_F(mq_send, blocks_until_room)
{
	uint64_t t0;
	pid_t pid;
	int st;

	CREATE(0, 1, 32);
	SEND("first", 0);
	child_name = self->t.name;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(send_after_receive(NULL));
	t0 = now_ms();
	ASSERT_OK(mq_send(self->t.q, "second", 6, 0));
	EXPECT_LE(100U, now_ms() - t0);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
	RECV_EXPECT(self->t.q, 32, "second", 0);
}

/* ------------------------------------------------------------------ */
/* mq_timedsend */

/* ETIMEDOUT: still full at abs_timeout */
TEST_F(mq_timedsend, etimedout)
{
	struct timespec ts;
	uint64_t t0;

	CREATE(0, 1, 32);
	SEND("full", 0);
	t0 = now_ms();
	ts = realtime_in_ms(150);
	ASSERT_ERRNO(ETIMEDOUT, mq_timedsend(self->t.q, "x", 1, 0, &ts));
	EXPECT_LE(140U, now_ms() - t0);
}

/* Never a timeout while there is room, even at a time past */
TEST_F(mq_timedsend, room_at_past_timeout)
{
	struct timespec ts = realtime_in_ms(-1000);

	CREATE(0, 1, 32);
	ASSERT_OK(mq_timedsend(self->t.q, "x", 1, 0, &ts));
}

/* EINVAL: tv_nsec outside 0..999999999, when the call would wait */
TEST_F(mq_timedsend, einval_bad_timeout)
{
	struct timespec ts = realtime_in_ms(1000);

	CREATE(0, 1, 32);
	SEND("full", 0);
	ts.tv_nsec = 1000000000L;
	ASSERT_ERRNO(EINVAL, mq_timedsend(self->t.q, "x", 1, 0, &ts));
	ts.tv_nsec = -1;
	ASSERT_ERRNO(EINVAL, mq_timedsend(self->t.q, "x", 1, 0, &ts));
}

/* EAGAIN before any wait: O_NONBLOCK wins over abs_timeout */
TEST_F(mq_timedsend, eagain_full_nonblock)
{
	struct timespec ts = realtime_in_ms(1000);

	CREATE(O_NONBLOCK, 1, 32);
	SEND("full", 0);
	ASSERT_ERRNO(EAGAIN, mq_timedsend(self->t.q, "x", 1, 0, &ts));
}

/* ------------------------------------------------------------------ */
/* mq_receive */

/* RETURN VALUE: the length; *msg_prio the priority */
TEST_F(mq_receive, returns_length_and_prio)
{
	char buf[32];
	unsigned int p;

	CREATE(0, 4, 32);
	SEND("twelve bytes", 9);
	ASSERT_EQ(12, mq_receive(self->t.q, buf, sizeof(buf), &p));
	EXPECT_EQ(9U, p);
	EXPECT_EQ(0, memcmp(buf, "twelve bytes", 12));
	EXPECT_EQ(0, curmsgs(self->t.q));
}

/* msg_prio may be NULL */
TEST_F(mq_receive, null_prio)
{
	char buf[32];

	CREATE(0, 4, 32);
	SEND("x", 9);
	ASSERT_EQ(1, mq_receive(self->t.q, buf, sizeof(buf), NULL));
}

/* The oldest of the highest priority */
TEST_F(mq_receive, oldest_of_highest)
{
	CREATE(0, 8, 32);
	SEND("low", 1);
	SEND("high1", 4);
	SEND("high2", 4);
	RECV_EXPECT(self->t.q, 32, "high1", 4);
	RECV_EXPECT(self->t.q, 32, "high2", 4);
	RECV_EXPECT(self->t.q, 32, "low", 1);
}

/* EMSGSIZE: msg_len below mq_msgsize, even for a short message; it stays */
TEST_F(mq_receive, emsgsize_buffer_below_msgsize)
{
	char buf[32];

	CREATE(0, 4, 32);
	SEND("tiny", 0);
	ASSERT_ERRNO(EMSGSIZE, mq_receive(self->t.q, buf, 31, NULL));
	EXPECT_EQ(1, curmsgs(self->t.q));
	RECV_EXPECT(self->t.q, 32, "tiny", 0);
}

/* A buffer beyond mq_msgsize is fine */
TEST_F(mq_receive, buffer_above_msgsize)
{
	char buf[4096];

	CREATE(0, 4, 32);
	SEND("x", 0);
	ASSERT_EQ(1, mq_receive(self->t.q, buf, sizeof(buf), NULL));
}

/* EAGAIN: O_NONBLOCK and the queue is empty */
TEST_F(mq_receive, eagain_empty_nonblock)
{
	char buf[32];

	CREATE(O_NONBLOCK, 4, 32);
	ASSERT_ERRNO(EAGAIN, mq_receive(self->t.q, buf, sizeof(buf), NULL));
}

/* EBADF: not a valid descriptor */
TEST_F(mq_receive, ebadf_invalid)
{
	int fd = open("/dev/null", O_RDONLY);
	char buf[32];

	ASSERT_ERRNO(EBADF, mq_receive((mqd_t)-1, buf, sizeof(buf), NULL));
	ASSERT_LE(0, fd);
	ASSERT_ERRNO(EBADF, mq_receive(fd, buf, sizeof(buf), NULL));
	close(fd);
}

/* EBADF: not open for reading, whatever the buffer */
TEST_F(mq_receive, ebadf_not_for_reading)
{
	char buf[32];

	CREATE(0, 4, 32);
	SEND("x", 0);
	self->t.q2 = mq_open(self->t.name, O_WRONLY);
	ASSERT_NE((mqd_t)-1, self->t.q2);
	ASSERT_ERRNO(EBADF, mq_receive(self->t.q2, buf, sizeof(buf), NULL));
	ASSERT_ERRNO(EBADF, mq_receive(self->t.q2, buf, 1, NULL));
	EXPECT_EQ(1, curmsgs(self->t.q));
}

/* EINTR: a signal interrupts the wait for a message */
TEST_F(mq_receive, eintr)
{
	char buf[32];

	CREATE(0, 4, 32);
	ASSERT_OK(alarm_in_ms(100));
	ASSERT_ERRNO(EINTR, mq_receive(self->t.q, buf, sizeof(buf), NULL));
	EXPECT_EQ(1, alarms);
}

static int send_later(void *arg)
{
	mqd_t q = mq_open(child_name, O_WRONLY);

	sleep_ms(200);
	return ERRNO_OF(mq_send(q, "late", 4, 6)) ? 1 : 0;
}

/* Empty, without O_NONBLOCK: waits for a message */
TEST_F(mq_receive, blocks_until_message)
{
	uint64_t t0;
	pid_t pid;
	int st;

	CREATE(0, 4, 32);
	child_name = self->t.name;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(send_later(NULL));
	t0 = now_ms();
	RECV_EXPECT(self->t.q, 32, "late", 6);
	EXPECT_LE(100U, now_ms() - t0);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

/* ------------------------------------------------------------------ */
/* mq_timedreceive */

/* ETIMEDOUT: still empty at abs_timeout */
TEST_F(mq_timedreceive, etimedout)
{
	struct timespec ts;
	char buf[32];
	uint64_t t0;

	CREATE(0, 4, 32);
	t0 = now_ms();
	ts = realtime_in_ms(150);
	ASSERT_ERRNO(ETIMEDOUT, mq_timedreceive(self->t.q, buf, sizeof(buf),
						NULL, &ts));
	EXPECT_LE(140U, now_ms() - t0);
}

/* Never a timeout while a message is there, even at a time past */
TEST_F(mq_timedreceive, message_at_past_timeout)
{
	struct timespec ts = realtime_in_ms(-1000);
	unsigned int p;
	char buf[32];

	CREATE(0, 4, 32);
	SEND("here", 5);
	ASSERT_EQ(4, mq_timedreceive(self->t.q, buf, sizeof(buf), &p, &ts));
	EXPECT_EQ(5U, p);
}

/* EINVAL: tv_nsec outside 0..999999999, when the call would wait */
TEST_F(mq_timedreceive, einval_bad_timeout)
{
	struct timespec ts = realtime_in_ms(1000);
	char buf[32];

	CREATE(0, 4, 32);
	ts.tv_nsec = 1000000000L;
	ASSERT_ERRNO(EINVAL, mq_timedreceive(self->t.q, buf, sizeof(buf),
					     NULL, &ts));
	ts.tv_nsec = -1;
	ASSERT_ERRNO(EINVAL, mq_timedreceive(self->t.q, buf, sizeof(buf),
					     NULL, &ts));
}

/* A message that arrives before abs_timeout ends the wait */
TEST_F(mq_timedreceive, message_before_timeout)
{
	struct timespec ts;
	unsigned int p;
	char buf[32];
	pid_t pid;

	CREATE(0, 4, 32);
	child_name = self->t.name;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(send_later(NULL));
	ts = realtime_in_ms(5000);
	ASSERT_EQ(4, mq_timedreceive(self->t.q, buf, sizeof(buf), &p, &ts));
	EXPECT_EQ(6U, p);
	waitpid(pid, NULL, 0);
}

/* ------------------------------------------------------------------ */
/* mq_getattr */

/* RETURN VALUE: 0; mq_maxmsg, mq_msgsize as created, mq_curmsgs now */
TEST_F(mq_getattr, reports_attributes)
{
	struct mq_attr a;
	char buf[32];

	CREATE(0, 5, 32);
	ASSERT_OK(mq_getattr(self->t.q, &a));
	EXPECT_EQ(0, a.mq_flags);
	EXPECT_EQ(5, a.mq_maxmsg);
	EXPECT_EQ(32, a.mq_msgsize);
	EXPECT_EQ(0, a.mq_curmsgs);
	SEND("1", 0);
	SEND("2", 0);
	ASSERT_OK(mq_getattr(self->t.q, &a));
	EXPECT_EQ(2, a.mq_curmsgs);
	ASSERT_EQ(1, mq_receive(self->t.q, buf, sizeof(buf), NULL));
	ASSERT_OK(mq_getattr(self->t.q, &a));
	EXPECT_EQ(1, a.mq_curmsgs);
}

/* mq_flags: O_NONBLOCK of this open description */
TEST_F(mq_getattr, flags_of_description)
{
	struct mq_attr a;

	CREATE(O_NONBLOCK, 4, 32);
	self->t.q2 = mq_open(self->t.name, O_RDWR);
	ASSERT_NE((mqd_t)-1, self->t.q2);
	ASSERT_OK(mq_getattr(self->t.q, &a));
	EXPECT_EQ(O_NONBLOCK, a.mq_flags);
	ASSERT_OK(mq_getattr(self->t.q2, &a));
	EXPECT_EQ(0, a.mq_flags);
}

/* EBADF: not a valid descriptor */
TEST_F(mq_getattr, ebadf)
{
	struct mq_attr a;
	int fd = open("/dev/null", O_RDONLY);

	ASSERT_ERRNO(EBADF, mq_getattr((mqd_t)-1, &a));
	ASSERT_LE(0, fd);
	ASSERT_ERRNO(EBADF, mq_getattr(fd, &a));
	close(fd);
}

/* ------------------------------------------------------------------ */
/* mq_setattr */

/* RETURN VALUE: 0; O_NONBLOCK set, then cleared */
TEST_F(mq_setattr, sets_and_clears_nonblock)
{
	struct mq_attr a = { .mq_flags = O_NONBLOCK };
	char buf[32];

	CREATE(0, 4, 32);
	ASSERT_EQ(0, mq_setattr(self->t.q, &a, NULL));
	ASSERT_OK(mq_getattr(self->t.q, &a));
	EXPECT_EQ(O_NONBLOCK, a.mq_flags);
	ASSERT_ERRNO(EAGAIN, mq_receive(self->t.q, buf, sizeof(buf), NULL));
	a.mq_flags = 0;
	ASSERT_EQ(0, mq_setattr(self->t.q, &a, NULL));
	ASSERT_OK(mq_getattr(self->t.q, &a));
	EXPECT_EQ(0, a.mq_flags);
}

/* mq_maxmsg, mq_msgsize and mq_curmsgs are ignored */
TEST_F(mq_setattr, other_fields_ignored)
{
	struct mq_attr a = { .mq_flags = 0, .mq_maxmsg = 99,
			     .mq_msgsize = 999, .mq_curmsgs = 9 };

	CREATE(0, 4, 32);
	ASSERT_OK(mq_setattr(self->t.q, &a, NULL));
	ASSERT_OK(mq_getattr(self->t.q, &a));
	EXPECT_EQ(4, a.mq_maxmsg);
	EXPECT_EQ(32, a.mq_msgsize);
	EXPECT_EQ(0, a.mq_curmsgs);
}

/* omqstat: the attributes before the call */
TEST_F(mq_setattr, returns_previous)
{
	struct mq_attr a = { .mq_flags = 0 }, old;

	CREATE(O_NONBLOCK, 4, 32);
	SEND("x", 0);
	memset(&old, 0xff, sizeof(old));
	ASSERT_OK(mq_setattr(self->t.q, &a, &old));
	EXPECT_EQ(O_NONBLOCK, old.mq_flags);
	EXPECT_EQ(4, old.mq_maxmsg);
	EXPECT_EQ(32, old.mq_msgsize);
	EXPECT_EQ(1, old.mq_curmsgs);
}

/* O_NONBLOCK belongs to the open description, not to the queue */
TEST_F(mq_setattr, per_description)
{
	struct mq_attr a = { .mq_flags = O_NONBLOCK };

	CREATE(0, 4, 32);
	self->t.q2 = mq_open(self->t.name, O_RDWR);
	ASSERT_NE((mqd_t)-1, self->t.q2);
	ASSERT_OK(mq_setattr(self->t.q, &a, NULL));
	ASSERT_OK(mq_getattr(self->t.q2, &a));
	EXPECT_EQ(0, a.mq_flags);
}

/* EBADF: not a valid descriptor */
TEST_F(mq_setattr, ebadf)
{
	struct mq_attr a = { .mq_flags = 0 };

	ASSERT_ERRNO(EBADF, mq_setattr((mqd_t)-1, &a, NULL));
}

/* EINVAL on Linux: mq_flags other than O_NONBLOCK */
TEST_F(mq_setattr, einval_other_flags)
{
	struct mq_attr a = { .mq_flags = O_NONBLOCK | O_APPEND };

	CREATE(0, 4, 32);
	ASSERT_ERRNO(EINVAL, mq_setattr(self->t.q, &a, NULL));
}

/* ------------------------------------------------------------------ */
/* mq_notify (every test needs the module of issue 16 on msgq) */

/* SIGUSR1 blocked, for sigtimedwait() */
static void block_sigusr1(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGUSR1);
	sigprocmask(SIG_BLOCK, set, NULL);
}

/* Wait up to @ms for SIGUSR1: its siginfo in @si; false if none came */
static bool got_sigusr1(const sigset_t *set, siginfo_t *si, unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	return sigtimedwait(set, si, &ts) == SIGUSR1;
}

#define NOTIFY_SIGNAL(q, sig, val) do {					\
	struct sigevent sev_ = { .sigev_notify = SIGEV_SIGNAL,		\
				 .sigev_signo = (sig) };		\
	sev_.sigev_value.sival_int = (val);				\
	ASSERT_OK_K16(mq_notify(q, &sev_));				\
} while (0)

/* RETURN VALUE: 0; a message into the empty queue sends the signal */
TEST_F(mq_notify, signal_on_arrival)
{
	siginfo_t si;
	sigset_t set;

	block_sigusr1(&set);
	CREATE(0, 4, 32);
	NOTIFY_SIGNAL(self->t.q, SIGUSR1, 42);
	EXPECT_FALSE(got_sigusr1(&set, &si, 100));
	SEND("ring", 0);
	ASSERT_TRUE(got_sigusr1(&set, &si, 2000));
}

/* The signal's siginfo: SI_MESGQ, sigev_value, the sender's pid and uid */
TEST_F(mq_notify, signal_siginfo)
{
	siginfo_t si;
	sigset_t set;

	block_sigusr1(&set);
	CREATE(0, 4, 32);
	NOTIFY_SIGNAL(self->t.q, SIGUSR1, 4242);
	ASSERT_OK(kid_start(&self->t.kid, self->t.name));
	ASSERT_EQ(0, kid_do(&self->t.kid, KID_SEND));
	ASSERT_TRUE(got_sigusr1(&set, &si, 2000));
	EXPECT_EQ(SIGUSR1, si.si_signo);
	EXPECT_EQ(SI_MESGQ, si.si_code);
	EXPECT_EQ(4242, si.si_value.sival_int);
	EXPECT_EQ(self->t.kid.pid, si.si_pid);
	EXPECT_EQ(getuid(), si.si_uid);
}

/* The registration is removed when it fires: once only */
TEST_F(mq_notify, fires_once)
{
	siginfo_t si;
	sigset_t set;
	char buf[32];

	block_sigusr1(&set);
	CREATE(0, 4, 32);
	NOTIFY_SIGNAL(self->t.q, SIGUSR1, 1);
	SEND("1", 0);
	ASSERT_TRUE(got_sigusr1(&set, &si, 2000));
	ASSERT_EQ(1, mq_receive(self->t.q, buf, sizeof(buf), NULL));
	SEND("2", 0);
	EXPECT_FALSE(got_sigusr1(&set, &si, 200));
	/* and another process may register now */
	ASSERT_OK(kid_start(&self->t.kid, self->t.name));
	EXPECT_EQ(0, kid_do(&self->t.kid, KID_NOTIFY_NONE));
}

/* Only an arrival in an empty queue notifies */
TEST_F(mq_notify, not_on_nonempty_queue)
{
	siginfo_t si;
	sigset_t set;

	block_sigusr1(&set);
	CREATE(0, 4, 32);
	SEND("already", 0);
	NOTIFY_SIGNAL(self->t.q, SIGUSR1, 1);
	SEND("another", 0);
	EXPECT_FALSE(got_sigusr1(&set, &si, 200));
}

struct waiter {
	mqd_t q;
	pid_t tid;
	ssize_t n;
	volatile int ready;
};

static void *receive_one(void *arg)
{
	struct waiter *w = arg;
	char buf[32];

	w->tid = (pid_t)syscall(SYS_gettid);
	w->ready = 1;
	w->n = mq_receive(w->q, buf, sizeof(buf), NULL);
	return NULL;
}

/*
 * A receiver waiting in mq_receive() takes the message; no notification,
 * as if the queue stayed empty, and the registration stays.
 */
TEST_F(mq_notify, not_when_receiver_waits)
{
	struct waiter w = { 0 };
	pthread_t t;
	siginfo_t si;
	sigset_t set;

	block_sigusr1(&set);
	CREATE(0, 4, 32);
	NOTIFY_SIGNAL(self->t.q, SIGUSR1, 1);
	w.q = self->t.q;
	ASSERT_EQ(0, pthread_create(&t, NULL, receive_one, &w));
	while (!w.ready)
		sleep_ms(1);
	ASSERT_TRUE(wait_sleeping(w.tid));
	SEND("taken", 0);
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(5, w.n);
	EXPECT_FALSE(got_sigusr1(&set, &si, 200));
	SEND("next", 0);
	EXPECT_TRUE(got_sigusr1(&set, &si, 2000));
}

/* EBUSY: another process holds the queue's registration */
TEST_F(mq_notify, ebusy_other_process)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };

	CREATE(0, 4, 32);
	ASSERT_OK(kid_start(&self->t.kid, self->t.name));
	ASSERT_EQ(0, kid_do(&self->t.kid, KID_NOTIFY_NONE)) TH_LOG(KERNEL16);
	ASSERT_ERRNO(EBUSY, mq_notify(self->t.q, &sev));
	/* its removal frees it */
	ASSERT_EQ(0, kid_do(&self->t.kid, KID_NOTIFY_REMOVE));
	ASSERT_OK(mq_notify(self->t.q, &sev));
}

/* EBUSY: ... the calling process too (any process: Linux) */
TEST_F(mq_notify, ebusy_same_process)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };

	CREATE(0, 4, 32);
	ASSERT_OK_K16(mq_notify(self->t.q, &sev));
	ASSERT_ERRNO(EBUSY, mq_notify(self->t.q, &sev));
}

/* NULL removes the caller's registration */
TEST_F(mq_notify, null_removes)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };

	CREATE(0, 4, 32);
	ASSERT_OK_K16(mq_notify(self->t.q, &sev));
	ASSERT_OK(mq_notify(self->t.q, NULL));
	ASSERT_OK(kid_start(&self->t.kid, self->t.name));
	EXPECT_EQ(0, kid_do(&self->t.kid, KID_NOTIFY_NONE));
}

/* Linux: NULL without a registration succeeds, and leaves another's */
TEST_F(mq_notify, null_without_registration)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };

	CREATE(0, 4, 32);
	ASSERT_OK_K16(mq_notify(self->t.q, NULL));
	ASSERT_OK(kid_start(&self->t.kid, self->t.name));
	ASSERT_EQ(0, kid_do(&self->t.kid, KID_NOTIFY_NONE));
	ASSERT_OK(mq_notify(self->t.q, NULL));
	ASSERT_ERRNO(EBUSY, mq_notify(self->t.q, &sev));
}

/* The registering process's exit removes its registration */
TEST_F(mq_notify, exit_removes)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };

	CREATE(0, 4, 32);
	ASSERT_OK(kid_start(&self->t.kid, self->t.name));
	ASSERT_EQ(0, kid_do(&self->t.kid, KID_NOTIFY_NONE)) TH_LOG(KERNEL16);
	kid_stop(&self->t.kid);
	ASSERT_OK(mq_notify(self->t.q, &sev));
}

/* SIGEV_NONE: registered, nothing delivered, removed by the arrival */
TEST_F(mq_notify, sigev_none)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };

	CREATE(0, 4, 32);
	ASSERT_OK_K16(mq_notify(self->t.q, &sev));
	ASSERT_OK(kid_start(&self->t.kid, self->t.name));
	ASSERT_EQ(EBUSY, kid_do(&self->t.kid, KID_NOTIFY_NONE));
	SEND("x", 0);
	EXPECT_EQ(0, kid_do(&self->t.kid, KID_NOTIFY_NONE));
}

static sem_t thread_sem;
static union sigval thread_value;
static pthread_t thread_self;
static size_t thread_stack;
static int thread_detached;

static void on_notify(union sigval v)
{
	pthread_attr_t a;

	thread_value = v;
	thread_self = pthread_self();
	if (!pthread_getattr_np(pthread_self(), &a)) {
		pthread_attr_getstacksize(&a, &thread_stack);
		pthread_attr_getdetachstate(&a, &thread_detached);
		pthread_attr_destroy(&a);
	}
	sem_post(&thread_sem);
}

static bool sem_wait_ms(sem_t *s, int ms)
{
	struct timespec ts = realtime_in_ms(ms);

	while (sem_timedwait(s, &ts))
		if (errno != EINTR)
			return false;
	return true;
}

/* SIGEV_THREAD: the function runs in a new thread, with sigev_value */
TEST_F(mq_notify, sigev_thread)
{
	static int cookie;
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD,
				.sigev_notify_function = on_notify };

	sev.sigev_value.sival_ptr = &cookie;
	ASSERT_EQ(0, sem_init(&thread_sem, 0, 0));
	CREATE(0, 4, 32);
	ASSERT_OK_K16(mq_notify(self->t.q, &sev));
	EXPECT_FALSE(sem_wait_ms(&thread_sem, 100));
	SEND("go", 0);
	ASSERT_TRUE(sem_wait_ms(&thread_sem, 2000));
	EXPECT_EQ(&cookie, thread_value.sival_ptr);
	EXPECT_FALSE(pthread_equal(pthread_self(), thread_self));
	EXPECT_EQ(PTHREAD_CREATE_DETACHED, thread_detached);
}

/* SIGEV_THREAD: with sigev_notify_attributes (a stack size here) */
TEST_F(mq_notify, sigev_thread_attributes)
{
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD,
				.sigev_notify_function = on_notify };
	pthread_attr_t attr;

	ASSERT_EQ(0, pthread_attr_init(&attr));
	ASSERT_EQ(0, pthread_attr_setstacksize(&attr, 4 << 20));
	sev.sigev_notify_attributes = &attr;
	ASSERT_EQ(0, sem_init(&thread_sem, 0, 0));
	CREATE(0, 4, 32);
	ASSERT_OK_K16(mq_notify(self->t.q, &sev));
	/* a copy was taken */
	pthread_attr_destroy(&attr);
	SEND("go", 0);
	ASSERT_TRUE(sem_wait_ms(&thread_sem, 2000));
	EXPECT_LE((size_t)4 << 20, thread_stack);
}

static mqd_t rearm_q;
static int rearm_err = -1;

static void on_notify_rearm(union sigval v)
{
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD,
				.sigev_notify_function = on_notify };
	char buf[32];

	while (mq_receive(rearm_q, buf, sizeof(buf), NULL) >= 0)
		;
	rearm_err = ERRNO_OF(mq_notify(rearm_q, &sev));
	sem_post(&thread_sem);
}

/* SIGEV_THREAD: the function may register again, for the next arrival */
TEST_F(mq_notify, sigev_thread_rearms)
{
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD,
				.sigev_notify_function = on_notify_rearm };

	ASSERT_EQ(0, sem_init(&thread_sem, 0, 0));
	CREATE(O_NONBLOCK, 4, 32);
	rearm_q = self->t.q;
	ASSERT_OK_K16(mq_notify(self->t.q, &sev));
	SEND("1", 0);
	ASSERT_TRUE(sem_wait_ms(&thread_sem, 2000));
	ASSERT_EQ(0, rearm_err);
	SEND("2", 0);
	ASSERT_TRUE(sem_wait_ms(&thread_sem, 2000));
}

/* Linux: SIGEV_SIGNAL with signal 0 registers, and delivers nothing */
TEST_F(mq_notify, signal_zero_registers)
{
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL };

	CREATE(0, 4, 32);
	ASSERT_OK_K16(mq_notify(self->t.q, &sev));
	ASSERT_OK(kid_start(&self->t.kid, self->t.name));
	ASSERT_EQ(EBUSY, kid_do(&self->t.kid, KID_NOTIFY_NONE));
	SEND("x", 0);
	EXPECT_EQ(0, kid_do(&self->t.kid, KID_NOTIFY_NONE));
}

/* EBADF: not a valid descriptor */
TEST_F(mq_notify, ebadf)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	int fd = open("/dev/null", O_RDONLY);

	ASSERT_ERRNO(EBADF, mq_notify((mqd_t)-1, &sev));
	ASSERT_LE(0, fd);
	ASSERT_ERRNO(EBADF, mq_notify(fd, &sev));
	ASSERT_ERRNO(EBADF, mq_notify(fd, NULL));
	close(fd);
}

/* EINVAL on Linux: an unknown sigev_notify, a signal out of range */
TEST_F(mq_notify, einval)
{
	struct sigevent sev = { .sigev_notify = 12345 };

	CREATE(0, 4, 32);
	ASSERT_ERRNO(EINVAL, mq_notify(self->t.q, &sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = 1000;
	ASSERT_ERRNO(EINVAL, mq_notify(self->t.q, &sev));
}

/* ------------------------------------------------------------------ */
/* Where the queues are: the one test that tells the builds apart */

static bool in_proc_msgq(const char *name)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/msgq", "r");
	size_t n = strlen(name);

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, name, n) && line[n] == ' ';
	fclose(f);
	return found;
}

/*
 * The mqueue file system of this IPC namespace, mounted at @dir (a new
 * directory under /tmp) in a mount namespace of this test's process, so
 * that nothing outlives it: 0, or -1.
 */
static int mount_mqueue(char dir[64])
{
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	strcpy(dir, "/tmp/posix_test-mqueue.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	if (mount("none", dir, "mqueue", 0, NULL)) {
		rmdir(dir);
		return -1;
	}
	return 0;
}

/* msgq: a queue is a mailbox in /proc/msgq; mqueue: a file of its fs */
TEST_F(backend, queue_lives_in_its_backend)
{
	char dir[64], path[160];
	bool in_mqueue_fs;

	if (mount_mqueue(dir))
		SKIP(return, "cannot mount an mqueue file system: %s",
		     strerror(errno));
	CREATE(0, 4, 32);
	snprintf(path, sizeof(path), "%s%s", dir, self->t.name);
	in_mqueue_fs = !access(path, F_OK);
	umount(dir);
	rmdir(dir);
#ifdef POSIX_TEST_MSGQ
	EXPECT_TRUE(in_proc_msgq(self->t.name + 1));
	EXPECT_FALSE(in_mqueue_fs);
#else
	EXPECT_FALSE(in_proc_msgq(self->t.name + 1));
	EXPECT_TRUE(in_mqueue_fs);
#endif
	TH_LOG("%s: %s", BACKEND, self->t.name);
}

TEST_HARNESS_MAIN
