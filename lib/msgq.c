// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libmsgq: each function is one ioctl(2) or system call; no global state,
 * no threads. Errors: -1 and errno, as in libc (see <msgq.h>). A send at
 * priority 0 and a receive that does not ask for the priority are
 * write(2) and read(2), cheaper than the ioctls (<msgq.h>, msgq_send).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "msgq.h"
#include "timespec_time64.h"
#include "uapi_layout.h"

#define ptr_to_u64(p)	((__u64)(uintptr_t)(p))

int msgq_dev_open(void)
{
	return open(MSGQ_DEVICE_PATH, O_RDWR | O_CLOEXEC);
}

/*
 * Run one name ioctl on a device fd opened for the purpose, keeping the
 * ioctl's errno across the close.
 */
static int dev_ioctl_once(unsigned long cmd, void *arg)
{
	int devfd, ret, saved;

	devfd = msgq_dev_open();
	if (devfd < 0)
		return -1;
	ret = ioctl(devfd, cmd, arg);
	saved = errno;
	close(devfd);
	errno = saved;
	return ret;
}

static int fill_create(struct msgq_create *c, const char *name,
		       unsigned int flags, mode_t mode, unsigned int max_msgs,
		       size_t max_msgsize)
{
	/* Out of the 32-bit field: out of range, as the kernel would say. */
	if (max_msgsize > UINT32_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(c, 0, sizeof(*c));
	c->name = ptr_to_u64(name);
	c->flags = flags;
	c->mode = mode;
	c->max_msgs = max_msgs;
	c->max_msgsize = (__u32)max_msgsize;
	return 0;
}

int msgq_create_at(int devfd, const char *name, unsigned int flags,
		   mode_t mode, unsigned int max_msgs, size_t max_msgsize)
{
	struct msgq_create c;

	if (fill_create(&c, name, flags, mode, max_msgs, max_msgsize))
		return -1;
	return ioctl(devfd, MSGQ_IOC_CREATE, &c);
}

int msgq_create(const char *name, unsigned int flags, mode_t mode,
		unsigned int max_msgs, size_t max_msgsize)
{
	struct msgq_create c;

	if (fill_create(&c, name, flags, mode, max_msgs, max_msgsize))
		return -1;
	return dev_ioctl_once(MSGQ_IOC_CREATE, &c);
}

int msgq_open_at(int devfd, const char *name, unsigned int flags)
{
	struct msgq_open o = { .name = ptr_to_u64(name), .flags = flags };

	return ioctl(devfd, MSGQ_IOC_OPEN, &o);
}

int msgq_open(const char *name, unsigned int flags)
{
	struct msgq_open o = { .name = ptr_to_u64(name), .flags = flags };

	return dev_ioctl_once(MSGQ_IOC_OPEN, &o);
}

int msgq_unlink_at(int devfd, const char *name)
{
	struct msgq_unlink u = { .name = ptr_to_u64(name) };

	return ioctl(devfd, MSGQ_IOC_UNLINK, &u);
}

int msgq_unlink(const char *name)
{
	struct msgq_unlink u = { .name = ptr_to_u64(name) };

	return dev_ioctl_once(MSGQ_IOC_UNLINK, &u);
}

/*
 * Deadlines. A 32-bit program has one of two struct timespec: with the
 * 32-bit time_t of old, or, built with _TIME_BITS=64 (glibc 2.34 on, the
 * default of new 32-bit distributions), with a 64-bit tv_sec. One build of
 * the library serves both, as glibc does for mq_timedsend(3): the plain
 * symbols take the former, __msgq_timedsend_time64() and
 * __msgq_timedrecv_time64() the latter, and <msgq.h> sends a _TIME_BITS=64
 * program to those. Where time_t has 64 bits anyway the two structs are one
 * and the _time64 names are aliases, so every target exports the same
 * symbols. Each entry point turns its caller's struct into the UAPI's
 * struct msgq_timespec (to_uapi_ts); the rest of the library sees only that.
 */
#ifdef __USE_TIME_BITS64
#error "build libmsgq without -D_TIME_BITS=64: it serves both time_t sizes"
#endif

/*
 * @abs as a struct msgq_timespec in @ts, or NULL for no deadline. A macro,
 * to take either struct timespec; its callers pass plain names. Passed
 * through unchecked: an invalid time is the kernel's EINVAL.
 */
#define to_uapi_ts(ts, abs)						\
	((abs) ? ((ts)->tv_sec = (__s64)(abs)->tv_sec,			\
		  (ts)->tv_nsec = (__s64)(abs)->tv_nsec, (ts)) : NULL)

static void set_abs_realtime(struct msgq_timespec *to, __u32 *flags,
			     __u32 *clockid, const struct msgq_timespec *abs)
{
	if (!abs)
		return;
	*to = *abs;
	*flags |= MSGQ_F_TIMEOUT | MSGQ_F_ABSTIME;
	*clockid = CLOCK_REALTIME;
}

static int do_send(int fd, const void *buf, size_t len, unsigned int prio,
		   const struct msgq_timespec *abs_timeout)
{
	struct msgq_send s = {
		.buf = ptr_to_u64(buf),
		.len = (__u32)len,
		.prio = prio,
	};

	if (len > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	set_abs_realtime(&s.timeout, &s.flags, &s.clockid, abs_timeout);
	return ioctl(fd, MSGQ_IOC_SEND, &s);
}

int msgq_timedsend(int fd, const void *buf, size_t len, unsigned int prio,
		   const struct timespec *abs_timeout)
{
	struct msgq_timespec ts;

	return do_send(fd, buf, len, prio, to_uapi_ts(&ts, abs_timeout));
}

/*
 * write(2) and read(2) check the whole buffer's range before the module
 * sees the call; beyond what any mailbox holds that check could say EFAULT
 * where the ioctl says EMSGSIZE. The ioctl decides those cases.
 */
static bool rw_size_ok(size_t n)
{
	return n <= MSGQ_MAX_MSGSIZE_LIMIT;
}

int msgq_send(int fd, const void *buf, size_t len, unsigned int prio)
{
	/* The module's write(2) is exactly a send at priority 0. */
	if (!prio && rw_size_ok(len))
		return write(fd, buf, len) < 0 ? -1 : 0;
	return do_send(fd, buf, len, prio, NULL);
}

static ssize_t do_recv(int fd, void *buf, size_t cap, unsigned int *prio,
		       __u32 flags, const struct msgq_timespec *abs_timeout)
{
	struct msgq_recv r = {
		.buf = ptr_to_u64(buf),
		/* No message is larger than 4 GiB: clamping loses nothing. */
		.cap = cap > UINT32_MAX ? UINT32_MAX : (__u32)cap,
		.flags = flags,
	};

	set_abs_realtime(&r.timeout, &r.flags, &r.clockid, abs_timeout);
	if (ioctl(fd, MSGQ_IOC_RECV, &r) < 0)
		return -1;
	if (prio)
		*prio = r.prio;
	return (ssize_t)r.len;
}

ssize_t msgq_recv(int fd, void *buf, size_t cap, unsigned int *prio)
{
	/* The module's read(2) is exactly this receive, less the priority. */
	if (!prio && rw_size_ok(cap))
		return read(fd, buf, cap);
	return do_recv(fd, buf, cap, prio, 0, NULL);
}

ssize_t msgq_timedrecv(int fd, void *buf, size_t cap, unsigned int *prio,
		       const struct timespec *abs_timeout)
{
	struct msgq_timespec ts;

	return do_recv(fd, buf, cap, prio, 0, to_uapi_ts(&ts, abs_timeout));
}

#if defined(__TIMESIZE) && __TIMESIZE == 32
/* struct timespec_time64: glibc's __timespec64 (timespec_time64.h) */
int __msgq_timedsend_time64(int fd, const void *buf, size_t len,
			    unsigned int prio,
			    const struct timespec_time64 *abs_timeout)
{
	struct msgq_timespec ts;

	return do_send(fd, buf, len, prio, to_uapi_ts(&ts, abs_timeout));
}

ssize_t __msgq_timedrecv_time64(int fd, void *buf, size_t cap,
				unsigned int *prio,
				const struct timespec_time64 *abs_timeout)
{
	struct msgq_timespec ts;

	return do_recv(fd, buf, cap, prio, 0, to_uapi_ts(&ts, abs_timeout));
}
#else
/* time_t has 64 bits: struct timespec is already the _TIME_BITS=64 one. */
__typeof__(msgq_timedsend) __msgq_timedsend_time64
	__attribute__((alias("msgq_timedsend")));
__typeof__(msgq_timedrecv) __msgq_timedrecv_time64
	__attribute__((alias("msgq_timedrecv")));
#endif

ssize_t msgq_peek(int fd, void *buf, size_t cap, unsigned int *prio)
{
	return do_recv(fd, buf, cap, prio, MSGQ_F_PEEK, NULL);
}

int msgq_getattr(int fd, struct msgq_attr *attr)
{
	return ioctl(fd, MSGQ_IOC_GETATTR, attr);
}

int msgq_notify(int fd, const struct msgq_notify *n)
{
	return ioctl(fd, MSGQ_IOC_NOTIFY, n);
}

int msgq_close(int fd)
{
	return close(fd);
}

int msgq_send_args(int fd, struct msgq_send *args)
{
	return ioctl(fd, MSGQ_IOC_SEND, args);
}

ssize_t msgq_recv_args(int fd, struct msgq_recv *args)
{
	if (ioctl(fd, MSGQ_IOC_RECV, args) < 0)
		return -1;
	return (ssize_t)args->len;
}

int msgq_send_fds(int fd, const void *buf, size_t len, unsigned int prio,
		  const int *fds, unsigned int nfds)
{
	struct msgq_send s = {
		.buf = ptr_to_u64(buf),
		.len = (__u32)len,
		.prio = prio,
		.fds = ptr_to_u64(fds),
		.nfds = nfds,
	};

	if (len > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	return ioctl(fd, MSGQ_IOC_SEND, &s);
}

ssize_t msgq_recv_fds(int fd, void *buf, size_t cap, unsigned int *prio,
		      int *fds, unsigned int *nfds, unsigned int *fd_flags)
{
	struct msgq_recv r = {
		.buf = ptr_to_u64(buf),
		.cap = cap > UINT32_MAX ? UINT32_MAX : (__u32)cap,
		.fds = ptr_to_u64(fds),
		.nfds = nfds ? *nfds : 0,
		.fd_flags = fd_flags ? *fd_flags & MSGQ_FD_CLOEXEC : 0,
	};

	if (ioctl(fd, MSGQ_IOC_RECV, &r) < 0)
		return -1;
	if (prio)
		*prio = r.prio;
	if (nfds)
		*nfds = r.nfds;
	if (fd_flags)
		*fd_flags = r.fd_flags;
	return (ssize_t)r.len;
}

int msgq_send_batch_args(int fd, struct msgq_batch *args)
{
	return ioctl(fd, MSGQ_IOC_SEND_BATCH, args);
}

int msgq_recv_batch_args(int fd, struct msgq_batch *args)
{
	return ioctl(fd, MSGQ_IOC_RECV_BATCH, args);
}

/* LIBMSGQ_1.0's one name for both: @send picks the direction. */
int msgq_batch_args(int fd, int send, struct msgq_batch *args)
{
	return send ? msgq_send_batch_args(fd, args) :
		      msgq_recv_batch_args(fd, args);
}

static struct msgq_batch batch_of(struct msgq_mmsg *msgs, unsigned int count,
				  unsigned int flags)
{
	struct msgq_batch args = {
		.msgs = ptr_to_u64(msgs),
		.count = count,
		.flags = flags,
	};

	return args;
}

int msgq_send_batch(int fd, struct msgq_mmsg *msgs, unsigned int count,
		    unsigned int flags)
{
	struct msgq_batch args = batch_of(msgs, count, flags);

	return msgq_send_batch_args(fd, &args);
}

int msgq_recv_batch(int fd, struct msgq_mmsg *msgs, unsigned int count,
		    unsigned int flags)
{
	struct msgq_batch args = batch_of(msgs, count, flags);

	return msgq_recv_batch_args(fd, &args);
}

int msgq_sendrecv_args(int recv_fd, struct msgq_send_recv *args)
{
	return ioctl(recv_fd, MSGQ_IOC_SEND_RECV, args);
}

/* LIBMSGQ_1.1's name of msgq_sendrecv_args(): the same function. */
__typeof__(msgq_sendrecv_args) msgq_send_recv_args
	__attribute__((alias("msgq_sendrecv_args")));

ssize_t msgq_sendrecv(int send_fd, const void *msg, size_t len,
		      unsigned int prio, int recv_fd, void *buf, size_t cap,
		      unsigned int *rprio, int *sent)
{
	struct msgq_send_recv sr = {
		.send = {
			.buf = ptr_to_u64(msg),
			.len = (__u32)len,
			.prio = prio,
		},
		.recv = {
			.buf = ptr_to_u64(buf),
			.cap = cap > UINT32_MAX ? UINT32_MAX : (__u32)cap,
		},
		.send_fd = send_fd,
	};
	int ret;

	if (sent)
		*sent = 0;
	if (len > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	ret = msgq_sendrecv_args(recv_fd, &sr);
	/* The kernel sets MSGQ_SR_SENT once the message is queued. */
	if (sent)
		*sent = !!(sr.flags & MSGQ_SR_SENT);
	if (ret < 0)
		return -1;
	if (rprio)
		*rprio = sr.recv.prio;
	return (ssize_t)sr.recv.len;
}
