// SPDX-License-Identifier: GPL-2.0
/*
 * Systematic fault injection, the method syzkaller uses: every operation
 * that allocates runs again and again with /proc/thread-self/fail-nth set
 * to 1, 2, 3, ... so that its first, second, third... allocation fails,
 * until a run reaches no fault point any more (fail-nth reads back non-zero
 * afterwards: the fault was never consumed) and must then succeed.
 *
 * After every attempt:
 *   - a failure is exactly ENOMEM (an injected allocation failure is never
 *     EFAULT or anything else: every user buffer is locked in memory with
 *     mlockall(), so no user copy can fault), and only when a fault was
 *     really injected (fail-nth read back 0);
 *   - a failure left nothing behind: no stray name (open gives ENOENT
 *     after a failed create), no message queued by a failed send, depth,
 *     bytes and totals of the mailbox unchanged, no message lost by a failed
 *     receive (it is still first in line), the live counts of
 *     /sys/kernel/debug/msgq/stats unchanged, no descriptor leaked (the
 *     entries of /proc/self/fd);
 *   - a success (also one that absorbed its injected fault, such as
 *     kvmalloc() falling back from kmalloc to vmalloc) did exactly what it
 *     should, and is undone so the next attempt starts from the same state.
 *
 * The debugfs knobs are set for each test and restored after it. By
 * default failslab and fail_page_alloc skip GFP_KERNEL allocations
 * (ignore-gfp-wait) and fail_page_alloc skips order-0 and highmem pages;
 * here every allocation of the task counts, page allocations too, so the
 * walks also fail new slab pages and kvmalloc()'s kmalloc() attempt for a
 * large message (which then falls back to vmalloc(): an absorbed fault).
 * Probability stays 0: only the task that set fail-nth sees a failure.
 *
 * fail-nth fails one allocation per attempt, so it never fails one inside
 * that vmalloc() fallback; the *_vmalloc tests do, with a second method
 * (fi_run_budget): fail_page_alloc fails every large page allocation of the
 * task, forcing the fallback, and failslab's byte budget walks the slab
 * allocations one by one.
 *
 * Receives, peeks, getattr and unlink allocate nothing: their walks end at
 * once (0 fault points) and say so, which is what the test checks.
 *
 * MSGQ_FI_VERBOSE=1 logs every attempt; =2 also leaves the knobs'
 * "verbose" alone, so the kernel logs a stack trace for each injected
 * failure (those without __GFP_NOWARN). See
 * Documentation/fault-injection/fault-injection.rst.
 *
 * Needs CONFIG_FAULT_INJECTION (fail-nth) and CONFIG_FAILSLAB, with debugfs
 * mounted: the msgq debug kernel (scripts/debug-kernel.sh). Without
 * /proc/thread-self/fail-nth (Debian's stock kernels) the whole program
 * skips (KSFT_SKIP).
 */
#include "msgq_test.h"

#include <sched.h>
#include <sys/eventfd.h>

#define u64_to_ptr(u)	((void *)(uintptr_t)(u))

#define FAIL_NTH_PATH	"/proc/thread-self/fail-nth"
#define FAILSLAB_DIR	"/sys/kernel/debug/failslab"
#define FAILPAGE_DIR	"/sys/kernel/debug/fail_page_alloc"
#define PROC_MSGQ	"/proc/msgq"

/* More fault points than any operation here has, by far. */
#define FI_MAX_STEPS	4000U
#define FI_TIMEOUT	240		/* seconds, per test */

#define LARGE_LEN	(256 * 1024)	/* kvmalloc's vmalloc path */
#define BIG_MSGSIZE	(2 * LARGE_LEN)
#define SMALL_LEN	200

/* ------------------------------------------------------------------ */
/* debugfs knobs, set for the test and restored after it */

struct knob {
	const char *path;
	const char *want;
	bool required;
	char saved[32];
	bool changed;
};

/* For fail-nth: every allocation of the task counts. */
static struct knob nth_knobs[] = {
	{ .path = FAILSLAB_DIR "/ignore-gfp-wait", .want = "N", .required = true },
	{ .path = FAILSLAB_DIR "/cache-filter", .want = "N" },
	{ .path = FAILSLAB_DIR "/verbose", .want = "0" },
	{ .path = FAILPAGE_DIR "/ignore-gfp-wait", .want = "N" },
	{ .path = FAILPAGE_DIR "/ignore-gfp-highmem", .want = "N" },
	{ .path = FAILPAGE_DIR "/min-order", .want = "0" },
	{ .path = FAILPAGE_DIR "/verbose", .want = "0" },
};

/*
 * For the budget walk (fi_run_budget): in the task that set make-it-fail,
 * every page allocation of order 4 (64 KiB) or more fails, so kvmalloc()
 * of a large message always falls back to vmalloc(); and failslab fails
 * once (times 1), at the first slab allocation that finds its "space"
 * budget (bytes) spent. Probability last: it is restored first.
 */
static struct knob budget_knobs[] = {
	{ .path = FAILSLAB_DIR "/task-filter", .want = "Y", .required = true },
	{ .path = FAILSLAB_DIR "/interval", .want = "1" },
	{ .path = FAILSLAB_DIR "/times", .want = "1", .required = true },
	{ .path = FAILSLAB_DIR "/space", .want = "0", .required = true },
	{ .path = FAILPAGE_DIR "/task-filter", .want = "Y", .required = true },
	{ .path = FAILPAGE_DIR "/interval", .want = "1" },
	{ .path = FAILPAGE_DIR "/times", .want = "-1", .required = true },
	{ .path = FAILPAGE_DIR "/space", .want = "0" },
	{ .path = FAILPAGE_DIR "/min-order", .want = "4", .required = true },
	{ .path = FAILSLAB_DIR "/probability", .want = "100", .required = true },
	{ .path = FAILPAGE_DIR "/probability", .want = "100", .required = true },
};

#define NKNOBS(t)	(sizeof(t) / sizeof((t)[0]))

static void knobs_restore(struct knob *k, size_t n)
{
	while (n--)
		if (k[n].changed && !file_write_str(k[n].path, k[n].saved))
			k[n].changed = false;
}

/*
 * Set a table of knobs, in order, saving what they held. Returns 0, or -1
 * (everything restored) if a required one is missing or refused.
 */
static int knobs_set(struct knob *k, size_t n)
{
	size_t i;

	const char *verbose = getenv("MSGQ_FI_VERBOSE");

	for (i = 0; i < n; i++) {
		k[i].changed = false;
		/* MSGQ_FI_VERBOSE=2: the kernel logs each injected failure */
		if (verbose && atoi(verbose) >= 2 &&
		    strstr(k[i].path, "/verbose"))
			continue;
		if (file_read_str(k[i].path, k[i].saved, sizeof(k[i].saved))) {
			if (k[i].required)
				goto fail;
			continue;
		}
		if (!strcmp(k[i].saved, k[i].want))
			continue;
		if (file_write_str(k[i].path, k[i].want)) {
			if (k[i].required)
				goto fail;
			continue;
		}
		k[i].changed = true;
	}
	return 0;
fail:
	knobs_restore(k, i);
	return -1;
}

/* ------------------------------------------------------------------ */
/* What must not change when an operation fails */

struct snap {
	struct msgq_counts counts;
	int nfds;
};

/*
 * Both files are opened once, in the setup, and read with pread/lseek: a
 * snapshot opens no descriptor, so it neither changes what it counts nor
 * grows the descriptor table behind the test's back.
 */
static void snap_take(struct __test_metadata *_metadata, int statsfd,
		      int fddir, struct snap *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	counts_read_fd(statsfd, &s->counts);
	for (i = 0; i < MSGQ_NCOUNTS; i++) {
		ASSERT_LE(0, s->counts.v[i])
			TH_LOG("no \"%s\" in %s: %s", counts_names[i],
			       MSGQ_STATS_PATH, strerror(errno));
	}

	ASSERT_EQ(0, lseek(fddir, 0, SEEK_SET));
	for (;;) {
		char dents[4096];
		long got = syscall(SYS_getdents64, fddir, dents, sizeof(dents));
		long off = 0;

		ASSERT_LE(0, got) TH_LOG("getdents /proc/self/fd: %s",
					 strerror(errno));
		if (!got)
			break;
		while (off < got) {
			unsigned short reclen;
			const char *name;

			memcpy(&reclen, dents + off + 16, sizeof(reclen));
			name = dents + off + 19;
			if (strcmp(name, ".") && strcmp(name, ".."))
				s->nfds++;
			off += reclen;
		}
	}
}

