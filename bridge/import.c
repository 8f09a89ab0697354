// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * An import route: a durable JetStream pull consumer feeding a local
 * mailbox. Each fetched batch is sent into the mailbox in order (priority
 * from the Msgq-Prio header), and acked (AckAll: the last message sent
 * acks the batch) only once the sends have returned, so a message is
 * never dropped; a full mailbox blocks the send, and with it the
 * fetching: back-pressure reaches JetStream, and while the send waits the
 * AckWait of the batch's messages is pushed back (natsMsg_InProgress). A message is
 * delivered twice only if a bridge dies (or its connection drops) between
 * its send and the ack: JetStream delivers it again with NumDelivered > 1,
 * and the bridge counts it in "redelivered".
 *
 * Order: JetStream redelivers an unacked message only once its AckWait
 * has passed, and would meanwhile deliver the messages after it. So when
 * the route starts, and after each reconnection, while the consumer has
 * messages awaiting an ack the bridge waits AckWait before fetching: the
 * server then hands out the redeliveries first.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <msgq.h>

#include "bridge.h"

#define FETCH_BATCH	128
#define FETCH_WAIT_MS	500
#define SEND_WAIT_MS	1000
#define ACK_WAIT_MS	10000

struct importer {
	struct bridge *b;
	struct route *r;
	int fd;
	jsCtx *js;
	natsSubscription *sub;
	int reconnects;		/* b->reconnects when last in step */
};

static unsigned long long hdr_num(natsMsg *m, const char *k)
{
	const char *v = NULL;

	if (natsMsgHeader_Get(m, k, &v) != NATS_OK || !v)
		return 0;
	return strtoull(v, NULL, 10);
}

static void note_origin(struct importer *im, natsMsg *m)
{
	const char *host = NULL, *pid = NULL, *uid = NULL, *sent = NULL;
	struct route_stats *st = &im->r->st;

	natsMsgHeader_Get(m, HDR_HOST, &host);
	natsMsgHeader_Get(m, HDR_PID, &pid);
	natsMsgHeader_Get(m, HDR_UID, &uid);
	natsMsgHeader_Get(m, HDR_SENT, &sent);
	pthread_mutex_lock(&st->lock);
	snprintf(st->last_origin, sizeof(st->last_origin),
		 "host=%s pid=%s uid=%s sent_ns=%s", host ? host : "?",
		 pid ? pid : "?", uid ? uid : "?", sent ? sent : "?");
	pthread_mutex_unlock(&st->lock);
	blog(LOG_LVL_DEBUG, "import %s: last of a batch from host %s pid %s uid %s sent %s",
	     im->r->mailbox, host ? host : "?", pid ? pid : "?",
	     uid ? uid : "?", sent ? sent : "?");
}

/*
 * Send one message into the mailbox, waiting while it is full. Returns 0
 * once sent, 1 if stopped first, -1 on an error (the message is not acked:
 * JetStream delivers it again).
 */
static int deliver(struct importer *im, natsMsgList *list, int i)
{
	natsMsg *m = list->Msgs[i];
	struct msgq_send a;
	unsigned long long prio = hdr_num(m, HDR_PRIO);
	jsMsgMetaData *meta = NULL;

	if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
		if (meta->NumDelivered > 1)
			atomic_fetch_add(&im->r->st.redelivered, 1);
		jsMsgMetaData_Destroy(meta);
	}
	if (prio >= MSGQ_PRIO_MAX)
		prio = MSGQ_PRIO_MAX - 1;
	for (;;) {
		memset(&a, 0, sizeof(a));
		a.buf = (uintptr_t)natsMsg_GetData(m);
		a.len = (uint32_t)natsMsg_GetDataLength(m);
		a.prio = (uint32_t)prio;
		a.flags = MSGQ_F_TIMEOUT;
		a.timeout.tv_nsec = 0;
		a.timeout.tv_sec = SEND_WAIT_MS / 1000;
		if (!msgq_send_args(im->fd, &a))
			return 0;
		if (errno != ETIMEDOUT && errno != EINTR && errno != EAGAIN) {
			route_error(im->r, "send to %s: %s", im->r->mailbox,
				    strerror(errno));
			return -1;
		}
		if (atomic_load(&im->b->stop))
			return 1;
		/* Full: hold this message and the rest of the batch. */
		for (int k = i; k < list->Count; k++)
			natsMsg_InProgress(list->Msgs[k], NULL);
	}
}

