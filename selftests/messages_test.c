// SPDX-License-Identifier: GPL-2.0
/*
 * Messages: boundaries, priorities, sizes, faults, read/write, getattr,
 * peek, sender identity and per-direction handles.
 */
#include "msgq_test.h"

/*
 * Receive one message into a buffer pre-filled with 0xa5 and check its
 * length and bytes, and that nothing beyond the message was written.
 */
static bool recv_exact(int fd, unsigned char *buf, size_t cap, size_t want,
		       unsigned int seed, unsigned int want_prio)
{
	unsigned int prio = ~0U;
	ssize_t n;
	size_t i;

	memset(buf, 0xa5, cap);
	n = msgq_recv(fd, buf, cap, &prio);
	if (n < 0 || (size_t)n != want || prio != want_prio)
		return false;
	if (!check_pattern(buf, want, seed))
		return false;
	for (i = want; i < cap; i++)
		if (buf[i] != 0xa5)
			return false;
	return true;
}

/* sizes 1, 0 and max go in as three messages and come out as three */
TEST_F(msgq, boundaries_sizes_1_0_max)
{
	enum { MAX = 8192 };
	unsigned char *out = malloc(MAX), *in = malloc(MAX + 64);

	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, in);
	MBOX_CREATE(8, MAX);
	fill_pattern(out, 1, 1);
	ASSERT_EQ(0, msgq_send(self->fd, out, 1, 0));
	ASSERT_EQ(0, msgq_send(self->fd, out, 0, 0));
	fill_pattern(out, MAX, 3);
	ASSERT_EQ(0, msgq_send(self->fd, out, MAX, 0));
	ASSERT_EQ(3, mbox_depth(self->fd));

	ASSERT_TRUE(recv_exact(self->fd, in, MAX + 64, 1, 1, 0));
	ASSERT_TRUE(recv_exact(self->fd, in, MAX + 64, 0, 0, 0));
	ASSERT_TRUE(recv_exact(self->fd, in, MAX + 64, MAX, 3, 0));
	ASSERT_EQ(0, mbox_depth(self->fd));
	free(out);
	free(in);
}

/* a buffer of exactly max_msgsize holds the largest message */
TEST_F(msgq, recv_cap_exactly_max)
{
	enum { MAX = 1000 };
	unsigned char out[MAX], in[MAX];

	MBOX_CREATE(2, MAX);
	fill_pattern(out, MAX, 9);
	ASSERT_EQ(0, msgq_send(self->fd, out, MAX, 4));
	ASSERT_TRUE(recv_exact(self->fd, in, MAX, MAX, 9, 4));
}

/* zero-length messages are messages: counted, ordered, received */
TEST_F(msgq, zero_length_messages)
{
	struct msgq_attr a;
	char buf[8];
	unsigned int prio;

	MBOX_CREATE(4, 8);
	ASSERT_EQ(0, msgq_send(self->fd, buf, 0, 2));
	ASSERT_EQ(0, msgq_send(self->fd, "x", 1, 1));
	ASSERT_EQ(0, msgq_send(self->fd, buf, 0, 2));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_EQ(3U, a.cur_msgs);
	EXPECT_EQ(1U, a.cur_bytes);
	ASSERT_EQ(0, msgq_recv(self->fd, buf, sizeof(buf), &prio));
	ASSERT_EQ(2U, prio);
	ASSERT_EQ(0, msgq_recv(self->fd, buf, sizeof(buf), &prio));
	ASSERT_EQ(2U, prio);
	ASSERT_EQ(1, msgq_recv(self->fd, buf, sizeof(buf), &prio));
	ASSERT_EQ(1U, prio);
	/* and a zero-capacity buffer receives a zero-length message */
	ASSERT_EQ(0, msgq_send(self->fd, buf, 0, 0));
	ASSERT_EQ(0, msgq_recv(self->fd, NULL, 0, NULL));
}