static void snap_expect_same(struct __test_metadata *_metadata,
			     const struct snap *a, const struct snap *b,
			     const char *what, unsigned long step)
{
	size_t i;

	for (i = 0; i < MSGQ_NCOUNTS; i++) {
		EXPECT_EQ(a->counts.v[i], b->counts.v[i])
			TH_LOG("%s, fault %lu: stats %s %lld -> %lld", what, step,
			       counts_names[i], a->counts.v[i], b->counts.v[i]);
	}
	EXPECT_EQ(a->nfds, b->nfds)
		TH_LOG("%s, fault %lu: %d descriptors -> %d", what, step,
		       a->nfds, b->nfds);
}

/* ------------------------------------------------------------------ */
/* The fixture */

FIXTURE(fi) {
	int dev;		/* /dev/msgq */
	int nth;		/* /proc/thread-self/fail-nth */
	int statsfd;		/* /sys/kernel/debug/msgq/stats */
	int fddir;		/* /proc/self/fd */
	int fd;			/* a mailbox the test set up, or -1 */
	bool knobs;		/* nth_knobs set */
	bool budget;		/* budget_knobs set */
	int mif;		/* /proc/thread-self/make-it-fail, or -1 */
	char name[MSGQ_NAME_MAX + 1];	/* unique per test */
	char name2[MSGQ_NAME_MAX + 1];	/* a second one */
};

static void touch_stack(void)
{
	volatile char pad[256 * 1024];

	memset((char *)pad, 1, sizeof(pad));
}

FIXTURE_SETUP(fi)
{
	self->dev = self->nth = self->statsfd = self->fddir = self->fd = -1;
	self->mif = -1;
	self->knobs = self->budget = false;
	if (access(MSGQ_DEVICE_PATH, F_OK))
		SKIP(_exit(255), "%s absent: msgq module not loaded",
		     MSGQ_DEVICE_PATH);
	self->nth = open(FAIL_NTH_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nth) TH_LOG("%s: %s", FAIL_NTH_PATH,
				       strerror(errno));
	if (knobs_set(nth_knobs, NKNOBS(nth_knobs))) {
		SKIP(_exit(255), "%s absent: no CONFIG_FAILSLAB or no debugfs",
		     FAILSLAB_DIR);
	}
	self->knobs = true;
	self->statsfd = open(MSGQ_STATS_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->statsfd) TH_LOG("%s: %s", MSGQ_STATS_PATH,
					   strerror(errno));
	self->fddir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY |
			   O_CLOEXEC);
	ASSERT_LE(0, self->fddir);
	self->dev = msgq_dev_open();
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", MSGQ_DEVICE_PATH,
				       strerror(errno));
	snprintf(self->name, sizeof(self->name), "fi-%d-%s", (int)getpid(),
		 _metadata->name);
	snprintf(self->name2, sizeof(self->name2), "fi-%d-%s-2", (int)getpid(),
		 _metadata->name);
	/*
	 * No page fault between fail-nth and the system call, and none in
	 * it: a user copy that faulted in a page under an injected failure
	 * would turn ENOMEM into EFAULT (or start the OOM killer).
	 */
	touch_stack();
	ASSERT_EQ(0, mlockall(MCL_CURRENT | MCL_FUTURE))
		TH_LOG("mlockall: %s", strerror(errno));
}

FIXTURE_TEARDOWN(fi)
{
	if (self->nth >= 0)
		pwrite(self->nth, "0", 1, 0);
	if (self->budget) {
		pwrite(self->mif, "0", 1, 0);
		knobs_restore(budget_knobs, NKNOBS(budget_knobs));
	}
	if (self->knobs)
		knobs_restore(nth_knobs, NKNOBS(nth_knobs));
	if (self->mif >= 0)
		close(self->mif);
	if (self->fd >= 0)
		close(self->fd);
	if (self->dev >= 0) {
		msgq_unlink_at(self->dev, self->name);
		msgq_unlink_at(self->dev, self->name2);
		close(self->dev);
	}
}

/* ------------------------------------------------------------------ */
/* fail-nth */

static void fi_arm(int nth, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(nth, buf, len, 0) != len)
		abort();
}

/* Disarm; true if the armed fault was injected (fail-nth read back 0). */
static bool fi_disarm(int nth)
{
	char buf[16];
	ssize_t n = pread(nth, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		abort();
	buf[n] = '\0';
	if (pwrite(nth, "0", 1, 0) != 1)
		abort();
	return strtoul(buf, NULL, 10) == 0;
}

struct fi_try {
	long ret;
	int err;
	bool injected;
	long budget_left;	/* FI_BUDGET: failslab "space" afterwards */
};

/*
 * One attempt: fail-nth armed right before @call, read back right after;
 * nothing else runs in between (no allocation, no page fault, no other
 * system call).
 */
#define FI_TRY(nth, n, t, call) do {					\
	fi_arm((nth), (n));						\
	errno = 0;							\
	(t).ret = (long)(call);						\
	(t).err = errno;						\
	(t).injected = fi_disarm(nth);					\
} while (0)

/*
 * An operation under test. @call is the system call alone; @check runs
 * after each attempt, verifies its outcome (what a success did, or that a
 * failure left nothing) and restores the state the next attempt starts
 * from. For a batch send a short count is the documented outcome of a
 * failure at entry k: @check handles it.
 */
struct fi_case;
typedef long (*fi_call_fn)(FIXTURE_DATA(fi) *self, struct fi_case *c);
typedef void (*fi_check_fn)(struct __test_metadata *_metadata,
			    FIXTURE_DATA(fi) *self, struct fi_case *c,
			    const struct fi_try *t, unsigned long step);

struct fi_case {
	const char *what;
	fi_call_fn call;
	fi_check_fn check;
	/* operands */
	int fd;				/* the handle operated on */
	int fd2;			/* fan-out: a second subscription */
	unsigned int flags;
	const char *name;
	unsigned int max_msgs, max_msgsize;
	void *buf;			/* payload to send */
	size_t len;
	unsigned int prio;
	void *rbuf;			/* receive buffer */
	size_t rcap;
	struct msgq_send s;
	struct msgq_recv r;
	struct msgq_batch b;
	struct msgq_mmsg mm[8];
	unsigned int count;
	struct msgq_attr attr;
	struct msgq_attr *attrp;
	int procfd;
	/* state before the attempt, for @check */
	struct msgq_attr before;
	/* results */
	unsigned int attempts, failures, absorbed, partial;
};

/*
 * One attempt, checked: @arm makes the attempt's fault (fail-nth @n, or a
 * failslab budget of @n bytes), then the system call alone runs, then the
 * outcome is judged and @check restores the starting state. Nothing may
 * have changed when it returns (live counts, descriptors).
 */
enum fi_mode { FI_NTH, FI_BUDGET };

static void fi_budget_try(struct __test_metadata *_metadata,
			  FIXTURE_DATA(fi) *self, struct fi_case *c,
			  unsigned long budget, struct fi_try *t);

static void fi_attempt(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fi) *self, struct fi_case *c,
		       enum fi_mode mode, unsigned long n, struct fi_try *t)
{
	struct snap s0, s1;

