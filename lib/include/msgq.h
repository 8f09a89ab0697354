/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libmsgq: a thin C API over the msgq kernel module's UAPI.
 *
 * Installed as <msgq.h>. It includes the kernel UAPI header as
 * <linux/msgq.h>, installed beside it, which defines the structs, flags and
 * limits used here (struct msgq_attr, struct msgq_send, struct msgq_recv,
 * MSGQ_O_*, MSGQ_F_*, MSGQ_PRIO_MAX, ...) and documents every semantic.
 *
 * Error convention, used by every function, as in libc: on failure a
 * function returns -1 and sets errno; on success it returns a value >= 0
 * (a file descriptor, a message length, or 0). errno is left untouched on
 * success.
 *
 * Handles: msgq_create() and msgq_open() return a *mailbox handle*, an
 * ordinary file descriptor. That descriptor is the pollable fd: hand it to
 * poll(2), epoll(7) or an event loop directly (EPOLLIN: a message is
 * waiting; EPOLLOUT: a send would not block). It can also be read(2) and
 * written(2) (one whole message at priority 0), passed over a UNIX socket,
 * inherited across fork(2), and set O_NONBLOCK with fcntl(2). Close it with
 * msgq_close() or close(2).
 *
 * The library keeps no global state and starts no threads: every function
 * is one ioctl(2) or system call on the descriptor it is given (the name
 * functions without _at open /dev/msgq, issue one ioctl and close it
 * again). Thread safety is therefore that of the kernel object.
 *
 * Fast path: msgq_send() at priority 0 is write(2), and msgq_recv() with a
 * NULL @prio is read(2), on the handle; everything else is an ioctl. The
 * module's write(2) is exactly a send at priority 0 and its read(2) exactly
 * a receive (same waits, O_NONBLOCK, signal restarts and errors; a message
 * of 0 bytes is sent by a write of 0 bytes and received as a read that
 * returns 0). They skip the ioctl's argument struct (copied in, and for a
 * receive copied back out) and the ioctl dispatch with its LSM hook
 * (security_file_ioctl), and were measured cheaper: a write + read costs
 * about 0.8 of an ioctl send + receive (README, "Performance"). Being
 * plain write(2)/read(2), they cannot tell a descriptor that is not a
 * mailbox handle by ENOTTY: on a /dev/msgq handle they fail with EINVAL,
 * and any other descriptor is simply written or read.
 *
 * Sizes: message lengths travel to the kernel as 32-bit values. A send
 * longer than UINT32_MAX fails with EMSGSIZE (the kernel's limit is far
 * lower anyway); a receive capacity above UINT32_MAX is clamped.
 *
 * time_t: msgq_timedsend() and msgq_timedrecv() take a struct timespec,
 * whose tv_sec in a 32-bit program is 32 bits, or 64 when it is built with
 * -D_TIME_BITS=64 (glibc 2.34 on, which then defines __USE_TIME_BITS64).
 * The library has an entry point for each, as glibc has for
 * mq_timedsend(3): this header sends a _TIME_BITS=64 program to
 * __msgq_timedsend_time64() and __msgq_timedrecv_time64() (LIBMSGQ_1.2),
 * which every target exports (where time_t has 64 bits anyway they are
 * aliases). So one 32-bit libmsgq serves programs of both kinds; a program
 * never calls the _time64 names itself. No other function depends on
 * time_t or off_t: the UAPI structs carry struct msgq_timespec, 64 bits
 * wide in every ABI.
 */
#ifndef LIBMSGQ_MSGQ_H
#define LIBMSGQ_MSGQ_H

#include <sys/types.h>	/* mode_t, ssize_t */
#include <stddef.h>	/* size_t */
#include <time.h>	/* struct timespec */
#include <linux/msgq.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The _time64 redirection ("time_t" above): by an asm label where glibc's
 * <sys/cdefs.h> says the compiler takes one (it defines __REDIRECT, which
 * its own <mqueue.h> uses alike), else by renaming.
 */
#if defined(__USE_TIME_BITS64) && defined(__REDIRECT)
#define LIBMSGQ_TIME64_NAME(sym)	__asm__(__ASMNAME(#sym))
#elif defined(__USE_TIME_BITS64)
#define msgq_timedsend			__msgq_timedsend_time64
#define msgq_timedrecv			__msgq_timedrecv_time64
#endif
#ifndef LIBMSGQ_TIME64_NAME
#define LIBMSGQ_TIME64_NAME(sym)
#endif

