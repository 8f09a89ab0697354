// SPDX-License-Identifier: GPL-2.0
/*
 * Batches: MSGQ_IOC_SEND_BATCH and MSGQ_IOC_RECV_BATCH (msgq_send_batch,
 * msgq_recv_batch, msgq_send_batch_args, msgq_recv_batch_args, and the old
 * msgq_batch_args), against the rules of uapi/msgq.h:
 *
 * - messages go in and come out in array order (priorities as usual);
 * - partial success reports how many were done, and a send leaves the
 *   entries from the first not sent on untouched and unsent;
 * - a bad entry k (EFAULT, EMSGSIZE, EINVAL) ends the batch at k: the call
 *   returns k, or the errno when k is 0;
 * - a receive whose entry k faults returns k and puts messages k.. back
 *   first in line, in order; an entry too small stops the batch before
 *   its message (EMSGSIZE if first, with the size needed in len);
 * - header checks: count 0 or above MSGQ_BATCH_MAX, unknown flags,
 *   MSGQ_F_SYNC and MSGQ_F_PEEK, non-zero padding: EINVAL; a send batch to
 *   a rendezvous mailbox: EINVAL; the wrong direction: EBADF;
 * - waiting: relative timeouts (ETIMEDOUT when nothing was done, the count
 *   otherwise), a blocking send batch into a full mailbox completes as a
 *   consumer drains, a blocking receive batch waits for the first message
 *   and then takes what is there.
 */
#include "msgq_test.h"

#define SETTLE_MS	200	/* how long a blocked task must stay blocked */
#define WAKE_MS		10000	/* how long a woken task may take to return */

/*
 * A message of the tests (tmsg_make()): who (index in its batch) and a
 * checkable body.
 */
struct bmsg {
	unsigned int idx;
	unsigned int seed;
	unsigned char body[24];
};

static void bmsg_make(struct bmsg *m, unsigned int idx, unsigned int seed)
{
	tmsg_make(m, sizeof(*m), idx, seed);
}

static bool bmsg_ok(const struct bmsg *m, unsigned int idx, unsigned int seed)
{
	return tmsg_ok(m, sizeof(*m), idx, seed);
}

/* Point send entry @e at @m, at priority @prio. */
static void entry_send(struct msgq_mmsg *e, const void *buf, __u32 len,
		       __u32 prio)
{
	memset(e, 0, sizeof(*e));
	e->buf = ptr_to_u64(buf);
	e->len = len;
	e->prio = prio;
}

/* Point receive entry @e at @buf of @cap bytes. */
static void entry_recv(struct msgq_mmsg *e, void *buf, __u32 cap)
{
	memset(e, 0, sizeof(*e));
	e->buf = ptr_to_u64(buf);
	e->len = cap;
}

/* Send @n test messages, indexes @first.., seed @seed, one by one. */
static int send_plain(int fd, unsigned int first, unsigned int n,
		      unsigned int seed, unsigned int prio)
{
	struct bmsg m;
	unsigned int i;

	for (i = 0; i < n; i++) {
		bmsg_make(&m, first + i, seed);
		if (msgq_send(fd, &m, sizeof(m), prio))
			return -1;
	}
	return 0;
}

/* Receive one message and check it is test message @idx of @seed. */
static bool recv_is(int fd, unsigned int idx, unsigned int seed)
{
	struct bmsg m;
	ssize_t n;

	memset(&m, 0, sizeof(m));
	n = msgq_recv(fd, &m, sizeof(m), NULL);
	return n == (ssize_t)sizeof(m) && bmsg_ok(&m, idx, seed);
}

static long total_sent(int fd)
{
	struct msgq_attr a;

	if (msgq_getattr(fd, &a))
		return -1;
	return (long)a.total_sent;
}

/* A page that is not mapped (mapped, then unmapped). */
static void *unmapped_page(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, pg);
	return p;
}

/* A batch header with a relative timeout of @ms. */
static struct msgq_batch batch_rel(struct msgq_mmsg *m, unsigned int count,
				   unsigned int ms)
{
	struct msgq_batch b = {
		.msgs = ptr_to_u64(m),
		.count = count,
		.flags = MSGQ_F_TIMEOUT,
		.timeout = ns_mts(ms * MS),
	};

	return b;
}

/* ------------------------------------------------------------------ */
/* Order */

/* a batch of 32 goes in in array order: single receives see that order */
TEST_F(msgq, send_batch_order_preserved)
{
	enum { N = 32 };
	struct bmsg m[N];
	struct msgq_mmsg e[N];
	unsigned int i;

	MBOX_CREATE(64, sizeof(struct bmsg));
	for (i = 0; i < N; i++) {
		bmsg_make(&m[i], i, 100 + i);
		entry_send(&e[i], &m[i], sizeof(m[i]), 3);
	}
	ASSERT_EQ(N, msgq_send_batch(self->fd, e, N, 0));
	ASSERT_EQ(N, mbox_depth(self->fd));
	for (i = 0; i < N; i++)
		ASSERT_TRUE(recv_is(self->fd, i, 100 + i)) TH_LOG("#%u", i);
	ASSERT_EQ(0, mbox_depth(self->fd));
}

/* a receive batch takes messages in queue order and fills every field */
TEST_F(msgq, recv_batch_order_and_fields)
{
	enum { N = 16 };
	struct bmsg in[N];
	struct msgq_mmsg e[N];
	uint64_t before = now_ns(CLOCK_REALTIME);
	unsigned int i;

	MBOX_CREATE(64, sizeof(struct bmsg));
	ASSERT_EQ(0, send_plain(self->fd, 0, N, 7, 5));
	memset(in, 0, sizeof(in));
	for (i = 0; i < N; i++)
		entry_recv(&e[i], &in[i], sizeof(in[i]));
	ASSERT_EQ(N, msgq_recv_batch(self->fd, e, N, 0));
	for (i = 0; i < N; i++) {
		ASSERT_TRUE(bmsg_ok(&in[i], i, 7)) TH_LOG("#%u", i);
		ASSERT_EQ(sizeof(struct bmsg), e[i].len);
		ASSERT_EQ(5U, e[i].prio);
		ASSERT_EQ(getpid(), e[i].pid);
		ASSERT_EQ(geteuid(), e[i].uid);
		ASSERT_LE(before, e[i].sent_ns);
		ASSERT_EQ(0U, e[i].__reserved);
	}
	ASSERT_EQ(0, mbox_depth(self->fd));
}

