// SPDX-License-Identifier: GPL-2.0
/*
 * Owned mailboxes (MSGQ_O_OWNED): the mailbox lives as long as the handle
 * that created it. When that handle is closed (or its process dies, even
 * by SIGKILL) the name is removed, every blocked sender and receiver on
 * other handles wakes with EIDRM, later calls fail EIDRM, and getattr shows
 * MSGQ_ATTR_DEAD. MSGQ_O_OWNED on an existing name is EEXIST.
 *
 * Children inherit the owner's descriptor across fork(2): they close it
 * first, so that the parent's close is the last one.
 */
#include "msgq_test.h"

#define OWNED_CREATE(max_msgs) do {					\
	self->fd = msgq_create_at(self->dev, self->name,		\
				  MSGQ_O_RDWR | MSGQ_O_OWNED |		\
				  MSGQ_O_CLOEXEC, 0600, (max_msgs),	\
				  sizeof(unsigned int));		\
	ASSERT_LE(0, self->fd) TH_LOG("create: %s", strerror(errno));	\
} while (0)

/* Close the owner handle. */
#define OWNER_CLOSE() do {						\
	ASSERT_EQ(0, close(self->fd));					\
	self->fd = -1;							\
} while (0)

/*
 * A child that opens the mailbox by name, tells the parent through @ready
 * that it is about to block, runs @call and exits 0 if it failed EIDRM,
 * 2 if it returned otherwise, 3 if it could not open.
 */
static pid_t peer_start(struct __test_metadata *_metadata, int owner,
			const char *name, int op, unsigned int flags)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	close(owner);
	{
		int fd = msgq_open(name, MSGQ_O_RDWR);
		unsigned int v = 1;
		long r;

		if (fd < 0)
			_exit(3);
		if (op == CALL_RECV) {
			r = msgq_recv(fd, &v, sizeof(v), NULL);
		} else {
			struct msgq_send s = {
				.buf = ptr_to_u64(&v), .len = sizeof(v),
				.flags = flags,
			};

			r = msgq_send_args(fd, &s);
		}
		_exit(r == -1 && errno == EIDRM ? 0 : 2);
	}
}

/* closing the owner handle removes the name */
TEST_F(msgq, owner_close_removes_name)
{
	struct msgq_attr a;

	OWNED_CREATE(2);
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd2);
	close(self->fd2);
	self->fd2 = -1;
	OWNER_CLOSE();
	ASSERT_ERRNO(ENOENT, msgq_open_at(self->dev, self->name, MSGQ_O_RECV));
	ASSERT_ERRNO(ENOENT, msgq_unlink_at(self->dev, self->name));
	/* the name is free for a new, live mailbox */
	MBOX_CREATE(2, sizeof(unsigned int));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(0U, a.flags);
}

/* a receiver blocked in another process wakes with EIDRM */
TEST_F(msgq, owner_close_wakes_blocked_receiver_process)
{
	pid_t pid;

	OWNED_CREATE(2);
	pid = peer_start(_metadata, self->fd, self->name, CALL_RECV, 0);
	ASSERT_LE(0, pid);
	ASSERT_TRUE(wait_blocked_in(pid, pid, SYS_msgq_any, 5000));
	sleep_ms(SETTLE_MS);
	ASSERT_EQ(0, waitpid(pid, NULL, WNOHANG));
	OWNER_CLOSE();
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
}

/* a sender blocked (full mailbox) in another process wakes with EIDRM */
TEST_F(msgq, owner_close_wakes_blocked_sender_process)
{
	pid_t pid;

	OWNED_CREATE(1);
	ASSERT_EQ(0, put_one(self->fd, 0));
	pid = peer_start(_metadata, self->fd, self->name, CALL_SEND_ARGS, 0);
	ASSERT_LE(0, pid);
	ASSERT_TRUE(wait_blocked_in(pid, pid, SYS_msgq_any, 5000));
	sleep_ms(SETTLE_MS);
	ASSERT_EQ(0, waitpid(pid, NULL, WNOHANG));
	OWNER_CLOSE();
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
}

/* a synchronous sender waiting for delivery wakes with EIDRM */
TEST_F(msgq, owner_close_wakes_sync_sender_process)
{
	pid_t pid;

	OWNED_CREATE(4);
	pid = peer_start(_metadata, self->fd, self->name, CALL_SEND_ARGS,
			 MSGQ_F_SYNC);
	ASSERT_LE(0, pid);
	ASSERT_TRUE(wait_blocked_in(pid, pid, SYS_msgq_any, 5000));
	sleep_ms(SETTLE_MS);
	ASSERT_EQ(0, waitpid(pid, NULL, WNOHANG));
	ASSERT_EQ(1, mbox_depth(self->fd));	/* its message is queued */
	OWNER_CLOSE();
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
}

