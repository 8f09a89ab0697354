// SPDX-License-Identifier: GPL-2.0
/*
 * Non-blocking handles and calls: O_NONBLOCK from MSGQ_O_NONBLOCK at
 * create/open, set and cleared later with fcntl(F_SETFL), and the per-call
 * MSGQ_F_NONBLOCK. Where a call would wait it fails with EAGAIN at once
 * and changes nothing; where it would not, it works as usual. read(2) and
 * write(2) honour O_NONBLOCK too.
 */
#include "msgq_test.h"

#define EAGAIN_MAX_MS	2000	/* "at once", generously for slow guests */

/* Recv of one unsigned int on @fd with @flags; -1/errno or the length. */
static ssize_t recv_flags(int fd, unsigned int *v, unsigned int flags)
{
	struct msgq_recv r = {
		.buf = ptr_to_u64(v), .cap = sizeof(*v), .flags = flags,
	};

	return msgq_recv_args(fd, &r);
}

static int send_flags(int fd, unsigned int v, unsigned int flags)
{
	struct msgq_send s = {
		.buf = ptr_to_u64(&v), .len = sizeof(v), .flags = flags,
	};

	return msgq_send_args(fd, &s);
}

/* MSGQ_O_NONBLOCK at create: the handle is O_NONBLOCK and says so */
TEST_F(msgq, create_nonblock_sets_o_nonblock)
{
	struct msgq_attr a;

	self->fd = msgq_create_at(self->dev, self->name,
				  MSGQ_O_RDWR | MSGQ_O_EXCL | MSGQ_O_NONBLOCK,
				  0600, 2, sizeof(unsigned int));
	ASSERT_LE(0, self->fd);
	ASSERT_TRUE(fcntl(self->fd, F_GETFL) & O_NONBLOCK);
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(MSGQ_O_RDWR | MSGQ_O_NONBLOCK, a.handle_flags);
}

/* MSGQ_O_NONBLOCK at open: only that handle is non-blocking */
TEST_F(msgq, open_nonblock_is_per_handle)
{
	struct msgq_attr a;

	MBOX_CREATE(2, sizeof(unsigned int));
	self->fd2 = msgq_open_at(self->dev, self->name,
				 MSGQ_O_RECV | MSGQ_O_NONBLOCK);
	ASSERT_LE(0, self->fd2);
	ASSERT_TRUE(fcntl(self->fd2, F_GETFL) & O_NONBLOCK);
	ASSERT_FALSE(fcntl(self->fd, F_GETFL) & O_NONBLOCK);
	ASSERT_EQ(0, msgq_getattr(self->fd2, &a));
	ASSERT_EQ(MSGQ_O_RECV | MSGQ_O_NONBLOCK, a.handle_flags);
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(MSGQ_O_RDWR, a.handle_flags);
}

/* empty, O_NONBLOCK handle: recv, peek and read fail EAGAIN at once */
TEST_F(msgq, nonblock_handle_empty_recv_eagain)
{
	unsigned int v;
	uint64_t t0;

	MBOX_CREATE(2, sizeof(unsigned int));
	self->fd2 = msgq_open_at(self->dev, self->name,
				 MSGQ_O_RECV | MSGQ_O_NONBLOCK);
	ASSERT_LE(0, self->fd2);
	t0 = now_ns(CLOCK_MONOTONIC);
	ASSERT_ERRNO(EAGAIN, msgq_recv(self->fd2, &v, sizeof(v), NULL));
	ASSERT_ERRNO(EAGAIN, msgq_peek(self->fd2, &v, sizeof(v), NULL));
	ASSERT_ERRNO(EAGAIN, read(self->fd2, &v, sizeof(v)));
	ASSERT_GT(t0 + EAGAIN_MAX_MS * MS, now_ns(CLOCK_MONOTONIC));
	/* and a waiting message is received as usual */
	ASSERT_EQ(0, put_one(self->fd, 5));
	ASSERT_EQ((ssize_t)sizeof(v), msgq_recv(self->fd2, &v, sizeof(v),
						 NULL));
	ASSERT_EQ(5U, v);
}