	c->attempts++;
	snap_take(_metadata, self->statsfd, self->fddir, &s0);
	if (c->fd >= 0)
		ASSERT_EQ(0, msgq_getattr(c->fd, &c->before));
	if (mode == FI_NTH)
		FI_TRY(self->nth, n, *t, c->call(self, c));
	else
		fi_budget_try(_metadata, self, c, n, t);
	if (getenv("MSGQ_FI_VERBOSE"))
		TH_LOG("%s: %s %lu: %ld%s%s%s", c->what,
		       mode == FI_NTH ? "fail-nth" : "budget", n, t->ret,
		       t->ret < 0 ? " " : "", t->ret < 0 ? strerror(t->err) : "",
		       t->injected ? ", injected" : "");
	if (t->ret < 0) {
		c->failures++;
		ASSERT_TRUE(t->injected)
			TH_LOG("%s failed (%s) at fault %lu with no fault injected",
			       c->what, strerror(t->err), n);
		ASSERT_EQ(ENOMEM, t->err)
			TH_LOG("%s, fault %lu: %s, expected ENOMEM",
			       c->what, n, strerror(t->err));
	} else if (t->injected) {
		c->absorbed++;
	}
	c->check(_metadata, self, c, t, n);
	snap_take(_metadata, self->statsfd, self->fddir, &s1);
	snap_expect_same(_metadata, &s0, &s1, c->what, n);
	ASSERT_TRUE(_metadata->passed) TH_LOG("%s: stopped at fault %lu",
					     c->what, n);
}

/*
 * Fail the 1st, 2nd, 3rd... fault point until none is reached. The
 * sequence of fault points is not quite the same from one attempt to the
 * next (a slab that needs a new page, kmemleak's and KASAN's own
 * allocations), so a walk can step over one: FI_PASSES walks.
 */
#define FI_PASSES	3

static void fi_run(struct __test_metadata *_metadata, FIXTURE_DATA(fi) *self,
		   struct fi_case *c)
{
	unsigned int n, pass, points = 0;
	struct fi_try t;

	c->attempts = c->failures = c->absorbed = c->partial = 0;
	for (pass = 0; pass < FI_PASSES; pass++) {
		for (n = 1;; n++) {
			ASSERT_GT(FI_MAX_STEPS, n)
				TH_LOG("%s: still reaching fault points after %u",
				       c->what, n);
			fi_attempt(_metadata, self, c, FI_NTH, n, &t);
			if (!t.injected)
				break;
		}
		if (n - 1 > points)
			points = n - 1;
	}
	TH_LOG("%s: up to %u fault points, %u walks: %u failed with ENOMEM, %u absorbed, %u short batches",
	       c->what, points, FI_PASSES, c->failures, c->absorbed,
	       c->partial);
}

/*
 * The budget walk. fail-nth fails one allocation per attempt, and the
 * first allocation of a large send is kvmalloc()'s kmalloc() attempt, so
 * fail-nth never fails an allocation inside the vmalloc() fallback. Here
 * every large page allocation fails instead (budget_knobs), so every
 * attempt takes the fallback, and failslab's byte budget ("space") picks
 * which slab allocation fails: the first one that finds the budget spent.
 * After an attempt that failed call k, "space" still holds what was left
 * when call k came, so S - left is the bytes allocated before it; a binary
 * search finds the smallest budget that lets call k through, which makes
 * call k + 1 the one to fail. Every probe is a checked attempt too.
 */
#define FI_BUDGET_SPAN	65536UL		/* > any slab object */

static void fi_budget_try(struct __test_metadata *_metadata,
			  FIXTURE_DATA(fi) *self, struct fi_case *c,
			  unsigned long budget, struct fi_try *t)
{
	char v[32];

	snprintf(v, sizeof(v), "%lu", budget);
	ASSERT_EQ(0, file_write_str(FAILSLAB_DIR "/space", v));
	ASSERT_EQ(0, file_write_str(FAILSLAB_DIR "/times", "1"));
	if (pwrite(self->mif, "1", 1, 0) != 1)
		abort();
	errno = 0;
	t->ret = c->call(self, c);
	t->err = errno;
	if (pwrite(self->mif, "0", 1, 0) != 1)
		abort();
	ASSERT_EQ(0, file_read_str(FAILSLAB_DIR "/times", v, sizeof(v)));
	t->injected = !strcmp(v, "0");
	ASSERT_EQ(0, file_read_str(FAILSLAB_DIR "/space", v, sizeof(v)));
	t->budget_left = strtol(v, NULL, 10);
}

static void fi_run_budget(struct __test_metadata *_metadata,
			  FIXTURE_DATA(fi) *self, struct fi_case *c)
{
	unsigned long budget = 0, lo, hi, mid, before;
	unsigned int points = 0;
	struct fi_try t, u;

	if (!self->budget) {
		self->mif = open("/proc/thread-self/make-it-fail",
				 O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, self->mif) TH_LOG("make-it-fail: %s",
					       strerror(errno));
		if (knobs_set(budget_knobs, NKNOBS(budget_knobs)))
			SKIP(return, "failslab/fail_page_alloc knobs missing");
		self->budget = true;
	}
	c->attempts = c->failures = c->absorbed = c->partial = 0;
	for (;;) {
		ASSERT_GT(FI_MAX_STEPS, points);
		fi_attempt(_metadata, self, c, FI_BUDGET, budget, &t);
		if (!t.injected)
			break;
		points++;
		before = budget - t.budget_left;
		lo = budget;
		hi = budget + FI_BUDGET_SPAN;
		while (hi - lo > 1) {
			mid = lo + (hi - lo) / 2;
			fi_attempt(_metadata, self, c, FI_BUDGET, mid, &u);
			if (u.injected && mid - u.budget_left == before)
				lo = mid;	/* still fails call k */
			else
				hi = mid;
		}
		budget = hi;
	}
	TH_LOG("%s, vmalloc forced: %u slab allocations failed one by one (%u attempts): %u failed with ENOMEM, %u absorbed, %u short batches",
	       c->what, points, c->attempts, c->failures, c->absorbed,
	       c->partial);
}

/* ------------------------------------------------------------------ */
/* Shared checks */

static void expect_attr_same(struct __test_metadata *_metadata,
			     const struct msgq_attr *a,
			     const struct msgq_attr *b, const char *what,
			     unsigned long step)
{
	EXPECT_EQ(a->cur_msgs, b->cur_msgs)
		TH_LOG("%s, fault %lu: depth %u -> %u", what, step,
		       a->cur_msgs, b->cur_msgs);
	EXPECT_EQ(a->cur_bytes, b->cur_bytes)
		TH_LOG("%s, fault %lu: bytes %llu -> %llu", what, step,
		       (unsigned long long)a->cur_bytes,
		       (unsigned long long)b->cur_bytes);
	EXPECT_EQ(a->total_sent, b->total_sent)
		TH_LOG("%s, fault %lu: total_sent changed", what, step);
	EXPECT_EQ(a->total_received, b->total_received)
		TH_LOG("%s, fault %lu: total_received changed", what, step);
	EXPECT_EQ(a->flags, b->flags);
}

/* The name opens (true) or is gone (ENOENT, false). */
static bool name_exists(struct __test_metadata *_metadata, int dev,
			const char *name)
{
	int fd = msgq_open_at(dev, name, MSGQ_O_RECV);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	EXPECT_EQ(ENOENT, errno) TH_LOG("open %s: %s", name, strerror(errno));
	return false;
}

/* Receive the next message without waiting; check its payload. */
static void expect_next(struct __test_metadata *_metadata, int fd,
			const void *want, size_t len, unsigned int prio,
			bool peek, const char *what)
{
	static char got[LARGE_LEN + 64];
	struct msgq_recv r = {
		.buf = ptr_to_u64(got),
		.cap = sizeof(got),
		.flags = MSGQ_F_NONBLOCK | (peek ? MSGQ_F_PEEK : 0),
	};
	ssize_t n = msgq_recv_args(fd, &r);

	ASSERT_EQ((ssize_t)len, n) TH_LOG("%s: receive: %zd (%s)", what, n,
					  n < 0 ? strerror(errno) : "length");
	EXPECT_EQ(prio, r.prio) TH_LOG("%s: priority", what);
	EXPECT_EQ(0, memcmp(got, want, len)) TH_LOG("%s: payload differs",
						    what);
}

static void *pattern_buf(size_t len, unsigned int seed)
{
	void *p = malloc(len ? len : 1);

	if (p)
		fill_pattern(p, len, seed);
	return p;
}

