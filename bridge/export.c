// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * An export route: drains a local mailbox into a JetStream subject.
 *
 * Each message is received into a spool slot (spool.c: from then on it
 * survives the bridge), published asynchronously with the Nats-Msg-Id
 * HOST:MAILBOX:EPOCH:SEQ, and its slot is freed only by its PubAck. At most
 * `window` slots await a PubAck at once: the receive of message N waits
 * for the PubAck of N - window. A publish error or a PubAck that does not
 * come within its MaxWait stops the route's receiving until every slot
 * still holding a message has been republished, in order, synchronously;
 * JetStream's duplicate window drops those that had landed. So a message
 * is never lost and never stored twice; the only cost of an error is that
 * the messages of one window may be stored out of order (window=1 keeps
 * the order across errors too).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <msgq.h>

#include "bridge.h"
#include "spool.h"

#define RECV_TIMEOUT_MS	200
/*
 * How long a PubAck may take before the route recovers (republishes its
 * window, which may reorder it): long, since a slow stream (R3 on busy
 * nodes) is no failure, and a node lost fails the connection long before.
 */
#define PUB_MAX_WAIT_MS	30000
/*
 * A republish's wait (a timeout only retries it: same id), and how long a
 * stop waits for the PubAcks in flight (what has none stays spooled):
 * well within systemd's TimeoutStopSec (msgq-bridge.service).
 */
#define REPUBLISH_WAIT_MS	5000
#define STOP_WAIT_MS		10000

struct exporter {
	struct bridge *b;
	struct route *r;
	int fd;
	jsCtx *js;
	struct spool sp;
	char path[BRIDGE_PATH_MAX];
	pthread_mutex_t lock;		/* slot states, with cond */
	pthread_cond_t cond;
	atomic_int failed;		/* a publish failed: recover() */
};

static void msg_id(const struct exporter *e, uint64_t seq, char *buf,
		   size_t len)
{
	snprintf(buf, len, "%s:%s:%" PRIu64 ":%" PRIu64, e->b->cfg->host,
		 e->r->mailbox, e->sp.hdr->epoch, seq);
}

/* The NATS message of a slot, with the sender's metadata as headers. */
static natsStatus build(struct exporter *e, struct spool_slot *s,
			natsMsg **out)
{
	char v[32];
	natsMsg *m = NULL;
	natsStatus st;

	st = natsMsg_Create(&m, e->r->subject, NULL, slot_payload(s),
			    (int)s->args.len);
	if (st != NATS_OK)
		return st;
#define HDR(k, fmt, x) do { snprintf(v, sizeof(v), fmt, x); \
	if (st == NATS_OK) st = natsMsgHeader_Set(m, k, v); } while (0)
	HDR(HDR_PRIO, "%u", s->args.prio);
	HDR(HDR_PID, "%d", s->args.pid);
	HDR(HDR_UID, "%u", s->args.uid);
	HDR(HDR_SENT, "%llu", (unsigned long long)s->args.sent_ns);
	HDR(HDR_SEQ, "%" PRIu64, s->seq);
#undef HDR
	if (st == NATS_OK)
		st = natsMsgHeader_Set(m, HDR_HOST, e->b->cfg->host);
	if (st != NATS_OK) {
		natsMsg_Destroy(m);
		return st;
	}
	*out = m;
	return NATS_OK;
}

static void slot_done(struct exporter *e, struct spool_slot *s, int dup)
{
	atomic_store(&s->state, SLOT_FREE);
	atomic_fetch_add(&e->r->st.forwarded, 1);
	atomic_fetch_sub(&e->r->st.in_flight, 1);
	if (dup)
		atomic_fetch_add(&e->r->st.duplicates, 1);
}

/* Library thread: the PubAck (or error) of one asynchronous publish. */
static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae,
		   void *closure)
{
	struct exporter *e = closure;
	const char *v = NULL;
	uint64_t seq;
	struct spool_slot *s;

	(void)js;
	if (natsMsgHeader_Get(msg, HDR_SEQ, &v) != NATS_OK || !v)
		goto out;
	seq = strtoull(v, NULL, 10);
	s = spool_slot(&e->sp, seq);
	pthread_mutex_lock(&e->lock);
	if (pa && s->seq == seq && atomic_load(&s->state) == SLOT_ARMED) {
		slot_done(e, s, pa->Duplicate);
	} else if (!pa) {
		atomic_store(&e->failed, 1);
		route_error(e->r, "publish of #%" PRIu64 ": %s%s%s", seq,
			    natsStatus_GetText(pae ? pae->Err : NATS_ERR),
			    pae && pae->ErrText ? ": " : "",
			    pae && pae->ErrText ? pae->ErrText : "");
	}
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
out:
	natsMsg_Destroy(msg);
}

/*
 * Wait for the PubAcks of the asynchronous publishes in flight: until all
 * came, or @max_ms passed, or (if @stoppable) a stop request.
 */
