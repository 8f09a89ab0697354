// SPDX-License-Identifier: GPL-2.0
/*
 * Synchronous send (MSGQ_F_SYNC): the send returns only once a receiver
 * has dequeued this very message. Cut short by a timeout or a signal, the
 * message is withdrawn and the error returned, unless it was taken, and
 * then the send reports success: a message is never both delivered and
 * reported failed, and never lost. A peek, or a receive that fails
 * (EMSGSIZE), does not count as delivery.
 */
#include "msgq_test.h"

static int sync_send(int fd, unsigned int v, unsigned int flags,
		     uint64_t timeout_ns)
{
	struct msgq_send s = {
		.buf = ptr_to_u64(&v), .len = sizeof(v),
		.flags = MSGQ_F_SYNC | flags,
	};

	if (timeout_ns) {
		s.flags |= MSGQ_F_TIMEOUT;
		s.timeout = ns_mts(timeout_ns);
	}
	return msgq_send_args(fd, &s);
}

/* returns only after a receiver in another process dequeued the message */
TEST_F(msgq, sync_send_returns_after_dequeue)
{
	struct shared {
		uint64_t t_recv;	/* just before the child's receive */
		unsigned int got;
	} *sh = shared_alloc(sizeof(*sh));
	uint64_t t0, t1;
	pid_t pid;

	ASSERT_NE(NULL, sh);
	MBOX_CREATE(4, sizeof(unsigned int));
	t0 = now_ns(CLOCK_MONOTONIC);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		sleep_ms(300);
		sh->t_recv = now_ns(CLOCK_MONOTONIC);
		if (msgq_recv(self->fd, &sh->got, sizeof(sh->got), NULL) !=
		    sizeof(sh->got))
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(0, sync_send(self->fd, 0x5a5a, 0, 0))
		TH_LOG("%s", strerror(errno));
	t1 = now_ns(CLOCK_MONOTONIC);
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
	ASSERT_EQ(0x5a5aU, sh->got);
	ASSERT_NE((uint64_t)0, sh->t_recv);
	ASSERT_LE(sh->t_recv, t1) TH_LOG("returned before the receive began");
	ASSERT_LE(t0 + 300 * MS, t1);
	ASSERT_EQ(0, mbox_depth(self->fd));
}

/* timed out with no receiver: ETIMEDOUT, never early, message withdrawn */
TEST_F(msgq, sync_send_timeout_withdrawn)
{
	struct msgq_attr a;
	uint64_t t0;

	MBOX_CREATE(1, sizeof(unsigned int));
	t0 = now_ns(CLOCK_MONOTONIC);
	ASSERT_ERRNO(ETIMEDOUT, sync_send(self->fd, 1, 0, 100 * MS));
	ASSERT_LE(t0 + 100 * MS, now_ns(CLOCK_MONOTONIC));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(0U, a.cur_msgs);
	ASSERT_EQ(0U, a.cur_bytes);
	ASSERT_EQ(0U, a.total_sent);
	ASSERT_EQ(-1, take_one(self->fd));
	ASSERT_EQ(EAGAIN, errno);
	/* the slot it held is free again */
	ASSERT_EQ(0, put_one(self->fd, 2));
	ASSERT_EQ(2, take_one(self->fd));
}

/* the same with an absolute CLOCK_REALTIME deadline */
TEST_F(msgq, sync_send_abs_timeout_withdrawn)
{
	unsigned int v = 1;
	struct msgq_send s = {
		.buf = ptr_to_u64(&v), .len = sizeof(v),
		.flags = MSGQ_F_SYNC | MSGQ_F_TIMEOUT | MSGQ_F_ABSTIME,
		.clockid = CLOCK_REALTIME,
	};
	uint64_t dl = now_ns(CLOCK_REALTIME) + 100 * MS;

	MBOX_CREATE(1, sizeof(unsigned int));
	s.timeout = ns_mts(dl);
	ASSERT_ERRNO(ETIMEDOUT, msgq_send_args(self->fd, &s));
	ASSERT_LE(dl, now_ns(CLOCK_REALTIME));
	ASSERT_EQ(0, mbox_depth(self->fd));
	ASSERT_EQ(-1, take_one(self->fd));
}

