// SPDX-License-Identifier: GPL-2.0
/*
 * Names and lifetimes: create, open, unlink, name validation, limits,
 * and what happens to a mailbox when its name or its handles go away.
 */
#include "msgq_test.h"

/* create returns a handle to a mailbox with the limits asked for */
TEST_F(msgq, create_returns_handle_with_limits)
{
	struct msgq_attr a;

	MBOX_CREATE(7, 123);
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_EQ(7U, a.max_msgs);
	EXPECT_EQ(123U, a.max_msgsize);
	EXPECT_EQ(0U, a.cur_msgs);
	EXPECT_EQ(0U, a.cur_bytes);
	EXPECT_EQ(0U, a.total_sent);
	EXPECT_EQ(0U, a.total_received);
	EXPECT_EQ(MSGQ_O_RDWR, a.handle_flags & MSGQ_O_RDWR);
}

/* the library's msgq_create (its own /dev/msgq open) works like _at */
TEST_F(msgq, create_without_devfd)
{
	self->fd = msgq_create(self->name, MSGQ_O_RDWR | MSGQ_O_EXCL, 0600,
			       4, 16);
	ASSERT_LE(0, self->fd) TH_LOG("%s", strerror(errno));
	self->fd2 = msgq_open(self->name, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, msgq_unlink(self->name));
	ASSERT_ERRNO(ENOENT, msgq_unlink(self->name));
}

/* MSGQ_O_EXCL on an existing name: EEXIST */
TEST_F(msgq, create_excl_existing_eexist)
{
	MBOX_CREATE(4, 16);
	ASSERT_ERRNO(EEXIST, msgq_create_at(self->dev, self->name,
					    MSGQ_O_RDWR | MSGQ_O_EXCL, 0600,
					    4, 16));
}

/* without MSGQ_O_EXCL, create opens the existing mailbox; limits ignored */
TEST_F(msgq, create_existing_opens_it)
{
	struct msgq_attr a;
	char buf[16];

	MBOX_CREATE(4, 16);
	self->fd2 = msgq_create_at(self->dev, self->name, MSGQ_O_RDWR, 0600,
				   99, 999);
	ASSERT_LE(0, self->fd2) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, msgq_getattr(self->fd2, &a));
	EXPECT_EQ(4U, a.max_msgs);
	EXPECT_EQ(16U, a.max_msgsize);
	ASSERT_EQ(0, msgq_send(self->fd, "same", 4, 0));
	ASSERT_EQ(4, msgq_recv(self->fd2, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, memcmp(buf, "same", 4));
}

/* opening a name that does not exist: ENOENT */
TEST_F(msgq, open_missing_enoent)
{
	ASSERT_ERRNO(ENOENT, msgq_open_at(self->dev, self->name, MSGQ_O_RDWR));
}

/* open gives a second handle to the same mailbox */
TEST_F(msgq, open_existing_shares_mailbox)
{
	char buf[16];

	MBOX_CREATE(4, 16);
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd2) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, msgq_send(self->fd, "hello", 5, 0));
	ASSERT_EQ(5, msgq_recv(self->fd2, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, memcmp(buf, "hello", 5));
}

/* unlinking a name that does not exist: ENOENT */
TEST_F(msgq, unlink_missing_enoent)
{
	ASSERT_ERRNO(ENOENT, msgq_unlink_at(self->dev, self->name));
}

/* a name of exactly MSGQ_NAME_MAX (255) bytes is valid */
TEST_F(msgq, name_255_bytes_ok)
{
	int n = snprintf(self->extra, sizeof(self->extra), "msgqt-%d-",
			 (int)getpid());

	memset(self->extra + n, 'x', MSGQ_NAME_MAX - n);
	self->extra[MSGQ_NAME_MAX] = '\0';
	ASSERT_EQ((size_t)MSGQ_NAME_MAX, strlen(self->extra));
	self->fd = msgq_create_at(self->dev, self->extra,
				  MSGQ_O_RDWR | MSGQ_O_EXCL, 0600, 1, 1);
	ASSERT_LE(0, self->fd) TH_LOG("%s", strerror(errno));
	self->fd2 = msgq_open_at(self->dev, self->extra, MSGQ_O_SEND);
	ASSERT_LE(0, self->fd2) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, msgq_unlink_at(self->dev, self->extra));
}

