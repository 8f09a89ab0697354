// SPDX-License-Identifier: GPL-2.0
/*
 * Payload integrity where the module's storage changes shape: small
 * messages in pooled per-mailbox slots (up to a few hundred bytes), middle
 * ones in one allocation with their header (up to a page less the header),
 * large ones in separate pages. Every size around those edges, and at
 * max_msgsize, goes through MSGQ_IOC_SEND/RECV, write/read, batches, peek,
 * rendezvous and across processes, byte for byte, with nothing written past
 * the message in the receiver's buffer:
 *
 * - interleaved sizes and priorities come out in priority, then FIFO order;
 * - a receive into a buffer that faults part-way fails EFAULT and leaves
 *   the message first in line, intact; a send from a source that faults
 *   part-way fails EFAULT and queues nothing;
 * - thousands of cycles of small sizes reuse slots without stale bytes,
 *   with exact total_sent/total_received/cur_bytes;
 * - a peek racing receives (slots recycled underneath) never sees a torn
 *   or foreign payload.
 */
#include "msgq_test.h"

#define CANARY		0xa5
#define MAXSZ		65536u

/* Sizes at and around the edges of every storage shape. */
static const __u32 sizes[] = {
	0, 1, 63, 64, 65, 447, 448, 449, 511, 512, 513, 4031, 4032, 4033,
	4095, 4096, 4097, 8191, 8192, 8193, 65535, 65536,
};
#define NSIZES	ARRAY_SIZE(sizes)

/* ------------------------------------------------------------------ */
/* A pattern that differs for every seed, and every 4-byte word of a
 * message up to 16 GiB, so that a swapped page or a stale slot shows. */

static inline uint32_t mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

static inline unsigned char pbyte(uint32_t seed, size_t i)
{
	return (unsigned char)(mix32(seed * 0x9e3779b9u + (uint32_t)(i >> 2)) >>
			       ((i & 3) * 8));
}

static void pfill(void *buf, size_t len, uint32_t seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pbyte(seed, i);
}

/* The index of the first byte that is not the pattern, or -1. */
static long pbad(const void *buf, size_t len, uint32_t seed)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pbyte(seed, i))
			return (long)i;
	return -1;
}

/* The index of the first byte of buf[from..to) that is not CANARY, or -1. */
static long canary_bad(const void *buf, size_t from, size_t to)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = from; i < to; i++)
		if (p[i] != CANARY)
			return (long)i;
	return -1;
}

/* A receive buffer of @cap bytes, all CANARY. */
static void *canary_buf(size_t cap)
{
	void *p = malloc(cap ? cap : 1);

	if (p)
		memset(p, CANARY, cap);
	return p;
}

/* ------------------------------------------------------------------ */
/* Helpers */

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static size_t round_up_pg(size_t n)
{
	size_t pg = (size_t)page_size();

	return (n + pg - 1) / pg * pg;
}

/*
 * A buffer of @len bytes whose first @good bytes are accessible and the
 * rest are in a PROT_NONE page: @len must be above @good. *map and
 * *map_len say what to munmap.
 */
static unsigned char *faulting_buf(size_t len, size_t good, void **map,
				   size_t *map_len)
{
	size_t room = round_up_pg(good ? good : 1);
	size_t tail = round_up_pg(len - good);
	unsigned char *m;

	*map_len = room + tail;
	m = mmap(NULL, *map_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	if (mprotect(m + room, tail, PROT_NONE)) {
		munmap(m, *map_len);
		return NULL;
	}
	*map = m;
	return m + room - good;
}

/* A send through MSGQ_IOC_SEND of @len pattern bytes of @seed at @prio. */
static int send_pat(int fd, unsigned char *tmp, __u32 len, uint32_t seed,
		    __u32 prio)
{
	pfill(tmp, len, seed);
	return msgq_send(fd, tmp, len, prio);
}

/*
 * Receive (MSGQ_IOC_RECV with @flags, e.g. MSGQ_F_PEEK) into @buf of
 * @cap bytes filled with CANARY; true if it is @len bytes of @seed at
 * @prio and nothing past it was written. @why says what went wrong.
 */
static bool recv_check(int fd, unsigned char *buf, size_t cap, __u32 flags,
		       __u32 len, uint32_t seed, __u32 prio, char *why,
		       size_t wlen)
{
	struct msgq_recv r = {
		.buf = ptr_to_u64(buf), .cap = (__u32)cap,
		.flags = flags | MSGQ_F_NONBLOCK,
	};
	ssize_t n;
	long bad;

	memset(buf, CANARY, cap);
	n = msgq_recv_args(fd, &r);
	if (n < 0) {
		snprintf(why, wlen, "receive: %s", strerror(errno));
		return false;
	}
	if ((__u32)n != len || r.len != len || r.prio != prio) {
		snprintf(why, wlen, "got %zd bytes (len %u) prio %u, want %u prio %u",
			 n, r.len, r.prio, len, prio);
		return false;
	}
	bad = pbad(buf, len, seed);
	if (bad >= 0) {
		snprintf(why, wlen, "byte %ld of %u differs", bad, len);
		return false;
	}
	bad = canary_bad(buf, len, cap);
	if (bad >= 0) {
		snprintf(why, wlen, "byte %ld past the %u-byte message written",
			 bad, len);
		return false;
	}
	return true;
}

#define RECV_CHECK(fd, buf, cap, flags, len, seed, prio) do {		\
	char __why[128] = "";						\
	ASSERT_TRUE(recv_check((fd), (buf), (cap), (flags), (len),	\
			       (seed), (prio), __why, sizeof(__why)))	\
		TH_LOG("size %u seed %u: %s", (unsigned int)(len),	\
		       (unsigned int)(seed), __why);			\
} while (0)

