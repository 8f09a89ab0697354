// SPDX-License-Identifier: GPL-2.0
/*
 * Namespaces.
 *
 * IPC namespaces: mailbox names live in the IPC namespace of the process
 * that opened /dev/msgq. After unshare(CLONE_NEWIPC) a fresh /dev/msgq
 * handle neither sees (ENOENT, absent from /proc/msgq) nor opens the old
 * names and may reuse them independently; a handle opened before the
 * unshare still works on the old namespace. Once nothing but msgq holds a
 * namespace, its names are removed and its mailboxes freed within a few
 * reap_interval_ms (checked through /sys/kernel/debug/msgq/stats).
 *
 * User namespaces: owner uid/gid (GETATTR) and sender uid (RECV,
 * RECV_BATCH) are shown in the caller's user namespace, unmapped ids as
 * the overflow id 65534.
 *
 * PID namespaces: the sender pid is shown in the receiver's pid namespace,
 * 0 when the sender is not visible there.
 */
#include "msgq_test.h"

#define CHILD_MS	20000
#define OVERFLOW_ID	65534U
#define MAPPED_ID	2000U	/* outside id of uid/gid 0 in the child userns */

/* ------------------------------------------------------------------ */
/* IPC namespaces: visibility */

struct ns_args {
	int dev;		/* opened before the unshare */
	int mbox;		/* a handle opened before the fork, or -1 */
	const char *name;
	const char *name2;
};

static long op_new_ns_does_not_see(void *arg, struct child_result *res)
{
	struct ns_args *a = arg;
	int dev;

	CHILD_CHECK(res, unshare(CLONE_NEWIPC) == 0);
	dev = msgq_dev_open();
	CHILD_CHECK(res, dev >= 0);
	CHILD_CHECK(res, msgq_open_at(dev, a->name, MSGQ_O_RECV) < 0 &&
			 errno == ENOENT);
	CHILD_CHECK(res, msgq_open_at(dev, a->name, MSGQ_O_SEND) < 0 &&
			 errno == ENOENT);
	CHILD_CHECK(res, msgq_unlink_at(dev, a->name) < 0 && errno == ENOENT);
	CHILD_CHECK(res, proc_lists(a->name) == 0);
	return 0;
}

/* a new IPC namespace does not see, open, list or unlink the old names */
TEST_F(msgq, new_ipc_ns_does_not_see_parent_names)
{
	struct child_result *res = child_result_alloc();
	struct ns_args a = { .dev = self->dev, .name = self->name };
	int st;

	ASSERT_NE(NULL, res);
	self->fd = msgq_create_at(self->dev, self->name,
				  MSGQ_O_RDWR | MSGQ_O_EXCL, 0666, 4, 16);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(1, proc_lists(self->name)) TH_LOG("/proc/msgq");
	st = run_as(NULL, op_new_ns_does_not_see, &a, res, CHILD_MS);
	ASSERT_EQ(0, st) TH_LOG("line %d: %s: %s", res->fail_line, res->note,
				strerror(res->fail_errno));
	/* and the name is still there for us */
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd2);
}

static long op_same_name_independent(void *arg, struct child_result *res)
{
	struct ns_args *a = arg;
	char buf[16];
	int dev, fd;
	ssize_t n;

	CHILD_CHECK(res, unshare(CLONE_NEWIPC) == 0);
	dev = msgq_dev_open();
	CHILD_CHECK(res, dev >= 0);
	fd = msgq_create_at(dev, a->name, MSGQ_O_RDWR | MSGQ_O_EXCL |
			    MSGQ_O_NONBLOCK, 0600, 8, 16);
	CHILD_CHECK(res, fd >= 0);
	CHILD_CHECK(res, mbox_depth(fd) == 0);
	CHILD_CHECK(res, proc_lists(a->name) == 1);
	CHILD_CHECK(res, msgq_send(fd, "child", 5, 0) == 0);
	n = msgq_recv(fd, buf, sizeof(buf), NULL);
	CHILD_CHECK(res, n == 5 && !memcmp(buf, "child", 5));
	CHILD_CHECK(res, msgq_recv(fd, buf, sizeof(buf), NULL) < 0 &&
			 errno == EAGAIN);
	/* leave one behind: the namespace's teardown frees it */
	CHILD_CHECK(res, msgq_send(fd, "left", 4, 0) == 0);
	return 0;
}

