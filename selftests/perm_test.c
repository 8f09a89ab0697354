// SPDX-License-Identifier: GPL-2.0
/*
 * Permissions of named mailboxes, as for POSIX message queues:
 *
 * - the mode given at create is reduced by the umask, and the reduced mode
 *   is what is enforced;
 * - opening for receive needs read permission, for send write permission,
 *   of the one class (owner, group, other) the caller falls in; EACCES
 *   otherwise, also through MSGQ_IOC_CREATE of an existing name;
 * - CAP_IPC_OWNER overrides, and nothing else does (not uid 0 alone);
 * - a handle keeps the direction it was opened for (EBADF for the other);
 * - only the owner uid or CAP_IPC_OWNER may unlink;
 * - MSGQ_IOC_GETATTR reports the owner's uid, gid and the mode.
 *
 * The tests run as root; each case runs in a child that drops to an
 * unprivileged uid (msgq_test.h) and reports back through shared
 * memory. Mailboxes "of another user" are created by a child as that user.
 */
#include "msgq_test.h"

#define CHILD_MS	10000

/* ------------------------------------------------------------------ */
/* Operations run in children */

struct name_op {
	int dev;
	const char *name;
	unsigned int flags;
	mode_t mode;
	mode_t umask;
};

/* Create @name (exclusive) with @mode under @umask. Returns the fd. */
static long op_create(void *arg, struct child_result *res)
{
	struct name_op *op = arg;

	umask(op->umask);
	return msgq_create_at(op->dev, op->name,
			      op->flags ? op->flags : MSGQ_O_RDWR | MSGQ_O_EXCL,
			      op->mode, 4, 16);
}

static long op_open(void *arg, struct child_result *res)
{
	struct name_op *op = arg;

	return msgq_open_at(op->dev, op->name, op->flags);
}

/* MSGQ_IOC_CREATE without MSGQ_O_EXCL: opens an existing mailbox. */
static long op_create_existing(void *arg, struct child_result *res)
{
	struct name_op *op = arg;

	return msgq_create_at(op->dev, op->name, op->flags, 0666, 4, 16);
}

static long op_unlink(void *arg, struct child_result *res)
{
	struct name_op *op = arg;

	return msgq_unlink_at(op->dev, op->name);
}

/* ------------------------------------------------------------------ */
/* Test-side helpers */

/* Run @fn as @w on @name with @flags; the result is in @res. */
#define RUN_OP(w, fn, nm, fl) ({					\
	struct who __w = (w);						\
	struct name_op __op = { .dev = self->dev, .name = (nm),		\
				.flags = (fl) };			\
	int __st = run_as(&__w, fn, &__op, res, CHILD_MS);		\
	ASSERT_EQ(0, __st) TH_LOG("child status %d at line %d (%s): %s",\
				  __st, res->fail_line, res->note,	\
				  strerror(res->fail_errno));		\
	res->ret;							\
})

/* The child's operation succeeded. */
#define EXPECT_OP_OK(what) \
	EXPECT_LE(0, res->ret) TH_LOG("%s: %s", what, strerror(res->err))

/* The child's operation failed with @e. */
#define EXPECT_OP_ERR(e, what) do {					\
	EXPECT_EQ(-1, res->ret) TH_LOG("%s succeeded, expected %s",	\
				       what, strerror(e));		\
	EXPECT_EQ((e), res->err) TH_LOG("%s: %s, expected %s", what,	\
					strerror(res->err), strerror(e));\
} while (0)

/* Create the test's mailbox as @w (uid/gid), with @mode and umask 0. */
#define CREATE_AS(w, mode_) do {					\
	struct who __w = (w);						\
	struct name_op __op = { .dev = self->dev, .name = self->name,	\
				.mode = (mode_) };			\
	int __st = run_as(&__w, op_create, &__op, res, CHILD_MS);	\
	ASSERT_EQ(0, __st) TH_LOG("child status %d", __st);		\
	ASSERT_LE(0, res->ret) TH_LOG("create as %u: %s",		\
				      (unsigned int)__w.uid,		\
				      strerror(res->err));		\
} while (0)

static struct who member_of(uid_t uid, gid_t gid, gid_t supplementary)
{
	struct who w = WHO_USER(uid, gid);

	w.ngroups = 1;
	w.groups[0] = supplementary;
	return w;
}

