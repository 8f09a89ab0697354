// SPDX-License-Identifier: GPL-2.0
/*
 * Wakeups that must survive a failure (review of the wakeup paths, fixed
 * in "module: wakeups survive failures"):
 *
 * - a send copies its payload in before it waits for room: a bad buffer
 *   is EFAULT at once (never EAGAIN, never a sleep), and a sender woken
 *   for room always takes it, so a freed slot is never swallowed by a
 *   sender that then fails while another sleeps on;
 * - MSGQ_IOC_SEND_RECV: a relative timeout of the receive half runs from
 *   the end of the send half, not from the start of the call.
 *
 * (A receiver whose buffer faults no longer holds its message while it
 * waits for the fault: stall_test.c.)
 *
 * A waiter that must be woken waits with a timeout of twice WAKE_MS and
 * must return within WAKE_MS of the event that should wake it: so a lost
 * wakeup fails the test instead of passing late.
 */
#include "msgq_test.h"

#define WAITER_MS	(2 * WAKE_MS)	/* timeout of a waiter to be woken */

/* ------------------------------------------------------------------ */
/* Senders with a bad buffer */

static void *inaccessible_page(void)
{
	void *p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * A sender with a bad buffer must not swallow a wakeup for room: with a
 * full mailbox of one slot, sender A (bad buffer) and sender B (good
 * buffer, long timeout) both try to send; one receive frees the slot, and
 * B must get it promptly, well before its timeout. (A sender copies its
 * payload in before it waits, so A fails EFAULT without waiting at all;
 * were it to wait first, it would be woken for the slot, fail and leave B
 * asleep.)
 */
TEST_F(msgq, bad_sender_does_not_swallow_room_wakeup)
{
	unsigned int good = 0xb0b, v;
	struct msgq_send sa, sb;
	struct call a, b;
	uint64_t t_free;
	bool a_returned;
	void *bad = inaccessible_page();

	ASSERT_NE(NULL, bad);
	MBOX_CREATE(1, 64);
	ASSERT_TRUE(fill_n(self->fd, 1));

	memset(&sa, 0, sizeof(sa));
	sa.buf = ptr_to_u64(bad);
	sa.len = sizeof(good);
	a = (struct call){ .op = CALL_IOCTL, .fd = self->fd,
			   .req = MSGQ_IOC_SEND, .arg = &sa };
	ASSERT_TRUE(call_start(&a));
	/* A first: asleep in the queue ahead of B, or gone already. */
	a_returned = call_settle(&a);
	TH_LOG("sender A (bad buffer) %s before B started",
	       a_returned ? "returned" : "was asleep");

	memset(&sb, 0, sizeof(sb));
	sb.buf = ptr_to_u64(&good);
	sb.len = sizeof(good);
	sb.flags = MSGQ_F_TIMEOUT;
	sb.timeout = ns_mts((uint64_t)WAITER_MS * MS);
	b = (struct call){ .op = CALL_IOCTL, .fd = self->fd,
			   .req = MSGQ_IOC_SEND, .arg = &sb };
	ASSERT_TRUE(call_start(&b));
	ASSERT_TRUE(call_asleep(&b, 50)) TH_LOG("sender B did not wait");

	/* One receive frees the slot. */
	t_free = now_ns(CLOCK_MONOTONIC);
	ASSERT_EQ(0, take_one(self->fd));
	ASSERT_TRUE(call_wait(&b, WAKE_MS))
		TH_LOG("sender B still asleep %d ms after the slot was freed: its wakeup went to sender A",
		       WAKE_MS);
	ASSERT_EQ(0, b.ret) TH_LOG("sender B: %s after %.3f s",
				   strerror(b.err),
				   (b.t_end - t_free) / 1e9);
	ASSERT_TRUE(call_wait(&a, WAKE_MS)) TH_LOG("sender A never returned");
	ASSERT_EQ(-1, a.ret);
	ASSERT_EQ(EFAULT, a.err) TH_LOG("sender A: %s", strerror(a.err));

	/* B's message, and nothing of A's, is queued. */
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_EQ(sizeof(v), (size_t)msgq_recv(self->fd, &v, sizeof(v), NULL));
	ASSERT_EQ(good, v);
	munmap(bad, (size_t)sysconf(_SC_PAGESIZE));
}

/*
 * A send with a bad buffer to a full mailbox fails EFAULT at once: a
 * blocking send does not wait for room first, and a non-blocking one
 * (MSGQ_F_NONBLOCK, or write(2) on an O_NONBLOCK handle) reports EFAULT,
 * not EAGAIN. Nothing is queued. Small (pooled slot) and large messages
 * alike.
 */
TEST_F(msgq, bad_buffer_send_to_full_mailbox_efault_at_once)
{
	static const unsigned int lens[] = { 8, 1000 };
	struct msgq_send s;
	struct msgq_attr at;
	struct call w;
	unsigned int i;
	void *bad = inaccessible_page();

	ASSERT_NE(NULL, bad);
	MBOX_CREATE(1, 1024);
	self->fd2 = msgq_open_at(self->dev, self->name,
				 MSGQ_O_SEND | MSGQ_O_NONBLOCK);
	ASSERT_LE(0, self->fd2);
	ASSERT_TRUE(fill_n(self->fd, 1));

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(&s, 0, sizeof(s));
		s.buf = ptr_to_u64(bad);
		s.len = lens[i];
		s.flags = MSGQ_F_NONBLOCK;
		ASSERT_ERRNO(EFAULT, msgq_send_args(self->fd, &s),
			     "non-blocking, %u bytes", lens[i]);
		ASSERT_ERRNO(EFAULT, write(self->fd2, bad, lens[i]),
			     "write(2) on an O_NONBLOCK handle, %u bytes",
			     lens[i]);

		/* Blocking: must return, EFAULT, without waiting for room. */
		s.flags = 0;
		w = (struct call){ .op = CALL_IOCTL, .fd = self->fd,
				   .req = MSGQ_IOC_SEND, .arg = &s };
		ASSERT_TRUE(call_start(&w));
		ASSERT_TRUE(call_wait(&w, WAKE_MS))
			TH_LOG("a blocking send of %u bytes from a bad buffer waits for room",
			       lens[i]);
		ASSERT_EQ(-1, w.ret);
		ASSERT_EQ(EFAULT, w.err) TH_LOG("%u bytes: %s", lens[i],
						strerror(w.err));
	}
	ASSERT_EQ(0, msgq_getattr(self->fd, &at));
	ASSERT_EQ(1U, at.cur_msgs);
	ASSERT_EQ(1U, at.total_sent);
	ASSERT_EQ(0, take_one(self->fd));
	munmap(bad, (size_t)sysconf(_SC_PAGESIZE));
}

