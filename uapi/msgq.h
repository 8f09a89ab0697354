/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * msgq: named, kernel-owned mailboxes behind one character device.
 *
 * The device /dev/msgq is a namespace handle: it is bound to the IPC
 * namespace of the process that opened it, and its ioctls create, open and
 * unlink mailboxes by name (MSGQ_IOC_CREATE, MSGQ_IOC_OPEN, MSGQ_IOC_UNLINK).
 * CREATE and OPEN return a new file descriptor, a *mailbox handle*, bound to
 * one mailbox for one or both directions. A mailbox handle supports:
 *
 *   write(2)   send one whole message at priority 0
 *   read(2)    receive one whole message (EMSGSIZE if the buffer is short)
 *   poll(2)    EPOLLIN: a message is waiting; EPOLLOUT: a send would not
 *              block; EPOLLHUP|EPOLLERR: the mailbox is gone (owner died).
 *              A message wakes one blocked receiver, and of the pollers
 *              every one but EPOLLEXCLUSIVE epoll entries, of which one.
 *   MSGQ_IOC_SEND, MSGQ_IOC_RECV, MSGQ_IOC_GETATTR,
 *   MSGQ_IOC_SEND_BATCH, MSGQ_IOC_RECV_BATCH, MSGQ_IOC_SEND_RECV
 *
 * This header is the reference for the ioctls. msgq(4) is the one for the
 * device as a file: vector reads and writes, RWF_NOWAIT, offsets and
 * splice(2), permissions, the per-user limits, the module parameters, and
 * /proc/msgq and /proc/msgq_limits.
 *
 * Conventions: every struct has explicit padding, pointers travel as __u64,
 * and no field is a long, time_t or off_t (times are struct msgq_timespec),
 * so every struct has one layout for 32-bit and 64-bit callers. Every field
 * named __reserved or __pad must be zero on input (EINVAL otherwise), so
 * that later versions can give them meaning. Unknown flag bits are rejected
 * with EINVAL. Unknown ioctls fail with ENOTTY.
 *
 * Errors common to every ioctl:
 *   EFAULT   a pointer (to the struct, a name or a buffer) is not accessible
 *   EINVAL   unknown flag bits, non-zero reserved fields, bad values
 *   ENOTTY   the ioctl does not apply to this kind of handle
 */
#ifndef _UAPI_LINUX_MSGQ_H
#define _UAPI_LINUX_MSGQ_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define MSGQ_DEVICE_PATH	"/dev/msgq"

/*
 * Names: 1 to MSGQ_NAME_MAX bytes of printable, non-space ASCII (0x21-0x7e),
 * NUL-terminated. Empty or non-printable: EINVAL. Longer: ENAMETOOLONG.
 */
#define MSGQ_NAME_MAX		255

/*
 * Priorities: 0 (lowest, the default of write(2)) to MSGQ_PRIO_MAX - 1, as
 * Linux's POSIX message queues (sysconf(_SC_MQ_PRIO_MAX) is 32768). The
 * module of msgq 0.1 took 0..63: MSGQ_PRIO_MAX_V0.
 */
#define MSGQ_PRIO_MAX		32768
#define MSGQ_PRIO_MAX_V0	64

/*
 * Accounting: creating a mailbox reserves MSGQ_MAILBOX_OVERHEAD +
 * max(max_msgs, 1) * (max_msgsize + MSGQ_MSG_OVERHEAD) bytes of its
 * creator's quota (msgq(4), "Limits"): the mailbox with its name, and each
 * message it can hold with a header, as RLIMIT_MSGQUEUE counts a header per
 * POSIX message; a rendezvous mailbox counts as holding one. A fan-out
 * mailbox holds no message itself and reserves MSGQ_MAILBOX_OVERHEAD; each
 * subscription to it (a handle opened with MSGQ_O_RECV) reserves as much as
 * a mailbox of the same limits, of its opener's quota, for the messages it
 * can hold: the subscriptions share payloads, but each can hold messages
 * the others have taken.
 */
#define MSGQ_MSG_OVERHEAD	64
#define MSGQ_MAILBOX_OVERHEAD	2048

/*
 * Upper bounds enforced at create; the module parameters may set lower ones
 * (msgq(4), "Module parameters").
 */