/* The three opens of a class: RECV, SEND, RDWR; expect 0 or an errno. */
#define EXPECT_OPENS(w, e_recv, e_send, e_rdwr) do {			\
	const int __e[3] = { (e_recv), (e_send), (e_rdwr) };		\
	const unsigned int __f[3] = { MSGQ_O_RECV, MSGQ_O_SEND,		\
				      MSGQ_O_RDWR };			\
	const char *__n[3] = { "open RECV", "open SEND", "open RDWR" };	\
	int __i;							\
	for (__i = 0; __i < 3; __i++) {					\
		RUN_OP((w), op_open, self->name, __f[__i]);		\
		if (__e[__i])						\
			EXPECT_OP_ERR(__e[__i], __n[__i]);		\
		else							\
			EXPECT_OP_OK(__n[__i]);				\
	}								\
} while (0)

/* ------------------------------------------------------------------ */
/* Mode and umask */

/* the umask is applied at create: 0777 under umask 0 stays 0777 */
TEST_F(msgq, umask_zero_keeps_all_bits)
{
	struct child_result *res = child_result_alloc();
	struct msgq_attr a;

	ASSERT_NE(NULL, res);
	CREATE_AS(WHO_USER(UID_A, GID_A), 0777);
	self->fd = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_EQ(0777U, a.mode);
}

/* a umask of 0277 leaves 0500 of 0777 */
TEST_F(msgq, umask_masks_mode_bits)
{
	struct msgq_attr a;
	mode_t old = umask(0277);

	self->fd = msgq_create_at(self->dev, self->name,
				  MSGQ_O_RDWR | MSGQ_O_EXCL, 0777, 1, 1);
	umask(old);
	ASSERT_LE(0, self->fd) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_EQ(0500U, a.mode);
}

/* the masked mode is the one enforced: 0666 under umask 066 shuts others out */
TEST_F(msgq, umask_masked_bits_are_enforced)
{
	struct child_result *res = child_result_alloc();
	struct who owner = WHO_USER(UID_A, GID_A);
	struct name_op op = { .dev = self->dev, .name = self->name,
			      .mode = 0666, .umask = 066 };

	ASSERT_NE(NULL, res);
	ASSERT_EQ(0, run_as(&owner, op_create, &op, res, CHILD_MS));
	ASSERT_LE(0, res->ret) TH_LOG("%s", strerror(res->err));
	EXPECT_OPENS(WHO_USER(UID_C, GID_C), EACCES, EACCES, EACCES);
	EXPECT_OPENS(WHO_USER(UID_B, GID_A), EACCES, EACCES, EACCES);
	EXPECT_OPENS(owner, 0, 0, 0);
}

/* mode bits outside 0777 (setuid, setgid, sticky, file type) are EINVAL */
TEST_F(msgq, mode_bits_outside_0777_einval)
{
	static const unsigned int bad[] = {
		01000, 02000, 04000, 04777, 0100600, 010000000, 0x80000000,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct msgq_create c = {
			.name = ptr_to_u64(self->name),
			.flags = MSGQ_O_RDWR | MSGQ_O_EXCL,
			.mode = bad[i],
			.max_msgs = 1,
			.max_msgsize = 1,
		};

		ASSERT_EQ(-1, ioctl(self->dev, MSGQ_IOC_CREATE, &c))
			TH_LOG("mode %#o accepted", bad[i]);
		ASSERT_EQ(EINVAL, errno) TH_LOG("mode %#o: %s", bad[i],
						strerror(errno));
	}
	ASSERT_ERRNO(ENOENT, msgq_open_at(self->dev, self->name, MSGQ_O_RECV));
}

/* ------------------------------------------------------------------ */
/* Classes */

/* owner r--: the owner may receive, not send */
TEST_F(msgq, owner_read_bit_allows_recv_only)
{
	struct child_result *res = child_result_alloc();

	ASSERT_NE(NULL, res);
	CREATE_AS(WHO_USER(UID_A, GID_A), 0400);
	EXPECT_OPENS(WHO_USER(UID_A, GID_A), 0, EACCES, EACCES);
}

/* owner -w-: the owner may send, not receive */
TEST_F(msgq, owner_write_bit_allows_send_only)
{
	struct child_result *res = child_result_alloc();

	ASSERT_NE(NULL, res);
	CREATE_AS(WHO_USER(UID_A, GID_A), 0200);
	EXPECT_OPENS(WHO_USER(UID_A, GID_A), EACCES, 0, EACCES);
}