/* ------------------------------------------------------------------ */
/* MSGQ_IOC_SEND_RECV */

#define SR_SEND_BLOCK_MS	300	/* the send half waits this long */
#define SR_RECV_TIMEOUT_MS	500	/* the receive half's relative timeout */

/*
 * A relative timeout of the receive half runs from the end of the send
 * half: the send half waits ~300 ms for room on a full mailbox, the
 * receive half has a relative timeout of 500 ms and nothing arrives. The
 * call fails ETIMEDOUT with MSGQ_SR_SENT set, at least 500 ms after the
 * slot was freed (so at least ~800 ms after it started); a timeout armed
 * at the start of the call would expire ~300 ms early.
 */
TEST_F(msgq, send_recv_relative_timeout_runs_from_send_end)
{
	unsigned int req = 0x5e9d, in = 0, v;
	struct msgq_send_recv a;
	struct call w;
	uint64_t t_free, now;

	/* self->fd receives (empty), self->fd2 is sent to (full). */
	MBOX_CREATE(4, sizeof(unsigned int));
	MBOX2_CREATE(1, sizeof(unsigned int));
	ASSERT_TRUE(fill_n(self->fd2, 1));

	memset(&a, 0, sizeof(a));
	a.send.buf = ptr_to_u64(&req);
	a.send.len = sizeof(req);
	a.recv.buf = ptr_to_u64(&in);
	a.recv.cap = sizeof(in);
	a.recv.flags = MSGQ_F_TIMEOUT;
	a.recv.timeout = ns_mts((uint64_t)SR_RECV_TIMEOUT_MS * MS);
	a.send_fd = self->fd2;
	w = (struct call){ .op = CALL_IOCTL, .fd = self->fd,
			   .req = MSGQ_IOC_SEND_RECV, .arg = &a };
	ASSERT_TRUE(call_start(&w));
	ASSERT_TRUE(call_asleep(&w, 50)) TH_LOG("the send half did not wait");

	/* Free a slot once the send half has waited SR_SEND_BLOCK_MS. */
	now = now_ns(CLOCK_MONOTONIC);
	if (now < w.t_start + SR_SEND_BLOCK_MS * MS)
		sleep_ms((unsigned int)((w.t_start + SR_SEND_BLOCK_MS * MS -
					 now) / MS) + 1);
	ASSERT_FALSE(call_done(&w)) TH_LOG("returned with its send blocked");
	ASSERT_EQ(0U, __atomic_load_n(&a.flags, __ATOMIC_SEQ_CST) &
		     MSGQ_SR_SENT);
	t_free = now_ns(CLOCK_MONOTONIC);
	ASSERT_EQ(0, take_one(self->fd2));

	ASSERT_TRUE(call_wait(&w, SR_RECV_TIMEOUT_MS + WAKE_MS))
		TH_LOG("the receive half did not time out");
	ASSERT_EQ(-1, w.ret) TH_LOG("returned %ld", w.ret);
	ASSERT_EQ(ETIMEDOUT, w.err) TH_LOG("%s", strerror(w.err));
	ASSERT_EQ(MSGQ_SR_SENT, a.flags);
	/* Never early: the send half ended after t_free. */
	ASSERT_LE(t_free + SR_RECV_TIMEOUT_MS * MS, w.t_end)
		TH_LOG("ETIMEDOUT %.3f s after the slot was freed, %.3f s after the start: timed from before the send",
		       (double)((int64_t)(w.t_end - t_free)) / 1e9,
		       (w.t_end - w.t_start) / 1e9);
	ASSERT_LE((SR_SEND_BLOCK_MS + SR_RECV_TIMEOUT_MS) * MS,
		  w.t_end - w.t_start);
	TH_LOG("ETIMEDOUT %.3f s after the call started, %.3f s after the slot was freed",
	       (w.t_end - w.t_start) / 1e9, (w.t_end - t_free) / 1e9);

	/* The request went out, once; nothing was received. */
	ASSERT_EQ(1, mbox_depth(self->fd2));
	ASSERT_EQ(sizeof(v), (size_t)msgq_recv(self->fd2, &v, sizeof(v),
						NULL));
	ASSERT_EQ(req, v);
	ASSERT_EQ(0, mbox_depth(self->fd));
}

TEST_HARNESS_MAIN