static void await_pubacks(struct exporter *e, int64_t max_ms, int stoppable)
{
	jsPubOptions po;

	jsPubOptions_Init(&po);
	po.MaxWait = 250;
	for (int64_t waited = 0; waited < max_ms; waited += po.MaxWait)
		if (js_PublishAsyncComplete(e->js, &po) != NATS_TIMEOUT ||
		    (stoppable && atomic_load(&e->b->stop)))
			break;
}

static int cmp_seq(const void *a, const void *b)
{
	uint64_t x = (*(struct spool_slot * const *)a)->seq;
	uint64_t y = (*(struct spool_slot * const *)b)->seq;

	return x < y ? -1 : x > y;
}

/*
 * Republish, synchronously and in order, every slot holding a message:
 * at start (a previous bridge's spool) and after a publish error. Returns
 * -1 if stopped first (the slots stay for the next bridge).
 */
static int recover(struct exporter *e)
{
	struct spool_slot **v;
	jsPubOptions po;
	unsigned int n = 0, backoff = 100;
	uint64_t next = e->sp.hdr->next_seq;
	char id[BRIDGE_NAME_MAX * 2 + 64];

	if (e->js)
		await_pubacks(e, 2 * PUB_MAX_WAIT_MS, 1);
	atomic_store(&e->failed, 0);
	v = calloc(e->sp.slots, sizeof(*v));
	if (!v)
		return -1;
	pthread_mutex_lock(&e->lock);
	for (uint32_t i = 0; i < e->sp.slots; i++) {
		struct spool_slot *s = spool_slot(&e->sp, i);

		if (slot_holds_msg(s)) {
			v[n++] = s;
			if (s->seq >= next)
				next = s->seq + 1;
		} else {
			atomic_store(&s->state, SLOT_FREE);
		}
	}
	pthread_mutex_unlock(&e->lock);
	e->sp.hdr->next_seq = next;
	qsort(v, n, sizeof(*v), cmp_seq);
	if (n)
		blog(LOG_LVL_INFO, "export %s: republishing %u spooled message%s",
		     e->r->mailbox, n, n == 1 ? "" : "s");
	atomic_store(&e->r->st.in_flight, n);
	for (unsigned int i = 0; i < n; i++) {
		struct spool_slot *s = v[i];
		jsPubAck *pa = NULL;
		jsErrCode jerr = 0;
		natsMsg *m = NULL;
		natsStatus st;

		pthread_mutex_lock(&e->lock);
		if (!slot_holds_msg(s) || s->seq != v[i]->seq) {
			pthread_mutex_unlock(&e->lock);
			continue;	/* a late PubAck freed it */
		}
		pthread_mutex_unlock(&e->lock);
		msg_id(e, s->seq, id, sizeof(id));
		jsPubOptions_Init(&po);
		po.MsgId = id;
		po.MaxWait = REPUBLISH_WAIT_MS;
		st = build(e, s, &m);
		if (st == NATS_OK)
			st = js_PublishMsg(&pa, e->js, m, &po, &jerr);
		natsMsg_Destroy(m);
		if (st != NATS_OK) {
			route_error(e->r, "republish of #%" PRIu64 ": %s (%d)",
				    s->seq, natsStatus_GetText(st), (int)jerr);
			bridge_sleep(e->b, backoff);
			if (backoff < 5000)
				backoff *= 2;
			if (atomic_load(&e->b->stop)) {
				free(v);
				return -1;
			}
			i--;
			continue;
		}
		backoff = 100;
		pthread_mutex_lock(&e->lock);
		if (slot_holds_msg(s))
			slot_done(e, s, pa->Duplicate);
		pthread_mutex_unlock(&e->lock);
		atomic_fetch_add(&e->r->st.recovered, 1);
		jsPubAck_Destroy(pa);
	}
	free(v);
	return 0;
}

/* Wait until slot @s is free; 0, or -1 on stop or a failed publish. */
static int wait_free(struct exporter *e, struct spool_slot *s)
{
	int ret = 0;

	pthread_mutex_lock(&e->lock);
	while (atomic_load(&s->state) != SLOT_FREE) {
		struct timespec ts;

		if (atomic_load(&e->b->stop) || atomic_load(&e->failed)) {
			ret = -1;
			break;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&e->cond, &e->lock, &ts);
	}
	pthread_mutex_unlock(&e->lock);
	return ret;
}