#define MSGQ_MAX_MSGS_LIMIT	65536
#define MSGQ_MAX_MSGSIZE_LIMIT	0x100000U	/* 1 MiB */

/* Flags for struct msgq_create.flags and struct msgq_open.flags. */
#define MSGQ_O_SEND		0x01U	/* handle may send */
#define MSGQ_O_RECV		0x02U	/* handle may receive */
#define MSGQ_O_NONBLOCK		0x04U	/* handle starts O_NONBLOCK */
#define MSGQ_O_CLOEXEC		0x08U	/* handle starts FD_CLOEXEC */
#define MSGQ_O_EXCL		0x10U	/* create: EEXIST if it exists */
#define MSGQ_O_OWNED		0x20U	/* create: dies with this handle */
#define MSGQ_O_FANOUT		0x40U	/* create: a fan-out mailbox */
#define MSGQ_O_FANOUT_DROP	0x80U	/* create: ... dropping, not blocking */
#define MSGQ_O_RDWR		(MSGQ_O_SEND | MSGQ_O_RECV)
#define MSGQ_OPEN_FLAGS		(MSGQ_O_RDWR | MSGQ_O_NONBLOCK | MSGQ_O_CLOEXEC)
#define MSGQ_CREATE_FLAGS	(MSGQ_OPEN_FLAGS | MSGQ_O_EXCL | MSGQ_O_OWNED | \
				 MSGQ_O_FANOUT | MSGQ_O_FANOUT_DROP)

/*
 * Fan-out mailboxes (MSGQ_O_FANOUT): every handle opened with MSGQ_O_RECV
 * is a subscription, and every subscription gets every message sent after
 * it was opened, in the mailbox's priority order, until it is closed. A
 * message is stored once, shared by the subscriptions that still hold it.
 * max_msgs bounds each subscription's backlog: a send waits (or fails with
 * EAGAIN) while one is full, or with MSGQ_O_FANOUT_DROP never waits, and a
 * full subscription loses instead, of the messages it holds and the new
 * one, one of the lowest priority, the oldest among equals (the new one if
 * all it holds are being received), counted in its struct msgq_attr.lost.
 * Any user who may receive can subscribe: with the default policy, one
 * that never receives stops every sender. Without MSGQ_O_EXCL, a create of
 * an existing name opens that mailbox, fan-out or not. A message sent while
 * nobody subscribes reaches nobody. MSGQ_F_SYNC and rendezvous (max_msgs 0)
 * are EINVAL on a fan-out mailbox: a broadcast has no one receiver to wait
 * for. Every other call works on a subscription as on a mailbox of its own.
 */

/**
 * struct msgq_create - MSGQ_IOC_CREATE: create (or open) a named mailbox
 * @name:        in: pointer to the NUL-terminated name
 * @flags:       in: MSGQ_CREATE_FLAGS; at least one of MSGQ_O_SEND/RECV
 * @mode:        in: permission bits (0777 mask), reduced by the umask
 * @max_msgs:    in: capacity in messages; 0 makes a rendezvous mailbox,
 *               in which a send waits for a receiver to take the message
 * @max_msgsize: in: largest message in bytes, 1..MSGQ_MAX_MSGSIZE_LIMIT
 * @__reserved:  must be zero
 *
 * Without MSGQ_O_EXCL an existing mailbox of that name is opened instead
 * and @max_msgs, @max_msgsize and @mode are ignored, as with mq_open(3),
 * beyond being within MSGQ_MAX_MSGS_LIMIT and MSGQ_MAX_MSGSIZE_LIMIT; the
 * lower limits an administrator may set apply only to a new mailbox.
 * With MSGQ_O_OWNED the mailbox is removed when the returned handle (the
 * owner) is closed: blocked and later calls on other handles fail with
 * EIDRM and poll reports EPOLLHUP|EPOLLERR.
 *
 * Returns a new mailbox handle (a file descriptor). Errors: EEXIST (with
 * MSGQ_O_EXCL), EINVAL (limits out of range), ENAMETOOLONG, EACCES (opening
 * an existing mailbox without permission), ENOSPC (the IPC namespace holds
 * max_mailboxes names), EMFILE (the creator's uid holds user_mailboxes
 * names in the namespace, or would pass its byte quota; or the caller's
 * file descriptor table is full), ENOMEM. CAP_SYS_RESOURCE in the
 * namespace's user namespace lifts both name limits; in the initial user
 * namespace, the byte quota.
 */