static __u64 attr_of_bytes(int fd)
{
	struct msgq_attr a;

	if (msgq_getattr(fd, &a))
		return ~0ull;
	return a.cur_bytes;
}

static unsigned long long sum_sizes(void)
{
	unsigned long long s = 0;
	unsigned int i;

	for (i = 0; i < NSIZES; i++)
		s += sizes[i];
	return s;
}

/* A small deterministic generator (xorshift64*). */
static uint64_t rng_state;

static void rng_seed(uint64_t seed)
{
	rng_state = seed ? seed : 0x9e3779b97f4a7c15ull;
}

static uint32_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* The module's max_msgsize parameter (capped by the UAPI limit). */
static __u32 module_max_msgsize(void)
{
	FILE *f = fopen("/sys/module/msgq/parameters/max_msgsize", "re");
	unsigned long v = MSGQ_MAX_MSGSIZE_LIMIT;

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = MSGQ_MAX_MSGSIZE_LIMIT;
		fclose(f);
	}
	if (v > MSGQ_MAX_MSGSIZE_LIMIT)
		v = MSGQ_MAX_MSGSIZE_LIMIT;
	return (__u32)v;
}

/* ------------------------------------------------------------------ */
/* Every size, each way */

/* MSGQ_IOC_SEND/RECV, one message at a time; the sender's buffer is
 * overwritten before the receive (the kernel keeps its own copy) */
TEST_F(msgq, sizes_ioctl_one_at_a_time)
{
	unsigned char *out = malloc(MAXSZ), *in = canary_buf(MAXSZ + 64);
	struct msgq_attr a;
	unsigned int i;

	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, in);
	MBOX_CREATE(4, MAXSZ);
	for (i = 0; i < NSIZES; i++) {
		ASSERT_EQ(0, send_pat(self->fd, out, sizes[i], 10 + i, i % 64))
			TH_LOG("size %u: %s", sizes[i], strerror(errno));
		memset(out, 0, sizes[i]);
		ASSERT_EQ(0, msgq_getattr(self->fd, &a));
		ASSERT_EQ(1U, a.cur_msgs);
		ASSERT_EQ(sizes[i], a.cur_bytes);
		RECV_CHECK(self->fd, in, MAXSZ + 64, 0, sizes[i], 10 + i,
			   i % 64);
	}
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(0U, a.cur_msgs);
	ASSERT_EQ(0U, a.cur_bytes);
	ASSERT_EQ((__u64)NSIZES, a.total_sent);
	ASSERT_EQ((__u64)NSIZES, a.total_received);
	free(out);
	free(in);
}

/* all sizes queued together, then received in order; then the same
 * in reverse order, so that the shapes alternate in other ways */
TEST_F(msgq, sizes_ioctl_all_queued)
{
	unsigned char *out = malloc(MAXSZ), *in = canary_buf(MAXSZ + 64);
	struct msgq_attr a;
	unsigned int i, round, k;

	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, in);
	MBOX_CREATE(NSIZES, MAXSZ);
	for (round = 0; round < 2; round++) {
		for (k = 0; k < NSIZES; k++) {
			i = round ? NSIZES - 1 - k : k;
			ASSERT_EQ(0, send_pat(self->fd, out, sizes[i],
					      100 * round + i, 3))
				TH_LOG("size %u: %s", sizes[i],
				       strerror(errno));
		}
		ASSERT_EQ(0, msgq_getattr(self->fd, &a));
		ASSERT_EQ(NSIZES, a.cur_msgs);
		ASSERT_EQ(sum_sizes(), a.cur_bytes);
		for (k = 0; k < NSIZES; k++) {
			i = round ? NSIZES - 1 - k : k;
			RECV_CHECK(self->fd, in, MAXSZ + 64, 0, sizes[i],
				   100 * round + i, 3);
		}
		ASSERT_EQ(0, mbox_depth(self->fd));
	}
	free(out);
	free(in);
}

/* write(2)/read(2): every size, with a buffer of exactly the size, one
 * byte short (EMSGSIZE, the message stays) and a larger one */
TEST_F(msgq, sizes_write_read)
{
	unsigned char *out = malloc(MAXSZ + 1), *in = canary_buf(MAXSZ + 64);
	unsigned int i;
	long bad;

	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, in);
	MBOX_CREATE(NSIZES, MAXSZ);
	for (i = 0; i < NSIZES; i++) {
		pfill(out, sizes[i], 200 + i);
		ASSERT_EQ((ssize_t)sizes[i], write(self->fd, out, sizes[i]))
			TH_LOG("size %u: %s", sizes[i], strerror(errno));
		memset(out, 0, sizes[i]);
		if (sizes[i]) {
			ASSERT_ERRNO(EMSGSIZE,
				     read(self->fd, in, sizes[i] - 1));
		}
		memset(in, CANARY, MAXSZ + 64);
		ASSERT_EQ((ssize_t)sizes[i], read(self->fd, in, sizes[i]))
			TH_LOG("size %u: %s", sizes[i], strerror(errno));
		bad = pbad(in, sizes[i], 200 + i);
		ASSERT_EQ(-1, bad) TH_LOG("size %u", sizes[i]);
		ASSERT_EQ(-1, canary_bad(in, sizes[i], MAXSZ + 64));
	}
	/* all queued, read back with a large buffer */
	for (i = 0; i < NSIZES; i++) {
		pfill(out, sizes[i], 300 + i);
		ASSERT_EQ((ssize_t)sizes[i], write(self->fd, out, sizes[i]));
	}
	ASSERT_EQ((long)NSIZES, mbox_depth(self->fd));
	for (i = 0; i < NSIZES; i++) {
		memset(in, CANARY, MAXSZ + 64);
		ASSERT_EQ((ssize_t)sizes[i], read(self->fd, in, MAXSZ + 64));
		ASSERT_EQ(-1, pbad(in, sizes[i], 300 + i))
			TH_LOG("size %u", sizes[i]);
		ASSERT_EQ(-1, canary_bad(in, sizes[i], MAXSZ + 64));
	}
	/* write(2) of max_msgsize + 1: EMSGSIZE */
	ASSERT_ERRNO(EMSGSIZE, write(self->fd, out, MAXSZ + 1));
	ASSERT_EQ(0, mbox_depth(self->fd));
	free(out);
	free(in);
}

