// SPDX-License-Identifier: GPL-2.0
/*
 * One user cannot deny names, memory or wakeups to the others.
 *
 * Each test has an unprivileged user exhaust one resource, then checks that
 * another unprivileged user and root still create, send and receive, that
 * the right errno came back, and, once the test's IPC namespace is gone,
 * that every count of /sys/kernel/debug/msgq/stats is back where it was:
 *
 * - names: user_mailboxes per (IPC namespace, creator uid), EMFILE beyond;
 *   max_mailboxes per namespace, ENOSPC beyond; CAP_SYS_RESOURCE in the
 *   namespace's user namespace passes both, so a user namespace's root
 *   fills its own namespace, but not the byte quota;
 * - bytes: a mailbox reserves RESERVE(max_msgs, max_msgsize) of its
 *   creator's user_bytes, its name and a rendezvous mailbox's one message
 *   included, EMFILE beyond;
 * - handles: RLIMIT_NOFILE (EMFILE from the descriptor allocation) binds
 *   one process, and a create that fails on it leaves no name and no count;
 * - blocked senders: each pins its one message, counted in the stats and
 *   charged to its own memory cgroup, not to anyone's quota.
 *
 * Every test runs in an IPC namespace of its own and ends by leaving it,
 * which has the reaper free what is left in it.
 */
#include "msgq_test.h"

#include <sys/resource.h>

#define CHILD_MS	60000
#define REAP_MS		20
#define BIG		MSGQ_MAX_MSGSIZE_LIMIT	/* 1 MiB */
#define SENDERS		4

static struct saved_param params[] = {
	{ .name = "max_mailboxes" }, { .name = "user_mailboxes" },
	{ .name = "user_bytes" }, { .name = "reap_interval_ms" },
};
#define NPARAMS	(sizeof(params) / sizeof(params[0]))
PARAMS_SAVED_FOR_PROGRAM(params, NPARAMS)

static const struct who user_a = WHO_USER(UID_A, GID_A);
static const struct who user_b = WHO_USER(UID_B, GID_B);
static const struct who user_c = WHO_USER(UID_C, GID_C);
static const struct who root = WHO_ROOT;
static const struct who root_without = WHO_ROOT_WITHOUT(CAP_SYS_RESOURCE);

FIXTURE(users) {
	int dev;		/* /dev/msgq of the test's own IPC namespace */
	int home_ns;		/* the IPC namespace the test started in */
	struct child_result *res;
	struct msgq_counts base;
	bool have_base;
};

/* Counts that stay the same for a while: what earlier tests left reaped. */
static bool counts_settle(struct msgq_counts *c)
{
	struct msgq_counts a;
	int i;

	for (i = 0; i < 20; i++) {
		if (counts_read(&a))
			return false;
		sleep_ms(5 * REAP_MS);
		if (counts_read(c))
			return false;
		if (counts_equal(&a, c))
			return true;
	}
	return false;
}

FIXTURE_SETUP(users)
{
	self->dev = -1;
	self->home_ns = -1;
	if (access(MSGQ_DEVICE_PATH, F_OK))
		SKIP(_exit(255), "msgq module not loaded");
	self->res = child_result_alloc();
	ASSERT_NE(NULL, self->res);
	/* modes as given: other users open the mailboxes the tests make */
	umask(0);
	ASSERT_EQ(0, param_write_ul("reap_interval_ms", REAP_MS));
	/* Checked at the end: a missing count fails the test there. */
	self->have_base = counts_settle(&self->base);
	self->home_ns = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->home_ns);
	ASSERT_EQ(0, unshare(CLONE_NEWIPC)) TH_LOG("%s", strerror(errno));
	self->dev = msgq_dev_open();
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN(users)
{
	if (self->dev >= 0)
		close(self->dev);
	if (self->home_ns >= 0)
		close(self->home_ns);
	params_restore(params, NPARAMS);
}

/*
 * Leave the test's namespace, which nothing holds then, and wait for the
 * reaper to free it and for every count to be what it was at the start.
 */
#define LEAVE_AND_CHECK_COUNTS() do {					\
	struct msgq_counts __last;					\
	char __w[256], __l[256];					\
									\
	ASSERT_TRUE(self->have_base) TH_LOG("%s unreadable or incomplete", \
					    MSGQ_STATS_PATH);		\
	close(self->dev);						\
	self->dev = -1;							\
	ASSERT_EQ(0, setns(self->home_ns, CLONE_NEWIPC));		\
	counts_str(&self->base, __w, sizeof(__w));			\
	ASSERT_TRUE(counts_wait(&self->base, &__last, 200 * REAP_MS + 5000)) { \
		counts_str(&__last, __l, sizeof(__l));			\
		TH_LOG("counts after the test: want %s, have %s", __w, __l); \
	}								\
} while (0)

