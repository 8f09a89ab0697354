// SPDX-License-Identifier: GPL-2.0
/*
 * Limits, tunable by root at /sys/module/msgq/parameters/:
 *
 * - max_mailboxes: names per IPC namespace; ENOSPC beyond, unless
 *   CAP_SYS_RESOURCE (userlimits_test has the per-user name limit);
 * - max_msgs, max_msgsize: the largest capacity and message size a create
 *   accepts (EINVAL above), never above the UAPI's hard limits; lowering
 *   them leaves existing mailboxes alone;
 * - user_bytes: per-user quota; a create reserves RESERVE(max_msgs,
 *   max_msgsize) (msgq_test.h) for its creator, EMFILE past the quota
 *   unless CAP_SYS_RESOURCE, given back when the mailbox is freed;
 * - message memory is charged to the sender's memory cgroup.
 *
 * Every parameter a test changes is restored by the fixture teardown, and
 * once more when the program ends (struct saved_param).
 */
#include "msgq_test.h"

#define CHILD_MS	20000
#define NNAMES		16

static struct saved_param params[] = {
	{ .name = "max_mailboxes" }, { .name = "max_msgs" },
	{ .name = "max_msgsize" }, { .name = "user_bytes" },
};
#define NPARAMS	(sizeof(params) / sizeof(params[0]))
PARAMS_SAVED_FOR_PROGRAM(params, NPARAMS)

FIXTURE(limits) {
	int dev;
	char names[NNAMES][MSGQ_NAME_MAX + 1];
};

FIXTURE_SETUP(limits)
{
	unsigned int i;

	self->dev = -1;
	if (access(MSGQ_DEVICE_PATH, F_OK))
		SKIP(_exit(255), "msgq module not loaded");
	for (i = 0; i < NPARAMS; i++) {
		ASSERT_TRUE(params[i].saved) TH_LOG("no parameter %s",
						    params[i].name);
	}
	self->dev = msgq_dev_open();
	ASSERT_LE(0, self->dev);
	for (i = 0; i < NNAMES; i++)
		snprintf(self->names[i], sizeof(self->names[i]),
			 "msgqt-%d-%s-%u", (int)getpid(), _metadata->name, i);
}

FIXTURE_TEARDOWN(limits)
{
	unsigned int i;

	params_restore(params, NPARAMS);
	if (self->dev < 0)
		return;
	for (i = 0; i < NNAMES; i++)
		msgq_unlink_at(self->dev, self->names[i]);
	close(self->dev);
}

#define SET_PARAM(name, v) \
	ASSERT_EQ(0, param_write_ul(name, v)) TH_LOG("%s: %s", name,	\
						     strerror(errno))

static int create_n(int dev, const char *name, unsigned int max_msgs,
		    unsigned int max_msgsize)
{
	return msgq_create_at(dev, name, MSGQ_O_RDWR | MSGQ_O_EXCL |
			      MSGQ_O_CLOEXEC, 0666, max_msgs, max_msgsize);
}

/* A /dev/msgq handle in a new, empty IPC namespace of the test process. */
static int fresh_ns_dev(void)
{
	if (unshare(CLONE_NEWIPC))
		return -1;
	return msgq_dev_open();
}

/* CAP_SYS_RESOURCE passes max_mailboxes: the test process gives it up. */
#define DROP_CAP_SYS_RESOURCE()						\
	ASSERT_EQ(0, cap_drop(CAP_SYS_RESOURCE)) TH_LOG("capset: %s",	\
							strerror(errno))

/* ------------------------------------------------------------------ */
/* max_mailboxes */

/* a namespace holds max_mailboxes names; one more is ENOSPC */
TEST_F(limits, max_mailboxes_enospc)
{
	int dev = fresh_ns_dev();
	int i;

	ASSERT_LE(0, dev) TH_LOG("%s", strerror(errno));
	DROP_CAP_SYS_RESOURCE();
	SET_PARAM("max_mailboxes", 3);
	for (i = 0; i < 3; i++)
		ASSERT_LE(0, create_n(dev, self->names[i], 1, 1))
			TH_LOG("name %d: %s", i, strerror(errno));
	ASSERT_ERRNO(ENOSPC, create_n(dev, self->names[3], 1, 1));
	ASSERT_ERRNO(ENOENT, msgq_open_at(dev, self->names[3], MSGQ_O_RECV));
	/* opening an existing name through CREATE adds no name: fine */
	ASSERT_LE(0, msgq_create_at(dev, self->names[0], MSGQ_O_RECV, 0600,
				    1, 1));
	/* a freed slot can be used again */
	ASSERT_EQ(0, msgq_unlink_at(dev, self->names[1]));
	ASSERT_LE(0, create_n(dev, self->names[3], 1, 1));
	ASSERT_ERRNO(ENOSPC, create_n(dev, self->names[4], 1, 1));
}