/* interrupted by a signal (no SA_RESTART): EINTR, message withdrawn */
TEST_F(msgq, sync_send_signal_withdrawn)
{
	struct call c = { .op = CALL_SEND_ARGS, .id = 6 };
	struct msgq_attr a;

	ASSERT_EQ(0, install_counter(SIGUSR1, false));
	MBOX_CREATE(4, sizeof(unsigned int));
	c.fd = self->fd;
	c.s.flags = MSGQ_F_SYNC;
	ASSERT_TRUE(call_start_blocked(&c));
	ASSERT_EQ(1, mbox_depth(self->fd));	/* queued, awaiting delivery */
	ASSERT_EQ(0, pthread_kill(c.th, SIGUSR1));
	ASSERT_TRUE(call_wait(&c, WAKE_MS));
	ASSERT_EQ(-1, c.ret);
	ASSERT_EQ(EINTR, c.err) TH_LOG("%s", strerror(c.err));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(0U, a.cur_msgs);
	ASSERT_EQ(0U, a.total_sent);
	ASSERT_EQ(-1, take_one(self->fd));
}

/* under SA_RESTART the send goes on: delivered once, then it returns 0 */
TEST_F(msgq, sync_send_sa_restart_delivered_once)
{
	struct call c = { .op = CALL_SEND_ARGS, .id = 7 };

	ASSERT_EQ(0, install_counter(SIGUSR1, true));
	MBOX_CREATE(4, sizeof(unsigned int));
	c.fd = self->fd;
	c.s.flags = MSGQ_F_SYNC;
	ASSERT_TRUE(call_start_blocked(&c));
	ASSERT_TRUE(call_signal(&c, SIGUSR1));
	ASSERT_TRUE(call_asleep(&c, SETTLE_MS))
		TH_LOG("%ld %s", c.ret, strerror(c.err));
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_EQ(7, take_one(self->fd));
	ASSERT_TRUE(call_wait(&c, WAKE_MS));
	ASSERT_EQ(0, c.ret) TH_LOG("%s", strerror(c.err));
	ASSERT_EQ(-1, take_one(self->fd));
}

/* a peek is not a delivery; nor is a receive that fails EMSGSIZE */
TEST_F(msgq, sync_send_not_delivered_by_peek_or_failed_recv)
{
	struct call c = { .op = CALL_SEND_ARGS, .id = 8 };
	unsigned int v;
	unsigned char small;
	struct msgq_recv r = {
		.buf = ptr_to_u64(&small), .cap = 1, .flags = MSGQ_F_NONBLOCK,
	};

	MBOX_CREATE(4, sizeof(unsigned int));
	c.fd = self->fd;
	c.s.flags = MSGQ_F_SYNC;
	ASSERT_TRUE(call_start_blocked(&c));
	ASSERT_EQ((ssize_t)sizeof(v), msgq_peek(self->fd, &v, sizeof(v), NULL));
	ASSERT_EQ(8U, v);
	ASSERT_ERRNO(EMSGSIZE, msgq_recv_args(self->fd, &r));
	sleep_ms(SETTLE_MS);
	ASSERT_FALSE(call_done(&c)) TH_LOG("returned: %ld %s", c.ret,
					   strerror(c.err));
	ASSERT_EQ(8, take_one(self->fd));
	ASSERT_TRUE(call_wait(&c, WAKE_MS));
	ASSERT_EQ(0, c.ret);
}

/* on a full mailbox it waits for room, then for delivery */
TEST_F(msgq, sync_send_full_waits_room_then_delivery)
{
	struct call c = { .op = CALL_SEND_ARGS, .id = 9 };

	MBOX_CREATE(1, sizeof(unsigned int));
	ASSERT_EQ(0, put_one(self->fd, 1));
	c.fd = self->fd;
	c.s.flags = MSGQ_F_SYNC;
	ASSERT_TRUE(call_start_blocked(&c));
	ASSERT_EQ(1, take_one(self->fd));
	/* now queued, and waiting for a receiver */
	ASSERT_TRUE(wait_blocked_in(getpid(), c.tid, SYS_msgq_any, 5000));
	sleep_ms(SETTLE_MS);
	ASSERT_FALSE(call_done(&c));
	ASSERT_EQ(9, take_one(self->fd));
	ASSERT_TRUE(call_wait(&c, WAKE_MS));
	ASSERT_EQ(0, c.ret);
}

/* non-blocking: EAGAIN unless a receiver is already waiting */
TEST_F(msgq, sync_send_nonblock_needs_waiting_receiver)
{
	struct call c = { .op = CALL_RECV_ARGS };
	struct msgq_attr a;

	MBOX_CREATE(4, sizeof(unsigned int));
	ASSERT_ERRNO(EAGAIN, sync_send(self->fd, 1, MSGQ_F_NONBLOCK, 0));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(0U, a.cur_msgs);
	ASSERT_EQ(0U, a.total_sent);
	c.fd = self->fd;
	ASSERT_TRUE(call_start_blocked(&c));
	ASSERT_EQ(0, sync_send(self->fd, 2, MSGQ_F_NONBLOCK, 0))
		TH_LOG("%s", strerror(errno));
	ASSERT_TRUE(call_wait(&c, WAKE_MS));
	ASSERT_EQ(2U, c.got);
}