/* all 64 levels: higher first, FIFO within a level */
TEST_F(msgq, priority_order_all_levels)
{
	struct { unsigned int prio, round; } m;
	unsigned int r, i, p, prio;

	MBOX_CREATE(2 * MSGQ_PRIO_MAX, sizeof(m));
	for (r = 0; r < 2; r++) {
		for (i = 0; i < MSGQ_PRIO_MAX; i++) {
			/* 37 is odd: i * 37 mod 32768 visits every level */
			m.prio = (i * 37) % MSGQ_PRIO_MAX;
			m.round = r;
			ASSERT_EQ(0, msgq_send(self->fd, &m, sizeof(m), m.prio));
		}
	}
	for (p = MSGQ_PRIO_MAX; p-- > 0;) {
		for (r = 0; r < 2; r++) {
			ASSERT_EQ(sizeof(m), (size_t)msgq_recv(self->fd, &m,
							       sizeof(m),
							       &prio));
			ASSERT_EQ(p, prio);
			ASSERT_EQ(p, m.prio);
			ASSERT_EQ(r, m.round) TH_LOG("FIFO broken at %u", p);
		}
	}
	ASSERT_EQ(0, mbox_depth(self->fd));
}

/* a long run at one level comes out in order, around other levels */
TEST_F(msgq, fifo_within_priority_interleaved)
{
	unsigned int i, v, prio;

	MBOX_CREATE(300, sizeof(unsigned int));
	for (i = 0; i < 300; i++) {
		v = i;
		ASSERT_EQ(0, msgq_send(self->fd, &v, sizeof(v), i % 3 ? 5 : 6));
	}
	/* first every third (prio 6), in order; then the rest (prio 5) */
	for (i = 0; i < 300; i += 3) {
		ASSERT_EQ(sizeof(v), (size_t)msgq_recv(self->fd, &v, sizeof(v),
							&prio));
		ASSERT_EQ(6U, prio);
		ASSERT_EQ(i, v);
	}
	for (i = 0; i < 300; i++) {
		if (i % 3 == 0)
			continue;
		ASSERT_EQ(sizeof(v), (size_t)msgq_recv(self->fd, &v, sizeof(v),
							&prio));
		ASSERT_EQ(5U, prio);
		ASSERT_EQ(i, v);
	}
}

/*
 * Priorities past the first 64 live in groups of 64 (debugfs:
 * priority_groups), allocated when first needed: order holds across
 * groups; an emptied group stays for the next priorities used, so a
 * mailbox cycling through many groups allocates none after the first
 * (the bench's levels rows are flat because of it), but a mailbox keeps
 * no more groups than it may hold messages; all go with the mailbox.
 */