/* the same name in a new IPC namespace is a different mailbox */
TEST_F(msgq, same_name_in_new_ipc_ns_is_independent)
{
	struct child_result *res = child_result_alloc();
	struct ns_args a = { .dev = self->dev, .name = self->name };
	char buf[16];
	int st;

	ASSERT_NE(NULL, res);
	MBOX_CREATE(8, 16);
	ASSERT_EQ(0, msgq_send(self->fd, "parent", 6, 0));
	st = run_as(NULL, op_same_name_independent, &a, res, CHILD_MS);
	ASSERT_EQ(0, st) TH_LOG("line %d: %s: %s", res->fail_line, res->note,
				strerror(res->fail_errno));
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_EQ(6, msgq_recv(self->fd, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, memcmp(buf, "parent", 6));
}

static long op_old_devfd(void *arg, struct child_result *res)
{
	struct ns_args *a = arg;
	int dev, fd;

	CHILD_CHECK(res, unshare(CLONE_NEWIPC) == 0);
	/* the handle opened before the unshare: the old namespace */
	fd = msgq_open_at(a->dev, a->name, MSGQ_O_SEND);
	CHILD_CHECK(res, fd >= 0);
	CHILD_CHECK(res, msgq_send(fd, "via-old", 7, 0) == 0);
	fd = msgq_create_at(a->dev, a->name2, MSGQ_O_RDWR | MSGQ_O_EXCL,
			    0600, 2, 8);
	CHILD_CHECK(res, fd >= 0);
	/* a new handle: the new namespace */
	dev = msgq_dev_open();
	CHILD_CHECK(res, dev >= 0);
	CHILD_CHECK(res, msgq_open_at(dev, a->name, MSGQ_O_RECV) < 0 &&
			 errno == ENOENT);
	CHILD_CHECK(res, msgq_open_at(dev, a->name2, MSGQ_O_RECV) < 0 &&
			 errno == ENOENT);
	CHILD_CHECK(res, proc_lists(a->name2) == 0);
	return 0;
}

/* a /dev/msgq handle opened before unshare stays in the old namespace */
TEST_F(msgq, devfd_opened_before_unshare_keeps_old_ns)
{
	struct child_result *res = child_result_alloc();
	struct ns_args a = { .dev = self->dev, .name = self->name,
			     .name2 = self->name2 };
	char buf[16];
	int st;

	ASSERT_NE(NULL, res);
	MBOX_CREATE(8, 16);
	st = run_as(NULL, op_old_devfd, &a, res, CHILD_MS);
	ASSERT_EQ(0, st) TH_LOG("line %d: %s: %s", res->fail_line, res->note,
				strerror(res->fail_errno));
	ASSERT_EQ(7, msgq_recv(self->fd, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, memcmp(buf, "via-old", 7));
	self->fd2 = msgq_open_at(self->dev, self->name2, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd2) TH_LOG("created through the old handle: %s",
				       strerror(errno));
	ASSERT_EQ(1, proc_lists(self->name2));
}

/* ------------------------------------------------------------------ */
/* IPC namespaces: teardown */

#define REAP_MS		50

FIXTURE(reap) {
	int dev;
	long long saved;
	struct msgq_counts base;
};

/*
 * Reap every REAP_MS for the test, and start from settled counts: earlier
 * tests' namespaces may still be waiting for the reaper.
 */
FIXTURE_SETUP(reap)
{
	struct msgq_counts a, b;
	int i;

	self->dev = -1;
	self->saved = -1;
	if (access(MSGQ_DEVICE_PATH, F_OK))
		SKIP(_exit(255), "msgq module not loaded");
	if (counts_read(&a))
		SKIP(_exit(255), "%s unreadable (debugfs)", MSGQ_STATS_PATH);
	self->saved = param_get("reap_interval_ms");
	ASSERT_LE(0, self->saved);
	ASSERT_EQ(0, param_write_ul("reap_interval_ms", REAP_MS));
	self->dev = msgq_dev_open();
	ASSERT_LE(0, self->dev);
	/* settle: a pending reap may still run on the old interval */
	sleep_ms(self->saved > 3000 ? 3000 : (unsigned int)self->saved + 200);
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, counts_read(&a));
		sleep_ms(10 * REAP_MS);
		ASSERT_EQ(0, counts_read(&b));
		if (counts_equal(&a, &b))
			break;
	}
	self->base = b;
}

