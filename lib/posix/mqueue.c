// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libmsgq-posix: the <mqueue.h> API over msgq mailboxes.
 *
 * Every function of <mqueue.h>, under glibc's names and prototypes, so that
 * linking with -lmsgq-posix ahead of libc, or LD_PRELOAD=libmsgq-posix.so.1,
 * moves an unchanged POSIX mq program onto msgq. msgq-posix(7) lists every
 * difference from Linux's own mqueue; this file says how each call maps.
 *
 *   mq_open("/name")    msgq_create_at() or msgq_open_at() of "name", on a
 *                       /dev/msgq handle opened for the call; mqd_t is the
 *                       mailbox handle, so poll(2) and epoll(7) work on it
 *   mq_send, mq_receive MSGQ_IOC_SEND, MSGQ_IOC_RECV (msgq_send_args(),
 *                       msgq_recv_args()), priorities 0..MQ_PRIO_MAX - 1
 *   mq_getattr/setattr  MSGQ_IOC_GETATTR; O_NONBLOCK is the handle's own,
 *                       set with fcntl(2): one per open description
 *   mq_notify           MSGQ_IOC_NOTIFY (msgq_notify()); SIGEV_THREAD on
 *                       an eventfd per registration and one helper thread,
 *                       as glibc builds it on the kernel's netlink
 *                       notification
 *   mq_close, mq_unlink close(2), msgq_unlink_at()
 *
 * Errors are Linux's: a descriptor that is not a mailbox handle (ENOTTY
 * from the ioctl) is EBADF, as for mq_send(2) on any other file.
 *
 * State: none for the calls that move messages but a table of each
 * descriptor's mq_msgsize ("The receive buffer"), and for SIGEV_THREAD
 * the helper thread and its registrations ("Notification threads").
 */
#define _GNU_SOURCE
/*
 * The definitions below are checked against <mqueue.h>'s prototypes;
 * fortification would make mq_open an inline wrapper there instead.
 */
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <pthread.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <msgq.h>

#include "../timespec_time64.h"

/* mq_open() without attributes: Linux's msg_default and msgsize_default */
#define DEFAULT_MAXMSG		10
#define DEFAULT_MSGSIZE		8192

/*
 * <mqueue.h> declares pointers nonnull that the kernel's calls take as
 * NULL, and so glibc's (no deadline; mq_setattr(2) only reading): a value
 * through this is one the compiler knows nothing of, so a test for NULL
 * stays in.
 */
#define MAYBE_NULL(p)							\
	({ __typeof__(p) p_ = (p); __asm__("" : "+r"(p_)); p_; })

