/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the waiting and readiness selftests (poll, nonblock, timeout,
 * signal, rendezvous, sync, owned): a thread that makes one call and
 * records when and how it returned, signal handlers that count, and small
 * time helpers. Include it after msgq_test_util.h.
 *
 * Nothing here uses ASSERT_*: the helpers run in threads and children,
 * where the harness's longjmp must not be taken. They return a verdict the
 * test asserts on.
 */
#ifndef MSGQ_WAITING_UTIL_H
#define MSGQ_WAITING_UTIL_H

#include <sys/epoll.h>
#include <sys/select.h>
#include <poll.h>

#define SETTLE_MS	200	/* a blocked task must stay blocked this long */
#define WAKE_MS		10000	/* a woken task may take this long to return */
#define MS		1000000ull

/* ------------------------------------------------------------------ */
/* Time */

static inline uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
}

static inline struct timespec ns_ts(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000ull),
		.tv_nsec = (long)(ns % 1000000000ull),
	};
	return ts;
}

static inline struct msgq_timespec ns_mts(uint64_t ns)
{
	struct msgq_timespec ts = {
		.tv_sec = (__s64)(ns / 1000000000ull),
		.tv_nsec = (__s64)(ns % 1000000000ull),
	};
	return ts;
}

/* ASSERT_ERRNO() with a message: @expr fails with -1 and errno @err. */
#define ASSERT_FAILS(err, expr, fmt, ...) do {				\
	errno = 0;							\
	long __r = (long)(expr);					\
	int __e = errno;						\
	ASSERT_EQ(-1, __r) TH_LOG("%s succeeded (%ld), expected %s: "	\
				  fmt, #expr, __r, strerror(err),	\
				  ##__VA_ARGS__);			\
	ASSERT_EQ((err), __e) TH_LOG("%s: %s, expected %s: " fmt,	\
				     #expr, strerror(__e),		\
				     strerror(err), ##__VA_ARGS__);	\
} while (0)

/* ------------------------------------------------------------------ */
/* A thread that makes one call */

enum call_op {
	CALL_RECV,	/* msgq_recv_args(fd, &c->r) into c->got */
	CALL_SEND,	/* msgq_send_args(fd, &c->s) of c->id */
	CALL_READ,	/* read(fd) into c->got */
	CALL_WRITE,	/* write(fd) of c->id */
	CALL_TIMEDRECV,	/* msgq_timedrecv(fd, &c->got, c->abs) */
	CALL_TIMEDSEND,	/* msgq_timedsend(fd, c->id, c->abs) */
};

/*
 * Zero it, set fd, op, id and, for CALL_RECV/CALL_SEND, any flags or
 * timeout in c->r / c->s (buf and len are filled in by the thread, and
 * cap too unless set to something smaller than c->got).
 */
struct call {
	pthread_t th;
	int fd;
	enum call_op op;
	unsigned int id;
	unsigned int got;
	struct msgq_send s;
	struct msgq_recv r;
	struct timespec abs;
	pid_t tid;
	int started;
	int done;
	long ret;
	int err;
	uint64_t t_start;	/* CLOCK_MONOTONIC just before the call */
	uint64_t t_end;		/* CLOCK_MONOTONIC just after it */
	uint64_t rt_end;	/* CLOCK_REALTIME just after it */
};

static void *call_fn(void *arg)
{
	struct call *c = arg;
	long ret = -1;

	__atomic_store_n(&c->tid, sys_gettid(), __ATOMIC_SEQ_CST);
	__atomic_store_n(&c->started, 1, __ATOMIC_SEQ_CST);
	c->t_start = now_ns(CLOCK_MONOTONIC);
	switch (c->op) {
	case CALL_RECV:
		c->r.buf = ptr_to_u64(&c->got);
		if (!c->r.cap || c->r.cap > sizeof(c->got))
			c->r.cap = sizeof(c->got);
		ret = msgq_recv_args(c->fd, &c->r);
		break;
	case CALL_SEND:
		c->s.buf = ptr_to_u64(&c->id);
		c->s.len = sizeof(c->id);
		ret = msgq_send_args(c->fd, &c->s);
		break;
	case CALL_READ:
		ret = read(c->fd, &c->got, sizeof(c->got));
		break;
	case CALL_WRITE:
		ret = write(c->fd, &c->id, sizeof(c->id));
		break;
	case CALL_TIMEDRECV:
		ret = msgq_timedrecv(c->fd, &c->got, sizeof(c->got), NULL,
				     &c->abs);
		break;
	case CALL_TIMEDSEND:
		ret = msgq_timedsend(c->fd, &c->id, sizeof(c->id), 0, &c->abs);
		break;
	}
	c->err = errno;
	c->t_end = now_ns(CLOCK_MONOTONIC);
	c->rt_end = now_ns(CLOCK_REALTIME);
	c->ret = ret;
	__atomic_store_n(&c->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static inline bool call_done(struct call *c)
{
	return __atomic_load_n(&c->done, __ATOMIC_SEQ_CST);
}

static inline long call_syscall_nr(const struct call *c)
{
	switch (c->op) {
	case CALL_READ:
		return SYS_read;
	case CALL_WRITE:
		return SYS_write;
	default:
		return SYS_msgq_any;
	}
}

/* Start the thread; false if it could not be created. */
static inline bool call_start(struct call *c)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) + 5000 * MS;

	if (pthread_create(&c->th, NULL, call_fn, c))
		return false;
	c->started = 1;	/* joinable from now on */
	while (!__atomic_load_n(&c->tid, __ATOMIC_SEQ_CST)) {
		if (now_ns(CLOCK_MONOTONIC) > end)
			return false;
		sleep_ms(1);
	}
	return true;
}

/* Start the thread and wait until it is asleep in its system call. */
static inline bool call_start_blocked(struct call *c)
{
	if (!call_start(c))
		return false;
	return wait_blocked_in(getpid(), c->tid, call_syscall_nr(c), 5000) &&
	       !call_done(c);
}

/* Wait up to @ms for the call to return. */
static inline bool call_wait(struct call *c, int ms)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) + (uint64_t)ms * MS;

	while (!call_done(c)) {
		if (now_ns(CLOCK_MONOTONIC) > end)
			return false;
		sleep_ms(1);
	}
	pthread_join(c->th, NULL);
	c->started = 0;
	return true;
}

