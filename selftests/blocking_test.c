// SPDX-License-Identifier: GPL-2.0
/*
 * Waiting: a full mailbox blocks senders and an empty one receivers,
 * non-blocking calls get EAGAIN, signals interrupt waits, one message
 * wakes one receiver and one freed slot one sender, timeouts expire.
 *
 * "Blocked" is checked, not assumed: the waiting task must be asleep in
 * ioctl(2) (/proc/.../stat and /proc/.../syscall) and must not have
 * returned 200 ms later.
 */
#include "msgq_test.h"

/* full mailbox, MSGQ_F_NONBLOCK: EAGAIN, nothing queued */
TEST_F(msgq, full_send_nonblock_flag_eagain)
{
	unsigned int v = 99;
	struct msgq_send s = {
		.buf = ptr_to_u64(&v), .len = sizeof(v),
		.flags = MSGQ_F_NONBLOCK,
	};
	struct msgq_attr a;

	MBOX_CREATE(4, sizeof(unsigned int));
	ASSERT_TRUE(fill_n(self->fd, 4));
	ASSERT_ERRNO(EAGAIN, msgq_send_args(self->fd, &s));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_EQ(4U, a.cur_msgs);
	EXPECT_EQ(4U, a.total_sent);
}

/* full mailbox, handle opened MSGQ_O_NONBLOCK: send and write EAGAIN */
TEST_F(msgq, full_send_nonblock_handle_eagain)
{
	unsigned int v = 99;

	MBOX_CREATE(2, sizeof(unsigned int));
	self->fd2 = msgq_open_at(self->dev, self->name,
				 MSGQ_O_SEND | MSGQ_O_NONBLOCK);
	ASSERT_LE(0, self->fd2);
	EXPECT_TRUE(fcntl(self->fd2, F_GETFL) & O_NONBLOCK);
	ASSERT_TRUE(fill_n(self->fd, 2));
	ASSERT_ERRNO(EAGAIN, msgq_send(self->fd2, &v, sizeof(v), 0));
	ASSERT_ERRNO(EAGAIN, write(self->fd2, &v, sizeof(v)));
	ASSERT_EQ(2, mbox_depth(self->fd));
}

/* empty mailbox, MSGQ_F_NONBLOCK: EAGAIN */
TEST_F(msgq, empty_recv_nonblock_flag_eagain)
{
	char buf[8];
	struct msgq_recv r = {
		.buf = ptr_to_u64(buf), .cap = sizeof(buf),
		.flags = MSGQ_F_NONBLOCK,
	};

	MBOX_CREATE(2, 8);
	ASSERT_ERRNO(EAGAIN, msgq_recv_args(self->fd, &r));
	r.flags |= MSGQ_F_PEEK;
	ASSERT_ERRNO(EAGAIN, msgq_recv_args(self->fd, &r));
}

/* empty mailbox, O_NONBLOCK handle (flag or fcntl): recv, read EAGAIN */
TEST_F(msgq, empty_recv_nonblock_handle_eagain)
{
	char buf[8];

	MBOX_CREATE(2, 8);
	self->fd2 = msgq_open_at(self->dev, self->name,
				 MSGQ_O_RECV | MSGQ_O_NONBLOCK);
	ASSERT_LE(0, self->fd2);
	ASSERT_ERRNO(EAGAIN, msgq_recv(self->fd2, buf, sizeof(buf), NULL));
	ASSERT_ERRNO(EAGAIN, read(self->fd2, buf, sizeof(buf)));
	/* O_NONBLOCK set later with fcntl(2) counts too */
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	ASSERT_ERRNO(EAGAIN, msgq_recv(self->fd, buf, sizeof(buf), NULL));
}

