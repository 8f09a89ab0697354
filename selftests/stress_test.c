// SPDX-License-Identifier: GPL-2.0
/*
 * Many senders and receivers in different processes at once.
 *
 * - prefilled_drain_priority_order: a full mailbox of random priorities,
 *   drained by CONSUMERS processes at once; each sees non-increasing
 *   priorities (no sends happen meanwhile, so the head's priority can only
 *   fall) and every message is received exactly once.
 * - producers_consumers_exactly_once: PRODUCERS x CONSUMERS processes on
 *   a small mailbox, random priorities and lengths: every message arrives
 *   exactly once and intact, and each consumer sees each (producer,
 *   priority) stream in increasing sequence (FIFO within a priority).
 *
 * Sized to finish in seconds in an emulated (TCG) guest.
 * Results come back from the children through MAP_SHARED memory.
 */
#include "msgq_test_util.h"

#include <stddef.h>
#include <sys/prctl.h>

#define PRODUCERS	4
#define CONSUMERS	4
#define PER_PRODUCER	10000		/* 40000 messages in all */
#define PREFILL		16384
#define STRESS_TIMEOUT	240		/* seconds, per test */

struct stress_msg {
	__u16 producer;
	__u16 prio;
	__u32 seq;
	__u32 len;		/* the whole message's length */
	__u32 seed;
	unsigned char pad[48];	/* pattern, up to len */
};

#define HDR_LEN		offsetof(struct stress_msg, pad)

struct consumer_result {
	unsigned long received;
	unsigned long order_errors;	/* priority rose / FIFO broken */
	unsigned long content_errors;	/* length, priority or bytes wrong */
	unsigned long recv_errors;
	int last_errno;
};

struct shared {
	int go;
	unsigned int seen[PRODUCERS * PER_PRODUCER];
	struct consumer_result c[CONSUMERS];
	int producer_errno[PRODUCERS];
};

/* A child: die with the test, then wait for the start signal. */
static void wait_go(struct shared *sh)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE))
		sleep_ms(1);
}

/* ------------------------------------------------------------------ */

static void drain_consumer(int fd, struct shared *sh, int me)
{
	struct consumer_result *res = &sh->c[me];
	struct stress_msg m;
	unsigned int prio, last = MSGQ_PRIO_MAX;
	struct msgq_recv r;

	wait_go(sh);
	for (;;) {
		memset(&r, 0, sizeof(r));
		r.buf = ptr_to_u64(&m);
		r.cap = sizeof(m);
		r.flags = MSGQ_F_NONBLOCK;
		if (msgq_recv_args(fd, &r) < 0) {
			if (errno != EAGAIN) {
				res->recv_errors++;
				res->last_errno = errno;
			}
			break;
		}
		prio = r.prio;
		res->received++;
		if (r.len != HDR_LEN || m.prio != prio || m.seq >= PREFILL) {
			res->content_errors++;
			continue;
		}
		if (prio > last)
			res->order_errors++;
		last = prio;
		__atomic_fetch_add(&sh->seen[m.seq], 1, __ATOMIC_RELAXED);
	}
	_exit(0);
}

TEST_F_TIMEOUT(msgq, prefilled_drain_priority_order, STRESS_TIMEOUT)
{
	struct shared *sh = shared_alloc(sizeof(*sh));
	unsigned int seed = 12345, i, total = 0;
	struct stress_msg m = { 0 };
	pid_t pids[CONSUMERS];
	struct msgq_attr a;
	int c;

	ASSERT_NE(NULL, sh);
	MBOX_CREATE(PREFILL, sizeof(struct stress_msg));
	for (i = 0; i < PREFILL; i++) {
		m.seq = i;
		m.prio = rand_r(&seed) % MSGQ_PRIO_MAX;
		ASSERT_EQ(0, msgq_send(self->fd, &m, HDR_LEN, m.prio));
	}
	ASSERT_EQ(PREFILL, mbox_depth(self->fd));

	for (c = 0; c < CONSUMERS; c++) {
		pids[c] = fork();
		ASSERT_LE(0, pids[c]);
		if (pids[c] == 0)
			drain_consumer(self->fd, sh, c);
	}
	__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
	for (c = 0; c < CONSUMERS; c++) {
		ASSERT_EQ(0, wait_child_ms(pids[c], (STRESS_TIMEOUT - 30) * 1000));
	}

	for (c = 0; c < CONSUMERS; c++) {
		struct consumer_result *res = &sh->c[c];

		TH_LOG("consumer %d: %lu messages", c, res->received);
		total += res->received;
		EXPECT_EQ(0UL, res->order_errors)
			TH_LOG("consumer %d saw priorities rise", c);
		EXPECT_EQ(0UL, res->content_errors);
		EXPECT_EQ(0UL, res->recv_errors)
			TH_LOG("consumer %d: %s", c, strerror(res->last_errno));
	}
	EXPECT_EQ((unsigned int)PREFILL, total);
	for (i = 0; i < PREFILL; i++) {
		ASSERT_EQ(1U, sh->seen[i]) TH_LOG("message %u", i);
	}
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_EQ(0U, a.cur_msgs);
	EXPECT_EQ((__u64)PREFILL, a.total_received);
	munmap(sh, sizeof(*sh));
}