/*
 * ENOSPC applies to root too, without CAP_SYS_RESOURCE: uid 0 and
 * CAP_IPC_OWNER pass nothing (userlimits_test: the capability passes).
 */
TEST_F(limits, max_mailboxes_binds_root)
{
	int dev = fresh_ns_dev();

	ASSERT_LE(0, dev) TH_LOG("%s", strerror(errno));
	DROP_CAP_SYS_RESOURCE();
	ASSERT_TRUE(cap_effective(CAP_IPC_OWNER));
	SET_PARAM("max_mailboxes", 1);
	ASSERT_LE(0, create_n(dev, self->names[0], 1, 1));
	ASSERT_ERRNO(ENOSPC, create_n(dev, self->names[1], 1, 1));
}

/* the limit counts per namespace: a full one does not stop another */
TEST_F(limits, max_mailboxes_per_namespace)
{
	int dev = fresh_ns_dev();

	ASSERT_LE(0, dev) TH_LOG("%s", strerror(errno));
	DROP_CAP_SYS_RESOURCE();
	SET_PARAM("max_mailboxes", 2);
	ASSERT_LE(0, create_n(dev, self->names[0], 1, 1));
	ASSERT_LE(0, create_n(dev, self->names[1], 1, 1));
	ASSERT_ERRNO(ENOSPC, create_n(dev, self->names[2], 1, 1));
	/* the test's first namespace (self->dev) has room */
	ASSERT_LE(0, create_n(self->dev, self->names[2], 1, 1))
		TH_LOG("%s", strerror(errno));
}

/* max_mailboxes 0: no mailbox at all, even in a namespace without names */
TEST_F(limits, max_mailboxes_zero_enospc)
{
	int dev = fresh_ns_dev();

	ASSERT_LE(0, dev) TH_LOG("%s", strerror(errno));
	DROP_CAP_SYS_RESOURCE();
	SET_PARAM("max_mailboxes", 0);
	ASSERT_ERRNO(ENOSPC, create_n(dev, self->names[0], 1, 1));
	ASSERT_ERRNO(ENOENT, msgq_open_at(dev, self->names[0], MSGQ_O_RECV));
}

/* ------------------------------------------------------------------ */
/* max_msgs, max_msgsize */

/* max_msgs lowers the largest capacity accepted: EINVAL above it */
TEST_F(limits, max_msgs_param_einval_above)
{
	SET_PARAM("max_msgs", 8);
	ASSERT_ERRNO(EINVAL, create_n(self->dev, self->names[0], 9, 16));
	ASSERT_ERRNO(EINVAL, create_n(self->dev, self->names[0],
				      MSGQ_MAX_MSGS_LIMIT, 16));
	ASSERT_LE(0, create_n(self->dev, self->names[0], 8, 16))
		TH_LOG("%s", strerror(errno));
	/* back up: 9 is fine again */
	ASSERT_EQ(0, param_write(params[1].name, params[1].val));
	ASSERT_LE(0, create_n(self->dev, self->names[1], 9, 16))
		TH_LOG("%s", strerror(errno));
}

/* max_msgsize lowers the largest message size accepted: EINVAL above it */
TEST_F(limits, max_msgsize_param_einval_above)
{
	SET_PARAM("max_msgsize", 64);
	ASSERT_ERRNO(EINVAL, create_n(self->dev, self->names[0], 4, 65));
	ASSERT_ERRNO(EINVAL, create_n(self->dev, self->names[0], 4,
				      MSGQ_MAX_MSGSIZE_LIMIT));
	ASSERT_LE(0, create_n(self->dev, self->names[0], 4, 64))
		TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, param_write(params[2].name, params[2].val));
	ASSERT_LE(0, create_n(self->dev, self->names[1], 4, 65))
		TH_LOG("%s", strerror(errno));
}

