// SPDX-License-Identifier: GPL-2.0
/*
 * Rendezvous mailboxes (max_msgs 0), like Go's unbuffered channels: a
 * send waits until a receiver has taken its message, between threads and
 * between processes; a non-blocking send succeeds only if a receiver is
 * already waiting (EAGAIN otherwise), a non-blocking receive only if a
 * sender is waiting with its offer. Every send is synchronous: a send
 * that times out withdraws its message.
 */
#include "msgq_test.h"

#define RDV_CREATE() MBOX_CREATE(0, sizeof(unsigned int))

/* capacity 0 is accepted and reported as max_msgs 0 */
TEST_F(msgq, getattr_max_msgs_zero)
{
	struct msgq_attr a;

	RDV_CREATE();
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(0U, a.max_msgs);
	ASSERT_EQ(0U, a.cur_msgs);
	ASSERT_EQ((__u32)sizeof(unsigned int), a.max_msgsize);
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, msgq_getattr(self->fd2, &a));
	ASSERT_EQ(0U, a.max_msgs);
}

/* a send blocks until another thread receives its message */
TEST_F(msgq, send_waits_for_receiver_thread)
{
	struct call c = { .op = CALL_SEND_ARGS, .id = 5 };
	unsigned int v;
	uint64_t t_recv;

	RDV_CREATE();
	c.fd = self->fd;
	ASSERT_TRUE(call_start_blocked(&c)) TH_LOG("send did not block");
	sleep_ms(SETTLE_MS);
	ASSERT_FALSE(call_done(&c)) TH_LOG("send returned with no receiver: "
					   "%ld %s", c.ret, strerror(c.err));
	t_recv = now_ns(CLOCK_MONOTONIC);
	ASSERT_EQ((ssize_t)sizeof(v), msgq_recv(self->fd, &v, sizeof(v),
						 NULL));
	ASSERT_EQ(5U, v);
	ASSERT_TRUE(call_wait(&c, WAKE_MS)) TH_LOG("sender not released");
	ASSERT_EQ(0, c.ret) TH_LOG("send: %s", strerror(c.err));
	ASSERT_LE(t_recv, c.t_end);
	ASSERT_EQ(0, mbox_depth(self->fd));
}

/* a send blocks until another process receives its message */
TEST_F(msgq, send_waits_for_receiver_process)
{
	uint64_t *t_ret = shared_alloc(sizeof(*t_ret)), t_recv;
	unsigned int v;
	pid_t pid;

	ASSERT_NE(NULL, t_ret);
	RDV_CREATE();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		v = 0xbeef;
		if (msgq_send(self->fd, &v, sizeof(v), 0))
			_exit(1);
		*t_ret = now_ns(CLOCK_MONOTONIC);
		_exit(0);
	}
	ASSERT_TRUE(wait_blocked_in(pid, pid, SYS_msgq_any, 5000));
	sleep_ms(SETTLE_MS);
	ASSERT_EQ(0, waitpid(pid, NULL, WNOHANG))
		TH_LOG("sender returned with no receiver");
	t_recv = now_ns(CLOCK_MONOTONIC);
	ASSERT_EQ((ssize_t)sizeof(v), msgq_recv(self->fd, &v, sizeof(v),
						 NULL));
	ASSERT_EQ(0xbeefU, v);
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
	ASSERT_LE(t_recv, *t_ret);
}

/* a receive blocks until another process sends; that send returns 0 */
TEST_F(msgq, recv_waits_for_sender_process)
{
	unsigned int v = 77;
	pid_t pid;

	RDV_CREATE();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned int got = 0;
		ssize_t n = msgq_recv(self->fd, &got, sizeof(got), NULL);

		_exit(n == sizeof(got) && got == 77 ? 0 : 1);
	}
	ASSERT_TRUE(wait_blocked_in(pid, pid, SYS_msgq_any, 5000));
	sleep_ms(SETTLE_MS);
	ASSERT_EQ(0, waitpid(pid, NULL, WNOHANG));
	ASSERT_EQ(0, msgq_send(self->fd, &v, sizeof(v), 0));
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
	ASSERT_EQ(0, mbox_depth(self->fd));
}

/* non-blocking send, nobody receiving: EAGAIN, whichever way it asks */
TEST_F(msgq, nonblock_send_no_receiver_eagain)
{
	unsigned int v = 1;
	struct msgq_attr a;

	RDV_CREATE();
	self->fd2 = msgq_open_at(self->dev, self->name,
				 MSGQ_O_SEND | MSGQ_O_NONBLOCK);
	ASSERT_LE(0, self->fd2);
	ASSERT_ERRNO(EAGAIN, put_one(self->fd, v));
	ASSERT_ERRNO(EAGAIN, msgq_send(self->fd2, &v, sizeof(v), 0));
	ASSERT_ERRNO(EAGAIN, write(self->fd2, &v, sizeof(v)));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(0U, a.cur_msgs);
	ASSERT_EQ(0U, a.total_sent);
	ASSERT_EQ(-1, take_one(self->fd));
}

