// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * An import route: a durable JetStream consumer feeding a local mailbox.
 *
 * Each message is sent into the mailbox (priority from its Msgq-Prio
 * header) and acked only once the send has returned, so a message is
 * never dropped. JetStream pushes at most MAX_ACK_PENDING unacked messages
 * to the bridge; every PROGRESS_MS the bridge takes every message already
 * delivered off the subscription and marks all it holds in progress, so
 * none is redelivered behind its back however slowly the mailbox drains,
 * and JetStream, at its MaxAckPending, sends nothing more: the
 * back-pressure reaches the stream. A message is delivered twice only if a
 * bridge dies between its send and its ack: the next bridge gets it again
 * with NumDelivered > 1 and counts it in "redelivered". While it lives, a
 * bridge sends nothing twice: JetStream delivers a message it had sent
 * again if the ack was lost (with a node), or may hold it twice after a
 * node's failover; the bridge remembers the Nats-Msg-Id (else the stream
 * sequence) of what it sent in the last minute (seen.c) and acks such a
 * copy without sending it ("duplicates"). A consumer that disappears
 * (deleted, its stream made again) is noticed within CHECK_MS of silence
 * and made again.
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
#include <time.h>
#include <unistd.h>
#include <msgq.h>

#include "bridge.h"
#include "seen.h"

#define MAX_ACK_PENDING	256
#define NEXT_WAIT_MS	500
#define SEND_WAIT_MS	1000
#define ACK_WAIT_MS	10000
#define RETRY_MS	1000
#define PROGRESS_MS	2000	/* a fifth of the ack wait */
#define CHECK_MS	5000

/* A delivered message, with what the import needs of its metadata. */
struct delivery {
	natsMsg *m;
	uint64_t seq;		/* its stream sequence */
	uint64_t key;		/* seen.c's key: of its Msg-Id, else of seq */
};