/*
 * Priorities apply across a batch: highest first, and within a level the
 * array order. A receive batch sees the same order as single receives.
 */
TEST_F(msgq, batch_priorities_fifo_within_level)
{
	enum { N = 24 };
	static const unsigned int prios[3] = { 1, 9, 4 };
	struct bmsg m[N], in[N];
	struct msgq_mmsg e[N];
	unsigned int i, k = 0, p;

	MBOX_CREATE(N, sizeof(struct bmsg));
	for (i = 0; i < N; i++) {
		bmsg_make(&m[i], i, 40);
		entry_send(&e[i], &m[i], sizeof(m[i]), prios[i % 3]);
	}
	ASSERT_EQ(N, msgq_send_batch(self->fd, e, N, 0));
	for (i = 0; i < N; i++)
		entry_recv(&e[i], &in[i], sizeof(in[i]));
	ASSERT_EQ(N, msgq_recv_batch(self->fd, e, N, 0));
	/* levels 9, 4, 1 in turn; indexes increasing inside each */
	for (p = 0; p < 3; p++) {
		unsigned int want_prio = p == 0 ? 9 : p == 1 ? 4 : 1;
		unsigned int first = p == 0 ? 1 : p == 1 ? 2 : 0;

		for (i = first; i < N; i += 3, k++) {
			ASSERT_EQ(want_prio, e[k].prio) TH_LOG("entry %u", k);
			ASSERT_TRUE(bmsg_ok(&in[k], i, 40)) TH_LOG("entry %u", k);
		}
	}
	ASSERT_EQ((unsigned int)N, k);
}

/* batches and single calls interleave on one queue without reordering */
TEST_F(msgq, batch_and_single_interleave)
{
	struct bmsg m[4], in[8];
	struct msgq_mmsg e[8];
	unsigned int i;

	MBOX_CREATE(16, sizeof(struct bmsg));
	ASSERT_EQ(0, send_plain(self->fd, 0, 2, 3, 0));	/* 0, 1 */
	for (i = 0; i < 4; i++) {				/* 2..5 */
		bmsg_make(&m[i], 2 + i, 3);
		entry_send(&e[i], &m[i], sizeof(m[i]), 0);
	}
	ASSERT_EQ(4, msgq_send_batch(self->fd, e, 4, 0));
	ASSERT_EQ(0, send_plain(self->fd, 6, 2, 3, 0));	/* 6, 7 */
	ASSERT_TRUE(recv_is(self->fd, 0, 3));
	for (i = 0; i < 5; i++)
		entry_recv(&e[i], &in[i], sizeof(in[i]));
	ASSERT_EQ(5, msgq_recv_batch(self->fd, e, 5, 0));
	for (i = 0; i < 5; i++)
		ASSERT_TRUE(bmsg_ok(&in[i], 1 + i, 3)) TH_LOG("#%u", i);
	ASSERT_TRUE(recv_is(self->fd, 6, 3));
	ASSERT_TRUE(recv_is(self->fd, 7, 3));
}

/* ------------------------------------------------------------------ */
/* Partial success */

/*
 * Non-blocking send of 10 into a mailbox with 4 free slots: 4, the first
 * four queued, entries 4..9 untouched (the array is byte for byte as it
 * was) and unsent.
 */
TEST_F(msgq, send_batch_nonblock_partial_4_of_10)
{
	enum { N = 10 };
	struct bmsg m[N];
	struct msgq_mmsg e[N], copy[N];
	unsigned int i;

	MBOX_CREATE(6, sizeof(struct bmsg));
	ASSERT_EQ(0, send_plain(self->fd, 100, 2, 1, 0));	/* 4 free */
	for (i = 0; i < N; i++) {
		bmsg_make(&m[i], i, 2);
		entry_send(&e[i], &m[i], sizeof(m[i]), 0);
	}
	memcpy(copy, e, sizeof(e));
	ASSERT_EQ(4, msgq_send_batch(self->fd, e, N, MSGQ_F_NONBLOCK));
	ASSERT_EQ(0, memcmp(copy, e, sizeof(e)));
	ASSERT_EQ(6, mbox_depth(self->fd));
	ASSERT_EQ(6, total_sent(self->fd));
	ASSERT_TRUE(recv_is(self->fd, 100, 1));
	ASSERT_TRUE(recv_is(self->fd, 101, 1));
	for (i = 0; i < 4; i++)
		ASSERT_TRUE(recv_is(self->fd, i, 2)) TH_LOG("#%u", i);
	ASSERT_EQ(0, mbox_depth(self->fd));

	/* the caller resends from entry 4 and the rest follows in order */
	ASSERT_EQ(6, msgq_send_batch(self->fd, &e[4], N - 4, MSGQ_F_NONBLOCK));
	for (i = 4; i < N; i++)
		ASSERT_TRUE(recv_is(self->fd, i, 2)) TH_LOG("#%u", i);
}

/* the same through an O_NONBLOCK handle, without the flag */
TEST_F(msgq, send_batch_nonblock_handle_partial)
{
	enum { N = 10 };
	struct bmsg m[N];
	struct msgq_mmsg e[N];
	unsigned int i;

	MBOX_CREATE(4, sizeof(struct bmsg));
	self->fd2 = msgq_open_at(self->dev, self->name,
				 MSGQ_O_SEND | MSGQ_O_NONBLOCK);
	ASSERT_LE(0, self->fd2);
	for (i = 0; i < N; i++) {
		bmsg_make(&m[i], i, 4);
		entry_send(&e[i], &m[i], sizeof(m[i]), 0);
	}
	ASSERT_EQ(4, msgq_send_batch(self->fd2, e, N, 0));
	ASSERT_EQ(4, mbox_depth(self->fd));
	/* full: nothing sent, EAGAIN */
	ASSERT_ERRNO(EAGAIN, msgq_send_batch(self->fd2, &e[4], N - 4, 0));
	ASSERT_EQ(4, total_sent(self->fd));
}