/* owner rw-: both, and the owner is not shut out by group/other bits */
TEST_F(msgq, owner_rw_allows_both)
{
	struct child_result *res = child_result_alloc();

	ASSERT_NE(NULL, res);
	CREATE_AS(WHO_USER(UID_A, GID_A), 0600);
	EXPECT_OPENS(WHO_USER(UID_A, GID_A), 0, 0, 0);
}

/* mode 0066: the owner's own class decides, group/other bits do not help */
TEST_F(msgq, owner_class_does_not_fall_through)
{
	struct child_result *res = child_result_alloc();

	ASSERT_NE(NULL, res);
	CREATE_AS(WHO_USER(UID_A, GID_A), 0066);
	EXPECT_OPENS(WHO_USER(UID_A, GID_A), EACCES, EACCES, EACCES);
}

/* group r--: a member by primary gid may receive only */
TEST_F(msgq, group_read_bit_primary_gid)
{
	struct child_result *res = child_result_alloc();

	ASSERT_NE(NULL, res);
	CREATE_AS(WHO_USER(UID_A, GID_A), 0640);
	EXPECT_OPENS(WHO_USER(UID_B, GID_A), 0, EACCES, EACCES);
}

/* group -w-: a member by supplementary group may send only */
TEST_F(msgq, group_write_bit_supplementary_gid)
{
	struct child_result *res = child_result_alloc();

	ASSERT_NE(NULL, res);
	CREATE_AS(WHO_USER(UID_A, GID_A), 0620);
	EXPECT_OPENS(member_of(UID_B, GID_B, GID_A), EACCES, 0, EACCES);
}

/* mode 0606: a group member gets the group's (none), not other's bits */
TEST_F(msgq, group_class_does_not_fall_through)
{
	struct child_result *res = child_result_alloc();

	ASSERT_NE(NULL, res);
	CREATE_AS(WHO_USER(UID_A, GID_A), 0606);
	EXPECT_OPENS(WHO_USER(UID_B, GID_A), EACCES, EACCES, EACCES);
	EXPECT_OPENS(WHO_USER(UID_C, GID_C), 0, 0, 0);
}

/* other r--/-w-: an unrelated user gets exactly the other bits */
TEST_F(msgq, other_bits)
{
	struct child_result *res = child_result_alloc();

	ASSERT_NE(NULL, res);
	CREATE_AS(WHO_USER(UID_A, GID_A), 0664);
	EXPECT_OPENS(WHO_USER(UID_C, GID_C), 0, EACCES, EACCES);
	ASSERT_EQ(0, msgq_unlink_at(self->dev, self->name));
	CREATE_AS(WHO_USER(UID_A, GID_A), 0662);
	EXPECT_OPENS(WHO_USER(UID_C, GID_C), EACCES, 0, EACCES);
}

/* MSGQ_IOC_CREATE of an existing name checks permission like OPEN */
TEST_F(msgq, create_of_existing_checks_permission)
{
	struct child_result *res = child_result_alloc();
	struct who other = WHO_USER(UID_C, GID_C);

	ASSERT_NE(NULL, res);
	CREATE_AS(WHO_USER(UID_A, GID_A), 0604);
	RUN_OP(other, op_create_existing, self->name, MSGQ_O_SEND);
	EXPECT_OP_ERR(EACCES, "create(existing) SEND");
	RUN_OP(other, op_create_existing, self->name, MSGQ_O_RDWR);
	EXPECT_OP_ERR(EACCES, "create(existing) RDWR");
	RUN_OP(other, op_create_existing, self->name, MSGQ_O_RECV);
	EXPECT_OP_OK("create(existing) RECV");
}

/* ------------------------------------------------------------------ */
/* CAP_IPC_OWNER */

/* root with CAP_IPC_OWNER opens a mode-0000 mailbox of another uid */
TEST_F(msgq, cap_ipc_owner_overrides_mode)
{
	struct child_result *res = child_result_alloc();

	ASSERT_NE(NULL, res);
	CREATE_AS(WHO_USER(UID_A, GID_A), 0000);
	EXPECT_OPENS(WHO_ROOT, 0, 0, 0);
}

/* an unprivileged uid without CAP_IPC_OWNER is refused a 0600 mailbox */
TEST_F(msgq, unprivileged_other_uid_refused)
{
	struct child_result *res = child_result_alloc();

	ASSERT_NE(NULL, res);
	CREATE_AS(WHO_USER(UID_A, GID_A), 0600);
	EXPECT_OPENS(WHO_USER(UID_C, GID_C), EACCES, EACCES, EACCES);
}

