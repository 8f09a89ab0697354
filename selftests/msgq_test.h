/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The msgq selftests' one helper set: the helpers, compiled once in
 * msgq_test.c and linked into every test program, then the part that must
 * be in each test's translation unit, as kselftest_harness.h has it: the
 * common fixture FIXTURE(msgq) and the assertion macros.
 *
 * Include it once per test program, before everything else.
 *
 * Nothing in msgq_test.c uses ASSERT_* or EXPECT_*: the helpers also run
 * in threads and children, where the harness's longjmp must not be taken.
 * They return a verdict the test asserts on.
 *
 * The tests run as root in the guest; a child drops to an unprivileged uid
 * with setgroups/setresgid/setresuid (struct who, run_as()) and keeps or
 * drops single capabilities with capset(2). Children never use the
 * harness's ASSERT/EXPECT either (an ASSERT would run the fixture teardown
 * in the child): they report through shared memory or their exit status.
 */
#ifndef MSGQ_TEST_H
#define MSGQ_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include <msgq.h>

#define ptr_to_u64(p)	((__u64)(uintptr_t)(p))

/* ------------------------------------------------------------------ */
/* Time */

#define MS		1000000ull	/* one millisecond in ns */
#define SETTLE_MS	200	/* a blocked task must stay blocked this long */
#define WAKE_MS		10000	/* a woken task may take this long to return */

uint64_t now_ns(clockid_t clk);
void sleep_ms(unsigned int ms);
/* An absolute CLOCK_REALTIME time @ms milliseconds from now. */
struct timespec realtime_in_ms(unsigned int ms);
uint64_t ts_ns(const struct timespec *ts);
struct timespec ns_ts(uint64_t ns);
struct msgq_timespec ns_mts(uint64_t ns);

/* ------------------------------------------------------------------ */
/* Processes and tasks */

/* MAP_SHARED anonymous memory, seen by children too; NULL on failure. */
void *shared_alloc(size_t size);

/*
 * Wait up to @timeout_ms for child @pid; returns its exit status (0..255),
 * 256 + signal if it was killed, or -1 if it did not finish in time (it is
 * then killed and reaped).
 */
int wait_child_ms(pid_t pid, int timeout_ms);

pid_t sys_gettid(void);

/* The state letter of /proc/<pid>/task/<tid>/stat, or 0. */
char task_state(pid_t pid, pid_t tid);

/*
 * The system call a task is blocked in, from /proc/<pid>/task/<tid>/syscall:
 * its number, -1 if the task is running or not in a system call, -2 if the
 * file cannot be read (kernel without it).
 */
long task_syscall(pid_t pid, pid_t tid);

/*
 * As @nr of wait_blocked_in(): SYS_msgq_any for any call libmsgq waits in
 * (ioctl(2), and write(2) and read(2) for a msgq_send() at priority 0 and
 * a msgq_recv() that wants no priority), SYS_any for any system call.
 */
#define SYS_msgq_any	(-100L)
#define SYS_any		(-101L)

/*
 * Wait up to @timeout_ms until task @tid of process @pid is asleep
 * (interruptibly, state S) inside system call @nr (e.g. SYS_ioctl,
 * SYS_msgq_any). This is how the tests tell "blocked in msgq" from "not
 * yet scheduled".
 */
bool wait_blocked_in(pid_t pid, pid_t tid, long nr, int timeout_ms);

/* voluntary_ctxt_switches of a task: how often it went to sleep, or -1. */
long task_nvcsw(pid_t pid, pid_t tid);

/* ------------------------------------------------------------------ */
/* A thread that makes one call, and records when and how it returned */

enum call_op {
	CALL_SEND,	/* msgq_send(fd, buf, len, 0) */
	CALL_RECV,	/* msgq_recv(fd, buf, len, NULL) */
	CALL_SEND_ARGS,	/* msgq_send_args(fd, &s) */
	CALL_RECV_ARGS,	/* msgq_recv_args(fd, &r) */
	CALL_TIMEDSEND,	/* msgq_timedsend(fd, buf, len, 0, &abs) */
	CALL_TIMEDRECV,	/* msgq_timedrecv(fd, buf, len, NULL, &abs) */
	CALL_WRITE,	/* write(fd, buf, len) */
	CALL_READ,	/* read(fd, buf, len) */
	CALL_READV,	/* readv(fd, iov, iovcnt) */
	CALL_IOCTL,	/* ioctl(fd, req, arg) */
	CALL_FN,	/* fn(arg): a loop, poll(2), anything else */
};