/* a full mailbox, non-blocking: EAGAIN, nothing queued */
TEST_F(msgq, send_batch_full_nonblock_eagain)
{
	struct bmsg m;
	struct msgq_mmsg e;

	MBOX_CREATE(2, sizeof(struct bmsg));
	ASSERT_EQ(0, send_plain(self->fd, 0, 2, 1, 0));
	bmsg_make(&m, 9, 9);
	entry_send(&e, &m, sizeof(m), 0);
	ASSERT_ERRNO(EAGAIN, msgq_send_batch(self->fd, &e, 1, MSGQ_F_NONBLOCK));
	ASSERT_EQ(2, mbox_depth(self->fd));
	ASSERT_EQ(2, total_sent(self->fd));
}

/* a receive batch of 8 with 3 queued: 3 */
TEST_F(msgq, recv_batch_8_with_3_queued)
{
	enum { N = 8 };
	struct bmsg in[N];
	struct msgq_mmsg e[N];
	unsigned int i;

	MBOX_CREATE(16, sizeof(struct bmsg));
	ASSERT_EQ(0, send_plain(self->fd, 0, 3, 6, 0));
	for (i = 0; i < N; i++)
		entry_recv(&e[i], &in[i], sizeof(in[i]));
	ASSERT_EQ(3, msgq_recv_batch(self->fd, e, N, MSGQ_F_NONBLOCK));
	for (i = 0; i < 3; i++)
		ASSERT_TRUE(bmsg_ok(&in[i], i, 6)) TH_LOG("#%u", i);
	ASSERT_EQ(0, mbox_depth(self->fd));
	/* and the same without MSGQ_F_NONBLOCK: messages there, no wait */
	ASSERT_EQ(0, send_plain(self->fd, 10, 3, 6, 0));
	for (i = 0; i < N; i++)
		entry_recv(&e[i], &in[i], sizeof(in[i]));
	ASSERT_EQ(3, msgq_recv_batch(self->fd, e, N, 0));
	for (i = 0; i < 3; i++)
		ASSERT_TRUE(bmsg_ok(&in[i], 10 + i, 6)) TH_LOG("#%u", i);
}

/* an empty mailbox, non-blocking: EAGAIN */
TEST_F(msgq, recv_batch_empty_nonblock_eagain)
{
	struct bmsg in[4];
	struct msgq_mmsg e[4];
	unsigned int i;

	MBOX_CREATE(4, sizeof(struct bmsg));
	for (i = 0; i < 4; i++)
		entry_recv(&e[i], &in[i], sizeof(in[i]));
	ASSERT_ERRNO(EAGAIN, msgq_recv_batch(self->fd, e, 4, MSGQ_F_NONBLOCK));
}

/* ------------------------------------------------------------------ */
/* A bad send entry ends the batch there */

/*
 * Entry @k of an 8-entry send batch is made bad by @spoil; the call must
 * return k (or fail with @err when k is 0), queue entries 0..k-1 and
 * nothing after.
 */
static void send_bad_entry_at(struct __test_metadata *_metadata, int fd,
			      unsigned int k, int err,
			      void (*spoil)(struct msgq_mmsg *e))
{
	enum { N = 8 };
	struct bmsg m[N];
	struct msgq_mmsg e[N];
	long sent0 = total_sent(fd);
	unsigned int i;

	for (i = 0; i < N; i++) {
		bmsg_make(&m[i], i, 50 + k);
		entry_send(&e[i], &m[i], sizeof(m[i]), 0);
	}
	spoil(&e[k]);
	if (k == 0) {
		ASSERT_ERRNO(err, msgq_send_batch(fd, e, N, MSGQ_F_NONBLOCK));
	} else {
		ASSERT_EQ((int)k, msgq_send_batch(fd, e, N, MSGQ_F_NONBLOCK));
	}
	ASSERT_EQ((long)k, mbox_depth(fd));
	ASSERT_EQ(sent0 + (long)k, total_sent(fd));
	for (i = 0; i < k; i++)
		ASSERT_TRUE(recv_is(fd, i, 50 + k)) TH_LOG("#%u", i);
	ASSERT_EQ(0, mbox_depth(fd));
}

static void spoil_unmapped(struct msgq_mmsg *e)
{
	e->buf = ptr_to_u64(unmapped_page());
}

static void spoil_null(struct msgq_mmsg *e)
{
	e->buf = 0;
}

static void spoil_too_long(struct msgq_mmsg *e)
{
	e->len = sizeof(struct bmsg) + 1;
}

static void spoil_prio_64(struct msgq_mmsg *e)
{
	e->prio = MSGQ_PRIO_MAX;
}

static void spoil_prio_huge(struct msgq_mmsg *e)
{
	e->prio = UINT32_MAX;
}

static void spoil_pid(struct msgq_mmsg *e)
{
	e->pid = 1;
}

static void spoil_reserved(struct msgq_mmsg *e)
{
	e->__reserved = 1;
}

TEST_F(msgq, send_batch_efault_entry_k)
{
	MBOX_CREATE(16, sizeof(struct bmsg));
	send_bad_entry_at(_metadata, self->fd, 0, EFAULT, spoil_unmapped);
	send_bad_entry_at(_metadata, self->fd, 3, EFAULT, spoil_unmapped);
	send_bad_entry_at(_metadata, self->fd, 7, EFAULT, spoil_unmapped);
	send_bad_entry_at(_metadata, self->fd, 0, EFAULT, spoil_null);
	send_bad_entry_at(_metadata, self->fd, 5, EFAULT, spoil_null);
}

TEST_F(msgq, send_batch_emsgsize_entry_k)
{
	MBOX_CREATE(16, sizeof(struct bmsg));
	send_bad_entry_at(_metadata, self->fd, 0, EMSGSIZE, spoil_too_long);
	send_bad_entry_at(_metadata, self->fd, 2, EMSGSIZE, spoil_too_long);
	send_bad_entry_at(_metadata, self->fd, 7, EMSGSIZE, spoil_too_long);
}

TEST_F(msgq, send_batch_prio_einval_entry_k)
{
	MBOX_CREATE(16, sizeof(struct bmsg));
	send_bad_entry_at(_metadata, self->fd, 0, EINVAL, spoil_prio_64);
	send_bad_entry_at(_metadata, self->fd, 4, EINVAL, spoil_prio_64);
	send_bad_entry_at(_metadata, self->fd, 0, EINVAL, spoil_prio_huge);
	send_bad_entry_at(_metadata, self->fd, 6, EINVAL, spoil_prio_huge);
}