TEST_F(msgq, priority_groups_come_and_go)
{
	static const unsigned int prios[] = { 64, 0, 32767, 65, 4096, 63, 127 };
	static const unsigned int order[] = { 32767, 4096, 127, 65, 64, 63, 0 };
	long long before = msgq_stat("priority_groups");
	unsigned int i, v, prio;
	int owned;

	MBOX_CREATE(16, sizeof(unsigned int));
	for (i = 0; i < 7; i++)
		ASSERT_EQ(0, msgq_send(self->fd, &prios[i], sizeof(v), prios[i]));
	if (before >= 0) {
		/* Groups 1 (64..127), 64 (4096) and 511 (32767) */
		ASSERT_LE(before + 3, msgq_stat("priority_groups"));
		ASSERT_GE(before + 4, msgq_stat("priority_groups"));
	}
	for (i = 0; i < 7; i++) {
		ASSERT_EQ((ssize_t)sizeof(v),
			  msgq_recv(self->fd, &v, sizeof(v), &prio));
		ASSERT_EQ(order[i], prio);
		ASSERT_EQ(order[i], v);
	}
	/* Kept, and used again by other priorities: nothing allocated. */
	if (before >= 0)
		ASSERT_EQ(before + 3, msgq_stat("priority_groups"));
	for (i = 0; i < 3; i++) {
		v = 200 + 5000 * i;	/* groups 3, 81, 159 */
		ASSERT_EQ(0, msgq_send(self->fd, &v, sizeof(v), v));
	}
	if (before >= 0)
		ASSERT_EQ(before + 3, msgq_stat("priority_groups"));
	for (i = 3; i-- > 0; ) {
		ASSERT_EQ((ssize_t)sizeof(v),
			  msgq_recv(self->fd, &v, sizeof(v), &prio));
		ASSERT_EQ(200 + 5000 * i, prio);
	}
	/* At most max_msgs of them: a mailbox of 2 cycling through 20. */
	{
		int two;
		long long with_two;

		two = msgq_create_at(self->dev, self->name2,
				     MSGQ_O_RDWR | MSGQ_O_EXCL, 0600, 2, 4);
		ASSERT_LE(0, two);
		with_two = msgq_stat("priority_groups");
		for (i = 0; i < 20; i++) {
			unsigned int p1 = 64 * (i + 1), p2 = 64 * (i + 100);

			ASSERT_EQ(0, msgq_send(two, &p1, sizeof(p1), p1));
			ASSERT_EQ(0, msgq_send(two, &p2, sizeof(p2), p2));
			ASSERT_EQ((ssize_t)sizeof(v),
				  msgq_recv(two, &v, sizeof(v), &prio));
			ASSERT_EQ(p2, prio);
			ASSERT_EQ((ssize_t)sizeof(v),
				  msgq_recv(two, &v, sizeof(v), &prio));
			ASSERT_EQ(p1, prio);
			if (before >= 0)
				ASSERT_GE(with_two + 2,
					  msgq_stat("priority_groups"));
		}
		close(two);
		ASSERT_EQ(0, msgq_unlink_at(self->dev, self->name2));
		if (before >= 0)
			ASSERT_EQ(with_two, msgq_stat("priority_groups"));
	}
	/* Withdrawn by its sender (a synchronous send that times out). */
	{
		struct msgq_send s = {
			.buf = ptr_to_u64(&v), .len = sizeof(v), .prio = 9000,
			.flags = MSGQ_F_SYNC | MSGQ_F_TIMEOUT,
			.timeout = { .tv_nsec = 20 * 1000000 },
		};

		ASSERT_ERRNO(ETIMEDOUT, msgq_send_args(self->fd, &s));
	}
	ASSERT_EQ(0, mbox_depth(self->fd));
	/* Dropped with an owned mailbox: its groups go too. */
	owned = msgq_create_at(self->dev, self->name2,
			       MSGQ_O_RDWR | MSGQ_O_OWNED, 0600, 4, 4);
	ASSERT_LE(0, owned);
	ASSERT_EQ(0, msgq_send(owned, "a", 1, 20000));
	ASSERT_EQ(0, msgq_send(owned, "b", 1, 30000));
	close(owned);
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, msgq_unlink_at(self->dev, self->name));
	if (before >= 0)
		ASSERT_EQ(before, msgq_stat("priority_groups"));
}

/* priority MSGQ_PRIO_MAX (32768) and above: EINVAL, nothing queued */
TEST_F(msgq, priority_64_einval)
{
	MBOX_CREATE(4, 8);
	ASSERT_EQ(0, msgq_send(self->fd, "ok", 2, MSGQ_PRIO_MAX - 1));
	ASSERT_ERRNO(EINVAL, msgq_send(self->fd, "no", 2, MSGQ_PRIO_MAX));
	ASSERT_ERRNO(EINVAL, msgq_send(self->fd, "no", 2, UINT32_MAX));
	ASSERT_EQ(1, mbox_depth(self->fd));
}

/* a short buffer: EMSGSIZE, len says what is needed, message stays */
TEST_F(msgq, recv_short_buffer_emsgsize_keeps_message)
{
	unsigned char out[100], in[100];
	struct msgq_recv r = { .buf = ptr_to_u64(in), .cap = 99 };

	MBOX_CREATE(4, 100);
	fill_pattern(out, 100, 5);
	ASSERT_EQ(0, msgq_send(self->fd, out, 100, 1));
	ASSERT_EQ(0, msgq_send(self->fd, "next", 4, 1));
	ASSERT_ERRNO(EMSGSIZE, msgq_recv_args(self->fd, &r));
	ASSERT_EQ(100U, r.len);
	ASSERT_EQ(2, mbox_depth(self->fd));
	ASSERT_ERRNO(EMSGSIZE, msgq_recv(self->fd, in, 0, NULL));
	ASSERT_TRUE(recv_exact(self->fd, in, 100, 100, 5, 1));
	ASSERT_EQ(4, msgq_recv(self->fd, in, sizeof(in), NULL));
	ASSERT_EQ(0, memcmp(in, "next", 4));
}