/* Run @fn as @w in a child; it must finish without a failed check. */
#define RUN_AS(w, fn, arg) do {						\
	int __st = run_as((w), (fn), (arg), self->res, CHILD_MS);	\
	ASSERT_EQ(0, __st) TH_LOG("%s as uid %u: status %d, line %d: %s: %s", \
				  #fn, (w)->uid, __st,			\
				  self->res->fail_line, self->res->note, \
				  strerror(self->res->fail_errno));	\
} while (0)

#define SET_PARAM(name, v)						\
	ASSERT_EQ(0, param_write_ul(name, v)) TH_LOG("%s: %s", name,	\
						     strerror(errno))

/* ------------------------------------------------------------------ */
/* What the children do */

/* The USED column of @limit in /proc/msgq_limits, as the caller; or -1. */
static long long limits_used(const char *limit)
{
	char line[256], key[64], used[32];
	long long v = -1;
	FILE *f = fopen("/proc/msgq_limits", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %*s %31s", key, used) == 2 &&
		    !strcmp(key, limit))
			v = strtoll(used, NULL, 10);
	fclose(f);
	return v;
}

/**
 * struct fill - create mailboxes until a create fails
 * @dev:         /dev/msgq
 * @unshare:     first unshare(@unshare) and open /dev/msgq there (0: no)
 * @tag:         names are TAG-0, TAG-1, ...
 * @long_names:  names padded to MSGQ_NAME_MAX bytes
 * @max_msgs:    capacity of each
 * @max_msgsize: largest message of each
 * @tries:       most creates to try
 *
 * op_fill() returns how many it created (res->ret), with errno (res->err)
 * that of the create that failed, 0 if none did. Each handle is closed at
 * once: only the names stay.
 */
struct fill {
	int dev;
	int unshare;
	const char *tag;
	bool long_names;
	unsigned int max_msgs, max_msgsize, tries;
};

static void fill_name(const struct fill *f, unsigned int i,
		      char name[MSGQ_NAME_MAX + 1])
{
	int n = snprintf(name, MSGQ_NAME_MAX + 1, "%s-%u", f->tag, i);

	if (f->long_names) {
		memset(name + n, 'x', MSGQ_NAME_MAX - n);
		name[MSGQ_NAME_MAX] = '\0';
	}
}

static long op_fill(void *arg, struct child_result *res)
{
	const struct fill *f = arg;
	char name[MSGQ_NAME_MAX + 1];
	unsigned int i;
	int dev = f->dev, fd;

	if (f->unshare) {
		CHILD_CHECK(res, unshare(f->unshare) == 0);
		dev = msgq_dev_open();
		CHILD_CHECK(res, dev >= 0);
	}
	for (i = 0; i < f->tries; i++) {
		fill_name(f, i, name);
		fd = msgq_create_at(dev, name, MSGQ_O_RDWR | MSGQ_O_EXCL |
				    MSGQ_O_CLOEXEC, 0666, f->max_msgs,
				    f->max_msgsize);
		if (fd < 0)
			return i;
		close(fd);
	}
	errno = 0;
	return i;
}

/* Fill as @w: expect @made creates, then @errnum (0: all of them made). */
#define FILL_AS(w, f, made, errnum) do {				\
	RUN_AS(w, op_fill, f);						\
	ASSERT_EQ((long)(made), self->res->ret) TH_LOG(		\
		"uid %u created %ld of %s-*, then: %s; expected %ld, then %s", \
		(w)->uid, self->res->ret, (f)->tag,			\
		strerror(self->res->err), (long)(made), strerror(errnum)); \
	ASSERT_EQ((errnum), self->res->err) TH_LOG(			\
		"uid %u after %ld of %s-*: %s, expected %s", (w)->uid,	\
		self->res->ret, (f)->tag, strerror(self->res->err),	\
		strerror(errnum));					\
} while (0)