FIXTURE_TEARDOWN(reap)
{
	if (self->dev >= 0)
		close(self->dev);
	if (self->saved >= 0)
		param_write_ul("reap_interval_ms", (unsigned long)self->saved);
}

/* The counts of the test start plus a delta. */
static struct msgq_counts plus(const struct msgq_counts *b, long long mb,
			       long long msgs, long long bytes, long long ns,
			       long long quota, long long names)
{
	struct msgq_counts c = *b;

	c.mailboxes += mb;
	c.messages += msgs;
	c.message_bytes += bytes;
	c.namespaces += ns;
	c.quota_bytes += quota;
	c.user_names += names;
	return c;
}

#define EXPECT_COUNTS(want, timeout_ms, what) do {			\
	struct msgq_counts __last;					\
	char __w[200], __l[200];					\
	bool __ok = counts_wait(&(want), &__last, (timeout_ms));	\
	counts_str(&(want), __w, sizeof(__w));				\
	counts_str(&__last, __l, sizeof(__l));				\
	ASSERT_TRUE(__ok) TH_LOG("%s: want %s, have %s", what, __w, __l);\
} while (0)

struct teardown_args {
	int ready[2];	/* child -> test */
	int go[2];	/* test -> child */
	int sock[2];	/* SCM_RIGHTS, child -> test */
	int pass;	/* 0: nothing, 1: the device fd, 2: a mailbox handle */
};

/*
 * In a new IPC namespace: three mailboxes (4 x 100, 2 x 1000 and 1 x 1
 * bytes of capacity), five 100-byte messages in the first. Optionally pass
 * the device or the first mailbox's handle to the test. Then wait for "go".
 */
static long op_populate_ns(void *arg, struct child_result *res)
{
	struct teardown_args *a = arg;
	char msg[100];
	int dev, fd, i;

	CHILD_CHECK(res, unshare(CLONE_NEWIPC) == 0);
	dev = msgq_dev_open();
	CHILD_CHECK(res, dev >= 0);
	fd = msgq_create_at(dev, "nsa", MSGQ_O_RDWR | MSGQ_O_EXCL, 0600,
			    8, 100);
	CHILD_CHECK(res, fd >= 0);
	memset(msg, 'm', sizeof(msg));
	for (i = 0; i < 5; i++)
		CHILD_CHECK(res, msgq_send(fd, msg, sizeof(msg), 1) == 0);
	CHILD_CHECK(res, msgq_create_at(dev, "nsb", MSGQ_O_RDWR | MSGQ_O_EXCL,
					0600, 2, 1000) >= 0);
	CHILD_CHECK(res, msgq_create_at(dev, "nsc", MSGQ_O_RECV | MSGQ_O_EXCL,
					0600, 1, 1) >= 0);
	if (a->pass == 1)
		CHILD_CHECK(res, fd_send(a->sock[1], dev) == 0);
	if (a->pass == 2)
		CHILD_CHECK(res, fd_send(a->sock[1], fd) == 0);
	CHILD_CHECK(res, pipe_signal(a->ready[1]) == 0);
	CHILD_CHECK(res, pipe_wait(a->go[0], CHILD_MS) == 0);
	return 0;
}

/* Start op_populate_ns in a child; returns its pid. */
static pid_t start_populate(struct teardown_args *a, struct child_result *res)
{
	pid_t pid;

	if (pipe(a->ready) || pipe(a->go) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, a->sock))
		return -1;
	memset(res, 0, sizeof(*res));
	pid = fork();
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		res->ret = op_populate_ns(a, res);
		_exit(0);
	}
	close(a->ready[1]);
	close(a->go[0]);
	close(a->sock[1]);
	return pid;
}

#define POP_MB		3
#define POP_MSGS	5
#define POP_BYTES	500
#define POP_QUOTA	(RESERVE(8, 100) + RESERVE(2, 1000) + RESERVE(1, 1))

