// SPDX-License-Identifier: GPL-2.0
/*
 * A bounded fuzzer of the whole msgq surface, with real traffic alongside.
 *
 * For MSGQ_FUZZ_SECS seconds (default 15), with the seed printed and
 * settable through MSGQ_FUZZ_SEED:
 *
 * - FUZZERS processes throw random ioctl numbers (msgq's magic with random
 *   nr/size/direction, and fully random ones), random struct contents, bad,
 *   unmapped, read-only and page-straddling pointers, random names, sizes,
 *   priorities, flags, clocks and timeouts, descriptors to carry (open,
 *   refused, closed, too many) and room to receive them,
 *   read/write/poll/dup/close, and
 *   children killed in the middle of blocking calls, at /dev/msgq and at
 *   mailbox handles. Two run as unprivileged users, one as root (it keeps
 *   away from the traffic's names), one as an unprivileged user that then
 *   enters a user namespace with an IPC namespace of its own, keeping a
 *   /dev/msgq handle of the first. An interval timer interrupts their
 *   blocking calls.
 *   The fuzzers check what they can: the errno of every failure is one the
 *   UAPI documents for that call, an unknown ioctl is ENOTTY, a result is
 *   in range, GETATTR's reserved bytes are zero, and the traffic's
 *   mailboxes (root's, mode 0600) are never opened, created over or
 *   unlinked by an unprivileged fuzzer, nor by one whose capabilities are
 *   only those of its own user namespace.
 * - Meanwhile PRODUCERS send sequence-numbered, checksummed messages
 *   (write, SEND, SEND with MSGQ_F_SYNC, SEND_BATCH; random priorities)
 *   and CONSUMERS receive them (read, RECV, RECV_BATCH, PEEK). Every
 *   message must arrive exactly once, intact, with its sender's pid, uid
 *   and priority, and in order within each (producer, priority).
 *
 * Afterwards every handle is closed and every name unlinked (all names
 * /proc/msgq lists), and /sys/kernel/debug/msgq/stats must read zero on
 * every line within a few reap intervals. The rig's rmmod at the end of
 * the guest run checks that nothing still holds the module.
 */
#include "msgq_test.h"

#include <stdarg.h>
#include <sys/time.h>
#include <ucontext.h>

#define FUZZERS		4
#define PRODUCERS	3
#define CONSUMERS	3
#define CHANNELS	2
#define MAXSEQ		(1u << 20)
#define TRAFFIC_MAX	6000		/* largest traffic message */
#define NVIOL		8		/* violations kept for the log */
#define REAP_MS		100		/* reap_interval_ms while fuzzing */

/* producer -> channel, consumer -> channel */
static const int prod_chan[PRODUCERS] = { 0, 0, 1 };
static const int cons_chan[CONSUMERS] = { 0, 0, 1 };
static const unsigned int chan_cap[CHANNELS] = { 8, 32 };
static const unsigned int chan_size[CHANNELS] = { 512, TRAFFIC_MAX };

/* ------------------------------------------------------------------ */
/* Random numbers: xorshift64* */

static __thread uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void rnd_seed(uint64_t seed)
{
	rng_state = seed ? seed : 0x9e3779b97f4a7c15ULL;
	rnd();
	rnd();
}

static uint32_t rndn(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static bool chance(unsigned int percent)
{
	return rndn(100) < percent;
}

static void rnd_bytes(void *p, size_t n)
{
	unsigned char *c = p;

	while (n--)
		*c++ = (unsigned char)rnd();
}

/* ------------------------------------------------------------------ */
/* Shared state */

struct traffic_msg {
	__u32 magic;
	__u16 producer;
	__u16 prio;
	__u32 seq;
	__u32 len;		/* the whole message */
	__u32 sum;		/* of data[0 .. len - HDR) */
	__u32 pad;
	unsigned char data[TRAFFIC_MAX - 24];
};
#define TRAFFIC_MAGIC	0x7afcc0deU
#define TRAFFIC_HDR	24

struct viol {
	int who;
	char text[200];
};

struct shared {
	uint64_t seed;
	uint64_t deadline_ns;		/* CLOCK_MONOTONIC */
	uint64_t hard_deadline_ns;
	int go;
	pid_t producer_pid[PRODUCERS];
	__u32 sent[PRODUCERS];
	int producer_done[PRODUCERS];
	int producer_err[PRODUCERS];
	unsigned long received[CHANNELS];
	unsigned long dups, order_errors, content_errors, meta_errors,
		      recv_errors, peeks;
	int last_recv_errno;
	unsigned long fuzz_ops[FUZZERS];
	unsigned long fuzz_ok[FUZZERS];
	unsigned long fuzz_kills[FUZZERS];
	int fuzz_userns[FUZZERS];	/* 1: entered a user+IPC namespace */
	unsigned long op_calls[12], op_ok[12];
	unsigned long violations;
	struct viol viol[NVIOL];
	unsigned char seen[PRODUCERS][MAXSEQ / 8];
};

static struct shared *sh;
static char traffic_names[CHANNELS][64];

static void violation(int who, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void violation(int who, const char *fmt, ...)
{
	unsigned long n = __atomic_fetch_add(&sh->violations, 1,
					     __ATOMIC_RELAXED);
	va_list ap;

	if (n >= NVIOL)
		return;
	sh->viol[n].who = who;
	va_start(ap, fmt);
	vsnprintf(sh->viol[n].text, sizeof(sh->viol[n].text), fmt, ap);
	va_end(ap);
}

static bool past(uint64_t t)
{
	return now_ns(CLOCK_MONOTONIC) >= t;
}

static void child_start(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE))
		sleep_ms(1);
}

/* ------------------------------------------------------------------ */
/* Traffic */

static __u32 traffic_sum(const unsigned char *p, size_t n)
{
	__u32 s = 0x811c9dc5U;

	while (n--)
		s = (s ^ *p++) * 0x01000193U;
	return s;
}

static void traffic_build(struct traffic_msg *m, int producer, __u32 seq,
			  unsigned int prio, unsigned int len)
{
	m->magic = TRAFFIC_MAGIC;
	m->producer = (__u16)producer;
	m->prio = (__u16)prio;
	m->seq = seq;
	m->len = len;
	m->pad = 0;
	fill_pattern(m->data, len - TRAFFIC_HDR, seq * 7u + (unsigned)producer);
	m->sum = traffic_sum(m->data, len - TRAFFIC_HDR);
}

static unsigned int traffic_len(int chan)
{
	unsigned int max = chan_size[chan];

	if (chance(10))
		return max;
	if (chance(20))
		return TRAFFIC_HDR;
	return TRAFFIC_HDR + rndn(max - TRAFFIC_HDR + 1);
}

/* Wait-with-timeout send args: relative, or absolute on CLOCK_MONOTONIC. */
static void send_timeout(struct msgq_send *s)
{
	s->flags |= MSGQ_F_TIMEOUT;
	if (chance(50)) {
		s->timeout.tv_nsec = 300 * 1000000L;
	} else {
		uint64_t t = now_ns(CLOCK_MONOTONIC) + 300 * 1000000ull;

		s->flags |= MSGQ_F_ABSTIME;
		s->clockid = CLOCK_MONOTONIC;
		s->timeout = ns_mts(t);
	}
}

static bool retryable(int e)
{
	return e == EAGAIN || e == ETIMEDOUT || e == EINTR;
}