/* batches: all sizes in one send batch and one receive batch, and the
 * batch calls mixed with single ones both ways */
TEST_F(msgq, sizes_batches)
{
	unsigned char *out[NSIZES], *in[NSIZES];
	struct msgq_mmsg e[NSIZES];
	unsigned int i, round;

	for (i = 0; i < NSIZES; i++) {
		out[i] = malloc(sizes[i] ? sizes[i] : 1);
		in[i] = malloc(MAXSZ);
		ASSERT_NE(NULL, out[i]);
		ASSERT_NE(NULL, in[i]);
		pfill(out[i], sizes[i], 400 + i);
	}
	MBOX_CREATE(NSIZES, MAXSZ);
	for (round = 0; round < 3; round++) {
		/* round 0: batch, batch; 1: batch, singles; 2: singles, batch */
		if (round < 2) {
			memset(e, 0, sizeof(e));
			for (i = 0; i < NSIZES; i++) {
				e[i].buf = ptr_to_u64(out[i]);
				e[i].len = sizes[i];
				e[i].prio = 2;
			}
			ASSERT_EQ((int)NSIZES,
				  msgq_send_batch(self->fd, e, NSIZES, 0))
				TH_LOG("%s", strerror(errno));
		} else {
			for (i = 0; i < NSIZES; i++) {
				ASSERT_EQ(0, msgq_send(self->fd, out[i],
						       sizes[i], 2));
			}
		}
		ASSERT_EQ(sum_sizes(), attr_of_bytes(self->fd));
		if (round == 1) {
			for (i = 0; i < NSIZES; i++)
				RECV_CHECK(self->fd, in[i], MAXSZ, 0, sizes[i],
					   400 + i, 2);
			continue;
		}
		memset(e, 0, sizeof(e));
		for (i = 0; i < NSIZES; i++) {
			memset(in[i], CANARY, MAXSZ);
			e[i].buf = ptr_to_u64(in[i]);
			/* round 2: each entry exactly as large as its message */
			e[i].len = round == 2 ? sizes[i] : MAXSZ;
		}
		ASSERT_EQ((int)NSIZES, msgq_recv_batch(self->fd, e, NSIZES, 0))
			TH_LOG("%s", strerror(errno));
		for (i = 0; i < NSIZES; i++) {
			ASSERT_EQ(sizes[i], e[i].len);
			ASSERT_EQ(2U, e[i].prio);
			ASSERT_EQ(-1, pbad(in[i], sizes[i], 400 + i))
				TH_LOG("round %u size %u", round, sizes[i]);
			ASSERT_EQ(-1, canary_bad(in[i], sizes[i], MAXSZ))
				TH_LOG("round %u size %u", round, sizes[i]);
		}
		ASSERT_EQ(0, mbox_depth(self->fd));
	}
	for (i = 0; i < NSIZES; i++) {
		free(out[i]);
		free(in[i]);
	}
}

/*
 * Mailboxes of many max_msgsize values, the module's largest included:
 * every listed size up to it, and exactly it, come back intact; one more
 * byte is EMSGSIZE by ioctl, write and batch.
 */
TEST_F_TIMEOUT(msgq, sizes_up_to_max_msgsize, 120)
{
	__u32 limit = module_max_msgsize();
	const __u32 maxes[] = {
		1, 63, 64, 65, 447, 448, 449, 512, 4031, 4032, 4033, 4096,
		4097, 8193, MAXSZ, limit,
	};
	unsigned char *out = malloc(limit + 1), *in = canary_buf(limit + 64);
	struct msgq_mmsg e;
	unsigned int m, i;

	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, in);
	TH_LOG("module max_msgsize %u", limit);
	for (m = 0; m < ARRAY_SIZE(maxes); m++) {
		__u32 max = maxes[m];

		MBOX_CREATE(2, max);
		for (i = 0; i <= NSIZES; i++) {
			__u32 len = i < NSIZES ? sizes[i] : max;

			if (len > max)
				continue;
			ASSERT_EQ(0, send_pat(self->fd, out, len, m * 64 + i,
					      1))
				TH_LOG("max %u size %u: %s", max, len,
				       strerror(errno));
			RECV_CHECK(self->fd, in, max + 64, 0, len,
				   m * 64 + i, 1);
		}
		/* and with a buffer of exactly max_msgsize */
		ASSERT_EQ(0, send_pat(self->fd, out, max, m, 0));
		RECV_CHECK(self->fd, in, max, 0, max, m, 0);
		ASSERT_ERRNO(EMSGSIZE, msgq_send(self->fd, out, max + 1, 0));
		ASSERT_ERRNO(EMSGSIZE, write(self->fd, out, max + 1));
		memset(&e, 0, sizeof(e));
		e.buf = ptr_to_u64(out);
		e.len = max + 1;
		ASSERT_ERRNO(EMSGSIZE, msgq_send_batch(self->fd, &e, 1, 0));
		ASSERT_EQ(0, mbox_depth(self->fd));
		close(self->fd);
		self->fd = -1;
		ASSERT_EQ(0, msgq_unlink_at(self->dev, self->name));
	}
	free(out);
	free(in);
}