/* A mailbox for the test, handle in self->fd. */
static void make_mailbox(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fi) *self, unsigned int max_msgs,
			 unsigned int max_msgsize)
{
	self->fd = msgq_create_at(self->dev, self->name,
				  MSGQ_O_RDWR | MSGQ_O_EXCL | MSGQ_O_CLOEXEC,
				  0600, max_msgs, max_msgsize);
	ASSERT_LE(0, self->fd) TH_LOG("create %s: %s", self->name,
				      strerror(errno));
}

/* ------------------------------------------------------------------ */
/* Create */

static long call_create(FIXTURE_DATA(fi) *self, struct fi_case *c)
{
	return msgq_create_at(self->dev, c->name, c->flags, 0600, c->max_msgs,
			      c->max_msgsize);
}

/* A new name: a success made it (then undone), a failure left no trace. */
static void check_create_new(struct __test_metadata *_metadata,
			     FIXTURE_DATA(fi) *self, struct fi_case *c,
			     const struct fi_try *t, unsigned long step)
{
	struct msgq_attr a;

	if (t->ret < 0) {
		EXPECT_FALSE(name_exists(_metadata, self->dev, c->name))
			TH_LOG("%s, fault %lu: failed with ENOMEM but the name %s exists",
			       c->what, step, c->name);
		/* Clean up for the next attempt, whatever happened. */
		msgq_unlink_at(self->dev, c->name);
		return;
	}
	ASSERT_EQ(0, msgq_getattr(t->ret, &a));
	EXPECT_EQ(c->max_msgs, a.max_msgs);
	EXPECT_EQ(c->max_msgsize, a.max_msgsize);
	EXPECT_EQ(0U, a.cur_msgs);
	EXPECT_EQ((unsigned int)MSGQ_O_RDWR, a.handle_flags & MSGQ_O_RDWR);
	ASSERT_EQ(0, msgq_send(t->ret, "x", 1, 3));
	expect_next(_metadata, t->ret, "x", 1, 3, false, c->what);
	EXPECT_TRUE(name_exists(_metadata, self->dev, c->name));
	ASSERT_EQ(0, close(t->ret));
	if (c->flags & MSGQ_O_OWNED) {
		/* closing the owner removed it */
		EXPECT_FALSE(name_exists(_metadata, self->dev, c->name));
	} else {
		ASSERT_EQ(0, msgq_unlink_at(self->dev, c->name));
	}
}

static void run_create_new(struct __test_metadata *_metadata,
			   FIXTURE_DATA(fi) *self, unsigned int flags,
			   const char *what)
{
	struct fi_case c = {
		.what = what, .call = call_create, .check = check_create_new,
		.fd = -1, .name = self->name2, .flags = flags,
		.max_msgs = 4, .max_msgsize = 128,
	};

	fi_run(_metadata, self, &c);
}

/* create a new name (MSGQ_O_EXCL), another name already in the namespace */
TEST_F_TIMEOUT(fi, create_new_excl, FI_TIMEOUT)
{
	make_mailbox(_metadata, self, 1, 8);	/* the namespace has a table */
	run_create_new(_metadata, self, MSGQ_O_RDWR | MSGQ_O_EXCL,
		       "create (EXCL)");
}

/* create without MSGQ_O_EXCL, the name absent: creates */
TEST_F_TIMEOUT(fi, create_new_no_excl, FI_TIMEOUT)
{
	make_mailbox(_metadata, self, 1, 8);
	run_create_new(_metadata, self, MSGQ_O_RDWR, "create (no EXCL, new)");
}

/* an owned mailbox: a failed create must not leave it behind either */
TEST_F_TIMEOUT(fi, create_new_owned, FI_TIMEOUT)
{
	make_mailbox(_metadata, self, 1, 8);
	run_create_new(_metadata, self, MSGQ_O_RDWR | MSGQ_O_OWNED,
		       "create (OWNED)");
}

/*
 * The first name of a fresh IPC namespace: the namespace's table is
 * allocated too (and freed with the last name: stats "namespaces").
 */
TEST_F_TIMEOUT(fi, create_first_in_namespace, FI_TIMEOUT)
{
	ASSERT_EQ(0, unshare(CLONE_NEWIPC)) TH_LOG("unshare: %s",
						   strerror(errno));
	close(self->dev);
	self->dev = msgq_dev_open();
	ASSERT_LE(0, self->dev);
	run_create_new(_metadata, self, MSGQ_O_RDWR | MSGQ_O_EXCL,
		       "create (first name of a namespace)");
}

/* A create that opens an existing mailbox: it stays as it was. */
static void check_create_existing(struct __test_metadata *_metadata,
				  FIXTURE_DATA(fi) *self, struct fi_case *c,
				  const struct fi_try *t, unsigned long step)
{
	struct msgq_attr a;

	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	expect_attr_same(_metadata, &c->before, &a, c->what, step);
	EXPECT_TRUE(name_exists(_metadata, self->dev, c->name));
	if (t->ret < 0)
		return;
	/* the same mailbox, not a new one */
	ASSERT_EQ(0, msgq_getattr(t->ret, &a));
	EXPECT_EQ(1U, a.cur_msgs);
	EXPECT_EQ(8U, a.max_msgs);
	ASSERT_EQ(0, close(t->ret));
}

TEST_F_TIMEOUT(fi, create_opens_existing, FI_TIMEOUT)
{
	struct fi_case c = {
		.what = "create (existing name)", .call = call_create,
		.check = check_create_existing, .name = self->name,
		.flags = MSGQ_O_RDWR, .max_msgs = 2, .max_msgsize = 16,
	};

	make_mailbox(_metadata, self, 8, 64);
	ASSERT_EQ(0, msgq_send(self->fd, "queued", 6, 1));
	c.fd = self->fd;
	fi_run(_metadata, self, &c);
	expect_next(_metadata, self->fd, "queued", 6, 1, false, c.what);
}

/* ------------------------------------------------------------------ */
/* Open */

static long call_open(FIXTURE_DATA(fi) *self, struct fi_case *c)
{
	return msgq_open_at(self->dev, c->name, c->flags);
}

static void check_open(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fi) *self, struct fi_case *c,
		       const struct fi_try *t, unsigned long step)
{
	struct msgq_attr a;

	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	expect_attr_same(_metadata, &c->before, &a, c->what, step);
	if (t->ret < 0)
		return;
	ASSERT_EQ(0, msgq_getattr(t->ret, &a));
	EXPECT_EQ(1U, a.cur_msgs);
	EXPECT_EQ((unsigned int)MSGQ_O_RECV, a.handle_flags & MSGQ_O_RDWR);
	ASSERT_EQ(0, close(t->ret));
}

TEST_F_TIMEOUT(fi, open_existing, FI_TIMEOUT)
{
	struct fi_case c = {
		.what = "open", .call = call_open, .check = check_open,
		.name = self->name, .flags = MSGQ_O_RECV,
	};

	make_mailbox(_metadata, self, 4, 64);
	ASSERT_EQ(0, msgq_send(self->fd, "m", 1, 0));
	c.fd = self->fd;
	fi_run(_metadata, self, &c);
}

/*
 * open when the descriptor table is full (fds 0..63 in use): the new
 * handle's descriptor needs a larger table, one more allocation to fail.
 */
TEST_F_TIMEOUT(fi, open_grows_fd_table, FI_TIMEOUT)
{
	struct fi_case c = {
		.what = "open (descriptor table grows)", .call = call_open,
		.check = check_open, .name = self->name, .flags = MSGQ_O_RECV,
	};
	int i;

	make_mailbox(_metadata, self, 4, 64);
	ASSERT_EQ(0, msgq_send(self->fd, "m", 1, 0));
	c.fd = self->fd;
	for (i = 0; i < 64; i++) {
		if (fcntl(i, F_GETFD) < 0)
			ASSERT_EQ(i, dup2(self->dev, i));
	}
	fi_run(_metadata, self, &c);
}

/* ------------------------------------------------------------------ */
/* Send */

static long call_send(FIXTURE_DATA(fi) *self, struct fi_case *c)
{
	return msgq_send_args(c->fd, &c->s);
}

static long call_write(FIXTURE_DATA(fi) *self, struct fi_case *c)
{
	return write(c->fd, c->buf, c->len);
}