/* ------------------------------------------------------------------ */

static void producer(int fd, struct shared *sh, int me)
{
	unsigned int seed = 1000 + me, seq;
	struct stress_msg m;

	wait_go(sh);
	for (seq = 0; seq < PER_PRODUCER; seq++) {
		memset(&m, 0, sizeof(m));
		m.producer = me;
		m.seq = seq;
		m.prio = rand_r(&seed) % MSGQ_PRIO_MAX;
		m.len = HDR_LEN + rand_r(&seed) % (sizeof(m.pad) + 1);
		m.seed = rand_r(&seed);
		fill_pattern(m.pad, m.len - HDR_LEN, m.seed);
		if (msgq_send(fd, &m, m.len, m.prio)) {
			sh->producer_errno[me] = errno;
			_exit(1);
		}
	}
	_exit(0);
}

static void consumer(int fd, struct shared *sh, int me)
{
	struct consumer_result *res = &sh->c[me];
	/* last sequence seen per (producer, priority), +1; 0: none yet */
	static unsigned int last[PRODUCERS][MSGQ_PRIO_MAX];
	struct stress_msg m;
	unsigned int prio;
	ssize_t n;

	wait_go(sh);
	for (;;) {
		n = msgq_recv(fd, &m, sizeof(m), &prio);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			res->recv_errors++;
			res->last_errno = errno;
			_exit(1);
		}
		if (n == 0)		/* the stop message */
			_exit(0);
		res->received++;
		if ((size_t)n < HDR_LEN || m.len != (size_t)n ||
		    m.prio != prio || m.producer >= PRODUCERS ||
		    m.seq >= PER_PRODUCER ||
		    !check_pattern(m.pad, n - HDR_LEN, m.seed)) {
			res->content_errors++;
			continue;
		}
		if (last[m.producer][prio] > m.seq)
			res->order_errors++;
		last[m.producer][prio] = m.seq + 1;
		__atomic_fetch_add(&sh->seen[m.producer * PER_PRODUCER + m.seq],
				   1, __ATOMIC_RELAXED);
	}
}

TEST_F_TIMEOUT(msgq, producers_consumers_exactly_once, STRESS_TIMEOUT)
{
	struct shared *sh = shared_alloc(sizeof(*sh));
	pid_t prod[PRODUCERS], cons[CONSUMERS];
	unsigned long total = 0;
	struct msgq_attr a;
	uint64_t t0;
	unsigned int i;
	int k;

	ASSERT_NE(NULL, sh);
	MBOX_CREATE(64, sizeof(struct stress_msg));
	for (k = 0; k < CONSUMERS; k++) {
		cons[k] = fork();
		ASSERT_LE(0, cons[k]);
		if (cons[k] == 0)
			consumer(self->fd, sh, k);
	}
	for (k = 0; k < PRODUCERS; k++) {
		prod[k] = fork();
		ASSERT_LE(0, prod[k]);
		if (prod[k] == 0)
			producer(self->fd, sh, k);
	}
	t0 = now_ns(CLOCK_MONOTONIC);
	__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
	for (k = 0; k < PRODUCERS; k++) {
		ASSERT_EQ(0, wait_child_ms(prod[k], (STRESS_TIMEOUT - 30) * 1000))
			TH_LOG("producer %d: %s", k,
			       strerror(sh->producer_errno[k]));
	}
	/* one stop message per consumer, behind every real message */
	for (k = 0; k < CONSUMERS; k++) {
		ASSERT_EQ(0, msgq_send(self->fd, "", 0, 0));
	}
	for (k = 0; k < CONSUMERS; k++) {
		ASSERT_EQ(0, wait_child_ms(cons[k], 30000))
			TH_LOG("consumer %d: %s", k,
			       strerror(sh->c[k].last_errno));
	}
	TH_LOG("%d x %d processes, %d messages: %.2f s", PRODUCERS,
	       CONSUMERS, PRODUCERS * PER_PRODUCER,
	       (now_ns(CLOCK_MONOTONIC) - t0) / 1e9);

	for (k = 0; k < CONSUMERS; k++) {
		struct consumer_result *res = &sh->c[k];

		TH_LOG("consumer %d: %lu messages", k, res->received);
		total += res->received;
		EXPECT_EQ(0UL, res->order_errors)
			TH_LOG("consumer %d: FIFO per (producer, priority) broken",
			       k);
		EXPECT_EQ(0UL, res->content_errors)
			TH_LOG("consumer %d: damaged messages", k);
	}
	EXPECT_EQ((unsigned long)PRODUCERS * PER_PRODUCER, total);
	for (i = 0; i < PRODUCERS * PER_PRODUCER; i++) {
		ASSERT_EQ(1U, sh->seen[i])
			TH_LOG("producer %u message %u seen %u times",
			       i / PER_PRODUCER, i % PER_PRODUCER, sh->seen[i]);
	}
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_EQ(0U, a.cur_msgs);
	EXPECT_EQ((__u64)PRODUCERS * PER_PRODUCER + CONSUMERS, a.total_sent);
	EXPECT_EQ(a.total_sent, a.total_received);
	munmap(sh, sizeof(*sh));
}

TEST_HARNESS_MAIN