/**
 * struct call - one call, made by a thread of its own
 *
 * The test fills in the call, usually with a designated initializer
 * (everything else zero), and starts it with call_start() or
 * call_start_blocked():
 *	struct call c = { .op = CALL_SEND, .fd = self->fd, .id = 5 };
 *	struct call w = { .op = CALL_IOCTL, .fd = fd,
 *			  .req = MSGQ_IOC_SEND_RECV, .arg = &sr };
 *
 * @op:     what to call
 * @fd:     on what
 * @buf:    the payload, or the receive buffer, of @len bytes; NULL: the
 *          one unsigned int @id is sent, a receive goes into @got
 * @len:    with @buf
 * @id:     what a send sends when @buf is NULL
 * @s:      CALL_SEND_ARGS: flags, timeout...; buf and len, when zero,
 *          become @buf/@len (or @id)
 * @r:      CALL_RECV_ARGS: flags, timeout...; buf and cap, when zero,
 *          become @buf/@len (or @got; a cap below sizeof(@got) is kept)
 * @abs:    CALL_TIMEDSEND, CALL_TIMEDRECV: the deadline
 * @iov:    CALL_READV: @iovcnt buffers
 * @req:    CALL_IOCTL: the request, @arg its argument
 * @fn:     CALL_FN: the function, @arg its argument; its return value is
 *          @ret, errno as it left it @err
 *
 * Set by the thread:
 * @tid:     its thread id, once it runs
 * @ret:     the call's return value, @err its errno
 * @got:     what a receive into the default buffer received
 * @t_start: CLOCK_MONOTONIC just before the call
 * @t_end:   CLOCK_MONOTONIC just after it, @rt_end CLOCK_REALTIME
 */
struct call {
	enum call_op op;
	int fd;
	void *buf;
	size_t len;
	unsigned int id;
	struct msgq_send s;
	struct msgq_recv r;
	struct timespec abs;
	struct iovec *iov;
	int iovcnt;
	unsigned long req;
	long (*fn)(void *arg);
	void *arg;

	pthread_t th;
	pid_t tid;
	int done;
	long ret;
	int err;
	unsigned int got;
	uint64_t t_start;
	uint64_t t_end;
	uint64_t rt_end;
};

/* Start the thread and wait (5 s at most) until it runs; false if not. */
bool call_start(struct call *c);

/*
 * The call is asleep in its system call (within 5 s), and still there
 * @settle_ms later: it waits, it did not merely get there late. The
 * system call is the one of @op (CALL_FN: any).
 */
bool call_asleep(struct call *c, int settle_ms);

/* call_start(), then call_asleep() without settling. */
bool call_start_blocked(struct call *c);

/* Has the call returned? */
bool call_done(struct call *c);

/*
 * Wait up to @ms (negative: for ever) for the call to return, then join
 * the thread; false if it did not return in time.
 */
bool call_wait(struct call *c, int ms);

/*
 * Wait up to 5 s until the call has either returned or gone to sleep in
 * its system call; true if it returned.
 */
bool call_settle(struct call *c);

/*
 * Send @sig to the thread and wait until sig_count has counted it (the
 * handler of install_counter(): the signal was taken).
 */
bool call_signal(struct call *c, int sig);

/* How many of the @n calls @c[0..n) have returned. */
int calls_done(struct call *c, int n);

/* Wait up to @ms until @want of them have returned; how many did. */
int calls_wait(struct call *c, int n, int want, int ms);

/* ------------------------------------------------------------------ */
/* Signals */

/* Signals counted by the handler of install_counter(). */
extern volatile sig_atomic_t sig_count;

/* A counting handler for @sig, with or without SA_RESTART. */
int install_counter(int sig, bool restart);

/* Wait up to @ms for *@count (a handler's counter) to reach @n. */
bool wait_count(volatile sig_atomic_t *count, int n, int ms);

/* ------------------------------------------------------------------ */
/* Mailboxes */

/* depth of a mailbox, or -1 */
long mbox_depth(int fd);

/* msgq_getattr(), all bits set if it fails */
struct msgq_attr attr_of(int fd);

/* Fill @fd with @n messages 0..n-1 without blocking; false on failure. */
bool fill_n(int fd, unsigned int n);

/* A non-blocking receive of one unsigned int; returns it, or -1. */
long take_one(int fd);

/* A non-blocking send of one unsigned int; 0 or -1. */
int put_one(int fd, unsigned int v);

/* Fill @buf with a pattern derived from @seed, to check payloads. */
void fill_pattern(void *buf, size_t len, unsigned int seed);
bool check_pattern(const void *buf, size_t len, unsigned int seed);