/* root with CAP_IPC_OWNER dropped (all else kept) is refused: uid 0 is no key */
TEST_F(msgq, root_without_cap_ipc_owner_refused)
{
	struct child_result *res = child_result_alloc();

	ASSERT_NE(NULL, res);
	CREATE_AS(WHO_USER(UID_A, GID_A), 0600);
	EXPECT_OPENS(WHO_ROOT_WITHOUT(CAP_IPC_OWNER), EACCES, EACCES, EACCES);
}

/* a non-root uid holding only CAP_IPC_OWNER is let in */
TEST_F(msgq, nonroot_with_cap_ipc_owner_allowed)
{
	struct child_result *res = child_result_alloc();
	struct who w = WHO_USER(UID_C, GID_C);

	ASSERT_NE(NULL, res);
	w.keep_cap = CAP_IPC_OWNER;
	CREATE_AS(WHO_USER(UID_A, GID_A), 0600);
	EXPECT_OPENS(w, 0, 0, 0);
}

/* ------------------------------------------------------------------ */
/* A handle keeps its direction */

struct dir_op {
	int dev;
	const char *name;
};

/*
 * As a user with read permission only: RECV opens, and that handle cannot
 * send by any path (write, SEND, SEND_BATCH, fcntl, reopen through /proc).
 */
static long op_recv_handle_cannot_send(void *arg, struct child_result *res)
{
	struct dir_op *op = arg;
	struct msgq_send s = { .buf = ptr_to_u64("x"), .len = 1 };
	struct msgq_mmsg m = { .buf = ptr_to_u64("x"), .len = 1 };
	struct msgq_batch b = { .msgs = ptr_to_u64(&m), .count = 1 };
	struct msgq_attr a;
	char path[64];
	int fd, fd2;

	fd = msgq_open_at(op->dev, op->name, MSGQ_O_RECV | MSGQ_O_NONBLOCK);
	CHILD_CHECK(res, fd >= 0);
	CHILD_CHECK(res, msgq_open_at(op->dev, op->name, MSGQ_O_SEND) < 0 &&
			 errno == EACCES);
	CHILD_CHECK(res, write(fd, "x", 1) < 0 && errno == EBADF);
	CHILD_CHECK(res, ioctl(fd, MSGQ_IOC_SEND, &s) < 0 && errno == EBADF);
	CHILD_CHECK(res, ioctl(fd, MSGQ_IOC_SEND_BATCH, &b) < 0 &&
			 errno == EBADF);
	/* F_SETFL cannot change the access mode */
	fcntl(fd, F_SETFL, O_RDWR);
	CHILD_CHECK(res, write(fd, "x", 1) < 0 && errno == EBADF);
	CHILD_CHECK(res, ioctl(fd, MSGQ_IOC_SEND, &s) < 0 && errno == EBADF);
	/* a dup shares the direction */
	fd2 = dup(fd);
	CHILD_CHECK(res, fd2 >= 0);
	CHILD_CHECK(res, ioctl(fd2, MSGQ_IOC_SEND, &s) < 0 && errno == EBADF);
	close(fd2);
	/* reopening the handle through /proc must not give a sender */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fd2 = open(path, O_WRONLY);
	if (fd2 >= 0) {
		CHILD_CHECK(res, write(fd2, "x", 1) < 0);
		CHILD_CHECK(res, ioctl(fd2, MSGQ_IOC_SEND, &s) < 0);
		close(fd2);
	}
	fd2 = open(path, O_RDWR);
	if (fd2 >= 0) {
		CHILD_CHECK(res, write(fd2, "x", 1) < 0);
		CHILD_CHECK(res, ioctl(fd2, MSGQ_IOC_SEND, &s) < 0);
		close(fd2);
	}
	/* GETATTR works in either direction, and shows RECV only */
	CHILD_CHECK(res, msgq_getattr(fd, &a) == 0);
	CHILD_CHECK(res, (a.handle_flags & MSGQ_O_RDWR) == MSGQ_O_RECV);
	CHILD_CHECK(res, a.cur_msgs == 1);
	return 0;
}