/* Create a mailbox, send to it, receive from it, unlink it. */
static long op_use(void *arg, struct child_result *res)
{
	const int *dev = arg;
	char name[64], buf[16];
	int fd;

	snprintf(name, sizeof(name), "use-%u", (unsigned int)geteuid());
	fd = msgq_create_at(*dev, name, MSGQ_O_RDWR | MSGQ_O_EXCL |
			    MSGQ_O_NONBLOCK, 0600, 4, sizeof(buf));
	CHILD_CHECK(res, fd >= 0);
	CHILD_CHECK(res, msgq_send(fd, "ping", 4, 0) == 0);
	CHILD_CHECK(res, msgq_recv(fd, buf, sizeof(buf), NULL) == 4);
	CHILD_CHECK(res, !memcmp(buf, "ping", 4));
	CHILD_CHECK(res, msgq_unlink_at(*dev, name) == 0);
	close(fd);
	return 0;
}

/* Another unprivileged user and root still create, send and receive. */
#define OTHERS_STILL_WORK(other) do {					\
	RUN_AS(other, op_use, &self->dev);				\
	RUN_AS(&root, op_use, &self->dev);				\
} while (0)

/* The USED column of @limit for @w, in the test's namespace. */
static long op_used(void *arg, struct child_result *res)
{
	return limits_used(arg);
}

#define EXPECT_USED(w, limit, want) do {				\
	RUN_AS(w, op_used, limit);					\
	EXPECT_EQ((long long)(want), self->res->ret) TH_LOG(		\
		"/proc/msgq_limits %s as uid %u", limit, (w)->uid);	\
} while (0)

/* ------------------------------------------------------------------ */
/* Names */

/*
 * The hostile test, with the module's defaults (max_mailboxes 1024,
 * user_mailboxes 256): one user creating names until it cannot gets EMFILE
 * after user_mailboxes, and leaves the namespace to the others.
 */
TEST_F(users, one_user_cannot_take_every_name)
{
	struct fill a = { .dev = self->dev, .tag = "a", .max_msgs = 1,
			  .max_msgsize = 1 };
	long long names = param_get("user_mailboxes");

	a.tries = param_get("max_mailboxes") + 1;
	ASSERT_LT(1U, a.tries) TH_LOG("max_mailboxes unreadable");
	FILL_AS(&user_a, &a, names, EMFILE);
	ASSERT_LT(names, param_get("max_mailboxes"));
	OTHERS_STILL_WORK(&user_b);
	EXPECT_USED(&user_a, "user_mailboxes", names);
	EXPECT_USED(&user_a, "max_mailboxes", names);
	EXPECT_USED(&user_b, "user_mailboxes", 0);
	LEAVE_AND_CHECK_COUNTS();
}

/*
 * A full namespace is ENOSPC for everyone but CAP_SYS_RESOURCE, which also
 * passes user_mailboxes; the capability, not uid 0.
 */
TEST_F(users, full_namespace_enospc_cap_sys_resource_passes)
{
	struct fill a = { .dev = self->dev, .tag = "a", .max_msgs = 1,
			  .max_msgsize = 1, .tries = 10 };
	struct fill b = a, c = a, r = a;
	struct who capable_c = user_c;

	SET_PARAM("max_mailboxes", 6);
	SET_PARAM("user_mailboxes", 4);
	FILL_AS(&user_a, &a, 4, EMFILE);
	b.tag = "b";
	FILL_AS(&user_b, &b, 2, ENOSPC);
	r.tag = "r";
	FILL_AS(&root_without, &r, 0, ENOSPC);
	/* past both limits: 6 names here, 5 of them its own */
	capable_c.keep_cap = CAP_SYS_RESOURCE;
	c.tag = "c";
	c.tries = 5;
	FILL_AS(&capable_c, &c, 5, 0);
	RUN_AS(&root, op_use, &self->dev);
	EXPECT_USED(&user_a, "max_mailboxes", 11);
	EXPECT_USED(&user_c, "user_mailboxes", 5);
	LEAVE_AND_CHECK_COUNTS();
}

struct in_new_ns {
	int ready[2], go[2];
	struct fill f;
	long made, used;
	int err;
};

/* In a new IPC namespace: fill as uid A, report, wait, and leave it. */
static long op_fill_in_new_ns(void *arg, struct child_result *res)
{
	struct in_new_ns *n = arg;

	CHILD_CHECK(res, unshare(CLONE_NEWIPC) == 0);
	n->f.dev = msgq_dev_open();
	CHILD_CHECK(res, n->f.dev >= 0);
	CHILD_CHECK(res, become(&user_a) == 0);
	n->made = op_fill(&n->f, res);
	n->err = errno;
	n->used = limits_used("user_mailboxes");
	close(n->f.dev);
	CHILD_CHECK(res, pipe_signal(n->ready[1]) == 0);
	CHILD_CHECK(res, pipe_wait(n->go[0], CHILD_MS) == 0);
	return 0;
}