/* 256 bytes: ENAMETOOLONG from create, open and unlink */
TEST_F(msgq, name_256_bytes_enametoolong)
{
	char name[MSGQ_NAME_MAX + 2];
	int n = snprintf(name, sizeof(name), "msgqt-%d-", (int)getpid());

	memset(name + n, 'y', MSGQ_NAME_MAX + 1 - n);
	name[MSGQ_NAME_MAX + 1] = '\0';
	ASSERT_EQ((size_t)MSGQ_NAME_MAX + 1, strlen(name));
	memcpy(self->extra, name, sizeof(name));
	ASSERT_ERRNO(ENAMETOOLONG, msgq_create_at(self->dev, name,
						  MSGQ_O_RDWR, 0600, 1, 1));
	ASSERT_ERRNO(ENAMETOOLONG, msgq_open_at(self->dev, name, MSGQ_O_RDWR));
	ASSERT_ERRNO(ENAMETOOLONG, msgq_unlink_at(self->dev, name));
}

/* a much longer name (a page and more) is ENAMETOOLONG too, not EFAULT */
TEST_F(msgq, name_4097_bytes_enametoolong)
{
	char *name = malloc(4098);

	ASSERT_NE(NULL, name);
	memset(name, 'z', 4097);
	name[4097] = '\0';
	ASSERT_ERRNO(ENAMETOOLONG, msgq_create_at(self->dev, name,
						  MSGQ_O_RDWR, 0600, 1, 1));
	free(name);
}

/* the empty name: EINVAL */
TEST_F(msgq, name_empty_einval)
{
	ASSERT_ERRNO(EINVAL, msgq_create_at(self->dev, "", MSGQ_O_RDWR, 0600,
					    1, 1));
	ASSERT_ERRNO(EINVAL, msgq_open_at(self->dev, "", MSGQ_O_RDWR));
	ASSERT_ERRNO(EINVAL, msgq_unlink_at(self->dev, ""));
}

/* control characters, DEL and bytes >= 0x80: EINVAL */
TEST_F(msgq, name_nonprintable_einval)
{
	static const char *const bad[] = {
		"ctl\x01name", "tab\tname", "nl\nname", "del\x7fname",
		"high\x80name", "utf8-\xc3\xa9",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int fd = msgq_create_at(self->dev, bad[i], MSGQ_O_RDWR, 0600,
					1, 1);
		int err = errno;

		if (fd >= 0)
			msgq_unlink_at(self->dev, bad[i]);
		ASSERT_EQ(-1, fd) TH_LOG("bad name #%u accepted", i);
		ASSERT_EQ(EINVAL, err) TH_LOG("bad name #%u: %s", i,
					      strerror(err));
	}
}

/* a space anywhere in the name: EINVAL */
TEST_F(msgq, name_space_einval)
{
	ASSERT_ERRNO(EINVAL, msgq_create_at(self->dev, "a name", MSGQ_O_RDWR,
					    0600, 1, 1));
	ASSERT_ERRNO(EINVAL, msgq_create_at(self->dev, " lead", MSGQ_O_RDWR,
					    0600, 1, 1));
	ASSERT_ERRNO(EINVAL, msgq_create_at(self->dev, "trail ", MSGQ_O_RDWR,
					    0600, 1, 1));
}

/* every printable non-space character (0x21-0x7e) is allowed */
TEST_F(msgq, name_all_printable_ok)
{
	int n = snprintf(self->extra, sizeof(self->extra), "msgqt-%d-",
			 (int)getpid());
	int c;

	for (c = 0x21; c <= 0x7e; c++)
		self->extra[n++] = (char)c;
	self->extra[n] = '\0';
	self->fd = msgq_create_at(self->dev, self->extra,
				  MSGQ_O_RDWR | MSGQ_O_EXCL, 0600, 1, 1);
	ASSERT_LE(0, self->fd) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, msgq_unlink_at(self->dev, self->extra));
}

