// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/PID/fdinfo/FD of msgq handles, as eventfd and pidfd have it: a
 * mailbox handle tells its mailbox (msgq-id, msgq-name, the IPC namespace's
 * inode number or 0 once unlinked), its rights, whether it owns the
 * mailbox, and the mailbox's state and limits; a /dev/msgq handle tells the
 * IPC namespace it reaches.
 */
#include "msgq_test.h"

#include <sched.h>

/* The value of "@key:\t..." in @fd's fdinfo, in @val; false if absent. */
static bool fdinfo(int fd, const char *key, char *val, size_t size)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		snprintf(val, size, "%s", line + klen + 1 + strspn(line + klen + 1, " \t"));
		val[strcspn(val, "\n")] = '\0';
		found = true;
		break;
	}
	fclose(f);
	return found;
}

static long long fdinfo_num(int fd, const char *key)
{
	char val[64];

	return fdinfo(fd, key, val, sizeof(val)) ? strtoll(val, NULL, 10) : -1;
}

static long long ipc_ns_inum(void)
{
	struct stat st;

	return stat("/proc/self/ns/ipc", &st) ? -1 : (long long)st.st_ino;
}

/* Every field of a handle, and its rights on each kind of handle. */
TEST_F(msgq, handle_fields)
{
	char val[300];
	int s, r;

	MBOX_CREATE(8, 100);
	s = msgq_open_at(self->dev, self->name, MSGQ_O_SEND);
	ASSERT_LE(0, s);
	r = msgq_open_at(self->dev, self->name, MSGQ_O_RECV | MSGQ_O_NONBLOCK);
	ASSERT_LE(0, r);
	ASSERT_EQ(3, write(s, "abc", 3));
	ASSERT_EQ(2, write(s, "de", 2));

	ASSERT_TRUE(fdinfo(self->fd, "msgq-name", val, sizeof(val)));
	ASSERT_STREQ(self->name, val);
	ASSERT_TRUE(fdinfo(self->fd, "msgq-rights", val, sizeof(val)));
	ASSERT_STREQ("send,recv", val);
	ASSERT_TRUE(fdinfo(s, "msgq-rights", val, sizeof(val)));
	ASSERT_STREQ("send", val);
	ASSERT_TRUE(fdinfo(r, "msgq-rights", val, sizeof(val)));
	ASSERT_STREQ("recv", val);
	ASSERT_EQ(2, fdinfo_num(r, "msgq-depth"));
	ASSERT_EQ(5, fdinfo_num(r, "msgq-bytes"));
	ASSERT_EQ(8, fdinfo_num(r, "msgq-max-msgs"));
	ASSERT_EQ(100, fdinfo_num(r, "msgq-max-msgsize"));
	ASSERT_EQ(0, fdinfo_num(r, "msgq-owner"));
	ASSERT_EQ(0, fdinfo_num(r, "msgq-dead"));
	ASSERT_EQ(ipc_ns_inum(), fdinfo_num(r, "msgq-ipc-ns"));
	/* The VFS's own lines are still there: O_NONBLOCK in flags. */
	ASSERT_TRUE(fdinfo(r, "flags", val, sizeof(val)));
	ASSERT_NE(0, strtol(val, NULL, 8) & O_NONBLOCK);

	/* One mailbox, one id; another mailbox, another id. */
	ASSERT_LT(0, fdinfo_num(self->fd, "msgq-id"));
	ASSERT_EQ(fdinfo_num(self->fd, "msgq-id"), fdinfo_num(s, "msgq-id"));
	ASSERT_EQ(fdinfo_num(self->fd, "msgq-id"), fdinfo_num(r, "msgq-id"));
	self->fd2 = msgq_create_at(self->dev, self->name2,
				   MSGQ_O_RDWR | MSGQ_O_EXCL, 0600, 1, 1);
	ASSERT_LE(0, self->fd2);
	ASSERT_NE(fdinfo_num(self->fd, "msgq-id"),
		  fdinfo_num(self->fd2, "msgq-id"));

	/* Unlinked: no namespace any more, the rest unchanged. */
	ASSERT_EQ(0, msgq_unlink_at(self->dev, self->name));
	ASSERT_EQ(0, fdinfo_num(r, "msgq-ipc-ns"));
	ASSERT_TRUE(fdinfo(r, "msgq-name", val, sizeof(val)));
	ASSERT_STREQ(self->name, val);
	ASSERT_EQ(2, fdinfo_num(r, "msgq-depth"));
	close(s);
	close(r);
}

/* The owner's handle says so; when it closes, the others say dead. */
TEST_F(msgq, owner_and_dead)
{
	int other;

	self->fd = msgq_create_at(self->dev, self->name,
				  MSGQ_O_RDWR | MSGQ_O_OWNED, 0600, 4, 16);
	ASSERT_LE(0, self->fd);
	other = msgq_open_at(self->dev, self->name, MSGQ_O_RDWR);
	ASSERT_LE(0, other);
	ASSERT_EQ(1, fdinfo_num(self->fd, "msgq-owner"));
	ASSERT_EQ(0, fdinfo_num(other, "msgq-owner"));
	ASSERT_EQ(0, fdinfo_num(other, "msgq-dead"));
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(1, fdinfo_num(other, "msgq-dead"));
	ASSERT_EQ(0, fdinfo_num(other, "msgq-ipc-ns"));
	close(other);
}

/*
 * /dev/msgq tells the IPC namespace it was opened in: the opener's, also
 * after the opener moves to another one.
 */
TEST_F(msgq, device_namespace)
{
	long long mine = ipc_ns_inum();
	int status;
	pid_t pid;

	ASSERT_LT(0, mine);
	ASSERT_EQ(mine, fdinfo_num(self->dev, "msgq-ipc-ns"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int dev;

		if (unshare(CLONE_NEWIPC))
			_exit(4);
		dev = msgq_dev_open();
		if (dev < 0)
			_exit(1);
		/* The old handle keeps the old namespace; a new one the new. */
		if (fdinfo_num(self->dev, "msgq-ipc-ns") != mine)
			_exit(2);
		if (fdinfo_num(dev, "msgq-ipc-ns") != ipc_ns_inum() ||
		    ipc_ns_inum() == mine)
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 4)
		SKIP(return, "unshare(CLONE_NEWIPC): not permitted");
	ASSERT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