/* receive-only fields and __reserved must be zero in a send entry */
TEST_F(msgq, send_batch_nonzero_out_fields_einval)
{
	MBOX_CREATE(16, sizeof(struct bmsg));
	send_bad_entry_at(_metadata, self->fd, 0, EINVAL, spoil_pid);
	send_bad_entry_at(_metadata, self->fd, 1, EINVAL, spoil_pid);
	send_bad_entry_at(_metadata, self->fd, 0, EINVAL, spoil_reserved);
	send_bad_entry_at(_metadata, self->fd, 3, EINVAL, spoil_reserved);
}

/* a bad entry beyond the room there is: the room decides, k is not reached */
TEST_F(msgq, send_batch_bad_entry_after_full)
{
	enum { N = 6 };
	struct bmsg m[N];
	struct msgq_mmsg e[N];
	unsigned int i;

	MBOX_CREATE(2, sizeof(struct bmsg));
	for (i = 0; i < N; i++) {
		bmsg_make(&m[i], i, 8);
		entry_send(&e[i], &m[i], sizeof(m[i]), 0);
	}
	e[4].prio = MSGQ_PRIO_MAX;
	ASSERT_EQ(2, msgq_send_batch(self->fd, e, N, MSGQ_F_NONBLOCK));
	ASSERT_TRUE(recv_is(self->fd, 0, 8));
	ASSERT_TRUE(recv_is(self->fd, 1, 8));
	ASSERT_EQ(2, total_sent(self->fd));
}

/* the entry array itself unreadable: EFAULT, nothing queued */
TEST_F(msgq, batch_array_efault)
{
	void *gone = unmapped_page();

	ASSERT_NE(NULL, gone);
	MBOX_CREATE(4, sizeof(struct bmsg));
	ASSERT_ERRNO(EFAULT, msgq_send_batch(self->fd, gone, 2, 0));
	ASSERT_ERRNO(EFAULT, msgq_send_batch(self->fd, NULL, 2, 0));
	ASSERT_EQ(0, send_plain(self->fd, 0, 1, 1, 0));
	ASSERT_ERRNO(EFAULT, msgq_recv_batch(self->fd, gone, 2, 0));
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_EQ(1, total_sent(self->fd));
}

/* ------------------------------------------------------------------ */
/* Receive faults and short entries */

/*
 * Entry @k's buffer unmapped: the call returns k (EFAULT if 0), entries
 * 0..k-1 hold messages 0..k-1, and messages k.. are first in line, in
 * order.
 */
static void recv_fault_at(struct __test_metadata *_metadata, int fd,
			  unsigned int k)
{
	enum { N = 6 };
	struct bmsg in[N];
	struct msgq_mmsg e[N];
	void *gone = unmapped_page();
	unsigned int i;

	ASSERT_NE(NULL, gone);
	ASSERT_EQ(0, send_plain(fd, 0, N, 20 + k, 2));
	ASSERT_EQ(0, send_plain(fd, N, 2, 20 + k, 1));	/* lower, after */
	memset(in, 0, sizeof(in));
	for (i = 0; i < N; i++)
		entry_recv(&e[i], &in[i], sizeof(in[i]));
	e[k].buf = ptr_to_u64(gone);
	if (k == 0) {
		ASSERT_ERRNO(EFAULT, msgq_recv_batch(fd, e, N, 0));
	} else {
		ASSERT_EQ((int)k, msgq_recv_batch(fd, e, N, 0));
	}
	for (i = 0; i < k; i++) {
		ASSERT_TRUE(bmsg_ok(&in[i], i, 20 + k)) TH_LOG("#%u", i);
		ASSERT_EQ(sizeof(struct bmsg), e[i].len);
	}
	ASSERT_EQ((long)(N + 2 - k), mbox_depth(fd));
	for (i = k; i < N + 2; i++)
		ASSERT_TRUE(recv_is(fd, i, 20 + k)) TH_LOG("#%u after %u", i, k);
	ASSERT_EQ(0, mbox_depth(fd));
}

TEST_F(msgq, recv_batch_efault_entry_k_puts_back_in_order)
{
	MBOX_CREATE(16, sizeof(struct bmsg));
	recv_fault_at(_metadata, self->fd, 0);
	recv_fault_at(_metadata, self->fd, 1);
	recv_fault_at(_metadata, self->fd, 3);
	recv_fault_at(_metadata, self->fd, 5);
}

/* a put-back message is counted as received only once, when delivered */
TEST_F(msgq, recv_batch_efault_counts)
{
	struct bmsg in[4];
	struct msgq_mmsg e[4];
	struct msgq_attr a;
	unsigned int i;

	MBOX_CREATE(16, sizeof(struct bmsg));
	ASSERT_EQ(0, send_plain(self->fd, 0, 4, 1, 0));
	for (i = 0; i < 4; i++)
		entry_recv(&e[i], &in[i], sizeof(in[i]));
	e[2].buf = ptr_to_u64(unmapped_page());
	ASSERT_EQ(2, msgq_recv_batch(self->fd, e, 4, 0));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_EQ(2U, a.cur_msgs);
	EXPECT_EQ(2 * sizeof(struct bmsg), a.cur_bytes);
	EXPECT_EQ(4U, a.total_sent);
	EXPECT_EQ(2U, a.total_received);
}

/* the first entry too small: EMSGSIZE, len is the size needed, nothing taken */
TEST_F(msgq, recv_batch_first_too_small_emsgsize)
{
	struct bmsg in[4];
	struct msgq_mmsg e[4];
	unsigned int i;

	MBOX_CREATE(8, sizeof(struct bmsg));
	ASSERT_EQ(0, send_plain(self->fd, 0, 3, 2, 0));
	for (i = 0; i < 4; i++)
		entry_recv(&e[i], &in[i], sizeof(in[i]));
	e[0].len = sizeof(struct bmsg) - 1;
	ASSERT_ERRNO(EMSGSIZE, msgq_recv_batch(self->fd, e, 4, 0));
	ASSERT_EQ(sizeof(struct bmsg), e[0].len);
	ASSERT_EQ(3, mbox_depth(self->fd));
	/* a zero capacity too */
	e[0].len = 0;
	ASSERT_ERRNO(EMSGSIZE, msgq_recv_batch(self->fd, e, 4, 0));
	ASSERT_EQ(sizeof(struct bmsg), e[0].len);
	for (i = 0; i < 3; i++)
		ASSERT_TRUE(recv_is(self->fd, i, 2)) TH_LOG("#%u", i);
}