/* a send larger than max_msgsize: EMSGSIZE, nothing queued */
TEST_F(msgq, send_too_large_emsgsize)
{
	char buf[65] = { 0 };

	MBOX_CREATE(4, 64);
	ASSERT_ERRNO(EMSGSIZE, msgq_send(self->fd, buf, 65, 0));
	ASSERT_ERRNO(EMSGSIZE, msgq_send(self->fd, buf, UINT32_MAX, 0));
	ASSERT_EQ(0, mbox_depth(self->fd));
	ASSERT_EQ(0, msgq_send(self->fd, buf, 64, 0));
	ASSERT_EQ(1, mbox_depth(self->fd));
}

/* receiving into a read-only buffer: EFAULT, the message stays first */
TEST_F(msgq, recv_efault_readonly_keeps_message)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char out[256], in[256];
	struct msgq_attr a;
	void *ro;

	ro = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	MBOX_CREATE(4, 256);
	fill_pattern(out, 256, 11);
	ASSERT_EQ(0, msgq_send(self->fd, out, 256, 3));
	ASSERT_EQ(0, msgq_send(self->fd, "second", 6, 3));
	ASSERT_ERRNO(EFAULT, msgq_recv(self->fd, ro, pg, NULL));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_EQ(2U, a.cur_msgs);
	EXPECT_EQ(262U, a.cur_bytes);
	ASSERT_TRUE(recv_exact(self->fd, in, sizeof(in), 256, 11, 3));
	munmap(ro, pg);
}

/* receiving into an unmapped buffer: EFAULT, the message stays first */
TEST_F(msgq, recv_efault_unmapped_keeps_message)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char in[64];
	void *gone;

	gone = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, gone);
	ASSERT_EQ(0, munmap(gone, pg));
	MBOX_CREATE(4, 64);
	fill_pattern(in, 64, 12);
	ASSERT_EQ(0, msgq_send(self->fd, in, 64, 0));
	ASSERT_ERRNO(EFAULT, msgq_recv(self->fd, gone, 64, NULL));
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_TRUE(recv_exact(self->fd, in, sizeof(in), 64, 12, 0));
}

/* a fault half-way through the copy: EFAULT, the message stays whole */
TEST_F(msgq, recv_efault_partial_copy_keeps_message)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *two, *out, *in;

	two = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, mprotect(two + pg, pg, PROT_READ));
	out = malloc(pg);
	in = malloc(pg);
	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, in);
	MBOX_CREATE(4, pg);
	fill_pattern(out, pg, 13);
	ASSERT_EQ(0, msgq_send(self->fd, out, pg, 2));
	/* the first half lands in writable memory, the rest faults */
	ASSERT_ERRNO(EFAULT, msgq_recv(self->fd, two + pg / 2, pg, NULL));
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_TRUE(recv_exact(self->fd, in, pg, pg, 13, 2));
	munmap(two, 2 * pg);
	free(out);
	free(in);
}

/* sending from a bad pointer: EFAULT, nothing queued */
TEST_F(msgq, send_efault_bad_pointer)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct msgq_attr a;
	void *gone;

	gone = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, gone);
	ASSERT_EQ(0, munmap(gone, pg));
	MBOX_CREATE(4, 64);
	ASSERT_ERRNO(EFAULT, msgq_send(self->fd, gone, 16, 0));
	ASSERT_ERRNO(EFAULT, msgq_send(self->fd, NULL, 16, 0));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_EQ(0U, a.cur_msgs);
	EXPECT_EQ(0U, a.total_sent);
}