/* names are bytes, compared exactly: case matters */
TEST_F(msgq, names_are_case_sensitive)
{
	char upper[MSGQ_NAME_MAX + 1];
	unsigned int i;

	MBOX_CREATE(1, 1);
	strcpy(upper, self->name);
	for (i = 0; upper[i]; i++)
		if (upper[i] >= 'a' && upper[i] <= 'z')
			upper[i] -= 'a' - 'A';
	ASSERT_ERRNO(ENOENT, msgq_open_at(self->dev, upper, MSGQ_O_RDWR));
}

/* after unlink the name is gone, but open handles keep working */
TEST_F(msgq, unlink_keeps_open_handles_working)
{
	struct msgq_attr a;
	char buf[16];

	MBOX_CREATE(4, 16);
	ASSERT_EQ(0, msgq_send(self->fd, "before", 6, 0));
	ASSERT_EQ(0, msgq_unlink_at(self->dev, self->name));
	ASSERT_ERRNO(ENOENT, msgq_open_at(self->dev, self->name, MSGQ_O_RDWR));
	ASSERT_EQ(0, msgq_send(self->fd, "after", 5, 0));
	ASSERT_EQ(6, msgq_recv(self->fd, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, memcmp(buf, "before", 6));
	ASSERT_EQ(5, msgq_recv(self->fd, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, memcmp(buf, "after", 5));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_NE(0U, a.flags & MSGQ_ATTR_UNLINKED);
}

/* a name can be created again at once; the new mailbox is a new one */
TEST_F(msgq, unlinked_name_reusable_at_once)
{
	char buf[16];

	MBOX_CREATE(4, 16);
	ASSERT_EQ(0, msgq_send(self->fd, "old", 3, 0));
	ASSERT_EQ(0, msgq_unlink_at(self->dev, self->name));
	self->fd2 = msgq_create_at(self->dev, self->name,
				   MSGQ_O_RDWR | MSGQ_O_EXCL, 0600, 2, 8);
	ASSERT_LE(0, self->fd2) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, mbox_depth(self->fd2));
	ASSERT_EQ(0, msgq_send(self->fd2, "new", 3, 0));
	/* each handle still sees only its own mailbox */
	ASSERT_EQ(3, msgq_recv(self->fd, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, memcmp(buf, "old", 3));
	ASSERT_EQ(0, mbox_depth(self->fd));
	ASSERT_EQ(3, msgq_recv(self->fd2, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, memcmp(buf, "new", 3));
}

/*
 * unlink, then close the last handle: the mailbox and its messages are
 * freed (the live counts in debugfs drop back), and the name starts anew
 */
TEST_F(msgq, last_close_after_unlink_frees)
{
	long long boxes0 = msgq_stat("mailboxes");
	long long msgs0 = msgq_stat("messages");
	bool counted = boxes0 >= 0 && msgs0 >= 0;
	struct msgq_attr a;

	if (!counted)
		TH_LOG("no %s: checking by re-creating the name only",
		       MSGQ_STATS_PATH);
	MBOX_CREATE(4, 16);
	ASSERT_EQ(0, msgq_send(self->fd, "gone", 4, 3));
	ASSERT_EQ(0, msgq_send(self->fd, "gone", 4, 3));
	ASSERT_EQ(0, msgq_unlink_at(self->dev, self->name));
	if (counted) {
		/* unlinked but open: still there */
		ASSERT_EQ(boxes0 + 1, msgq_stat("mailboxes"));
		ASSERT_EQ(msgs0 + 2, msgq_stat("messages"));
	}
	ASSERT_EQ(0, msgq_close(self->fd));
	if (counted) {
		ASSERT_EQ(boxes0, msgq_stat("mailboxes"));
		ASSERT_EQ(msgs0, msgq_stat("messages"));
	}
	self->fd = msgq_create_at(self->dev, self->name, MSGQ_O_RDWR, 0600,
				  4, 16);
	ASSERT_LE(0, self->fd) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_EQ(0U, a.cur_msgs);
	EXPECT_EQ(0U, a.cur_bytes);
	EXPECT_EQ(0U, a.total_sent);
	EXPECT_EQ(0U, a.flags & MSGQ_ATTR_UNLINKED);
}

/* the last handle of a process goes away with the process too */
TEST_F(msgq, last_holder_exit_after_unlink_frees)
{
	long long boxes0 = msgq_stat("mailboxes");
	pid_t pid;

	if (boxes0 < 0)
		SKIP(return, "no %s", MSGQ_STATS_PATH);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* create, fill, unlink, and exit without closing */
		int fd = msgq_create_at(self->dev, self->name,
					MSGQ_O_RDWR | MSGQ_O_EXCL, 0600, 4, 16);

		if (fd < 0 || msgq_send(fd, "x", 1, 0) ||
		    msgq_unlink_at(self->dev, self->name))
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child_ms(pid, 10000));
	ASSERT_EQ(boxes0, msgq_stat("mailboxes"));
}

/* without unlink, a mailbox outlives all its handles (kernel-owned) */
TEST_F(msgq, mailbox_persists_without_handles)
{
	char buf[16];
	unsigned int prio;
	long long boxes;

	MBOX_CREATE(4, 16);
	ASSERT_EQ(0, msgq_send(self->fd, "kept", 4, 9));
	boxes = msgq_stat("mailboxes");
	ASSERT_EQ(0, msgq_close(self->fd));
	ASSERT_EQ(boxes, msgq_stat("mailboxes"));
	self->fd = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(4, msgq_recv(self->fd, buf, sizeof(buf), &prio));
	ASSERT_EQ(0, memcmp(buf, "kept", 4));
	ASSERT_EQ(9U, prio);
}

/* one process holds many mailboxes at once, each independent */
TEST_F(msgq, many_mailboxes_per_process)
{
	enum { N = 32 };
	char names[N][MSGQ_NAME_MAX + 1];
	int fds[N], i;
	char buf[8];

	for (i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "%.200s-%d", self->name, i);
		fds[i] = msgq_create_at(self->dev, names[i],
					MSGQ_O_RDWR | MSGQ_O_EXCL, 0600, 2, 4);
		ASSERT_LE(0, fds[i]) TH_LOG("#%d: %s", i, strerror(errno));
		ASSERT_EQ(0, msgq_send(fds[i], &i, sizeof(i), 0));
	}
	for (i = 0; i < N; i++) {
		int got;

		ASSERT_EQ((ssize_t)sizeof(got), msgq_recv(fds[i], buf, sizeof(buf),
						 NULL));
		memcpy(&got, buf, sizeof(got));
		EXPECT_EQ(i, got);
		EXPECT_EQ(0, msgq_unlink_at(self->dev, names[i]));
		EXPECT_EQ(0, msgq_close(fds[i]));
	}
}

/* the mode is reduced by the umask; uid/gid are the creator's */
TEST_F(msgq, create_mode_umask_and_owner)
{
	struct msgq_attr a;
	mode_t old = umask(027);

	self->fd = msgq_create_at(self->dev, self->name,
				  MSGQ_O_RDWR | MSGQ_O_EXCL, 0666, 1, 1);
	umask(old);
	ASSERT_LE(0, self->fd) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_EQ(0640U, a.mode & 07777);
	EXPECT_EQ(geteuid(), a.uid);
	EXPECT_EQ(getegid(), a.gid);
}

/* max_msgsize 0: EINVAL */
TEST_F(msgq, limit_msgsize_zero_einval)
{
	ASSERT_ERRNO(EINVAL, msgq_create_at(self->dev, self->name,
					    MSGQ_O_RDWR, 0600, 4, 0));
	ASSERT_ERRNO(ENOENT, msgq_open_at(self->dev, self->name, MSGQ_O_RDWR));
}

/* max_msgsize above MSGQ_MAX_MSGSIZE_LIMIT: EINVAL */
TEST_F(msgq, limit_msgsize_too_big_einval)
{
	ASSERT_ERRNO(EINVAL, msgq_create_at(self->dev, self->name,
					    MSGQ_O_RDWR, 0600, 4,
					    MSGQ_MAX_MSGSIZE_LIMIT + 1));
	ASSERT_ERRNO(EINVAL, msgq_create_at(self->dev, self->name,
					    MSGQ_O_RDWR, 0600, 4, UINT32_MAX));
	ASSERT_ERRNO(ENOENT, msgq_open_at(self->dev, self->name, MSGQ_O_RDWR));
}

/* max_msgs above MSGQ_MAX_MSGS_LIMIT: EINVAL */
TEST_F(msgq, limit_msgs_too_many_einval)
{
	ASSERT_ERRNO(EINVAL, msgq_create_at(self->dev, self->name,
					    MSGQ_O_RDWR, 0600,
					    MSGQ_MAX_MSGS_LIMIT + 1, 16));
	ASSERT_ERRNO(EINVAL, msgq_create_at(self->dev, self->name,
					    MSGQ_O_RDWR, 0600, UINT32_MAX, 16));
	ASSERT_ERRNO(ENOENT, msgq_open_at(self->dev, self->name, MSGQ_O_RDWR));
}

/* create and open need a direction: neither SEND nor RECV is EINVAL */
TEST_F(msgq, no_direction_einval)
{
	ASSERT_ERRNO(EINVAL, msgq_create_at(self->dev, self->name,
					    MSGQ_O_EXCL, 0600, 1, 1));
	MBOX_CREATE(1, 1);
	ASSERT_ERRNO(EINVAL, msgq_open_at(self->dev, self->name,
					  MSGQ_O_NONBLOCK));
}

/* a handle opened for one direction reports just that one */
TEST_F(msgq, handle_flags_reflect_open)
{
	struct msgq_attr a;

	MBOX_CREATE(1, 1);
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_SEND);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, msgq_getattr(self->fd2, &a));
	EXPECT_EQ(MSGQ_O_SEND, a.handle_flags & MSGQ_O_RDWR);
	close(self->fd2);
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, msgq_getattr(self->fd2, &a));
	EXPECT_EQ(MSGQ_O_RECV, a.handle_flags & MSGQ_O_RDWR);
}

