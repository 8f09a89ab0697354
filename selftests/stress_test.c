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
 * - chaos.every_operation_at_once: a bounded run (12 s, or
 *   MSGQ_STRESS_SECONDS: the rig gives the debug kernel 60; printed seed,
 *   MSGQ_STRESS_SEED to repeat it) of producers, consumers, namers, owners
 *   killed with SIGKILL, a signaller and namespace children mixing every
 *   operation, checked at the end: no message lost, duplicated or both
 *   failed and delivered, and every live count back to zero. Described in
 *   full above its code.
 *
 * The first two are sized to finish in seconds in an emulated (TCG) guest.
 * Results come back from the children through MAP_SHARED memory.
 */
#include "msgq_test.h"

#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/utsname.h>

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

/* ------------------------------------------------------------------ */
/*
 * chaos.every_operation_at_once: a bounded run of many processes mixing
 * every operation, whose invariants are checked at the end. See the top
 * of the file for the plan; the pieces:
 *
 * Mailboxes: four stable ones made by the test (CH_STABLE: a busy one, a
 * tiny one that is always full, a rendezvous one, one of 64 KiB messages)
 * and a succession of owned ones, each made by an owner process that the
 * test kills with SIGKILL (or lets close its handle) after a while.
 *
 * Ledger messages: every message a producer sends carries (slot, seq).
 * Before the call the producer notes where it sends it (mailbox, sync),
 * after it the outcome: OK (sent: 0, a count from a batch), FAILED (EAGAIN,
 * ETIMEDOUT, EINTR, EINVAL...: withdrawn or never queued) or IDRM (the
 * owned mailbox died). Receivers count every (slot, seq) they get. At the
 * end the test drains the stable mailboxes itself and requires: nothing
 * received twice; a failed send never received; an OK send received
 * exactly once, except a non-synchronous one to an owned mailbox, which may
 * have been dropped with it; and each stable mailbox's total_sent equal to
 * the OK sends to it, total_received equal to total_sent.
 *
 * Around them: consumers that use every way to wait (blocking, relative and
 * absolute timeouts, poll, epoll, peek then receive, batches, read(2), a
 * buffer too small first); a signaller that interrupts waits with SIGUSR1
 * (SA_RESTART in some processes, not in others); two namers that create,
 * open and unlink a small pool of names at once; and a namespace churner
 * whose children unshare(CLONE_NEWIPC), make mailboxes of the same names in
 * the new namespace, leave them with messages for the reaper, and send
 * ledger messages to the stable mailboxes through inherited handles.
 *
 * Accounting: once everything is closed and unlinked, every count of
 * /sys/kernel/debug/msgq/stats is back where it was (zero, when nothing
 * else uses msgq), within a few reap intervals (reap_interval_ms is 100
 * during the run, restored after).
 *
 * Length: MSGQ_STRESS_SECONDS, 12 s without it; scripts/check.sh sets 60
 * for the debug kernel's guest, whose checks find more in a longer run.
 * The seed is printed; MSGQ_STRESS_SEED=N repeats the choices of a run
 * (not its timing).
 */
#define CH_PRODUCERS	3
#define CH_NS_SLOT	CH_PRODUCERS		/* the namespace children's */
#define CH_SLOTS	(CH_PRODUCERS + 1)
#define CH_CONSUMERS	3
#define CH_NAMERS	2
#define CH_POOL		4			/* names the namers share */
#define CH_MAXSEQ	(1U << 18)		/* per slot */
#define CH_STABLE	4
#define CH_OWNED	CH_STABLE		/* target index of owned ones */
#define CH_REAP_MS	100
#define CH_MAGIC	0x6d736771U
#define CH_BUF		(64 * 1024)
#define CH_TIMEOUT	300			/* the test's own limit, s */

/* Outcome of a ledger message. */
enum { CH_UNUSED, CH_OK, CH_FAILED, CH_IDRM };
#define CH_SYNC		0x80			/* target flag */

static const struct {
	unsigned int max_msgs, max_msgsize;
} ch_stable[CH_STABLE] = {
	{ 32, 512 },		/* busy */
	{ 2, 128 },		/* always full */
	{ 0, 256 },		/* rendezvous */
	{ 6, CH_BUF },		/* large messages, copied without the lock */
};

struct ch_hdr {
	__u32 magic;
	__u16 slot;
	__u16 prio;		/* 0..MSGQ_PRIO_MAX - 1 */
	__u8 target;		/* mailbox index, | CH_SYNC */
	__u8 __pad[3];
	__u32 seq;
	__u32 len;		/* whole message */
	__u32 seed;		/* of the pattern after the header */
	__u32 gen;		/* owned mailbox generation, 0: stable */
};

/* Operations, for the summary. */
enum {
	OP_SEND, OP_SEND_SYNC, OP_WRITE, OP_SEND_BATCH, OP_SEND_OWNED,
	OP_RECV, OP_RECV_BATCH, OP_PEEK, OP_READ, OP_POLL, OP_EPOLL,
	OP_RECV_OWNED, OP_CREATE, OP_OPEN, OP_UNLINK, OP_NS_CHILD,
	OP_OWNER_KILL, OP_OWNER_CLOSE, OP_PROC, OP_MAX
};
static const char *const op_names[OP_MAX] = {
	"send", "send sync", "write", "send batch", "send owned",
	"recv", "recv batch", "peek", "read", "poll", "epoll",
	"recv owned", "create", "open", "unlink", "ns child",
	"owner killed", "owner closed", "/proc/msgq",
};
/* Outcomes, for the summary: 0 success, then the errnos expected. */
static const int out_errnos[] = {
	0, EAGAIN, ETIMEDOUT, EINTR, EIDRM, EMSGSIZE, ENOENT, EEXIST, EINVAL,
};
#define OUT_MAX		(sizeof(out_errnos) / sizeof(out_errnos[0]))

struct ch_shared {
	int stop_producers, stop_consumers, stop_all;
	int owner_quit;			/* the owner closes its handle, exits */
	unsigned int seed;
	int owned_gen;			/* live owned mailbox, 0: none */
	unsigned long ops[OP_MAX][OUT_MAX];
	unsigned long received_total, dropped_owned;
	unsigned long errors, order_errors, content_errors, early_timeouts;
	int nerr;
	char errlog[12][200];
	unsigned int next_seq[CH_SLOTS];
	unsigned char status[CH_SLOTS][CH_MAXSEQ];
	unsigned char target[CH_SLOTS][CH_MAXSEQ];
	unsigned char received[CH_SLOTS][CH_MAXSEQ];
};

static struct ch_shared *ch;
static char ch_names[CH_STABLE][64];
static char ch_prefix[32];

static void ch_error(const char *fmt, ...)
{
	unsigned long n = __atomic_fetch_add(&ch->errors, 1, __ATOMIC_RELAXED);
	va_list ap;

	if (n >= sizeof(ch->errlog) / sizeof(ch->errlog[0]))
		return;
	va_start(ap, fmt);
	vsnprintf(ch->errlog[n], sizeof(ch->errlog[n]), fmt, ap);
	va_end(ap);
}