/* a rendezvous sender waiting for a receiver wakes with EIDRM too */
TEST_F(msgq, owner_close_wakes_rendezvous_sender_process)
{
	pid_t pid;

	OWNED_CREATE(0);
	pid = peer_start(_metadata, self->fd, self->name, CALL_SEND_ARGS, 0);
	ASSERT_LE(0, pid);
	ASSERT_TRUE(wait_blocked_in(pid, pid, SYS_msgq_any, 5000));
	sleep_ms(SETTLE_MS);
	ASSERT_EQ(0, waitpid(pid, NULL, WNOHANG));
	OWNER_CLOSE();
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
}

/* every later call on another handle fails EIDRM; queued messages gone */
TEST_F(msgq, later_calls_fail_eidrm)
{
	unsigned int v = 1;
	struct msgq_recv r = {
		.buf = ptr_to_u64(&v), .cap = sizeof(v),
		.flags = MSGQ_F_TIMEOUT, .timeout = { 1, 0 },
	};
	struct msgq_mmsg m = { .buf = ptr_to_u64(&v), .len = sizeof(v) };

	OWNED_CREATE(4);
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_RDWR);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, put_one(self->fd2, 1));
	ASSERT_EQ(0, put_one(self->fd2, 2));
	OWNER_CLOSE();
	ASSERT_ERRNO(EIDRM, msgq_recv(self->fd2, &v, sizeof(v), NULL));
	ASSERT_ERRNO(EIDRM, msgq_peek(self->fd2, &v, sizeof(v), NULL));
	ASSERT_ERRNO(EIDRM, take_one(self->fd2));
	ASSERT_ERRNO(EIDRM, msgq_recv_args(self->fd2, &r));
	ASSERT_ERRNO(EIDRM, read(self->fd2, &v, sizeof(v)));
	ASSERT_ERRNO(EIDRM, msgq_send(self->fd2, &v, sizeof(v), 0));
	ASSERT_ERRNO(EIDRM, put_one(self->fd2, 3));
	ASSERT_ERRNO(EIDRM, write(self->fd2, &v, sizeof(v)));
	ASSERT_ERRNO(EIDRM, msgq_send_batch(self->fd2, &m, 1, 0));
	m.len = sizeof(v);
	ASSERT_ERRNO(EIDRM, msgq_recv_batch(self->fd2, &m, 1, 0));
	ASSERT_EQ(0, mbox_depth(self->fd2));
}

/* getattr: MSGQ_ATTR_OWNED from the start, MSGQ_ATTR_DEAD once closed */
TEST_F(msgq, getattr_shows_dead)
{
	struct msgq_attr a;

	OWNED_CREATE(2);
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, msgq_getattr(self->fd2, &a));
	ASSERT_EQ(MSGQ_ATTR_OWNED, a.flags);
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(MSGQ_ATTR_OWNED, a.flags);
	ASSERT_EQ(0, put_one(self->fd, 1));
	OWNER_CLOSE();
	ASSERT_EQ(0, msgq_getattr(self->fd2, &a));
	ASSERT_EQ(MSGQ_ATTR_OWNED | MSGQ_ATTR_DEAD | MSGQ_ATTR_UNLINKED,
		  a.flags);
	ASSERT_EQ(0U, a.cur_msgs);
	ASSERT_EQ(0U, a.cur_bytes);
}

/*
 * kill -9 of the owner process: peers blocked in receive and send, in
 * this process (threads) and in another, wake with EIDRM; names gone.
 */