struct msgq_create {
	__u64 name;
	__u32 flags;
	__u32 mode;
	__u32 max_msgs;
	__u32 max_msgsize;
	__u64 __reserved[2];
};

/**
 * struct msgq_open - MSGQ_IOC_OPEN: open an existing mailbox by name
 * @name:       in: pointer to the NUL-terminated name
 * @flags:      in: MSGQ_OPEN_FLAGS; at least one of MSGQ_O_SEND/RECV
 * @__pad:      must be zero
 * @__reserved: must be zero
 *
 * Returns a new mailbox handle. Errors: ENOENT, EACCES (receiving needs read
 * permission, sending write permission), ENAMETOOLONG, EINVAL, and for a
 * subscription to a fan-out mailbox EMFILE (past the opener's byte quota,
 * see "Accounting") and ENOMEM.
 */
struct msgq_open {
	__u64 name;
	__u32 flags;
	__u32 __pad;
	__u64 __reserved[2];
};

/**
 * struct msgq_unlink - MSGQ_IOC_UNLINK: remove a name
 * @name:  in: pointer to the NUL-terminated name
 * @flags: in: must be zero
 * @__pad: must be zero
 *
 * The name disappears at once; handles already open keep working, and the
 * mailbox is freed with the last of them. Errors: ENOENT, EACCES (only the
 * mailbox's owner uid or CAP_IPC_OWNER may unlink).
 */
struct msgq_unlink {
	__u64 name;
	__u32 flags;
	__u32 __pad;
};

/**
 * struct msgq_timespec - a time, as struct __kernel_timespec
 * @tv_sec:  seconds, >= 0
 * @tv_nsec: nanoseconds, 0..999999999 (EINVAL otherwise)
 */
struct msgq_timespec {
	__s64 tv_sec;
	__s64 tv_nsec;
};

/* Flags for struct msgq_send.flags and struct msgq_recv.flags. */
#define MSGQ_F_NONBLOCK		0x01U	/* EAGAIN instead of waiting */
#define MSGQ_F_TIMEOUT		0x02U	/* @timeout is valid */
#define MSGQ_F_ABSTIME		0x04U	/* @timeout is absolute */
#define MSGQ_F_SYNC		0x08U	/* send: wait until received */
#define MSGQ_F_PEEK		0x10U	/* recv: copy, do not dequeue */
#define MSGQ_SEND_FLAGS		(MSGQ_F_NONBLOCK | MSGQ_F_TIMEOUT | \
				 MSGQ_F_ABSTIME | MSGQ_F_SYNC)
#define MSGQ_RECV_FLAGS		(MSGQ_F_NONBLOCK | MSGQ_F_TIMEOUT | \
				 MSGQ_F_ABSTIME | MSGQ_F_PEEK)

/*
 * Timeouts: with MSGQ_F_TIMEOUT a call that would wait gives up with
 * ETIMEDOUT once @timeout has passed, never earlier. With MSGQ_F_ABSTIME the
 * timeout is an absolute time on @clockid (CLOCK_REALTIME, as
 * mq_timedsend(3), or CLOCK_MONOTONIC); without it, a relative interval
 * measured on CLOCK_MONOTONIC (@clockid must then be 0). An invalid timeout
 * or clock is EINVAL even if the call would not have waited.
 *
 * Signals: a wait without a timeout or with an absolute one is restarted
 * under SA_RESTART, otherwise it fails with EINTR; a wait with a relative
 * timeout always fails with EINTR, as a restart could not honour it.
 */