/*
 * msgq_dev_open - open /dev/msgq (O_RDWR | O_CLOEXEC).
 *
 * The device handle is bound to the IPC namespace of the caller at open
 * time; keep it to create, open and unlink mailboxes of that namespace with
 * the _at variants, even after a setns(2)/unshare(2).
 * Returns the device fd, or -1 with errno (ENOENT: module not loaded).
 */
int msgq_dev_open(void);

/*
 * msgq_create - create (or, without MSGQ_O_EXCL, open) a named mailbox.
 * @name:        1..MSGQ_NAME_MAX printable non-space ASCII bytes
 * @flags:       MSGQ_CREATE_FLAGS; at least one of MSGQ_O_SEND/MSGQ_O_RECV
 * @mode:        permission bits, reduced by the umask
 * @max_msgs:    capacity in messages (0: rendezvous mailbox)
 * @max_msgsize: largest message, 1..MSGQ_MAX_MSGSIZE_LIMIT bytes
 *
 * Returns a new mailbox handle, or -1 with errno (EEXIST, EINVAL,
 * ENAMETOOLONG, EACCES, ENOSPC, EMFILE, ENOMEM, or open(2)'s errors on
 * /dev/msgq).
 */
int msgq_create(const char *name, unsigned int flags, mode_t mode,
		unsigned int max_msgs, size_t max_msgsize);
int msgq_create_at(int devfd, const char *name, unsigned int flags,
		   mode_t mode, unsigned int max_msgs, size_t max_msgsize);

/*
 * msgq_open - open an existing mailbox by name.
 * @flags: MSGQ_OPEN_FLAGS; at least one of MSGQ_O_SEND/MSGQ_O_RECV
 *
 * Returns a new mailbox handle, or -1 with errno (ENOENT, EACCES, EINVAL,
 * ENAMETOOLONG).
 */
int msgq_open(const char *name, unsigned int flags);
int msgq_open_at(int devfd, const char *name, unsigned int flags);

/*
 * msgq_unlink - remove a mailbox's name. Open handles keep working; the
 * mailbox is freed with the last of them, and the name can be reused at
 * once. Returns 0, or -1 with errno (ENOENT, EACCES, EINVAL, ENAMETOOLONG).
 */
int msgq_unlink(const char *name);
int msgq_unlink_at(int devfd, const char *name);

/*
 * msgq_send - send one message of @len bytes (0 is a valid message) at
 * priority @prio (0..MSGQ_PRIO_MAX - 1, higher is received first).
 * Waits while the mailbox is full, unless the handle is O_NONBLOCK.
 * Returns 0, or -1 with errno (EAGAIN, EINTR, EMSGSIZE, EINVAL, EFAULT,
 * EBADF, EIDRM). At priority 0 (and @len up to MSGQ_MAX_MSGSIZE_LIMIT)
 * this is write(2): see "Fast path" above.
 */
int msgq_send(int fd, const void *buf, size_t len, unsigned int prio);

/*
 * msgq_timedsend - msgq_send() that gives up with ETIMEDOUT at
 * @abs_timeout, an absolute CLOCK_REALTIME time as for mq_timedsend(3).
 * NULL waits without a timeout. An invalid @abs_timeout fails with EINVAL.
 */
int msgq_timedsend(int fd, const void *buf, size_t len, unsigned int prio,
		   const struct timespec *abs_timeout)
	LIBMSGQ_TIME64_NAME(__msgq_timedsend_time64);

/*
 * msgq_recv - receive the oldest message of the highest priority present
 * into @buf (@cap bytes). Waits while the mailbox is empty, unless the
 * handle is O_NONBLOCK. If @prio is not NULL it receives the priority.
 * Returns the message length, or -1 with errno (EAGAIN, EINTR, EMSGSIZE:
 * @cap is too small and the message stays first in line, EFAULT: the
 * message stays first in line too, EBADF, EIDRM). Use msgq_recv_args() to
 * learn the size needed after EMSGSIZE, or the sender's identity. With
 * @prio NULL (and @cap up to MSGQ_MAX_MSGSIZE_LIMIT) this is read(2): see
 * "Fast path" above.
 */
ssize_t msgq_recv(int fd, void *buf, size_t cap, unsigned int *prio);