/*
 * A mailbox holding one message ("first", priority 0): a success queued
 * exactly the payload (taken back out), a failure queued nothing.
 */
static void check_send(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fi) *self, struct fi_case *c,
		       const struct fi_try *t, unsigned long step)
{
	struct msgq_attr a;

	ASSERT_EQ(0, msgq_getattr(c->fd, &a));
	if (t->ret < 0) {
		expect_attr_same(_metadata, &c->before, &a, c->what, step);
		expect_next(_metadata, c->fd, "first", 5, 0, true, c->what);
		return;
	}
	if (c->call == call_write)
		EXPECT_EQ((long)c->len, t->ret);
	EXPECT_EQ(c->before.cur_msgs + 1, a.cur_msgs);
	EXPECT_EQ(c->before.cur_bytes + c->len, a.cur_bytes);
	EXPECT_EQ(c->before.total_sent + 1, a.total_sent);
	if (c->prio) {
		/* ahead of "first" */
		expect_next(_metadata, c->fd, c->buf, c->len, c->prio, false,
			    c->what);
	} else {
		/* behind it: take both, put "first" back */
		expect_next(_metadata, c->fd, "first", 5, 0, false, c->what);
		expect_next(_metadata, c->fd, c->buf, c->len, 0, false,
			    c->what);
		ASSERT_EQ(0, msgq_send(c->fd, "first", 5, 0));
	}
	ASSERT_EQ(1, mbox_depth(c->fd));
}

static void run_send(struct __test_metadata *_metadata,
		     FIXTURE_DATA(fi) *self, size_t len, unsigned int prio,
		     bool use_write, bool budget, const char *what)
{
	struct fi_case c = {
		.what = what, .call = use_write ? call_write : call_send,
		.check = check_send, .len = len, .prio = prio,
	};

	make_mailbox(_metadata, self, 4, BIG_MSGSIZE);
	ASSERT_EQ(0, msgq_send(self->fd, "first", 5, 0));
	c.fd = self->fd;
	c.buf = pattern_buf(len, (unsigned int)len);
	ASSERT_NE(NULL, c.buf);
	c.s.buf = ptr_to_u64(c.buf);
	c.s.len = len;
	c.s.prio = prio;
	if (budget)
		fi_run_budget(_metadata, self, &c);
	else
		fi_run(_metadata, self, &c);
	free(c.buf);
}

TEST_F_TIMEOUT(fi, send_small, FI_TIMEOUT)
{
	run_send(_metadata, self, SMALL_LEN, 7, false, false, "send 200 bytes");
}

TEST_F_TIMEOUT(fi, send_empty, FI_TIMEOUT)
{
	run_send(_metadata, self, 0, 5, false, false, "send 0 bytes");
}

/* a kvmalloc() past kmalloc's reach: vmalloc, page by page */
TEST_F_TIMEOUT(fi, send_large, FI_TIMEOUT)
{
	run_send(_metadata, self, LARGE_LEN, 9, false, false, "send 256 KiB");
}

/*
 * A fan-out mailbox, self->fd a read-write subscription, c->fd2 another:
 * a success reached both, a failure neither (all or nothing).
 */
static void check_fanout_send(struct __test_metadata *_metadata,
			      FIXTURE_DATA(fi) *self, struct fi_case *c,
			      const struct fi_try *t, unsigned long step)
{
	struct msgq_attr a, b;

	ASSERT_EQ(0, msgq_getattr(c->fd, &a));
	ASSERT_EQ(0, msgq_getattr(c->fd2, &b));
	if (t->ret < 0) {
		EXPECT_EQ(0U, a.cur_msgs) TH_LOG("%s, fault %lu", c->what, step);
		EXPECT_EQ(0U, b.cur_msgs) TH_LOG("%s, fault %lu", c->what, step);
		EXPECT_EQ(c->before.total_sent, a.total_sent);
		return;
	}
	EXPECT_EQ(c->before.total_sent + 1, a.total_sent);
	expect_next(_metadata, c->fd, c->buf, c->len, c->prio, false, c->what);
	expect_next(_metadata, c->fd2, c->buf, c->len, c->prio, false,
		    c->what);
}

static void run_fanout_send(struct __test_metadata *_metadata,
			    FIXTURE_DATA(fi) *self, size_t len,
			    unsigned int prio, const char *what)
{
	struct fi_case c = {
		.what = what, .call = call_send, .check = check_fanout_send,
		.len = len, .prio = prio,
	};

	self->fd = msgq_create_at(self->dev, self->name,
				  MSGQ_O_RDWR | MSGQ_O_EXCL | MSGQ_O_CLOEXEC |
				  MSGQ_O_FANOUT, 0600, 4, BIG_MSGSIZE);
	ASSERT_LE(0, self->fd) TH_LOG("create: %s", strerror(errno));
	c.fd = self->fd;
	c.fd2 = msgq_open_at(self->dev, self->name,
			     MSGQ_O_RECV | MSGQ_O_CLOEXEC);
	ASSERT_LE(0, c.fd2);
	c.buf = pattern_buf(len, (unsigned int)len);
	ASSERT_NE(NULL, c.buf);
	c.s.buf = ptr_to_u64(c.buf);
	c.s.len = len;
	c.s.prio = prio;
	fi_run(_metadata, self, &c);
	free(c.buf);
	close(c.fd2);
}

/* a fan-out send: one body, a header per subscription, a group for 1000 */
TEST_F_TIMEOUT(fi, fanout_send, FI_TIMEOUT)
{
	run_fanout_send(_metadata, self, SMALL_LEN, 1000,
			"fan-out send 200 bytes");
}

TEST_F_TIMEOUT(fi, fanout_send_paged, FI_TIMEOUT)
{
	run_fanout_send(_metadata, self, 3 * 4096 + 5, 3,
			"fan-out send 3 pages");
}

static long call_subscribe(FIXTURE_DATA(fi) *self, struct fi_case *c)
{
	return msgq_open_at(self->dev, self->name, MSGQ_O_RECV | MSGQ_O_CLOEXEC);
}

/* A subscription made gets what is sent next; a failed one left nothing. */
static void check_subscribe(struct __test_metadata *_metadata,
			    FIXTURE_DATA(fi) *self, struct fi_case *c,
			    const struct fi_try *t, unsigned long step)
{
	struct msgq_attr a;

	ASSERT_EQ(0, msgq_getattr(c->fd, &a));
	if (t->ret < 0) {
		EXPECT_EQ(c->before.subscribers, a.subscribers)
			TH_LOG("%s, fault %lu", c->what, step);
		return;
	}
	EXPECT_EQ(c->before.subscribers + 1, a.subscribers);
	ASSERT_EQ(0, msgq_send(c->fd, "x", 1, 2));
	expect_next(_metadata, t->ret, "x", 1, 2, false, c->what);
	ASSERT_EQ(0, close(t->ret));
	ASSERT_EQ(c->before.subscribers, attr_of(c->fd).subscribers);
}

TEST_F_TIMEOUT(fi, fanout_subscribe, FI_TIMEOUT)
{
	struct fi_case c = {
		.what = "subscribe", .call = call_subscribe,
		.check = check_subscribe,
	};

	self->fd = msgq_create_at(self->dev, self->name,
				  MSGQ_O_SEND | MSGQ_O_EXCL | MSGQ_O_CLOEXEC |
				  MSGQ_O_FANOUT, 0600, 4, 16);
	ASSERT_LE(0, self->fd) TH_LOG("create: %s", strerror(errno));
	c.fd = self->fd;
	fi_run(_metadata, self, &c);
}

/* the same, kvmalloc() made to take vmalloc(): its allocations fail */
TEST_F_TIMEOUT(fi, send_large_vmalloc, FI_TIMEOUT)
{
	run_send(_metadata, self, LARGE_LEN, 9, false, true, "send 256 KiB");
}

TEST_F_TIMEOUT(fi, write_small, FI_TIMEOUT)
{
	run_send(_metadata, self, SMALL_LEN, 0, true, false,
		 "write(2) 200 bytes");
}