static void producer(int me, int bfd, int nbfd)
{
	static struct traffic_msg m[8];
	__u32 seq = 0;

	child_start();
	rnd_seed(sh->seed ^ (0x1000u + (unsigned)me));
	while (!past(sh->deadline_ns) && seq < MAXSEQ - 16) {
		unsigned int how = rndn(10);
		int chan = prod_chan[me];

		if (how <= 2) {
			struct pollfd p = { .fd = nbfd, .events = POLLOUT };

			traffic_build(&m[0], me, seq, 0, traffic_len(chan));
			if (write(nbfd, &m[0], m[0].len) == (ssize_t)m[0].len) {
				seq++;
				continue;
			}
			if (errno != EAGAIN)
				goto fail;
			poll(&p, 1, 100);
		} else if (how <= 6) {
			struct msgq_send s;

			traffic_build(&m[0], me, seq, rndn(MSGQ_PRIO_MAX),
				      traffic_len(chan));
			memset(&s, 0, sizeof(s));
			s.buf = ptr_to_u64(&m[0]);
			s.len = m[0].len;
			s.prio = m[0].prio;
			if (how == 6)
				s.flags |= MSGQ_F_SYNC;
			send_timeout(&s);
			if (!msgq_send_args(bfd, &s)) {
				seq++;
				continue;
			}
			if (!retryable(errno))
				goto fail;
		} else {
			struct msgq_mmsg mm[8];
			struct msgq_batch b;
			unsigned int k = 1 + rndn(8), i;
			int n;

			memset(mm, 0, sizeof(mm));
			for (i = 0; i < k; i++) {
				traffic_build(&m[i], me, seq + i,
					      rndn(MSGQ_PRIO_MAX),
					      traffic_len(chan));
				mm[i].buf = ptr_to_u64(&m[i]);
				mm[i].len = m[i].len;
				mm[i].prio = m[i].prio;
			}
			memset(&b, 0, sizeof(b));
			b.msgs = ptr_to_u64(mm);
			b.count = k;
			b.flags = MSGQ_F_TIMEOUT;
			b.timeout.tv_nsec = 300 * 1000000L;
			n = msgq_send_batch_args(bfd, &b);
			if (n > 0) {
				if ((unsigned int)n > k)
					goto fail;
				seq += (unsigned int)n;
				continue;
			}
			if (!retryable(errno))
				goto fail;
		}
	}
	sh->sent[me] = seq;
	__atomic_store_n(&sh->producer_done[me], 1, __ATOMIC_RELEASE);
	_exit(0);
fail:
	sh->producer_err[me] = errno ? errno : -1;
	sh->sent[me] = seq;
	__atomic_store_n(&sh->producer_done[me], 1, __ATOMIC_RELEASE);
	_exit(1);
}

struct consumer_state {
	int me, chan;
	long last[PRODUCERS][MSGQ_PRIO_MAX];
};

/* Check one message; @count it (not a peek). */
static void consume(struct consumer_state *cs, const struct traffic_msg *m,
		    __u32 len, __u32 prio, __s32 pid, __u32 uid, bool count)
{
	int p = m->producer;

	if (len < TRAFFIC_HDR || m->magic != TRAFFIC_MAGIC ||
	    p >= PRODUCERS || prod_chan[p] != cs->chan || m->len != len ||
	    m->prio != prio || prio >= MSGQ_PRIO_MAX || m->seq >= MAXSEQ ||
	    m->sum != traffic_sum(m->data, len - TRAFFIC_HDR) ||
	    !check_pattern(m->data, len - TRAFFIC_HDR, m->seq * 7u + (unsigned)p)) {
		__atomic_fetch_add(&sh->content_errors, 1, __ATOMIC_RELAXED);
		return;
	}
	if (pid != sh->producer_pid[p] || uid != 0)
		__atomic_fetch_add(&sh->meta_errors, 1, __ATOMIC_RELAXED);
	if (!count)
		return;
	if (__atomic_fetch_or(&sh->seen[p][m->seq / 8],
			      (unsigned char)(1u << (m->seq % 8)),
			      __ATOMIC_RELAXED) & (1u << (m->seq % 8)))
		__atomic_fetch_add(&sh->dups, 1, __ATOMIC_RELAXED);
	if ((long)m->seq <= cs->last[p][prio])
		__atomic_fetch_add(&sh->order_errors, 1, __ATOMIC_RELAXED);
	cs->last[p][prio] = m->seq;
	__atomic_fetch_add(&sh->received[cs->chan], 1, __ATOMIC_RELAXED);
}

/* All producers of @chan are done and everything they sent was received. */
static bool channel_complete(int chan)
{
	unsigned long total = 0;
	int p;

	for (p = 0; p < PRODUCERS; p++) {
		if (prod_chan[p] != chan)
			continue;
		if (!__atomic_load_n(&sh->producer_done[p], __ATOMIC_ACQUIRE))
			return false;
		total += sh->sent[p];
	}
	return __atomic_load_n(&sh->received[chan], __ATOMIC_RELAXED) >=
	       total;
}

static void recv_failed(int e)
{
	if (retryable(e))
		return;
	__atomic_fetch_add(&sh->recv_errors, 1, __ATOMIC_RELAXED);
	sh->last_recv_errno = e;
}