/* a send to a full mailbox blocks until a receiver takes a message */
TEST_F(msgq, full_send_blocks_until_recv)
{
	struct call w = { .op = CALL_SEND, .id = 1000 };
	unsigned int v, i;

	MBOX_CREATE(3, sizeof(unsigned int));
	ASSERT_TRUE(fill_n(self->fd, 3));
	w.fd = self->fd;
	ASSERT_TRUE(call_start_blocked(&w)) TH_LOG("send did not block");
	sleep_ms(SETTLE_MS);
	ASSERT_EQ(0, call_done(&w)) TH_LOG("send returned while full");
	ASSERT_EQ(3, mbox_depth(self->fd));

	ASSERT_EQ(sizeof(v), (size_t)msgq_recv(self->fd, &v, sizeof(v), NULL));
	ASSERT_EQ(0U, v);
	ASSERT_TRUE(call_wait(&w, WAKE_MS)) TH_LOG("sender not woken");
	ASSERT_EQ(0, w.ret) TH_LOG("send: %s", strerror(w.err));
	/* the blocked message went in last */
	for (i = 1; i < 3; i++) {
		ASSERT_EQ(sizeof(v), (size_t)msgq_recv(self->fd, &v, sizeof(v),
							NULL));
		ASSERT_EQ(i, v);
	}
	ASSERT_EQ(sizeof(v), (size_t)msgq_recv(self->fd, &v, sizeof(v), NULL));
	ASSERT_EQ(1000U, v);
}

/* a receive from an empty mailbox blocks until another process sends */
TEST_F(msgq, recv_blocks_until_send_from_other_process)
{
	char buf[8];
	pid_t pid;

	MBOX_CREATE(2, 8);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		ssize_t n = msgq_recv(self->fd, buf, sizeof(buf), NULL);

		_exit(n == 4 && !memcmp(buf, "ping", 4) ? 0 : 1);
	}
	ASSERT_TRUE(wait_blocked_in(pid, pid, SYS_msgq_any, 5000))
		TH_LOG("receiver not blocked");
	sleep_ms(SETTLE_MS);
	ASSERT_EQ(0, waitpid(pid, NULL, WNOHANG))
		TH_LOG("receiver returned from an empty mailbox");
	ASSERT_EQ(0, msgq_send(self->fd, "ping", 4, 0));
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
	ASSERT_EQ(0, mbox_depth(self->fd));
}

/* a blocked receive is interrupted by a signal (no SA_RESTART): EINTR */
TEST_F(msgq, recv_wait_interrupted_eintr)
{
	struct call w = { .op = CALL_RECV };

	ASSERT_EQ(0, install_counter(SIGUSR1, false));
	MBOX_CREATE(2, sizeof(unsigned int));
	w.fd = self->fd;
	ASSERT_TRUE(call_start_blocked(&w));
	ASSERT_EQ(0, pthread_kill(w.th, SIGUSR1));
	ASSERT_TRUE(call_wait(&w, WAKE_MS)) TH_LOG("not interrupted");
	ASSERT_EQ(-1, w.ret);
	ASSERT_EQ(EINTR, w.err) TH_LOG("%s", strerror(w.err));
}

/* a blocked send is interrupted by a signal: EINTR, nothing queued */
TEST_F(msgq, send_wait_interrupted_eintr)
{
	struct call w = { .op = CALL_SEND, .id = 77 };
	struct msgq_attr a;

	ASSERT_EQ(0, install_counter(SIGUSR1, false));
	MBOX_CREATE(1, sizeof(unsigned int));
	ASSERT_TRUE(fill_n(self->fd, 1));
	w.fd = self->fd;
	ASSERT_TRUE(call_start_blocked(&w));
	ASSERT_EQ(0, pthread_kill(w.th, SIGUSR1));
	ASSERT_TRUE(call_wait(&w, WAKE_MS)) TH_LOG("not interrupted");
	ASSERT_EQ(-1, w.ret);
	ASSERT_EQ(EINTR, w.err) TH_LOG("%s", strerror(w.err));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_EQ(1U, a.cur_msgs);
	EXPECT_EQ(1U, a.total_sent);
}

/*
 * One message wakes one receiver: with four receivers asleep, a send
 * makes exactly one return, and the other three do not even wake (their
 * voluntary context switch counts stay put: no thundering herd).
 */
