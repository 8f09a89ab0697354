// SPDX-License-Identifier: GPL-2.0
/*
 * msgq-bench: msgq through io_uring ("msgq-uring"), throughput only: a
 * batch is 32 SQEs submitted with one io_uring_enter(), each one message,
 * IORING_OP_WRITE on the sending handle (msgq_prep_send()) and
 * IORING_OP_READ on the receiving one (msgq_prep_recv()), reaped when all
 * 32 have completed. The channels are msgq's (mech_msgq.c's, a mailbox of
 * c->cap messages), but with a handle for each end, as a program would
 * have. A read of an empty mailbox (or a write to a full one) waits on the
 * mailbox's poll, no io-wq thread (selftests/uring_test.c). Each process
 * has its own ring, made at its first call (liburing.a, from Debian's
 * liburing-dev). io_uring does not order concurrent requests: the 32
 * reads of a batch take the next 32 messages, but may complete in another
 * order (MECH_BATCH_UNORDERED: the consumer checks the batch as a set).
 */
#include "bench.h"

#include <errno.h>
#include <liburing.h>
#include <string.h>
#include <unistd.h>

#include "../lib/include/msgq_uring.h"

static struct io_uring ring;
static pid_t ring_pid;		/* the process ring belongs to; 0: none */

/* This process's ring: 0, or -1 with errno set */
static int ring_get(void)
{
	int e;

	if (ring_pid == getpid())
		return 0;
	/* a parent's ring, inherited through fork, is left alone */
	e = io_uring_queue_init(2 * BATCH, &ring, 0);
	if (e < 0) {
		errno = -e;
		return -1;
	}
	ring_pid = getpid();
	return 0;
}

static int uring_chan_open(struct chan *c, const char *name)
{
	c->sfd = msgq_create(name + 1, MSGQ_O_SEND | MSGQ_O_EXCL |
			     MSGQ_O_CLOEXEC, 0600, c->cap, c->size);
	if (c->sfd < 0)
		return -1;
	c->rfd = msgq_open(name + 1, MSGQ_O_RECV | MSGQ_O_CLOEXEC);
	msgq_unlink(name + 1);	/* the handles keep it alive */
	return c->rfd < 0 ? -1 : 0;
}

/*
 * Submit the @n SQEs queued and reap their @n completions; the result of
 * completion k and its user_data (a buffer's index) in @res[k], @idx[k].
 */
static int uring_run(unsigned int n, int *res, unsigned int *idx)
{
	struct io_uring_cqe *cqe;
	unsigned int k;
	int e;

	e = io_uring_submit_and_wait(&ring, n);
	if (e < 0)
		goto fail;
	for (k = 0; k < n; k++) {
		e = io_uring_wait_cqe(&ring, &cqe);
		if (e < 0)
			goto fail;
		res[k] = cqe->res;
		idx[k] = (unsigned int)cqe->user_data;
		io_uring_cqe_seen(&ring, cqe);
	}
	return 0;
fail:
	errno = -e;
	return -1;
}

/* Buffers 0..@n-1 as @n messages, each an IORING_OP_WRITE (priority 0) */
static int uring_send_batch(struct ep *e, unsigned int n, size_t len,
			    const unsigned int *prio)
{
	unsigned int i, idx[BATCH];
	struct io_uring_sqe *sqe;
	int res[BATCH];

	if (ring_get())
		return -1;
	for (i = 0; i < n; i++) {
		if (prio && prio[i]) {
			errno = EINVAL;	/* a write is at priority 0 */
			return -1;
		}
		sqe = io_uring_get_sqe(&ring);
		msgq_prep_send(sqe, e->c->sfd, e->pl[i], len);
		io_uring_sqe_set_data64(sqe, i);
	}
	if (uring_run(n, res, idx))
		return -1;
	for (i = 0; i < n; i++)
		if (res[i] != (int)len) {
			errno = res[i] < 0 ? -res[i] : EIO;
			return -1;
		}
	return 0;
}

/*
 * @n IORING_OP_READs, one per buffer, all reaped: @n, or -1. The buffers
 * are put in the order of the completions, e->pl[k] the k-th message.
 */
static int uring_recv_batch(struct ep *e, unsigned int n)
{
	char *pl[BATCH], *raw[BATCH];
	unsigned int i, idx[BATCH];
	struct io_uring_sqe *sqe;
	int res[BATCH];

	if (ring_get())
		return -1;
	for (i = 0; i < n; i++) {
		sqe = io_uring_get_sqe(&ring);
		msgq_prep_recv(sqe, e->c->rfd, e->pl[i], e->c->size);
		io_uring_sqe_set_data64(sqe, i);
	}
	if (uring_run(n, res, idx))
		return -1;
	for (i = 0; i < n; i++) {
		if (res[i] < 0) {
			errno = -res[i];
			return -1;
		}
		pl[i] = e->pl[idx[i]];
		raw[i] = e->raw[idx[i]];
		e->mm[i].len = (__u32)res[i];
	}
	memcpy(e->pl, pl, n * sizeof(pl[0]));
	memcpy(e->raw, raw, n * sizeof(raw[0]));
	return (int)n;
}

/* One message: a batch of one */
static int uring_send(struct ep *e, int i, size_t len, unsigned int prio)
{
	char *pl0 = e->pl[0];
	int r;

	e->pl[0] = e->pl[i];
	r = uring_send_batch(e, 1, len, &prio);
	e->pl[0] = pl0;
	return r;
}

static ssize_t uring_recv(struct ep *e, int i)
{
	char *pl0 = e->pl[0];
	int r;

	e->pl[0] = e->pl[i];
	r = uring_recv_batch(e, 1);
	e->pl[0] = pl0;
	return r < 0 ? -1 : (ssize_t)e->mm[0].len;
}

const struct mech mech_uring = {
	.name = "msgq-uring", .short_name = "msgq io_uring",
	.kinds = KIND(K_TPUT), .flags = MECH_BATCH_UNORDERED,
	.open = uring_chan_open, .close = chan_close_fds,
	.send = uring_send, .recv = uring_recv,
	.send_batch = uring_send_batch, .recv_batch = uring_recv_batch,
};