/* parameters above the UAPI's hard limits do not raise them */
TEST_F(limits, params_cannot_exceed_hard_limits)
{
	SET_PARAM("max_msgs", 10 * MSGQ_MAX_MSGS_LIMIT);
	SET_PARAM("max_msgsize", 0x7fffffff);
	ASSERT_ERRNO(EINVAL, create_n(self->dev, self->names[0],
				      MSGQ_MAX_MSGS_LIMIT + 1, 1));
	ASSERT_ERRNO(EINVAL, create_n(self->dev, self->names[0], 1,
				      MSGQ_MAX_MSGSIZE_LIMIT + 1));
	ASSERT_LE(0, create_n(self->dev, self->names[0], MSGQ_MAX_MSGS_LIMIT,
			      1)) TH_LOG("%s", strerror(errno));
}

/* lowering the limits leaves an existing mailbox its capacity and size */
TEST_F(limits, lowered_limits_spare_existing_mailboxes)
{
	char msg[128], buf[128];
	struct msgq_attr a;
	int fd, i;

	fd = create_n(self->dev, self->names[0], 16, sizeof(msg));
	ASSERT_LE(0, fd);
	SET_PARAM("max_msgs", 4);
	SET_PARAM("max_msgsize", 32);
	memset(msg, 'x', sizeof(msg));
	for (i = 0; i < 16; i++)
		ASSERT_EQ(0, msgq_send(fd, msg, sizeof(msg), 0))
			TH_LOG("message %d: %s", i, strerror(errno));
	ASSERT_EQ(0, msgq_getattr(fd, &a));
	EXPECT_EQ(16U, a.max_msgs);
	EXPECT_EQ(sizeof(msg), a.max_msgsize);
	EXPECT_EQ(16U, a.cur_msgs);
	ASSERT_EQ((ssize_t)sizeof(msg), msgq_recv(fd, buf, sizeof(buf), NULL));
	close(fd);
}

/*
 * Create-or-open (no MSGQ_O_EXCL) of an existing mailbox ignores the
 * limits it passes, as with mq_open(3) (uapi/msgq.h: "ignored"): a client
 * that always asks for its usual capacity keeps working after root
 * lowered max_msgs/max_msgsize below it.
 */
TEST_F(limits, create_of_existing_ignores_lowered_limits)
{
	int fd, fd2;

	fd = create_n(self->dev, self->names[0], 16, 256);
	ASSERT_LE(0, fd);
	SET_PARAM("max_msgs", 8);
	SET_PARAM("max_msgsize", 64);
	fd2 = msgq_create_at(self->dev, self->names[0], MSGQ_O_RDWR |
			     MSGQ_O_CLOEXEC, 0600, 16, 256);
	ASSERT_LE(0, fd2) TH_LOG("create-or-open of an existing mailbox: %s",
				 strerror(errno));
	ASSERT_EQ(0, msgq_send(fd2, "x", 1, 0));
	ASSERT_EQ(1, mbox_depth(fd));
	/* a new name is still held to the lowered limits */
	ASSERT_ERRNO(EINVAL, create_n(self->dev, self->names[1], 16, 256));
	close(fd2);
	close(fd);
}

static long op_write_param(void *arg, struct child_result *res)
{
	char buf[32];
	int fd;

	/* readable by anyone */
	CHILD_CHECK(res, param_read("max_mailboxes", buf, sizeof(buf)) == 0);
	fd = open(MSGQ_PARAM_DIR "user_bytes", O_WRONLY);
	if (fd >= 0) {
		ssize_t n = write(fd, "1", 1);

		close(fd);
		return n;
	}
	return -1;
}

/* only root tunes: an unprivileged user cannot write a parameter */
TEST_F(limits, params_unprivileged_cannot_write)
{
	struct child_result *res = child_result_alloc();
	struct who w = WHO_USER(UID_C, GID_C);

	ASSERT_NE(NULL, res);
	ASSERT_EQ(0, run_as(&w, op_write_param, NULL, res, CHILD_MS))
		TH_LOG("line %d: %s", res->fail_line, res->note);
	ASSERT_EQ(-1, res->ret);
	ASSERT_EQ(EACCES, res->err) TH_LOG("%s", strerror(res->err));
	ASSERT_EQ(strtoll(params[3].val, NULL, 10), param_get("user_bytes"));
}