/* non-blocking send with a receiver blocked in a receive: delivered */
TEST_F(msgq, nonblock_send_receiver_waiting_succeeds)
{
	struct call c = { .op = CALL_RECV_ARGS };
	unsigned int v = 3;

	RDV_CREATE();
	c.fd = self->fd;
	ASSERT_TRUE(call_start_blocked(&c));
	ASSERT_EQ(0, put_one(self->fd, 9)) TH_LOG("%s", strerror(errno));
	ASSERT_TRUE(call_wait(&c, WAKE_MS));
	ASSERT_EQ((long)sizeof(unsigned int), c.ret);
	ASSERT_EQ(9U, c.got);

	/* write(2) on an O_NONBLOCK handle too */
	memset(&c, 0, sizeof(c));
	c.fd = self->fd;
	c.op = CALL_READ;
	ASSERT_TRUE(call_start_blocked(&c));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	ASSERT_EQ((ssize_t)sizeof(v), write(self->fd, &v, sizeof(v)))
		TH_LOG("%s", strerror(errno));
	ASSERT_TRUE(call_wait(&c, WAKE_MS));
	ASSERT_EQ(3U, c.got);
}

/* non-blocking receive, nobody sending: EAGAIN */
TEST_F(msgq, nonblock_recv_no_sender_eagain)
{
	unsigned int v;

	RDV_CREATE();
	ASSERT_EQ(-1, take_one(self->fd));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	ASSERT_ERRNO(EAGAIN, msgq_recv(self->fd, &v, sizeof(v), NULL));
	ASSERT_ERRNO(EAGAIN, read(self->fd, &v, sizeof(v)));
}

/* non-blocking receive with a sender waiting: takes its offer */
TEST_F(msgq, nonblock_recv_sender_waiting_succeeds)
{
	struct call c = { .op = CALL_SEND_ARGS, .id = 44 };

	RDV_CREATE();
	c.fd = self->fd;
	ASSERT_TRUE(call_start_blocked(&c));
	ASSERT_EQ(44, take_one(self->fd));
	ASSERT_TRUE(call_wait(&c, WAKE_MS));
	ASSERT_EQ(0, c.ret) TH_LOG("%s", strerror(c.err));
}

/* a send that times out with no receiver withdraws its message */
TEST_F(msgq, timed_send_no_receiver_withdrawn)
{
	struct msgq_attr a;
	unsigned int v = 1;
	struct msgq_send s = {
		.buf = ptr_to_u64(&v), .len = sizeof(v),
		.flags = MSGQ_F_TIMEOUT, .timeout = { 0, 200000000 },
	};
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);

	RDV_CREATE();
	ASSERT_ERRNO(ETIMEDOUT, msgq_send_args(self->fd, &s));
	ASSERT_LE(t0 + 200 * MS, now_ns(CLOCK_MONOTONIC));
	ASSERT_EQ(-1, take_one(self->fd));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(0U, a.cur_msgs);
	ASSERT_EQ(0U, a.total_received);
}

/* several senders waiting: each returns when its own message is taken */
TEST_F(msgq, each_sender_released_by_its_message)
{
	enum { N = 3 };
	bool released[N] = { false };
	struct call c[N];
	int i, j, k;

	RDV_CREATE();
	memset(c, 0, sizeof(c));
	for (i = 0; i < N; i++) {
		c[i].fd = self->fd;
		c[i].op = CALL_SEND_ARGS;
		c[i].id = 100 + i;
		ASSERT_TRUE(call_start_blocked(&c[i])) TH_LOG("#%d", i);
	}
	for (i = 0; i < N; i++) {
		long v = take_one(self->fd);

		ASSERT_LE(100, v);
		ASSERT_GT(100 + N, v);
		k = (int)v - 100;
		ASSERT_FALSE(released[k]);
		ASSERT_TRUE(call_wait(&c[k], WAKE_MS)) TH_LOG("#%d", k);
		ASSERT_EQ(0, c[k].ret);
		released[k] = true;
		sleep_ms(50);
		for (j = 0; j < N; j++) {
			if (released[j])
				continue;
			ASSERT_FALSE(call_done(&c[j]))
				TH_LOG("sender #%d returned for #%d's message",
				       j, k);
		}
	}
	ASSERT_EQ(-1, take_one(self->fd));
}

/* a stream between two threads: every message once, in order */
struct streamer {
	int fd;
	unsigned int n;
	int ret;
};

static long stream_send_fn(void *arg)
{
	struct streamer *s = arg;
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (msgq_send(s->fd, &i, sizeof(i), 0)) {
			s->ret = -1;
			return 0;
		}
	return 0;
}

TEST_F(msgq, stream_between_threads)
{
	struct streamer s = { .n = 300 };
	struct call th = { .op = CALL_FN, .fn = stream_send_fn, .arg = &s };
	unsigned int i, v;

	RDV_CREATE();
	s.fd = self->fd;
	ASSERT_TRUE(call_start(&th));
	for (i = 0; i < s.n; i++) {
		ASSERT_EQ((ssize_t)sizeof(v), msgq_recv(self->fd, &v,
							 sizeof(v), NULL));
		ASSERT_EQ(i, v);
	}
	call_wait(&th, -1);
	ASSERT_EQ(0, s.ret);
	ASSERT_EQ(-1, take_one(self->fd));
	ASSERT_EQ(0, mbox_depth(self->fd));
}