/*
 * user_mailboxes counts per IPC namespace: a user at its limit in one has
 * all of it in another, and the names of a namespace that is gone no
 * longer count.
 */
TEST_F(users, user_mailboxes_per_namespace)
{
	struct fill a = { .dev = self->dev, .tag = "a", .max_msgs = 1,
			  .max_msgsize = 1, .tries = 10 };
	struct in_new_ns *n = shared_alloc(sizeof(*n));
	struct msgq_counts c, last;
	pid_t pid;

	ASSERT_NE(NULL, n);
	SET_PARAM("user_mailboxes", 3);
	FILL_AS(&user_a, &a, 3, EMFILE);
	ASSERT_EQ(0, pipe(n->ready));
	ASSERT_EQ(0, pipe(n->go));
	n->f = a;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(op_fill_in_new_ns(n, self->res) ? 1 : 0);
	}
	ASSERT_EQ(0, pipe_wait(n->ready[0], CHILD_MS))
		TH_LOG("line %d: %s: %s", self->res->fail_line,
		       self->res->note, strerror(self->res->fail_errno));
	EXPECT_EQ(3, n->made);
	EXPECT_EQ(EMFILE, n->err) TH_LOG("%s", strerror(n->err));
	EXPECT_EQ(3, n->used);
	ASSERT_EQ(0, counts_read(&last));
	EXPECT_EQ(self->base.user_names + 6, last.user_names);
	EXPECT_USED(&user_a, "user_mailboxes", 3);
	/* the other namespace goes: so do its names and their counts */
	ASSERT_EQ(0, pipe_signal(n->go[1]));
	ASSERT_EQ(0, wait_child_ms(pid, CHILD_MS));
	c = self->base;
	c.user_names += 3;
	c.mailboxes += 3;
	c.namespaces += 1;
	c.quota_bytes += 3 * RESERVE(1, 1);
	EXPECT_TRUE(counts_wait(&c, &last, 200 * REAP_MS + 5000))
		TH_LOG("user_names %lld, mailboxes %lld, namespaces %lld",
		       last.user_names, last.mailboxes, last.namespaces);
	a.tag = "a2";
	FILL_AS(&user_a, &a, 0, EMFILE);
	LEAVE_AND_CHECK_COUNTS();
}

/*
 * The root of a user namespace of its own holds CAP_SYS_RESOURCE over the
 * IPC namespace it makes with it: it passes the name limits there (ENOSPC
 * after 2 otherwise), not the byte quota, which only CAP_SYS_RESOURCE over
 * the machine passes.
 */
TEST_F(users, userns_root_passes_names_not_bytes)
{
	struct fill a = { .unshare = CLONE_NEWUSER | CLONE_NEWIPC,
			  .tag = "a", .max_msgs = 1, .max_msgsize = 1,
			  .tries = 10 };

	SET_PARAM("max_mailboxes", 2);
	SET_PARAM("user_mailboxes", 1);
	SET_PARAM("user_bytes", 4 * RESERVE(1, 1));
	FILL_AS(&user_a, &a, 4, EMFILE);
	LEAVE_AND_CHECK_COUNTS();
}

/* A name's count goes with it: unlink, and a create that failed. */
static long op_count_returns(void *arg, struct child_result *res)
{
	const struct fill *f = arg;
	struct rlimit rl;
	int fd;

	CHILD_CHECK(res, op_fill((void *)f, res) == 2 && errno == EMFILE);
	CHILD_CHECK(res, limits_used("user_mailboxes") == 2);
	CHILD_CHECK(res, msgq_unlink_at(f->dev, "a-0") == 0);
	CHILD_CHECK(res, limits_used("user_mailboxes") == 1);
	/* a create that fails on the descriptor table leaves no count */
	CHILD_CHECK(res, getrlimit(RLIMIT_NOFILE, &rl) == 0);
	fd = dup(0);
	CHILD_CHECK(res, fd >= 0);
	close(fd);
	rl.rlim_cur = fd;
	CHILD_CHECK(res, setrlimit(RLIMIT_NOFILE, &rl) == 0);
	CHILD_CHECK(res, msgq_create_at(f->dev, "a-0", MSGQ_O_RDWR, 0600, 1,
					1) < 0 && errno == EMFILE);
	rl.rlim_cur = rl.rlim_max;
	CHILD_CHECK(res, setrlimit(RLIMIT_NOFILE, &rl) == 0);
	CHILD_CHECK(res, limits_used("user_mailboxes") == 1);
	CHILD_CHECK(res, proc_lists("a-0") == 0);
	fd = msgq_create_at(f->dev, "a-0", MSGQ_O_RDWR | MSGQ_O_EXCL, 0600,
			    1, 1);
	CHILD_CHECK(res, fd >= 0);
	/* an open handle does not hold the name's count: unlink returns it */
	CHILD_CHECK(res, msgq_unlink_at(f->dev, "a-0") == 0);
	CHILD_CHECK(res, limits_used("user_mailboxes") == 1);
	close(fd);
	return 0;
}