TEST_F_TIMEOUT(fi, write_large, FI_TIMEOUT)
{
	run_send(_metadata, self, LARGE_LEN, 0, true, false,
		 "write(2) 256 KiB");
}

TEST_F_TIMEOUT(fi, write_large_vmalloc, FI_TIMEOUT)
{
	run_send(_metadata, self, LARGE_LEN, 0, true, true, "write(2) 256 KiB");
}

/* ------------------------------------------------------------------ */
/* Batch send */

static const size_t batch_lens[] = { 10, 4096, 100000, 0, 300, 70000 };
#define BATCH_N	(sizeof(batch_lens) / sizeof(batch_lens[0]))

static long call_send_batch(FIXTURE_DATA(fi) *self, struct fi_case *c)
{
	return msgq_send_batch_args(c->fd, &c->b);
}

/*
 * A failure queued nothing; a short count k (the allocation for entry k
 * failed) queued exactly entries 0..k-1, in order, and entries k.. are the
 * caller's to send again, which the next attempt does.
 */
static void check_send_batch(struct __test_metadata *_metadata,
			     FIXTURE_DATA(fi) *self, struct fi_case *c,
			     const struct fi_try *t, unsigned long step)
{
	unsigned int k, sent = t->ret < 0 ? 0 : (unsigned int)t->ret;
	struct msgq_attr a;

	ASSERT_EQ(0, msgq_getattr(c->fd, &a));
	if (t->ret < 0) {
		expect_attr_same(_metadata, &c->before, &a, c->what, step);
		return;
	}
	ASSERT_LE(1U, sent);
	ASSERT_GE(BATCH_N, sent);
	if (sent < BATCH_N) {
		c->partial++;
		EXPECT_TRUE(t->injected)
			TH_LOG("%s: %u of %zu sent without a fault", c->what,
			       sent, BATCH_N);
	}
	EXPECT_EQ(sent, a.cur_msgs) TH_LOG("%s, fault %lu: returned %u, queued %u",
					   c->what, step, sent, a.cur_msgs);
	EXPECT_EQ(c->before.total_sent + sent, a.total_sent);
	for (k = 0; k < sent; k++) {
		expect_next(_metadata, c->fd, u64_to_ptr(c->mm[k].buf),
			    batch_lens[k], c->mm[k].prio, false, c->what);
	}
	ASSERT_EQ(0, mbox_depth(c->fd));
}

static void run_send_batch(struct __test_metadata *_metadata,
			   FIXTURE_DATA(fi) *self, bool budget)
{
	struct fi_case c = {
		.what = "send batch (6, up to 100000 bytes)",
		.call = call_send_batch, .check = check_send_batch,
	};
	unsigned int k;

	make_mailbox(_metadata, self, 16, 128 * 1024);
	c.fd = self->fd;
	for (k = 0; k < BATCH_N; k++) {
		c.mm[k].buf = ptr_to_u64(pattern_buf(batch_lens[k], k + 1));
		c.mm[k].len = batch_lens[k];
		c.mm[k].prio = 2;	/* one FIFO: order is array order */
		ASSERT_NE(0ULL, c.mm[k].buf);
	}
	c.b.msgs = ptr_to_u64(c.mm);
	c.b.count = BATCH_N;
	c.b.flags = MSGQ_F_NONBLOCK;
	if (budget)
		fi_run_budget(_metadata, self, &c);
	else
		fi_run(_metadata, self, &c);
}

TEST_F_TIMEOUT(fi, send_batch, FI_TIMEOUT)
{
	run_send_batch(_metadata, self, false);
}

/* the 70000 and 100000-byte entries in vmalloc memory */
TEST_F_TIMEOUT(fi, send_batch_vmalloc, FI_TIMEOUT)
{
	run_send_batch(_metadata, self, true);
}

/* ------------------------------------------------------------------ */
/* Receive */

static long call_recv_batch(FIXTURE_DATA(fi) *self, struct fi_case *c)
{
	return msgq_recv_batch_args(c->fd, &c->b);
}

static void refill(struct __test_metadata *_metadata, int fd,
		   unsigned int count)
{
	unsigned int k;
	char m[64];

	for (k = 0; k < count; k++) {
		snprintf(m, sizeof(m), "message %u", k);
		ASSERT_EQ(0, msgq_send(fd, m, strlen(m) + 1, 1));
	}
}

/* Six messages queued; a failure took none, a success took all six. */
static void check_recv_batch(struct __test_metadata *_metadata,
			     FIXTURE_DATA(fi) *self, struct fi_case *c,
			     const struct fi_try *t, unsigned long step)
{
	struct msgq_attr a;
	unsigned int k;
	char m[64];

	ASSERT_EQ(0, msgq_getattr(c->fd, &a));
	if (t->ret < 0) {
		expect_attr_same(_metadata, &c->before, &a, c->what, step);
		snprintf(m, sizeof(m), "message %u", 0);
		expect_next(_metadata, c->fd, m, strlen(m) + 1, 1, true,
			    c->what);
		return;
	}
	ASSERT_EQ((long)BATCH_N, t->ret);
	EXPECT_EQ(0U, a.cur_msgs);
	for (k = 0; k < BATCH_N; k++) {
		snprintf(m, sizeof(m), "message %u", k);
		EXPECT_EQ(strlen(m) + 1, c->mm[k].len);
		EXPECT_EQ(1U, c->mm[k].prio);
		EXPECT_EQ(0, strcmp(m, u64_to_ptr(c->mm[k].buf)));
		c->mm[k].len = 64;
	}
	refill(_metadata, c->fd, BATCH_N);
}

TEST_F_TIMEOUT(fi, recv_batch, FI_TIMEOUT)
{
	static char bufs[8][64];
	struct fi_case c = {
		.what = "receive batch (8 entries, 6 queued)",
		.call = call_recv_batch, .check = check_recv_batch,
	};
	unsigned int k;

	make_mailbox(_metadata, self, 16, 64);
	c.fd = self->fd;
	refill(_metadata, c.fd, BATCH_N);
	for (k = 0; k < 8; k++) {
		c.mm[k].buf = ptr_to_u64(bufs[k]);
		c.mm[k].len = sizeof(bufs[k]);
	}
	c.b.msgs = ptr_to_u64(c.mm);
	c.b.count = 8;
	c.b.flags = MSGQ_F_NONBLOCK;
	fi_run(_metadata, self, &c);
}

static long call_recv(FIXTURE_DATA(fi) *self, struct fi_case *c)
{
	c->r.buf = ptr_to_u64(c->rbuf);
	c->r.cap = c->rcap;
	return msgq_recv_args(c->fd, &c->r);
}

static long call_read(FIXTURE_DATA(fi) *self, struct fi_case *c)
{
	return read(c->fd, c->rbuf, c->rcap);
}

/*
 * One message queued (c->buf, c->len, c->prio): a failure lost nothing
 * (it is still first), a success returned it whole (a peek left it, a
 * receive is followed by sending it again).
 */
static void check_recv(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fi) *self, struct fi_case *c,
		       const struct fi_try *t, unsigned long step)
{
	bool peek = c->call == call_recv && (c->r.flags & MSGQ_F_PEEK);
	struct msgq_attr a;

	ASSERT_EQ(0, msgq_getattr(c->fd, &a));
	if (t->ret < 0 || peek) {
		expect_attr_same(_metadata, &c->before, &a, c->what, step);
		expect_next(_metadata, c->fd, c->buf, c->len, c->prio, true,
			    c->what);
	}
	if (t->ret < 0)
		return;
	ASSERT_EQ((long)c->len, t->ret);
	EXPECT_EQ(0, memcmp(c->rbuf, c->buf, c->len));
	if (c->call == call_recv)
		EXPECT_EQ(c->prio, c->r.prio);
	memset(c->rbuf, 0, c->rcap);
	if (!peek) {
		EXPECT_EQ(0U, a.cur_msgs);
		ASSERT_EQ(0, msgq_send(c->fd, c->buf, c->len, c->prio));
	}
}

