// SPDX-License-Identifier: GPL-2.0
/*
 * msgq-bench: msgq, in two columns.
 *   msgq       one message per call: msgq_send()/msgq_recv(), which are
 *              write(2)/read(2) at priority 0 (the ioctls otherwise);
 *              --plain ioctl forces MSGQ_IOC_SEND/RECV (msgq_send_args(),
 *              msgq_recv_args()) to compare the two
 *   msgq fast  ("msgq-fast") what a program after speed would use: for
 *              throughput, contention and scale, batches of 32
 *              (msgq_send_batch()/msgq_recv_batch()); for ping-pong, one
 *              msgq_sendrecv() per round trip on each side (the pinger
 *              sends on one mailbox and receives the reply on the other,
 *              the ponger, after one plain receive, sends each reply and
 *              receives the next request)
 * A channel is one mailbox of max_msgs c->cap, unlinked at once (the
 * handle keeps it alive), both ends on the one handle.
 */
#include "bench.h"

#include <errno.h>
#include <unistd.h>

static int msgq_chan_open(struct chan *c, const char *name)
{
	c->sfd = msgq_create(name + 1, MSGQ_O_RDWR | MSGQ_O_EXCL |
			     MSGQ_O_CLOEXEC, 0600, c->cap, c->size);
	if (c->sfd < 0)
		return -1;
	msgq_unlink(name + 1);	/* the handle keeps it alive */
	c->rfd = c->sfd;
	return 0;
}

/* One message: libmsgq's msgq_send(), or with --plain ioctl the ioctl */
static int msgq_ep_send(struct ep *e, int i, size_t len, unsigned int prio)
{
	struct msgq_send s = {
		.buf = ptr_to_u64(e->pl[i]),
		.len = (__u32)len,
		.prio = prio,
	};

	if (opt.plain_ioctl)
		return msgq_send_args(e->c->sfd, &s);
	return msgq_send(e->c->sfd, e->pl[i], len, prio);
}

static ssize_t msgq_ep_recv(struct ep *e, int i)
{
	struct msgq_recv r = {
		.buf = ptr_to_u64(e->pl[i]),
		.cap = (__u32)e->c->size,
	};

	if (opt.plain_ioctl)
		return msgq_recv_args(e->c->rfd, &r);
	return msgq_recv(e->c->rfd, e->pl[i], e->c->size, NULL);
}

/* Send @n buffers (all of them, looping on a short count). */
static int msgq_ep_send_batch(struct ep *e, unsigned int n, size_t len,
			      const unsigned int *prio)
{
	unsigned int i, done = 0;
	int r;

	for (i = 0; i < n; i++) {
		e->mm[i] = (struct msgq_mmsg){
			.buf = ptr_to_u64(e->pl[i]),
			.len = (__u32)len,
			.prio = prio ? prio[i] : 0,
		};
	}
	while (done < n) {
		r = msgq_send_batch(e->c->sfd, &e->mm[done], n - done, 0);
		if (r < 0)
			return -1;
		done += r;
	}
	return 0;
}

/* Receive up to @n; returns how many, or -1. */
static int msgq_ep_recv_batch(struct ep *e, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		e->mm[i] = (struct msgq_mmsg){
			.buf = ptr_to_u64(e->pl[i]),
			.len = (__u32)e->c->size,
		};
	return msgq_recv_batch(e->c->rfd, e->mm, n, 0);
}

static ssize_t msgq_ep_sendrecv(struct ep *out, size_t len, struct ep *in,
				int *sent)
{
	return msgq_sendrecv(out->c->sfd, out->pl[0], len, 0, in->c->rfd,
			     in->pl[0], in->c->size, NULL, sent);
}

const struct mech mech_msgq = {
	.name = "msgq", .short_name = "msgq",
	.kinds = KINDS_ALL | KIND(K_FANOUT) | KIND(K_HANDOFF), .flags = MECH_FANOUT,
	.open = msgq_chan_open, .close = chan_close_fds,
	.send = msgq_ep_send, .recv = msgq_ep_recv,
};

/* The same channels and calls, and batches and sendrecv; msgq's queues */
const struct mech mech_msgq_fast = {
	.name = "msgq-fast", .short_name = "msgq fast",
	.kinds = KINDS_ALL | KIND(K_FANOUT), .flags = MECH_FANOUT,
	.open = msgq_chan_open, .close = chan_close_fds,
	.send = msgq_ep_send, .recv = msgq_ep_recv,
	.send_batch = msgq_ep_send_batch, .recv_batch = msgq_ep_recv_batch,
	.sendrecv = msgq_ep_sendrecv,
	.queues = &mech_msgq,
};