TEST_F(users, count_returns_on_unlink_and_failed_create)
{
	struct fill a = { .dev = self->dev, .tag = "a", .max_msgs = 1,
			  .max_msgsize = 1, .tries = 10 };

	SET_PARAM("user_mailboxes", 2);
	RUN_AS(&user_a, op_count_returns, &a);
	OTHERS_STILL_WORK(&user_b);
	LEAVE_AND_CHECK_COUNTS();
}

/* ------------------------------------------------------------------ */
/* Bytes */

/*
 * The hostile test: with a 4096-byte quota a user held 961 rendezvous
 * mailboxes of 1 MiB messages, which reserved nothing. One reserves its
 * message now, as a mailbox of capacity 1.
 */
TEST_F(users, rendezvous_mailbox_reserves_one_message)
{
	struct fill a = { .dev = self->dev, .tag = "a", .max_msgs = 0,
			  .max_msgsize = BIG, .tries = 64 };
	struct msgq_counts c;

	SET_PARAM("user_bytes", 4096);
	FILL_AS(&user_a, &a, 0, EMFILE);
	SET_PARAM("user_bytes", RESERVE(0, BIG));
	FILL_AS(&user_a, &a, 1, EMFILE);
	ASSERT_EQ(0, counts_read(&c));
	EXPECT_EQ(self->base.quota_bytes + RESERVE(0, BIG), c.quota_bytes);
	EXPECT_USED(&user_a, "user_bytes", RESERVE(0, BIG));
	OTHERS_STILL_WORK(&user_b);
	LEAVE_AND_CHECK_COUNTS();
}

/* A mailbox and its name are reserved too: no mailbox is free. */
TEST_F(users, mailbox_and_name_reserved)
{
	struct fill a = { .dev = self->dev, .tag = "a", .long_names = true,
			  .max_msgs = 1, .max_msgsize = 1, .tries = 64 };

	SET_PARAM("user_bytes", 2 * RESERVE(1, 1));
	FILL_AS(&user_a, &a, 2, EMFILE);
	EXPECT_USED(&user_a, "user_bytes", 2 * RESERVE(1, 1));
	OTHERS_STILL_WORK(&user_b);
	LEAVE_AND_CHECK_COUNTS();
}

/* ------------------------------------------------------------------ */
/* Handles */

struct handles {
	int dev;
	long opened;
};

/*
 * Open handles on one mailbox until the descriptor table is full; then a
 * create fails there too, and leaves no name count behind.
 */
static long op_exhaust_handles(void *arg, struct child_result *res)
{
	struct handles *h = arg;
	struct rlimit rl = { 64, 64 };
	long long before;
	int fd, last = -1;

	before = limits_used("user_mailboxes");
	CHILD_CHECK(res, before >= 0);
	CHILD_CHECK(res, setrlimit(RLIMIT_NOFILE, &rl) == 0);
	while ((fd = msgq_open_at(h->dev, "shared", MSGQ_O_SEND)) >= 0) {
		last = fd;
		h->opened++;
	}
	CHILD_CHECK(res, errno == EMFILE && last >= 0);
	CHILD_CHECK(res, msgq_create_at(h->dev, "more", MSGQ_O_RDWR, 0600, 1,
					1) < 0 && errno == EMFILE);
	/* a descriptor to read the count with */
	close(last);
	CHILD_CHECK(res, limits_used("user_mailboxes") == before);
	return 0;
}

/*
 * RLIMIT_NOFILE binds the process that holds the handles (EMFILE from the
 * descriptor allocation), nobody else; a create that fails there leaves no
 * name behind and no count.
 */