struct importer {
	struct bridge *b;
	struct route *r;
	int fd;
	jsCtx *js;
	natsSubscription *sub;
	/* delivered, taken off the subscription, not yet sent: a FIFO */
	struct delivery held[MAX_ACK_PENDING];
	unsigned int head, count;
	int64_t progress_ms;	/* when all held was last marked in progress */
	struct seen sent;	/* what this bridge sent, by key */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

/*
 * Fill @d from @m; 0, or -1 (@m is no JetStream message: dropped). A
 * message delivered again is counted in "redelivered".
 */
static int describe(struct importer *im, natsMsg *m, struct delivery *d)
{
	jsMsgMetaData *meta = NULL;
	const char *id = NULL;

	if (natsMsg_GetMetaData(&meta, m) != NATS_OK) {
		route_error(im->r, "not a JetStream message: %s",
			    natsMsg_GetReply(m) ? natsMsg_GetReply(m) : "-");
		natsMsg_Destroy(m);
		return -1;
	}
	if (meta->NumDelivered > 1)
		atomic_fetch_add(&im->r->st.redelivered, 1);
	natsMsgHeader_Get(m, "Nats-Msg-Id", &id);
	d->m = m;
	d->seq = meta->Sequence.Stream;
	d->key = seen_key(id, d->seq);
	jsMsgMetaData_Destroy(meta);
	return 0;
}

/* Ack and free a copy of a message this bridge has sent or holds. */
static void drop_copy(struct importer *im, natsMsg *m, int sent)
{
	if (sent)
		natsMsg_Ack(m, NULL);
	natsMsg_Destroy(m);
	atomic_fetch_add(&im->r->st.duplicates, 1);
}

static int holds(const struct importer *im, const struct delivery *cur,
		 uint64_t seq)
{
	if (cur && cur->seq == seq)
		return 1;
	for (unsigned int i = 0; i < im->count; i++)
		if (im->held[(im->head + i) % MAX_ACK_PENDING].seq == seq)
			return 1;
	return 0;
}

/*
 * Take what JetStream has delivered off the subscription, but copies of
 * what was sent (acked again) or is held (freed), and mark all held, and
 * @cur, in progress: their ack wait starts again. MaxAckPending bounds
 * what can be held.
 */
static void hold_delivered(struct importer *im, const struct delivery *cur)
{
	natsMsg *m;

	while (im->count < MAX_ACK_PENDING &&
	       natsSubscription_NextMsg(&m, im->sub, 0) == NATS_OK) {
		struct delivery *d = &im->held[(im->head + im->count) %
					       MAX_ACK_PENDING];

		if (describe(im, m, d))
			continue;
		if (seen_has(&im->sent, d->key))
			drop_copy(im, m, 1);
		else if (holds(im, cur, d->seq))
			drop_copy(im, m, 0);
		else
			im->count++;
	}
	if (cur)
		natsMsg_InProgress(cur->m, NULL);
	for (unsigned int i = 0; i < im->count; i++)
		natsMsg_InProgress(im->held[(im->head + i) % MAX_ACK_PENDING].m,
				   NULL);
	im->progress_ms = now_ms();
	count_in_flight(im);
}

/* The next message: the oldest held one, or one from the subscription. */
static natsStatus next_delivery(struct importer *im, struct delivery *d,
				int64_t wait_ms)
{
	natsStatus st;
	natsMsg *m;

	if (im->count) {
		*d = im->held[im->head];
		im->head = (im->head + 1) % MAX_ACK_PENDING;
		im->count--;
		return NATS_OK;
	}
	do
		st = natsSubscription_NextMsg(&m, im->sub, wait_ms);
	while (st == NATS_OK && describe(im, m, d));
	return st;
}

/* Nak and free every held message, and @cur: they come again, soon. */
static void give_back(struct importer *im, struct delivery *cur)
{
	struct delivery d;

	if (cur) {
		natsMsg_Nak(cur->m, NULL);
		natsMsg_Destroy(cur->m);
	}
	while (next_delivery(im, &d, 0) == NATS_OK) {
		natsMsg_Nak(d.m, NULL);
		natsMsg_Destroy(d.m);
	}
	atomic_store(&im->r->st.in_flight, 0);
}

/*
 * Send @m into the mailbox, waiting while it is full. Returns 0 once
 * sent, 1 if stopped first, -EMSGSIZE if the mailbox can never take it,
 * -1 on another error (errno).
 */
static int deliver(struct importer *im, const struct delivery *d)
{
	natsMsg *m = d->m;
	unsigned long long prio = hdr_num(m, HDR_PRIO);
	struct msgq_send a;

	if (prio >= MSGQ_PRIO_MAX)
		prio = MSGQ_PRIO_MAX - 1;
	for (;;) {
		if (now_ms() - im->progress_ms >= PROGRESS_MS)
			hold_delivered(im, d);
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
	}
}

/* Terminate @m, which the mailbox can never take; it stays in the stream. */
static void reject(struct importer *im, const struct delivery *d)
{
	natsMsg_Term(d->m, NULL);
	atomic_fetch_add(&im->r->st.rejected, 1);
	route_error(im->r, "stream sequence %" PRIu64 ": %d bytes, more than %s takes (EMSGSIZE): terminated",
		    d->seq, natsMsg_GetDataLength(d->m), im->r->mailbox);
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
	im->progress_ms = now_ms();
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
static int forward(struct importer *im, struct delivery *d)
{
	natsStatus st;
	int ret;

	if (seen_has(&im->sent, d->key)) {
		drop_copy(im, d->m, 1);
		return 0;
	}
	ret = deliver(im, d);
	if (ret == -EMSGSIZE) {
		reject(im, d);
		natsMsg_Destroy(d->m);
		return 0;
	}
	if (ret) {
		if (ret < 0)
			route_error(im->r, "send to %s: %s", im->r->mailbox,
				    strerror(errno));
		give_back(im, d);
		return -1;
	}
	seen_add(&im->sent, d->key, now_ms());
	if (im->sent.forgotten_early &&
	    !(im->sent.forgotten_early & (im->sent.forgotten_early - 1)))
		blog(LOG_LVL_WARN, "import %s: %llu sent messages forgotten before %d s (more than %u sent in that time): a copy of one would be sent again",
		     im->r->mailbox,
		     (unsigned long long)im->sent.forgotten_early,
		     SEEN_KEEP_MS / 1000, SEEN_LIMIT);
	note_origin(im, d->m);
	st = natsMsg_Ack(d->m, NULL);
	if (st != NATS_OK)	/* it comes again, and is known then */
		route_error(im->r, "ack: %s", natsStatus_GetText(st));
	natsMsg_Destroy(d->m);
	atomic_fetch_add(&im->r->st.forwarded, 1);
	count_in_flight(im);
	return 0;
}

/*
 * Nothing came for CHECK_MS: is the consumer still there? If it was
 * deleted (or its stream made again), nothing would ever come: it is
 * made again, and what was sent is forgotten (stream sequences restart).
 */
static int consumer_gone(struct importer *im)
{
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	natsStatus st;

	st = natsSubscription_GetConsumerInfo(&ci, im->sub, NULL, &jerr);
	jsConsumerInfo_Destroy(ci);
	if (st == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr ||
	    jerr == JSStreamNotFoundErr) {
		route_error(im->r, "consumer %s on %s is gone: made again",
			    im->r->durable, im->r->subject);
		seen_clear(&im->sent);
		return 1;
	}
	return 0;
}

void *import_run(void *arg)
{
	struct route_arg *ra = arg;
	struct importer im = { .b = ra->b, .r = ra->r, .fd = -1 };
	unsigned int backoff = 100;
	int64_t heard_ms = now_ms();

	if (seen_init(&im.sent)) {
		route_error(im.r, "out of memory");
		return NULL;
	}
	while (!atomic_load(&im.b->stop)) {
		struct delivery d;
		natsStatus st;

		if (!im.sub && setup(&im)) {
			teardown(&im);
			bridge_sleep(im.b, 2000);
			continue;
		}
		st = next_delivery(&im, &d, NEXT_WAIT_MS);
		if (st == NATS_TIMEOUT) {
			if (now_ms() - heard_ms >= CHECK_MS) {
				heard_ms = now_ms();
				if (consumer_gone(&im))
					teardown(&im);
			}
			continue;
		}
		if (st != NATS_OK) {
			route_error(im.r, "next message: %s",
				    natsStatus_GetText(st));
			bridge_sleep(im.b, backoff);
			if (backoff < 5000)
				backoff *= 2;
			continue;
		}
		backoff = 100;
		heard_ms = now_ms();
		if (forward(&im, &d)) {
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