static void consumer(int me, int bfd, int nbfd)
{
	static struct traffic_msg bufs[8];
	struct consumer_state cs = { .me = me, .chan = cons_chan[me] };
	int p, q;

	for (p = 0; p < PRODUCERS; p++)
		for (q = 0; q < MSGQ_PRIO_MAX; q++)
			cs.last[p][q] = -1;
	child_start();
	rnd_seed(sh->seed ^ (0x2000u + (unsigned)me));
	while (!channel_complete(cs.chan) && !past(sh->hard_deadline_ns)) {
		unsigned int how = rndn(10);

		if (how <= 3 || how == 8) {
			struct msgq_recv r;
			ssize_t n;

			memset(&r, 0, sizeof(r));
			r.buf = ptr_to_u64(&bufs[0]);
			r.cap = sizeof(bufs[0]);
			if (how == 8)
				r.flags = MSGQ_F_PEEK | MSGQ_F_NONBLOCK;
			else if (how == 3)
				r.flags = MSGQ_F_NONBLOCK;
			else {
				r.flags = MSGQ_F_TIMEOUT;
				r.timeout.tv_nsec = 200 * 1000000L;
			}
			n = msgq_recv_args(bfd, &r);
			if (n < 0) {
				recv_failed(errno);
				if (errno == EAGAIN)
					sleep_ms(1);
				continue;
			}
			if (how == 8)
				__atomic_fetch_add(&sh->peeks, 1,
						   __ATOMIC_RELAXED);
			consume(&cs, &bufs[0], (__u32)n, r.prio, r.pid, r.uid,
				how != 8);
		} else if (how <= 5) {
			struct pollfd pf = { .fd = nbfd, .events = POLLIN };
			ssize_t n;

			if (poll(&pf, 1, 200) <= 0)
				continue;
			n = read(nbfd, &bufs[0], sizeof(bufs[0]));
			if (n < 0) {
				recv_failed(errno);
				continue;
			}
			/* read(2) tells no priority: take it from the message */
			consume(&cs, &bufs[0], (__u32)n, bufs[0].prio,
				sh->producer_pid[bufs[0].producer % PRODUCERS],
				0, true);
		} else {
			struct msgq_mmsg mm[8];
			struct msgq_batch b;
			unsigned int k = 1 + rndn(8), i;
			int n;

			memset(mm, 0, sizeof(mm));
			for (i = 0; i < k; i++) {
				mm[i].buf = ptr_to_u64(&bufs[i]);
				mm[i].len = sizeof(bufs[i]);
			}
			memset(&b, 0, sizeof(b));
			b.msgs = ptr_to_u64(mm);
			b.count = k;
			b.flags = MSGQ_F_TIMEOUT;
			b.timeout.tv_nsec = 200 * 1000000L;
			n = msgq_recv_batch_args(bfd, &b);
			if (n < 0) {
				recv_failed(errno);
				continue;
			}
			if ((unsigned int)n > k) {
				recv_failed(ERANGE);
				continue;
			}
			for (i = 0; i < (unsigned int)n; i++)
				consume(&cs, &bufs[i], mm[i].len, mm[i].prio,
					mm[i].pid, mm[i].uid, true);
		}
	}
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* Fuzzers */

#define RW_SIZE		(256 * 1024)
#define NHANDLES	12
#define POOL_OWN	6
#define POOL_SHARED	4

struct fuzzer {
	int me;
	bool root;		/* may not touch the traffic's names */
	int devs[2];		/* [0]: this namespace; [1]: init's, or -1 */
	bool dev_init[2];	/* bound to the initial IPC namespace */
	int handles[NHANDLES];
	unsigned char *rw;	/* RW_SIZE, then a guard page */
	unsigned char *ro;	/* a read-only page */
	unsigned char *unmapped;
	long page;
	char names[POOL_OWN + POOL_SHARED][32];
	char badnames[6][MSGQ_NAME_MAX + 8];
	char *unterminated;	/* runs into the guard page */
	unsigned long sent_bytes;
	int pipe[2];		/* descriptors for sends to carry */
};

/* Is [@p, @p + @size) inside the RW region? (no overflow on bad @p) */
static bool in_rw(const struct fuzzer *f, const void *p, size_t size)
{
	uintptr_t a = (uintptr_t)p, lo = (uintptr_t)f->rw;

	return size <= RW_SIZE && a >= lo && a - lo <= RW_SIZE - size;
}

/* A pointer: mostly valid, often bad. @size: bytes wanted there. */
static void *fz_ptr(struct fuzzer *f, size_t size)
{
	static const uintptr_t bad[] = {
		0, 1, 0xfff, 0x1000, 0xffffffff81000000ULL,
		0xffff888000000000ULL, 0x0000800000000000ULL,
		0xdead000000000000ULL, (uintptr_t)-1, (uintptr_t)-4096,
	};

	switch (rndn(12)) {
	case 0:
		return (void *)bad[rndn(ARRAY_SIZE(bad))];
	case 1:
		return f->ro + rndn((uint32_t)f->page);
	case 2:
		return f->unmapped + rndn((uint32_t)f->page);
	case 3:
		/* straddles the guard page */
		return f->rw + RW_SIZE - (size ? rndn((uint32_t)size) + 1 : 0);
	case 4:
		return (void *)fz_ptr;	/* text: read-only */
	default:
		if (size >= RW_SIZE)
			return f->rw;
		return f->rw + rndn((uint32_t)(RW_SIZE - size));
	}
}

static const char *fz_name(struct fuzzer *f)
{
	unsigned int r = rndn(100);

	if (r < 70)
		return f->names[rndn(POOL_OWN + POOL_SHARED)];
	if (r < 80 && !f->root)
		return traffic_names[rndn(CHANNELS)];
	if (r < 90)
		return f->badnames[rndn(ARRAY_SIZE(f->badnames))];
	if (r < 95)
		return f->unterminated;
	return fz_ptr(f, 16);
}

static bool is_traffic_name(const char *n)
{
	int c;

	for (c = 0; c < CHANNELS; c++)
		if (n == traffic_names[c])
			return true;
	return false;
}

static __u32 fz_u32(void)
{
	switch (rndn(8)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return UINT32_MAX;
	case 3: return 1u << rndn(32);
	case 4: return rndn(64);
	default: return (__u32)rnd();
	}
}

static __u32 fz_flags(__u32 known)
{
	__u32 f = (__u32)rnd() & known;

	if (chance(5))
		f |= 1u << rndn(32);
	return f;
}

static __u32 fz_len(void)
{
	unsigned int r = rndn(100);

	if (r < 60)
		return rndn(257);
	if (r < 85)
		return rndn(4097);
	if (r < 93)
		return 4096 + rndn(2);
	if (r < 97)
		return rndn(65537);
	return fz_u32();
}

static void fz_timeout(__u32 *flags, __u32 *clockid, struct msgq_timespec *t)
{
	unsigned int r = rndn(10);

	memset(t, 0, sizeof(*t));
	*clockid = 0;
	if (r < 4)
		return;		/* as the flags say */
	if (r < 7) {
		t->tv_nsec = rndn(20 * 1000000);
	} else if (r < 8) {
		struct timespec now;

		*clockid = chance(50) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
		clock_gettime(*clockid, &now);
		t->tv_sec = now.tv_sec + (chance(50) ? 0 : -1);
		t->tv_nsec = rndn(1000000000);
	} else if (r < 9) {
		t->tv_sec = (__s64)rnd();
		t->tv_nsec = (__s64)rnd();
	} else {
		*clockid = fz_u32();
		t->tv_sec = -(__s64)rndn(3);
		t->tv_nsec = 1000000000 + rndn(3);
	}
	if (chance(80))
		*flags |= MSGQ_F_TIMEOUT;
}

/* Where to put a struct: mostly whole in the RW region. */
static void *fz_arg(struct fuzzer *f, size_t size)
{
	if (chance(85))
		return f->rw + rndn((uint32_t)(RW_SIZE - size));
	return fz_ptr(f, size);
}

/* A handle, a device, or a random descriptor. */
static int fz_fd(struct fuzzer *f, bool *is_dev)
{
	unsigned int r = rndn(100);

	*is_dev = false;
	if (r < 70) {
		int i, fd = -1;

		/* mostly one that is open */
		for (i = 0; i < 4 && fd < 0; i++)
			fd = f->handles[rndn(NHANDLES)];
		return fd;
	}
	if (r < 95) {
		int d = f->devs[rndn(2)];

		*is_dev = true;
		return d >= 0 ? d : f->devs[0];
	}
	return (int)rndn(64);
}

static void fz_add_handle(struct fuzzer *f, int fd)
{
	int i = (int)rndn(NHANDLES);

	if (f->handles[i] >= 0)
		close(f->handles[i]);
	f->handles[i] = fd;
}

static bool in_set(int e, const int *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (set[i] == e)
			return true;
	return false;
}

#define ERRNO_OK(e, ...) ({						\
	static const int __set[] = { __VA_ARGS__ };			\
	in_set((e), __set, ARRAY_SIZE(__set));				\
})

/* Errnos any call on a random descriptor may legitimately give. */
static bool fd_errno(int e)
{
	return ERRNO_OK(e, EBADF, ENOTTY, EINVAL, EFAULT);
}

/*
 * Descriptors for a send to carry: mostly open ones of every kind the
 * fuzzer has (handles, which are refused, /dev/msgq, a pipe), sometimes
 * random numbers. The array lives in @f's memory or at a bad pointer.
 */
static __u64 fz_fds(struct fuzzer *f, __u32 *nfds)
{
	unsigned int i, n = chance(90) ? rndn(MSGQ_FDS_MAX + 1) :
				       rndn(MSGQ_FDS_MAX + 4);
	int *fds = fz_arg(f, (MSGQ_FDS_MAX + 4) * sizeof(int));
	bool is_dev;

	*nfds = chance(2) ? fz_u32() : n;
	if (!in_rw(f, fds, n * sizeof(int)))
		return ptr_to_u64(fds);
	for (i = 0; i < n; i++)
		fds[i] = chance(50) ? f->pipe[rndn(2)] : fz_fd(f, &is_dev);
	return ptr_to_u64(fds);
}