static void run_recv(struct __test_metadata *_metadata,
		     FIXTURE_DATA(fi) *self, size_t len, bool use_read,
		     unsigned int flags, const char *what)
{
	struct fi_case c = {
		.what = what, .call = use_read ? call_read : call_recv,
		.check = check_recv, .len = len, .prio = use_read ? 0 : 4,
	};

	make_mailbox(_metadata, self, 4, BIG_MSGSIZE);
	c.fd = self->fd;
	c.buf = pattern_buf(len, 77);
	c.rcap = LARGE_LEN + 64;
	c.rbuf = calloc(1, c.rcap);
	ASSERT_NE(NULL, c.buf);
	ASSERT_NE(NULL, c.rbuf);
	c.r.flags = flags;
	ASSERT_EQ(0, msgq_send(c.fd, c.buf, c.len, c.prio));
	fi_run(_metadata, self, &c);
	free(c.buf);
	free(c.rbuf);
}

TEST_F_TIMEOUT(fi, recv_small, FI_TIMEOUT)
{
	run_recv(_metadata, self, SMALL_LEN, false, MSGQ_F_NONBLOCK,
		 "receive 200 bytes");
}

TEST_F_TIMEOUT(fi, recv_large, FI_TIMEOUT)
{
	run_recv(_metadata, self, LARGE_LEN, false, MSGQ_F_NONBLOCK,
		 "receive 256 KiB");
}

TEST_F_TIMEOUT(fi, peek_small, FI_TIMEOUT)
{
	run_recv(_metadata, self, SMALL_LEN, false,
		 MSGQ_F_NONBLOCK | MSGQ_F_PEEK, "peek 200 bytes");
}

TEST_F_TIMEOUT(fi, peek_large, FI_TIMEOUT)
{
	run_recv(_metadata, self, LARGE_LEN, false,
		 MSGQ_F_NONBLOCK | MSGQ_F_PEEK, "peek 256 KiB");
}

TEST_F_TIMEOUT(fi, read_large, FI_TIMEOUT)
{
	run_recv(_metadata, self, LARGE_LEN, true, 0, "read(2) 256 KiB");
}

/* ------------------------------------------------------------------ */
/* getattr, unlink */

static long call_getattr(FIXTURE_DATA(fi) *self, struct fi_case *c)
{
	return msgq_getattr(c->fd, &c->attr);
}

static void check_getattr(struct __test_metadata *_metadata,
			  FIXTURE_DATA(fi) *self, struct fi_case *c,
			  const struct fi_try *t, unsigned long step)
{
	if (t->ret < 0)
		return;
	EXPECT_EQ(2U, c->attr.cur_msgs);
	EXPECT_EQ(4U, c->attr.max_msgs);
	EXPECT_EQ(6ULL, c->attr.cur_bytes);
}

TEST_F_TIMEOUT(fi, getattr, FI_TIMEOUT)
{
	struct fi_case c = {
		.what = "getattr", .call = call_getattr,
		.check = check_getattr,
	};

	make_mailbox(_metadata, self, 4, 64);
	ASSERT_EQ(0, msgq_send(self->fd, "abc", 3, 0));
	ASSERT_EQ(0, msgq_send(self->fd, "def", 3, 0));
	c.fd = self->fd;
	fi_run(_metadata, self, &c);
}

static long call_unlink(FIXTURE_DATA(fi) *self, struct fi_case *c)
{
	return msgq_unlink_at(self->dev, c->name);
}

/* a failed unlink leaves the name; a success removes it (made again) */
static void check_unlink(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fi) *self, struct fi_case *c,
			 const struct fi_try *t, unsigned long step)
{
	struct msgq_attr a;

	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	if (t->ret < 0) {
		EXPECT_TRUE(name_exists(_metadata, self->dev, c->name));
		EXPECT_EQ(0U, a.flags & MSGQ_ATTR_UNLINKED);
		return;
	}
	EXPECT_FALSE(name_exists(_metadata, self->dev, c->name));
	EXPECT_NE(0U, a.flags & MSGQ_ATTR_UNLINKED);
	/* the handle keeps the mailbox: its message is still there */
	expect_next(_metadata, self->fd, "kept", 4, 0, true, c->what);
	close(self->fd);
	self->fd = -1;
	make_mailbox(_metadata, self, 4, 64);
	ASSERT_EQ(0, msgq_send(self->fd, "kept", 4, 0));
	c->fd = self->fd;
}

TEST_F_TIMEOUT(fi, unlink, FI_TIMEOUT)
{
	struct fi_case c = {
		.what = "unlink", .call = call_unlink, .check = check_unlink,
		.name = self->name,
	};

	make_mailbox(_metadata, self, 4, 64);
	ASSERT_EQ(0, msgq_send(self->fd, "kept", 4, 0));
	c.fd = -1;	/* replaced on success: fi_run must not getattr it */
	fi_run(_metadata, self, &c);
}

/* ------------------------------------------------------------------ */
/* /proc/msgq */

#define PROC_NAMES	48	/* long names: a listing of about 12 KiB */

/*
 * PROC_NAMES mailboxes with 205-byte names, in a fresh IPC namespace so
 * that the listing holds only them and no other test's names; the test
 * unlinks them at its end (nothing is left for the reaper to free while a
 * later test compares live counts).
 */
static void listing_name(FIXTURE_DATA(fi) *self, int i, char *name)
{
	int len = (int)strnlen(self->name, 40);

	snprintf(name, MSGQ_NAME_MAX + 1, "%.40s-%03d-%0*d", self->name,
		 i % 1000, 200 - len, 0);
}

static void make_listing(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fi) *self)
{
	char name[MSGQ_NAME_MAX + 1];
	int i, fd;

	ASSERT_EQ(0, unshare(CLONE_NEWIPC)) TH_LOG("unshare: %s",
						   strerror(errno));
	close(self->dev);
	self->dev = msgq_dev_open();
	ASSERT_LE(0, self->dev);
	for (i = 0; i < PROC_NAMES; i++) {
		listing_name(self, i, name);
		fd = msgq_create_at(self->dev, name, MSGQ_O_RDWR | MSGQ_O_EXCL,
				    0600, 2, 8);
		ASSERT_LE(0, fd) TH_LOG("create %s: %s", name, strerror(errno));
		close(fd);
	}
}

static void drop_listing(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fi) *self)
{
	char name[MSGQ_NAME_MAX + 1];
	int i;

	for (i = 0; i < PROC_NAMES; i++) {
		listing_name(self, i, name);
		EXPECT_EQ(0, msgq_unlink_at(self->dev, name));
	}
}

/* Lines of @text that list mailbox @name. */
static int listed(const char *text, const char *name)
{
	size_t len = strlen(name);
	const char *p;
	int n = 0;

	for (p = text; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, len) && p[len] == ' ')
			n++;
	return n;
}

static long call_proc_open(FIXTURE_DATA(fi) *self, struct fi_case *c)
{
	return open(PROC_MSGQ, O_RDONLY | O_CLOEXEC);
}

static void check_proc_open(struct __test_metadata *_metadata,
			    FIXTURE_DATA(fi) *self, struct fi_case *c,
			    const struct fi_try *t, unsigned long step)
{
	char buf[256];

	if (t->ret < 0)
		return;
	EXPECT_LT(0, read(t->ret, buf, sizeof(buf)));
	EXPECT_EQ(0, strncmp(buf, "name ", 5));
	close(t->ret);
}

TEST_F_TIMEOUT(fi, proc_open, FI_TIMEOUT)
{
	struct fi_case c = {
		.what = "open /proc/msgq", .call = call_proc_open,
		.check = check_proc_open, .fd = -1,
	};

	if (access(PROC_MSGQ, R_OK))
		SKIP(return, "%s: %s", PROC_MSGQ, strerror(errno));
	make_mailbox(_metadata, self, 2, 8);
	fi_run(_metadata, self, &c);
}

static long call_proc_read(FIXTURE_DATA(fi) *self, struct fi_case *c)
{
	return pread(c->procfd, c->rbuf, c->rcap, 0);
}