/* entry k too small: stop before message k, which stays first in line */
TEST_F(msgq, recv_batch_entry_k_too_small_stops)
{
	enum { N = 6 };
	struct bmsg in[N];
	struct msgq_mmsg e[N];
	unsigned int i;

	MBOX_CREATE(8, sizeof(struct bmsg));
	ASSERT_EQ(0, send_plain(self->fd, 0, N, 3, 0));
	memset(in, 0, sizeof(in));
	for (i = 0; i < N; i++)
		entry_recv(&e[i], &in[i], sizeof(in[i]));
	e[4].len = 8;
	ASSERT_EQ(4, msgq_recv_batch(self->fd, e, N, 0));
	for (i = 0; i < 4; i++)
		ASSERT_TRUE(bmsg_ok(&in[i], i, 3)) TH_LOG("#%u", i);
	ASSERT_EQ(2, mbox_depth(self->fd));
	ASSERT_TRUE(recv_is(self->fd, 4, 3));
	ASSERT_TRUE(recv_is(self->fd, 5, 3));
}

/* entries sized per message: small messages fit small entries */
TEST_F(msgq, recv_batch_mixed_sizes)
{
	char small[3][4], big[64];
	struct msgq_mmsg e[4];

	MBOX_CREATE(8, 64);
	ASSERT_EQ(0, msgq_send(self->fd, "a", 1, 0));
	ASSERT_EQ(0, msgq_send(self->fd, "bb", 2, 0));
	ASSERT_EQ(0, msgq_send(self->fd, "", 0, 0));
	memset(big, 'x', sizeof(big));
	ASSERT_EQ(0, msgq_send(self->fd, big, 64, 0));
	entry_recv(&e[0], small[0], 4);
	entry_recv(&e[1], small[1], 2);
	entry_recv(&e[2], small[2], 0);
	entry_recv(&e[3], big, 64);
	memset(big, 0, sizeof(big));
	ASSERT_EQ(4, msgq_recv_batch(self->fd, e, 4, 0));
	ASSERT_EQ(1U, e[0].len);
	ASSERT_EQ(2U, e[1].len);
	ASSERT_EQ(0U, e[2].len);
	ASSERT_EQ(64U, e[3].len);
	ASSERT_EQ(0, memcmp(small[0], "a", 1));
	ASSERT_EQ(0, memcmp(small[1], "bb", 2));
	ASSERT_EQ('x', big[0]);
	ASSERT_EQ('x', big[63]);
}

/* ------------------------------------------------------------------ */
/* Header checks */

TEST_F(msgq, batch_count_0_and_over_max_einval)
{
	static struct msgq_mmsg e[MSGQ_BATCH_MAX + 1];
	static struct bmsg m;
	unsigned int i;

	MBOX_CREATE(8, sizeof(struct bmsg));
	bmsg_make(&m, 0, 0);
	for (i = 0; i <= MSGQ_BATCH_MAX; i++)
		entry_send(&e[i], &m, sizeof(m), 0);
	ASSERT_ERRNO(EINVAL, msgq_send_batch(self->fd, e, 0, MSGQ_F_NONBLOCK));
	ASSERT_ERRNO(EINVAL, msgq_send_batch(self->fd, e, MSGQ_BATCH_MAX + 1,
					     MSGQ_F_NONBLOCK));
	ASSERT_ERRNO(EINVAL, msgq_send_batch(self->fd, e, UINT32_MAX,
					     MSGQ_F_NONBLOCK));
	ASSERT_EQ(0, mbox_depth(self->fd));
	/* MSGQ_BATCH_MAX itself is allowed: 8 fit, the rest would block */
	ASSERT_EQ(8, msgq_send_batch(self->fd, e, MSGQ_BATCH_MAX,
				     MSGQ_F_NONBLOCK));

	for (i = 0; i <= MSGQ_BATCH_MAX; i++)
		entry_recv(&e[i], &m, sizeof(m));
	ASSERT_ERRNO(EINVAL, msgq_recv_batch(self->fd, e, 0, MSGQ_F_NONBLOCK));
	ASSERT_ERRNO(EINVAL, msgq_recv_batch(self->fd, e, MSGQ_BATCH_MAX + 1,
					     MSGQ_F_NONBLOCK));
	ASSERT_EQ(8, mbox_depth(self->fd));
	ASSERT_EQ(8, msgq_recv_batch(self->fd, e, MSGQ_BATCH_MAX,
				     MSGQ_F_NONBLOCK));
}

/* unknown flags, MSGQ_F_SYNC and MSGQ_F_PEEK: EINVAL, on both calls */
TEST_F(msgq, batch_bad_flags_einval)
{
	static const unsigned int bad[] = {
		MSGQ_F_SYNC, MSGQ_F_PEEK, 0x20, 0x80000000U,
		MSGQ_F_NONBLOCK | MSGQ_F_SYNC,
	};
	struct bmsg m, in;
	struct msgq_mmsg e;
	unsigned int i;

	MBOX_CREATE(4, sizeof(struct bmsg));
	bmsg_make(&m, 1, 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		entry_send(&e, &m, sizeof(m), 0);
		ASSERT_EQ(-1, msgq_send_batch(self->fd, &e, 1, bad[i]))
			TH_LOG("send flags %#x", bad[i]);
		ASSERT_EQ(EINVAL, errno) TH_LOG("send flags %#x", bad[i]);
	}
	ASSERT_EQ(0, mbox_depth(self->fd));
	ASSERT_EQ(0, send_plain(self->fd, 0, 1, 1, 0));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		entry_recv(&e, &in, sizeof(in));
		ASSERT_EQ(-1, msgq_recv_batch(self->fd, &e, 1, bad[i]))
			TH_LOG("recv flags %#x", bad[i]);
		ASSERT_EQ(EINVAL, errno) TH_LOG("recv flags %#x", bad[i]);
	}
	ASSERT_EQ(1, mbox_depth(self->fd));
}