/* ------------------------------------------------------------------ */
/* Order across shapes */

struct model_msg {
	unsigned int seq;
	__u32 len;
	__u32 prio;
};

/* The index in @q[0..n) of the message a receive takes, or -1. */
static int model_head(const struct model_msg *q, unsigned int n)
{
	unsigned int i;
	int best = -1;

	for (i = 0; i < n; i++)
		if (best < 0 || q[i].prio > q[best].prio ||
		    (q[i].prio == q[best].prio && q[i].seq < q[best].seq))
			best = (int)i;
	return best;
}

/*
 * Random sizes from the list at five priorities, sends, receives and peeks
 * interleaved against a model: every receive is the highest priority's
 * oldest message, whatever shape it and its neighbours have.
 */
TEST_F_TIMEOUT(msgq, interleaved_sizes_priorities_order, 120)
{
	enum { DEPTH = 24, OPS = 3000 };
	static const __u32 prios[] = { 0, 1, 7, 31, 63 };
	struct model_msg q[DEPTH];
	unsigned char *out = malloc(MAXSZ), *in = canary_buf(MAXSZ + 64);
	unsigned int n = 0, seq = 0, op, sent = 0, recvd = 0;
	unsigned long long bytes = 0;
	struct msgq_attr a;
	uint64_t seed = now_ns(CLOCK_REALTIME);

	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, in);
	TH_LOG("seed %llu", (unsigned long long)seed);
	rng_seed(seed);
	MBOX_CREATE(DEPTH, MAXSZ);
	for (op = 0; op < OPS || n; op++) {
		uint32_t r = rng();
		int h;

		if (op < OPS && n < DEPTH && (n == 0 || r % 8 < 4)) {
			struct model_msg *m = &q[n++];

			m->seq = seq++;
			m->len = sizes[rng() % NSIZES];
			m->prio = prios[rng() % ARRAY_SIZE(prios)];
			ASSERT_EQ(0, send_pat(self->fd, out, m->len, m->seq,
					      m->prio))
				TH_LOG("send %u: %s", m->seq, strerror(errno));
			bytes += m->len;
			sent++;
			continue;
		}
		h = model_head(q, n);
		if (op < OPS && r % 8 == 7) {
			RECV_CHECK(self->fd, in, MAXSZ + 64, MSGQ_F_PEEK,
				   q[h].len, q[h].seq, q[h].prio);
			continue;
		}
		RECV_CHECK(self->fd, in, MAXSZ + 64, 0, q[h].len, q[h].seq,
			   q[h].prio);
		bytes -= q[h].len;
		q[h] = q[--n];
		recvd++;
		if (op % 64 == 0) {
			ASSERT_EQ(0, msgq_getattr(self->fd, &a));
			ASSERT_EQ(n, a.cur_msgs);
			ASSERT_EQ(bytes, a.cur_bytes);
		}
	}
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(0U, a.cur_msgs);
	ASSERT_EQ(0U, a.cur_bytes);
	ASSERT_EQ(sent, a.total_sent);
	ASSERT_EQ(recvd, a.total_received);
	ASSERT_EQ(sent, recvd);
	free(out);
	free(in);
}

/* ------------------------------------------------------------------ */
/* Faults part-way */

/* Sizes for the fault tests: each shape, with room for a partial copy. */
static const __u32 fault_sizes[] = {
	2, 64, 447, 448, 449, 513, 4031, 4032, 4033, 4097, 8193, 65535, 65536,
};

/*
 * A receive buffer whose tail is PROT_NONE: the first half of the message
 * fits, the rest faults. RECV, PEEK, read(2) and a one-entry receive batch
 * fail EFAULT; the message stays first in line, the one behind it second,
 * and both come back intact into a good buffer.
 */
TEST_F(msgq, recv_fault_part_way_keeps_message)
{
	unsigned char *out = malloc(MAXSZ), *good = canary_buf(MAXSZ + 64);
	struct msgq_attr a;
	unsigned int i;

	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, good);
	MBOX_CREATE(4, MAXSZ);
	for (i = 0; i < ARRAY_SIZE(fault_sizes); i++) {
		__u32 len = fault_sizes[i];
		struct msgq_recv r;
		struct msgq_mmsg e;
		unsigned char *bad;
		size_t map_len;
		void *map;

		bad = faulting_buf(len, len / 2, &map, &map_len);
		ASSERT_NE(NULL, bad);
		ASSERT_EQ(0, send_pat(self->fd, out, len, 500 + i, 5));
		ASSERT_EQ(0, send_pat(self->fd, out, 40, 600 + i, 5));

		ASSERT_ERRNO(EFAULT, msgq_recv(self->fd, bad, len, NULL));
		ASSERT_ERRNO(EFAULT, msgq_peek(self->fd, bad, len, NULL));
		ASSERT_ERRNO(EFAULT, read(self->fd, bad, len));
		memset(&e, 0, sizeof(e));
		e.buf = ptr_to_u64(bad);
		e.len = len;
		ASSERT_ERRNO(EFAULT, msgq_recv_batch(self->fd, &e, 1,
						     MSGQ_F_NONBLOCK));
		/* a larger capacity than the message changes nothing */
		memset(&r, 0, sizeof(r));
		r.buf = ptr_to_u64(bad);
		r.cap = len + 100;
		ASSERT_ERRNO(EFAULT, msgq_recv_args(self->fd, &r));

		ASSERT_EQ(0, msgq_getattr(self->fd, &a));
		ASSERT_EQ(2U, a.cur_msgs) TH_LOG("size %u", len);
		ASSERT_EQ((__u64)len + 40, a.cur_bytes) TH_LOG("size %u", len);
		ASSERT_EQ(0U, a.total_received);
		RECV_CHECK(self->fd, good, MAXSZ + 64, 0, len, 500 + i, 5);
		RECV_CHECK(self->fd, good, MAXSZ + 64, 0, 40, 600 + i, 5);
		munmap(map, map_len);
		/* start the counts afresh for the next size */
		close(self->fd);
		self->fd = -1;
		ASSERT_EQ(0, msgq_unlink_at(self->dev, self->name));
		MBOX_CREATE(4, MAXSZ);
	}
	free(out);
	free(good);
}