/* ------------------------------------------------------------------ */
/* The per-user byte quota */

struct quota_args {
	int dev;
	char (*names)[MSGQ_NAME_MAX + 1];
	int fds[4];
};

/*
 * QUOTA is exactly two 4 x 512 mailboxes; one 8 x 512 mailbox leaves less
 * than a 1 x 1 one reserves (a mailbox's own MSGQ_MAILBOX_OVERHEAD less
 * than RESERVE(1, 1)).
 */
#define QUOTA			(2 * RESERVE(4, 512))

/* Under QUOTA: two 4 x 512 mailboxes fit, one more mailbox does not. */
static long op_fill_quota(void *arg, struct child_result *res)
{
	struct quota_args *a = arg;

	CHILD_CHECK(res, create_n(a->dev, a->names[0], 4, 512) >= 0);
	CHILD_CHECK(res, create_n(a->dev, a->names[1], 4, 512) >= 0);
	errno = 0;
	return create_n(a->dev, a->names[2], 1, 1);
}

TEST_F(limits, quota_emfile_unprivileged)
{
	struct child_result *res = child_result_alloc();
	struct quota_args a = { .dev = self->dev, .names = self->names };
	struct who w = WHO_USER(UID_A, GID_A);

	ASSERT_NE(NULL, res);
	SET_PARAM("user_bytes", QUOTA);
	ASSERT_EQ(0, run_as(&w, op_fill_quota, &a, res, CHILD_MS))
		TH_LOG("line %d: %s: %s", res->fail_line, res->note,
		       strerror(res->fail_errno));
	ASSERT_EQ(-1, res->ret);
	ASSERT_EQ(EMFILE, res->err) TH_LOG("%s", strerror(res->err));
	ASSERT_ERRNO(ENOENT, msgq_open_at(self->dev, self->names[2],
					  MSGQ_O_RECV));
}

/* the reservation shows in quota_bytes, and goes with the mailbox */
TEST_F(limits, quota_bytes_counted)
{
	struct child_result *res = child_result_alloc();
	struct quota_args a = { .dev = self->dev, .names = self->names };
	struct who w = WHO_USER(UID_A, GID_A);
	struct msgq_counts before, c;

	ASSERT_NE(NULL, res);
	if (counts_read(&before))
		SKIP(return, "%s unreadable", MSGQ_STATS_PATH);
	SET_PARAM("user_bytes", QUOTA);
	ASSERT_EQ(0, run_as(&w, op_fill_quota, &a, res, CHILD_MS));
	ASSERT_EQ(0, counts_read(&c));
	EXPECT_EQ(before.quota_bytes + QUOTA, c.quota_bytes);
	ASSERT_EQ(0, msgq_unlink_at(self->dev, self->names[0]));
	ASSERT_EQ(0, counts_read(&c));
	EXPECT_EQ(before.quota_bytes + RESERVE(4, 512), c.quota_bytes);
}

/*
 * The reservation comes back when the mailbox is freed: not at unlink
 * while a handle is open, but at the last close.
 */
static long op_quota_returned(void *arg, struct child_result *res)
{
	struct quota_args *a = arg;
	int fd;

	fd = create_n(a->dev, a->names[0], 8, 512);
	CHILD_CHECK(res, fd >= 0);
	CHILD_CHECK(res, create_n(a->dev, a->names[1], 1, 1) < 0 &&
			 errno == EMFILE);
	CHILD_CHECK(res, msgq_unlink_at(a->dev, a->names[0]) == 0);
	/* still held by fd */
	CHILD_CHECK(res, create_n(a->dev, a->names[1], 1, 1) < 0 &&
			 errno == EMFILE);
	CHILD_CHECK(res, close(fd) == 0);
	fd = create_n(a->dev, a->names[1], 1, 1);
	CHILD_CHECK(res, fd >= 0);
	close(fd);
	/* a name without handles: unlink frees at once */
	CHILD_CHECK(res, msgq_unlink_at(a->dev, a->names[1]) == 0);
	CHILD_CHECK(res, (fd = create_n(a->dev, a->names[2], 8, 512)) >= 0);
	close(fd);
	CHILD_CHECK(res, create_n(a->dev, a->names[3], 1, 1) < 0 &&
			 errno == EMFILE);
	CHILD_CHECK(res, msgq_unlink_at(a->dev, a->names[2]) == 0);
	CHILD_CHECK(res, (fd = create_n(a->dev, a->names[3], 8, 512)) >= 0);
	return 0;
}