/*
 * Passing file descriptors: MSGQ_IOC_SEND (and the send half of
 * MSGQ_IOC_SEND_RECV, synchronous and rendezvous sends included) may carry
 * up to MSGQ_FDS_MAX open file descriptors with the message, as SCM_RIGHTS
 * does on an AF_UNIX socket. The message holds a reference to each open
 * file until it is received or dropped (unlink of the last handle, the
 * owner's death), whatever the sender does with its descriptors meanwhile.
 * Descriptors that could make a file hold itself through a queue are
 * refused with EBADF (as io_uring refuses to register its own ring): msgq
 * handles and /dev/msgq handles, AF_UNIX sockets and io_uring instances;
 * so are closed descriptors and O_PATH ones. Nothing is queued on an error.
 * The descriptors cost nothing of the byte quota; the files a user (the
 * sender's real uid) has in messages count against the sender's
 * RLIMIT_NOFILE, as AF_UNIX counts its files in flight: ETOOMANYREFS
 * beyond, unless the sender has CAP_SYS_RESOURCE or CAP_SYS_ADMIN.
 *
 * MSGQ_IOC_RECV (and the receive half of MSGQ_IOC_SEND_RECV) installs new
 * descriptors for them in the receiver, through the LSM's file_receive
 * check, with FD_CLOEXEC if MSGQ_FD_CLOEXEC is set, and writes their
 * numbers to @fds and their count to @nfds. A receive whose descriptor
 * table cannot take them fails with EMFILE and leaves the message first in
 * line. The descriptors for which @nfds has no room, and those of a
 * receive by read(2), readv(2), io_uring or MSGQ_IOC_RECV_BATCH, are
 * closed and the message delivered without them, as AF_UNIX does without
 * room for the control message; MSGQ_IOC_RECV says so with MSGQ_FD_CTRUNC.
 * A peek (MSGQ_F_PEEK) installs descriptors of its own for the same files.
 * MSGQ_IOC_SEND_BATCH carries no descriptors.
 */
#define MSGQ_FDS_MAX		16
#define MSGQ_FD_CLOEXEC		0x01U	/* recv in: new descriptors FD_CLOEXEC */
#define MSGQ_FD_CTRUNC		0x02U	/* recv out: descriptors were dropped */

/**
 * struct msgq_send - MSGQ_IOC_SEND: send one message
 * @buf:        in: pointer to the message
 * @len:        in: message length, 0..max_msgsize (EMSGSIZE otherwise)
 * @prio:       in: priority, 0..MSGQ_PRIO_MAX - 1
 * @flags:      in: MSGQ_SEND_FLAGS
 * @clockid:    in: clock of an absolute timeout
 * @timeout:    in: see "Timeouts"
 * @fds:        in: pointer to an array of @nfds __s32 file descriptors to
 *              carry with the message (see "Passing file descriptors")
 * @nfds:       in: entries in @fds, 0..MSGQ_FDS_MAX; 0 ignores @fds
 * @fd_flags:   must be zero
 *
 * Waits while the mailbox is full. With MSGQ_F_SYNC, returns only once a
 * receiver has dequeued this message; if the wait is cut short (signal,
 * timeout) the message is withdrawn and the error returned, unless it was
 * already taken, in which case the send reports success. A rendezvous
 * mailbox (max_msgs 0) treats every send as MSGQ_F_SYNC; there a
 * non-blocking send succeeds only if a receiver is already waiting (a
 * peeker does not count), and waits only for such receivers to take the
 * message: if the last of them cannot (its buffer is too small), the send
 * fails with EAGAIN and the message is withdrawn. The same holds for a
 * non-blocking MSGQ_F_SYNC send to any mailbox.
 *
 * Errors: EAGAIN (full, non-blocking), ETIMEDOUT, EINTR, EMSGSIZE, EBADF
 * (handle not opened for sending; or an entry of @fds that is not open or
 * cannot be carried), EINVAL (@nfds above MSGQ_FDS_MAX), ETOOMANYREFS (the
 * sender's files in messages would pass its RLIMIT_NOFILE), EIDRM (the owned
 * mailbox is gone).
 */
struct msgq_send {
	__u64 buf;
	__u32 len;
	__u32 prio;
	__u32 flags;
	__u32 clockid;
	struct msgq_timespec timeout;
	__u64 fds;
	__u32 nfds;
	__u32 fd_flags;
};