static void ch_count(int op, int err)
{
	size_t i;

	for (i = 0; i < OUT_MAX; i++)
		if (out_errnos[i] == err)
			break;
	if (i == OUT_MAX) {
		ch_error("%s: unexpected %s", op_names[op], strerror(err));
		return;
	}
	__atomic_fetch_add(&ch->ops[op][i], 1, __ATOMIC_RELAXED);
}

/* An errno that @op may give; anything else is an error. */
static bool ch_expect(int op, int err, const int *ok, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ok[i] == err) {
			ch_count(op, err);
			return true;
		}
	ch_error("%s: unexpected %s", op_names[op], strerror(err));
	return false;
}

#define CH_EXPECT(op, err, ...) ({					\
	static const int __ok[] = { __VA_ARGS__ };			\
	ch_expect((op), (err), __ok, sizeof(__ok) / sizeof(__ok[0]));	\
})

static unsigned int ch_rand(unsigned int *st)
{
	return (unsigned int)rand_r(st);
}

static volatile sig_atomic_t ch_signals;

static void ch_on_signal(int sig)
{
	ch_signals++;
}

/*
 * A child of the run: dies with the test, handles SIGUSR1 (the chaos
 * signal: SA_RESTART or not, by the seed) and SIGUSR2 (stop: never
 * restarts, so it ends a wait with no timeout).
 */
static struct sigaction ch_sa;

static void ch_child_init(unsigned int *st, unsigned int role)
{
	struct sigaction sa = { .sa_handler = ch_on_signal };

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	*st = ch->seed * 2654435761U + role * 40503U + 1;
	sa.sa_flags = (ch_rand(st) & 1) ? SA_RESTART : 0;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_flags = 0;
	sigaction(SIGUSR2, &sa, NULL);
}

static void ch_owned_name(char *buf, size_t size, int gen)
{
	snprintf(buf, size, "%s-own-%d", ch_prefix, gen);
}

/* A timeout for a call: none, relative or absolute, by the seed. */
struct ch_wait {
	__u32 flags, clockid;
	struct msgq_timespec ts;
	uint64_t deadline_ns;	/* on @clock, for the early-timeout check */
	clockid_t clock;
	bool bounded;
};

static void ch_pick_wait(unsigned int *st, struct ch_wait *w, bool may_block)
{
	unsigned int ms = 1 + ch_rand(st) % 40;
	uint64_t ns = (uint64_t)ms * 1000000ull, now;

	memset(w, 0, sizeof(*w));
	w->bounded = true;
	switch (ch_rand(st) % (may_block ? 5 : 4)) {
	case 0:
		w->flags = MSGQ_F_NONBLOCK;
		break;
	case 1:		/* relative */
		w->flags = MSGQ_F_TIMEOUT;
		w->clock = CLOCK_MONOTONIC;
		now = now_ns(CLOCK_MONOTONIC);
		w->deadline_ns = now + ns;
		w->ts.tv_sec = ns / 1000000000ull;
		w->ts.tv_nsec = ns % 1000000000ull;
		break;
	case 2:		/* absolute, CLOCK_REALTIME */
	case 3:		/* absolute, CLOCK_MONOTONIC */
		w->clock = (ch_rand(st) & 1) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
		w->flags = MSGQ_F_TIMEOUT | MSGQ_F_ABSTIME;
		w->clockid = w->clock;
		w->deadline_ns = now_ns(w->clock) + ns;
		w->ts.tv_sec = w->deadline_ns / 1000000000ull;
		w->ts.tv_nsec = w->deadline_ns % 1000000000ull;
		break;
	default:	/* no timeout: a signal or the stop ends it */
		w->bounded = false;
		break;
	}
}

/* ETIMEDOUT must never come before the deadline. */
static void ch_check_timeout(const struct ch_wait *w, int err, int op)
{
	if (err == ETIMEDOUT && w->deadline_ns &&
	    now_ns(w->clock) < w->deadline_ns) {
		__atomic_fetch_add(&ch->early_timeouts, 1, __ATOMIC_RELAXED);
		ch_error("%s: ETIMEDOUT before the deadline", op_names[op]);
	}
}

/* ------------------------------------------------------------------ */
/* Producers */

static unsigned int ch_msg_len(unsigned int *st, unsigned int max)
{
	unsigned int lo = sizeof(struct ch_hdr);

	if (max > 4096 && !(ch_rand(st) % 4))
		return max - ch_rand(st) % 64;		/* near the largest */
	if (max > 1024)
		max = 1024 + (ch_rand(st) % 8 == 0 ? max - 1024 : 0);
	return lo + ch_rand(st) % (max - lo + 1);
}

/* Take the next sequence number of @slot and fill a message. */
static bool ch_make(unsigned int *st, int slot, void *buf, unsigned int len,
		    int target, unsigned int prio, int gen, __u32 *seqp)
{
	struct ch_hdr *h = buf;
	unsigned int seq = __atomic_fetch_add(&ch->next_seq[slot], 1,
					      __ATOMIC_RELAXED);

	if (seq >= CH_MAXSEQ)
		return false;
	h->magic = CH_MAGIC;
	h->slot = slot;
	h->target = target;
	h->prio = prio;
	h->seq = seq;
	h->len = len;
	h->seed = ch_rand(st);
	h->gen = gen;
	fill_pattern(h + 1, len - sizeof(*h), h->seed);
	ch->target[slot][seq] = target;
	*seqp = seq;
	return true;
}

static void ch_outcome(int slot, __u32 seq, int err)
{
	ch->status[slot][seq] = !err ? CH_OK : err == EIDRM ? CH_IDRM :
				CH_FAILED;
}

/* One send to a stable mailbox with msgq_send_args (maybe sync). */
static void ch_send_one(unsigned int *st, int slot, int fd, int mbox,
			void *buf, bool may_block)
{
	unsigned int len = ch_msg_len(st, ch_stable[mbox].max_msgsize);
	unsigned int prio = ch_rand(st) % MSGQ_PRIO_MAX;
	bool sync = mbox == 2 || !(ch_rand(st) % 8);
	struct msgq_send s = { 0 };
	struct ch_wait w;
	__u32 seq;
	int err, op = sync ? OP_SEND_SYNC : OP_SEND;

	if (!ch_make(st, slot, buf, len, mbox | (sync ? CH_SYNC : 0), prio, 0,
		     &seq))
		return;
	ch_pick_wait(st, &w, may_block);
	s.buf = ptr_to_u64(buf);
	s.len = len;
	s.prio = prio;
	s.flags = w.flags | (sync ? MSGQ_F_SYNC : 0);
	s.clockid = w.clockid;
	s.timeout = w.ts;
	err = msgq_send_args(fd, &s) ? errno : 0;
	ch_outcome(slot, seq, err);
	ch_check_timeout(&w, err, op);
	CH_EXPECT(op, err, 0, EAGAIN, ETIMEDOUT, EINTR);
}