/*
 * A receive batch whose second entry faults part-way through a large
 * message returns 1; the large message and the one behind it stay queued
 * in order, intact.
 */
TEST_F(msgq, recv_batch_fault_part_way_puts_back)
{
	unsigned char *out = malloc(MAXSZ), *good = canary_buf(MAXSZ + 64);
	unsigned char first[128], *bad;
	struct msgq_mmsg e[3];
	size_t map_len;
	void *map;

	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, good);
	bad = faulting_buf(MAXSZ, 3 * MAXSZ / 4, &map, &map_len);
	ASSERT_NE(NULL, bad);
	MBOX_CREATE(4, MAXSZ);
	ASSERT_EQ(0, send_pat(self->fd, out, 100, 1, 0));
	ASSERT_EQ(0, send_pat(self->fd, out, MAXSZ, 2, 0));
	ASSERT_EQ(0, send_pat(self->fd, out, 300, 3, 0));
	memset(e, 0, sizeof(e));
	e[0].buf = ptr_to_u64(first);
	e[0].len = sizeof(first);
	e[1].buf = ptr_to_u64(bad);
	e[1].len = MAXSZ;
	e[2].buf = ptr_to_u64(good);
	e[2].len = MAXSZ;
	ASSERT_EQ(1, msgq_recv_batch(self->fd, e, 3, 0));
	ASSERT_EQ(100U, e[0].len);
	ASSERT_EQ(-1, pbad(first, 100, 1));
	ASSERT_EQ(2, mbox_depth(self->fd));
	ASSERT_EQ((__u64)MAXSZ + 300, attr_of_bytes(self->fd));
	RECV_CHECK(self->fd, good, MAXSZ + 64, 0, MAXSZ, 2, 0);
	RECV_CHECK(self->fd, good, MAXSZ + 64, 0, 300, 3, 0);
	munmap(map, map_len);
	free(out);
	free(good);
}

/*
 * A send whose source faults part-way: EFAULT by ioctl, write(2) and a
 * one-entry batch, and nothing is queued (cur_msgs, cur_bytes and
 * total_sent unchanged); a message queued before is untouched, and the
 * next good send of the same size comes back intact (no bytes of the
 * failed one).
 */
TEST_F(msgq, send_fault_part_way_queues_nothing)
{
	unsigned char *out = malloc(MAXSZ), *good = canary_buf(MAXSZ + 64);
	struct msgq_attr a;
	unsigned int i;

	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, good);
	MBOX_CREATE(4, MAXSZ);
	ASSERT_EQ(0, send_pat(self->fd, out, 449, 7, 2));	/* bystander */
	for (i = 0; i < ARRAY_SIZE(fault_sizes); i++) {
		__u32 len = fault_sizes[i];
		struct msgq_mmsg e;
		unsigned char *src;
		size_t map_len;
		void *map;

		src = faulting_buf(len, len / 2, &map, &map_len);
		ASSERT_NE(NULL, src);
		pfill(src, len / 2, 900 + i);

		ASSERT_ERRNO(EFAULT, msgq_send(self->fd, src, len, 3));
		ASSERT_ERRNO(EFAULT, write(self->fd, src, len));
		memset(&e, 0, sizeof(e));
		e.buf = ptr_to_u64(src);
		e.len = len;
		ASSERT_ERRNO(EFAULT, msgq_send_batch(self->fd, &e, 1, 0));
		ASSERT_EQ(0, msgq_getattr(self->fd, &a));
		ASSERT_EQ(1U, a.cur_msgs) TH_LOG("size %u", len);
		ASSERT_EQ(449U, a.cur_bytes) TH_LOG("size %u", len);
		ASSERT_EQ(1U + i, a.total_sent) TH_LOG("size %u", len);

		/* the same size from good memory, a different pattern */
		ASSERT_EQ(0, send_pat(self->fd, out, len, 1000 + i, 3));
		RECV_CHECK(self->fd, good, MAXSZ + 64, 0, len, 1000 + i, 3);
		munmap(map, map_len);
	}
	RECV_CHECK(self->fd, good, MAXSZ + 64, 0, 449, 7, 2);
	ASSERT_EQ(0, mbox_depth(self->fd));
}