/*
 * A non-blocking sync send goes ahead because a receiver waits; if that
 * receiver then takes another message (or finds the next one too large)
 * and leaves, the send must give up with EAGAIN, not wait for a receiver
 * that may never come. Made deterministic on one CPU: the sender (FIFO 2)
 * wakes the receiver (SCHED_OTHER) and goes to sleep; a third thread
 * (FIFO 1), made runnable by the sender just before its send, runs before
 * the receiver and queues a message of higher priority.
 */
struct hasty {
	int fd;
	int go[2];		/* sender -> intruder: send now */
	unsigned int b_len;	/* the intruder's message's length */
	unsigned int got;	/* what the receiver took */
};

/* This thread on CPU 0 with @policy at @prio; false with errno if not. */
static bool on_cpu0(int policy, int prio)
{
	struct sched_param sp = { .sched_priority = prio };
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return false;
	errno = pthread_setschedparam(pthread_self(), policy, &sp);
	return !errno;
}

static long hasty_recv_fn(void *arg)
{
	struct hasty *h = arg;

	if (!on_cpu0(SCHED_OTHER, 0))
		return -2;
	return msgq_recv(h->fd, &h->got, sizeof(h->got), NULL);
}

static long hasty_intruder_fn(void *arg)
{
	struct hasty *h = arg;
	unsigned char b[8] = { 0xb };
	char c;

	struct msgq_attr a;

	if (!on_cpu0(SCHED_FIFO, 1))
		return -2;
	if (read(h->go[0], &c, 1) != 1)
		return -3;
	/* The sender went ahead: its message is queued, it waits. */
	if (msgq_getattr(h->fd, &a) || a.cur_msgs != 1)
		return -4;
	return msgq_send(h->fd, b, h->b_len, 5);
}

static long hasty_send_fn(void *arg)
{
	struct hasty *h = arg;

	if (!on_cpu0(SCHED_FIFO, 2))
		return -2;
	if (write(h->go[1], "g", 1) != 1)
		return -3;
	return sync_send(h->fd, 0xa, MSGQ_F_NONBLOCK, 0);
}

TEST_F(msgq, sync_send_nonblock_gives_up_when_its_receiver_leaves)
{
	static const char *const how[] = { "took", "was too small for" };
	/* Static: a thread left waiting by a failure outlives this frame. */
	static struct hasty h;
	static struct call r, t, s;
	unsigned int k;

	MBOX_CREATE(4, 8);
	for (k = 0; k < 2; k++) {
		unsigned char big[8];
		struct msgq_attr a;

		h = (struct hasty){ .fd = self->fd, .b_len = k ? 8 : 4 };
		r = (struct call){ .op = CALL_FN, .fn = hasty_recv_fn,
				   .arg = &h };
		t = (struct call){ .op = CALL_FN, .fn = hasty_intruder_fn,
				   .arg = &h };
		s = (struct call){ .op = CALL_FN, .fn = hasty_send_fn,
				   .arg = &h };
		if (!on_cpu0(SCHED_FIFO, 1))
			SKIP(return, "CPU 0 at SCHED_FIFO: %s", strerror(errno));
		on_cpu0(SCHED_OTHER, 0);
		ASSERT_EQ(0, pipe(h.go));
		ASSERT_TRUE(call_start(&r));
		/* counted as a waiting receiver: asleep in its receive */
		ASSERT_TRUE(wait_blocked_in(getpid(), r.tid, SYS_msgq_any, 5000));
		ASSERT_TRUE(call_start_blocked(&t));
		ASSERT_TRUE(call_start(&s));
		ASSERT_TRUE(call_wait(&s, WAKE_MS))
			TH_LOG("the receiver %s the other message and left; "
			       "the non-blocking sync send still waits", how[k]);
		ASSERT_EQ(-1, s.ret);
		ASSERT_EQ(EAGAIN, s.err) TH_LOG("%s", strerror(s.err));
		ASSERT_TRUE(call_wait(&t, WAKE_MS));
		ASSERT_EQ(0, t.ret) TH_LOG("-4: the sender did not go ahead");
		ASSERT_TRUE(call_wait(&r, WAKE_MS));
		ASSERT_EQ(0, msgq_getattr(self->fd, &a));
		if (k == 0) {
			ASSERT_EQ(4, r.ret);
			ASSERT_EQ(0xbU, h.got);
			ASSERT_EQ(0U, a.cur_msgs);
		} else {
			ASSERT_EQ(-1, r.ret);
			ASSERT_EQ(EMSGSIZE, r.err);
			/* the withdrawn message is gone, the large one kept */
			ASSERT_EQ(1U, a.cur_msgs);
			ASSERT_EQ(8, msgq_recv(self->fd, big, sizeof(big),
					       NULL));
		}
		close(h.go[0]);
		close(h.go[1]);
	}
}