/* all processes gone, all handles closed: the mailboxes are freed */
TEST_F(reap, ns_teardown_frees_mailboxes)
{
	struct child_result *res = child_result_alloc();
	struct teardown_args a = { .pass = 0 };
	struct msgq_counts want;
	pid_t pid;

	ASSERT_NE(NULL, res);
	pid = start_populate(&a, res);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, pipe_wait(a.ready[0], CHILD_MS))
		TH_LOG("child: line %d: %s: %s", res->fail_line, res->note,
		       strerror(res->fail_errno));
	want = plus(&self->base, POP_MB, POP_MSGS, POP_BYTES, 1, POP_QUOTA,
		    POP_MB);
	EXPECT_COUNTS(want, 2000, "namespace populated");
	/* its process is alive: several reap intervals change nothing */
	sleep_ms(8 * REAP_MS);
	EXPECT_COUNTS(want, 0, "namespace in use");
	ASSERT_EQ(0, pipe_signal(a.go[1]));
	ASSERT_EQ(0, wait_child_ms(pid, CHILD_MS));
	EXPECT_COUNTS(self->base, 40 * REAP_MS + 5000, "after teardown");
}

/* an open /dev/msgq handle keeps the namespace and its names alive */
TEST_F(reap, device_handle_keeps_ns_alive)
{
	struct child_result *res = child_result_alloc();
	struct teardown_args a = { .pass = 1 };
	struct msgq_counts want;
	char buf[128];
	int dev, fd;
	pid_t pid;

	ASSERT_NE(NULL, res);
	pid = start_populate(&a, res);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, pipe_wait(a.ready[0], CHILD_MS))
		TH_LOG("child: line %d: %s: %s", res->fail_line, res->note,
		       strerror(res->fail_errno));
	dev = fd_recv(a.sock[0]);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, pipe_signal(a.go[1]));
	ASSERT_EQ(0, wait_child_ms(pid, CHILD_MS));
	/* the namespace's last process is gone; our handle still pins it */
	sleep_ms(10 * REAP_MS);
	want = plus(&self->base, POP_MB, POP_MSGS, POP_BYTES, 1, POP_QUOTA,
		    POP_MB);
	EXPECT_COUNTS(want, 0, "pinned by a device handle");
	fd = msgq_open_at(dev, "nsa", MSGQ_O_RECV | MSGQ_O_NONBLOCK);
	ASSERT_LE(0, fd) TH_LOG("names of the pinned namespace: %s",
				strerror(errno));
	ASSERT_EQ(100, msgq_recv(fd, buf, sizeof(buf), NULL));
	/* and is not in ours */
	ASSERT_ERRNO(ENOENT, msgq_open_at(self->dev, "nsa", MSGQ_O_RECV));
	close(fd);
	close(dev);
	EXPECT_COUNTS(self->base, 40 * REAP_MS + 5000, "after the last close");
}

/*
 * A mailbox handle does not pin the namespace: the teardown removes the
 * names, the held mailbox lives on unlinked until its handle is closed.
 */
TEST_F(reap, teardown_unlinks_held_mailbox)
{
	struct child_result *res = child_result_alloc();
	struct teardown_args a = { .pass = 2 };
	struct msgq_counts want;
	struct msgq_attr attr;
	char buf[128];
	pid_t pid;
	int fd;

	ASSERT_NE(NULL, res);
	pid = start_populate(&a, res);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, pipe_wait(a.ready[0], CHILD_MS))
		TH_LOG("child: line %d: %s: %s", res->fail_line, res->note,
		       strerror(res->fail_errno));
	fd = fd_recv(a.sock[0]);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe_signal(a.go[1]));
	ASSERT_EQ(0, wait_child_ms(pid, CHILD_MS));
	/* the table and the two unheld mailboxes go; "nsa" stays */
	want = plus(&self->base, 1, POP_MSGS, POP_BYTES, 0, RESERVE(8, 100),
		    0);
	EXPECT_COUNTS(want, 40 * REAP_MS + 5000, "after teardown");
	ASSERT_EQ(0, msgq_getattr(fd, &attr));
	EXPECT_EQ(MSGQ_ATTR_UNLINKED, attr.flags & MSGQ_ATTR_UNLINKED);
	EXPECT_EQ(5U, attr.cur_msgs);
	ASSERT_EQ(100, msgq_recv(fd, buf, sizeof(buf), NULL));
	close(fd);
	EXPECT_COUNTS(self->base, 2000, "after the last close");
}

/* ------------------------------------------------------------------ */
/* User namespaces */