/* __pad, __reserved, stray clockid/timeout without MSGQ_F_TIMEOUT: EINVAL */
TEST_F(msgq, batch_header_reserved_einval)
{
	struct bmsg m;
	struct msgq_mmsg e;
	struct msgq_batch b;

	MBOX_CREATE(4, sizeof(struct bmsg));
	bmsg_make(&m, 1, 1);
	entry_send(&e, &m, sizeof(m), 0);

	b = (struct msgq_batch){ .msgs = ptr_to_u64(&e), .count = 1, .__pad = 1 };
	ASSERT_ERRNO(EINVAL, msgq_send_batch_args(self->fd, &b));
	b = (struct msgq_batch){ .msgs = ptr_to_u64(&e), .count = 1 };
	b.__reserved[1] = 1;
	ASSERT_ERRNO(EINVAL, msgq_send_batch_args(self->fd, &b));
	b = (struct msgq_batch){ .msgs = ptr_to_u64(&e), .count = 1,
				 .clockid = CLOCK_MONOTONIC };
	ASSERT_ERRNO(EINVAL, msgq_send_batch_args(self->fd, &b));
	b = (struct msgq_batch){ .msgs = ptr_to_u64(&e), .count = 1 };
	b.timeout.tv_nsec = 5;
	ASSERT_ERRNO(EINVAL, msgq_send_batch_args(self->fd, &b));
	/* an invalid timeout is EINVAL even with room to send */
	b = (struct msgq_batch){ .msgs = ptr_to_u64(&e), .count = 1,
				 .flags = MSGQ_F_TIMEOUT };
	b.timeout.tv_nsec = 1000000000L;
	ASSERT_ERRNO(EINVAL, msgq_send_batch_args(self->fd, &b));
	ASSERT_EQ(0, mbox_depth(self->fd));

	/* __reserved of a receive entry must be zero too */
	ASSERT_EQ(0, send_plain(self->fd, 0, 1, 1, 0));
	entry_recv(&e, &m, sizeof(m));
	e.__reserved = 1;
	ASSERT_ERRNO(EINVAL, msgq_recv_batch(self->fd, &e, 1, 0));
	b = (struct msgq_batch){ .msgs = ptr_to_u64(&e), .count = 1, .__pad = 1 };
	e.__reserved = 0;
	ASSERT_ERRNO(EINVAL, msgq_recv_batch_args(self->fd, &b));
	ASSERT_EQ(1, mbox_depth(self->fd));
}

/* a send batch to a rendezvous mailbox: EINVAL */
TEST_F(msgq, send_batch_rendezvous_einval)
{
	struct bmsg m;
	struct msgq_mmsg e;

	self->fd = msgq_create_at(self->dev, self->name,
				  MSGQ_O_RDWR | MSGQ_O_EXCL, 0600, 0,
				  sizeof(struct bmsg));
	ASSERT_LE(0, self->fd);
	bmsg_make(&m, 1, 1);
	entry_send(&e, &m, sizeof(m), 0);
	ASSERT_ERRNO(EINVAL, msgq_send_batch(self->fd, &e, 1, 0));
	ASSERT_ERRNO(EINVAL, msgq_send_batch(self->fd, &e, 1, MSGQ_F_NONBLOCK));
	ASSERT_EQ(0, total_sent(self->fd));
}

/* wrong direction: EBADF, nothing taken or queued */
TEST_F(msgq, batch_wrong_direction_ebadf)
{
	struct bmsg m, in;
	struct msgq_mmsg e;

	MBOX_CREATE(4, sizeof(struct bmsg));
	ASSERT_EQ(0, send_plain(self->fd, 0, 1, 1, 0));
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_SEND);
	ASSERT_LE(0, self->fd2);
	entry_recv(&e, &in, sizeof(in));
	ASSERT_ERRNO(EBADF, msgq_recv_batch(self->fd2, &e, 1, 0));
	ASSERT_ERRNO(EBADF, msgq_recv_batch(self->fd2, &e, 1, MSGQ_F_NONBLOCK));
	ASSERT_EQ(1, mbox_depth(self->fd));
	close(self->fd2);

	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd2);
	bmsg_make(&m, 2, 2);
	entry_send(&e, &m, sizeof(m), 0);
	ASSERT_ERRNO(EBADF, msgq_send_batch(self->fd2, &e, 1, 0));
	ASSERT_EQ(1, total_sent(self->fd));
}

/* ------------------------------------------------------------------ */
/* Waiting */

/* a relative timeout on a full mailbox: ETIMEDOUT, not early, nothing sent */
TEST_F(msgq, send_batch_timeout_etimedout)
{
	struct bmsg m[2];
	struct msgq_mmsg e[2];
	struct msgq_batch b;
	uint64_t t0, t1;

	MBOX_CREATE(1, sizeof(struct bmsg));
	ASSERT_EQ(0, send_plain(self->fd, 0, 1, 1, 0));
	bmsg_make(&m[0], 1, 1);
	bmsg_make(&m[1], 2, 1);
	entry_send(&e[0], &m[0], sizeof(m[0]), 0);
	entry_send(&e[1], &m[1], sizeof(m[1]), 0);
	b = batch_rel(e, 2, SETTLE_MS);
	t0 = now_ns(CLOCK_MONOTONIC);
	ASSERT_ERRNO(ETIMEDOUT, msgq_send_batch_args(self->fd, &b));
	t1 = now_ns(CLOCK_MONOTONIC);
	ASSERT_LE(t0 + SETTLE_MS * 1000000ull, t1)
		TH_LOG("returned after %.3f ms", (t1 - t0) / 1e6);
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_EQ(1, total_sent(self->fd));
}

/* a timeout after some were queued: the count, not an error */
TEST_F(msgq, send_batch_timeout_partial_count)
{
	enum { N = 6 };
	struct bmsg m[N];
	struct msgq_mmsg e[N];
	struct msgq_batch b;
	uint64_t t0, t1;
	unsigned int i;

	MBOX_CREATE(3, sizeof(struct bmsg));
	ASSERT_EQ(0, send_plain(self->fd, 100, 1, 1, 0));	/* 2 free */
	for (i = 0; i < N; i++) {
		bmsg_make(&m[i], i, 1);
		entry_send(&e[i], &m[i], sizeof(m[i]), 0);
	}
	b = batch_rel(e, N, SETTLE_MS);
	t0 = now_ns(CLOCK_MONOTONIC);
	ASSERT_EQ(2, msgq_send_batch_args(self->fd, &b));
	t1 = now_ns(CLOCK_MONOTONIC);
	ASSERT_LE(t0 + SETTLE_MS * 1000000ull, t1);
	ASSERT_EQ(3, mbox_depth(self->fd));
	ASSERT_TRUE(recv_is(self->fd, 100, 1));
	ASSERT_TRUE(recv_is(self->fd, 0, 1));
	ASSERT_TRUE(recv_is(self->fd, 1, 1));
}

