// SPDX-License-Identifier: GPL-2.0
/*
 * msgq-bench: AF_UNIX SOCK_SEQPACKET. A channel is a socket pair, sending
 * on one end and receiving on the other, SO_SNDBUF about c->cap messages'
 * truesize. No priorities, and too little room for the scale figures.
 * The handoff figures pass a memfd with SCM_RIGHTS (handoff.c).
 */
#include "bench.h"

#include <sys/socket.h>

static int unix_sp_open(struct chan *c, const char *name)
{
	int sv[2];
	/* the kernel doubles it; a small skb's truesize is ~0.75 KiB */
	int buf = (int)(c->cap * (c->size + 768) / 2);

	(void)name;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	c->sfd = sv[0];
	c->rfd = sv[1];
	if (setsockopt(c->sfd, SOL_SOCKET, SO_SNDBUFFORCE, &buf,
		       sizeof(buf)) &&
	    setsockopt(c->sfd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf)))
		return -1;
	return 0;
}

static int unix_sp_send(struct ep *e, int i, size_t len, unsigned int prio)
{
	(void)prio;
	return send(e->c->sfd, e->pl[i], len, 0) == (ssize_t)len ? 0 : -1;
}

static ssize_t unix_sp_recv(struct ep *e, int i)
{
	return recv(e->c->rfd, e->pl[i], e->c->size, 0);
}

const struct mech mech_unix_sp = {
	.name = "unix-seqpacket", .short_name = "AF_UNIX sp",
	.kinds = KINDS_STREAM | KIND(K_HANDOFF),
	.open = unix_sp_open, .close = chan_close_fds,
	.send = unix_sp_send, .recv = unix_sp_recv,
};
