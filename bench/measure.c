// SPDX-License-Identifier: GPL-2.0
/*
 * msgq-bench: channels and endpoints over a struct mech, the children of
 * the two-process figures, and those figures: ping-pong, throughput,
 * contention. Every channel holds QDEPTH (64) messages.
 */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

unsigned int name_seq;

int chan_open(struct chan *c, const struct mech *m, size_t size,
	      unsigned int cap)
{
	char name[64];

	memset(c, 0, sizeof(*c));
	c->m = m;
	c->size = size;
	c->cap = cap;
	c->sfd = c->rfd = -1;
	snprintf(name, sizeof(name), "/msgq-bench-%d-%u", (int)getpid(),
		 name_seq++);
	return m->open(c, name);
}

void chan_close(struct chan *c)
{
	c->m->close(c);
	c->sfd = c->rfd = -1;
}

/* The close of a channel of file descriptors (one, or one each end) */
void chan_close_fds(struct chan *c)
{
	if (c->rfd >= 0 && c->rfd != c->sfd)
		close(c->rfd);
	if (c->sfd >= 0)
		close(c->sfd);
}

void ep_init(struct ep *e, struct chan *c, int nbuf)
{
	int i;

	memset(e, 0, sizeof(*e));
	e->c = c;
	for (i = 0; i < nbuf; i++) {
		e->raw[i] = aligned_alloc(64, ((c->size + 64 + 63) / 64) * 64);
		if (!e->raw[i])
			die("out of memory");
		memset(e->raw[i], 0x5a, c->size + 64);
		e->pl[i] = e->raw[i] + c->m->room;
	}
}

static bool batched(const struct mech *m)
{
	return m->send_batch && m->recv_batch;
}

/* ------------------------------------------------------------------ */
/* Children of the two-process figures */

/* Producer: sends on j->a forever; the parent kills it. */
static void producer(const struct job *j)
{
	const struct mech *m = j->a->m;
	bool batch = batched(m);
	struct ep e;
	uint32_t seq = 0;
	unsigned int i;
	char what[96];

	ep_init(&e, j->a, batch ? BATCH : 1);
	child_wait_go();
	for (;;) {
		if (batch) {
			for (i = 0; i < BATCH; i++)
				*(struct hdr *)e.pl[i] =
					(struct hdr){ seq++, j->id };
			if (m->send_batch(&e, BATCH, j->size, NULL))
				break;
		} else {
			*(struct hdr *)e.pl[0] = (struct hdr){ seq++, j->id };
			if (m->send(&e, 0, j->size, 0))
				break;
		}
	}
	snprintf(what, sizeof(what), "%s: send of %zu bytes", m->name,
		 j->size);
	child_fail(what, errno);
}

/* A consumer's failure: @what after the mechanism's name */
static void consumer_fail(const struct mech *m, const char *what, int e)
{
	char buf[96];

	snprintf(buf, sizeof(buf), "%s: %s", m->name, what);
	child_fail(buf, e);
}

/*
 * With MECH_BATCH_UNORDERED: are the @got messages of @e sequence numbers
 * *@next.. *@next + @got - 1, each once? Moves *@next on.
 */
static bool batch_is_next(const struct ep *e, int got, uint32_t *next)
{
	uint64_t seen = 0;	/* BATCH <= 64 */
	uint32_t d;
	int i;

	for (i = 0; i < got; i++) {
		d = ((struct hdr *)e->pl[i])->seq - *next;
		if (d >= (uint32_t)got || (seen & (1ull << d)))
			return false;
		seen |= 1ull << d;
	}
	*next += got;
	return true;
}

/*
 * Consumer: receives from j->a forever and publishes its count in slot
 * j->slot. With j->ordered (one producer) it checks that sequence numbers
 * follow on (batch by batch with MECH_BATCH_UNORDERED).
 */
void consumer(const struct job *j)
{
	const struct mech *m = j->a->m;
	bool batch = batched(m), ordered = j->ordered;
	bool unordered = m->flags & MECH_BATCH_UNORDERED;
	size_t size = j->size;
	struct ep e;
	unsigned long n = 0;
	uint32_t next = 0;
	char what[96];
	int got, i;

	ep_init(&e, j->a, batch ? BATCH : 1);
	child_wait_go();
	for (;;) {
		if (batch) {
			got = m->recv_batch(&e, BATCH);
			if (got < 0)
				goto fail;
			for (i = 0; i < got; i++) {
				if (e.mm[i].len != size)
					goto bad_len;
				if (ordered && !unordered &&
				    ((struct hdr *)e.pl[i])->seq != next++)
					goto bad_seq;
			}
			if (ordered && unordered &&
			    !batch_is_next(&e, got, &next))
				goto bad_seq;
		} else {
			ssize_t r = m->recv(&e, 0);

			if (r < 0)
				goto fail;
			if ((size_t)r != size)
				goto bad_len;
			if (ordered && ((struct hdr *)e.pl[0])->seq != next++)
				goto bad_seq;
			got = 1;
		}
		n += got;
		count_set(j->slot, n);
	}
fail:
	snprintf(what, sizeof(what), "receive of %zu bytes", size);
	consumer_fail(m, what, errno);
bad_len:
	consumer_fail(m, "received a wrong length", 0);
bad_seq:
	consumer_fail(m, "messages out of order", 0);
}

