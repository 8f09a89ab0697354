// SPDX-License-Identifier: GPL-2.0
/*
 * msgq-bench: fanout-8, one sender process -> FAN_N (8) subscriber
 * processes, every message to every subscriber, 64 B (messages/s, each
 * message delivered to all 8; higher is better).
 *
 * With msgq (MECH_FANOUT: msgq, msgq fast) one fan-out mailbox
 * (MSGQ_O_FANOUT, uapi/msgq.h): the sender sends each message once, each
 * subscriber opens the mailbox by name with MSGQ_O_RECV in its own process
 * (a subscription of QDEPTH messages) before the figure starts; msgq fast
 * sends and receives in batches of 32. With every other mechanism what a
 * user builds today: a channel per subscriber, the sender writing each
 * message (or batch) to the 8 in turn. fanout-8-queues takes that too for
 * msgq, as the "msgq without fan-out" baseline: 8 plain mailboxes.
 *
 * Every channel (and subscription) holds QDEPTH (64) messages, so a
 * subscriber that falls behind blocks the sender. Each subscriber checks
 * that it gets every sequence number once, in order (measure.c's
 * consumer()), and counts in its own slot; the figure is the subscribers'
 * receives in the window over 8. Each subscriber is at most QDEPTH
 * messages behind the sender, so that is the sender's rate too.
 *
 * [1 vCPU]: the 9 processes pinned to vCPU 0; [2 vCPUs]: the sender on
 * vCPU 0, subscriber k on vCPU (k + 1) mod 2.
 */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The channels of one run: one fan-out mailbox, or one per subscriber */
struct fan {
	struct chan c[FAN_N];
	unsigned int nchan;
	char name[64];		/* the fan-out mailbox's, "" without */
};

/* A failure, said in sh: -1 */
static int fan_fail(const char *what, int e)
{
	snprintf(sh->what, sizeof(sh->what), "%s", what);
	sh->err = 1;
	sh->err_errno = e;
	return -1;
}

static void fan_close(struct fan *f)
{
	unsigned int i;

	if (f->name[0]) {
		msgq_unlink(f->name);
		f->name[0] = 0;
	}
	for (i = 0; i < f->nchan; i++)
		chan_close(&f->c[i]);
	f->nchan = 0;
}

/* The sending end: a fan-out mailbox, whose subscribers come later */
static int fan_open_mailbox(struct fan *f, const struct mech *m)
{
	struct chan *c = &f->c[0];

	memset(c, 0, sizeof(*c));
	c->m = m;
	c->size = FAN_SIZE;
	c->cap = QDEPTH;
	c->rfd = -1;
	snprintf(f->name, sizeof(f->name), "msgq-bench-%d-%u", (int)getpid(),
		 name_seq++);
	c->sfd = msgq_create(f->name, MSGQ_O_SEND | MSGQ_O_EXCL |
			     MSGQ_O_CLOEXEC | MSGQ_O_FANOUT, 0600, QDEPTH,
			     FAN_SIZE);
	if (c->sfd < 0) {
		f->name[0] = 0;
		return fan_fail("fan-out mailbox", errno);
	}
	f->nchan = 1;
	return 0;
}

/* FAN_N channels of @m, one per subscriber */
static int fan_open_queues(struct fan *f, const struct mech *m)
{
	unsigned int i;

	for (i = 0; i < FAN_N; i++) {
		if (chan_open(&f->c[i], m, FAN_SIZE, QDEPTH)) {
			int e = errno;

			chan_close(&f->c[i]);
			return fan_fail("channel", e);
		}
		f->nchan = i + 1;
	}
	return 0;
}

/*
 * The sender: each message (a batch of 32 where the mechanism batches)
 * built once and sent on j->a[0..j->nchan-1] in turn, forever.
 */
static void fan_sender(const struct job *j)
{
	const struct mech *m = j->a->m;
	bool batch = m->send_batch && m->recv_batch;
	unsigned int i, k;
	uint32_t seq = 0;
	struct ep e;

	ep_init(&e, j->a, batch ? BATCH : 1);
	child_wait_go();
	for (;;) {
		for (i = 0; i < (batch ? BATCH : 1); i++)
			*(struct hdr *)e.pl[i] = (struct hdr){ seq++, 0 };
		for (k = 0; k < j->nchan; k++) {
			e.c = &j->a[k];
			if (batch ? m->send_batch(&e, BATCH, FAN_SIZE, NULL) :
			    m->send(&e, 0, FAN_SIZE, 0))
				child_fail("fan-out: send", errno);
		}
	}
}

/* A subscriber of the fan-out mailbox j->subscribe: subscribes, consumes */
static void fan_subscriber(const struct job *j)
{
	struct chan sub = *j->a;
	struct job jc = *j;

	sub.sfd = -1;
	sub.rfd = msgq_open(j->subscribe, MSGQ_O_RECV | MSGQ_O_CLOEXEC);
	if (sub.rfd < 0)
		child_fail("fan-out: subscribe", errno);
	jc.a = &sub;
	jc.subscribe = NULL;
	consumer(&jc);	/* ready after its subscription: then the sender */
}

/*
 * Messages per second, each delivered to all FAN_N subscribers; through one
 * fan-out mailbox for a MECH_FANOUT mechanism unless @queues.
 */
double measure_fanout(const struct mech *m, bool queues, bool one_cpu)
{
	bool fanout = (m->flags & MECH_FANOUT) && !queues;
	struct fan f = { .nchan = 0 };
	struct job js, jc[FAN_N];
	double rate;
	int i;

	reset_shm(false);
	if (fanout ? fan_open_mailbox(&f, m) : fan_open_queues(&f, m)) {
		fan_close(&f);
		return NAN;
	}
	for (i = 0; i < FAN_N; i++) {
		jc[i] = (struct job){
			.a = &f.c[fanout ? 0 : i], .size = FAN_SIZE,
			.ordered = true, .slot = i,
			.subscribe = fanout ? f.name : NULL,
		};
		spawn(fanout ? fan_subscriber : consumer, &jc[i],
		      one_cpu ? 0 : i + 1);
	}
	js = (struct job){ .a = f.c, .size = FAN_SIZE, .nchan = f.nchan };
	spawn(fan_sender, &js, 0);
	rate = run_window(FAN_N);
	fan_close(&f);
	return isnan(rate) ? NAN : rate / FAN_N;
}