struct userns_args {
	int ready[2];
	int go[2];
	int dev;	/* init IPC namespace, opened before */
	int mbox;	/* root's mailbox, RDWR, opened before */
	const char *name2;
	struct msgq_attr attr_root;	/* root's mailbox, seen inside */
	struct msgq_attr attr_own;	/* the child's mailbox, seen inside */
	struct msgq_recv r[2];
	struct msgq_mmsg m[2];
	int batch_n;
	int skip;
};

/*
 * The child: unshare(CLONE_NEWUSER | CLONE_NEWIPC), let the test write
 * "0 MAPPED_ID 1" as uid and gid map, become 0 inside (MAPPED_ID outside).
 */
static int enter_userns(struct userns_args *a, struct child_result *res)
{
	if (unshare(CLONE_NEWUSER | CLONE_NEWIPC)) {
		a->skip = errno;
		pipe_signal(a->ready[1]);
		_exit(0);
	}
	CHILD_CHECK(res, pipe_signal(a->ready[1]) == 0);
	CHILD_CHECK(res, pipe_wait(a->go[0], CHILD_MS) == 0);
	CHILD_CHECK(res, setresgid(0, 0, 0) == 0);
	CHILD_CHECK(res, setresuid(0, 0, 0) == 0);
	CHILD_CHECK(res, getuid() == 0 && getgid() == 0);
	return 0;
}

/* Fork @fn in a user namespace; returns its wait status, or 255 to skip. */
static int run_in_userns(struct userns_args *a,
			 long (*fn)(void *, struct child_result *),
			 struct child_result *res)
{
	char path[64], map[64];
	pid_t pid;

	if (pipe(a->ready) || pipe(a->go))
		return -1;
	memset(res, 0, sizeof(*res));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		enter_userns(a, res);
		res->ret = fn(a, res);
		_exit(0);
	}
	if (pipe_wait(a->ready[0], CHILD_MS)) {
		wait_child_ms(pid, 1);
		return -1;
	}
	if (a->skip) {
		wait_child_ms(pid, CHILD_MS);
		return 255;
	}
	snprintf(map, sizeof(map), "0 %u 1\n", MAPPED_ID);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	if (file_write_str(path, map))
		goto fail;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	if (file_write_str(path, map))
		goto fail;
	pipe_signal(a->go[1]);
	return wait_child_ms(pid, CHILD_MS);
fail:
	kill(pid, SIGKILL);
	wait_child_ms(pid, CHILD_MS);
	return -1;
}

static long op_userns_getattr(void *arg, struct child_result *res)
{
	struct userns_args *a = arg;
	int fd;

	CHILD_CHECK(res, msgq_getattr(a->mbox, &a->attr_root) == 0);
	/* create through the old device: owned by MAPPED_ID outside */
	fd = msgq_create_at(a->dev, a->name2, MSGQ_O_RDWR | MSGQ_O_EXCL,
			    0600, 4, 16);
	CHILD_CHECK(res, fd >= 0);
	CHILD_CHECK(res, msgq_getattr(fd, &a->attr_own) == 0);
	return 0;
}

/* GETATTR shows owner ids in the caller's user namespace */
TEST_F(msgq, userns_getattr_ids_translated)
{
	struct child_result *res = child_result_alloc();
	struct userns_args *a = shared_alloc(sizeof(*a));
	struct msgq_attr attr;
	int st;

	ASSERT_NE(NULL, res);
	ASSERT_NE(NULL, a);
	MBOX_CREATE(4, 16);
	a->dev = self->dev;
	a->mbox = self->fd;
	a->name2 = self->name2;
	st = run_in_userns(a, op_userns_getattr, res);
	if (st == 255)
		SKIP(return, "unshare(CLONE_NEWUSER): %s", strerror(a->skip));
	ASSERT_EQ(0, st) TH_LOG("status %d, line %d: %s: %s", st,
				res->fail_line, res->note,
				strerror(res->fail_errno));
	/* root (uid 0 outside) is unmapped inside */
	EXPECT_EQ(OVERFLOW_ID, a->attr_root.uid);
	EXPECT_EQ(OVERFLOW_ID, a->attr_root.gid);
	/* the child's own mailbox: 0 inside ... */
	EXPECT_EQ(0U, a->attr_own.uid);
	EXPECT_EQ(0U, a->attr_own.gid);
	/* ... and MAPPED_ID outside */
	self->fd2 = msgq_open_at(self->dev, self->name2, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, msgq_getattr(self->fd2, &attr));
	EXPECT_EQ(MAPPED_ID, attr.uid);
	EXPECT_EQ(MAPPED_ID, attr.gid);
}