TEST_F(msgq, one_message_wakes_one_receiver)
{
	enum { N = 4 };
	struct call w[N];
	long nvcsw[N];
	unsigned int seen = 0, v;
	int i;

	MBOX_CREATE(8, sizeof(unsigned int));
	memset(w, 0, sizeof(w));
	for (i = 0; i < N; i++) {
		w[i].op = CALL_RECV;
		w[i].fd = self->fd;
		ASSERT_TRUE(call_start_blocked(&w[i])) TH_LOG("#%d", i);
	}
	for (i = 0; i < N; i++)
		nvcsw[i] = task_nvcsw(getpid(), w[i].tid);

	v = 0;
	ASSERT_EQ(0, msgq_send(self->fd, &v, sizeof(v), 0));
	ASSERT_LE(1, calls_wait(w, N, 1, WAKE_MS)) TH_LOG("nobody woke");
	sleep_ms(SETTLE_MS);
	ASSERT_EQ(1, calls_done(w, N)) TH_LOG("one message, several returns");
	for (i = 0; i < N; i++) {
		if (call_done(&w[i]))
			continue;
		EXPECT_EQ('S', task_state(getpid(), w[i].tid));
		if (nvcsw[i] >= 0) {
			EXPECT_EQ(nvcsw[i], task_nvcsw(getpid(), w[i].tid))
				TH_LOG("receiver #%d was woken for nothing", i);
		}
	}

	for (v = 1; v < N; v++) {
		ASSERT_EQ(0, msgq_send(self->fd, &v, sizeof(v), 0));
	}
	ASSERT_EQ(N, calls_wait(w, N, N, WAKE_MS)) TH_LOG("receivers left");
	for (i = 0; i < N; i++) {
		ASSERT_TRUE(call_wait(&w[i], 0));
		ASSERT_EQ((ssize_t)sizeof(v), w[i].ret);
		ASSERT_GT(N, (int)w[i].got);
		seen |= 1U << w[i].got;
	}
	ASSERT_EQ((1U << N) - 1, seen) TH_LOG("a message went twice");
	ASSERT_EQ(0, mbox_depth(self->fd));
}

/* One freed slot wakes one sender, the others stay asleep. */
TEST_F(msgq, one_slot_wakes_one_sender)
{
	enum { N = 4, CAP = 2 };
	struct call w[N];
	long nvcsw[N];
	unsigned int got[CAP + N], v, i;
	struct timespec dl;
	int k;

	MBOX_CREATE(CAP, sizeof(unsigned int));
	ASSERT_TRUE(fill_n(self->fd, CAP));
	memset(w, 0, sizeof(w));
	for (k = 0; k < N; k++) {
		w[k].op = CALL_SEND;
		w[k].fd = self->fd;
		w[k].id = 100 + k;
		ASSERT_TRUE(call_start_blocked(&w[k])) TH_LOG("#%d", k);
	}
	for (k = 0; k < N; k++)
		nvcsw[k] = task_nvcsw(getpid(), w[k].tid);

	ASSERT_EQ(sizeof(v), (size_t)msgq_recv(self->fd, &got[0], sizeof(v),
						NULL));
	ASSERT_LE(1, calls_wait(w, N, 1, WAKE_MS)) TH_LOG("no sender woke");
	sleep_ms(SETTLE_MS);
	ASSERT_EQ(1, calls_done(w, N)) TH_LOG("one slot, several senders");
	for (k = 0; k < N; k++) {
		if (call_done(&w[k]))
			continue;
		EXPECT_EQ('S', task_state(getpid(), w[k].tid));
		if (nvcsw[k] >= 0) {
			EXPECT_EQ(nvcsw[k], task_nvcsw(getpid(), w[k].tid))
				TH_LOG("sender #%d was woken for nothing", k);
		}
	}

	/* drain the rest; every freed slot lets one more sender in */
	for (i = 1; i < CAP + N; i++) {
		dl = realtime_in_ms(WAKE_MS);
		ASSERT_EQ(sizeof(v), (size_t)msgq_timedrecv(self->fd, &got[i],
							     sizeof(v), NULL,
							     &dl))
			TH_LOG("message %u: %s", i, strerror(errno));
	}
	ASSERT_EQ(N, calls_wait(w, N, N, WAKE_MS));
	for (k = 0; k < N; k++) {
		ASSERT_TRUE(call_wait(&w[k], 0));
		ASSERT_EQ(0, w[k].ret) TH_LOG("#%d: %s", k, strerror(w[k].err));
	}
	ASSERT_EQ(0U, got[0]);
	ASSERT_EQ(1U, got[1]);
	for (k = 0; k < N; k++) {
		unsigned int n = 0;

		for (i = CAP; i < CAP + N; i++)
			n += got[i] == 100U + k;
		ASSERT_EQ(1U, n) TH_LOG("sender #%d's message seen %u times",
					k, n);
	}
}

