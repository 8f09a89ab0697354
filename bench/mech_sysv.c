// SPDX-License-Identifier: GPL-2.0
/*
 * msgq-bench: SysV msg. A channel is one private queue of msg_qbytes
 * c->cap x c->size; its id is both c->sfd and c->rfd. Priorities are
 * message types, inverted (msgrcv(-MSGQ_PRIO_MAX) takes the lowest type
 * first).
 */
#include "bench.h"

#include <sys/ipc.h>
#include <sys/msg.h>

static int sysv_open(struct chan *c, const char *name)
{
	struct msqid_ds ds;

	(void)name;
	c->sfd = c->rfd = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (c->sfd < 0)
		return -1;
	if (msgctl(c->sfd, IPC_STAT, &ds))
		return -1;
	ds.msg_qbytes = (msglen_t)c->cap * c->size;
	if (ds.msg_qbytes < c->cap)
		ds.msg_qbytes = c->cap;	/* qnum is bounded by qbytes */
	return msgctl(c->sfd, IPC_SET, &ds);
}

static void sysv_close(struct chan *c)
{
	if (c->sfd >= 0)
		msgctl(c->sfd, IPC_RMID, NULL);
}

static int sysv_send(struct ep *e, int i, size_t len, unsigned int prio)
{
	/* msgrcv(-MSGQ_PRIO_MAX) takes the lowest type first: invert */
	*(long *)e->raw[i] = MSGQ_PRIO_MAX - (long)prio;
	return msgsnd(e->c->sfd, e->raw[i], len, 0);
}

static ssize_t sysv_recv(struct ep *e, int i)
{
	return msgrcv(e->c->rfd, e->raw[i], e->c->size,
		      e->nprio > 1 ? -(long)MSGQ_PRIO_MAX : 0, 0);
}

const struct mech mech_sysv = {
	.name = "sysv-msg", .short_name = "SysV msg",
	.kinds = KINDS_ALL, .room = sizeof(long),
	.open = sysv_open, .close = sysv_close,
	.send = sysv_send, .recv = sysv_recv,
};