/* write(2): priority 0, waits unless the handle is non-blocking. */
static void ch_write_one(unsigned int *st, int slot, int fd, int mbox,
			 void *buf)
{
	unsigned int len = ch_msg_len(st, ch_stable[mbox].max_msgsize);
	ssize_t n;
	__u32 seq;
	int err;

	if (!ch_make(st, slot, buf, len, mbox | (mbox == 2 ? CH_SYNC : 0), 0,
		     0, &seq))
		return;
	n = write(fd, buf, len);
	err = n < 0 ? errno : 0;
	if (n >= 0 && n != (ssize_t)len)
		ch_error("write: %zd of %u", n, len);
	ch_outcome(slot, seq, err);
	CH_EXPECT(OP_WRITE, err, 0, EAGAIN, EINTR);
}

static void ch_send_batch(unsigned int *st, int slot, int fd, int mbox,
			  char (*bufs)[CH_BUF])
{
	unsigned int count = 1 + ch_rand(st) % 8, k, n;
	struct msgq_mmsg mm[8];
	struct msgq_batch b = { 0 };
	__u32 seqs[8];
	struct ch_wait w;
	int r, err;

	memset(mm, 0, sizeof(mm));
	for (n = 0; n < count; n++) {
		unsigned int len = ch_msg_len(st, ch_stable[mbox].max_msgsize);
		unsigned int prio = ch_rand(st) % 4;

		if (!ch_make(st, slot, bufs[n], len, mbox, prio, 0, &seqs[n]))
			break;
		mm[n].buf = ptr_to_u64(bufs[n]);
		mm[n].len = len;
		mm[n].prio = prio;
	}
	if (!n)
		return;
	ch_pick_wait(st, &w, true);
	b.msgs = ptr_to_u64(mm);
	b.count = n;
	b.flags = w.flags;
	b.clockid = w.clockid;
	b.timeout = w.ts;
	r = msgq_send_batch_args(fd, &b);
	err = r < 0 ? errno : 0;
	for (k = 0; k < n; k++)
		ch_outcome(slot, seqs[k], (int)k < r ? 0 : err ? err : EAGAIN);
	if (r > (int)n)
		ch_error("send batch: %d of %u", r, n);
	ch_check_timeout(&w, err, OP_SEND_BATCH);
	if (mbox == 2)	/* not on a rendezvous mailbox */
		CH_EXPECT(OP_SEND_BATCH, err, EINVAL);
	else
		CH_EXPECT(OP_SEND_BATCH, err, 0, EAGAIN, ETIMEDOUT, EINTR);
}

/* Open the live owned mailbox by name (if any) and send to it. */
static void ch_send_owned(unsigned int *st, int slot, int dev, void *buf)
{
	int gen = __atomic_load_n(&ch->owned_gen, __ATOMIC_ACQUIRE);
	unsigned int len = ch_msg_len(st, 256);
	bool sync = !(ch_rand(st) % 3);
	char name[96];
	struct msgq_send s = { 0 };
	struct ch_wait w;
	int fd, err, k;
	__u32 seq;

	if (!gen)
		return;
	ch_owned_name(name, sizeof(name), gen);
	fd = msgq_open_at(dev, name, MSGQ_O_SEND | MSGQ_O_CLOEXEC);
	if (fd < 0) {
		CH_EXPECT(OP_OPEN, errno, ENOENT);
		return;
	}
	ch_count(OP_OPEN, 0);
	for (k = 1 + ch_rand(st) % 3; k > 0; k--) {
		if (!ch_make(st, slot, buf, len, CH_OWNED | (sync ? CH_SYNC : 0),
			     ch_rand(st) % 8, gen, &seq))
			break;
		ch_pick_wait(st, &w, false);
		s.buf = ptr_to_u64(buf);
		s.len = len;
		s.prio = ((struct ch_hdr *)buf)->prio;
		s.flags = w.flags | (sync ? MSGQ_F_SYNC : 0);
		s.clockid = w.clockid;
		s.timeout = w.ts;
		err = msgq_send_args(fd, &s) ? errno : 0;
		ch_outcome(slot, seq, err);
		ch_check_timeout(&w, err, OP_SEND_OWNED);
		CH_EXPECT(OP_SEND_OWNED, err, 0, EAGAIN, ETIMEDOUT, EINTR,
			  EIDRM);
		if (err == EIDRM)
			break;
	}
	close(fd);
}

/* Open a stable mailbox by name, send once, close. */
static void ch_send_by_name(unsigned int *st, int slot, int dev, void *buf)
{
	int mbox = ch_rand(st) % CH_STABLE;
	int fd = msgq_open_at(dev, ch_names[mbox],
			      MSGQ_O_SEND | MSGQ_O_CLOEXEC |
			      ((ch_rand(st) & 1) ? MSGQ_O_NONBLOCK : 0));

	if (fd < 0) {
		ch_error("open %s: %s", ch_names[mbox], strerror(errno));
		return;
	}
	ch_count(OP_OPEN, 0);
	if (ch_rand(st) & 1)
		ch_write_one(st, slot, fd, mbox, buf);
	else
		ch_send_one(st, slot, fd, mbox, buf, true);
	close(fd);
}