TEST_F(users, handles_exhausted_bind_one_process)
{
	struct handles *h = shared_alloc(sizeof(*h));
	int fd;

	ASSERT_NE(NULL, h);
	h->dev = self->dev;
	fd = msgq_create_at(self->dev, "shared", MSGQ_O_RDWR | MSGQ_O_EXCL,
			    0666, 4, 16);
	ASSERT_LE(0, fd);
	close(fd);
	RUN_AS(&user_a, op_exhaust_handles, h);
	EXPECT_LT(32, h->opened);
	ASSERT_EQ(0, proc_lists("more"));
	fd = msgq_open_at(self->dev, "shared", MSGQ_O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, msgq_send(fd, "x", 1, 0));
	close(fd);
	OTHERS_STILL_WORK(&user_b);
	LEAVE_AND_CHECK_COUNTS();
}

/* ------------------------------------------------------------------ */
/* Subscriptions */

#define FAN_MSGS	16
#define FAN_RESERVE	RESERVE(FAN_MSGS, 1)

/*
 * Subscribe to fan-out mailbox "fan" until it fails: that is EMFILE, each
 * subscription held its reservation meanwhile, and the fan-out mailbox's
 * sender still reached every subscription made.
 */
static long op_subscribe_all(void *arg, struct child_result *res)
{
	const int *dev = arg;
	int fds[64], n, tx;
	char c;

	for (n = 0; n < 64; n++) {
		fds[n] = msgq_open_at(*dev, "fan", MSGQ_O_RECV | MSGQ_O_NONBLOCK);
		if (fds[n] < 0)
			break;
	}
	res->err = errno;
	CHILD_CHECK(res, n == 5 && errno == EMFILE);
	CHILD_CHECK(res, limits_used("user_bytes") == 5LL * FAN_RESERVE);
	tx = msgq_open_at(*dev, "fan", MSGQ_O_SEND);
	CHILD_CHECK(res, tx >= 0);
	CHILD_CHECK(res, msgq_send(tx, "f", 1, 0) == 0);
	while (n--) {
		CHILD_CHECK(res, msgq_recv(fds[n], &c, 1, NULL) == 1 && c == 'f');
		close(fds[n]);
	}
	CHILD_CHECK(res, limits_used("user_bytes") == 0);
	return 0;
}

/* A fan-out mailbox, which holds no message, reserves itself only. */
static long op_create_fanout(void *arg, struct child_result *res)
{
	const int *dev = arg;
	int fd = msgq_create_at(*dev, "fan-c", MSGQ_O_SEND | MSGQ_O_EXCL |
				MSGQ_O_FANOUT, 0600, FAN_MSGS, 4096);

	CHILD_CHECK(res, fd >= 0);
	CHILD_CHECK(res, limits_used("user_bytes") == MSGQ_MAILBOX_OVERHEAD);
	CHILD_CHECK(res, msgq_unlink_at(*dev, "fan-c") == 0);
	close(fd);
	CHILD_CHECK(res, limits_used("user_bytes") == 0);
	return 0;
}

/* Subscribe once and receive the next message: what others still do. */
static long op_subscribe_one(void *arg, struct child_result *res)
{
	const int *dev = arg;
	int fd = msgq_open_at(*dev, "fan", MSGQ_O_RECV | MSGQ_O_NONBLOCK);

	CHILD_CHECK(res, fd >= 0);
	CHILD_CHECK(res, limits_used("user_bytes") == FAN_RESERVE);
	close(fd);
	return 0;
}

/*
 * A subscription reserves its opener's quota for the messages it may hold,
 * as a mailbox of the same limits would, and the fan-out mailbox only
 * itself: a user subscribing without end gets EMFILE, and the others still
 * subscribe, create, send and receive.
 */
TEST_F(users, subscriptions_charge_their_opener)
{
	int fd;

	fd = msgq_create_at(self->dev, "fan", MSGQ_O_SEND | MSGQ_O_EXCL |
			    MSGQ_O_FANOUT, 0666, FAN_MSGS, 1);
	ASSERT_LE(0, fd);
	RUN_AS(&user_c, op_create_fanout, &self->dev);
	SET_PARAM("user_bytes", 5 * FAN_RESERVE + FAN_RESERVE / 2);
	RUN_AS(&user_a, op_subscribe_all, &self->dev);
	RUN_AS(&user_b, op_subscribe_one, &self->dev);
	OTHERS_STILL_WORK(&user_b);
	close(fd);
	LEAVE_AND_CHECK_COUNTS();
}

/* ------------------------------------------------------------------ */
/* Files in flight */

#define NOFILE		40

/* Send a message carrying @n copies of @fd: 0, or -1 with errno. */
static int send_copies(int mb, int fd, unsigned int n)
{
	int fds[MSGQ_FDS_MAX];
	unsigned int i;

	for (i = 0; i < n; i++)
		fds[i] = fd;
	return msgq_send_fds(mb, "f", 1, 0, fds, n);
}