TEST_F(limits, quota_returned_when_mailbox_freed)
{
	struct child_result *res = child_result_alloc();
	struct quota_args a = { .dev = self->dev, .names = self->names };
	struct who w = WHO_USER(UID_A, GID_A);

	ASSERT_NE(NULL, res);
	SET_PARAM("user_bytes", QUOTA);
	ASSERT_EQ(0, run_as(&w, op_quota_returned, &a, res, CHILD_MS))
		TH_LOG("line %d: %s: %s", res->fail_line, res->note,
		       strerror(res->fail_errno));
}

/* the quota is per user: another uid still has all of its own */
TEST_F(limits, quota_is_per_user)
{
	struct child_result *res = child_result_alloc();
	struct quota_args a = { .dev = self->dev, .names = self->names };
	struct quota_args b = { .dev = self->dev, .names = self->names + 4 };
	struct who wa = WHO_USER(UID_A, GID_A), wb = WHO_USER(UID_B, GID_B);

	ASSERT_NE(NULL, res);
	SET_PARAM("user_bytes", QUOTA);
	ASSERT_EQ(0, run_as(&wa, op_fill_quota, &a, res, CHILD_MS));
	ASSERT_EQ(EMFILE, res->err);
	ASSERT_EQ(0, run_as(&wb, op_fill_quota, &b, res, CHILD_MS))
		TH_LOG("line %d: %s: %s", res->fail_line, res->note,
		       strerror(res->fail_errno));
	ASSERT_EQ(EMFILE, res->err);
}

/* opening an existing mailbox reserves nothing: works over the quota */
static long op_open_over_quota(void *arg, struct child_result *res)
{
	struct quota_args *a = arg;

	CHILD_CHECK(res, create_n(a->dev, a->names[1], 8, 512) >= 0);
	CHILD_CHECK(res, create_n(a->dev, a->names[2], 1, 1) < 0 &&
			 errno == EMFILE);
	CHILD_CHECK(res, msgq_open_at(a->dev, a->names[0], MSGQ_O_RDWR) >= 0);
	CHILD_CHECK(res, msgq_create_at(a->dev, a->names[0], MSGQ_O_RDWR,
					0666, 8, 512) >= 0);
	return 0;
}

TEST_F(limits, quota_not_charged_on_open)
{
	struct child_result *res = child_result_alloc();
	struct quota_args a = { .dev = self->dev, .names = self->names };
	struct who w = WHO_USER(UID_A, GID_A);

	ASSERT_NE(NULL, res);
	SET_PARAM("user_bytes", QUOTA);
	umask(0);
	ASSERT_LE(0, create_n(self->dev, self->names[0], 8, 512));
	ASSERT_EQ(0, run_as(&w, op_open_over_quota, &a, res, CHILD_MS))
		TH_LOG("line %d: %s: %s", res->fail_line, res->note,
		       strerror(res->fail_errno));
}

static long op_create_big(void *arg, struct child_result *res)
{
	struct quota_args *a = arg;

	return create_n(a->dev, a->names[0], 16, 1024);
}

/* root (CAP_SYS_RESOURCE) is not bound by the quota */
TEST_F(limits, quota_root_bypasses)
{
	SET_PARAM("user_bytes", QUOTA);
	ASSERT_TRUE(cap_effective(CAP_SYS_RESOURCE));
	ASSERT_LE(0, create_n(self->dev, self->names[0], 16, 1024))
		TH_LOG("%s", strerror(errno));
	ASSERT_LE(0, create_n(self->dev, self->names[1], 16, 1024))
		TH_LOG("%s", strerror(errno));
}