/*
 * A message that checks itself, of @size bytes: the unsigned ints @num and
 * @seed, then a body of fill_pattern(@seed) (a struct of two unsigned ints
 * and an array of bytes).
 */
void tmsg_make(void *m, size_t size, unsigned int num, unsigned int seed);
bool tmsg_ok(const void *m, size_t size, unsigned int num, unsigned int seed);

/* Is @name listed in /proc/msgq, as seen by the caller? 1, 0, or -1. */
int proc_lists(const char *name);

/*
 * What creating a mailbox of @n messages of @size bytes reserves of its
 * creator's quota (uapi/msgq.h): a rendezvous mailbox (@n 0) as one message.
 */
#define RESERVE(n, size)	(MSGQ_MAILBOX_OVERHEAD +			\
				 ((n) ? (n) : 1) * ((size) + MSGQ_MSG_OVERHEAD))

/* ------------------------------------------------------------------ */
/* Live counts: /sys/kernel/debug/msgq/stats */

#define MSGQ_STATS_PATH	"/sys/kernel/debug/msgq/stats"

#define MSGQ_NCOUNTS	6

/* The counts of the stats file, by name or in the order of counts_names. */
struct msgq_counts {
	union {
		struct {
			long long mailboxes;
			long long messages;
			long long message_bytes;
			long long namespaces;
			long long quota_bytes;
			long long user_names;	/* per creator uid */
		};
		long long v[MSGQ_NCOUNTS];
	};
};

/* "mailboxes", "messages", ...: the stats file's name of each count */
extern const char *const counts_names[MSGQ_NCOUNTS];

/*
 * All six counts, read from @fd (the stats file, open: a read then opens
 * no descriptor) or, @fd negative, from a fresh open. 0, or -1 when the
 * file or a line is missing (a missing count reads -1).
 */
int counts_read_fd(int fd, struct msgq_counts *c);
int counts_read(struct msgq_counts *c);

/* One line of the stats file by its name (any, not only the six), or -1. */
long long msgq_stat(const char *name);

bool counts_equal(const struct msgq_counts *a, const struct msgq_counts *b);

/* "mailboxes N messages N ..." */
void counts_str(const struct msgq_counts *c, char *buf, size_t size);

/*
 * Poll the counts until they equal @want, for up to @timeout_ms. Returns
 * true on success; @last holds the counts last read.
 */
bool counts_wait(const struct msgq_counts *want, struct msgq_counts *last,
		 int timeout_ms);

/* ------------------------------------------------------------------ */
/* Files, and the module's parameters (/sys/module/msgq/parameters/NAME) */

/* Read a file's text, trailing newlines and blanks cut, into @buf; 0/-1. */
int file_read_str(const char *path, char *buf, size_t size);

/* Write all of @s to a file; 0 or -1. */
int file_write_str(const char *path, const char *s);

/* A number read from a file, or -1. */
long long file_read_ll(const char *path);

/* Is @word one of the words of a file? */
bool file_has_word(const char *path, const char *word);

#define MSGQ_PARAM_DIR	"/sys/module/msgq/parameters/"

int param_read(const char *name, char *buf, size_t size);
int param_write(const char *name, const char *val);
int param_write_ul(const char *name, unsigned long v);
/* A parameter's value, or -1. */
long long param_get(const char *name);

/**
 * struct saved_param - a parameter a test program changes
 * @name:  its name
 * @val:   its value when the program started
 * @saved: @val was read (the parameter exists)
 *
 * A program saves its parameters when it starts (a constructor) and
 * restores them in each test's teardown, and once more when it ends (a
 * destructor): a test killed by its timeout skips its teardown.
 */
struct saved_param {
	const char *name;
	char val[32];
	bool saved;
};

void params_save(struct saved_param *p, size_t n);
void params_restore(const struct saved_param *p, size_t n);

/*
 * A program's constructor and destructor for its @n saved parameters
 * @params (at file level, no semicolon after it).
 */
#define PARAMS_SAVED_FOR_PROGRAM(params, n)				\
static void __attribute__((constructor)) params_at_start(void)		\
{									\
	params_save((params), (n));					\
}									\
static void __attribute__((destructor)) params_at_exit(void)		\
{									\
	params_restore((params), (n));					\
}

/* ------------------------------------------------------------------ */
/* Capabilities, without libcap */

#ifndef CAP_IPC_OWNER
#define CAP_IPC_OWNER		15
#endif
#ifndef CAP_SYS_RESOURCE
#define CAP_SYS_RESOURCE	24
#endif