/* ------------------------------------------------------------------ */
/* Signals */

static volatile sig_atomic_t sig_count;

static void count_signal(int sig)
{
	(void)sig;
	sig_count++;
}

/* A counting handler for @sig, with or without SA_RESTART. */
static inline int install_counter(int sig, bool restart)
{
	struct sigaction sa = { .sa_handler = count_signal };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = restart ? SA_RESTART : 0;
	sig_count = 0;
	return sigaction(sig, &sa, NULL);
}

/* Wait up to @ms for sig_count to reach @n. */
static inline bool wait_sig_count(int n, int ms)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) + (uint64_t)ms * MS;

	while (sig_count < n) {
		if (now_ns(CLOCK_MONOTONIC) > end)
			return false;
		sleep_ms(1);
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Mailboxes */

/* Fill @fd with @n messages 0..n-1 without blocking; false on failure. */
static inline bool fill_n(int fd, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (msgq_send(fd, &i, sizeof(i), 0))
			return false;
	return true;
}

/* A non-blocking receive of one unsigned int; returns it, or -1. */
static inline long take_one(int fd)
{
	unsigned int v;
	struct msgq_recv r = {
		.buf = ptr_to_u64(&v), .cap = sizeof(v),
		.flags = MSGQ_F_NONBLOCK,
	};

	if (msgq_recv_args(fd, &r) != sizeof(v))
		return -1;
	return v;
}

/* A non-blocking send of one unsigned int; 0 or -1. */
static inline int put_one(int fd, unsigned int v)
{
	struct msgq_send s = {
		.buf = ptr_to_u64(&v), .len = sizeof(v),
		.flags = MSGQ_F_NONBLOCK,
	};

	return msgq_send_args(fd, &s);
}

static inline struct msgq_attr attr_of(int fd)
{
	struct msgq_attr a;

	memset(&a, 0xff, sizeof(a));
	if (msgq_getattr(fd, &a))
		memset(&a, 0xff, sizeof(a));
	return a;
}

#endif /* MSGQ_WAITING_UTIL_H */