/* the listing, whole: the header and every name, each once */
static void check_proc_read(struct __test_metadata *_metadata,
			    FIXTURE_DATA(fi) *self, struct fi_case *c,
			    const struct fi_try *t, unsigned long step)
{
	char name[MSGQ_NAME_MAX + 1];
	char *text = c->rbuf;
	int i;

	/* each attempt reads a new file: its buffer starts unallocated */
	close(c->procfd);
	c->procfd = open(PROC_MSGQ, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, c->procfd);
	if (t->ret < 0)
		return;
	ASSERT_LT(0, t->ret);
	ASSERT_GT((long)c->rcap, t->ret);
	text[t->ret] = '\0';
	EXPECT_EQ(0, strncmp(text, "name ", 5));
	EXPECT_EQ(1, listed(text, self->name));
	for (i = 0; i < PROC_NAMES; i++) {
		listing_name(self, i, name);
		EXPECT_EQ(1, listed(text, name)) TH_LOG("%s: %s", c->what, name);
	}
	memset(c->rbuf, 0, c->rcap);
}

/*
 * The first read of an open /proc/msgq: the seq_file buffer is allocated
 * (a page), then freed and allocated twice as large each time the listing
 * overflows it (4, 8, then 16 KiB here). The file is opened before each
 * attempt (its open has its own test), so every attempt walks all three.
 */
TEST_F_TIMEOUT(fi, proc_read, FI_TIMEOUT)
{
	struct fi_case c = {
		.what = "read /proc/msgq (about 12 KiB)",
		.call = call_proc_read, .check = check_proc_read, .fd = -1,
	};

	if (access(PROC_MSGQ, R_OK))
		SKIP(return, "%s: %s", PROC_MSGQ, strerror(errno));
	make_listing(_metadata, self);
	make_mailbox(_metadata, self, 2, 8);
	c.rcap = 1 << 20;
	c.rbuf = calloc(1, c.rcap);
	ASSERT_NE(NULL, c.rbuf);
	c.procfd = open(PROC_MSGQ, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, c.procfd);
	fi_run(_metadata, self, &c);
	close(c.procfd);
	free(c.rbuf);
	drop_listing(_metadata, self);
}

/* ------------------------------------------------------------------ */
/* Descriptors carried (fds.c) */

/*
 * The end of a pipe whose write end @wfd was carried: once every holder
 * closed it, the read end sees EOF, so no attempt leaked a file reference.
 */
static void expect_pipe_eof(struct __test_metadata *_metadata, int rfd,
			    const char *what)
{
	struct pollfd p = { .fd = rfd, .events = POLLIN };
	char c;

	ASSERT_EQ(1, poll(&p, 1, 5000)) TH_LOG("%s: a reference to the pipe's write end leaked",
					      what);
	ASSERT_EQ(0, read(rfd, &c, 1)) TH_LOG("%s: no EOF", what);
}

/* A failure queued nothing; a success queued the message and its two files. */
static void check_send_fds(struct __test_metadata *_metadata,
			   FIXTURE_DATA(fi) *self, struct fi_case *c,
			   const struct fi_try *t, unsigned long step)
{
	unsigned int nfds = 2;
	int fds[2] = { -1, -1 };
	char got[64];
	struct msgq_attr a;

	ASSERT_EQ(0, msgq_getattr(c->fd, &a));
	if (t->ret < 0) {
		expect_attr_same(_metadata, &c->before, &a, c->what, step);
		return;
	}
	EXPECT_EQ(c->before.cur_msgs + 1, a.cur_msgs);
	ASSERT_EQ((ssize_t)c->len, msgq_recv_fds(c->fd, got, sizeof(got),
						  NULL, fds, &nfds, NULL));
	ASSERT_EQ(2U, nfds);
	ASSERT_LE(0, fds[0]);
	ASSERT_LE(0, fds[1]);
	close(fds[0]);
	close(fds[1]);
}

TEST_F_TIMEOUT(fi, send_fds, FI_TIMEOUT)
{
	struct fi_case c = {
		.what = "send carrying 2 descriptors", .call = call_send,
		.check = check_send_fds, .len = 5,
	};
	int p[2], fds[2];

	make_mailbox(_metadata, self, 4, 64);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	fds[0] = p[1];
	fds[1] = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, fds[1]);
	c.fd = self->fd;
	c.s.buf = ptr_to_u64("fds!");
	c.s.len = 5;
	c.s.fds = ptr_to_u64(fds);
	c.s.nfds = 2;
	fi_run(_metadata, self, &c);
	close(fds[1]);
	close(p[1]);
	expect_pipe_eof(_metadata, p[0], c.what);
	close(p[0]);
}

/*
 * A message carrying two descriptors queued; a failure (the descriptor
 * table could not grow) took nothing and it is still first in line; a
 * success installed both, and the message is sent again.
 */
static void check_recv_fds(struct __test_metadata *_metadata,
			   FIXTURE_DATA(fi) *self, struct fi_case *c,
			   const struct fi_try *t, unsigned long step)
{
	int *fds = u64_to_ptr(c->r.fds);
	struct msgq_attr a;

	ASSERT_EQ(0, msgq_getattr(c->fd, &a));
	if (t->ret < 0) {
		expect_attr_same(_metadata, &c->before, &a, c->what, step);
		EXPECT_EQ(1U, a.cur_msgs);
		c->r.nfds = 2;
		return;
	}
	EXPECT_EQ(0U, a.cur_msgs);
	ASSERT_EQ(2U, c->r.nfds);
	ASSERT_EQ(0U, c->r.fd_flags & MSGQ_FD_CTRUNC);
	ASSERT_LE(0, fds[0]);
	ASSERT_LE(0, fds[1]);
	close(fds[0]);
	close(fds[1]);
	c->r.nfds = 2;
	ASSERT_EQ(0, msgq_send_args(c->fd, &c->s));
}

static void run_recv_fds(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fi) *self, size_t len, const char *what)
{
	struct fi_case c = {
		.what = what, .call = call_recv, .check = check_recv_fds,
		.len = len,
	};
	int p[2], sfds[2], rfds[2], i;

	make_mailbox(_metadata, self, 4, BIG_MSGSIZE);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	sfds[0] = p[1];
	sfds[1] = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, sfds[1]);
	c.buf = pattern_buf(len, 3);
	ASSERT_NE(NULL, c.buf);
	c.s.buf = ptr_to_u64(c.buf);
	c.s.len = len;
	c.s.fds = ptr_to_u64(sfds);
	c.s.nfds = 2;
	ASSERT_EQ(0, msgq_send_args(self->fd, &c.s));
	c.fd = self->fd;
	c.rcap = len + 64;
	c.rbuf = malloc(c.rcap);
	ASSERT_NE(NULL, c.rbuf);
	c.r.fds = ptr_to_u64(rfds);
	c.r.nfds = 2;
	c.r.flags = MSGQ_F_NONBLOCK;
	/* A full first table, so that the new descriptors must grow it. */
	for (i = 0; i < 64; i++) {
		if (fcntl(i, F_GETFD) < 0)
			ASSERT_EQ(i, dup2(self->dev, i));
	}
	fi_run(_metadata, self, &c);
	ASSERT_EQ(1, mbox_depth(self->fd));
	close(self->fd);
	self->fd = -1;
	msgq_unlink_at(self->dev, self->name);
	close(sfds[1]);
	close(p[1]);
	expect_pipe_eof(_metadata, p[0], c.what);
	close(p[0]);
	free(c.rbuf);
	free(c.buf);
}

/* copied under the mailbox lock: the numbers are reserved in fault_in */
TEST_F_TIMEOUT(fi, recv_fds_small, FI_TIMEOUT)
{
	run_recv_fds(_metadata, self, SMALL_LEN,
		     "receive 200 bytes and 2 descriptors");
}

/* taken off the queue to copy: reserved in the deliver callback */
TEST_F_TIMEOUT(fi, recv_fds_large, FI_TIMEOUT)
{
	run_recv_fds(_metadata, self, LARGE_LEN,
		     "receive 256 KiB and 2 descriptors");
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	if (access(FAIL_NTH_PATH, F_OK)) {
		ksft_print_header();
		ksft_exit_skip("%s absent: kernel without CONFIG_FAULT_INJECTION\n",
			       FAIL_NTH_PATH);
	}
	return test_harness_run(argc, argv);
}