/* Close what a receive installed, where its numbers are readable. */
static void fz_close_received(struct fuzzer *f, const struct msgq_recv *rv)
{
	const int *fds = (const int *)(uintptr_t)rv->fds;
	unsigned int i;

	if (!rv->nfds || rv->nfds > MSGQ_FDS_MAX ||
	    !in_rw(f, fds, rv->nfds * sizeof(int)))
		return;
	for (i = 0; i < rv->nfds; i++)
		if (fds[i] > 2 && fds[i] != f->pipe[0] && fds[i] != f->pipe[1])
			close(fds[i]);
}

/* ---- the operations ---- */

static void fz_create(struct fuzzer *f)
{
	struct msgq_create *c = fz_arg(f, sizeof(*c));
	const char *name = fz_name(f);
	int di = (int)rndn(2), dev = f->devs[di] >= 0 ? f->devs[di] : f->devs[0];
	bool init_ns = f->devs[di] >= 0 ? f->dev_init[di] : f->dev_init[0];
	__u32 flags, max_msgs, msgsize;
	int fd, e;

	switch (rndn(6)) {
	case 0: max_msgs = 0; break;
	case 1: max_msgs = 1 + rndn(4); break;
	case 2: max_msgs = rndn(64); break;
	case 3: max_msgs = MSGQ_MAX_MSGS_LIMIT + rndn(2); break;
	default: max_msgs = chance(50) ? 8 : fz_u32(); break;
	}
	switch (rndn(6)) {
	case 0: msgsize = rndn(2); break;
	case 1: msgsize = 1 + rndn(4096); break;
	case 2: msgsize = MSGQ_MAX_MSGSIZE_LIMIT + rndn(2); break;
	case 3: msgsize = fz_u32(); break;
	default: msgsize = 1 + rndn(65536); break;
	}
	flags = fz_flags(MSGQ_CREATE_FLAGS);
	if (chance(70))
		flags |= MSGQ_O_CLOEXEC;
	if (chance(60)) {
		/* well-formed, to have handles to work with */
		flags |= 1u + rndn(3);		/* SEND, RECV or both */
		max_msgs = rndn(65);
		msgsize = 1 + rndn(4096);
		if (chance(70))
			name = f->names[rndn(POOL_OWN + POOL_SHARED)];
	}
	if (in_rw(f, (void *)(uintptr_t)c, sizeof(*c))) {
		memset(c, 0, sizeof(*c));
		c->name = ptr_to_u64(name);
		c->flags = flags;
		c->mode = chance(90) ? rndn(01000) : fz_u32();
		c->max_msgs = max_msgs;
		c->max_msgsize = msgsize;
		if (chance(5))
			c->__reserved[rndn(2)] = rnd();
		if (chance(3))
			rnd_bytes(c, sizeof(*c));
	}
	fd = ioctl(dev, MSGQ_IOC_CREATE, c);
	e = errno;
	sh->fuzz_ops[f->me]++;
	if (fd >= 0) {
		sh->fuzz_ok[f->me]++;
		if (init_ns && is_traffic_name(name))
			violation(f->me, "CREATE of traffic name %s succeeded (flags %#x)",
				  name, flags);
		fz_add_handle(f, fd);
		return;
	}
	if (!ERRNO_OK(e, EFAULT, EINVAL, ENAMETOOLONG, EEXIST, EACCES,
		      ENOSPC, EMFILE, ENOMEM, ENFILE))
		violation(f->me, "CREATE: unexpected errno %d (%s)", e,
			  strerror(e));
}

static void fz_open(struct fuzzer *f)
{
	struct msgq_open *o = fz_arg(f, sizeof(*o));
	const char *name = fz_name(f);
	int di = (int)rndn(2), dev = f->devs[di] >= 0 ? f->devs[di] : f->devs[0];
	bool init_ns = f->devs[di] >= 0 ? f->dev_init[di] : f->dev_init[0];
	__u32 flags = fz_flags(MSGQ_OPEN_FLAGS) | MSGQ_O_CLOEXEC;
	int fd, e;

	if (chance(60))
		flags |= 1u + rndn(3);

	if (in_rw(f, (void *)(uintptr_t)o, sizeof(*o))) {
		memset(o, 0, sizeof(*o));
		o->name = ptr_to_u64(name);
		o->flags = flags;
		if (chance(5))
			o->__pad = (__u32)rnd();
		if (chance(5))
			o->__reserved[rndn(2)] = rnd();
	}
	fd = ioctl(dev, MSGQ_IOC_OPEN, o);
	e = errno;
	sh->fuzz_ops[f->me]++;
	if (fd >= 0) {
		sh->fuzz_ok[f->me]++;
		if (init_ns && is_traffic_name(name))
			violation(f->me, "OPEN of traffic name %s succeeded (flags %#x)",
				  name, flags);
		fz_add_handle(f, fd);
		return;
	}
	if (!ERRNO_OK(e, EFAULT, EINVAL, ENAMETOOLONG, ENOENT, EACCES,
		      ENOMEM, ENFILE, EMFILE))
		violation(f->me, "OPEN: unexpected errno %d (%s)", e,
			  strerror(e));
}

static void fz_unlink(struct fuzzer *f)
{
	struct msgq_unlink *u = fz_arg(f, sizeof(*u));
	const char *name = fz_name(f);
	int di = (int)rndn(2), dev = f->devs[di] >= 0 ? f->devs[di] : f->devs[0];
	bool init_ns = f->devs[di] >= 0 ? f->dev_init[di] : f->dev_init[0];
	int r, e;

	if (in_rw(f, (void *)(uintptr_t)u, sizeof(*u))) {
		memset(u, 0, sizeof(*u));
		u->name = ptr_to_u64(name);
		if (chance(5))
			u->flags = fz_u32();
		if (chance(5))
			u->__pad = fz_u32();
	}
	r = ioctl(dev, MSGQ_IOC_UNLINK, u);
	e = errno;
	sh->fuzz_ops[f->me]++;
	if (!r) {
		sh->fuzz_ok[f->me]++;
		if (init_ns && is_traffic_name(name))
			violation(f->me, "UNLINK of traffic name %s succeeded",
				  name);
		return;
	}
	if (!ERRNO_OK(e, EFAULT, EINVAL, ENAMETOOLONG, ENOENT, EACCES))
		violation(f->me, "UNLINK: unexpected errno %d (%s)", e,
			  strerror(e));
}

static void fz_send(struct fuzzer *f)
{
	struct msgq_send *s = fz_arg(f, sizeof(*s));
	__u32 len = fz_len();
	bool is_dev;
	int fd = fz_fd(f, &is_dev), r, e;

	if (in_rw(f, (void *)(uintptr_t)s, sizeof(*s))) {
		memset(s, 0, sizeof(*s));
		s->len = len;
		s->buf = ptr_to_u64(fz_ptr(f, len));
		s->prio = chance(90) ? rndn(MSGQ_PRIO_MAX) : fz_u32();
		s->flags = fz_flags(MSGQ_SEND_FLAGS);
		if (chance(70))
			s->flags |= MSGQ_F_NONBLOCK;
		fz_timeout(&s->flags, &s->clockid, &s->timeout);
		if (chance(10))
			s->fds = fz_fds(f, &s->nfds);
		if (chance(2))
			s->fd_flags = fz_u32();
	}
	r = ioctl(fd, MSGQ_IOC_SEND, s);
	e = errno;
	sh->fuzz_ops[f->me]++;
	if (!r) {
		sh->fuzz_ok[f->me]++;
		f->sent_bytes += len + 64;
		if (is_dev)
			violation(f->me, "SEND on /dev/msgq succeeded");
		return;
	}
	if (r != -1 || !(fd_errno(e) ||
			 ERRNO_OK(e, EAGAIN, ETIMEDOUT, EINTR, EMSGSIZE,
				  EIDRM, ENOMEM)))
		violation(f->me, "SEND: %d, errno %d (%s)", r, e, strerror(e));
	if (is_dev && e != ENOTTY && e != EBADF)
		violation(f->me, "SEND on /dev/msgq: %s, not ENOTTY",
			  strerror(e));
}