/* errno of a call on a descriptor: no mailbox handle is EBADF, as Linux */
static int fail_fd(void)
{
	if (errno == ENOTTY)
		errno = EBADF;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Names */

/*
 * The msgq name of POSIX name @name, "/name" -> "name", or NULL with errno
 * as Linux: EINVAL without the leading slash (glibc's check), ENOENT for
 * "/" alone, EACCES for a second slash (the kernel's lookup). msgq refuses
 * the rest itself: ENAMETOOLONG past 255 bytes, EINVAL for bytes other
 * than printable non-space ASCII (msgq-posix(7)).
 */
static const char *msgq_name(const char *name)
{
	if (name[0] != '/') {
		errno = EINVAL;
		return NULL;
	}
	if (!name[1]) {
		errno = ENOENT;
		return NULL;
	}
	if (strchr(name + 1, '/')) {
		errno = EACCES;
		return NULL;
	}
	return name + 1;
}

/* /dev/msgq for one call; ENOSYS when msgq is not there, as without mq */
static int dev_open(void)
{
	int dev = msgq_dev_open();

	if (dev < 0 && (errno == ENOENT || errno == ENODEV || errno == ENXIO))
		errno = ENOSYS;
	return dev;
}

/* Close @dev keeping errno; returns @ret. */
static int dev_close(int dev, int ret)
{
	int saved = errno;

	close(dev);
	errno = saved;
	return ret;
}

/* ------------------------------------------------------------------ */
/* The receive buffer */

/*
 * mq_receive() fails with EMSGSIZE when its buffer is smaller than the
 * queue's mq_msgsize, even for a message that would fit (POSIX; Linux).
 * Asking the kernel every time would double the system calls of a
 * receive, so the library keeps what it learnt of each descriptor: its
 * mailbox's max_msgsize if the handle may receive, 0 if unknown. A buffer
 * at least that large goes straight to MSGQ_IOC_RECV; anything else asks
 * MSGQ_IOC_GETATTR, which also fills the entry. mq_open() and mq_close()
 * clear the entry of their descriptor, so a number reused through them is
 * never taken for the old mailbox. Only a descriptor closed otherwise
 * (close(2), dup2(2) over it) and reused for a different mailbox otherwise
 * can have a stale entry, and then a receive larger than that mailbox's
 * messages but smaller than its max_msgsize succeeds where Linux says
 * EMSGSIZE; no message is ever lost (msgq-posix(7)).
 *
 * The table: FD_CHUNKS lazily allocated chunks of FD_CHUNK entries,
 * published with a compare-and-swap and never freed, so readers take no
 * lock. Descriptors beyond it always ask the kernel.
 */
#define FD_CHUNK	1024
#define FD_CHUNKS	1024

static _Atomic(_Atomic uint32_t *) msgsize_table[FD_CHUNKS];

static _Atomic uint32_t *msgsize_entry(int fd, bool alloc)
{
	_Atomic uint32_t *chunk, *fresh;
	unsigned int i;

	if (fd < 0 || fd >= FD_CHUNK * FD_CHUNKS)
		return NULL;
	i = (unsigned int)fd / FD_CHUNK;
	chunk = atomic_load_explicit(&msgsize_table[i], memory_order_acquire);
	if (!chunk && alloc) {
		fresh = calloc(FD_CHUNK, sizeof(*fresh));
		if (!fresh)
			return NULL;
		if (atomic_compare_exchange_strong(&msgsize_table[i], &chunk,
						   fresh))
			chunk = fresh;
		else
			free(fresh);	/* another thread's is in place */
	}
	return chunk ? &chunk[fd % FD_CHUNK] : NULL;
}

static void msgsize_set(int fd, uint32_t size)
{
	_Atomic uint32_t *e = msgsize_entry(fd, size != 0);

	if (e)
		atomic_store_explicit(e, size, memory_order_relaxed);
}

/*
 * May a receive into @len bytes go ahead on @fd? 0, or -1 with EBADF (no
 * mailbox handle, or one without the receive right) or EMSGSIZE.
 */
static int check_recv_buffer(int fd, size_t len)
{
	_Atomic uint32_t *e = msgsize_entry(fd, false);
	uint32_t known = e ? atomic_load_explicit(e, memory_order_relaxed) : 0;
	struct msgq_attr a;

	if (known && len >= known)
		return 0;
	if (msgq_getattr(fd, &a))
		return fail_fd();
	if (!(a.handle_flags & MSGQ_O_RECV)) {
		errno = EBADF;
		return -1;
	}
	msgsize_set(fd, a.max_msgsize);
	if (len < a.max_msgsize) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* mq_open, mq_close, mq_unlink */

/*
 * The attributes were refused, by Linux's rules (nothing was asked of
 * msgq) or by msgq's limits (EINVAL from the create); Linux looks at them
 * only to create a queue, so an existing one opens all the same. Returns
 * its handle, or -1 with errno as Linux: EEXIST with O_EXCL, EINVAL when
 * there is none.
 */
static int open_existing(int dev, const char *mname, unsigned int flags,
			 bool excl)
{
	int fd = msgq_open_at(dev, mname, flags);

	if (fd >= 0 && excl) {
		close(fd);
		errno = EEXIST;
		return -1;
	}
	if (fd < 0 && errno == ENOENT)
		errno = EINVAL;
	else if (fd < 0 && errno == EACCES && excl)
		errno = EEXIST;
	return fd;
}

/* A positive attribute msgq can take (its fields are 32 bits) */
static bool attr_value_ok(long v)
{
	return v > 0 && (unsigned long long)v <= UINT32_MAX;
}

static int create(int dev, const char *mname, unsigned int flags, bool excl,
		  mode_t mode, const struct mq_attr *attr)
{
	long maxmsg = DEFAULT_MAXMSG, msgsize = DEFAULT_MSGSIZE;
	int fd;

	if (attr) {
		maxmsg = attr->mq_maxmsg;
		msgsize = attr->mq_msgsize;
	}
	/* Linux's EINVAL: mq_maxmsg <= 0, mq_msgsize <= 0 (or beyond) */
	if (!attr_value_ok(maxmsg) || !attr_value_ok(msgsize))
		return open_existing(dev, mname, flags, excl);
	/* A mode's bits beyond 0777 mean nothing to a queue: msgq refuses them. */
	fd = msgq_create_at(dev, mname, flags | (excl ? MSGQ_O_EXCL : 0),
			    mode & 0777, (unsigned int)maxmsg,
			    (size_t)msgsize);
	if (fd < 0 && errno == EINVAL)
		fd = open_existing(dev, mname, flags, excl);
	return fd;
}

static mqd_t open_queue(const char *name, int oflag, mode_t mode,
			const struct mq_attr *attr)
{
	/* Linux's mq descriptors are always close-on-exec. */
	unsigned int flags = MSGQ_O_CLOEXEC;
	const char *mname = msgq_name(name);
	int dev, fd;

	if (!mname)
		return -1;
	switch (oflag & O_ACCMODE) {
	case O_RDONLY:
		flags |= MSGQ_O_RECV;
		break;
	case O_WRONLY:
		flags |= MSGQ_O_SEND;
		break;
	case O_RDWR:
		flags |= MSGQ_O_RDWR;
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	if (oflag & O_NONBLOCK)
		flags |= MSGQ_O_NONBLOCK;

	dev = dev_open();
	if (dev < 0)
		return -1;
	if (oflag & O_CREAT)
		fd = create(dev, mname, flags, oflag & O_EXCL, mode, attr);
	else
		fd = msgq_open_at(dev, mname, flags);
	if (fd >= 0)
		msgsize_set(fd, 0);	/* a new descriptor: nothing known */
	return dev_close(dev, fd);
}

mqd_t mq_open(const char *name, int oflag, ...)
{
	struct mq_attr *attr = NULL;
	mode_t mode = 0;
	va_list ap;

	if (oflag & O_CREAT) {
		va_start(ap, oflag);
		mode = va_arg(ap, mode_t);
		attr = va_arg(ap, struct mq_attr *);
		va_end(ap);
	}
	return open_queue(name, oflag, mode, attr);
}

/*
 * Where a fortified program (-D_FORTIFY_SOURCE) calls mq_open() with two
 * arguments and an oflag the compiler cannot see, glibc's <bits/mqueue2.h>
 * calls this instead; with O_CREAT it ends the program, as glibc does.
 */
mqd_t __mq_open_2(const char *name, int oflag);
mqd_t __mq_open_2(const char *name, int oflag)
{
	static const char msg[] =
		"*** invalid mq_open call: O_CREAT without mode and attr ***: terminated\n";

	if (oflag & O_CREAT) {
		/* Whether stderr takes it or not, the end is the same. */
		ssize_t unused = write(STDERR_FILENO, msg, sizeof(msg) - 1);

		(void)unused;
		abort();
	}
	return open_queue(name, oflag, 0, NULL);
}

static void notify_forget(mqd_t mqdes);

int mq_close(mqd_t mqdes)
{
	/* Before the close: after it, the number may be another's. */
	msgsize_set(mqdes, 0);
	notify_forget(mqdes);
	return close(mqdes);
}

int mq_unlink(const char *name)
{
	const char *mname = msgq_name(name);
	int dev;

	if (!mname)
		return -1;
	dev = dev_open();
	if (dev < 0)
		return -1;
	return dev_close(dev, msgq_unlink_at(dev, mname));
}

/* ------------------------------------------------------------------ */
/* Sending and receiving */

/*
 * A deadline as the UAPI's struct msgq_timespec. A macro, to take either
 * struct timespec (time_t of 32 or 64 bits, timespec_time64.h). Checked
 * here, before anything else, as Linux checks it (EINVAL even for a call
 * that would not wait): the receive's buffer check comes later.
 */
#define TS_VALID(abs)							\
	((abs)->tv_sec >= 0 && (abs)->tv_nsec >= 0 &&			\
	 (abs)->tv_nsec < 1000000000L)
#define to_uapi_ts(ts, abs)						\
	((ts)->tv_sec = (__s64)(abs)->tv_sec,				\
	 (ts)->tv_nsec = (__s64)(abs)->tv_nsec, (ts))

static void set_deadline(struct msgq_timespec *to, __u32 *flags,
			 __u32 *clockid, const struct msgq_timespec *abs)
{
	if (!abs)
		return;
	*to = *abs;
	*flags |= MSGQ_F_TIMEOUT | MSGQ_F_ABSTIME;
	*clockid = CLOCK_REALTIME;
}

static int do_send(mqd_t mqdes, const char *msg_ptr, size_t msg_len,
		   unsigned int msg_prio, const struct msgq_timespec *abs)
{
	struct msgq_send s = {
		.buf = (__u64)(uintptr_t)msg_ptr,
		.len = (__u32)msg_len,
		.prio = msg_prio,
	};

	if (msg_len > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	set_deadline(&s.timeout, &s.flags, &s.clockid, abs);
	return msgq_send_args(mqdes, &s) ? fail_fd() : 0;
}

static ssize_t do_receive(mqd_t mqdes, char *msg_ptr, size_t msg_len,
			  unsigned int *msg_prio,
			  const struct msgq_timespec *abs)
{
	struct msgq_recv r = {
		.buf = (__u64)(uintptr_t)msg_ptr,
		/* No message is larger than 4 GiB: clamping loses nothing. */
		.cap = msg_len > UINT32_MAX ? UINT32_MAX : (__u32)msg_len,
	};
	ssize_t n;

	if (check_recv_buffer(mqdes, msg_len))
		return -1;
	set_deadline(&r.timeout, &r.flags, &r.clockid, abs);
	n = msgq_recv_args(mqdes, &r);
	if (n < 0)
		return fail_fd();
	if (msg_prio)
		*msg_prio = r.prio;
	return n;
}

int mq_send(mqd_t mqdes, const char *msg_ptr, size_t msg_len,
	    unsigned int msg_prio)
{
	return do_send(mqdes, msg_ptr, msg_len, msg_prio, NULL);
}

ssize_t mq_receive(mqd_t mqdes, char *msg_ptr, size_t msg_len,
		   unsigned int *msg_prio)
{
	return do_receive(mqdes, msg_ptr, msg_len, msg_prio, NULL);
}

/*
 * The timed calls, once per struct timespec: the plain names take the
 * program's default one, the _time64 names (glibc's, to which <mqueue.h>
 * sends a 32-bit program built with _TIME_BITS=64) the 64-bit one. Where
 * time_t has 64 bits the two are one, and the _time64 names aliases.
 */
#define DEFINE_TIMED(timedsend, timedreceive, timespec_t)		\
int timedsend(mqd_t mqdes, const char *msg_ptr, size_t msg_len,	\
	      unsigned int msg_prio, const timespec_t *abs_timeout)	\
{									\
	const timespec_t *abs = MAYBE_NULL(abs_timeout);		\
	struct msgq_timespec ts;					\
									\
	if (abs && !TS_VALID(abs)) {					\
		errno = EINVAL;						\
		return -1;						\
	}								\
	return do_send(mqdes, msg_ptr, msg_len, msg_prio,		\
		       abs ? to_uapi_ts(&ts, abs) : NULL);		\
}									\
									\
ssize_t timedreceive(mqd_t mqdes, char *__restrict msg_ptr,		\
		     size_t msg_len, unsigned int *__restrict msg_prio,	\
		     const timespec_t *__restrict abs_timeout)		\
{									\
	const timespec_t *abs = MAYBE_NULL(abs_timeout);		\
	struct msgq_timespec ts;					\
									\
	if (abs && !TS_VALID(abs)) {					\
		errno = EINVAL;						\
		return -1;						\
	}								\
	return do_receive(mqdes, msg_ptr, msg_len, msg_prio,		\
			  abs ? to_uapi_ts(&ts, abs) : NULL);		\
}

DEFINE_TIMED(mq_timedsend, mq_timedreceive, struct timespec)

#if defined(__TIMESIZE) && __TIMESIZE == 32
int __mq_timedsend_time64(mqd_t mqdes, const char *msg_ptr, size_t msg_len,
			  unsigned int msg_prio,
			  const struct timespec_time64 *abs_timeout);
ssize_t __mq_timedreceive_time64(mqd_t mqdes, char *__restrict msg_ptr,
				 size_t msg_len,
				 unsigned int *__restrict msg_prio,
				 const struct timespec_time64 *__restrict abs_timeout);
DEFINE_TIMED(__mq_timedsend_time64, __mq_timedreceive_time64,
	     struct timespec_time64)
#else
__typeof__(mq_timedsend) __mq_timedsend_time64
	__attribute__((alias("mq_timedsend")));
__typeof__(mq_timedreceive) __mq_timedreceive_time64
	__attribute__((alias("mq_timedreceive")));
#endif

/* ------------------------------------------------------------------ */
/* Attributes */

static void to_mq_attr(struct mq_attr *out, const struct msgq_attr *a)
{
	memset(out, 0, sizeof(*out));
	out->mq_flags = a->handle_flags & MSGQ_O_NONBLOCK ? O_NONBLOCK : 0;
	out->mq_maxmsg = a->max_msgs;
	out->mq_msgsize = a->max_msgsize;
	out->mq_curmsgs = a->cur_msgs;
}

int mq_getattr(mqd_t mqdes, struct mq_attr *mqstat)
{
	struct msgq_attr a;

	if (msgq_getattr(mqdes, &a))
		return fail_fd();
	to_mq_attr(mqstat, &a);
	return 0;
}

/*
 * Only O_NONBLOCK can change, and it is the handle's file status flag: one
 * per open description, as Linux's. Other bits of mq_flags are EINVAL, as
 * on Linux; NULL @mqstat only reads, as Linux's mq_getsetattr(2).
 */
int mq_setattr(mqd_t mqdes, const struct mq_attr *__restrict new_attr,
	       struct mq_attr *__restrict omqstat)
{
	const struct mq_attr *mqstat = MAYBE_NULL(new_attr);
	struct msgq_attr a;
	int fl;

	if (mqstat && (mqstat->mq_flags & ~(long)O_NONBLOCK)) {
		errno = EINVAL;
		return -1;
	}
	if (msgq_getattr(mqdes, &a))
		return fail_fd();
	if (omqstat)
		to_mq_attr(omqstat, &a);
	if (!mqstat)
		return 0;
	fl = fcntl(mqdes, F_GETFL);
	if (fl < 0)
		return -1;
	fl = (fl & ~O_NONBLOCK) | (int)(mqstat->mq_flags & O_NONBLOCK);
	return fcntl(mqdes, F_SETFL, fl) < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Notification */

/*
 * MSGQ_IOC_NOTIFY on @mqdes (msgq_notify()). ENOTTY is EBADF for a
 * descriptor that is no mailbox handle, and ENOSYS from a module without
 * the ioctl.
 */
static int notify_ioctl(mqd_t mqdes, const struct msgq_notify *n)
{
	struct msgq_attr a;

	if (!msgq_notify(mqdes, n))
		return 0;
	if (errno == ENOTTY)
		errno = msgq_getattr(mqdes, &a) ? EBADF : ENOSYS;
	return -1;
}

/*
 * Notification threads (SIGEV_THREAD). The kernel cannot start a thread,
 * so it adds 1 to an eventfd of the library's instead (MSGQ_NOTIFY_EVENTFD),
 * one per registration. A helper thread, started by the first SIGEV_THREAD
 * registration, with every signal blocked, waits on all of them in one
 * epoll set; when one fires it forgets the registration (the kernel has
 * removed it: it fires once) and starts the program's function in a new
 * detached thread, with the attributes given, as glibc does.
 *
 * notify_lock guards the list, and the helper's start; it is held across
 * the registering ioctl, so a registration is never seen half-made. The
 * epoll entries carry each registration's id, never a pointer: an event of
 * a registration already forgotten finds nothing. A registration whose
 * descriptor mq_close() closes, or that mq_notify(NULL) removes, is
 * forgotten then; one whose descriptor close(2) closed stays until its
 * descriptor number registers again (msgq-posix(7)).
 *
 * After fork() the child holds no registration (the kernel's belong to the
 * process): it forgets them all and starts its own helper when it needs one.
 */
struct notifier {
	struct notifier *next;
	uint64_t id;
	mqd_t mqd;
	int efd;
	void (*fn)(union sigval);
	union sigval value;
	pthread_attr_t attr;
};

static pthread_mutex_t notify_lock = PTHREAD_MUTEX_INITIALIZER;
static struct notifier *notifiers;	/* notify_lock */
static uint64_t notifier_seq;		/* notify_lock */
static int notify_epfd = -1;		/* notify_lock; -1: no helper yet */
/* Set once, by the first SIGEV_THREAD registration: read without the lock */
static atomic_bool notify_used;

static void notifier_free(struct notifier *n)
{
	if (n->efd >= 0)
		close(n->efd);
	pthread_attr_destroy(&n->attr);
	free(n);
}

/*
 * Has @n's eventfd fired, its thread not started yet? Polled, not read, so
 * that the helper still sees it.
 */
static bool notifier_fired(const struct notifier *n)
{
	struct pollfd p = { .fd = n->efd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

/* Unlink the first registration @match accepts; notify_lock held. */
static struct notifier *notifier_take(bool (*match)(const struct notifier *,
						     uint64_t), uint64_t key)
{
	struct notifier **p, *n;

	for (p = &notifiers; (n = *p); p = &n->next) {
		if (match(n, key)) {
			*p = n->next;
			epoll_ctl(notify_epfd, EPOLL_CTL_DEL, n->efd, NULL);
			return n;
		}
	}
	return NULL;
}

static bool match_id(const struct notifier *n, uint64_t id)
{
	return n->id == id;
}

/*
 * A registration of descriptor @mqd that the kernel no longer holds, or
 * will not once the caller is done: one that has fired is left to the
 * helper, which starts its thread.
 */
static bool match_mqd_unfired(const struct notifier *n, uint64_t mqd)
{
	return (uint64_t)n->mqd == mqd && !notifier_fired(n);
}

/* Forget @mqdes's registrations: mq_close(), mq_notify(NULL). */
static void notify_forget(mqd_t mqdes)
{
	struct notifier *n;

	if (!atomic_load_explicit(&notify_used, memory_order_relaxed))
		return;
	pthread_mutex_lock(&notify_lock);
	while ((n = notifier_take(match_mqd_unfired, (uint64_t)mqdes)))
		notifier_free(n);
	pthread_mutex_unlock(&notify_lock);
}

struct notify_call {
	void (*fn)(union sigval);
	union sigval value;
};

static void *notify_thread_main(void *arg)
{
	struct notify_call c = *(struct notify_call *)arg;

	free(arg);
#ifndef PTHREAD_ATTR_NO_SIGMASK_NP
	{
		/* The helper blocks every signal; the program's thread not. */
		sigset_t none;

		sigemptyset(&none);
		pthread_sigmask(SIG_SETMASK, &none, NULL);
	}
#endif
	c.fn(c.value);
	return NULL;
}

/* Registration @id fired: start its thread. */
static void notify_fire(uint64_t id)
{
	struct notify_call *c;
	struct notifier *n;
	pthread_t t;

	pthread_mutex_lock(&notify_lock);
	n = notifier_take(match_id, id);
	pthread_mutex_unlock(&notify_lock);
	if (!n)
		return;
	/* As glibc: there is nobody to tell of a thread that cannot start. */
	c = malloc(sizeof(*c));
	if (c) {
		c->fn = n->fn;
		c->value = n->value;
		if (pthread_create(&t, &n->attr, notify_thread_main, c))
			free(c);
	}
	notifier_free(n);
}

static void *notify_helper(void *arg)
{
	struct epoll_event ev[16];
	int epfd = (int)(intptr_t)arg;
	int i, n;

	for (;;) {
		n = epoll_wait(epfd, ev, 16, -1);
		for (i = 0; i < n; i++)
			notify_fire(ev[i].data.u64);
	}
	return NULL;
}

static void notify_atfork_prepare(void)
{
	pthread_mutex_lock(&notify_lock);
}

static void notify_atfork_parent(void)
{
	pthread_mutex_unlock(&notify_lock);
}

static void notify_atfork_child(void)
{
	struct notifier *n;

	while ((n = notifiers)) {
		notifiers = n->next;
		notifier_free(n);
	}
	if (notify_epfd >= 0)
		close(notify_epfd);
	notify_epfd = -1;
	/* Locked by this thread in notify_atfork_prepare() */
	pthread_mutex_unlock(&notify_lock);
}

/* Start the helper thread unless it runs; notify_lock held. 0 or errno. */
static int notify_helper_start(void)
{
	static bool atfork_done;
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t t;
	int epfd, err;

	if (notify_epfd >= 0)
		return 0;
	if (!atfork_done) {
		err = pthread_atfork(notify_atfork_prepare,
				     notify_atfork_parent,
				     notify_atfork_child);
		if (err)
			return err;
		atfork_done = true;
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return errno;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	/* The helper inherits the mask: block every signal around its birth. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&t, &attr, notify_helper, (void *)(intptr_t)epfd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (err) {
		close(epfd);
		return err;
	}
	notify_epfd = epfd;
	return 0;
}

/*
 * Copy thread attributes @src into @dst, which is initialised here: every
 * attribute POSIX defines and GNU's affinity and signal mask, through the
 * public calls (glibc's own copy is internal). A stack address is not
 * copied: each notification thread needs a stack of its own. Returns 0 or
 * an errno.
 */
static int attr_copy(pthread_attr_t *dst, const pthread_attr_t *src)
{
	struct sched_param sp;
	size_t size;
	int v, err;

	err = pthread_attr_init(dst);
	if (err)
		return err;
	if (!pthread_attr_getstacksize(src, &size))
		err = err ? err : pthread_attr_setstacksize(dst, size);
	if (!pthread_attr_getguardsize(src, &size))
		err = err ? err : pthread_attr_setguardsize(dst, size);
	if (!pthread_attr_getinheritsched(src, &v))
		err = err ? err : pthread_attr_setinheritsched(dst, v);
	if (!pthread_attr_getschedpolicy(src, &v))
		err = err ? err : pthread_attr_setschedpolicy(dst, v);
	if (!pthread_attr_getschedparam(src, &sp))
		err = err ? err : pthread_attr_setschedparam(dst, &sp);
	if (!pthread_attr_getscope(src, &v))
		err = err ? err : pthread_attr_setscope(dst, v);
	{
		/* glibc reports every CPU for an attribute without a set. */
		cpu_set_t set, dflt;
		pthread_attr_t fresh;

		pthread_attr_init(&fresh);
		if (!pthread_attr_getaffinity_np(src, sizeof(set), &set) &&
		    !pthread_attr_getaffinity_np(&fresh, sizeof(dflt), &dflt) &&
		    !CPU_EQUAL(&set, &dflt))
			err = err ? err : pthread_attr_setaffinity_np(dst,
							sizeof(set), &set);
		pthread_attr_destroy(&fresh);
	}
#ifdef PTHREAD_ATTR_NO_SIGMASK_NP
	{
		sigset_t mask;

		if (pthread_attr_getsigmask_np(src, &mask) ==
		    PTHREAD_ATTR_NO_SIGMASK_NP)
			sigemptyset(&mask);
		err = err ? err : pthread_attr_setsigmask_np(dst, &mask);
	}
#endif
	if (err)
		pthread_attr_destroy(dst);
	return err;
}

static int notify_thread(mqd_t mqdes, const struct sigevent *sev)
{
	struct msgq_notify req = { .how = MSGQ_NOTIFY_EVENTFD };
	struct epoll_event ev = { .events = EPOLLIN };
	struct notifier *n, *stale;
	int err;

	n = calloc(1, sizeof(*n));
	if (!n)
		return -1;
	n->fn = sev->sigev_notify_function;
	n->value = sev->sigev_value;
	if (sev->sigev_notify_attributes) {
		err = attr_copy(&n->attr, sev->sigev_notify_attributes);
	} else {
		err = pthread_attr_init(&n->attr);
#ifdef PTHREAD_ATTR_NO_SIGMASK_NP
		{
			sigset_t none;

			sigemptyset(&none);
			err = err ? err : pthread_attr_setsigmask_np(&n->attr,
								     &none);
		}
#endif
	}
	if (err) {
		free(n);
		errno = err;
		return -1;
	}
	pthread_attr_setdetachstate(&n->attr, PTHREAD_CREATE_DETACHED);
	n->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->efd < 0) {
		err = errno;
		goto out_free;
	}
	req.fd = n->efd;

	pthread_mutex_lock(&notify_lock);
	err = notify_helper_start();
	if (err)
		goto out_unlock;
	if (notify_ioctl(mqdes, &req)) {
		err = errno;
		goto out_unlock;
	}
	/* The kernel took it: what the list holds for @mqdes is stale. */
	while ((stale = notifier_take(match_mqd_unfired, (uint64_t)mqdes)))
		notifier_free(stale);
	n->id = ++notifier_seq;
	n->mqd = mqdes;
	ev.data.u64 = n->id;
	if (epoll_ctl(notify_epfd, EPOLL_CTL_ADD, n->efd, &ev)) {
		struct msgq_notify rm = { .how = MSGQ_NOTIFY_REMOVE };

		err = errno;
		notify_ioctl(mqdes, &rm);
		goto out_unlock;
	}
	n->next = notifiers;
	notifiers = n;
	atomic_store_explicit(&notify_used, true, memory_order_relaxed);
	pthread_mutex_unlock(&notify_lock);
	return 0;

out_unlock:
	pthread_mutex_unlock(&notify_lock);
out_free:
	notifier_free(n);
	errno = err;
	return -1;
}

int mq_notify(mqd_t mqdes, const struct sigevent *sevp)
{
	struct msgq_notify req = { 0 };

	if (!sevp) {
		/*
		 * Linux removes the caller's registration if it holds one,
		 * and succeeds either way.
		 */
		req.how = MSGQ_NOTIFY_REMOVE;
		notify_forget(mqdes);
		if (notify_ioctl(mqdes, &req) && errno != ENOENT)
			return -1;
		return 0;
	}
	switch (sevp->sigev_notify) {
	case SIGEV_NONE:
		req.how = MSGQ_NOTIFY_NONE;
		break;
	case SIGEV_SIGNAL:
		/* Linux takes signal 0, and sends nothing: a SIGEV_NONE. */
		if (!sevp->sigev_signo) {
			req.how = MSGQ_NOTIFY_NONE;
			break;
		}
		req.how = MSGQ_NOTIFY_SIGNAL;
		req.signo = sevp->sigev_signo;
		/* The union's bytes, so sival_int and sival_ptr both arrive. */
		if (sizeof(sevp->sigev_value) == sizeof(req.value))
			memcpy(&req.value, &sevp->sigev_value,
			       sizeof(req.value));
		else
			req.value = (uintptr_t)sevp->sigev_value.sival_ptr;
		break;
	case SIGEV_THREAD:
		return notify_thread(mqdes, sevp);
	default:
		/* SIGEV_THREAD_ID too: Linux's own, not POSIX's. */
		errno = EINVAL;
		return -1;
	}
	return notify_ioctl(mqdes, &req);
}