/*
 * With RLIMIT_NOFILE at NOFILE, put files in flight until refused: the
 * count is the sender's, whatever it closes, and goes down as messages
 * are received or dropped.
 */
static long op_files_in_flight(void *arg, struct child_result *res)
{
	const int *dev = arg;
	struct rlimit rl = { NOFILE, NOFILE };
	int p[2], mb, got[MSGQ_FDS_MAX];
	unsigned int n = MSGQ_FDS_MAX, i;
	char c;

	CHILD_CHECK(res, setrlimit(RLIMIT_NOFILE, &rl) == 0);
	mb = msgq_create_at(*dev, "flight", MSGQ_O_RDWR | MSGQ_O_EXCL |
			    MSGQ_O_NONBLOCK, 0600, 64, 1);
	CHILD_CHECK(res, mb >= 0);
	CHILD_CHECK(res, pipe(p) == 0);
	CHILD_CHECK(res, send_copies(mb, p[1], 16) == 0);
	CHILD_CHECK(res, send_copies(mb, p[1], 16) == 0);
	errno = 0;
	CHILD_CHECK(res, send_copies(mb, p[1], 16) == -1 && errno == ETOOMANYREFS);
	CHILD_CHECK(res, send_copies(mb, p[1], 8) == 0);	/* 40: the limit */
	close(p[1]);		/* closing its own changes nothing */
	errno = 0;
	CHILD_CHECK(res, send_copies(mb, p[0], 1) == -1 && errno == ETOOMANYREFS);
	CHILD_CHECK(res, attr_of(mb).cur_msgs == 3);
	/* a receive takes 16 out of flight (into its table) */
	CHILD_CHECK(res, msgq_recv_fds(mb, &c, 1, NULL, got, &n, NULL) == 1 &&
			 n == MSGQ_FDS_MAX);
	for (i = 0; i < n; i++)
		close(got[i]);
	CHILD_CHECK(res, send_copies(mb, p[0], 16) == 0);
	/* the mailbox's end drops the rest */
	CHILD_CHECK(res, msgq_unlink_at(*dev, "flight") == 0);
	close(mb);
	mb = msgq_create_at(*dev, "flight", MSGQ_O_RDWR | MSGQ_O_EXCL, 0600,
			    64, 1);
	CHILD_CHECK(res, mb >= 0);
	CHILD_CHECK(res, send_copies(mb, p[0], 16) == 0);
	CHILD_CHECK(res, send_copies(mb, p[0], 16) == 0);
	CHILD_CHECK(res, send_copies(mb, p[0], 8) == 0);
	CHILD_CHECK(res, msgq_unlink_at(*dev, "flight") == 0);
	close(mb);
	close(p[0]);
	return 0;
}

/*
 * A user cannot keep more files open through messages than its
 * RLIMIT_NOFILE (ETOOMANYREFS, as AF_UNIX), and another user's count is
 * its own.
 */
TEST_F(users, files_in_flight_bounded_by_rlimit_nofile)
{
	RUN_AS(&user_a, op_files_in_flight, &self->dev);
	RUN_AS(&user_b, op_files_in_flight, &self->dev);
	OTHERS_STILL_WORK(&user_b);
	LEAVE_AND_CHECK_COUNTS();
}

/* ------------------------------------------------------------------ */
/* Blocked senders */

struct senders {
	int dev;
	int ready[2];
	int go[SENDERS][2];
	struct memcg cg;
	struct child_result res[SENDERS];
};

/* Join the cgroup, then as uid B send one 1 MiB message: it blocks. */
static void sender(struct senders *s, int k)
{
	struct child_result *res = &s->res[k];
	char *buf = malloc(BIG);
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	CHILD_CHECK(res, buf != NULL);
	memset(buf, 'b', BIG);
	CHILD_CHECK(res, file_write_str(s->cg.procs, "0") == 0);
	CHILD_CHECK(res, become(&user_b) == 0);
	fd = msgq_open_at(s->dev, "rdv", MSGQ_O_SEND);
	CHILD_CHECK(res, fd >= 0);
	CHILD_CHECK(res, pipe_signal(s->ready[1]) == 0);
	CHILD_CHECK(res, pipe_wait(s->go[k][0], CHILD_MS) == 0);
	res->ret = msgq_send(fd, buf, BIG, 0);
	res->err = errno;
	_exit(0);
}