/* msgq_timedrecv - msgq_recv() with an absolute CLOCK_REALTIME timeout. */
ssize_t msgq_timedrecv(int fd, void *buf, size_t cap, unsigned int *prio,
		       const struct timespec *abs_timeout)
	LIBMSGQ_TIME64_NAME(__msgq_timedrecv_time64);

/*
 * msgq_peek - copy the message msgq_recv() would return without removing
 * it. Waits like msgq_recv(). Same return values.
 */
ssize_t msgq_peek(int fd, void *buf, size_t cap, unsigned int *prio);

/* msgq_getattr - fill @attr (see struct msgq_attr). Returns 0 or -1. */
int msgq_getattr(int fd, struct msgq_attr *attr);

/*
 * msgq_notify - MSGQ_IOC_NOTIFY: register (or with MSGQ_NOTIFY_REMOVE end)
 * the process's notification of a message arriving in the empty mailbox
 * (mq_notify(3) on a mailbox; struct msgq_notify). Returns 0 or -1.
 */
int msgq_notify(int fd, const struct msgq_notify *n);

/* msgq_close - close a mailbox or device handle: close(2). */
int msgq_close(int fd);

/*
 * msgq_send_args - MSGQ_IOC_SEND with a caller-filled struct msgq_send, for
 * what the short forms do not offer: MSGQ_F_SYNC, MSGQ_F_NONBLOCK per call,
 * relative or CLOCK_MONOTONIC timeouts. Unused fields must be zero
 * (initialise the struct with = { 0 } or memset). Returns 0 or -1.
 */
int msgq_send_args(int fd, struct msgq_send *args);

/*
 * msgq_recv_args - MSGQ_IOC_RECV with a caller-filled struct msgq_recv
 * (buf, cap, flags, clockid, timeout; the rest zero). On return the kernel
 * has filled len, prio, pid, uid and sent_ns; after EMSGSIZE, len holds the
 * size needed. Returns the message length, or -1 with errno.
 */
ssize_t msgq_recv_args(int fd, struct msgq_recv *args);

/*
 * msgq_send_fds - send a message carrying @nfds (0..MSGQ_FDS_MAX) open file
 * descriptors @fds, as SCM_RIGHTS does (msgq(4), "Passing file
 * descriptors"): the receiver gets descriptors of its own for the same
 * open files; the caller may close its own at once. Returns 0 or -1 with
 * errno (EBADF: an entry not open, or one that cannot be carried: a msgq
 * handle, an AF_UNIX socket, an io_uring instance).
 */
int msgq_send_fds(int fd, const void *buf, size_t len, unsigned int prio,
		  const int *fds, unsigned int nfds);

/*
 * msgq_recv_fds - receive a message and the descriptors it carries. @fds
 * has room for *@nfds entries; on return *@nfds holds how many were
 * received. @fd_flags (may be NULL): in, MSGQ_FD_CLOEXEC for descriptors
 * that close on exec; out, MSGQ_FD_CTRUNC if the message carried more
 * descriptors than @fds had room for (the rest are closed). Returns the
 * message length, or -1 with errno: EMFILE if the descriptor table cannot
 * take them (the message stays first in line).
 */
ssize_t msgq_recv_fds(int fd, void *buf, size_t cap, unsigned int *prio,
		      int *fds, unsigned int *nfds, unsigned int *fd_flags);

/*
 * msgq_send_batch - send msgs[0..count-1] in order in one call (one lock
 * round, one wakeup), like sendmmsg(2). Each entry gives buf, len and prio
 * (the other fields zero). @flags: MSGQ_F_NONBLOCK; for timeouts use
 * msgq_send_batch_args(). Returns the number sent (>= 1; fewer than @count
 * when the mailbox filled up without blocking, a wait timed out or was
 * interrupted, or entry k was bad: k.. are then untouched), or -1 with
 * errno when none was sent.
 */
int msgq_send_batch(int fd, struct msgq_mmsg *msgs, unsigned int count,
		    unsigned int flags);

/*
 * msgq_recv_batch - receive up to @count messages in one call, like
 * recvmmsg(2) with MSG_WAITFORONE: waits (unless MSGQ_F_NONBLOCK) for the
 * first message, then takes what is there. Each entry gives buf and, in
 * len, its capacity; the kernel fills len, prio, pid, uid and sent_ns.
 * @flags: MSGQ_F_NONBLOCK; for timeouts use msgq_recv_batch_args().
 * Returns the number received (>= 1), or -1 with errno.
 */