static void ch_producer(int slot)
{
	static char bufs[8][CH_BUF];
	int fds[CH_STABLE], dev, m;
	unsigned int st;

	ch_child_init(&st, 100 + slot);
	dev = msgq_dev_open();
	if (dev < 0)
		_exit(3);
	for (m = 0; m < CH_STABLE; m++) {
		fds[m] = msgq_open_at(dev, ch_names[m],
				      MSGQ_O_SEND | MSGQ_O_CLOEXEC);
		if (fds[m] < 0)
			_exit(4);
	}
	while (!__atomic_load_n(&ch->stop_producers, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&ch->next_seq[slot], __ATOMIC_RELAXED) <
	       CH_MAXSEQ - 16) {
		unsigned int r = ch_rand(&st) % 100;

		m = ch_rand(&st) % CH_STABLE;
		if (r < 45) {
			ch_send_one(&st, slot, fds[m], m, bufs[0], true);
		} else if (r < 55) {
			ch_write_one(&st, slot, fds[m == 2 ? 0 : m],
				     m == 2 ? 0 : m, bufs[0]);
		} else if (r < 75) {
			/* now and then on the rendezvous one: EINVAL */
			if (m == 2 && ch_rand(&st) % 8)
				m = 0;
			ch_send_batch(&st, slot, fds[m], m, bufs);
		} else if (r < 88) {
			ch_send_owned(&st, slot, dev, bufs[0]);
		} else if (r < 96) {
			ch_send_by_name(&st, slot, dev, bufs[0]);
		} else {
			/* too long: EMSGSIZE, and no sequence number */
			struct msgq_send s = {
				.buf = ptr_to_u64(bufs[0]),
				.len = ch_stable[m].max_msgsize + 1,
				.flags = MSGQ_F_NONBLOCK,
			};

			if (!msgq_send_args(fds[m], &s))
				ch_error("send of %u bytes to a %u-byte mailbox succeeded",
					 s.len, ch_stable[m].max_msgsize);
			else
				CH_EXPECT(OP_SEND, errno, EMSGSIZE);
		}
	}
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* Consumers */

struct ch_consumer {
	unsigned int st;
	int id;
	int fds[CH_STABLE];
	int epfd;
	/* last seq + 1 seen per (slot, stable mailbox, priority) */
	unsigned int last[CH_SLOTS][CH_STABLE][MSGQ_PRIO_MAX];
};

/*
 * A message received: check it and count it. @prio is -1 when unknown
 * (read(2)); @mbox the stable mailbox or CH_OWNED.
 */
static void ch_got(struct ch_consumer *c, const void *buf, size_t len,
		   int prio, int mbox)
{
	const struct ch_hdr *h = buf;
	unsigned int *last;

	if (len < sizeof(*h) || h->magic != CH_MAGIC || h->len != len ||
	    h->slot >= CH_SLOTS || h->seq >= CH_MAXSEQ ||
	    (prio >= 0 && h->prio != prio) ||
	    (h->target & ~CH_SYNC) != mbox ||
	    !check_pattern(h + 1, len - sizeof(*h), h->seed)) {
		__atomic_fetch_add(&ch->content_errors, 1, __ATOMIC_RELAXED);
		ch_error("consumer %d: damaged message (%zu bytes) from mailbox %d",
			 c ? c->id : -1, len, mbox);
		return;
	}
	__atomic_fetch_add(&ch->received[h->slot][h->seq], 1,
			   __ATOMIC_RELAXED);
	__atomic_fetch_add(&ch->received_total, 1, __ATOMIC_RELAXED);
	if (!c || mbox == CH_OWNED)
		return;
	/* FIFO within one producer and priority, as this consumer sees it */
	last = &c->last[h->slot][mbox][h->prio];
	if (*last > h->seq) {
		__atomic_fetch_add(&ch->order_errors, 1, __ATOMIC_RELAXED);
		ch_error("consumer %d: mailbox %d slot %u prio %u: seq %u after %u",
			 c->id, mbox, h->slot, h->prio, h->seq, *last - 1);
	}
	*last = h->seq + 1;
}

static char ch_rbuf[CH_BUF + 64];

/* One receive with msgq_recv_args; EMSGSIZE first now and then. */
static void ch_recv_one(struct ch_consumer *c, int mbox, bool peek_first)
{
	struct msgq_recv r = { 0 };
	struct ch_wait w;
	int fd = c->fds[mbox], err;
	ssize_t n;

	ch_pick_wait(&c->st, &w, mbox == 0);
	if (peek_first) {
		r.buf = ptr_to_u64(ch_rbuf);
		r.cap = sizeof(ch_rbuf);
		r.flags = w.flags | MSGQ_F_PEEK;
		r.clockid = w.clockid;
		r.timeout = w.ts;
		n = msgq_recv_args(fd, &r);
		err = n < 0 ? errno : 0;
		ch_check_timeout(&w, err, OP_PEEK);
		CH_EXPECT(OP_PEEK, err, 0, EAGAIN, ETIMEDOUT, EINTR);
		if (err)
			return;
		/* check the copy, count nothing */
		if ((size_t)n < sizeof(struct ch_hdr) ||
		    ((struct ch_hdr *)ch_rbuf)->len != (size_t)n ||
		    !check_pattern((struct ch_hdr *)ch_rbuf + 1,
				   n - sizeof(struct ch_hdr),
				   ((struct ch_hdr *)ch_rbuf)->seed))
			ch_error("peek: damaged message");
		w.flags = MSGQ_F_NONBLOCK;
		w.deadline_ns = 0;
		memset(&w.ts, 0, sizeof(w.ts));
		w.clockid = 0;
	}
	memset(&r, 0, sizeof(r));
	r.buf = ptr_to_u64(ch_rbuf);
	r.cap = (mbox == 3 && !(ch_rand(&c->st) % 4)) ? 64 : sizeof(ch_rbuf);
	r.flags = w.flags;
	r.clockid = w.clockid;
	r.timeout = w.ts;
	n = msgq_recv_args(fd, &r);
	err = n < 0 ? errno : 0;
	if (err == EMSGSIZE && r.cap == 64) {
		ch_count(OP_RECV, EMSGSIZE);
		if (r.len <= 64 || r.len > sizeof(ch_rbuf))
			ch_error("EMSGSIZE: needs %u", r.len);
		/* the message stayed first (unless someone took it) */
		memset(&r, 0, sizeof(r));
		r.buf = ptr_to_u64(ch_rbuf);
		r.cap = sizeof(ch_rbuf);
		r.flags = MSGQ_F_NONBLOCK;
		n = msgq_recv_args(fd, &r);
		err = n < 0 ? errno : 0;
		w.deadline_ns = 0;
	}
	ch_check_timeout(&w, err, OP_RECV);
	CH_EXPECT(OP_RECV, err, 0, EAGAIN, ETIMEDOUT, EINTR);
	if (!err)
		ch_got(c, ch_rbuf, n, r.prio, mbox);
}

static void ch_recv_batch(struct ch_consumer *c, int mbox)
{
	static char bufs[16][CH_BUF];
	unsigned int count = 1 + ch_rand(&c->st) % 16, k;
	struct msgq_mmsg mm[16];
	struct msgq_batch b = { 0 };
	struct ch_wait w;
	int r, err;

	if (mbox == 3 && count > 4)
		count = 4;
	memset(mm, 0, sizeof(mm));
	for (k = 0; k < count; k++) {
		mm[k].buf = ptr_to_u64(bufs[k]);
		mm[k].len = CH_BUF;
	}
	ch_pick_wait(&c->st, &w, false);
	b.msgs = ptr_to_u64(mm);
	b.count = count;
	b.flags = w.flags;
	b.clockid = w.clockid;
	b.timeout = w.ts;
	r = msgq_recv_batch_args(c->fds[mbox], &b);
	err = r < 0 ? errno : 0;
	ch_check_timeout(&w, err, OP_RECV_BATCH);
	CH_EXPECT(OP_RECV_BATCH, err, 0, EAGAIN, ETIMEDOUT, EINTR);
	if (r > (int)count)
		ch_error("recv batch: %d of %u", r, count);
	for (k = 0; r > 0 && k < (unsigned int)r; k++)
		ch_got(c, bufs[k], mm[k].len, mm[k].prio, mbox);
}

/* Wait in poll(2) or epoll_wait(2), then take from a ready mailbox. */
static void ch_poll_recv(struct ch_consumer *c, bool use_epoll)
{
	int ready[CH_STABLE], nready = 0, m, n;

	if (use_epoll) {
		struct epoll_event ev[CH_STABLE];

		n = epoll_wait(c->epfd, ev, CH_STABLE, 1 + ch_rand(&c->st) % 30);
		if (n < 0 && errno != EINTR)
			ch_error("epoll_wait: %s", strerror(errno));
		for (m = 0; m < n; m++)
			ready[nready++] = ev[m].data.u32;
		ch_count(OP_EPOLL, n < 0 ? EINTR : 0);
	} else {
		struct pollfd p[CH_STABLE];

		for (m = 0; m < CH_STABLE; m++)
			p[m] = (struct pollfd){ .fd = c->fds[m], .events = POLLIN };
		n = poll(p, CH_STABLE, 1 + ch_rand(&c->st) % 30);
		if (n < 0 && errno != EINTR)
			ch_error("poll: %s", strerror(errno));
		for (m = 0; n > 0 && m < CH_STABLE; m++) {
			if (p[m].revents & ~(POLLIN | POLLRDNORM))
				ch_error("poll: revents %#x on mailbox %d",
					 p[m].revents, m);
			if (p[m].revents & POLLIN)
				ready[nready++] = m;
		}
		ch_count(OP_POLL, n < 0 ? EINTR : 0);
	}
	for (m = 0; m < nready; m++) {
		int mbox = ready[m];
		ssize_t len;

		if (ch_rand(&c->st) & 1) {
			/* read(2) on a blocking handle: it may wait */
			len = read(c->fds[mbox], ch_rbuf, sizeof(ch_rbuf));
			if (len < 0) {
				CH_EXPECT(OP_READ, errno, EINTR);
				continue;
			}
			ch_count(OP_READ, 0);
			ch_got(c, ch_rbuf, len, -1, mbox);
		} else {
			ch_recv_one(c, mbox, false);
		}
	}
}

/* The live owned mailbox: receive, or learn it died (EIDRM, POLLHUP). */
static void ch_recv_owned(struct ch_consumer *c, int dev)
{
	int gen = __atomic_load_n(&ch->owned_gen, __ATOMIC_ACQUIRE);
	struct msgq_recv r = { 0 };
	struct pollfd p;
	char name[96];
	int fd, k, err;
	ssize_t n;

	if (!gen)
		return;
	ch_owned_name(name, sizeof(name), gen);
	fd = msgq_open_at(dev, name, MSGQ_O_RECV | MSGQ_O_CLOEXEC);
	if (fd < 0) {
		CH_EXPECT(OP_OPEN, errno, ENOENT);
		return;
	}
	ch_count(OP_OPEN, 0);
	for (k = 0; k < 8; k++) {
		struct ch_wait w;

		ch_pick_wait(&c->st, &w, false);
		memset(&r, 0, sizeof(r));
		r.buf = ptr_to_u64(ch_rbuf);
		r.cap = sizeof(ch_rbuf);
		r.flags = w.flags;
		r.clockid = w.clockid;
		r.timeout = w.ts;
		n = msgq_recv_args(fd, &r);
		err = n < 0 ? errno : 0;
		ch_check_timeout(&w, err, OP_RECV_OWNED);
		CH_EXPECT(OP_RECV_OWNED, err, 0, EAGAIN, ETIMEDOUT, EINTR,
			  EIDRM);
		if (!err)
			ch_got(c, ch_rbuf, n, r.prio, CH_OWNED);
		if (err == EIDRM) {
			/* dead: poll says so at once, and it stays dead */
			p = (struct pollfd){ .fd = fd, .events = POLLIN };
			if (poll(&p, 1, 0) != 1 ||
			    (p.revents & (POLLHUP | POLLERR)) !=
			    (POLLHUP | POLLERR))
				ch_error("dead owned mailbox: poll revents %#x",
					 p.revents);
			break;
		}
	}
	close(fd);
}

static void ch_consumer(int id)
{
	static struct ch_consumer cs;
	struct ch_consumer *c = &cs;
	int dev, m;

	c->id = id;
	ch_child_init(&c->st, 200 + id);
	dev = msgq_dev_open();
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (dev < 0 || c->epfd < 0)
		_exit(3);
	for (m = 0; m < CH_STABLE; m++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = m };

		c->fds[m] = msgq_open_at(dev, ch_names[m],
					 MSGQ_O_RECV | MSGQ_O_CLOEXEC);
		if (c->fds[m] < 0 ||
		    epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->fds[m], &ev))
			_exit(4);
	}
	while (!__atomic_load_n(&ch->stop_consumers, __ATOMIC_ACQUIRE)) {
		unsigned int r = ch_rand(&c->st) % 100;

		m = ch_rand(&c->st) % CH_STABLE;
		if (r < 35) {
			ch_recv_one(c, m, false);
		} else if (r < 45) {
			ch_recv_one(c, m, true);
		} else if (r < 65) {
			ch_recv_batch(c, m);
		} else if (r < 75) {
			ch_poll_recv(c, false);
		} else if (r < 85) {
			ch_poll_recv(c, true);
		} else if (r < 95) {
			ch_recv_owned(c, dev);
		} else {
			struct msgq_attr a;

			if (msgq_getattr(c->fds[m], &a))
				ch_error("getattr: %s", strerror(errno));
			else if ((a.max_msgs && a.cur_msgs > a.max_msgs) ||
				 a.cur_bytes > (__u64)a.cur_msgs * a.max_msgsize)
				ch_error("mailbox %d: %u messages, %llu bytes", m,
					 a.cur_msgs,
					 (unsigned long long)a.cur_bytes);
		}
	}
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* Owners, namers, namespace children, the signaller */