/* write(2) sends and read(2) receives whole messages */
TEST_F(msgq, read_write_whole_messages)
{
	static const size_t sizes[] = { 5, 17, 1, 64 };
	unsigned char out[64], in[128];
	unsigned int i;

	MBOX_CREATE(8, 64);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		fill_pattern(out, sizes[i], 20 + i);
		ASSERT_EQ((ssize_t)sizes[i], write(self->fd, out, sizes[i]));
	}
	ASSERT_EQ(4, mbox_depth(self->fd));
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		ASSERT_EQ((ssize_t)sizes[i], read(self->fd, in, sizeof(in)));
		ASSERT_TRUE(check_pattern(in, sizes[i], 20 + i));
	}
}

/* write(2) sends at priority 0; read(2) takes the highest first */
TEST_F(msgq, read_write_priority)
{
	char buf[8];
	unsigned int prio = ~0U;

	MBOX_CREATE(8, 8);
	ASSERT_EQ(1, write(self->fd, "w", 1));
	ASSERT_EQ(1, msgq_recv(self->fd, buf, sizeof(buf), &prio));
	ASSERT_EQ(0U, prio);
	ASSERT_EQ(1, write(self->fd, "a", 1));
	ASSERT_EQ(0, msgq_send(self->fd, "b", 1, 1));
	ASSERT_EQ(1, read(self->fd, buf, sizeof(buf)));
	ASSERT_EQ('b', buf[0]);
	ASSERT_EQ(1, read(self->fd, buf, sizeof(buf)));
	ASSERT_EQ('a', buf[0]);
}

/* read(2) with a short buffer: EMSGSIZE, the message stays */
TEST_F(msgq, read_short_buffer_emsgsize)
{
	char buf[16];

	MBOX_CREATE(4, 16);
	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	ASSERT_ERRNO(EMSGSIZE, read(self->fd, buf, 9));
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_EQ(10, read(self->fd, buf, 10));
	ASSERT_EQ(0, memcmp(buf, "0123456789", 10));
}

/* write(2) larger than max_msgsize: EMSGSIZE, never a partial write */
TEST_F(msgq, write_too_large_emsgsize)
{
	char buf[17] = { 0 };

	MBOX_CREATE(4, 16);
	ASSERT_ERRNO(EMSGSIZE, write(self->fd, buf, 17));
	ASSERT_EQ(0, mbox_depth(self->fd));
}