/* a send batch whose second entry faults part-way: 1 sent, the rest not */
TEST_F(msgq, send_batch_fault_part_way_stops_there)
{
	unsigned char *out0 = malloc(MAXSZ), *out2 = malloc(MAXSZ);
	unsigned char *good = canary_buf(MAXSZ + 64), *src;
	struct msgq_mmsg e[3];
	struct msgq_attr a;
	size_t map_len;
	void *map;

	ASSERT_NE(NULL, out0);
	ASSERT_NE(NULL, out2);
	ASSERT_NE(NULL, good);
	src = faulting_buf(MAXSZ, MAXSZ - 100, &map, &map_len);
	ASSERT_NE(NULL, src);
	MBOX_CREATE(4, MAXSZ);
	pfill(out0, 5000, 1);
	pfill(out2, 200, 3);
	memset(e, 0, sizeof(e));
	e[0].buf = ptr_to_u64(out0);
	e[0].len = 5000;
	e[1].buf = ptr_to_u64(src);
	e[1].len = MAXSZ;
	e[2].buf = ptr_to_u64(out2);
	e[2].len = 200;
	ASSERT_EQ(1, msgq_send_batch(self->fd, e, 3, 0));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(1U, a.cur_msgs);
	ASSERT_EQ(5000U, a.cur_bytes);
	ASSERT_EQ(1U, a.total_sent);
	RECV_CHECK(self->fd, good, MAXSZ + 64, 0, 5000, 1, 0);
	munmap(map, map_len);
	free(out0);
	free(out2);
	free(good);
}

/* ------------------------------------------------------------------ */
/* Slot reuse */

/*
 * 10000 messages of random small sizes (0..512: pooled slots and just
 * above) through a 64-deep mailbox at a random fill level: each comes out
 * in order with its bytes, nothing past them; the counters stay exact.
 */
TEST_F_TIMEOUT(msgq, slot_reuse_many_cycles, 120)
{
	enum { DEPTH = 64, MSGS = 10000, MAXS = 512 };
	struct model_msg q[DEPTH];
	unsigned char out[MAXS], in[MAXS + 64];
	unsigned int head = 0, n = 0, seq = 0, recvd = 0;
	unsigned long long bytes = 0;
	uint64_t seed = now_ns(CLOCK_REALTIME);
	struct msgq_attr a;

	TH_LOG("seed %llu", (unsigned long long)seed);
	rng_seed(seed);
	MBOX_CREATE(DEPTH, MAXS);
	while (recvd < MSGS) {
		uint32_t r = rng();

		if (seq < MSGS && n < DEPTH && (n == 0 || r % 2)) {
			struct model_msg *m = &q[(head + n++) % DEPTH];

			m->seq = seq++;
			/* mostly slots; sometimes the largest slot and above */
			m->len = r % 16 ? (rng() % 449) : 449 + rng() % 64;
			ASSERT_EQ(0, send_pat(self->fd, out, m->len, m->seq, 0))
				TH_LOG("send %u: %s", m->seq, strerror(errno));
			bytes += m->len;
		} else {
			struct model_msg *m = &q[head];

			RECV_CHECK(self->fd, in, sizeof(in), 0, m->len, m->seq,
				   0);
			bytes -= m->len;
			head = (head + 1) % DEPTH;
			n--;
			recvd++;
		}
		if ((seq + recvd) % 997 == 0) {
			ASSERT_EQ(0, msgq_getattr(self->fd, &a));
			ASSERT_EQ(n, a.cur_msgs);
			ASSERT_EQ(bytes, a.cur_bytes);
			ASSERT_EQ(seq, a.total_sent);
			ASSERT_EQ(recvd, a.total_received);
		}
	}
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(0U, a.cur_msgs);
	ASSERT_EQ(0U, a.cur_bytes);
	ASSERT_EQ((__u64)MSGS, a.total_sent);
	ASSERT_EQ((__u64)MSGS, a.total_received);
}

/*
 * A slot last used by a long message, reused for a shorter one: only the
 * short message's bytes come out, by ioctl, read(2), peek and batch.
 */
TEST_F(msgq, slot_reuse_shorter_message_no_stale_bytes)
{
	unsigned char out[448], in[448 + 64];
	struct msgq_mmsg e;
	unsigned int round;
	__u32 len;

	MBOX_CREATE(1, 448);
	for (round = 0; round < 4; round++) {
		for (len = 448; len > 0; len = len * 2 / 3) {
			ASSERT_EQ(0, send_pat(self->fd, out, 448, len, 0));
			RECV_CHECK(self->fd, in, sizeof(in), 0, 448, len, 0);
			ASSERT_EQ(0, send_pat(self->fd, out, len, ~len, 0));
			switch (round) {
			case 0:
				RECV_CHECK(self->fd, in, sizeof(in), 0, len,
					   ~len, 0);
				break;
			case 1:
				memset(in, CANARY, sizeof(in));
				ASSERT_EQ((ssize_t)len,
					  read(self->fd, in, sizeof(in)));
				ASSERT_EQ(-1, pbad(in, len, ~len));
				ASSERT_EQ(-1, canary_bad(in, len, sizeof(in)));
				break;
			case 2:
				RECV_CHECK(self->fd, in, sizeof(in),
					   MSGQ_F_PEEK, len, ~len, 0);
				RECV_CHECK(self->fd, in, sizeof(in), 0, len,
					   ~len, 0);
				break;
			case 3:
				memset(in, CANARY, sizeof(in));
				memset(&e, 0, sizeof(e));
				e.buf = ptr_to_u64(in);
				e.len = sizeof(in);
				ASSERT_EQ(1, msgq_recv_batch(self->fd, &e, 1,
							     0));
				ASSERT_EQ(len, e.len);
				ASSERT_EQ(-1, pbad(in, len, ~len));
				ASSERT_EQ(-1, canary_bad(in, len, sizeof(in)));
				break;
			}
		}
	}
	/* and a zero-length message in a slot that held 448 bytes */
	ASSERT_EQ(0, send_pat(self->fd, out, 448, 1, 0));
	RECV_CHECK(self->fd, in, sizeof(in), 0, 448, 1, 0);
	ASSERT_EQ(0, msgq_send(self->fd, out, 0, 0));
	RECV_CHECK(self->fd, in, sizeof(in), 0, 0, 0, 0);
}