/* Create the owned mailbox of generation @gen and hold it until killed. */
static void ch_owner(int gen)
{
	char name[96];
	unsigned int st;
	int dev, fd;

	ch_child_init(&st, 300 + gen);
	ch_owned_name(name, sizeof(name), gen);
	dev = msgq_dev_open();
	fd = msgq_create_at(dev, name, MSGQ_O_RDWR | MSGQ_O_OWNED |
			    MSGQ_O_CLOEXEC, 0600, 2, 256);
	if (fd < 0) {
		ch_error("owner %d: create: %s", gen, strerror(errno));
		_exit(1);
	}
	ch_count(OP_CREATE, 0);
	__atomic_store_n(&ch->owned_gen, gen, __ATOMIC_RELEASE);
	for (;;) {
		/* never receives: a message it took would die with it */
		struct pollfd p = { .fd = fd, .events = POLLIN };

		poll(&p, 1, 20);
		if (__atomic_load_n(&ch->owner_quit, __ATOMIC_ACQUIRE))
			break;
	}
	close(fd);
	_exit(0);
}

/* Make, use and remove names of a pool shared with the other namer. */
static void ch_namer(int id)
{
	char name[96], msg[64], got[64];
	unsigned int st, n = 0;
	int dev, fd, fd2, i;
	ssize_t len;

	ch_child_init(&st, 400 + id);
	dev = msgq_dev_open();
	if (dev < 0)
		_exit(3);
	while (!__atomic_load_n(&ch->stop_producers, __ATOMIC_ACQUIRE)) {
		/* a name operation every millisecond or two is plenty */
		sleep_ms(ch_rand(&st) % 3);
		snprintf(name, sizeof(name), "%s-tmp-%u", ch_prefix,
			 ch_rand(&st) % CH_POOL);
		switch (ch_rand(&st) % 4) {
		case 0:	/* the whole life of a name */
			fd = msgq_create_at(dev, name, MSGQ_O_RDWR | MSGQ_O_EXCL |
					    MSGQ_O_NONBLOCK | MSGQ_O_CLOEXEC,
					    0600, 4, sizeof(msg));
			if (fd < 0) {
				CH_EXPECT(OP_CREATE, errno, EEXIST);
				break;
			}
			ch_count(OP_CREATE, 0);
			snprintf(msg, sizeof(msg), "namer %d %u", id, n++);
			if (msgq_send(fd, msg, strlen(msg) + 1, 1))
				ch_error("namer: send: %s", strerror(errno));
			fd2 = msgq_open_at(dev, name, MSGQ_O_RECV |
					   MSGQ_O_NONBLOCK | MSGQ_O_CLOEXEC);
			if (fd2 < 0) {
				/* the other namer unlinked it already */
				CH_EXPECT(OP_OPEN, errno, ENOENT);
			} else {
				ch_count(OP_OPEN, 0);
				len = msgq_recv(fd2, got, sizeof(got), NULL);
				/* a different mailbox of that name: EAGAIN */
				if (len < 0 && errno != EAGAIN)
					ch_error("namer: recv: %s",
						 strerror(errno));
				close(fd2);
			}
			i = msgq_unlink_at(dev, name);
			CH_EXPECT(OP_UNLINK, i ? errno : 0, 0, ENOENT);
			/* the handle outlives its name */
			if (msgq_send(fd, msg, strlen(msg) + 1, 1) ||
			    msgq_recv(fd, got, sizeof(got), NULL) < 0)
				ch_error("namer: unlinked mailbox: %s",
					 strerror(errno));
			close(fd);
			break;
		case 1:	/* create or open, and leave it */
			fd = msgq_create_at(dev, name, MSGQ_O_SEND |
					    MSGQ_O_CLOEXEC, 0600, 4,
					    sizeof(msg));
			if (fd < 0) {
				ch_error("namer: create-or-open: %s",
					 strerror(errno));
				break;
			}
			ch_count(OP_CREATE, 0);
			close(fd);
			break;
		case 2:
			i = msgq_unlink_at(dev, name);
			CH_EXPECT(OP_UNLINK, i ? errno : 0, 0, ENOENT);
			break;
		default:
			fd = msgq_open_at(dev, name, MSGQ_O_RECV |
					  MSGQ_O_CLOEXEC);
			CH_EXPECT(OP_OPEN, fd < 0 ? errno : 0, 0, ENOENT);
			if (fd >= 0)
				close(fd);
			break;
		}
	}
	for (i = 0; i < CH_POOL; i++) {
		snprintf(name, sizeof(name), "%s-tmp-%d", ch_prefix, i);
		msgq_unlink_at(dev, name);
	}
	_exit(0);
}