/**
 * struct msgq_recv - MSGQ_IOC_RECV: receive one message
 * @buf:        in: pointer to the buffer
 * @cap:        in: buffer capacity in bytes
 * @flags:      in: MSGQ_RECV_FLAGS
 * @clockid:    in: clock of an absolute timeout
 * @len:        out: message length (also set on EMSGSIZE: the size needed)
 * @prio:       out: message priority
 * @pid:        out: sender's thread-group id in the receiver's pid
 *              namespace, 0 if the sender is not visible there
 * @uid:        out: sender's euid in the receiver's user namespace
 * @sent_ns:    out: CLOCK_REALTIME time of the send, in nanoseconds
 * @timeout:    in: see "Timeouts"
 * @fds:        in: pointer to an array of @nfds __s32, where the numbers
 *              of the descriptors received are written
 * @nfds:       in: entries in @fds (any number; at most MSGQ_FDS_MAX are
 *              used); out: descriptors received (set it before each call)
 * @fd_flags:   in: MSGQ_FD_CLOEXEC; out: MSGQ_FD_CTRUNC if the message
 *              carried descriptors that were not received (ignored in)
 *
 * Takes the oldest message of the highest priority present, or with
 * MSGQ_F_PEEK copies it and leaves it in place. A buffer smaller than that
 * message fails with EMSGSIZE, and a fault writing the buffer with EFAULT;
 * either way the message stays first in line. Waits while empty.
 *
 * Errors: EAGAIN, ETIMEDOUT, EINTR, EMSGSIZE, EFAULT, EBADF (handle not
 * opened for receiving), EIDRM, EMFILE (the message carries descriptors
 * and the caller's table has no room for them: it stays first in line).
 */
struct msgq_recv {
	__u64 buf;
	__u32 cap;
	__u32 flags;
	__u32 clockid;
	__u32 len;
	__u32 prio;
	__s32 pid;
	__u32 uid;
	__u32 __pad;
	__u64 sent_ns;
	struct msgq_timespec timeout;
	__u64 fds;
	__u32 nfds;
	__u32 fd_flags;
};

/* Bits of struct msgq_attr.flags */
#define MSGQ_ATTR_OWNED		0x01U	/* created with MSGQ_O_OWNED */
#define MSGQ_ATTR_DEAD		0x02U	/* owner gone: EIDRM */
#define MSGQ_ATTR_UNLINKED	0x04U	/* the name was removed */
#define MSGQ_ATTR_FANOUT	0x08U	/* created with MSGQ_O_FANOUT */
#define MSGQ_ATTR_FANOUT_DROP	0x10U	/* created with MSGQ_O_FANOUT_DROP */

/**
 * struct msgq_attr - MSGQ_IOC_GETATTR: limits and state of a mailbox
 * @max_msgs:       capacity in messages (0: rendezvous)
 * @max_msgsize:    largest message in bytes
 * @cur_msgs:       messages queued now
 * @flags:          MSGQ_ATTR_* bits
 * @cur_bytes:      bytes of payload queued now
 * @total_sent:     messages ever enqueued
 * @total_received: messages ever dequeued by a receiver
 * @mode:           permission bits
 * @uid:            owner uid, in the caller's user namespace
 * @gid:            owner gid, in the caller's user namespace
 * @handle_flags:   this handle's MSGQ_O_SEND/RECV/NONBLOCK bits
 * @subscribers:    fan-out: subscriptions open now (0 otherwise)
 * @max_backlog:    fan-out: the deepest subscription's messages
 * @lost:           fan-out: messages this handle's subscription lost
 * @__reserved:     zeroed
 *
 * On a subscription (a receiving handle of a fan-out mailbox), @cur_msgs,
 * @cur_bytes and @total_received are the subscription's own; on another
 * handle of a fan-out mailbox, @cur_msgs and @cur_bytes are those of the
 * deepest subscription and @total_received is 0.
 */
struct msgq_attr {
	__u32 max_msgs;
	__u32 max_msgsize;
	__u32 cur_msgs;
	__u32 flags;
	__u64 cur_bytes;
	__u64 total_sent;
	__u64 total_received;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 handle_flags;
	__u32 subscribers;
	__u32 max_backlog;
	__u64 lost;
	__u64 __reserved[2];
};

/* Largest number of messages in one batch. */
#define MSGQ_BATCH_MAX		1024

/**
 * struct msgq_mmsg - one message of a batch
 * @buf:        in: pointer to the payload (send) or the buffer (receive)
 * @len:        send: in, the length; receive: in, the buffer's capacity,
 *              out, the message's length
 * @prio:       send: in, the priority; receive: out
 * @pid:        receive: out, as in struct msgq_recv; send: must be zero
 * @uid:        receive: out, as in struct msgq_recv; send: must be zero
 * @sent_ns:    receive: out, as in struct msgq_recv; send: must be zero
 * @__reserved: must be zero
 */