static void fz_recv(struct fuzzer *f)
{
	struct msgq_recv *rv = fz_arg(f, sizeof(*rv));
	__u32 cap = fz_len();
	bool is_dev, whole;
	int fd = fz_fd(f, &is_dev), e;
	long r;

	whole = in_rw(f, (void *)(uintptr_t)rv, sizeof(*rv));
	if (whole) {
		memset(rv, 0, sizeof(*rv));
		rv->cap = cap;
		rv->buf = ptr_to_u64(fz_ptr(f, cap));
		rv->flags = fz_flags(MSGQ_RECV_FLAGS);
		if (chance(70))
			rv->flags |= MSGQ_F_NONBLOCK;
		fz_timeout(&rv->flags, &rv->clockid, &rv->timeout);
		if (chance(4))
			rv->__pad = fz_u32();
		if (chance(20)) {
			rv->nfds = chance(90) ? rndn(MSGQ_FDS_MAX + 4) :
						fz_u32();
			rv->fds = ptr_to_u64(fz_arg(f, rv->nfds < 64 ?
						    rv->nfds * sizeof(int) :
						    256));
		}
		if (chance(10))
			rv->fd_flags = chance(80) ? MSGQ_FD_CLOEXEC : fz_u32();
	}
	r = ioctl(fd, MSGQ_IOC_RECV, rv);
	e = errno;
	sh->fuzz_ops[f->me]++;
	if (r >= 0) {
		sh->fuzz_ok[f->me]++;
		if (is_dev)
			violation(f->me, "RECV on /dev/msgq succeeded");
		if (r || (whole && (rv->len > cap ||
				    rv->prio >= MSGQ_PRIO_MAX || rv->__pad ||
				    rv->nfds > MSGQ_FDS_MAX)))
			violation(f->me, "RECV: returned %ld, len %u cap %u prio %u pad %u nfds %u",
				  r, rv->len, cap, rv->prio, rv->__pad,
				  rv->nfds);
		if (whole)
			fz_close_received(f, rv);
		return;
	}
	if (r != -1 || !(fd_errno(e) ||
			 ERRNO_OK(e, EAGAIN, ETIMEDOUT, EINTR, EMSGSIZE,
				  EIDRM, EMFILE)))
		violation(f->me, "RECV: %ld, errno %d (%s)", r, e, strerror(e));
}

static void fz_batch(struct fuzzer *f)
{
	bool send = chance(50), is_dev;
	unsigned int count = chance(90) ? 1 + rndn(16) :
			     chance(50) ? rndn(MSGQ_BATCH_MAX + 3) : fz_u32();
	size_t asize = (size_t)(count < 4096 ? count : 4096) *
		       sizeof(struct msgq_mmsg);
	struct msgq_batch *b = fz_arg(f, sizeof(*b));
	struct msgq_mmsg *m;
	int fd = fz_fd(f, &is_dev), r, e;
	unsigned int i;

	if (asize > RW_SIZE / 2)
		asize = RW_SIZE / 2;
	m = fz_arg(f, asize);
	if (in_rw(f, (void *)(uintptr_t)m, asize)) {
		for (i = 0; i < asize / sizeof(*m); i++) {
			memset(&m[i], 0, sizeof(m[i]));
			m[i].len = fz_len();
			m[i].buf = ptr_to_u64(fz_ptr(f, m[i].len));
			if (send) {
				m[i].prio = chance(95) ? rndn(MSGQ_PRIO_MAX)
						       : fz_u32();
				if (chance(3))
					m[i].pid = (__s32)fz_u32();
			}
			if (chance(2))
				m[i].__reserved = rnd();
			if (chance(1))
				rnd_bytes(&m[i], sizeof(m[i]));
		}
	}
	if (in_rw(f, (void *)(uintptr_t)b, sizeof(*b))) {
		memset(b, 0, sizeof(*b));
		b->msgs = ptr_to_u64(m);
		b->count = count;
		b->flags = fz_flags(MSGQ_BATCH_FLAGS);
		if (chance(70))
			b->flags |= MSGQ_F_NONBLOCK;
		fz_timeout(&b->flags, &b->clockid, &b->timeout);
		if (chance(4))
			b->__pad = fz_u32();
		if (chance(4))
			b->__reserved[rndn(2)] = rnd();
	}
	r = ioctl(fd, send ? MSGQ_IOC_SEND_BATCH : MSGQ_IOC_RECV_BATCH, b);
	e = errno;
	sh->fuzz_ops[f->me]++;
	if (r >= 0) {
		sh->fuzz_ok[f->me]++;
		if (is_dev)
			violation(f->me, "batch on /dev/msgq succeeded");
		if (r < 1 || (unsigned int)r > count || r > MSGQ_BATCH_MAX)
			violation(f->me, "%s_BATCH of %u returned %d",
				  send ? "SEND" : "RECV", count, r);
		if (send)
			f->sent_bytes += (unsigned long)r * 4096;
		return;
	}
	if (r != -1 || !(fd_errno(e) ||
			 ERRNO_OK(e, EAGAIN, ETIMEDOUT, EINTR, EMSGSIZE,
				  EIDRM, ENOMEM)))
		violation(f->me, "%s_BATCH: %d, errno %d (%s)",
			  send ? "SEND" : "RECV", r, e, strerror(e));
}

static void fz_getattr(struct fuzzer *f)
{
	struct msgq_attr *a = fz_arg(f, sizeof(*a));
	bool is_dev, whole;
	int fd = fz_fd(f, &is_dev), r, e;

	whole = in_rw(f, (void *)(uintptr_t)a, sizeof(*a));
	if (whole)
		memset(a, 0xa5, sizeof(*a));
	r = ioctl(fd, MSGQ_IOC_GETATTR, a);
	e = errno;
	sh->fuzz_ops[f->me]++;
	if (!r) {
		sh->fuzz_ok[f->me]++;
		if (is_dev)
			violation(f->me, "GETATTR on /dev/msgq succeeded");
		if (whole) {
			size_t i;

			for (i = 0; i < ARRAY_SIZE(a->__reserved); i++)
				if (a->__reserved[i])
					violation(f->me, "GETATTR: __reserved[%zu] = %#llx",
						  i, (unsigned long long)a->__reserved[i]);
			if (a->flags & ~(__u32)(MSGQ_ATTR_OWNED | MSGQ_ATTR_DEAD |
						MSGQ_ATTR_UNLINKED |
						MSGQ_ATTR_FANOUT |
						MSGQ_ATTR_FANOUT_DROP) ||
			    (!(a->flags & MSGQ_ATTR_FANOUT) &&
			     (a->flags & MSGQ_ATTR_FANOUT_DROP ||
			      a->subscribers || a->max_backlog || a->lost)) ||
			    a->lost > a->total_sent ||
			    a->max_backlog > a->max_msgs ||
			    a->handle_flags & ~(__u32)(MSGQ_O_RDWR |
						       MSGQ_O_NONBLOCK) ||
			    !(a->handle_flags & MSGQ_O_RDWR) ||
			    a->mode & ~0777U ||
			    a->max_msgs > MSGQ_MAX_MSGS_LIMIT ||
			    !a->max_msgsize ||
			    a->max_msgsize > MSGQ_MAX_MSGSIZE_LIMIT ||
			    (a->max_msgs && a->cur_msgs > a->max_msgs) ||
			    a->cur_bytes > (__u64)a->cur_msgs * a->max_msgsize ||
			    a->total_received > a->total_sent)
				violation(f->me, "GETATTR: implausible attr: flags %#x hflags %#x mode %#o max %u/%u cur %u/%llu sent %llu recv %llu",
					  a->flags, a->handle_flags, a->mode,
					  a->max_msgs, a->max_msgsize,
					  a->cur_msgs,
					  (unsigned long long)a->cur_bytes,
					  (unsigned long long)a->total_sent,
					  (unsigned long long)a->total_received);
		}
		return;
	}
	if (r != -1 || !fd_errno(e))
		violation(f->me, "GETATTR: %d, errno %d (%s)", r, e,
			  strerror(e));
}