/* getattr: depth, bytes and totals follow sends and receives */
TEST_F(msgq, getattr_counts)
{
	struct msgq_attr a;
	char buf[32] = { 0 };

	MBOX_CREATE(5, 32);
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_EQ(5U, a.max_msgs);
	EXPECT_EQ(32U, a.max_msgsize);
	EXPECT_EQ(0600U, a.mode & 07777);
	EXPECT_EQ(geteuid(), a.uid);
	EXPECT_EQ(0U, a.flags);

	ASSERT_EQ(0, msgq_send(self->fd, buf, 10, 1));
	ASSERT_EQ(0, msgq_send(self->fd, buf, 20, 0));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_EQ(2U, a.cur_msgs);
	EXPECT_EQ(30U, a.cur_bytes);
	EXPECT_EQ(2U, a.total_sent);
	EXPECT_EQ(0U, a.total_received);

	ASSERT_EQ(10, msgq_recv(self->fd, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_EQ(1U, a.cur_msgs);
	EXPECT_EQ(20U, a.cur_bytes);
	EXPECT_EQ(2U, a.total_sent);
	EXPECT_EQ(1U, a.total_received);

	ASSERT_EQ(20, msgq_recv(self->fd, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_EQ(0U, a.cur_msgs);
	EXPECT_EQ(0U, a.cur_bytes);
	EXPECT_EQ(2U, a.total_sent);
	EXPECT_EQ(2U, a.total_received);
	EXPECT_EQ(5U, a.max_msgs);
}

/* failed sends and receives do not count */
TEST_F(msgq, getattr_failures_not_counted)
{
	struct msgq_attr a;
	char buf[32] = { 0 };

	MBOX_CREATE(5, 16);
	ASSERT_ERRNO(EMSGSIZE, msgq_send(self->fd, buf, 17, 0));
	ASSERT_ERRNO(EINVAL, msgq_send(self->fd, buf, 1, MSGQ_PRIO_MAX));
	ASSERT_EQ(0, msgq_send(self->fd, buf, 16, 0));
	ASSERT_ERRNO(EMSGSIZE, msgq_recv(self->fd, buf, 15, NULL));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_EQ(1U, a.total_sent);
	EXPECT_EQ(0U, a.total_received);
	EXPECT_EQ(1U, a.cur_msgs);
	EXPECT_EQ(16U, a.cur_bytes);
}

/* peek copies the head and leaves it: depth same, recv gets it next */
TEST_F(msgq, peek_returns_head_without_removing)
{
	struct msgq_attr a;
	char buf[16];
	unsigned int prio = 0;

	MBOX_CREATE(4, 16);
	ASSERT_EQ(0, msgq_send(self->fd, "low", 3, 1));
	ASSERT_EQ(0, msgq_send(self->fd, "high", 4, 7));
	ASSERT_EQ(4, msgq_peek(self->fd, buf, sizeof(buf), &prio));
	ASSERT_EQ(0, memcmp(buf, "high", 4));
	ASSERT_EQ(7U, prio);
	ASSERT_EQ(4, msgq_peek(self->fd, buf, sizeof(buf), &prio));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_EQ(2U, a.cur_msgs);
	EXPECT_EQ(7U, a.cur_bytes);
	EXPECT_EQ(0U, a.total_received);
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(4, msgq_recv(self->fd, buf, sizeof(buf), &prio));
	ASSERT_EQ(0, memcmp(buf, "high", 4));
	ASSERT_EQ(3, msgq_peek(self->fd, buf, sizeof(buf), &prio));
	ASSERT_EQ(0, memcmp(buf, "low", 3));
	ASSERT_EQ(1U, prio);
}

/* peek with a short buffer: EMSGSIZE with the size needed */
TEST_F(msgq, peek_short_buffer_emsgsize)
{
	char buf[16];
	struct msgq_recv r = {
		.buf = ptr_to_u64(buf), .cap = 3, .flags = MSGQ_F_PEEK,
	};

	MBOX_CREATE(4, 16);
	ASSERT_EQ(0, msgq_send(self->fd, "peeked", 6, 0));
	ASSERT_ERRNO(EMSGSIZE, msgq_recv_args(self->fd, &r));
	ASSERT_EQ(6U, r.len);
	ASSERT_EQ(1, mbox_depth(self->fd));
}

/* the sender's pid (another process), euid and send time come along */
TEST_F(msgq, sender_identity_other_process)
{
	struct shared { uint64_t before, after; } *sh = shared_alloc(4096);
	int go[2];
	char buf[16], c = 0;
	struct msgq_recv r = { .buf = ptr_to_u64(buf), .cap = sizeof(buf) };
	pid_t pid;

	ASSERT_NE(NULL, sh);
	ASSERT_EQ(0, pipe(go));
	MBOX_CREATE(4, 16);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* stay alive until the parent has looked at the message */
		close(go[1]);
		sh->before = now_ns(CLOCK_REALTIME);
		if (msgq_send(self->fd, "id", 2, 3))
			_exit(1);
		sh->after = now_ns(CLOCK_REALTIME);
		_exit(read(go[0], &c, 1) == 1 ? 0 : 2);
	}
	ASSERT_EQ(2, msgq_recv_args(self->fd, &r));
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(0, wait_child_ms(pid, 10000));
	EXPECT_EQ(pid, r.pid);
	EXPECT_NE(getpid(), r.pid);
	EXPECT_EQ(geteuid(), r.uid);
	EXPECT_EQ(3U, r.prio);
	EXPECT_LE(sh->before, r.sent_ns);
	EXPECT_GE(sh->after, r.sent_ns);
	munmap(sh, 4096);
}

/* the sender pid is the thread-group id, not the sending thread's id */
TEST_F(msgq, sender_identity_thread_group)
{
	char t = 't';
	struct call c = { .op = CALL_SEND, .buf = &t, .len = 1 };
	char buf[4];
	struct msgq_recv r = { .buf = ptr_to_u64(buf), .cap = sizeof(buf) };

	MBOX_CREATE(4, 4);
	c.fd = self->fd;
	ASSERT_TRUE(call_start(&c));
	ASSERT_TRUE(call_wait(&c, -1));
	ASSERT_EQ(0, c.ret);
	ASSERT_NE(getpid(), c.tid);
	ASSERT_EQ(1, msgq_recv_args(self->fd, &r));
	EXPECT_EQ(getpid(), r.pid);
}

/* peek reports the sender identity too, the same as the receive */
TEST_F(msgq, sender_identity_on_peek)
{
	char buf[4];
	struct msgq_recv p = {
		.buf = ptr_to_u64(buf), .cap = sizeof(buf), .flags = MSGQ_F_PEEK,
	};
	struct msgq_recv r = { .buf = ptr_to_u64(buf), .cap = sizeof(buf) };
	uint64_t before = now_ns(CLOCK_REALTIME);

	MBOX_CREATE(4, 4);
	ASSERT_EQ(0, msgq_send(self->fd, "p", 1, 0));
	ASSERT_EQ(1, msgq_recv_args(self->fd, &p));
	ASSERT_EQ(1, msgq_recv_args(self->fd, &r));
	EXPECT_EQ(getpid(), p.pid);
	EXPECT_EQ(p.pid, r.pid);
	EXPECT_EQ(p.uid, r.uid);
	EXPECT_EQ(p.sent_ns, r.sent_ns);
	EXPECT_LE(before, r.sent_ns);
}

/* a send-only handle cannot receive: EBADF, nothing taken */
TEST_F(msgq, send_only_handle_recv_ebadf)
{
	char buf[8];

	MBOX_CREATE(4, 8);
	ASSERT_EQ(0, msgq_send(self->fd, "m", 1, 0));
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_SEND);
	ASSERT_LE(0, self->fd2);
	ASSERT_ERRNO(EBADF, msgq_recv(self->fd2, buf, sizeof(buf), NULL));
	ASSERT_ERRNO(EBADF, msgq_peek(self->fd2, buf, sizeof(buf), NULL));
	ASSERT_ERRNO(EBADF, read(self->fd2, buf, sizeof(buf)));
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_EQ(0, msgq_send(self->fd2, "n", 1, 0));
	ASSERT_EQ(2, mbox_depth(self->fd));
}

/* a receive-only handle cannot send: EBADF, nothing queued */
TEST_F(msgq, recv_only_handle_send_ebadf)
{
	char buf[8];

	MBOX_CREATE(4, 8);
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd2);
	ASSERT_ERRNO(EBADF, msgq_send(self->fd2, "m", 1, 0));
	ASSERT_ERRNO(EBADF, write(self->fd2, "m", 1));
	ASSERT_EQ(0, mbox_depth(self->fd));
	ASSERT_EQ(0, msgq_send(self->fd, "n", 1, 0));
	ASSERT_EQ(1, msgq_recv(self->fd2, buf, sizeof(buf), NULL));
}

/* a handle created send-only is send-only */
TEST_F(msgq, create_send_only_handle)
{
	char buf[8];

	self->fd = msgq_create_at(self->dev, self->name,
				  MSGQ_O_SEND | MSGQ_O_EXCL, 0600, 4, 8);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, msgq_send(self->fd, "m", 1, 0));
	ASSERT_ERRNO(EBADF, msgq_recv(self->fd, buf, sizeof(buf), NULL));
}

/* a handle inherited across fork(2) reaches the same mailbox */
TEST_F(msgq, handle_shared_across_fork)
{
	char buf[8];
	pid_t pid;

	MBOX_CREATE(4, 8);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(msgq_send(self->fd, "kid", 3, 2) ? 1 : 0);
	ASSERT_EQ(0, wait_child_ms(pid, 10000));
	ASSERT_EQ(3, msgq_recv(self->fd, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, memcmp(buf, "kid", 3));
}

TEST_HARNESS_MAIN