struct msgq_mmsg {
	__u64 buf;
	__u32 len;
	__u32 prio;
	__s32 pid;
	__u32 uid;
	__u64 sent_ns;
	__u64 __reserved;
};

/**
 * struct msgq_batch - MSGQ_IOC_SEND_BATCH, MSGQ_IOC_RECV_BATCH
 * @msgs:       in: pointer to an array of @count struct msgq_mmsg
 * @count:      in: entries in @msgs, 1..MSGQ_BATCH_MAX
 * @flags:      in: MSGQ_F_NONBLOCK, MSGQ_F_TIMEOUT, MSGQ_F_ABSTIME
 * @clockid:    in: clock of an absolute timeout
 * @__pad:      must be zero
 * @timeout:    in: see "Timeouts"
 * @__reserved: must be zero
 *
 * Like sendmmsg(2)/recvmmsg(2), in one lock round and one wakeup. Returns
 * the number of messages sent or received, at least 1; an error only if
 * none was. Messages are taken in array order.
 *
 * Send: the payloads are copied in first; a bad entry k (EFAULT, EMSGSIZE,
 * EINVAL for a priority) ends the batch at k, and so does the entry that
 * takes the batch's payload past max_msgs * max_msgsize bytes, or past
 * MSGQ_MAX_MSGSIZE_LIMIT if that is more. Then the messages are queued
 * in order, waiting for room under the usual rules; a wait cut short
 * (EAGAIN, ETIMEDOUT, a signal) returns how many were queued. Entries from
 * the first not queued on are left untouched and unsent. Not allowed on a
 * rendezvous mailbox (EINVAL): use MSGQ_IOC_SEND.
 *
 * Receive: waits (under the usual rules) for one message, then takes up to
 * @count without waiting again. Stops before a message larger than its
 * entry's capacity (EMSGSIZE if it is the first). A fault writing entry k
 * puts messages k.. back first in line, in order, and returns k.
 */
struct msgq_batch {
	__u64 msgs;
	__u32 count;
	__u32 flags;
	__u32 clockid;
	__u32 __pad;
	struct msgq_timespec timeout;
	__u64 __reserved[2];
};

#define MSGQ_BATCH_FLAGS	(MSGQ_F_NONBLOCK | MSGQ_F_TIMEOUT | \
				 MSGQ_F_ABSTIME)

/* Bits of struct msgq_send_recv.flags */
#define MSGQ_SR_SENT		0x01U	/* in/out: the send half is done */
#define MSGQ_SR_FLAGS		MSGQ_SR_SENT

/**
 * struct msgq_send_recv - MSGQ_IOC_SEND_RECV: send, then receive, one call
 * @send:       in: the message to send on @send_fd, as for MSGQ_IOC_SEND
 * @recv:       in/out: the receive on the handle the call is made on, as
 *              for MSGQ_IOC_RECV
 * @send_fd:    in: a msgq handle opened for sending (EBADF otherwise); it
 *              may be the receiving handle itself
 * @flags:      in/out: MSGQ_SR_FLAGS
 * @__reserved: must be zero
 *
 * A request and its reply in one system call, as mach_msg() with both
 * MACH_SEND_MSG and MACH_RCV_MSG, or binder's BINDER_WRITE_READ: a client
 * sends a request and waits for the answer, a server sends the answer to
 * one request and waits for the next. Each half keeps its own flags and
 * timeout and all the rules of its single call.
 *
 * Both halves' arguments are checked first: a call either half would
 * refuse (EINVAL, EBADF, EFAULT reading them) sends nothing. Unless
 * MSGQ_SR_SENT is set on entry, @send is sent first; if that fails
 * the call fails with its error and nothing is received. Once the message
 * is queued, the kernel sets MSGQ_SR_SENT in @flags (in user memory) and
 * then receives. An error of the receive (EINTR, ETIMEDOUT, EAGAIN,
 * EMSGSIZE, ...) leaves MSGQ_SR_SENT set: the caller knows the request went
 * out. A call restarted after a signal (SA_RESTART) finds MSGQ_SR_SENT and
 * only receives, so a request is never sent twice. Callers set
 * MSGQ_SR_SENT themselves to skip the send. A relative timeout of the
 * receive half runs from the end of the send half. (Should another thread
 * unmap or write-protect the struct between the check and the write-back,
 * the call fails with EFAULT after sending; do not do that.) A call that
 * sends synchronously (MSGQ_F_SYNC, or to a rendezvous mailbox) on the
 * handle it receives on waits for a receiver other than itself.
 *
 * Errors: those of MSGQ_IOC_SEND (send half) and MSGQ_IOC_RECV (receive
 * half); EBADF for a @send_fd that is not a msgq handle with the send
 * right; EFAULT if @flags cannot be written (checked before sending).
 */