/* ------------------------------------------------------------------ */
/* Peek */

/* a peek, a second peek and the receive return identical bytes */
TEST_F(msgq, peek_then_recv_identical)
{
	unsigned char *out = malloc(MAXSZ), *p1 = canary_buf(MAXSZ + 64);
	unsigned char *p2 = canary_buf(MAXSZ + 64), *rv = canary_buf(MAXSZ + 64);
	struct msgq_recv r;
	unsigned int i;

	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, p1);
	ASSERT_NE(NULL, p2);
	ASSERT_NE(NULL, rv);
	MBOX_CREATE(4, MAXSZ);
	for (i = 0; i < NSIZES; i++) {
		__u32 len = sizes[i];

		ASSERT_EQ(0, send_pat(self->fd, out, len, 700 + i, 4));
		ASSERT_EQ(0, send_pat(self->fd, out, 8, 800 + i, 4));
		RECV_CHECK(self->fd, p1, MAXSZ + 64, MSGQ_F_PEEK, len,
			   700 + i, 4);
		/* a peek into a buffer of exactly its size */
		RECV_CHECK(self->fd, p2, len, MSGQ_F_PEEK, len, 700 + i, 4);
		if (len) {
			memset(&r, 0, sizeof(r));
			r.buf = ptr_to_u64(p2);
			r.cap = len - 1;
			r.flags = MSGQ_F_PEEK;
			ASSERT_ERRNO(EMSGSIZE, msgq_recv_args(self->fd, &r));
			ASSERT_EQ(len, r.len);
		}
		ASSERT_EQ(2, mbox_depth(self->fd));
		RECV_CHECK(self->fd, rv, MAXSZ + 64, 0, len, 700 + i, 4);
		ASSERT_EQ(0, memcmp(p1, rv, MAXSZ + 64)) TH_LOG("size %u", len);
		RECV_CHECK(self->fd, rv, MAXSZ + 64, 0, 8, 800 + i, 4);
	}
	free(out);
	free(p1);
	free(p2);
	free(rv);
}

/*
 * A peeker races a receiver while a producer keeps the mailbox busy with
 * small (slot) and some large messages: a received slot is recycled while
 * a peek may still be copying from it. Every payload carries its own
 * sequence number and length; no peek and no receive may see a torn or
 * foreign payload, and the receiver sees every message once, in order.
 */
struct race {
	int fd;
	unsigned int msgs;
	int stop;
	int bad;		/* first problem, as a code */
	unsigned int bad_seq;
	unsigned long peeks;
	unsigned int received;
};

/* A self-describing payload: seq, len, then the pattern of seq. */
static void race_fill(unsigned char *buf, __u32 len, unsigned int seq)
{
	pfill(buf, len, seq);
	memcpy(buf, &seq, sizeof(seq));
	memcpy(buf + 4, &len, sizeof(len));
}

/* A payload race_fill() made, whole: its own length, its own pattern. */
static bool race_body_ok(const unsigned char *buf, __u32 len)
{
	unsigned int seq;
	__u32 l;
	size_t i;

	if (len < 8)
		return false;
	memcpy(&seq, buf, sizeof(seq));
	memcpy(&l, buf + 4, sizeof(l));
	if (l != len)
		return false;
	for (i = 8; i < len; i++)
		if (buf[i] != pbyte(seq, i))
			return false;
	return true;
}

static long race_peeker(void *arg)
{
	struct race *rc = arg;
	unsigned char *buf = malloc(MAXSZ);
	struct msgq_recv r;

	while (buf && !__atomic_load_n(&rc->stop, __ATOMIC_SEQ_CST)) {
		memset(&r, 0, sizeof(r));
		r.buf = ptr_to_u64(buf);
		r.cap = MAXSZ;
		r.flags = MSGQ_F_PEEK | MSGQ_F_NONBLOCK;
		if (msgq_recv_args(rc->fd, &r) < 0) {
			if (errno != EAGAIN && !rc->bad)
				rc->bad = 1;
			continue;
		}
		rc->peeks++;
		if (!race_body_ok(buf, r.len) && !rc->bad) {
			memcpy(&rc->bad_seq, buf, sizeof(rc->bad_seq));
			rc->bad = 2;
		}
	}
	free(buf);
	return 0;
}

static long race_receiver(void *arg)
{
	struct race *rc = arg;
	unsigned char *buf = malloc(MAXSZ);
	unsigned int seq;
	ssize_t n;

	while (buf && rc->received < rc->msgs) {
		n = msgq_recv(rc->fd, buf, MAXSZ, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc->bad = 3;
			break;
		}
		memcpy(&seq, buf, sizeof(seq));
		if (!race_body_ok(buf, (__u32)n) || seq != rc->received) {
			rc->bad_seq = rc->received;
			rc->bad = 4;
			break;
		}
		rc->received++;
	}
	free(buf);
	return 0;
}