/* MSGQ_O_CLOEXEC sets FD_CLOEXEC; without it the handle is inherited */
TEST_F(msgq, cloexec_flag)
{
	MBOX_CREATE(1, 1);
	EXPECT_TRUE(fcntl(self->fd, F_GETFD) & FD_CLOEXEC);
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd2);
	EXPECT_FALSE(fcntl(self->fd2, F_GETFD) & FD_CLOEXEC);
}

/*
 * Open handles pin the module (owner = THIS_MODULE): with a /dev/msgq
 * handle, and then with only a mailbox handle, unloading fails with
 * EWOULDBLOCK (delete_module with O_NONBLOCK never waits).
 */
TEST_F(msgq, module_pinned_by_open_handles)
{
	long r;
	int err;

	MBOX_CREATE(1, 1);
	r = syscall(SYS_delete_module, "msgq", O_NONBLOCK);
	if (r && (errno == EPERM || errno == ENOENT))
		SKIP(return, "cannot try to unload msgq: %s", strerror(errno));
	ASSERT_EQ(-1, r) TH_LOG("msgq unloaded under an open handle");
	ASSERT_EQ(EWOULDBLOCK, errno) TH_LOG("%s", strerror(errno));

	close(self->dev);
	self->dev = -1;
	r = syscall(SYS_delete_module, "msgq", O_NONBLOCK);
	err = errno;
	self->dev = msgq_dev_open();
	ASSERT_EQ(-1, r) TH_LOG("msgq unloaded under a mailbox handle");
	ASSERT_EQ(EWOULDBLOCK, err) TH_LOG("%s", strerror(err));
	ASSERT_LE(0, self->dev);
}

TEST_HARNESS_MAIN