TEST_F(msgq, kill9_owner_wakes_blocked_peers)
{
	struct call rx = { .op = CALL_RECV_ARGS };
	struct call tx = { .op = CALL_SEND_ARGS, .id = 2 };
	int ready[2];
	pid_t owner, peer;
	char c;

	ASSERT_EQ(0, pipe(ready));
	owner = fork();
	ASSERT_LE(0, owner);
	if (owner == 0) {
		/* owns an empty mailbox and a full one, then waits to die */
		int a = msgq_create_at(self->dev, self->name,
				       MSGQ_O_RDWR | MSGQ_O_OWNED, 0600, 2,
				       sizeof(unsigned int));
		int b = msgq_create_at(self->dev, self->name2,
				       MSGQ_O_RDWR | MSGQ_O_OWNED, 0600, 1,
				       sizeof(unsigned int));

		if (a < 0 || b < 0 || put_one(b, 1))
			_exit(1);
		c = 'r';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	close(ready[0]);

	self->fd = msgq_open_at(self->dev, self->name, MSGQ_O_RDWR);
	ASSERT_LE(0, self->fd);
	self->fd2 = msgq_open_at(self->dev, self->name2, MSGQ_O_RDWR);
	ASSERT_LE(0, self->fd2);
	rx.fd = self->fd;
	ASSERT_TRUE(call_start_blocked(&rx));
	tx.fd = self->fd2;
	ASSERT_TRUE(call_start_blocked(&tx));
	peer = peer_start(_metadata, -1, self->name, CALL_RECV, 0);
	ASSERT_LE(0, peer);
	ASSERT_TRUE(wait_blocked_in(peer, peer, SYS_msgq_any, 5000));
	sleep_ms(SETTLE_MS);
	ASSERT_FALSE(call_done(&rx));
	ASSERT_FALSE(call_done(&tx));

	ASSERT_EQ(0, kill(owner, SIGKILL));
	ASSERT_EQ(256 + SIGKILL, wait_child_ms(owner, WAKE_MS));
	ASSERT_TRUE(call_wait(&rx, WAKE_MS)) TH_LOG("receiver not woken");
	ASSERT_TRUE(call_wait(&tx, WAKE_MS)) TH_LOG("sender not woken");
	ASSERT_EQ(0, wait_child_ms(peer, WAKE_MS))
		TH_LOG("receiver process not woken with EIDRM");
	ASSERT_EQ(-1, rx.ret);
	ASSERT_EQ(EIDRM, rx.err) TH_LOG("%s", strerror(rx.err));
	ASSERT_EQ(-1, tx.ret);
	ASSERT_EQ(EIDRM, tx.err) TH_LOG("%s", strerror(tx.err));
	ASSERT_ERRNO(ENOENT, msgq_open_at(self->dev, self->name, MSGQ_O_RECV));
	ASSERT_ERRNO(ENOENT, msgq_open_at(self->dev, self->name2,
					  MSGQ_O_RECV));
}

/* MSGQ_O_OWNED on a name that exists is EEXIST, even without O_EXCL */
TEST_F(msgq, owned_on_existing_name_eexist)
{
	struct msgq_attr a;

	MBOX_CREATE(2, sizeof(unsigned int));
	ASSERT_ERRNO(EEXIST, msgq_create_at(self->dev, self->name,
					    MSGQ_O_RDWR | MSGQ_O_OWNED, 0600,
					    2, sizeof(unsigned int)));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(0U, a.flags);

	self->fd2 = msgq_create_at(self->dev, self->name2,
				   MSGQ_O_RDWR | MSGQ_O_OWNED, 0600, 2,
				   sizeof(unsigned int));
	ASSERT_LE(0, self->fd2);
	ASSERT_ERRNO(EEXIST, msgq_create_at(self->dev, self->name2,
					    MSGQ_O_RDWR | MSGQ_O_OWNED, 0600,
					    2, sizeof(unsigned int)));
	/* the first owner is still the owner: the mailbox lives */
	ASSERT_EQ(0, msgq_getattr(self->fd2, &a));
	ASSERT_EQ(MSGQ_ATTR_OWNED, a.flags);
}

/* closing other handles does not kill it; only the owner's close does */
TEST_F(msgq, other_handles_closing_keep_it)
{
	struct msgq_attr a;
	int i, h;

	OWNED_CREATE(2);
	for (i = 0; i < 3; i++) {
		h = msgq_open_at(self->dev, self->name, MSGQ_O_RDWR);
		ASSERT_LE(0, h);
		ASSERT_EQ(0, close(h));
	}
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(MSGQ_ATTR_OWNED, a.flags);
	ASSERT_EQ(0, put_one(self->fd, 4));
	ASSERT_EQ(4, take_one(self->fd));
}

/* a dup of the owner is the same open file: the last close kills */
TEST_F(msgq, owner_dup_last_close_kills)
{
	struct msgq_attr a;
	int dupfd;

	OWNED_CREATE(2);
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd2);
	dupfd = dup(self->fd);
	ASSERT_LE(0, dupfd);
	OWNER_CLOSE();
	ASSERT_EQ(0, msgq_getattr(self->fd2, &a));
	ASSERT_EQ(MSGQ_ATTR_OWNED, a.flags);
	ASSERT_EQ(0, put_one(dupfd, 5));
	ASSERT_EQ(5, take_one(self->fd2));
	ASSERT_EQ(0, close(dupfd));
	ASSERT_EQ(0, msgq_getattr(self->fd2, &a));
	ASSERT_TRUE(!!(a.flags & MSGQ_ATTR_DEAD));
	ASSERT_ERRNO(ENOENT, msgq_open_at(self->dev, self->name, MSGQ_O_RECV));
}

/* a new mailbox under the old name has nothing to do with the dead one */
TEST_F(msgq, dead_handles_stay_dead_after_name_reuse)
{
	int fresh;

	OWNED_CREATE(2);
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_RDWR);
	ASSERT_LE(0, self->fd2);
	OWNER_CLOSE();
	fresh = msgq_create_at(self->dev, self->name,
			       MSGQ_O_RDWR | MSGQ_O_EXCL, 0600, 2,
			       sizeof(unsigned int));
	ASSERT_LE(0, fresh);
	self->fd = fresh;
	ASSERT_EQ(0, put_one(fresh, 6));
	ASSERT_ERRNO(EIDRM, take_one(self->fd2));
	ASSERT_ERRNO(EIDRM, put_one(self->fd2, 7));
	ASSERT_EQ(6, take_one(fresh));
	ASSERT_EQ(-1, take_one(fresh));
}

TEST_HARNESS_MAIN