int msgq_recv_batch(int fd, struct msgq_mmsg *msgs, unsigned int count,
		    unsigned int flags);

/*
 * msgq_send_batch_args - MSGQ_IOC_SEND_BATCH with a caller-filled struct
 * msgq_batch, for timeouts. Returns the number of messages sent, or -1 with
 * errno. Since LIBMSGQ_1.3.
 */
int msgq_send_batch_args(int fd, struct msgq_batch *args);

/*
 * msgq_recv_batch_args - MSGQ_IOC_RECV_BATCH with a caller-filled struct
 * msgq_batch, for timeouts. Returns the number of messages received, or -1
 * with errno. Since LIBMSGQ_1.3.
 */
int msgq_recv_batch_args(int fd, struct msgq_batch *args);

/*
 * msgq_batch_args - deprecated: msgq_send_batch_args() if @send is
 * non-zero, else msgq_recv_batch_args(). Kept for programs built against
 * LIBMSGQ_1.0; new code calls the two functions.
 */
int msgq_batch_args(int fd, int send, struct msgq_batch *args);

/*
 * msgq_sendrecv - send a message on @send_fd, then receive one on @recv_fd,
 * in one system call (MSGQ_IOC_SEND_RECV): a client's request and the wait
 * for its reply, or a server's reply and the wait for the next request.
 * @send_fd:          handle opened for sending (may be @recv_fd itself)
 * @msg, @len, @prio: the message, as for msgq_send()
 * @recv_fd:          handle opened for receiving
 * @buf, @cap:        the receive buffer, as for msgq_recv()
 * @rprio:            if not NULL, receives the received message's priority
 * @sent:             if not NULL, set to 1 if the message went out, to 0 if
 *                    it did not; on failure too
 *
 * Each half waits under its own handle's O_NONBLOCK and keeps the rules of
 * msgq_send() and msgq_recv(). If the send fails, nothing is received and
 * *@sent is 0. Once queued, the message is never sent twice: a receive
 * that fails (EAGAIN, EINTR from a handler without SA_RESTART, EMSGSIZE
 * with the message left first in line, EIDRM, ...) leaves *@sent at 1;
 * wait for the reply with msgq_recv() then, not with another
 * msgq_sendrecv(). Under SA_RESTART the kernel restarts only the receive.
 *
 * Returns the received message's length, or -1 with errno: those of
 * msgq_send() (*@sent 0) and of msgq_recv() (*@sent 1); EBADF if @send_fd
 * is not a mailbox handle opened for sending or @recv_fd not one opened for
 * receiving; ENOTTY if @recv_fd is not a mailbox handle, or the module
 * predates MSGQ_IOC_SEND_RECV. Since LIBMSGQ_1.1.
 */
ssize_t msgq_sendrecv(int send_fd, const void *msg, size_t len,
		      unsigned int prio, int recv_fd, void *buf, size_t cap,
		      unsigned int *rprio, int *sent);

/*
 * msgq_sendrecv_args - MSGQ_IOC_SEND_RECV on @recv_fd with a caller-filled
 * struct msgq_send_recv (send_fd, send and recv as for msgq_send_args() and
 * msgq_recv_args(), flags; the rest zero), for what msgq_sendrecv() does
 * not offer: MSGQ_F_SYNC, per-call MSGQ_F_NONBLOCK and timeouts on either
 * half, the sender's identity, the size needed after EMSGSIZE. The kernel
 * sets MSGQ_SR_SENT in args->flags once the message is queued and fills
 * args->recv as MSGQ_IOC_RECV does; a call with MSGQ_SR_SENT already set
 * only receives. Returns 0 (the length is in args->recv.len), or -1 with
 * errno. Since LIBMSGQ_1.3.
 */
int msgq_sendrecv_args(int recv_fd, struct msgq_send_recv *args);

/*
 * msgq_send_recv_args - deprecated: the LIBMSGQ_1.1 name of
 * msgq_sendrecv_args(), the same function under the name it had before
 * the msgq_X()/msgq_X_args() pattern.
 */
int msgq_send_recv_args(int recv_fd, struct msgq_send_recv *args);

#undef LIBMSGQ_TIME64_NAME

#ifdef __cplusplus
}
#endif

#endif /* LIBMSGQ_MSGQ_H */
