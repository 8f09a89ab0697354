/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * msgq_uring.h - msgq mailboxes through io_uring, liburing style.
 *
 * A mailbox handle is io_uring-native: a receive is an IORING_OP_READ (or
 * READV) of one whole message, a send an IORING_OP_WRITE (or WRITEV) of one
 * message at priority 0, with read(2)/write(2)'s semantics (EMSGSIZE keeps
 * the message; the iovecs of a vector op are one message). On an empty (or
 * full) mailbox the request waits on the mailbox's poll, not in a kernel
 * thread, and completes when a message (or room) arrives. These helpers
 * only name that; include <liburing.h> first and link with -luring.
 *
 *	sqe = io_uring_get_sqe(&ring);
 *	msgq_prep_recv(sqe, fd, buf, sizeof(buf));
 *	io_uring_submit(&ring);		// cqe->res: the message's length
 */
#ifndef MSGQ_URING_H
#define MSGQ_URING_H

#include <stddef.h>
#include <sys/uio.h>

/* Receive one whole message into @buf (room for @cap bytes). */
static inline void msgq_prep_recv(struct io_uring_sqe *sqe, int fd, void *buf,
				  size_t cap)
{
	io_uring_prep_read(sqe, fd, buf, (unsigned int)cap, (__u64)-1);
}

/* Receive one whole message spread over @iov[0..@n). */
static inline void msgq_prep_recvv(struct io_uring_sqe *sqe, int fd,
				   const struct iovec *iov, unsigned int n)
{
	io_uring_prep_readv(sqe, fd, iov, n, (__u64)-1);
}

/* Send @len bytes of @buf as one message at priority 0. */
static inline void msgq_prep_send(struct io_uring_sqe *sqe, int fd,
				  const void *buf, size_t len)
{
	io_uring_prep_write(sqe, fd, buf, (unsigned int)len, (__u64)-1);
}

/* Send @iov[0..@n), concatenated, as one message at priority 0. */
static inline void msgq_prep_sendv(struct io_uring_sqe *sqe, int fd,
				   const struct iovec *iov, unsigned int n)
{
	io_uring_prep_writev(sqe, fd, iov, n, (__u64)-1);
}

#endif /* MSGQ_URING_H */