/* a relative timeout on an empty mailbox: ETIMEDOUT, not early */
TEST_F(msgq, recv_batch_timeout_etimedout)
{
	struct bmsg in[4];
	struct msgq_mmsg e[4];
	struct msgq_batch b;
	uint64_t t0, t1;
	unsigned int i;

	MBOX_CREATE(4, sizeof(struct bmsg));
	for (i = 0; i < 4; i++)
		entry_recv(&e[i], &in[i], sizeof(in[i]));
	b = batch_rel(e, 4, SETTLE_MS);
	t0 = now_ns(CLOCK_MONOTONIC);
	ASSERT_ERRNO(ETIMEDOUT, msgq_recv_batch_args(self->fd, &b));
	t1 = now_ns(CLOCK_MONOTONIC);
	ASSERT_LE(t0 + SETTLE_MS * 1000000ull, t1)
		TH_LOG("returned after %.3f ms", (t1 - t0) / 1e6);
	/* a message there: taken at once, the timeout does not matter */
	ASSERT_EQ(0, send_plain(self->fd, 0, 2, 9, 0));
	b = batch_rel(e, 4, 0);
	ASSERT_EQ(2, msgq_recv_batch_args(self->fd, &b));
	ASSERT_TRUE(bmsg_ok(&in[1], 1, 9));
}

/*
 * msgq_batch_args(), LIBMSGQ_1.0's one name for both directions, still
 * sends (@send non-zero) and receives (0), with its timeout.
 */
TEST_F(msgq, batch_args_old_name)
{
	struct bmsg out[2], in[2];
	struct msgq_mmsg e[2];
	struct msgq_batch b;
	unsigned int i;

	MBOX_CREATE(4, sizeof(struct bmsg));
	for (i = 0; i < 2; i++) {
		bmsg_make(&out[i], i, 5);
		entry_send(&e[i], &out[i], sizeof(out[i]), 0);
	}
	b = batch_rel(e, 2, SETTLE_MS);
	ASSERT_EQ(2, msgq_batch_args(self->fd, 1, &b));
	ASSERT_EQ(2, mbox_depth(self->fd));
	for (i = 0; i < 2; i++)
		entry_recv(&e[i], &in[i], sizeof(in[i]));
	b = batch_rel(e, 2, SETTLE_MS);
	ASSERT_EQ(2, msgq_batch_args(self->fd, 0, &b));
	ASSERT_TRUE(bmsg_ok(&in[0], 0, 5));
	ASSERT_TRUE(bmsg_ok(&in[1], 1, 5));
	ASSERT_ERRNO(ETIMEDOUT, msgq_batch_args(self->fd, 0, &b));
}

/* an absolute CLOCK_MONOTONIC deadline in the past: ETIMEDOUT at once */
TEST_F(msgq, recv_batch_abstime_past)
{
	struct bmsg in;
	struct msgq_mmsg e;
	struct msgq_batch b = {
		.msgs = ptr_to_u64(&e), .count = 1,
		.flags = MSGQ_F_TIMEOUT | MSGQ_F_ABSTIME,
		.clockid = CLOCK_MONOTONIC,
		.timeout = { .tv_sec = 1 },
	};

	MBOX_CREATE(4, sizeof(struct bmsg));
	entry_recv(&e, &in, sizeof(in));
	ASSERT_ERRNO(ETIMEDOUT, msgq_recv_batch_args(self->fd, &b));
}

/* a blocking batch send into a full mailbox completes as a consumer drains */
TEST_F(msgq, send_batch_blocks_until_drained)
{
	enum { N = 40, CAP = 4 };
	unsigned int i;
	pid_t pid;

	MBOX_CREATE(CAP, sizeof(struct bmsg));
	ASSERT_EQ(0, send_plain(self->fd, 1000, CAP, 5, 0));	/* full */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		static struct bmsg m[N];
		static struct msgq_mmsg e[N];

		for (i = 0; i < N; i++) {
			bmsg_make(&m[i], i, 5);
			entry_send(&e[i], &m[i], sizeof(m[i]), 0);
		}
		_exit(msgq_send_batch(self->fd, e, N, 0) == N ? 0 : 1);
	}
	ASSERT_TRUE(wait_blocked_in(pid, pid, SYS_msgq_any, 5000))
		TH_LOG("batch send did not block");
	sleep_ms(SETTLE_MS);
	ASSERT_EQ(0, waitpid(pid, NULL, WNOHANG))
		TH_LOG("batch send returned while full");
	ASSERT_EQ(CAP, mbox_depth(self->fd));
	for (i = 0; i < CAP; i++)
		ASSERT_TRUE(recv_is(self->fd, 1000 + i, 5));
	/* single receives drain it; the sender refills as room appears */
	for (i = 0; i < N; i++)
		ASSERT_TRUE(recv_is(self->fd, i, 5)) TH_LOG("#%u", i);
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
	ASSERT_EQ(0, mbox_depth(self->fd));
	ASSERT_EQ(CAP + N, total_sent(self->fd));
}

/* the same, drained by receive batches */
TEST_F(msgq, send_batch_blocks_drained_by_recv_batches)
{
	enum { N = 200, CAP = 8 };
	struct bmsg in[CAP];
	struct msgq_mmsg e[CAP];
	unsigned int got = 0, i;
	pid_t pid;
	int n;

	MBOX_CREATE(CAP, sizeof(struct bmsg));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		static struct bmsg m[N];
		static struct msgq_mmsg se[N];

		for (i = 0; i < N; i++) {
			bmsg_make(&m[i], i, 6);
			entry_send(&se[i], &m[i], sizeof(m[i]), 0);
		}
		_exit(msgq_send_batch(self->fd, se, N, 0) == N ? 0 : 1);
	}
	while (got < N) {
		for (i = 0; i < CAP; i++)
			entry_recv(&e[i], &in[i], sizeof(in[i]));
		n = msgq_recv_batch(self->fd, e, CAP, 0);
		ASSERT_LE(1, n) TH_LOG("recv batch: %s", strerror(errno));
		for (i = 0; i < (unsigned int)n; i++, got++)
			ASSERT_TRUE(bmsg_ok(&in[i], got, 6)) TH_LOG("#%u", got);
	}
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
	ASSERT_EQ(0, mbox_depth(self->fd));
}