static long op_userns_recv(void *arg, struct child_result *res)
{
	struct userns_args *a = arg;
	char buf[16];
	int i;

	/* "P" from root, then its own "C1"; "C2" is for the test */
	CHILD_CHECK(res, msgq_send(a->mbox, "C1", 2, 0) == 0);
	for (i = 0; i < 2; i++) {
		memset(&a->r[i], 0, sizeof(a->r[i]));
		a->r[i].buf = ptr_to_u64(buf);
		a->r[i].cap = sizeof(buf);
		a->r[i].flags = MSGQ_F_NONBLOCK;
		CHILD_CHECK(res, msgq_recv_args(a->mbox, &a->r[i]) >= 0);
	}
	CHILD_CHECK(res, msgq_send(a->mbox, "C2", 2, 0) == 0);
	return 0;
}

/* a received message's sender uid is shown in the receiver's userns */
TEST_F(msgq, userns_recv_sender_uid_translated)
{
	struct child_result *res = child_result_alloc();
	struct userns_args *a = shared_alloc(sizeof(*a));
	char buf[16];
	struct msgq_recv r = { .buf = ptr_to_u64(buf), .cap = sizeof(buf),
			       .flags = MSGQ_F_NONBLOCK };
	int st;

	ASSERT_NE(NULL, res);
	ASSERT_NE(NULL, a);
	MBOX_CREATE(4, 16);
	ASSERT_EQ(0, msgq_send(self->fd, "P", 1, 0));
	a->dev = self->dev;
	a->mbox = self->fd;
	st = run_in_userns(a, op_userns_recv, res);
	if (st == 255)
		SKIP(return, "unshare(CLONE_NEWUSER): %s", strerror(a->skip));
	ASSERT_EQ(0, st) TH_LOG("status %d, line %d: %s: %s", st,
				res->fail_line, res->note,
				strerror(res->fail_errno));
	/* root's message, inside: unmapped */
	EXPECT_EQ(1U, a->r[0].len);
	EXPECT_EQ(OVERFLOW_ID, a->r[0].uid);
	/* its own message, inside: 0 */
	EXPECT_EQ(2U, a->r[1].len);
	EXPECT_EQ(0U, a->r[1].uid);
	/* its message, outside: MAPPED_ID */
	ASSERT_EQ(2, msgq_recv_args(self->fd, &r));
	EXPECT_EQ(0, memcmp(buf, "C2", 2));
	EXPECT_EQ(MAPPED_ID, r.uid);
}

static long op_userns_recv_batch(void *arg, struct child_result *res)
{
	struct userns_args *a = arg;
	static char bufs[2][16];
	struct msgq_batch b;
	int i;

	CHILD_CHECK(res, msgq_send(a->mbox, "C", 1, 0) == 0);
	memset(a->m, 0, sizeof(a->m));
	for (i = 0; i < 2; i++) {
		a->m[i].buf = ptr_to_u64(bufs[i]);
		a->m[i].len = sizeof(bufs[i]);
	}
	memset(&b, 0, sizeof(b));
	b.msgs = ptr_to_u64(a->m);
	b.count = 2;
	b.flags = MSGQ_F_NONBLOCK;
	a->batch_n = msgq_recv_batch_args(a->mbox, &b);
	CHILD_CHECK(res, a->batch_n == 2);
	return 0;
}

/* RECV_BATCH translates each entry's sender uid too */
TEST_F(msgq, userns_recv_batch_sender_uid_translated)
{
	struct child_result *res = child_result_alloc();
	struct userns_args *a = shared_alloc(sizeof(*a));
	int st;

	ASSERT_NE(NULL, res);
	ASSERT_NE(NULL, a);
	MBOX_CREATE(4, 16);
	ASSERT_EQ(0, msgq_send(self->fd, "P", 1, 0));
	a->mbox = self->fd;
	st = run_in_userns(a, op_userns_recv_batch, res);
	if (st == 255)
		SKIP(return, "unshare(CLONE_NEWUSER): %s", strerror(a->skip));
	ASSERT_EQ(0, st) TH_LOG("status %d, line %d: %s: %s", st,
				res->fail_line, res->note,
				strerror(res->fail_errno));
	EXPECT_EQ(OVERFLOW_ID, a->m[0].uid);
	EXPECT_EQ(0U, a->m[1].uid);
}