/* it is the capability that bypasses, not uid 0 */
TEST_F(limits, quota_cap_sys_resource_not_uid)
{
	struct child_result *res = child_result_alloc();
	struct quota_args a = { .dev = self->dev, .names = self->names };
	struct quota_args b = { .dev = self->dev, .names = self->names + 1 };
	struct who root_without = WHO_ROOT_WITHOUT(CAP_SYS_RESOURCE);
	struct who user_with = WHO_USER(UID_C, GID_C);

	ASSERT_NE(NULL, res);
	user_with.keep_cap = CAP_SYS_RESOURCE;
	SET_PARAM("user_bytes", QUOTA);
	ASSERT_EQ(0, run_as(&root_without, op_create_big, &a, res, CHILD_MS));
	EXPECT_EQ(-1, res->ret) TH_LOG("root without CAP_SYS_RESOURCE");
	EXPECT_EQ(EMFILE, res->err) TH_LOG("%s", strerror(res->err));
	ASSERT_EQ(0, run_as(&user_with, op_create_big, &b, res, CHILD_MS));
	EXPECT_LE(0, res->ret) TH_LOG("uid %u with CAP_SYS_RESOURCE: %s",
				      UID_C, strerror(res->err));
}

/* ------------------------------------------------------------------ */
/* Memory cgroup */

#define CG_MSGS		1000
#define CG_MSGSIZE	4096

struct cg_args {
	int fd;
	struct memcg cg;
	long long before, after;
};

/* Join the cgroup, then send CG_MSGS x CG_MSGSIZE bytes. */
static long op_cg_send(void *arg, struct child_result *res)
{
	struct cg_args *a = arg;
	static char msg[CG_MSGSIZE];
	int i;

	CHILD_CHECK(res, file_write_str(a->cg.procs, "0") == 0);
	memset(msg, 'c', sizeof(msg));
	/* the first send brings in whatever caches the path needs */
	CHILD_CHECK(res, msgq_send(a->fd, msg, sizeof(msg), 0) == 0);
	a->before = file_read_ll(a->cg.current);
	for (i = 1; i < CG_MSGS; i++)
		CHILD_CHECK(res, msgq_send(a->fd, msg, sizeof(msg), 0) == 0);
	a->after = file_read_ll(a->cg.current);
	return 0;
}

/* 1000 x 4 KiB sent: the sender's cgroup is charged at least 4000 KiB */
TEST_F_TIMEOUT(limits, messages_charged_to_sender_memcg, 120)
{
	struct child_result *res = child_result_alloc();
	struct cg_args *a = shared_alloc(sizeof(*a));
	char buf[CG_MSGSIZE];
	const char *why;
	long long charged;
	int st, i, drain_errno = 0;

	ASSERT_NE(NULL, res);
	ASSERT_NE(NULL, a);
	why = memcg_create(&a->cg, "send");
	if (why)
		SKIP(return, "%s: %s", why, strerror(errno));

	a->fd = msgq_create_at(self->dev, self->names[0],
			       MSGQ_O_RDWR | MSGQ_O_EXCL | MSGQ_O_NONBLOCK,
			       0600, CG_MSGS, CG_MSGSIZE);
	ASSERT_LE(0, a->fd) TH_LOG("%s", strerror(errno));
	st = run_as(NULL, op_cg_send, a, res, 90000);
	/* drain and clean up before judging */
	for (i = 0; i < CG_MSGS; i++) {
		if (msgq_recv(a->fd, buf, sizeof(buf), NULL) < 0) {
			drain_errno = errno;
			break;
		}
	}
	close(a->fd);
	memcg_remove(&a->cg);

	ASSERT_EQ(0, st) TH_LOG("line %d: %s: %s", res->fail_line, res->note,
				strerror(res->fail_errno));
	EXPECT_EQ(CG_MSGS, i) TH_LOG("drained %d: %s", i,
				     strerror(drain_errno));
	ASSERT_LE(0, a->before);
	ASSERT_LE(0, a->after);
	charged = a->after - a->before;
	TH_LOG("memory.current %lld -> %lld (+%lld KiB for %d KiB of messages)",
	       a->before, a->after, charged / 1024,
	       (CG_MSGS - 1) * CG_MSGSIZE / 1024);
	EXPECT_LE((long long)(CG_MSGS - 1) * CG_MSGSIZE, charged);
}

TEST_HARNESS_MAIN