/* a stream from one process to another: every message once, in order */
TEST_F(msgq, stream_between_processes)
{
	unsigned int i, v, n = 300;
	struct msgq_attr a;
	pid_t pid;

	RDV_CREATE();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (i = 0; i < n; i++)
			if (msgq_send(self->fd, &i, sizeof(i), 0))
				_exit(1);
		_exit(0);
	}
	for (i = 0; i < n; i++) {
		ASSERT_EQ((ssize_t)sizeof(v), msgq_recv(self->fd, &v,
							 sizeof(v), NULL));
		ASSERT_EQ(i, v);
	}
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ((__u64)n, a.total_sent);
	ASSERT_EQ((__u64)n, a.total_received);
	ASSERT_EQ(0U, a.cur_msgs);
}

/* batches cannot wait for a receiver each: EINVAL (uapi) */
TEST_F(msgq, send_batch_einval)
{
	unsigned int v = 1;
	struct msgq_mmsg m = { .buf = ptr_to_u64(&v), .len = sizeof(v) };

	RDV_CREATE();
	ASSERT_ERRNO(EINVAL, msgq_send_batch(self->fd, &m, 1,
					     MSGQ_F_NONBLOCK));
}

/*
 * A non-blocking send never waits. A receiver blocked in a peek makes the
 * send go ahead, but a peek takes nothing: the send must still return at
 * once (EAGAIN: nobody took the message), not sit waiting for a real
 * receiver.
 */
TEST_F(msgq, nonblock_send_does_not_wait_for_peeker)
{
	struct call peek = { .op = CALL_RECV_ARGS };
	struct call snd = { .op = CALL_SEND_ARGS, .id = 13 };
	bool returned;

	RDV_CREATE();
	peek.fd = self->fd;
	peek.r.flags = MSGQ_F_PEEK;
	ASSERT_TRUE(call_start_blocked(&peek));
	snd.fd = self->fd;
	snd.s.flags = MSGQ_F_NONBLOCK;
	ASSERT_TRUE(call_start(&snd));
	returned = call_wait(&snd, 3000);
	if (!returned) {
		/* release it for the teardown */
		take_one(self->fd);
		call_wait(&snd, WAKE_MS);
	}
	ASSERT_TRUE(returned) TH_LOG("MSGQ_F_NONBLOCK send still waiting 3 s "
				     "after a peek saw its message");
	ASSERT_EQ(-1, snd.ret);
	ASSERT_EQ(EAGAIN, snd.err);
	ASSERT_EQ(-1, take_one(self->fd));
	/*
	 * The peek either saw the withdrawn offer and returned, or never saw
	 * it and still waits: both are right. Release it if it waits.
	 */
	if (!call_done(&peek)) {
		struct call rel = { .fd = self->fd, .op = CALL_SEND_ARGS, .id = 99 };

		ASSERT_TRUE(call_start(&rel));
		ASSERT_TRUE(call_wait(&peek, WAKE_MS));
		ASSERT_EQ(99U, peek.got);
		ASSERT_EQ(99, take_one(self->fd));
		ASSERT_TRUE(call_wait(&rel, WAKE_MS));
	} else {
		call_wait(&peek, 0);
	}
}

/*
 * The same with a real receiver that cannot take the message: its buffer
 * is too small (EMSGSIZE, the message stays). The non-blocking send must
 * still return at once, EAGAIN, its message withdrawn.
 */
TEST_F(msgq, nonblock_send_does_not_wait_after_failed_recv)
{
	struct call rcv = { .op = CALL_RECV_ARGS };
	struct call snd = { .op = CALL_SEND_ARGS, .id = 14 };
	bool returned;

	RDV_CREATE();
	rcv.fd = self->fd;
	rcv.r.cap = 1;
	ASSERT_TRUE(call_start_blocked(&rcv));
	snd.fd = self->fd;
	snd.s.flags = MSGQ_F_NONBLOCK;
	ASSERT_TRUE(call_start(&snd));
	returned = call_wait(&snd, 3000);
	ASSERT_TRUE(call_wait(&rcv, WAKE_MS));
	if (!returned) {
		take_one(self->fd);
		call_wait(&snd, WAKE_MS);
	}
	ASSERT_EQ(-1, rcv.ret);
	ASSERT_EQ(EMSGSIZE, rcv.err);
	ASSERT_TRUE(returned) TH_LOG("MSGQ_F_NONBLOCK send still waiting 3 s "
				     "after the receiver failed EMSGSIZE");
	ASSERT_EQ(-1, snd.ret);
	ASSERT_EQ(EAGAIN, snd.err);
	ASSERT_EQ(-1, take_one(self->fd));
}

TEST_HARNESS_MAIN