/*
 * In a new IPC namespace: the names of the stable mailboxes are free
 * there; make mailboxes of those names, leave messages in them, and leave
 * the lot to the reaper. Through the inherited handles, send ledger
 * messages to the stable mailboxes of the first namespace.
 */
static void ch_ns_child(int stable_fds[CH_STABLE], unsigned int round)
{
	static char buf[CH_BUF];
	char listing[8192];
	unsigned int st;
	int dev, fd, m, nm, k, pfd;
	ssize_t n;

	ch_child_init(&st, 500 + round);
	if (unshare(CLONE_NEWIPC)) {
		ch_error("unshare(CLONE_NEWIPC): %s", strerror(errno));
		_exit(1);
	}
	dev = msgq_dev_open();
	if (dev < 0)
		_exit(3);
	/* nothing of the first namespace shows in this one */
	pfd = open("/proc/msgq", O_RDONLY | O_CLOEXEC);
	if (pfd >= 0) {
		n = read(pfd, listing, sizeof(listing) - 1);
		listing[n > 0 ? n : 0] = '\0';
		if (strstr(listing, ch_prefix))
			ch_error("a new IPC namespace lists the first one's names");
		close(pfd);
		ch_count(OP_PROC, 0);
	}
	for (m = 0, nm = 1 + ch_rand(&st) % 3; m < nm; m++) {
		unsigned int flags = MSGQ_O_RDWR | MSGQ_O_EXCL |
				     MSGQ_O_NONBLOCK | MSGQ_O_CLOEXEC;

		if (m == 2)
			flags |= MSGQ_O_OWNED;
		fd = msgq_create_at(dev, ch_names[m], flags, 0600, 8, 512);
		if (fd < 0) {
			ch_error("create %s in a new namespace: %s",
				 ch_names[m], strerror(errno));
			continue;
		}
		ch_count(OP_CREATE, 0);
		for (k = 0; k < 6; k++) {
			fill_pattern(buf, 100 + k, round + k);
			if (msgq_send(fd, buf, 100 + k, k))
				ch_error("ns send: %s", strerror(errno));
		}
		for (k = 5; k >= 3; k--) {	/* highest priority first */
			n = msgq_recv(fd, buf, sizeof(buf), NULL);
			if (n != 100 + k || !check_pattern(buf, n, round + k))
				ch_error("ns recv: %zd, wanted %d", n, 100 + k);
		}
		/* three messages left: the reaper frees them */
	}
	/* ledger messages into the first namespace's mailboxes */
	for (k = 0; k < 4; k++) {
		m = ch_rand(&st) % CH_STABLE;
		if (m == 2)
			m = 0;
		ch_send_one(&st, CH_NS_SLOT, stable_fds[m], m, buf, false);
	}
	_exit(0);	/* nothing closed, nothing unlinked */
}

static void ch_ns_churner(int stable_fds[CH_STABLE])
{
	unsigned int st, round = 0;
	pid_t pid;

	ch_child_init(&st, 600);
	while (!__atomic_load_n(&ch->stop_producers, __ATOMIC_ACQUIRE)) {
		pid = fork();
		if (pid < 0) {
			ch_error("fork: %s", strerror(errno));
			break;
		}
		if (!pid)
			ch_ns_child(stable_fds, round);
		round++;
		/* one at a time: the slot's sequence is theirs in turn */
		if (wait_child_ms(pid, 60000))
			ch_error("namespace child %u failed", round);
		ch_count(OP_NS_CHILD, 0);
		sleep_ms(ch_rand(&st) % 100);
	}
	_exit(0);
}

static void ch_signaller(const pid_t *pids, int n)
{
	unsigned int st;

	ch_child_init(&st, 700);
	while (!__atomic_load_n(&ch->stop_all, __ATOMIC_ACQUIRE)) {
		kill(pids[ch_rand(&st) % n], SIGUSR1);
		sleep_ms(1 + ch_rand(&st) % 15);
	}
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* The run */

FIXTURE(chaos) {
	char saved_reap[32];
	bool reap_changed;
};

FIXTURE_SETUP(chaos)
{
	self->reap_changed = false;
	if (access(MSGQ_DEVICE_PATH, F_OK))
		SKIP(_exit(255), "%s absent: msgq module not loaded",
		     MSGQ_DEVICE_PATH);
	if (msgq_stat("mailboxes") < 0)
		SKIP(_exit(255), "%s unreadable (debugfs)", MSGQ_STATS_PATH);
	ASSERT_EQ(0, param_read("reap_interval_ms", self->saved_reap,
				sizeof(self->saved_reap)));
	ASSERT_EQ(0, param_write("reap_interval_ms", "100"));
	self->reap_changed = true;
}

FIXTURE_TEARDOWN(chaos)
{
	if (self->reap_changed)
		param_write("reap_interval_ms", self->saved_reap);
}

/* Ask children to stop (SIGUSR2 ends waits without a timeout), reap them. */
static int ch_stop(struct __test_metadata *_metadata, const char *role,
		   pid_t *pids, int n, int *flag, int timeout_ms)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) + timeout_ms * 1000000ull;
	int left = n, bad = 0, i, status;

	__atomic_store_n(flag, 1, __ATOMIC_RELEASE);
	while (left) {
		for (i = 0; i < n; i++) {
			if (!pids[i])
				continue;
			if (waitpid(pids[i], &status, WNOHANG) == pids[i]) {
				if (!WIFEXITED(status) || WEXITSTATUS(status)) {
					bad++;
					TH_LOG("%s %d: %s %d", role, i,
					       WIFEXITED(status) ? "exit" : "signal",
					       WIFEXITED(status) ?
					       WEXITSTATUS(status) :
					       WTERMSIG(status));
				}
				pids[i] = 0;
				left--;
				continue;
			}
			kill(pids[i], SIGUSR2);
		}
		if (now_ns(CLOCK_MONOTONIC) > end) {
			for (i = 0; i < n; i++)
				if (pids[i]) {
					kill(pids[i], SIGKILL);
					waitpid(pids[i], NULL, 0);
					TH_LOG("%s %d: did not stop", role, i);
					bad++;
				}
			break;
		}
		sleep_ms(10);
	}
	return bad;
}