static long op_userns_no_cap_over_parent(void *arg, struct child_result *res)
{
	struct userns_args *a = arg;
	char name[MSGQ_NAME_MAX + 1];

	snprintf(name, sizeof(name), "%s", a->name2);
	/* every capability, but in its own user namespace only */
	CHILD_CHECK(res, cap_effective(CAP_IPC_OWNER));
	CHILD_CHECK(res, msgq_open_at(a->dev, name, MSGQ_O_RECV) < 0 &&
			 errno == EACCES);
	CHILD_CHECK(res, msgq_open_at(a->dev, name, MSGQ_O_SEND) < 0 &&
			 errno == EACCES);
	CHILD_CHECK(res, msgq_create_at(a->dev, name, MSGQ_O_RDWR, 0600, 4,
					16) < 0 && errno == EACCES);
	CHILD_CHECK(res, msgq_unlink_at(a->dev, name) < 0 && errno == EACCES);
	return 0;
}

/*
 * CAP_IPC_OWNER counts in the user namespace that owns the mailboxes' IPC
 * namespace: root of a child user namespace, using a /dev/msgq handle of
 * the initial namespace, gets no more than its uid (2000 outside) allows.
 */
TEST_F(msgq, userns_cap_ipc_owner_does_not_reach_parent_ns)
{
	struct child_result *res = child_result_alloc();
	struct userns_args *a = shared_alloc(sizeof(*a));
	int st;

	ASSERT_NE(NULL, res);
	ASSERT_NE(NULL, a);
	MBOX_CREATE(4, 16);	/* root's, 0600 */
	a->dev = self->dev;
	a->name2 = self->name;
	st = run_in_userns(a, op_userns_no_cap_over_parent, res);
	if (st == 255)
		SKIP(return, "unshare(CLONE_NEWUSER): %s", strerror(a->skip));
	ASSERT_EQ(0, st) TH_LOG("status %d, line %d: %s: %s", st,
				res->fail_line, res->note,
				strerror(res->fail_errno));
	/* still there */
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd2);
}

static long op_userns_proc_listing(void *arg, struct child_result *res)
{
	struct userns_args *a = arg;
	char line[1024], want[64];
	int dev, fd, found = 0;
	FILE *f;

	dev = msgq_dev_open();
	CHILD_CHECK(res, dev >= 0);
	fd = msgq_create_at(dev, "userns-own", MSGQ_O_RDWR | MSGQ_O_EXCL,
			    0640, 2, 8);
	CHILD_CHECK(res, fd >= 0);
	CHILD_CHECK(res, proc_lists(a->name2) == 0);
	f = fopen("/proc/msgq", "re");
	CHILD_CHECK(res, f != NULL);
	/* "name max_msgs max_msgsize cur cur_bytes sent recvd mode uid gid" */
	snprintf(want, sizeof(want), "userns-own 2 8 0 0 0 0 0640 0 0 ");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)))
			found = 1;
	fclose(f);
	CHILD_CHECK(res, found);
	return 0;
}

/* /proc/msgq in a user+IPC namespace: its own names, its own ids */
TEST_F(msgq, userns_proc_msgq_lists_own_ns_with_own_ids)
{
	struct child_result *res = child_result_alloc();
	struct userns_args *a = shared_alloc(sizeof(*a));
	int st;

	ASSERT_NE(NULL, res);
	ASSERT_NE(NULL, a);
	MBOX_CREATE(4, 16);
	a->name2 = self->name;
	st = run_in_userns(a, op_userns_proc_listing, res);
	if (st == 255)
		SKIP(return, "unshare(CLONE_NEWUSER): %s", strerror(a->skip));
	ASSERT_EQ(0, st) TH_LOG("status %d, line %d: %s: %s", st,
				res->fail_line, res->note,
				strerror(res->fail_errno));
}

/* ------------------------------------------------------------------ */
/* PID namespaces */

struct pidns_args {
	int up;			/* handle: grandchild -> test */
	int down;		/* handle: test -> grandchild */
	pid_t inner_pid;	/* the grandchild's getpid() */
	pid_t outer_pid;	/* its pid in the test's namespace */
	struct msgq_recv r_test;	/* the test's message, received inside */
	struct msgq_recv r_self;	/* its own message, received inside */
	int fail_line;
	int fail_errno;
};