/* full, O_NONBLOCK handle: send and write fail EAGAIN, nothing queued */
TEST_F(msgq, nonblock_handle_full_send_eagain)
{
	unsigned int v = 9;
	struct msgq_attr a;
	uint64_t t0;

	MBOX_CREATE(2, sizeof(unsigned int));
	self->fd2 = msgq_open_at(self->dev, self->name,
				 MSGQ_O_SEND | MSGQ_O_NONBLOCK);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, msgq_send(self->fd2, &v, sizeof(v), 0));
	ASSERT_EQ(0, msgq_send(self->fd2, &v, sizeof(v), 0));
	t0 = now_ns(CLOCK_MONOTONIC);
	ASSERT_ERRNO(EAGAIN, msgq_send(self->fd2, &v, sizeof(v), 0));
	ASSERT_ERRNO(EAGAIN, write(self->fd2, &v, sizeof(v)));
	ASSERT_GT(t0 + EAGAIN_MAX_MS * MS, now_ns(CLOCK_MONOTONIC));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(2U, a.cur_msgs);
	ASSERT_EQ(2U, a.total_sent);
}

/* fcntl(F_SETFL, O_NONBLOCK) later: recv and send now fail EAGAIN */
TEST_F(msgq, fcntl_set_nonblock_eagain)
{
	unsigned int v;
	struct msgq_attr a;
	int fl;

	MBOX_CREATE(1, sizeof(unsigned int));
	fl = fcntl(self->fd, F_GETFL);
	ASSERT_FALSE(fl & O_NONBLOCK);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, fl | O_NONBLOCK));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_TRUE(!!(a.handle_flags & MSGQ_O_NONBLOCK));
	ASSERT_ERRNO(EAGAIN, msgq_recv(self->fd, &v, sizeof(v), NULL));
	ASSERT_ERRNO(EAGAIN, read(self->fd, &v, sizeof(v)));
	ASSERT_EQ(0, put_one(self->fd, 1));
	ASSERT_ERRNO(EAGAIN, msgq_send(self->fd, &v, sizeof(v), 0));
	ASSERT_ERRNO(EAGAIN, write(self->fd, &v, sizeof(v)));
	ASSERT_EQ(1, mbox_depth(self->fd));
}

/*
 * fcntl clears O_NONBLOCK of a handle opened MSGQ_O_NONBLOCK: a receive
 * blocks again, until a thread sends 200 ms later.
 */
TEST_F(msgq, fcntl_clear_nonblock_recv_blocks)
{
	struct call c = { .op = CALL_RECV_ARGS };
	struct msgq_attr a;
	uint64_t t0;
	int fl;

	self->fd = msgq_create_at(self->dev, self->name,
				  MSGQ_O_RDWR | MSGQ_O_EXCL | MSGQ_O_NONBLOCK,
				  0600, 2, sizeof(unsigned int));
	ASSERT_LE(0, self->fd);
	fl = fcntl(self->fd, F_GETFL);
	ASSERT_TRUE(fl & O_NONBLOCK);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, fl & ~O_NONBLOCK));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_FALSE(!!(a.handle_flags & MSGQ_O_NONBLOCK));

	/* the receive runs in a thread and must be asleep in ioctl(2) */
	c.fd = self->fd;
	t0 = now_ns(CLOCK_MONOTONIC);
	ASSERT_TRUE(call_start_blocked(&c)) TH_LOG("recv did not block: %s",
						   strerror(c.err));
	sleep_ms(SETTLE_MS);
	ASSERT_FALSE(call_done(&c)) TH_LOG("recv returned: %s",
					   strerror(c.err));
	ASSERT_EQ(0, put_one(self->fd, 77));
	ASSERT_TRUE(call_wait(&c, WAKE_MS));
	ASSERT_EQ((long)sizeof(unsigned int), c.ret)
		TH_LOG("recv: %s", strerror(c.err));
	ASSERT_EQ(77U, c.got);
	ASSERT_LE(t0 + SETTLE_MS * MS, c.t_end);
}

/* the same, measured in the caller: a thread sends after 200 ms */
struct late_sender {
	int fd;
	unsigned int ms;
	uint64_t t_sent;
};

static long late_send_fn(void *arg)
{
	struct late_sender *l = arg;
	unsigned int v = 1234;

	sleep_ms(l->ms);
	l->t_sent = now_ns(CLOCK_MONOTONIC);
	msgq_send(l->fd, &v, sizeof(v), 0);
	return 0;
}