struct msgq_send_recv {
	struct msgq_send send;
	struct msgq_recv recv;
	__s32 send_fd;
	__u32 flags;
	__u64 __reserved[2];
};

/* How a notification is delivered: struct msgq_notify.how */
#define MSGQ_NOTIFY_REMOVE	0	/* remove the caller's registration */
#define MSGQ_NOTIFY_NONE	1	/* register; deliver nothing */
#define MSGQ_NOTIFY_SIGNAL	2	/* send @signo (SI_MESGQ) */
#define MSGQ_NOTIFY_EVENTFD	3	/* add 1 to the eventfd @fd */

/**
 * struct msgq_notify - MSGQ_IOC_NOTIFY: be told when a message arrives
 * @how:        MSGQ_NOTIFY_*
 * @signo:      MSGQ_NOTIFY_SIGNAL: the signal, 1.._NSIG - 1
 * @fd:         MSGQ_NOTIFY_EVENTFD: an eventfd, for a library's own
 *              notification thread (mq_notify()'s SIGEV_THREAD)
 * @__pad:      must be zero
 * @value:      MSGQ_NOTIFY_SIGNAL: si_value (sival_ptr or sival_int)
 * @__reserved: must be zero
 *
 * POSIX mq_notify(3) on a mailbox, through a handle with the receive right.
 * One registration per mailbox: EBUSY while there is one (also for its
 * own process). It fires once, when a message arrives in the empty mailbox
 * and no receiver is waiting for it (a message handed to a waiting
 * receiver fires nothing), and is removed then; by MSGQ_NOTIFY_REMOVE from
 * the registering process (0 also when it holds none, as mq_notify(NULL));
 * or when the registering process closes a handle of the mailbox (or
 * dies), as Linux's mqueue does. A signal carries si_code SI_MESGQ,
 * @value, and the sender's pid and uid (si_pid, si_uid) as the registering
 * process sees them. EINVAL for an unknown @how, a bad @signo, non-zero
 * padding or an @fd that is no eventfd; EBADF for a closed @fd or a handle
 * without the receive right; EIDRM if the owner of the mailbox is gone.
 */
struct msgq_notify {
	__u32 how;
	__s32 signo;
	__s32 fd;
	__u32 __pad;
	__u64 value;
	__u64 __reserved[2];
};

#define MSGQ_IOC_MAGIC		0xB9	/* free in ioctl-number.rst (6.1) */

/* On /dev/msgq */
#define MSGQ_IOC_CREATE		_IOW(MSGQ_IOC_MAGIC, 0x01, struct msgq_create)
#define MSGQ_IOC_OPEN		_IOW(MSGQ_IOC_MAGIC, 0x02, struct msgq_open)
#define MSGQ_IOC_UNLINK		_IOW(MSGQ_IOC_MAGIC, 0x03, struct msgq_unlink)

/* On a mailbox handle */
#define MSGQ_IOC_SEND		_IOW(MSGQ_IOC_MAGIC, 0x10, struct msgq_send)
#define MSGQ_IOC_RECV		_IOWR(MSGQ_IOC_MAGIC, 0x11, struct msgq_recv)
#define MSGQ_IOC_GETATTR	_IOR(MSGQ_IOC_MAGIC, 0x12, struct msgq_attr)
#define MSGQ_IOC_SEND_BATCH	_IOW(MSGQ_IOC_MAGIC, 0x13, struct msgq_batch)
#define MSGQ_IOC_RECV_BATCH	_IOW(MSGQ_IOC_MAGIC, 0x14, struct msgq_batch)
#define MSGQ_IOC_SEND_RECV	_IOWR(MSGQ_IOC_MAGIC, 0x15, \
				      struct msgq_send_recv)
#define MSGQ_IOC_NOTIFY		_IOW(MSGQ_IOC_MAGIC, 0x16, struct msgq_notify)

#endif /* _UAPI_LINUX_MSGQ_H */