static int setup(struct importer *im)
{
	jsSubOptions so;
	jsErrCode jerr = 0;
	natsStatus st;

	im->fd = msgq_create(im->r->mailbox, MSGQ_O_SEND | MSGQ_O_CLOEXEC,
			     im->r->mode, im->r->max_msgs, im->r->max_msgsize);
	if (im->fd < 0) {
		route_error(im->r, "mailbox %s: %s", im->r->mailbox,
			    strerror(errno));
		return -1;
	}
	st = natsConnection_JetStream(&im->js, im->b->nc, NULL);
	if (st != NATS_OK) {
		route_error(im->r, "JetStream context: %s", natsStatus_GetText(st));
		return -1;
	}
	jsSubOptions_Init(&so);
	so.Config.AckPolicy = js_AckAll;
	so.Config.AckWait = (int64_t)ACK_WAIT_MS * 1000000;
	so.Config.MaxAckPending = 4 * FETCH_BATCH;
	so.Config.DeliverPolicy = js_DeliverAll;
	st = js_PullSubscribe(&im->sub, im->js, im->r->subject, im->r->durable,
			      NULL, &so, &jerr);
	if (st != NATS_OK) {
		route_error(im->r, "pull consumer %s on %s: %s (%d)",
			    im->r->durable, im->r->subject,
			    natsStatus_GetText(st), (int)jerr);
		return -1;
	}
	blog(LOG_LVL_INFO, "import %s -> %s: up (durable %s)", im->r->subject,
	     im->r->mailbox, im->r->durable);
	return 0;
}

/*
 * Messages of this consumer delivered and not acked (a bridge killed, a
 * connection lost): let their AckWait pass, so that they come first.
 */
static void settle(struct importer *im)
{
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	int64_t pending;

	im->reconnects = atomic_load(&im->b->reconnects);
	if (natsSubscription_GetConsumerInfo(&ci, im->sub, NULL, &jerr) != NATS_OK)
		return;
	pending = ci->NumAckPending;
	jsConsumerInfo_Destroy(ci);
	if (pending <= 0)
		return;
	blog(LOG_LVL_INFO, "import %s: %lld message%s awaiting an ack: redelivered in %d ms",
	     im->r->mailbox, (long long)pending, pending == 1 ? "" : "s",
	     ACK_WAIT_MS + 1000);
	bridge_sleep(im->b, ACK_WAIT_MS + 1000);
}

static void teardown(struct importer *im)
{
	if (im->sub)
		natsSubscription_Destroy(im->sub);	/* the durable stays */
	im->sub = NULL;
	if (im->js)
		jsCtx_Destroy(im->js);
	im->js = NULL;
	if (im->fd >= 0)
		close(im->fd);
	im->fd = -1;
}

void *import_run(void *arg)
{
	struct route_arg *ra = arg;
	struct importer im = { .b = ra->b, .r = ra->r, .fd = -1 };
	unsigned int backoff = 100;

	while (!atomic_load(&im.b->stop) && setup(&im)) {
		teardown(&im);
		bridge_sleep(im.b, 2000);
	}
	if (im.sub)
		settle(&im);
	while (!atomic_load(&im.b->stop)) {
		natsMsgList list = { 0 };
		jsErrCode jerr = 0;
		natsStatus st;
		natsMsg *last = NULL;
		int i = 0;

		if (atomic_load(&im.b->reconnects) != im.reconnects)
			settle(&im);

		st = natsSubscription_Fetch(&list, im.sub, FETCH_BATCH,
					    FETCH_WAIT_MS, &jerr);
		if (st == NATS_TIMEOUT)
			continue;
		if (st != NATS_OK) {
			route_error(im.r, "fetch: %s (%d)",
				    natsStatus_GetText(st), (int)jerr);
			bridge_sleep(im.b, backoff);
			if (backoff < 5000)
				backoff *= 2;
			continue;
		}
		backoff = 100;
		atomic_store(&im.r->st.in_flight, list.Count);
		for (; i < list.Count; i++) {
			if (deliver(&im, &list, i))
				break;
			last = list.Msgs[i];
		}
		/* AckAll: the last message sent acks those before it. */
		if (last) {
			note_origin(&im, last);
			st = natsMsg_Ack(last, NULL);
			if (st != NATS_OK)	/* they come again: counted then */
				route_error(im.r, "ack: %s", natsStatus_GetText(st));
			atomic_fetch_add(&im.r->st.forwarded, i);
			atomic_fetch_sub(&im.r->st.in_flight, i);
		}
		/* Stopped or failed: what was not sent comes again, soon. */
		for (; i < list.Count; i++)
			natsMsg_Nak(list.Msgs[i], NULL);
		natsMsgList_Destroy(&list);
	}
	blog(LOG_LVL_INFO, "import %s: stopped, %llu forwarded, %llu redelivered",
	     im.r->mailbox, (unsigned long long)atomic_load(&im.r->st.forwarded),
	     (unsigned long long)atomic_load(&im.r->st.redelivered));
	teardown(&im);
	return NULL;
}