/* msgq_timedrecv on an empty mailbox: ETIMEDOUT, never early */
TEST_F(msgq, timedrecv_expires)
{
	struct timespec dl;
	uint64_t t_dl, t1;
	char buf[8];

	MBOX_CREATE(2, 8);
	dl = realtime_in_ms(SETTLE_MS);
	t_dl = ts_ns(&dl);
	ASSERT_ERRNO(ETIMEDOUT, msgq_timedrecv(self->fd, buf, sizeof(buf),
					       NULL, &dl));
	t1 = now_ns(CLOCK_REALTIME);
	ASSERT_LE(t_dl, t1) TH_LOG("returned %.3f ms early",
				   (t_dl - t1) / 1e6);
}

/* msgq_timedsend on a full mailbox: ETIMEDOUT, never early, not queued */
TEST_F(msgq, timedsend_expires)
{
	struct timespec dl;
	uint64_t t_dl, t1;
	unsigned int v = 5;

	MBOX_CREATE(1, sizeof(v));
	ASSERT_TRUE(fill_n(self->fd, 1));
	dl = realtime_in_ms(SETTLE_MS);
	t_dl = ts_ns(&dl);
	ASSERT_ERRNO(ETIMEDOUT, msgq_timedsend(self->fd, &v, sizeof(v), 0,
					       &dl));
	t1 = now_ns(CLOCK_REALTIME);
	ASSERT_LE(t_dl, t1);
	ASSERT_EQ(1, mbox_depth(self->fd));
}

/* a deadline in the past with a message waiting: the message, at once */
TEST_F(msgq, timedrecv_past_deadline_available)
{
	struct timespec dl = { .tv_sec = 1, .tv_nsec = 0 };
	char buf[8];

	MBOX_CREATE(2, 8);
	ASSERT_EQ(0, msgq_send(self->fd, "now", 3, 0));
	ASSERT_EQ(3, msgq_timedrecv(self->fd, buf, sizeof(buf), NULL, &dl));
	ASSERT_ERRNO(ETIMEDOUT, msgq_timedrecv(self->fd, buf, sizeof(buf),
					       NULL, &dl));
}

/* an invalid timespec is EINVAL even when a message is waiting */
TEST_F(msgq, timedrecv_invalid_timespec_einval)
{
	struct timespec bad = { .tv_sec = 0, .tv_nsec = 1000000000L };
	struct timespec neg = { .tv_sec = 0, .tv_nsec = -1 };
	char buf[8];

	MBOX_CREATE(2, 8);
	ASSERT_EQ(0, msgq_send(self->fd, "x", 1, 0));
	ASSERT_ERRNO(EINVAL, msgq_timedrecv(self->fd, buf, sizeof(buf), NULL,
					    &bad));
	ASSERT_ERRNO(EINVAL, msgq_timedrecv(self->fd, buf, sizeof(buf), NULL,
					    &neg));
	ASSERT_ERRNO(EINVAL, msgq_timedsend(self->fd, "y", 1, 0, &bad));
	ASSERT_EQ(1, mbox_depth(self->fd));
}

TEST_HARNESS_MAIN
