// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * An import route: a durable JetStream consumer feeding a local mailbox.
 *
 * Each message is sent into the mailbox (priority from its Msgq-Prio
 * header) and acked only once the send has returned, so a message is
 * never dropped. JetStream pushes at most MAX_ACK_PENDING unacked messages
 * to the bridge; while a full mailbox blocks the send, the bridge takes
 * every message already delivered off the subscription and marks them all
 * in progress each second, so none is redelivered behind the bridge's
 * back, and JetStream, at its MaxAckPending, sends nothing more: the
 * back-pressure reaches the stream. A message is delivered twice only if a
 * bridge dies between its send and its ack: the next bridge gets it again
 * with NumDelivered > 1 and counts it in "redelivered". While it lives, a
 * bridge sends nothing twice: JetStream delivers a message it had sent
 * again if the ack was lost (with a node), or may hold it twice after a
 * node's failover; the bridge remembers the Nats-Msg-Id (else the stream
 * sequence) of the last SEEN_MAX messages it sent (seen.c) and acks such a
 * copy without sending it ("duplicates").
 *
 * A message the mailbox can never take (EMSGSIZE: longer than the
 * mailbox's max_msgsize) is terminated: counted in "rejected", logged with
 * its stream sequence, left in the stream. Any other send error closes the
 * mailbox and gives the messages back (Nak) for a new attempt after a
 * pause.
 *
 * Why a push consumer and not natsSubscription_Fetch(): Debian 12's libnats
 * (3.4.1) writes past its array of fetched messages when the messages of
 * an expired fetch are still pending at the next one (under load, or in a
 * slow VM): heap corruption that aborted one import bridge in ten in the
 * test guest (doc/testing.md, "msgq-bridge").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <msgq.h>

#include "bridge.h"
#include "seen.h"

#define MAX_ACK_PENDING	256
#define NEXT_WAIT_MS	500
#define SEND_WAIT_MS	1000
#define ACK_WAIT_MS	10000
#define RETRY_MS	1000

struct importer {
	struct bridge *b;
	struct route *r;
	int fd;
	jsCtx *js;
	natsSubscription *sub;
	/* delivered, taken off the subscription, not yet sent: a FIFO */
	natsMsg *held[MAX_ACK_PENDING];
	unsigned int head, count;
	struct seen sent;	/* what this bridge sent, by Msg-Id */
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

static void count_in_flight(struct importer *im)
{
	int pending = 0;

	natsSubscription_GetPending(im->sub, &pending, NULL);
	atomic_store(&im->r->st.in_flight, im->count + (unsigned int)pending);
}

/* The next message: the oldest held one, or one from the subscription. */
static natsStatus next_msg(struct importer *im, natsMsg **m, int64_t wait_ms)
{
	if (im->count) {
		*m = im->held[im->head];
		im->head = (im->head + 1) % MAX_ACK_PENDING;
		im->count--;
		return NATS_OK;
	}
	return natsSubscription_NextMsg(m, im->sub, wait_ms);
}

/*
 * The mailbox is full and @m waits for room: take what JetStream has
 * delivered off the subscription (MaxAckPending bounds it) and mark it all
 * in progress, so that its ack wait starts again.
 */
static void hold_delivered(struct importer *im, natsMsg *m)
{
	natsMsg *next;

	while (im->count < MAX_ACK_PENDING &&
	       natsSubscription_NextMsg(&next, im->sub, 0) == NATS_OK) {
		im->held[(im->head + im->count) % MAX_ACK_PENDING] = next;
		im->count++;
	}
	natsMsg_InProgress(m, NULL);
	for (unsigned int i = 0; i < im->count; i++)
		natsMsg_InProgress(im->held[(im->head + i) % MAX_ACK_PENDING],
				   NULL);
	count_in_flight(im);
}

/* Nak and free every held message, and @m: they come again, soon. */
static void give_back(struct importer *im, natsMsg *m)
{
	if (m) {
		natsMsg_Nak(m, NULL);
		natsMsg_Destroy(m);
	}
	while (next_msg(im, &m, 0) == NATS_OK) {
		natsMsg_Nak(m, NULL);
		natsMsg_Destroy(m);
	}
	atomic_store(&im->r->st.in_flight, 0);
}

/*
 * Send @m into the mailbox, waiting while it is full. Returns 0 once
 * sent, 1 if stopped first, -EMSGSIZE if the mailbox can never take it,
 * -1 on another error (errno).
 */
static int deliver(struct importer *im, natsMsg *m)
{
	unsigned long long prio = hdr_num(m, HDR_PRIO);
	struct msgq_send a;

	if (prio >= MSGQ_PRIO_MAX)
		prio = MSGQ_PRIO_MAX - 1;
	for (;;) {
		memset(&a, 0, sizeof(a));
		a.buf = (uintptr_t)natsMsg_GetData(m);
		a.len = (uint32_t)natsMsg_GetDataLength(m);
		a.prio = (uint32_t)prio;
		a.flags = MSGQ_F_TIMEOUT;
		a.timeout.tv_sec = SEND_WAIT_MS / 1000;
		if (!msgq_send_args(im->fd, &a))
			return 0;
		if (errno == EMSGSIZE)
			return -EMSGSIZE;
		if (errno != ETIMEDOUT && errno != EINTR && errno != EAGAIN)
			return -1;
		if (atomic_load(&im->b->stop))
			return 1;
		hold_delivered(im, m);	/* full: hold what is delivered */
	}
}

/* Terminate @m, which the mailbox can never take; it stays in the stream. */
static void reject(struct importer *im, natsMsg *m)
{
	jsMsgMetaData *meta = NULL;
	uint64_t seq = 0;

	if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
		seq = meta->Sequence.Stream;
		jsMsgMetaData_Destroy(meta);
	}
	natsMsg_Term(m, NULL);
	atomic_fetch_add(&im->r->st.rejected, 1);
	route_error(im->r, "stream sequence %" PRIu64 ": %d bytes, more than %s takes (EMSGSIZE): terminated",
		    seq, natsMsg_GetDataLength(m), im->r->mailbox);
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
	so.ManualAck = true;
	so.Config.Durable = im->r->durable;
	so.Config.AckPolicy = js_AckExplicit;
	so.Config.AckWait = (int64_t)ACK_WAIT_MS * 1000000;
	so.Config.MaxAckPending = MAX_ACK_PENDING;
	so.Config.DeliverPolicy = js_DeliverAll;
	st = js_SubscribeSync(&im->sub, im->js, im->r->subject, NULL, &so,
			      &jerr);
	if (st != NATS_OK) {
		route_error(im->r, "consumer %s on %s: %s (%d)",
			    im->r->durable, im->r->subject,
			    natsStatus_GetText(st), (int)jerr);
		return -1;
	}
	/* MaxAckPending bounds what waits here, whatever the sizes. */
	natsSubscription_SetPendingLimits(im->sub, -1, -1);
	blog(LOG_LVL_INFO, "import %s -> %s: up (durable %s)", im->r->subject,
	     im->r->mailbox, im->r->durable);
	return 0;
}

static void teardown(struct importer *im)
{
	if (im->sub) {
		give_back(im, NULL);
		natsSubscription_Destroy(im->sub);	/* the durable stays */
	}
	im->sub = NULL;
	if (im->js)
		jsCtx_Destroy(im->js);
	im->js = NULL;
	if (im->fd >= 0)
		close(im->fd);
	im->fd = -1;
}

/* One message: sent and acked, rejected, or given back. 0, or -1 to retry. */
static int forward(struct importer *im, natsMsg *m)
{
	const char *id = NULL;
	jsMsgMetaData *meta = NULL;
	uint64_t key;
	natsStatus st;
	int ret;

	if (natsMsg_GetMetaData(&meta, m) != NATS_OK) {
		route_error(im->r, "not a JetStream message: %s",
			    natsMsg_GetReply(m) ? natsMsg_GetReply(m) : "-");
		natsMsg_Destroy(m);
		return 0;
	}
	if (meta->NumDelivered > 1)
		atomic_fetch_add(&im->r->st.redelivered, 1);
	natsMsgHeader_Get(m, "Nats-Msg-Id", &id);
	key = seen_key(id, meta->Sequence.Stream);
	jsMsgMetaData_Destroy(meta);
	if (seen_has(&im->sent, key)) {
		atomic_fetch_add(&im->r->st.duplicates, 1);
		goto ack;
	}
	ret = deliver(im, m);
	if (ret == -EMSGSIZE) {
		reject(im, m);
		natsMsg_Destroy(m);
		return 0;
	}
	if (ret) {
		if (ret < 0)
			route_error(im->r, "send to %s: %s", im->r->mailbox,
				    strerror(errno));
		give_back(im, m);
		return -1;
	}
	seen_add(&im->sent, key);
	note_origin(im, m);
	atomic_fetch_add(&im->r->st.forwarded, 1);
ack:
	st = natsMsg_Ack(m, NULL);
	if (st != NATS_OK)	/* it comes again: counted then */
		route_error(im->r, "ack: %s", natsStatus_GetText(st));
	natsMsg_Destroy(m);
	count_in_flight(im);
	return 0;
}

void *import_run(void *arg)
{
	struct route_arg *ra = arg;
	struct importer im = { .b = ra->b, .r = ra->r, .fd = -1 };
	unsigned int backoff = 100;

	if (seen_init(&im.sent)) {
		route_error(im.r, "out of memory");
		return NULL;
	}

	while (!atomic_load(&im.b->stop)) {
		natsMsg *m = NULL;
		natsStatus st;

		if (!im.sub && setup(&im)) {
			teardown(&im);
			bridge_sleep(im.b, 2000);
			continue;
		}
		st = next_msg(&im, &m, NEXT_WAIT_MS);
		if (st == NATS_TIMEOUT)
			continue;
		if (st != NATS_OK) {
			route_error(im.r, "next message: %s",
				    natsStatus_GetText(st));
			bridge_sleep(im.b, backoff);
			if (backoff < 5000)
				backoff *= 2;
			continue;
		}
		backoff = 100;
		if (forward(&im, m)) {
			/* the mailbox failed: open it again after a pause */
			teardown(&im);
			bridge_sleep(im.b, RETRY_MS);
		}
	}
	blog(LOG_LVL_INFO, "import %s: stopped, %llu forwarded, %llu redelivered",
	     im.r->mailbox, (unsigned long long)atomic_load(&im.r->st.forwarded),
	     (unsigned long long)atomic_load(&im.r->st.redelivered));
	teardown(&im);
	seen_free(&im.sent);
	return NULL;
}