/*
 * One exchange of ping-pong: send buffer 0 of @out, receive into buffer 0
 * of @in, in one call where the mechanism has one. @who names the side in
 * a failure. Returns the received length.
 */
static ssize_t pp_exchange(struct ep *out, struct ep *in, const char *who)
{
	const struct mech *m = out->c->m;
	char what[64];
	ssize_t r;
	int sent;

	if (m->sendrecv) {
		r = m->sendrecv(out, PP_SIZE, in, &sent);
		if (r < 0) {
			snprintf(what, sizeof(what), "%s: sendrecv (%s)", who,
				 sent ? "sent, receive failed" : "not sent");
			child_fail(what, errno);
		}
		return r;
	}
	if (m->send(out, 0, PP_SIZE, 0)) {
		snprintf(what, sizeof(what), "%s: send", who);
		child_fail(what, errno);
	}
	return m->recv(in, 0);
}

/* Ping-pong: the pinger counts round trips, the ponger echoes. */
static void pinger(const struct job *j)
{
	struct ep eo, eb;
	unsigned long n = 0;

	ep_init(&eo, j->a, 1);
	ep_init(&eb, j->b, 1);
	child_wait_go();
	for (;;) {
		*(struct hdr *)eo.pl[0] = (struct hdr){ (uint32_t)n, 0 };
		if (pp_exchange(&eo, &eb, "ping") != PP_SIZE)
			child_fail("ping: receive", errno);
		if (((struct hdr *)eb.pl[0])->seq != (uint32_t)n)
			child_fail("ping: wrong reply", 0);
		count_set(j->slot, ++n);
	}
}

/* The ponger receives the first request alone, then replies and receives. */
static void ponger(const struct job *j)
{
	struct ep ei, eb;
	ssize_t r;

	ep_init(&ei, j->a, 1);
	ep_init(&eb, j->b, 1);
	child_wait_go();
	r = j->a->m->recv(&ei, 0);
	for (;;) {
		if (r != PP_SIZE)
			child_fail("pong: receive", errno);
		memcpy(eb.pl[0], ei.pl[0], sizeof(struct hdr));
		r = pp_exchange(&eb, &ei, "pong");
	}
}

/* ------------------------------------------------------------------ */
/* The two-process figures */

/* chan_open(), a failure said in sh */
static int open_or_fail(struct chan *c, const struct mech *m, size_t size)
{
	if (!chan_open(c, m, size, QDEPTH))
		return 0;
	snprintf(sh->what, sizeof(sh->what), "channel: %s", strerror(errno));
	sh->err = 1;
	chan_close(c);
	return -1;
}

/* us per round trip */
double measure_pingpong(const struct mech *m, bool one_cpu)
{
	struct chan ab, ba;
	struct job j = { .a = &ab, .b = &ba };
	bool chans = !m->pinger;	/* the futex floor has none */
	double rate;

	reset_shm(false);
	if (chans && open_or_fail(&ab, m, PP_SIZE))
		return NAN;
	if (chans && open_or_fail(&ba, m, PP_SIZE)) {
		chan_close(&ab);
		return NAN;
	}
	/* the same pinning and order with a channel or without */
	spawn(chans ? pinger : m->pinger, &j, 0);
	spawn(chans ? ponger : m->ponger, &j, one_cpu ? 0 : 1);
	rate = run_window(1);
	if (chans) {
		chan_close(&ab);
		chan_close(&ba);
	}
	return isnan(rate) ? NAN : 1e6 / rate;
}

/* One producer -> one consumer: messages per second */
double measure_tput(const struct mech *m, size_t size, bool one_cpu)
{
	struct chan c;
	struct job j = { .a = &c, .size = size, .ordered = true };
	double rate;

	reset_shm(false);
	if (open_or_fail(&c, m, size))
		return NAN;
	spawn(consumer, &j, one_cpu ? 0 : 1);
	spawn(producer, &j, 0);
	rate = run_window(1);
	chan_close(&c);
	return rate;
}

/* CONT_N producers x CONT_N consumers on one channel: messages per second */
double measure_contend(const struct mech *m)
{
	bool locked = m->flags & MECH_READ_LOCK;
	struct job jp[CONT_N], jc[CONT_N];
	struct chan c;
	double rate;
	int i;

	reset_shm(locked);
	if (open_or_fail(&c, m, CONT_SIZE))
		return NAN;
	c.multi_reader = locked;
	for (i = 0; i < CONT_N; i++) {
		jc[i] = (struct job){ .a = &c, .size = CONT_SIZE, .slot = i };
		spawn(consumer, &jc[i], i);
	}
	for (i = 0; i < CONT_N; i++) {
		jp[i] = (struct job){ .a = &c, .size = CONT_SIZE, .id = i };
		spawn(producer, &jp[i], i);
	}
	rate = run_window(CONT_N);
	chan_close(&c);
	return rate;
}