static void pidns_grandchild(struct pidns_args *a)
{
	char buf[16];

#define GC_CHECK(cond) do {						\
	if (!(cond)) {							\
		a->fail_line = __LINE__;				\
		a->fail_errno = errno;					\
		_exit(1);						\
	}								\
} while (0)
	a->inner_pid = getpid();
	memset(&a->r_test, 0, sizeof(a->r_test));
	a->r_test.buf = ptr_to_u64(buf);
	a->r_test.cap = sizeof(buf);
	a->r_test.flags = MSGQ_F_NONBLOCK;
	GC_CHECK(msgq_recv_args(a->down, &a->r_test) == 1);
	GC_CHECK(msgq_send(a->down, "s", 1, 0) == 0);
	memset(&a->r_self, 0, sizeof(a->r_self));
	a->r_self.buf = ptr_to_u64(buf);
	a->r_self.cap = sizeof(buf);
	a->r_self.flags = MSGQ_F_NONBLOCK;
	GC_CHECK(msgq_recv_args(a->down, &a->r_self) == 1);
	GC_CHECK(msgq_send(a->up, "g", 1, 0) == 0);
	_exit(0);
#undef GC_CHECK
}

/* child: unshare(CLONE_NEWPID), fork the grandchild (pid 1 inside) */
static int run_in_pidns(struct pidns_args *a)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (!pid) {
		pid_t g;
		int st;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWPID))
			_exit(3);
		g = fork();
		if (g < 0)
			_exit(4);
		if (!g)
			pidns_grandchild(a);
		a->outer_pid = g;
		st = wait_child_ms(g, CHILD_MS);
		_exit(st == 0 ? 0 : 5);
	}
	return wait_child_ms(pid, CHILD_MS);
}

FIXTURE(pidns) {
	struct pidns_args *a;
	int dev;
	char up[64], down[64];
};

FIXTURE_SETUP(pidns)
{
	self->dev = -1;
	if (access(MSGQ_DEVICE_PATH, F_OK))
		SKIP(_exit(255), "msgq module not loaded");
	self->a = shared_alloc(sizeof(*self->a));
	ASSERT_NE(NULL, self->a);
	self->dev = msgq_dev_open();
	ASSERT_LE(0, self->dev);
	snprintf(self->up, sizeof(self->up), "msgqt-%d-up", (int)getpid());
	snprintf(self->down, sizeof(self->down), "msgqt-%d-down",
		 (int)getpid());
	self->a->up = msgq_create_at(self->dev, self->up,
				     MSGQ_O_RDWR | MSGQ_O_EXCL, 0600, 4, 16);
	ASSERT_LE(0, self->a->up);
	self->a->down = msgq_create_at(self->dev, self->down,
				       MSGQ_O_RDWR | MSGQ_O_EXCL, 0600, 4, 16);
	ASSERT_LE(0, self->a->down);
	ASSERT_EQ(0, msgq_send(self->a->down, "t", 1, 0));
	ASSERT_EQ(0, run_in_pidns(self->a))
		TH_LOG("grandchild line %d: %s", self->a->fail_line,
		       strerror(self->a->fail_errno));
}

FIXTURE_TEARDOWN(pidns)
{
	if (self->dev < 0)
		return;
	msgq_unlink_at(self->dev, self->up);
	msgq_unlink_at(self->dev, self->down);
	close(self->dev);
}

/* a sender in a child pid namespace shows its pid in ours */
TEST_F(pidns, sender_in_child_pidns_seen_with_outer_pid)
{
	char buf[16];
	struct msgq_recv r = { .buf = ptr_to_u64(buf), .cap = sizeof(buf),
			       .flags = MSGQ_F_NONBLOCK };

	ASSERT_EQ(1, self->a->inner_pid);
	ASSERT_EQ(1, msgq_recv_args(self->a->up, &r));
	EXPECT_NE(0, r.pid);
	EXPECT_EQ(self->a->outer_pid, r.pid);
}

/* a sender outside the receiver's pid namespace shows pid 0 */
TEST_F(pidns, sender_outside_receiver_pidns_is_zero)
{
	EXPECT_EQ(0, self->a->r_test.pid);
	/* the control: a sender of its own namespace shows its pid there */
	EXPECT_EQ(1, self->a->r_self.pid);
}

TEST_HARNESS_MAIN