TEST_F(msgq, recv_only_permission_handle_cannot_send)
{
	struct child_result *res = child_result_alloc();
	struct who other = WHO_USER(UID_C, GID_C);
	struct dir_op op = { self->dev, self->name };
	int st;

	ASSERT_NE(NULL, res);
	CREATE_AS(WHO_USER(UID_A, GID_A), 0604);
	self->fd = msgq_open_at(self->dev, self->name, MSGQ_O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, msgq_send(self->fd, "q", 1, 0));
	st = run_as(&other, op_recv_handle_cannot_send, &op, res, CHILD_MS);
	ASSERT_EQ(0, st) TH_LOG("line %d: %s: %s", res->fail_line, res->note,
				strerror(res->fail_errno));
	EXPECT_EQ(1, mbox_depth(self->fd));
}

/*
 * As a user with write permission only: SEND opens, and that handle
 * cannot receive or peek by any path; the message stays queued.
 */
static long op_send_handle_cannot_recv(void *arg, struct child_result *res)
{
	struct dir_op *op = arg;
	char buf[16];
	struct msgq_recv r = { .buf = ptr_to_u64(buf), .cap = sizeof(buf),
			       .flags = MSGQ_F_NONBLOCK };
	struct msgq_recv p = { .buf = ptr_to_u64(buf), .cap = sizeof(buf),
			       .flags = MSGQ_F_NONBLOCK | MSGQ_F_PEEK };
	struct msgq_mmsg m = { .buf = ptr_to_u64(buf), .len = sizeof(buf) };
	struct msgq_batch b = { .msgs = ptr_to_u64(&m), .count = 1,
				.flags = MSGQ_F_NONBLOCK };
	struct msgq_attr a;
	int fd;

	fd = msgq_open_at(op->dev, op->name, MSGQ_O_SEND | MSGQ_O_NONBLOCK);
	CHILD_CHECK(res, fd >= 0);
	CHILD_CHECK(res, msgq_open_at(op->dev, op->name, MSGQ_O_RECV) < 0 &&
			 errno == EACCES);
	CHILD_CHECK(res, read(fd, buf, sizeof(buf)) < 0 && errno == EBADF);
	CHILD_CHECK(res, ioctl(fd, MSGQ_IOC_RECV, &r) < 0 && errno == EBADF);
	CHILD_CHECK(res, ioctl(fd, MSGQ_IOC_RECV, &p) < 0 && errno == EBADF);
	CHILD_CHECK(res, ioctl(fd, MSGQ_IOC_RECV_BATCH, &b) < 0 &&
			 errno == EBADF);
	fcntl(fd, F_SETFL, O_RDWR);
	CHILD_CHECK(res, read(fd, buf, sizeof(buf)) < 0 && errno == EBADF);
	CHILD_CHECK(res, msgq_send(fd, "s", 1, 3) == 0);
	CHILD_CHECK(res, msgq_getattr(fd, &a) == 0);
	CHILD_CHECK(res, (a.handle_flags & MSGQ_O_RDWR) == MSGQ_O_SEND);
	CHILD_CHECK(res, a.cur_msgs == 2);
	return 0;
}

TEST_F(msgq, send_only_permission_handle_cannot_recv)
{
	struct child_result *res = child_result_alloc();
	struct who other = WHO_USER(UID_C, GID_C);
	struct dir_op op = { self->dev, self->name };
	int st;

	ASSERT_NE(NULL, res);
	CREATE_AS(WHO_USER(UID_A, GID_A), 0602);
	self->fd = msgq_open_at(self->dev, self->name, MSGQ_O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, msgq_send(self->fd, "q", 1, 0));
	st = run_as(&other, op_send_handle_cannot_recv, &op, res, CHILD_MS);
	ASSERT_EQ(0, st) TH_LOG("line %d: %s: %s", res->fail_line, res->note,
				strerror(res->fail_errno));
	EXPECT_EQ(2, mbox_depth(self->fd));
}

/* ------------------------------------------------------------------ */
/* Unlink */

/* the owner may unlink, whatever the mode (here 0000) */
TEST_F(msgq, unlink_by_owner)
{
	struct child_result *res = child_result_alloc();

	ASSERT_NE(NULL, res);
	CREATE_AS(WHO_USER(UID_A, GID_A), 0000);
	RUN_OP(WHO_USER(UID_A, GID_A), op_unlink, self->name, 0);
	EXPECT_OP_OK("unlink by owner");
	ASSERT_ERRNO(ENOENT, msgq_open_at(self->dev, self->name, MSGQ_O_RECV));
}

