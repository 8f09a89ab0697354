// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * An import route: a durable JetStream pull consumer feeding a local
 * mailbox. Each fetched message is sent into the mailbox (priority from
 * its Msgq-Prio header) and acked only once the send has returned, so a
 * message is never dropped; a full mailbox blocks the send, and with it
 * the fetching: back-pressure reaches JetStream, and while the send waits
 * the message's AckWait is pushed back (natsMsg_InProgress). A message is
 * delivered twice only if a bridge dies between its send and its ack: the
 * next bridge gets it again with NumDelivered > 1, and counts it in
 * "redelivered".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <msgq.h>

#include "bridge.h"

#define FETCH_BATCH	64
#define FETCH_WAIT_MS	500
#define SEND_WAIT_MS	1000
#define ACK_WAIT_MS	10000

struct importer {
	struct bridge *b;
	struct route *r;
	int fd;
	jsCtx *js;
	natsSubscription *sub;
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
	blog(LOG_LVL_DEBUG, "import %s: from host %s pid %s uid %s sent %s",
	     im->r->mailbox, host ? host : "?", pid ? pid : "?",
	     uid ? uid : "?", sent ? sent : "?");
}

/*
 * Send one message into the mailbox, waiting while it is full. Returns 0
 * once sent, 1 if stopped first, -1 on an error (the message is not acked:
 * JetStream delivers it again).
 */
static int deliver(struct importer *im, natsMsg *m)
{
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
		natsMsg_InProgress(m, NULL);	/* full: hold the message */
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
	so.Config.AckPolicy = js_AckExplicit;
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
	while (!atomic_load(&im.b->stop)) {
		natsMsgList list = { 0 };
		jsErrCode jerr = 0;
		natsStatus st;
		int i = 0;

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
			natsMsg *m = list.Msgs[i];
			int ret = deliver(&im, m);

			if (ret)
				break;
			note_origin(&im, m);
			st = natsMsg_Ack(m, NULL);
			if (st != NATS_OK)	/* it comes again: counted then */
				route_error(im.r, "ack: %s", natsStatus_GetText(st));
			atomic_fetch_add(&im.r->st.forwarded, 1);
			atomic_fetch_sub(&im.r->st.in_flight, 1);
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