int caps_get(struct __user_cap_data_struct d[2]);
int caps_set(struct __user_cap_data_struct d[2]);

/* Remove @cap from the effective, permitted and inheritable sets. */
int cap_drop(int cap);

/* Is @cap in the effective set? */
bool cap_effective(int cap);

/* ------------------------------------------------------------------ */
/* Credentials, and running one operation in a child */

/* Unprivileged ids used by the tests (no /etc/passwd needed). */
#define UID_A	1001		/* usually the owner */
#define UID_B	1002		/* usually a member of GID_A */
#define UID_C	1003		/* usually "other" */
#define GID_A	1001
#define GID_B	1002
#define GID_C	1003

/**
 * struct who - the credentials a child takes on
 * @uid, @gid:  real/effective/saved/fs ids; uid 0 keeps root
 * @groups:     supplementary groups (@ngroups of them)
 * @keep_cap:   for a non-root @uid, capability kept effective (-1: none)
 * @drop_cap:   for root, capability removed (-1: none); a second one in
 *              @drop_cap2
 */
struct who {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[4];
	int keep_cap;
	int drop_cap;
	int drop_cap2;
};

#define WHO_USER(u, g)	((struct who){ .uid = (u), .gid = (g),		\
				       .keep_cap = -1, .drop_cap = -1,	\
				       .drop_cap2 = -1 })
#define WHO_ROOT	WHO_USER(0, 0)
#define WHO_ROOT_WITHOUT(cap) ((struct who){ .keep_cap = -1,		\
					     .drop_cap = (cap),		\
					     .drop_cap2 = -1 })

/* Take on @w's credentials; 0 or -1 (errno set). */
int become(const struct who *w);

struct child_result {
	long ret;
	int err;
	int fail_line;		/* CHILD_CHECK that failed, or 0 */
	int fail_errno;
	char note[160];
};

/* In a child: record the first failed check and exit 1. */
#define CHILD_CHECK(res, cond) do {					\
	if (!(cond)) {							\
		(res)->fail_errno = errno;				\
		(res)->fail_line = __LINE__;				\
		snprintf((res)->note, sizeof((res)->note), "%s", #cond);\
		_exit(1);						\
	}								\
} while (0)

/*
 * Fork; the child takes on @w (if not NULL), runs @fn(@arg, res) and
 * exits. Returns the child's exit status as wait_child_ms() does, with
 * @res (shared memory) filled by the child. The child's return value is
 * res->ret and its errno res->err, as @fn left them.
 */
int run_as(const struct who *w, long (*fn)(void *arg, struct child_result *res),
	   void *arg, struct child_result *res, int timeout_ms);

/* Shared memory for one child_result; tests keep it for their duration. */
struct child_result *child_result_alloc(void);

/* ------------------------------------------------------------------ */
/* Memory cgroups (cgroup v2) */

/**
 * struct memcg - a memory cgroup of the test's own
 * @dir:     its directory
 * @procs:   its cgroup.procs: write "0" to move the writer in
 * @current: its memory.current
 * @mounted: cgroup2 was mounted for it, and is unmounted with it
 */
struct memcg {
	char dir[128];
	char procs[160];
	char current[160];
	bool mounted;
};

/*
 * Make a memory cgroup named after @tag and the caller's pid, mounting
 * cgroup2 and enabling the memory controller if needed. Returns NULL, or
 * why it cannot (the test then skips).
 */
const char *memcg_create(struct memcg *cg, const char *tag);

/* Remove the cgroup once its processes are gone (they may be exiting). */
void memcg_remove(struct memcg *cg);

/* ------------------------------------------------------------------ */
/* Descriptors over a UNIX socket, and pipes as one-shot signals */

int fd_send(int sock, int fd);
int fd_recv(int sock);

int pipe_signal(int fd);
/* Wait up to @timeout_ms for one byte on @fd: 0, or -1 (timeout, EOF). */
int pipe_wait(int fd, int timeout_ms);

/* ------------------------------------------------------------------ */
/*
 * The rest goes in the test's translation unit, where kselftest_harness.h
 * is: the fixture and the assertion macros. msgq_test.c stops here.
 */
#ifndef MSGQ_TEST_HELPERS_ONLY

#include "kselftest_harness.h"

/*
 * The start of a fixture's setup, for a fixture with members dev and
 * name: skip when the module is not loaded, open /dev/msgq into
 * self->dev and name the test's mailbox "msgqt-PID-@tagTEST".
 *
 * SKIP(return) in a setup does not stop the 6.1 harness from running the
 * test body; the test runs in a child of its own, and exit status 255 is
 * what that harness reports as SKIP.
 */