static long op_create_rdv(void *arg, struct child_result *res)
{
	const int *dev = arg;

	return msgq_create_at(*dev, "rdv", MSGQ_O_RECV | MSGQ_O_EXCL, 0666, 0,
			      BIG);
}

/*
 * Blocked senders to a rendezvous mailbox each pin their one message (of at
 * most max_msgsize), which the stats count and the sender's memory cgroup
 * is charged for; the quota holds only the mailbox's reservation. Others
 * go on meanwhile, and a receive or the senders' end frees the messages.
 */
TEST_F_TIMEOUT(users, blocked_senders_pin_one_message_each, 120)
{
	struct senders *s = shared_alloc(sizeof(*s));
	long long before, after;
	struct msgq_counts c, last;
	pid_t pids[SENDERS];
	const char *why;
	int k, fd, received;
	uint64_t end;
	char *buf;

	ASSERT_NE(NULL, s);
	buf = malloc(BIG);
	ASSERT_NE(NULL, buf);
	s->dev = self->dev;
	why = memcg_create(&s->cg, "senders");
	if (why)
		SKIP(return, "%s: %s", why, strerror(errno));
	RUN_AS(&user_a, op_create_rdv, &self->dev);
	ASSERT_LE(0, self->res->ret) TH_LOG("create: %s",
					    strerror(self->res->err));
	EXPECT_USED(&user_a, "user_bytes", RESERVE(0, BIG));
	ASSERT_EQ(0, pipe(s->ready));
	for (k = 0; k < SENDERS; k++) {
		ASSERT_EQ(0, pipe(s->go[k]));
		s->res[k].ret = -12345;
		pids[k] = fork();
		ASSERT_LE(0, pids[k]);
		if (!pids[k])
			sender(s, k);
	}
	for (k = 0; k < SENDERS; k++)
		ASSERT_EQ(0, pipe_wait(s->ready[0], CHILD_MS));
	before = file_read_ll(s->cg.current);
	for (k = 0; k < SENDERS; k++)
		ASSERT_EQ(0, pipe_signal(s->go[k][1]));
	c = self->base;
	c.mailboxes += 1;
	c.namespaces += 1;
	c.quota_bytes += RESERVE(0, BIG);
	c.user_names += 1;
	c.messages += SENDERS;
	c.message_bytes += (long long)SENDERS * BIG;
	EXPECT_TRUE(counts_wait(&c, &last, CHILD_MS)) TH_LOG(
		"%lld messages of %lld bytes, quota %lld", last.messages,
		last.message_bytes, last.quota_bytes);
	for (k = 0; k < SENDERS; k++)
		EXPECT_TRUE(wait_blocked_in(pids[k], pids[k], SYS_msgq_any,
					    CHILD_MS));
	after = file_read_ll(s->cg.current);
	TH_LOG("%d blocked senders of %d KiB: memory.current %lld -> %lld KiB",
	       SENDERS, BIG / 1024, before / 1024, after / 1024);
	/*
	 * Within the charge batches that memory.current moves by: each CPU
	 * keeps up to MEMCG_CHARGE_BATCH (64) pages charged ahead in stock,
	 * which "before" may count and the messages then use.
	 */
	EXPECT_LE((long long)SENDERS * BIG -
		  64LL * getpagesize() * sysconf(_SC_NPROCESSORS_ONLN),
		  after - before);
	EXPECT_USED(&user_b, "user_bytes", 0);
	OTHERS_STILL_WORK(&user_c);

	/* a receiver takes one message, its sender returns */
	fd = msgq_open_at(self->dev, "rdv", MSGQ_O_RECV);
	ASSERT_LE(0, fd);
	EXPECT_EQ(BIG, msgq_recv(fd, buf, BIG, NULL));
	close(fd);
	end = now_ns(CLOCK_MONOTONIC) + CHILD_MS * 1000000ull;
	do {
		for (k = 0, received = 0; k < SENDERS; k++)
			received += s->res[k].ret == 0;
	} while (!received && now_ns(CLOCK_MONOTONIC) < end);
	EXPECT_EQ(1, received) TH_LOG("senders whose message was received");
	/* the others are killed: their messages go with them */
	for (k = 0; k < SENDERS; k++) {
		if (s->res[k].ret == -12345)
			kill(pids[k], SIGKILL);
		wait_child_ms(pids[k], CHILD_MS);
	}
	memcg_remove(&s->cg);
	free(buf);
	LEAVE_AND_CHECK_COUNTS();
}

TEST_HARNESS_MAIN
