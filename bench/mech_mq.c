// SPDX-License-Identifier: GPL-2.0
/*
 * msgq-bench: POSIX mq, the reference every figure is also given against.
 * A channel is one queue of mq_maxmsg c->cap, unlinked at once.
 */
#include "bench.h"

#include <fcntl.h>
#include <mqueue.h>

static int mq_chan_open(struct chan *c, const char *name)
{
	struct mq_attr a = { .mq_maxmsg = c->cap, .mq_msgsize = c->size };
	mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &a);

	if (q == (mqd_t)-1)
		return -1;
	mq_unlink(name);
	c->sfd = c->rfd = (int)q;
	return 0;
}

static void mq_chan_close(struct chan *c)
{
	if (c->sfd >= 0)
		mq_close((mqd_t)c->sfd);
}

static int mq_ep_send(struct ep *e, int i, size_t len, unsigned int prio)
{
	return mq_send((mqd_t)e->c->sfd, e->pl[i], len, prio);
}

static ssize_t mq_ep_recv(struct ep *e, int i)
{
	return mq_receive((mqd_t)e->c->rfd, e->pl[i], e->c->size, NULL);
}

const struct mech mech_mq = {
	.name = "posix-mq", .short_name = "POSIX mq",
	.kinds = KINDS_ALL | KIND(K_FANOUT) | KIND(K_HANDOFF),
	.flags = MECH_REF,
	.open = mq_chan_open, .close = mq_chan_close,
	.send = mq_ep_send, .recv = mq_ep_recv,
};