static unsigned int ch_seconds(void)
{
	const char *env = getenv("MSGQ_STRESS_SECONDS");

	if (env && atoi(env) > 0)
		return atoi(env);
	return 12;
}

TEST_F_TIMEOUT(chaos, every_operation_at_once, CH_TIMEOUT)
{
	pid_t prod[CH_PRODUCERS], cons[CH_CONSUMERS], namers[CH_NAMERS];
	pid_t churner[1], signaller[1], owner = 0, targets[CH_PRODUCERS + CH_CONSUMERS];
	struct msgq_counts base, now;
	unsigned int seconds = ch_seconds(), i, slot, seq;
	uint64_t start, deadline, owner_until = 0, next_proc = 0;
	unsigned long lost = 0, dup = 0, ghost = 0, unknown = 0;
	unsigned long oks[CH_STABLE] = { 0 }, status_n[4] = { 0 };
	const char *env = getenv("MSGQ_STRESS_SEED");
	int fds[CH_STABLE], dev, gen = 0, k, bad;
	struct msgq_attr a;
	struct utsname u;
	bool settled;
	size_t o;

	ch = shared_alloc(sizeof(*ch));
	ASSERT_NE(NULL, ch);
	ch->seed = env ? (unsigned int)strtoul(env, NULL, 0) :
		   (unsigned int)(now_ns(CLOCK_REALTIME) ^ getpid());
	uname(&u);
	TH_LOG("seed %u (MSGQ_STRESS_SEED=%u repeats it), %u s on %s",
	       ch->seed, ch->seed, seconds, u.release);

	/* nothing else's leftovers: wait for the live counts to settle */
	for (k = 0; k < 50; k++) {
		counts_read(&base);
		if (!base.mailboxes && !base.messages && !base.namespaces)
			break;
		sleep_ms(CH_REAP_MS);
	}
	counts_read(&base);
	if (base.mailboxes || base.messages || base.message_bytes ||
	    base.namespaces || base.quota_bytes)
		TH_LOG("live counts before the run: %lld mailboxes, %lld messages, %lld bytes, %lld namespaces, %lld quota bytes",
		       base.mailboxes, base.messages, base.message_bytes,
		       base.namespaces, base.quota_bytes);

	snprintf(ch_prefix, sizeof(ch_prefix), "chaos-%d", (int)getpid());
	dev = msgq_dev_open();
	ASSERT_LE(0, dev);
	for (i = 0; i < CH_STABLE; i++) {
		snprintf(ch_names[i], sizeof(ch_names[i]), "%s-%u", ch_prefix, i);
		fds[i] = msgq_create_at(dev, ch_names[i], MSGQ_O_RDWR |
					MSGQ_O_EXCL | MSGQ_O_NONBLOCK |
					MSGQ_O_CLOEXEC, 0600,
					ch_stable[i].max_msgs,
					ch_stable[i].max_msgsize);
		ASSERT_LE(0, fds[i]) TH_LOG("create %s: %s", ch_names[i],
					    strerror(errno));
	}

	/*
	 * Children are born with a handler for SIGUSR1 and SIGUSR2: one that
	 * arrives before ch_child_init() must not kill them (the default
	 * action), which once showed as "1 consumers failed".
	 */
	ch_sa.sa_handler = ch_on_signal;
	sigaction(SIGUSR1, &ch_sa, NULL);
	sigaction(SIGUSR2, &ch_sa, NULL);

	for (k = 0; k < CH_PRODUCERS; k++) {
		prod[k] = fork();
		ASSERT_LE(0, prod[k]);
		if (!prod[k])
			ch_producer(k);
		targets[k] = prod[k];
	}
	for (k = 0; k < CH_CONSUMERS; k++) {
		cons[k] = fork();
		ASSERT_LE(0, cons[k]);
		if (!cons[k])
			ch_consumer(k);
		targets[CH_PRODUCERS + k] = cons[k];
	}
	for (k = 0; k < CH_NAMERS; k++) {
		namers[k] = fork();
		ASSERT_LE(0, namers[k]);
		if (!namers[k])
			ch_namer(k);
	}
	churner[0] = fork();
	ASSERT_LE(0, churner[0]);
	if (!churner[0]) {
		/* the children send through these: not non-blocking ones */
		int sfds[CH_STABLE];

		for (i = 0; i < CH_STABLE; i++)
			sfds[i] = msgq_open_at(dev, ch_names[i], MSGQ_O_SEND);
		ch_ns_churner(sfds);
	}
	signaller[0] = fork();
	ASSERT_LE(0, signaller[0]);
	if (!signaller[0])
		ch_signaller(targets, CH_PRODUCERS + CH_CONSUMERS);

	/* the owners come and go; /proc/msgq is read meanwhile */
	start = now_ns(CLOCK_MONOTONIC);
	deadline = start + seconds * 1000000000ull;
	unsigned int st = ch->seed;
	while (now_ns(CLOCK_MONOTONIC) < deadline) {
		uint64_t t = now_ns(CLOCK_MONOTONIC);

		if (owner && t >= owner_until) {
			bool killed = ch_rand(&st) % 4;

			__atomic_store_n(&ch->owned_gen, 0, __ATOMIC_RELEASE);
			if (killed) {
				kill(owner, SIGKILL);
				waitpid(owner, NULL, 0);
			} else {
				/* or it closes its handle and exits */
				__atomic_store_n(&ch->owner_quit, 1,
						 __ATOMIC_RELEASE);
				EXPECT_EQ(0, wait_child_ms(owner, 10000));
				__atomic_store_n(&ch->owner_quit, 0,
						 __ATOMIC_RELEASE);
			}
			ch_count(killed ? OP_OWNER_KILL : OP_OWNER_CLOSE, 0);
			owner = 0;
		}
		if (!owner) {
			owner = fork();
			ASSERT_LE(0, owner);
			if (!owner)
				ch_owner(++gen);
			gen++;
			owner_until = t + (100 + ch_rand(&st) % 900) * 1000000ull;
		}
		if (t >= next_proc) {
			char listing[16384];
			int pfd = open("/proc/msgq", O_RDONLY | O_CLOEXEC);
			ssize_t n;

			if (pfd >= 0) {
				n = read(pfd, listing, sizeof(listing) - 1);
				listing[n > 0 ? n : 0] = '\0';
				for (i = 0; i < CH_STABLE; i++)
					if (!strstr(listing, ch_names[i]))
						ch_error("/proc/msgq lacks %s", ch_names[i]);
				close(pfd);
				ch_count(OP_PROC, 0);
			}
			next_proc = t + 200000000ull;
		}
		sleep_ms(10);
	}

	/* stop: senders first, then the owner, receivers, the signaller */
	bad = ch_stop(_metadata, "producer", prod, CH_PRODUCERS,
		      &ch->stop_producers, 30000);
	bad += ch_stop(_metadata, "namer", namers, CH_NAMERS,
		       &ch->stop_producers, 30000);
	bad += ch_stop(_metadata, "namespace churner", churner, 1,
		       &ch->stop_producers, 90000);
	EXPECT_EQ(0, bad) TH_LOG("%d producers, namers or the churner failed", bad);
	__atomic_store_n(&ch->owned_gen, 0, __ATOMIC_RELEASE);
	if (owner) {
		kill(owner, SIGKILL);
		waitpid(owner, NULL, 0);
		ch_count(OP_OWNER_KILL, 0);
	}
	bad = ch_stop(_metadata, "consumer", cons, CH_CONSUMERS,
		      &ch->stop_consumers, 30000);
	EXPECT_EQ(0, bad) TH_LOG("%d consumers failed", bad);
	bad = ch_stop(_metadata, "signaller", signaller, 1, &ch->stop_all,
		      10000);
	EXPECT_EQ(0, bad);
	TH_LOG("ran %.1f s", (now_ns(CLOCK_MONOTONIC) - start) / 1e9);

	/* what is left in the stable mailboxes */
	for (i = 0; i < CH_STABLE; i++) {
		for (;;) {
			struct msgq_recv r = {
				.buf = ptr_to_u64(ch_rbuf),
				.cap = sizeof(ch_rbuf),
				.flags = MSGQ_F_NONBLOCK,
			};
			ssize_t n = msgq_recv_args(fds[i], &r);

			if (n < 0) {
				EXPECT_EQ(EAGAIN, errno);
				break;
			}
			ch_got(NULL, ch_rbuf, n, r.prio, i);
		}
	}

	/* the ledger */
	for (slot = 0; slot < CH_SLOTS; slot++) {
		unsigned int end = ch->next_seq[slot];

		if (end > CH_MAXSEQ)
			end = CH_MAXSEQ;
		for (seq = 0; seq < end; seq++) {
			unsigned int s = ch->status[slot][seq];
			unsigned int t = ch->target[slot][seq];
			unsigned int r = ch->received[slot][seq];
			unsigned int mbox = t & ~CH_SYNC;

			status_n[s]++;
			if (r > 1) {
				if (dup++ < 5)
					TH_LOG("slot %u seq %u received %u times",
					       slot, seq, r);
			} else if (s == CH_OK && !r) {
				if (mbox == CH_OWNED && !(t & CH_SYNC)) {
					ch->dropped_owned++;
				} else if (lost++ < 5) {
					TH_LOG("slot %u seq %u (mailbox %u%s) sent but never received",
					       slot, seq, mbox,
					       t & CH_SYNC ? ", sync" : "");
				}
			} else if (s != CH_OK && s != CH_UNUSED && r) {
				if (ghost++ < 5)
					TH_LOG("slot %u seq %u (mailbox %u%s) failed (%s) but was received",
					       slot, seq, mbox,
					       t & CH_SYNC ? ", sync" : "",
					       s == CH_IDRM ? "EIDRM" : "error");
			} else if (s == CH_UNUSED) {
				if (unknown++ < 5)
					TH_LOG("slot %u seq %u: no outcome", slot,
					       seq);
			}
			if (s == CH_OK && mbox < CH_STABLE)
				oks[mbox]++;
		}
	}

	TH_LOG("%lu ledger messages: %lu sent, %lu failed, %lu EIDRM; %lu received, %lu dropped with their owned mailbox",
	       status_n[1] + status_n[2] + status_n[3] + status_n[0],
	       status_n[CH_OK], status_n[CH_FAILED], status_n[CH_IDRM],
	       ch->received_total, ch->dropped_owned);
	for (k = 0; k < OP_MAX; k++) {
		char line[256];
		int len = 0;

		for (o = 0; o < OUT_MAX; o++)
			if (ch->ops[k][o])
				len += snprintf(line + len, sizeof(line) - len,
						" %s %lu",
						o ? strerror(out_errnos[o]) : "ok",
						ch->ops[k][o]);
		if (len)
			TH_LOG("%-12s%s", op_names[k], line);
	}
	for (k = 0; k < (int)ch->errors && k < 12; k++)
		TH_LOG("error: %s", ch->errlog[k]);
	EXPECT_EQ(0UL, ch->errors);
	EXPECT_EQ(0UL, dup) TH_LOG("messages received twice");
	EXPECT_EQ(0UL, lost) TH_LOG("messages lost");
	EXPECT_EQ(0UL, ghost) TH_LOG("failed sends received");
	EXPECT_EQ(0UL, unknown);
	EXPECT_EQ(0UL, ch->content_errors);
	EXPECT_EQ(0UL, ch->order_errors);
	EXPECT_EQ(0UL, ch->early_timeouts);
	EXPECT_LT(0UL, ch->received_total);

	for (i = 0; i < CH_STABLE; i++) {
		ASSERT_EQ(0, msgq_getattr(fds[i], &a));
		EXPECT_EQ(0U, a.cur_msgs) TH_LOG("mailbox %u", i);
		EXPECT_EQ(0ULL, a.cur_bytes) TH_LOG("mailbox %u", i);
		EXPECT_EQ((__u64)oks[i], a.total_sent)
			TH_LOG("mailbox %u: total_sent %llu, %lu sends succeeded",
			       i, (unsigned long long)a.total_sent, oks[i]);
		EXPECT_EQ(a.total_sent, a.total_received) TH_LOG("mailbox %u", i);
	}

	/* accounting: back to where it was once all is closed and unlinked */
	for (i = 0; i < CH_STABLE; i++) {
		EXPECT_EQ(0, msgq_unlink_at(dev, ch_names[i]));
		close(fds[i]);
	}
	close(dev);
	settled = false;
	for (k = 0; k < 50 && !settled; k++) {
		counts_read(&now);
		settled = counts_equal(&now, &base);
		if (!settled)
			sleep_ms(CH_REAP_MS);
	}
	for (o = 0; o < MSGQ_NCOUNTS; o++) {
		EXPECT_EQ(base.v[o], now.v[o])
			TH_LOG("stats %s: %lld before, %lld after (%d reap intervals)",
			       counts_names[o], base.v[o], now.v[o], k);
	}
	munmap(ch, sizeof(*ch));
}

TEST_HARNESS_MAIN