/* Any ioctl number: msgq's magic with random nr/size/dir, or anything. */
static void fz_random_ioctl(struct fuzzer *f)
{
	static const unsigned int valid[] = {
		MSGQ_IOC_CREATE, MSGQ_IOC_OPEN, MSGQ_IOC_UNLINK,
		MSGQ_IOC_SEND, MSGQ_IOC_RECV, MSGQ_IOC_GETATTR,
		MSGQ_IOC_SEND_BATCH, MSGQ_IOC_RECV_BATCH,
	};
	unsigned int cmd, i;
	bool is_dev, ours = false, known = false;
	unsigned long arg;
	int fd = fz_fd(f, &is_dev), r, e;

	switch (rndn(4)) {
	case 0:
		cmd = _IOC(rndn(4), MSGQ_IOC_MAGIC, rndn(0x20),
			   rndn(_IOC_SIZEMASK + 1));
		break;
	case 1:
		cmd = _IOC(rndn(4), MSGQ_IOC_MAGIC, rndn(256), rndn(512));
		break;
	case 2:
		/* a valid number with one field changed */
		cmd = valid[rndn(ARRAY_SIZE(valid))];
		cmd ^= 1u << rndn(32);
		break;
	default:
		cmd = (unsigned int)rnd();
		/* not the filesystem freeze family */
		if (_IOC_TYPE(cmd) == 'X')
			cmd ^= 0x100u << 8;
		break;
	}
	for (i = 0; i < ARRAY_SIZE(valid); i++)
		if (cmd == valid[i])
			known = true;
	if (_IOC_TYPE(cmd) == MSGQ_IOC_MAGIC)
		ours = true;
	if (known && chance(50))
		return;		/* the typed ops cover these */
	arg = chance(70) ? (unsigned long)fz_arg(f, 256)
			 : (unsigned long)rnd();
	if (in_rw(f, (void *)(uintptr_t)arg, 256))
		rnd_bytes((void *)arg, 256);
	r = ioctl(fd, cmd, arg);
	e = errno;
	sh->fuzz_ops[f->me]++;
	if (r >= 0) {
		sh->fuzz_ok[f->me]++;
		if (ours && !known)
			violation(f->me, "ioctl %#x (not msgq's) succeeded: %d",
				  cmd, r);
		if (known && r > 0 && (cmd == MSGQ_IOC_CREATE ||
				       cmd == MSGQ_IOC_OPEN))
			fz_add_handle(f, r);
		return;
	}
	if (ours && !known && e != ENOTTY && e != EBADF)
		violation(f->me, "ioctl %#x (unknown): %s, not ENOTTY", cmd,
			  strerror(e));
}

static void fz_rw(struct fuzzer *f)
{
	bool is_dev, handle = chance(80);
	int fd = handle ? f->handles[rndn(NHANDLES)] : fz_fd(f, &is_dev), e;
	size_t len = chance(90) ? fz_len() : (size_t)rnd();
	void *p = fz_ptr(f, len > RW_SIZE ? RW_SIZE : len);
	ssize_t r;

	if (chance(50)) {
		r = read(fd, p, len);
		e = errno;
		sh->fuzz_ops[f->me]++;
		if (r >= 0) {
			sh->fuzz_ok[f->me]++;
			if ((size_t)r > len)
				violation(f->me, "read of %zu returned %zd",
					  len, r);
		} else if (!ERRNO_OK(e, EBADF, EINVAL, EFAULT, EAGAIN, EINTR,
				     EMSGSIZE, EIDRM, EISDIR))
			violation(f->me, "read: %s", strerror(e));
	} else {
		r = write(fd, p, len);
		e = errno;
		sh->fuzz_ops[f->me]++;
		if (r >= 0) {
			sh->fuzz_ok[f->me]++;
			f->sent_bytes += (size_t)r + 64;
			/* a message is written whole or not at all */
			if ((size_t)r > len || (handle && (size_t)r != len))
				violation(f->me, "write of %zu returned %zd",
					  len, r);
		} else if (!ERRNO_OK(e, EBADF, EINVAL, EFAULT, EAGAIN, EINTR,
				     EMSGSIZE, EIDRM, ENOMEM, ENOSPC, EPIPE))
			violation(f->me, "write: %s", strerror(e));
	}
}

static void fz_misc(struct fuzzer *f)
{
	int i = (int)rndn(NHANDLES), fd = f->handles[i];
	struct pollfd p[NHANDLES];
	int n;

	switch (rndn(5)) {
	case 0:
		if (fd >= 0)
			close(fd);
		f->handles[i] = -1;
		break;
	case 1:
		if (fd >= 0)
			fz_add_handle(f, fcntl(fd, F_DUPFD_CLOEXEC, 0));
		break;
	case 2:
		if (fd >= 0)
			fcntl(fd, F_SETFL, chance(50) ? O_NONBLOCK : 0);
		break;
	default:
		for (n = 0; n < NHANDLES; n++) {
			p[n].fd = f->handles[n];
			p[n].events = (short)(POLLIN | POLLOUT);
			p[n].revents = 0;
		}
		n = poll(p, NHANDLES, chance(50) ? 0 : (int)rndn(5));
		if (n < 0 && errno != EINTR)
			violation(f->me, "poll: %s", strerror(errno));
		break;
	}
	sh->fuzz_ops[f->me]++;
}

/* A child blocks on a handle and is killed in the middle. */
static void fz_kill_blocked(struct fuzzer *f)
{
	int fd = f->handles[rndn(NHANDLES)];
	pid_t pid;

	if (fd < 0)
		return;
	pid = fork();
	if (pid < 0)
		return;
	if (!pid) {
		char buf[256];
		struct msgq_send s = { .buf = ptr_to_u64(buf), .len = 16,
				       .flags = MSGQ_F_SYNC };
		struct msgq_recv r = { .buf = ptr_to_u64(buf),
				       .cap = sizeof(buf) };

		memset(buf, 'k', sizeof(buf));
		fcntl(fd, F_SETFL, 0);	/* shared file: affects the parent too */
		if (chance(50))
			ioctl(fd, MSGQ_IOC_SEND, &s);
		else
			ioctl(fd, MSGQ_IOC_RECV, &r);
		_exit(0);
	}
	sleep_ms(rndn(20));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	sh->fuzz_kills[f->me]++;
}

/* Close everything and unlink the own names: bounds the memory held. */
static void fz_reset(struct fuzzer *f)
{
	int i, d;

	for (i = 0; i < NHANDLES; i++) {
		if (f->handles[i] >= 0)
			close(f->handles[i]);
		f->handles[i] = -1;
	}
	for (d = 0; d < 2; d++) {
		if (f->devs[d] < 0)
			continue;
		for (i = 0; i < POOL_OWN + POOL_SHARED; i++)
			msgq_unlink_at(f->devs[d], f->names[i]);
	}
	f->sent_bytes = 0;
}

static void on_alarm(int sig)
{
}

static __thread int cur_fuzzer = -1;
static __thread const char *cur_op = "";