/*
 * A blocking receive batch waits for the first message, then takes what
 * is there: a send batch of 3 (queued in one lock round) wakes it, and it
 * returns those 3 although it asked for 8.
 */
TEST_F(msgq, recv_batch_blocks_then_takes_what_is_there)
{
	struct shared_res { int ret; int err; struct bmsg in[8]; } *res;
	struct bmsg m[3];
	struct msgq_mmsg e[3];
	unsigned int i;
	pid_t pid;

	res = shared_alloc(sizeof(*res));
	ASSERT_NE(NULL, res);
	MBOX_CREATE(16, sizeof(struct bmsg));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct msgq_mmsg re[8];

		for (i = 0; i < 8; i++)
			entry_recv(&re[i], &res->in[i], sizeof(res->in[i]));
		res->ret = msgq_recv_batch(self->fd, re, 8, 0);
		res->err = errno;
		_exit(0);
	}
	ASSERT_TRUE(wait_blocked_in(pid, pid, SYS_msgq_any, 5000))
		TH_LOG("recv batch did not block");
	sleep_ms(SETTLE_MS);
	ASSERT_EQ(0, waitpid(pid, NULL, WNOHANG))
		TH_LOG("recv batch returned from an empty mailbox");
	for (i = 0; i < 3; i++) {
		bmsg_make(&m[i], i, 11);
		entry_send(&e[i], &m[i], sizeof(m[i]), 0);
	}
	ASSERT_EQ(3, msgq_send_batch(self->fd, e, 3, 0));
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
	ASSERT_EQ(3, res->ret) TH_LOG("recv batch: %s", strerror(res->err));
	for (i = 0; i < 3; i++)
		ASSERT_TRUE(bmsg_ok(&res->in[i], i, 11)) TH_LOG("#%u", i);
	ASSERT_EQ(0, mbox_depth(self->fd));
	munmap(res, sizeof(*res));
}

/* a blocked receive batch woken by one plain send returns at least 1 */
TEST_F(msgq, recv_batch_blocks_woken_by_single_send)
{
	struct shared_res { int ret; int err; struct bmsg in[4]; } *res;
	pid_t pid;
	unsigned int i;

	res = shared_alloc(sizeof(*res));
	ASSERT_NE(NULL, res);
	MBOX_CREATE(16, sizeof(struct bmsg));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct msgq_mmsg re[4];

		for (i = 0; i < 4; i++)
			entry_recv(&re[i], &res->in[i], sizeof(res->in[i]));
		res->ret = msgq_recv_batch(self->fd, re, 4, 0);
		res->err = errno;
		_exit(0);
	}
	ASSERT_TRUE(wait_blocked_in(pid, pid, SYS_msgq_any, 5000));
	ASSERT_EQ(0, send_plain(self->fd, 0, 1, 12, 0));
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
	ASSERT_EQ(1, res->ret) TH_LOG("recv batch: %s", strerror(res->err));
	ASSERT_TRUE(bmsg_ok(&res->in[0], 0, 12));
	munmap(res, sizeof(*res));
}

/*
 * A batch send blocked on a full mailbox and cut short by a signal (no
 * SA_RESTART) after queuing some: the count; with none queued: EINTR.
 */
static void on_signal(int sig)
{
	(void)sig;
}

TEST_F(msgq, send_batch_signal_partial_and_eintr)
{
	struct shared_res { int ret[2]; int err[2]; int stage; } *res;
	struct sigaction sa = { .sa_handler = on_signal };
	pid_t pid;

	res = shared_alloc(sizeof(*res));
	ASSERT_NE(NULL, res);
	MBOX_CREATE(4, sizeof(struct bmsg));
	ASSERT_EQ(0, send_plain(self->fd, 100, 2, 3, 0));	/* 2 free */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		static struct bmsg m[6];
		static struct msgq_mmsg e[6];
		unsigned int i;

		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR1, &sa, NULL);
		for (i = 0; i < 6; i++) {
			bmsg_make(&m[i], i, 3);
			entry_send(&e[i], &m[i], sizeof(m[i]), 0);
		}
		res->ret[0] = msgq_send_batch(self->fd, e, 6, 0);
		res->err[0] = errno;
		__atomic_store_n(&res->stage, 1, __ATOMIC_SEQ_CST);
		/* now full: the next batch blocks with nothing queued */
		res->ret[1] = msgq_send_batch(self->fd, &e[2], 4, 0);
		res->err[1] = errno;
		_exit(0);
	}
	ASSERT_TRUE(wait_blocked_in(pid, pid, SYS_msgq_any, 5000));
	ASSERT_EQ(4, mbox_depth(self->fd));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	/* the first batch returns 2; wait for the second to block */
	for (int t = 0; t < WAKE_MS &&
	     !__atomic_load_n(&res->stage, __ATOMIC_SEQ_CST); t++)
		sleep_ms(1);
	ASSERT_EQ(1, __atomic_load_n(&res->stage, __ATOMIC_SEQ_CST));
	ASSERT_TRUE(wait_blocked_in(pid, pid, SYS_msgq_any, 5000));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
	ASSERT_EQ(2, res->ret[0]) TH_LOG("%s", strerror(res->err[0]));
	ASSERT_EQ(-1, res->ret[1]);
	ASSERT_EQ(EINTR, res->err[1]);
	ASSERT_EQ(4, mbox_depth(self->fd));
	ASSERT_TRUE(recv_is(self->fd, 100, 3));
	ASSERT_TRUE(recv_is(self->fd, 101, 3));
	ASSERT_TRUE(recv_is(self->fd, 0, 3));
	ASSERT_TRUE(recv_is(self->fd, 1, 3));
	munmap(res, sizeof(*res));
}

TEST_HARNESS_MAIN