/* write permission is not enough: group member and other, mode 0666 */
TEST_F(msgq, unlink_by_non_owner_eacces)
{
	struct child_result *res = child_result_alloc();

	ASSERT_NE(NULL, res);
	CREATE_AS(WHO_USER(UID_A, GID_A), 0666);
	RUN_OP(WHO_USER(UID_B, GID_A), op_unlink, self->name, 0);
	EXPECT_OP_ERR(EACCES, "unlink by group member");
	RUN_OP(WHO_USER(UID_C, GID_C), op_unlink, self->name, 0);
	EXPECT_OP_ERR(EACCES, "unlink by other");
	/* the name is still there */
	self->fd = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd) TH_LOG("%s", strerror(errno));
}

/* root without CAP_IPC_OWNER may not unlink another uid's mailbox */
TEST_F(msgq, unlink_root_without_cap_ipc_owner_eacces)
{
	struct child_result *res = child_result_alloc();

	ASSERT_NE(NULL, res);
	CREATE_AS(WHO_USER(UID_A, GID_A), 0666);
	RUN_OP(WHO_ROOT_WITHOUT(CAP_IPC_OWNER), op_unlink, self->name, 0);
	EXPECT_OP_ERR(EACCES, "unlink by root without CAP_IPC_OWNER");
	self->fd = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd) TH_LOG("%s", strerror(errno));
}

/* CAP_IPC_OWNER unlinks: root, and a non-root uid holding only it */
TEST_F(msgq, unlink_with_cap_ipc_owner)
{
	struct child_result *res = child_result_alloc();
	struct who w = WHO_USER(UID_C, GID_C);

	ASSERT_NE(NULL, res);
	w.keep_cap = CAP_IPC_OWNER;
	CREATE_AS(WHO_USER(UID_A, GID_A), 0000);
	RUN_OP(w, op_unlink, self->name, 0);
	EXPECT_OP_OK("unlink by non-root with CAP_IPC_OWNER");
	ASSERT_ERRNO(ENOENT, msgq_open_at(self->dev, self->name, MSGQ_O_RECV));
	CREATE_AS(WHO_USER(UID_A, GID_A), 0000);
	RUN_OP(WHO_ROOT, op_unlink, self->name, 0);
	EXPECT_OP_OK("unlink by root");
	ASSERT_ERRNO(ENOENT, msgq_open_at(self->dev, self->name, MSGQ_O_RECV));
}

/* handles opened before an unlink by the owner keep working */
TEST_F(msgq, unlink_by_owner_keeps_others_handles)
{
	struct child_result *res = child_result_alloc();
	char buf[4];

	ASSERT_NE(NULL, res);
	CREATE_AS(WHO_USER(UID_A, GID_A), 0666);
	self->fd = msgq_open_at(self->dev, self->name, MSGQ_O_RDWR);
	ASSERT_LE(0, self->fd);
	RUN_OP(WHO_USER(UID_A, GID_A), op_unlink, self->name, 0);
	EXPECT_OP_OK("unlink by owner");
	ASSERT_EQ(0, msgq_send(self->fd, "k", 1, 0));
	ASSERT_EQ(1, msgq_recv(self->fd, buf, sizeof(buf), NULL));
}

/* ------------------------------------------------------------------ */
/* GETATTR */

/* uid and gid are the creator's (fsuid, fsgid), mode the masked mode */
TEST_F(msgq, getattr_shows_owner_and_mode)
{
	struct child_result *res = child_result_alloc();
	struct who creator = member_of(UID_B, GID_C, GID_A);
	struct name_op op = { .dev = self->dev, .name = self->name,
			      .mode = 0764, .umask = 022 };
	struct msgq_attr a;

	ASSERT_NE(NULL, res);
	ASSERT_EQ(0, run_as(&creator, op_create, &op, res, CHILD_MS));
	ASSERT_LE(0, res->ret) TH_LOG("%s", strerror(res->err));
	self->fd = msgq_open_at(self->dev, self->name, MSGQ_O_SEND);
	ASSERT_LE(0, self->fd);
	memset(&a, 0xa5, sizeof(a));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_EQ((__u32)UID_B, a.uid);
	EXPECT_EQ((__u32)GID_C, a.gid);	/* primary, not supplementary */
	EXPECT_EQ(0744U, a.mode);
}

TEST_HARNESS_MAIN