/* fcntl clears O_NONBLOCK: read(2) blocks for the late message */
TEST_F(msgq, fcntl_clear_nonblock_read_blocks)
{
	struct late_sender l = { .ms = 200 };
	struct call th = { .op = CALL_FN, .fn = late_send_fn, .arg = &l };
	unsigned int v = 0;
	uint64_t t0, t1;
	ssize_t n;

	self->fd = msgq_create_at(self->dev, self->name,
				  MSGQ_O_RDWR | MSGQ_O_EXCL | MSGQ_O_NONBLOCK,
				  0600, 2, sizeof(unsigned int));
	ASSERT_LE(0, self->fd);
	ASSERT_ERRNO(EAGAIN, read(self->fd, &v, sizeof(v)));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, 0));
	l.fd = self->fd;
	t0 = now_ns(CLOCK_MONOTONIC);
	ASSERT_TRUE(call_start(&th));
	n = read(self->fd, &v, sizeof(v));
	t1 = now_ns(CLOCK_MONOTONIC);
	call_wait(&th, -1);
	ASSERT_EQ((ssize_t)sizeof(v), n) TH_LOG("read: %s", strerror(errno));
	ASSERT_EQ(1234U, v);
	ASSERT_LE(t0 + 200 * MS, t1);
	ASSERT_LE(l.t_sent, t1);
}

/* fcntl clears O_NONBLOCK: a send to a full mailbox blocks again */
TEST_F(msgq, fcntl_clear_nonblock_send_blocks)
{
	struct call c = { .op = CALL_SEND_ARGS, .id = 2 };

	self->fd = msgq_create_at(self->dev, self->name,
				  MSGQ_O_RDWR | MSGQ_O_EXCL | MSGQ_O_NONBLOCK,
				  0600, 1, sizeof(unsigned int));
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, put_one(self->fd, 1));
	ASSERT_ERRNO(EAGAIN, write(self->fd, &c.id, sizeof(c.id)));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, 0));
	c.fd = self->fd;
	ASSERT_TRUE(call_start_blocked(&c));
	sleep_ms(SETTLE_MS);
	ASSERT_FALSE(call_done(&c));
	ASSERT_EQ(1, take_one(self->fd));
	ASSERT_TRUE(call_wait(&c, WAKE_MS));
	ASSERT_EQ(0, c.ret) TH_LOG("send: %s", strerror(c.err));
	ASSERT_EQ(2, take_one(self->fd));
}

/* MSGQ_F_NONBLOCK on a blocking handle: EAGAIN, the handle stays blocking */
TEST_F(msgq, per_call_nonblock_flag)
{
	unsigned int v;
	struct msgq_attr a;

	MBOX_CREATE(1, sizeof(unsigned int));
	ASSERT_ERRNO(EAGAIN, recv_flags(self->fd, &v, MSGQ_F_NONBLOCK));
	ASSERT_ERRNO(EAGAIN, recv_flags(self->fd, &v,
					MSGQ_F_NONBLOCK | MSGQ_F_PEEK));
	ASSERT_EQ(0, send_flags(self->fd, 3, MSGQ_F_NONBLOCK));
	ASSERT_ERRNO(EAGAIN, send_flags(self->fd, 4, MSGQ_F_NONBLOCK));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(1U, a.cur_msgs);
	ASSERT_EQ(1U, a.total_sent);
	ASSERT_FALSE(!!(a.handle_flags & MSGQ_O_NONBLOCK));
	ASSERT_FALSE(fcntl(self->fd, F_GETFL) & O_NONBLOCK);
	ASSERT_EQ((ssize_t)sizeof(v), recv_flags(self->fd, &v,
						 MSGQ_F_NONBLOCK));
	ASSERT_EQ(3U, v);
}

/* a non-blocking call gives up even when a timeout was given with it */
TEST_F(msgq, nonblock_beats_timeout)
{
	unsigned int v;
	struct msgq_recv r = {
		.buf = ptr_to_u64(&v), .cap = sizeof(v),
		.flags = MSGQ_F_NONBLOCK | MSGQ_F_TIMEOUT,
		.timeout = { .tv_sec = 5 },
	};
	uint64_t t0;

	MBOX_CREATE(1, sizeof(unsigned int));
	t0 = now_ns(CLOCK_MONOTONIC);
	ASSERT_ERRNO(EAGAIN, msgq_recv_args(self->fd, &r));
	ASSERT_GT(t0 + EAGAIN_MAX_MS * MS, now_ns(CLOCK_MONOTONIC));
}

/* a dup shares the open file description, and so its O_NONBLOCK */
TEST_F(msgq, dup_shares_nonblock)
{
	unsigned int v;

	MBOX_CREATE(1, sizeof(unsigned int));
	self->fd2 = dup(self->fd);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, fcntl(self->fd2, F_SETFL, O_NONBLOCK));
	ASSERT_ERRNO(EAGAIN, read(self->fd, &v, sizeof(v)));
}

TEST_HARNESS_MAIN