/* ------------------------------------------------------------------ */
/*
 * The race: sync sends with a short timeout against a receiver that
 * takes at about the deadline. For every message, the sender's verdict
 * (0 or ETIMEDOUT) must match whether the receiver got it.
 */

enum { RACE_ITERS = 300, RACE_MSG = 16384 };
#define RACE_TIMEOUT_NS	(2 * MS)

struct racer {
	int fd;
	int go[2];		/* sender -> receiver: iteration started */
	int ack[2];		/* receiver -> sender: attempt made */
	unsigned char got[RACE_ITERS];
	unsigned int stray;	/* messages with a bad sequence number */
	unsigned int seed;
};

static long race_recv_fn(void *arg)
{
	struct racer *r = arg;
	unsigned char *buf = malloc(RACE_MSG);
	unsigned int i;

	for (i = 0; buf && i < RACE_ITERS; i++) {
		struct msgq_recv rv = {
			.buf = ptr_to_u64(buf), .cap = RACE_MSG,
			.flags = MSGQ_F_NONBLOCK,
		};
		struct timespec ts;
		unsigned int seq;
		char c;

		if (read(r->go[0], &c, 1) != 1)
			break;
		/* 0 .. 2x the timeout after the send began */
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(rand_r(&r->seed) % (2 * RACE_TIMEOUT_NS));
		nanosleep(&ts, NULL);
		if (msgq_recv_args(r->fd, &rv) == RACE_MSG) {
			memcpy(&seq, buf, sizeof(seq));
			if (seq < RACE_ITERS)
				r->got[seq]++;
			else
				r->stray++;
		}
		if (write(r->ack[1], &c, 1) != 1)
			break;
	}
	free(buf);
	return 0;
}

TEST_F_TIMEOUT(msgq, sync_timeout_race_verdict_matches_delivery, 120)
{
	static struct racer r;
	unsigned char *buf;
	int verdict[RACE_ITERS];
	unsigned int i, delivered = 0, timedout = 0;
	struct call th = { .op = CALL_FN, .fn = race_recv_fn, .arg = &r };
	char c = 'g';

	buf = calloc(1, RACE_MSG);
	ASSERT_NE(NULL, buf);
	MBOX_CREATE(4, RACE_MSG);
	memset(&r, 0, sizeof(r));
	r.fd = self->fd;
	r.seed = (unsigned int)getpid();
	ASSERT_EQ(0, pipe(r.go));
	ASSERT_EQ(0, pipe(r.ack));
	ASSERT_TRUE(call_start(&th));

	for (i = 0; i < RACE_ITERS; i++) {
		struct msgq_send s = {
			.buf = ptr_to_u64(buf), .len = RACE_MSG,
			.flags = MSGQ_F_SYNC | MSGQ_F_TIMEOUT,
			.timeout = ns_mts(RACE_TIMEOUT_NS),
		};

		memcpy(buf, &i, sizeof(i));
		ASSERT_EQ(1, write(r.go[1], &c, 1));
		verdict[i] = msgq_send_args(self->fd, &s) ? errno : 0;
		ASSERT_TRUE(verdict[i] == 0 || verdict[i] == ETIMEDOUT)
			TH_LOG("send %u: %s", i, strerror(verdict[i]));
		ASSERT_EQ(1, read(r.ack[0], &c, 1));
		/* nothing is left behind, whatever the verdict */
		ASSERT_EQ(0, mbox_depth(self->fd)) TH_LOG("after send %u", i);
	}
	call_wait(&th, -1);
	ASSERT_EQ(0U, r.stray);
	for (i = 0; i < RACE_ITERS; i++) {
		ASSERT_GE(1, r.got[i]) TH_LOG("message %u received %d times",
					      i, r.got[i]);
		if (verdict[i] == 0) {
			delivered++;
			ASSERT_EQ(1, r.got[i])
				TH_LOG("send %u reported success, never "
				       "received", i);
		} else {
			timedout++;
			ASSERT_EQ(0, r.got[i])
				TH_LOG("send %u reported ETIMEDOUT, but was "
				       "received", i);
		}
	}
	ASSERT_EQ(0, mbox_depth(self->fd));
	TH_LOG("%u delivered, %u timed out", delivered, timedout);
	free(buf);
}

TEST_HARNESS_MAIN