/* A fuzzer crashed: say where and in which operation. */
static void on_fault(int sig, siginfo_t *si, void *uc)
{
	ucontext_t *u = uc;

	violation(cur_fuzzer, "signal %d at address %p, ip %#llx, in %s", sig,
		  si->si_addr, (unsigned long long)u->uc_mcontext.gregs[REG_RIP],
		  cur_op);
	_exit(128 + sig);
}

static void fuzzer_setup(struct fuzzer *f, int me)
{
	unsigned int i;

	memset(f, 0, sizeof(*f));
	f->me = me;
	f->page = sysconf(_SC_PAGESIZE);
	for (i = 0; i < NHANDLES; i++)
		f->handles[i] = -1;
	f->devs[0] = f->devs[1] = -1;
	f->rw = mmap(NULL, RW_SIZE + f->page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	f->ro = mmap(NULL, f->page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	f->unmapped = mmap(NULL, f->page, PROT_READ,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f->rw == MAP_FAILED || f->ro == MAP_FAILED ||
	    f->unmapped == MAP_FAILED)
		_exit(3);
	mprotect(f->rw + RW_SIZE, f->page, PROT_NONE);
	rnd_bytes(f->rw, RW_SIZE);
	memcpy(f->ro, "ro-name", 8);
	mprotect(f->ro, f->page, PROT_READ);
	munmap(f->unmapped, f->page);
	if (pipe2(f->pipe, O_NONBLOCK | O_CLOEXEC))
		_exit(3);

	for (i = 0; i < POOL_OWN; i++)
		snprintf(f->names[i], sizeof(f->names[i]), "fz%d-%u", me, i);
	for (i = 0; i < POOL_SHARED; i++)
		snprintf(f->names[POOL_OWN + i], sizeof(f->names[0]),
			 "fzs-%u", i);
	memset(f->badnames[0], 'n', MSGQ_NAME_MAX + 1);	/* 256: too long */
	f->badnames[0][MSGQ_NAME_MAX + 1] = '\0';
	strcpy(f->badnames[1], "");
	strcpy(f->badnames[2], "has space");
	strcpy(f->badnames[3], "tab\there");
	strcpy(f->badnames[4], "del\x7f");
	strcpy(f->badnames[5], "hi\xff");
	/* the last bytes of the RW region, no NUL before the guard page */
	f->unterminated = (char *)f->rw + RW_SIZE - 8;
	memset(f->unterminated, 'u', 8);
}

static void fuzzer(int me, int init_dev)
{
	struct fuzzer fz, *f = &fz;
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
	struct who w;
	unsigned long n = 0;

	/*
	 * Only our own descriptors: random descriptor numbers must hit
	 * neither the traffic's handles nor the console.
	 */
	for (n = 0; n < 1024; n++)
		if ((int)n != init_dev)
			close((int)n);
	for (n = 0; n < 3; n++)
		if (open("/dev/null", O_RDWR) < 0)
			_exit(6);
	n = 0;
	fuzzer_setup(f, me);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGIO, SIG_IGN);
	signal(SIGURG, SIG_IGN);
	switch (me) {
	case 0:
	case 1:
		w = WHO_USER(2100 + me, 2100 + me);
		if (become(&w))
			_exit(4);
		f->devs[0] = init_dev;
		f->dev_init[0] = true;
		break;
	case 2:
		f->root = true;
		f->devs[0] = init_dev;
		f->dev_init[0] = true;
		break;
	default:
		/* unprivileged, then root of its own user+IPC namespace */
		w = WHO_USER(2100 + me, 2100 + me);
		if (become(&w))
			_exit(4);
		f->devs[1] = init_dev;
		f->dev_init[1] = true;
		if (!unshare(CLONE_NEWUSER | CLONE_NEWIPC)) {
			sh->fuzz_userns[me] = 1;
			f->devs[0] = msgq_dev_open();
			if (f->devs[0] < 0)
				_exit(5);
		} else {
			f->devs[0] = init_dev;
			f->dev_init[0] = true;
		}
		break;
	}
	child_start();
	rnd_seed(sh->seed ^ (0x3000u + (unsigned)me));
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: waits get EINTR */
	{
		static char altstack[16384];
		stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
		struct sigaction fault = {
			.sa_sigaction = on_fault,
			.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND,
		};

		sigaltstack(&ss, NULL);
		cur_fuzzer = me;
		sigaction(SIGSEGV, &fault, NULL);
		sigaction(SIGBUS, &fault, NULL);
	}
	setitimer(ITIMER_REAL, &it, NULL);

	while (!past(sh->deadline_ns)) {
		unsigned int r = rndn(1000), op;
		unsigned long ok0 = sh->fuzz_ok[me];

		if (r < 100)
			op = 0, cur_op = "create", fz_create(f);
		else if (r < 200)
			op = 1, cur_op = "open", fz_open(f);
		else if (r < 240)
			op = 2, cur_op = "unlink", fz_unlink(f);
		else if (r < 400)
			op = 3, cur_op = "send", fz_send(f);
		else if (r < 550)
			op = 4, cur_op = "recv", fz_recv(f);
		else if (r < 650)
			op = 5, cur_op = "batch", fz_batch(f);
		else if (r < 720)
			op = 6, cur_op = "getattr", fz_getattr(f);
		else if (r < 850)
			op = 7, cur_op = "random_ioctl", fz_random_ioctl(f);
		else if (r < 920)
			op = 8, cur_op = "rw", fz_rw(f);
		else if (r < 995)
			op = 9, cur_op = "misc", fz_misc(f);
		else
			op = 10, cur_op = "kill_blocked", fz_kill_blocked(f);
		__atomic_fetch_add(&sh->op_calls[op], 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&sh->op_ok[op], sh->fuzz_ok[me] - ok0,
				   __ATOMIC_RELAXED);
		if (f->sent_bytes > (4u << 20) || !(++n % 3000))
			cur_op = "reset", fz_reset(f);
	}
	it.it_value.tv_usec = it.it_interval.tv_usec = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	fz_reset(f);
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* The test */

static char saved_reap[32];

static void __attribute__((destructor)) restore_reap(void)
{
	if (saved_reap[0])
		param_write("reap_interval_ms", saved_reap);
}

/* Unlink every name /proc/msgq lists; returns how many. */
static int unlink_all_listed(int dev)
{
	char line[1024], name[MSGQ_NAME_MAX + 1];
	FILE *f = fopen("/proc/msgq", "re");
	int n = 0;

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {	/* the header */
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%255s", name) == 1 &&
		    !msgq_unlink_at(dev, name))
			n++;
	fclose(f);
	return n;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

FIXTURE(fuzz) {
	int dev;
	int bfd[CHANNELS], nbfd[CHANNELS];
	pid_t pids[FUZZERS + PRODUCERS + CONSUMERS];
	int npids;
};

FIXTURE_SETUP(fuzz)
{
	struct msgq_counts c;
	int i;

	self->dev = -1;
	self->npids = 0;
	for (i = 0; i < CHANNELS; i++)
		self->bfd[i] = self->nbfd[i] = -1;
	if (access(MSGQ_DEVICE_PATH, F_OK))
		SKIP(_exit(255), "msgq module not loaded");
	if (counts_read(&c))
		SKIP(_exit(255), "%s unreadable (debugfs)", MSGQ_STATS_PATH);
	sh = shared_alloc(sizeof(*sh));
	ASSERT_NE(NULL, sh);
	ASSERT_EQ(0, param_read("reap_interval_ms", saved_reap,
				sizeof(saved_reap)));
	ASSERT_EQ(0, param_write_ul("reap_interval_ms", REAP_MS));
	self->dev = msgq_dev_open();
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN(fuzz)
{
	int i;

	for (i = 0; i < self->npids; i++)
		if (self->pids[i] > 0)
			kill(self->pids[i], SIGKILL);
	for (i = 0; i < CHANNELS; i++) {
		if (self->bfd[i] >= 0)
			close(self->bfd[i]);
		if (self->nbfd[i] >= 0)
			close(self->nbfd[i]);
		if (self->dev >= 0)
			msgq_unlink_at(self->dev, traffic_names[i]);
	}
	if (self->dev >= 0)
		close(self->dev);
	if (saved_reap[0])
		param_write("reap_interval_ms", saved_reap);
}

static pid_t spawn(FIXTURE_DATA(fuzz) *self, void (*fn)(int, int, int),
		   int me, int a, int b)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (!pid) {
		fn(me, a, b);
		_exit(0);
	}
	self->pids[self->npids++] = pid;
	return pid;
}

static void fuzzer3(int me, int dev, int unused)
{
	fuzzer(me, dev);
}

TEST_F_TIMEOUT(fuzz, fuzz_with_traffic, 240)
{
	uint64_t secs = env_u64("MSGQ_FUZZ_SECS", 15);
	uint64_t seed = env_u64("MSGQ_FUZZ_SEED",
				now_ns(CLOCK_REALTIME) ^
				((uint64_t)getpid() << 32));
	struct msgq_counts zero, last;
	unsigned long total_ops = 0, total_ok = 0, kills = 0, lost = 0,
		      phantom = 0, received = 0;
	char cs[256];
	int i, p, st, bad_exit = 0, unlinked;
	__u32 s;
	bool ok;

	sh->seed = seed;
	TH_LOG("seed %llu (MSGQ_FUZZ_SEED=%llu to repeat), %llu s",
	       (unsigned long long)seed, (unsigned long long)seed,
	       (unsigned long long)secs);
	/* fflush: TH_LOG goes to stderr, the children inherit buffers */
	fflush(stderr);

	for (i = 0; i < CHANNELS; i++) {
		snprintf(traffic_names[i], sizeof(traffic_names[i]),
			 "msgq-traffic-%d-%d", (int)getpid(), i);
		self->bfd[i] = msgq_create_at(self->dev, traffic_names[i],
					      MSGQ_O_RDWR | MSGQ_O_EXCL |
					      MSGQ_O_CLOEXEC, 0600,
					      chan_cap[i], chan_size[i]);
		ASSERT_LE(0, self->bfd[i]) TH_LOG("%s", strerror(errno));
		self->nbfd[i] = msgq_open_at(self->dev, traffic_names[i],
					     MSGQ_O_RDWR | MSGQ_O_NONBLOCK |
					     MSGQ_O_CLOEXEC);
		ASSERT_LE(0, self->nbfd[i]);
	}
	for (p = 0; p < PRODUCERS; p++)
		sh->producer_pid[p] = spawn(self, producer, p,
					    self->bfd[prod_chan[p]],
					    self->nbfd[prod_chan[p]]);
	for (i = 0; i < CONSUMERS; i++)
		spawn(self, consumer, i, self->bfd[cons_chan[i]],
		      self->nbfd[cons_chan[i]]);
	for (i = 0; i < FUZZERS; i++)
		spawn(self, fuzzer3, i, self->dev, 0);

	sh->deadline_ns = now_ns(CLOCK_MONOTONIC) + secs * 1000000000ull;
	sh->hard_deadline_ns = sh->deadline_ns + 60ull * 1000000000ull;
	__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);

	for (i = 0; i < self->npids; i++) {
		st = wait_child_ms(self->pids[i],
				   (int)(secs * 1000) + 90000);
		if (st) {
			bad_exit++;
			TH_LOG("child %d (pid %d) ended with status %d", i,
			       (int)self->pids[i], st);
		}
		self->pids[i] = 0;
	}

	/* the report */
	for (i = 0; i < FUZZERS; i++) {
		total_ops += sh->fuzz_ops[i];
		total_ok += sh->fuzz_ok[i];
		kills += sh->fuzz_kills[i];
	}
	for (p = 0; p < PRODUCERS; p++) {
		for (s = 0; s < MAXSEQ; s++) {
			bool seen = sh->seen[p][s / 8] & (1u << (s % 8));

			if (s < sh->sent[p] && !seen)
				lost++;
			if (s >= sh->sent[p] && seen)
				phantom++;
		}
		if (sh->producer_err[p])
			TH_LOG("producer %d: %s", p,
			       strerror(sh->producer_err[p]));
	}
	for (i = 0; i < CHANNELS; i++)
		received += sh->received[i];
	TH_LOG("fuzz: %lu calls, %lu succeeded, %lu children killed while blocked; userns fuzzer %s",
	       total_ops, total_ok, kills,
	       sh->fuzz_userns[3] ? "in its own user+IPC namespace" :
	       "without a user namespace");
	TH_LOG("traffic: sent %u+%u+%u, received %lu (%lu peeks); lost %lu, phantom %lu, dup %lu, order %lu, content %lu, sender %lu, recv errors %lu (last %s)",
	       sh->sent[0], sh->sent[1], sh->sent[2], received, sh->peeks,
	       lost, phantom, sh->dups, sh->order_errors, sh->content_errors,
	       sh->meta_errors, sh->recv_errors,
	       strerror(sh->last_recv_errno));
	{
		static const char *const opn[] = {
			"create", "open", "unlink", "send", "recv", "batch",
			"getattr", "ioctl", "rw", "misc", "kill",
		};
		char line[512];
		size_t o = 0;

		for (i = 0; i < (int)ARRAY_SIZE(opn); i++)
			o += snprintf(line + o, sizeof(line) - o, " %s %lu/%lu",
				      opn[i], sh->op_ok[i], sh->op_calls[i]);
		TH_LOG("succeeded/calls:%s", line);
	}
	for (i = 0; i < NVIOL && (unsigned long)i < sh->violations; i++)
		TH_LOG("violation (fuzzer %d): %s", sh->viol[i].who,
		       sh->viol[i].text);

	/* the traffic's mailboxes are empty */
	for (i = 0; i < CHANNELS; i++)
		EXPECT_EQ(0, mbox_depth(self->bfd[i]))
			TH_LOG("channel %d not drained", i);

	/* close and unlink everything, then every count must reach zero */
	for (i = 0; i < CHANNELS; i++) {
		close(self->bfd[i]);
		close(self->nbfd[i]);
		self->bfd[i] = self->nbfd[i] = -1;
		EXPECT_EQ(0, msgq_unlink_at(self->dev, traffic_names[i]));
	}
	unlinked = unlink_all_listed(self->dev);
	TH_LOG("%d names left by the fuzzers unlinked", unlinked);
	close(self->dev);
	self->dev = -1;
	memset(&zero, 0, sizeof(zero));
	ok = counts_wait(&zero, &last, 50 * REAP_MS + 10000);
	counts_str(&last, cs, sizeof(cs));
	EXPECT_TRUE(ok) TH_LOG("stats not all zero: %s", cs);

	EXPECT_EQ(0, bad_exit);
	EXPECT_EQ(0UL, sh->violations);
	EXPECT_EQ(0UL, lost);
	EXPECT_EQ(0UL, phantom);
	EXPECT_EQ(0UL, sh->dups);
	EXPECT_EQ(0UL, sh->order_errors);
	EXPECT_EQ(0UL, sh->content_errors);
	EXPECT_EQ(0UL, sh->meta_errors);
	EXPECT_EQ(0UL, sh->recv_errors);
	for (p = 0; p < PRODUCERS; p++) {
		EXPECT_EQ(0, sh->producer_err[p]);
		EXPECT_LT(0U, sh->sent[p]) TH_LOG("producer %d sent nothing",
						  p);
	}
	EXPECT_LT(1000UL, total_ops);
}

TEST_HARNESS_MAIN