#define FIXTURE_DEV_OPEN(tag) do {					\
	if (access(MSGQ_DEVICE_PATH, F_OK))				\
		SKIP(_exit(255), "%s absent: msgq module not loaded",	\
		     MSGQ_DEVICE_PATH);					\
	self->dev = msgq_dev_open();					\
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s",			\
				       MSGQ_DEVICE_PATH,		\
				       strerror(errno));		\
	snprintf(self->name, sizeof(self->name), "msgqt-%d-%s%s",	\
		 (int)getpid(), (tag), _metadata->name);		\
} while (0)

/* Its teardown: close self->fd, unlink self->name, close self->dev. */
#define FIXTURE_DEV_CLOSE() do {					\
	if (self->fd >= 0)						\
		close(self->fd);					\
	if (self->dev >= 0) {						\
		msgq_unlink_at(self->dev, self->name);			\
		close(self->dev);					\
	}								\
} while (0)

/*
 * The common fixture. Every test gets a device handle and names unique to
 * its process and test; teardown closes what the test left in @fd/@fd2 and
 * unlinks every name (ENOENT is fine: the test may have unlinked it
 * already).
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
	self->extra[0] = '\0';
	FIXTURE_DEV_OPEN("");
	snprintf(self->name2, sizeof(self->name2), "msgqt-%d-%s-2",
		 (int)getpid(), _metadata->name);
}

FIXTURE_TEARDOWN(msgq)
{
	if (self->fd2 >= 0)
		close(self->fd2);
	if (self->dev >= 0) {
		msgq_unlink_at(self->dev, self->name2);
		if (self->extra[0])
			msgq_unlink_at(self->dev, self->extra);
	}
	FIXTURE_DEV_CLOSE();
}

/*
 * Note for loops and ifs around ASSERT_*()/EXPECT_*(): the harness's
 * macros expand to two statements (the check, then the TH_LOG handler), so
 * such bodies always take braces, whatever checkpatch says.
 */

/* Create mailbox @name into @fd, read-write, exclusive. */
#define MBOX_CREATE_AS(fd, name, max_msgs, max_msgsize) do {		\
	(fd) = msgq_create_at(self->dev, (name),			\
			      MSGQ_O_RDWR | MSGQ_O_EXCL | MSGQ_O_CLOEXEC, \
			      0600, (max_msgs), (max_msgsize));		\
	ASSERT_LE(0, (fd)) TH_LOG("create %s: %s", (name),		\
				  strerror(errno));			\
} while (0)

/* The test's main mailbox, self->name, in self->fd. */
#define MBOX_CREATE(max_msgs, max_msgsize)				\
	MBOX_CREATE_AS(self->fd, self->name, (max_msgs), (max_msgsize))

/* A second mailbox, self->name2, in self->fd2. */
#define MBOX2_CREATE(max_msgs, max_msgsize)				\
	MBOX_CREATE_AS(self->fd2, self->name2, (max_msgs), (max_msgsize))

/*
 * Assert that @expr fails with -1 and errno @err; an optional message
 * (a format and its arguments) says which case failed:
 *	ASSERT_ERRNO(EAGAIN, msgq_send(fd, &v, sizeof(v), 0));
 *	ASSERT_ERRNO(EINVAL, recv_raw(fd, clk), "clock %u", clk);
 */
#define ASSERT_ERRNO(err, expr, ...) do {				\
	errno = 0;							\
	long __r = (long)(expr);					\
	int __e = errno;						\
	ASSERT_EQ(-1, __r)						\
		TH_LOG("%s succeeded (%ld), expected %s"		\
		       __VA_OPT__(": " ASSERT_ERRNO_FMT(__VA_ARGS__)),	\
		       #expr, __r, strerror(err)			\
		       __VA_OPT__(ASSERT_ERRNO_ARGS(__VA_ARGS__)));		\
	ASSERT_EQ((err), __e)						\
		TH_LOG("%s: %s, expected %s"				\
		       __VA_OPT__(": " ASSERT_ERRNO_FMT(__VA_ARGS__)),	\
		       #expr, strerror(__e), strerror(err)		\
		       __VA_OPT__(ASSERT_ERRNO_ARGS(__VA_ARGS__)));		\
} while (0)
#define ASSERT_ERRNO_FMT(fmt, ...)	fmt
#define ASSERT_ERRNO_ARGS(fmt, ...)	__VA_OPT__(, __VA_ARGS__)

#endif /* MSGQ_TEST_HELPERS_ONLY */

#endif /* MSGQ_TEST_H */