/* Receive one message into the next slot and publish it. */
static int pump(struct exporter *e)
{
	uint64_t seq = e->sp.hdr->next_seq;
	struct spool_slot *s = spool_slot(&e->sp, seq);
	char id[BRIDGE_NAME_MAX * 2 + 64];
	jsPubOptions po;
	natsMsg *m = NULL;
	natsStatus st;

	if (wait_free(e, s))
		return 0;
	memset(&s->args, 0, sizeof(s->args));
	s->seq = seq;
	s->args.buf = (uintptr_t)slot_payload(s);
	s->args.cap = e->sp.cap;
	s->args.flags = MSGQ_F_TIMEOUT;
	s->args.timeout.tv_nsec = RECV_TIMEOUT_MS * 1000000L;
	atomic_store(&s->state, SLOT_ARMED);
	if (msgq_recv_args(e->fd, &s->args) < 0) {
		int err = errno;

		atomic_store(&s->state, SLOT_FREE);
		if (err == ETIMEDOUT || err == EAGAIN || err == EINTR)
			return 0;
		route_error(e->r, "receive from %s: %s", e->r->mailbox,
			    strerror(err));
		return -1;
	}
	e->sp.hdr->next_seq = seq + 1;
	atomic_fetch_add(&e->r->st.in_flight, 1);
	msg_id(e, seq, id, sizeof(id));
	jsPubOptions_Init(&po);
	po.MsgId = id;
	po.MaxWait = PUB_MAX_WAIT_MS;
	st = build(e, s, &m);
	if (st == NATS_OK)
		st = js_PublishMsgAsync(e->js, &m, &po);
	if (st != NATS_OK) {
		natsMsg_Destroy(m);
		route_error(e->r, "publish of #%" PRIu64 ": %s", seq,
			    natsStatus_GetText(st));
		atomic_store(&e->failed, 1);
	}
	blog(LOG_LVL_DEBUG, "export %s: #%" PRIu64 " prio %u, %u bytes, from pid %d uid %u",
	     e->r->mailbox, seq, s->args.prio, s->args.len, s->args.pid,
	     s->args.uid);
	return 0;
}

static int setup(struct exporter *e)
{
	struct msgq_attr attr;
	jsOptions jo;
	char name[BRIDGE_NAME_MAX];
	natsStatus st;

	e->fd = msgq_create(e->r->mailbox, MSGQ_O_RECV | MSGQ_O_CLOEXEC,
			    e->r->mode, e->r->max_msgs, e->r->max_msgsize);
	if (e->fd < 0) {
		route_error(e->r, "mailbox %s: %s", e->r->mailbox,
			    strerror(errno));
		return -1;
	}
	if (msgq_getattr(e->fd, &attr)) {
		route_error(e->r, "mailbox %s: getattr: %s", e->r->mailbox,
			    strerror(errno));
		return -1;
	}
	snprintf(name, sizeof(name), "%s", e->r->mailbox);
	for (char *c = name; *c; c++)
		if (*c == '/')
			*c = '_';
	snprintf(e->path, sizeof(e->path), "%s/export-%s.spool",
		 e->b->cfg->state_dir, name);
	if (spool_open(&e->sp, e->path, e->r->window, attr.max_msgsize)) {
		route_error(e->r, "spool %s: %s", e->path, strerror(errno));
		return -1;
	}
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = 2 * e->r->window;	/* never the limit */
	jo.PublishAsync.AckHandler = on_ack;
	jo.PublishAsync.AckHandlerClosure = e;
	st = natsConnection_JetStream(&e->js, e->b->nc, &jo);
	if (st != NATS_OK) {
		route_error(e->r, "JetStream context: %s", natsStatus_GetText(st));
		return -1;
	}
	if (recover(e))
		return -1;
	if (spool_resize(&e->sp, e->path, e->r->window, attr.max_msgsize)) {
		route_error(e->r, "spool %s: %s", e->path, strerror(errno));
		return -1;
	}
	blog(LOG_LVL_INFO, "export %s -> %s: up (spool %s, window %u)",
	     e->r->mailbox, e->r->subject, e->path, e->r->window);
	return 0;
}

void *export_run(void *arg)
{
	struct route_arg *ra = arg;
	struct exporter e = { .b = ra->b, .r = ra->r, .fd = -1 };

	pthread_mutex_init(&e.lock, NULL);
	pthread_cond_init(&e.cond, NULL);
	while (!atomic_load(&e.b->stop) && setup(&e)) {
		if (e.js)
			jsCtx_Destroy(e.js);
		e.js = NULL;
		spool_close(&e.sp);
		if (e.fd >= 0)
			close(e.fd);
		e.fd = -1;
		bridge_sleep(e.b, 2000);
	}
	while (!atomic_load(&e.b->stop)) {
		if (atomic_load(&e.failed)) {
			recover(&e);
			continue;
		}
		if (pump(&e))
			bridge_sleep(e.b, 1000);
	}
	/* SIGTERM: the PubAcks of what is in flight, then leave. */
	if (e.js) {
		await_pubacks(&e, STOP_WAIT_MS, 0);
		jsCtx_Destroy(e.js);
	}
	blog(LOG_LVL_INFO, "export %s: stopped, %llu forwarded, %llu in flight",
	     e.r->mailbox, (unsigned long long)atomic_load(&e.r->st.forwarded),
	     (unsigned long long)atomic_load(&e.r->st.in_flight));
	spool_close(&e.sp);
	if (e.fd >= 0)
		close(e.fd);
	return NULL;
}