TEST_F_TIMEOUT(msgq, peek_races_receive_slot_reuse, 120)
{
	struct race rc = { .msgs = 20000 };
	unsigned char *out = malloc(MAXSZ);
	struct call pk = { .op = CALL_FN, .fn = race_peeker, .arg = &rc };
	struct call rv = { .op = CALL_FN, .fn = race_receiver, .arg = &rc };
	unsigned int seq;
	uint64_t seed = now_ns(CLOCK_REALTIME);

	ASSERT_NE(NULL, out);
	TH_LOG("seed %llu", (unsigned long long)seed);
	rng_seed(seed);
	MBOX_CREATE(8, MAXSZ);
	rc.fd = self->fd;
	ASSERT_TRUE(call_start(&pk));
	ASSERT_TRUE(call_start(&rv));
	for (seq = 0; seq < rc.msgs && !rc.bad; seq++) {
		uint32_t r = rng();
		__u32 len = r % 64 ? 8 + (r >> 8) % (448 - 8 + 1) :
			    sizes[12 + (r >> 8) % (NSIZES - 12)];

		race_fill(out, len, seq);
		ASSERT_EQ(0, msgq_send(self->fd, out, len, 0))
			TH_LOG("send %u: %s", seq, strerror(errno));
	}
	/* stopped early: the receiver waits for the rest, do not join it */
	if (seq < rc.msgs)
		ASSERT_EQ(0, rc.bad) TH_LOG("problem %d at message %u",
					    rc.bad, rc.bad_seq);
	call_wait(&rv, -1);
	__atomic_store_n(&rc.stop, 1, __ATOMIC_SEQ_CST);
	call_wait(&pk, -1);
	TH_LOG("%lu peeks, %u received", rc.peeks, rc.received);
	ASSERT_EQ(0, rc.bad) TH_LOG("problem %d at message %u", rc.bad,
				    rc.bad_seq);
	ASSERT_EQ(rc.msgs, rc.received);
	ASSERT_EQ(0, mbox_depth(self->fd));
	free(out);
}

/* ------------------------------------------------------------------ */
/* The payload belongs to the kernel once sent */

/* sent by a child that exits, and from memory unmapped after the send */
TEST_F(msgq, payload_outlives_sender_memory)
{
	static const __u32 lens[] = { 1, 448, 449, 4033, 8193, MAXSZ };
	unsigned char *in = canary_buf(MAXSZ + 64);
	unsigned int i;
	pid_t pid;

	ASSERT_NE(NULL, in);
	MBOX_CREATE(2 * ARRAY_SIZE(lens), MAXSZ);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned char *out = malloc(MAXSZ);

		for (i = 0; out && i < ARRAY_SIZE(lens); i++)
			if (send_pat(self->fd, out, lens[i], 50 + i, 1))
				_exit(1);
		_exit(out ? 0 : 2);
	}
	ASSERT_EQ(0, wait_child_ms(pid, 10000));
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		size_t len = round_up_pg(MAXSZ);
		unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		ASSERT_NE(MAP_FAILED, m);
		ASSERT_EQ(0, send_pat(self->fd, m, lens[i], 60 + i, 0));
		ASSERT_EQ(0, munmap(m, len));
	}
	for (i = 0; i < ARRAY_SIZE(lens); i++)
		RECV_CHECK(self->fd, in, MAXSZ + 64, 0, lens[i], 50 + i, 1);
	for (i = 0; i < ARRAY_SIZE(lens); i++)
		RECV_CHECK(self->fd, in, MAXSZ + 64, 0, lens[i], 60 + i, 0);
	free(in);
}

/* a rendezvous mailbox hands every size over intact, blocking and sync */
struct rdv {
	int fd;
	unsigned int n;
	int bad;
	unsigned int got;
};

static long rdv_receiver(void *arg)
{
	struct rdv *rd = arg;
	unsigned char *buf = canary_buf(MAXSZ + 64);
	ssize_t n;

	while (buf && rd->got < rd->n) {
		unsigned int i = rd->got % NSIZES;

		memset(buf, CANARY, MAXSZ + 64);
		n = msgq_recv(rd->fd, buf, MAXSZ + 64, NULL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizes[i] || pbad(buf, sizes[i], rd->got) >= 0 ||
		    canary_bad(buf, sizes[i], MAXSZ + 64) >= 0) {
			rd->bad = 1;
			break;
		}
		rd->got++;
	}
	free(buf);
	return 0;
}

TEST_F(msgq, rendezvous_sizes)
{
	struct rdv rd = { .n = 2 * NSIZES };
	unsigned char *out = malloc(MAXSZ);
	struct msgq_send s;
	struct call th = { .op = CALL_FN, .fn = rdv_receiver, .arg = &rd };
	unsigned int k;

	ASSERT_NE(NULL, out);
	MBOX_CREATE(0, MAXSZ);
	rd.fd = self->fd;
	ASSERT_TRUE(call_start(&th));
	for (k = 0; k < rd.n && !rd.bad; k++) {
		__u32 len = sizes[k % NSIZES];

		pfill(out, len, k);
		memset(&s, 0, sizeof(s));
		s.buf = ptr_to_u64(out);
		s.len = len;
		/* the second round with an explicit MSGQ_F_SYNC */
		s.flags = MSGQ_F_TIMEOUT | (k >= NSIZES ? MSGQ_F_SYNC : 0);
		s.timeout.tv_sec = 10;
		ASSERT_EQ(0, msgq_send_args(self->fd, &s))
			TH_LOG("size %u: %s", len, strerror(errno));
	}
	call_wait(&th, -1);
	ASSERT_EQ(0, rd.bad) TH_LOG("message %u wrong", rd.got);
	ASSERT_EQ(rd.n, rd.got);
	free(out);
}

TEST_HARNESS_MAIN
