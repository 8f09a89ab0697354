// SPDX-License-Identifier: GPL-2.0
/*
 * Signals during waits (uapi/msgq.h, "Signals"), as signal(7) has them for
 * mq_send/mq_receive: a handler without SA_RESTART makes a blocked send or
 * receive fail with EINTR, with SA_RESTART the call restarts and completes
 * when the message or the room arrives; a wait with a relative timeout
 * fails with EINTR even under SA_RESTART, one with an absolute timeout
 * restarts and keeps its deadline. Nothing is lost or duplicated either
 * way. And fasync: O_ASYNC + F_SETOWN sends SIGIO when a message arrives,
 * and not before.
 */
#include "msgq_test.h"

/* Block @c in its call, signal it, and check the handler ran. */
static bool signal_blocked(struct call *c)
{
	return call_start_blocked(c) && call_signal(c, SIGUSR1);
}

/* Still asleep in its call, and staying there, after the signal. */
static bool still_blocked(struct call *c)
{
	return call_asleep(c, SETTLE_MS);
}

/* ------------------------------------------------------------------ */
/* Without SA_RESTART: EINTR, nothing consumed or queued */

/* a blocked receive, a signal without SA_RESTART: EINTR */
TEST_F(msgq, recv_signal_no_restart_eintr)
{
	struct call c = { .op = CALL_RECV_ARGS };

	ASSERT_EQ(0, install_counter(SIGUSR1, false));
	MBOX_CREATE(2, sizeof(unsigned int));
	c.fd = self->fd;
	ASSERT_TRUE(signal_blocked(&c));
	ASSERT_TRUE(call_wait(&c, WAKE_MS)) TH_LOG("not interrupted");
	ASSERT_EQ(-1, c.ret);
	ASSERT_EQ(EINTR, c.err) TH_LOG("%s", strerror(c.err));
	/* a message sent now is there for the next receive */
	ASSERT_EQ(0, put_one(self->fd, 5));
	ASSERT_EQ(5, take_one(self->fd));
}

/* a blocked send, a signal without SA_RESTART: EINTR, nothing queued */
TEST_F(msgq, send_signal_no_restart_eintr)
{
	struct call c = { .op = CALL_SEND_ARGS, .id = 1 };
	struct msgq_attr a;

	ASSERT_EQ(0, install_counter(SIGUSR1, false));
	MBOX_CREATE(1, sizeof(unsigned int));
	ASSERT_EQ(0, put_one(self->fd, 0));
	c.fd = self->fd;
	ASSERT_TRUE(signal_blocked(&c));
	ASSERT_TRUE(call_wait(&c, WAKE_MS)) TH_LOG("not interrupted");
	ASSERT_EQ(-1, c.ret);
	ASSERT_EQ(EINTR, c.err) TH_LOG("%s", strerror(c.err));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(1U, a.cur_msgs);
	ASSERT_EQ(1U, a.total_sent);
	ASSERT_EQ(0, take_one(self->fd));
	ASSERT_EQ(-1, take_one(self->fd));
}

/* read(2) and write(2) too: EINTR without SA_RESTART */
TEST_F(msgq, read_write_signal_no_restart_eintr)
{
	struct call r = { .op = CALL_READ };
	struct call w = { .op = CALL_WRITE, .id = 2 };

	ASSERT_EQ(0, install_counter(SIGUSR1, false));
	MBOX_CREATE(1, sizeof(unsigned int));
	r.fd = self->fd;
	ASSERT_TRUE(signal_blocked(&r));
	ASSERT_TRUE(call_wait(&r, WAKE_MS));
	ASSERT_EQ(-1, r.ret);
	ASSERT_EQ(EINTR, r.err);
	ASSERT_EQ(0, put_one(self->fd, 1));
	w.fd = self->fd;
	ASSERT_TRUE(signal_blocked(&w));
	ASSERT_TRUE(call_wait(&w, WAKE_MS));
	ASSERT_EQ(-1, w.ret);
	ASSERT_EQ(EINTR, w.err);
	ASSERT_EQ(1, mbox_depth(self->fd));
}

/* ------------------------------------------------------------------ */
/* With SA_RESTART: the call goes on and completes */

/* a blocked receive restarts under SA_RESTART and gets the message */
TEST_F(msgq, recv_signal_sa_restart_restarts)
{
	struct call c = { .op = CALL_RECV_ARGS };
	struct msgq_attr a;

	ASSERT_EQ(0, install_counter(SIGUSR1, true));
	MBOX_CREATE(2, sizeof(unsigned int));
	c.fd = self->fd;
	ASSERT_TRUE(signal_blocked(&c));
	ASSERT_TRUE(still_blocked(&c)) TH_LOG("returned: %ld %s", c.ret,
					      strerror(c.err));
	ASSERT_EQ(0, put_one(self->fd, 66));
	ASSERT_TRUE(call_wait(&c, WAKE_MS));
	ASSERT_EQ((long)sizeof(unsigned int), c.ret)
		TH_LOG("%s", strerror(c.err));
	ASSERT_EQ(66U, c.got);
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(0U, a.cur_msgs);
	ASSERT_EQ(1U, a.total_received);
}

/* a blocked send restarts under SA_RESTART and is queued once, in order */
TEST_F(msgq, send_signal_sa_restart_restarts)
{
	struct call c = { .op = CALL_SEND_ARGS, .id = 1 };
	struct msgq_attr a;

	ASSERT_EQ(0, install_counter(SIGUSR1, true));
	MBOX_CREATE(1, sizeof(unsigned int));
	ASSERT_EQ(0, put_one(self->fd, 0));
	c.fd = self->fd;
	ASSERT_TRUE(signal_blocked(&c));
	ASSERT_TRUE(still_blocked(&c)) TH_LOG("returned: %ld %s", c.ret,
					      strerror(c.err));
	ASSERT_EQ(0, take_one(self->fd));
	ASSERT_TRUE(call_wait(&c, WAKE_MS));
	ASSERT_EQ(0, c.ret) TH_LOG("%s", strerror(c.err));
	ASSERT_EQ(1, take_one(self->fd));
	ASSERT_EQ(-1, take_one(self->fd));
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(2U, a.total_sent);
	ASSERT_EQ(2U, a.total_received);
}

/* read(2) and write(2) restart under SA_RESTART too */
TEST_F(msgq, read_write_signal_sa_restart_restarts)
{
	struct call r = { .op = CALL_READ };
	struct call w = { .op = CALL_WRITE, .id = 8 };

	ASSERT_EQ(0, install_counter(SIGUSR1, true));
	MBOX_CREATE(1, sizeof(unsigned int));
	r.fd = self->fd;
	ASSERT_TRUE(signal_blocked(&r));
	ASSERT_TRUE(still_blocked(&r));
	ASSERT_EQ(0, put_one(self->fd, 7));
	ASSERT_TRUE(call_wait(&r, WAKE_MS));
	ASSERT_EQ((long)sizeof(unsigned int), r.ret);
	ASSERT_EQ(7U, r.got);

	ASSERT_EQ(0, put_one(self->fd, 0));
	w.fd = self->fd;
	ASSERT_TRUE(signal_blocked(&w));
	ASSERT_TRUE(still_blocked(&w));
	ASSERT_EQ(0, take_one(self->fd));
	ASSERT_TRUE(call_wait(&w, WAKE_MS));
	ASSERT_EQ((long)sizeof(unsigned int), w.ret);
	ASSERT_EQ(8, take_one(self->fd));
}

/* an absolute timeout restarts under SA_RESTART: the message still comes */
TEST_F(msgq, abs_timeout_recv_sa_restart_restarts)
{
	struct call c = { .op = CALL_TIMEDRECV };

	ASSERT_EQ(0, install_counter(SIGUSR1, true));
	MBOX_CREATE(1, sizeof(unsigned int));
	c.fd = self->fd;
	c.abs = realtime_in_ms(20000);
	ASSERT_TRUE(signal_blocked(&c));
	ASSERT_TRUE(still_blocked(&c)) TH_LOG("returned: %ld %s", c.ret,
					      strerror(c.err));
	ASSERT_EQ(0, put_one(self->fd, 12));
	ASSERT_TRUE(call_wait(&c, WAKE_MS));
	ASSERT_EQ((long)sizeof(unsigned int), c.ret)
		TH_LOG("%s", strerror(c.err));
	ASSERT_EQ(12U, c.got);
}

/* ...and keeps its deadline: ETIMEDOUT, not EINTR, never early */
TEST_F(msgq, abs_timeout_send_sa_restart_keeps_deadline)
{
	struct call c = { .op = CALL_TIMEDSEND, .id = 1 };
	uint64_t dl;

	ASSERT_EQ(0, install_counter(SIGUSR1, true));
	MBOX_CREATE(1, sizeof(unsigned int));
	ASSERT_EQ(0, put_one(self->fd, 0));
	c.fd = self->fd;
	c.abs = realtime_in_ms(1000);
	dl = ts_ns(&c.abs);
	ASSERT_TRUE(signal_blocked(&c));
	ASSERT_TRUE(call_wait(&c, WAKE_MS));
	ASSERT_EQ(-1, c.ret);
	ASSERT_EQ(ETIMEDOUT, c.err) TH_LOG("%s", strerror(c.err));
	ASSERT_LE(dl, c.rt_end) TH_LOG("%.3f ms early",
				       (dl - c.rt_end) / 1e6);
	ASSERT_EQ(1, mbox_depth(self->fd));
}

/* a relative timeout cannot be restarted: EINTR even with SA_RESTART */
TEST_F(msgq, relative_timeout_recv_eintr_despite_sa_restart)
{
	struct call c = { .op = CALL_RECV_ARGS };

	ASSERT_EQ(0, install_counter(SIGUSR1, true));
	MBOX_CREATE(1, sizeof(unsigned int));
	c.fd = self->fd;
	c.r.flags = MSGQ_F_TIMEOUT;
	c.r.timeout = ns_mts(20000 * MS);
	ASSERT_TRUE(signal_blocked(&c));
	ASSERT_TRUE(call_wait(&c, WAKE_MS)) TH_LOG("restarted");
	ASSERT_EQ(-1, c.ret);
	ASSERT_EQ(EINTR, c.err) TH_LOG("%s", strerror(c.err));
	ASSERT_EQ(0, put_one(self->fd, 3));
	ASSERT_EQ(3, take_one(self->fd));
}

/* the same for a send: EINTR, and nothing queued */
TEST_F(msgq, relative_timeout_send_eintr_despite_sa_restart)
{
	struct call c = { .op = CALL_SEND_ARGS, .id = 1 };

	ASSERT_EQ(0, install_counter(SIGUSR1, true));
	MBOX_CREATE(1, sizeof(unsigned int));
	ASSERT_EQ(0, put_one(self->fd, 0));
	c.fd = self->fd;
	c.s.flags = MSGQ_F_TIMEOUT;
	c.s.timeout = ns_mts(20000 * MS);
	ASSERT_TRUE(signal_blocked(&c));
	ASSERT_TRUE(call_wait(&c, WAKE_MS)) TH_LOG("restarted");
	ASSERT_EQ(-1, c.ret);
	ASSERT_EQ(EINTR, c.err) TH_LOG("%s", strerror(c.err));
	ASSERT_EQ(0, take_one(self->fd));
	ASSERT_EQ(-1, take_one(self->fd));
}

/* ------------------------------------------------------------------ */
/* A storm of signals against a sender and a receiver: nothing lost */

enum { STORM_MSGS = 300 };

struct storm_side {
	struct call call;	/* storm_fn(this side) */
	int fd;
	bool send;
	unsigned int eintr;	/* calls that failed EINTR and were retried */
	int bad;		/* a call failed otherwise, or out of order */
	unsigned int got[STORM_MSGS];
	unsigned int n;
};

static long storm_fn(void *arg)
{
	struct storm_side *s = arg;
	unsigned int i = 0;

	/*
	 * Not before the storm has begun: both sides could otherwise be
	 * done before the storm's first signal.
	 */
	while (!sig_count)
		usleep(100);
	while (i < STORM_MSGS) {
		unsigned int v = i;
		long r;

		if (s->send)
			r = msgq_send(s->fd, &v, sizeof(v), 0);
		else
			r = msgq_recv(s->fd, &v, sizeof(v), NULL);
		if (r < 0 && errno == EINTR) {
			s->eintr++;
			continue;
		}
		if (r < 0 || (!s->send && (r != sizeof(v) || v != i))) {
			s->bad = 1;
			break;
		}
		i++;
	}
	s->n = i;
	return 0;
}

/* Signal both sides every millisecond or so until both are done. */
static unsigned int storm(struct __test_metadata *_metadata, int fd,
			  struct storm_side *tx, struct storm_side *rx)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) + 20000 * MS;
	unsigned int sent = 0;

	tx->fd = rx->fd = fd;
	tx->send = true;
	tx->call = (struct call){ .op = CALL_FN, .fn = storm_fn, .arg = tx };
	rx->call = (struct call){ .op = CALL_FN, .fn = storm_fn, .arg = rx };
	if (!call_start(&tx->call) || !call_start(&rx->call))
		return 0;
	while (!(call_done(&tx->call) && call_done(&rx->call)) &&
	       now_ns(CLOCK_MONOTONIC) < end) {
		if (!call_done(&tx->call))
			sent += !pthread_kill(tx->call.th, SIGUSR1);
		if (!call_done(&rx->call))
			sent += !pthread_kill(rx->call.th, SIGUSR1);
		usleep(500);
	}
	call_wait(&tx->call, -1);
	call_wait(&rx->call, -1);
	TH_LOG("%u signals, EINTR: %u sends, %u receives", sent, tx->eintr,
	       rx->eintr);
	return sent;
}

/* with SA_RESTART no call fails, and every message arrives once in order */
TEST_F_TIMEOUT(msgq, signal_storm_sa_restart_nothing_lost, 60)
{
	struct storm_side tx = { 0 }, rx = { 0 };
	struct msgq_attr a;

	ASSERT_EQ(0, install_counter(SIGUSR1, true));
	MBOX_CREATE(2, sizeof(unsigned int));
	ASSERT_LT(0U, storm(_metadata, self->fd, &tx, &rx));
	ASSERT_EQ(0, tx.bad);
	ASSERT_EQ(0, rx.bad) TH_LOG("receive %u went wrong", rx.n);
	ASSERT_EQ(0U, tx.eintr);
	ASSERT_EQ(0U, rx.eintr);
	ASSERT_EQ((unsigned int)STORM_MSGS, rx.n);
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ((__u64)STORM_MSGS, a.total_sent);
	ASSERT_EQ((__u64)STORM_MSGS, a.total_received);
	ASSERT_EQ(0U, a.cur_msgs);
}

/* without SA_RESTART calls fail EINTR; retried, nothing lost or doubled */
TEST_F_TIMEOUT(msgq, signal_storm_eintr_nothing_lost, 60)
{
	struct storm_side tx = { 0 }, rx = { 0 };
	struct msgq_attr a;

	ASSERT_EQ(0, install_counter(SIGUSR1, false));
	MBOX_CREATE(2, sizeof(unsigned int));
	ASSERT_LT(0U, storm(_metadata, self->fd, &tx, &rx));
	ASSERT_EQ(0, tx.bad);
	ASSERT_EQ(0, rx.bad) TH_LOG("receive %u went wrong", rx.n);
	ASSERT_EQ((unsigned int)STORM_MSGS, rx.n);
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ((__u64)STORM_MSGS, a.total_sent);
	ASSERT_EQ((__u64)STORM_MSGS, a.total_received);
	ASSERT_EQ(0U, a.cur_msgs);
}

/* ------------------------------------------------------------------ */
/* fasync */

static volatile sig_atomic_t io_count, io_fd, io_code, io_band;

static void on_io(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	io_count++;
	io_fd = si->si_fd;
	io_code = si->si_code;
	io_band = (int)si->si_band;
}

static int install_io(int sig)
{
	struct sigaction sa = { .sa_sigaction = on_io };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	io_count = 0;
	io_fd = -1;
	return sigaction(sig, &sa, NULL);
}

/* O_ASYNC on @fd, signals to this process. */
static int set_async(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETOWN, getpid()))
		return -1;
	return fcntl(fd, F_SETFL, on ? fl | O_ASYNC : fl & ~O_ASYNC);
}

/* O_ASYNC + F_SETOWN: SIGIO when a message arrives, not before */
TEST_F(msgq, fasync_sigio_on_message)
{
	pid_t pid;

	ASSERT_EQ(0, install_io(SIGIO));
	MBOX_CREATE(4, sizeof(unsigned int));
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, set_async(self->fd2, true));
	sleep_ms(SETTLE_MS);
	ASSERT_EQ(0, io_count) TH_LOG("SIGIO before any message");

	/* the message comes from another process */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(put_one(self->fd, 1) ? 1 : 0);
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
	ASSERT_TRUE(wait_count(&io_count, 1, WAKE_MS)) TH_LOG("no SIGIO");
	ASSERT_EQ(1, take_one(self->fd2));
}

/* F_SETSIG: a queued real-time signal that names the fd and POLL_IN */
TEST_F(msgq, fasync_setsig_siginfo)
{
	ASSERT_EQ(0, install_io(SIGRTMIN));
	MBOX_CREATE(4, sizeof(unsigned int));
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, fcntl(self->fd2, F_SETSIG, SIGRTMIN));
	ASSERT_EQ(0, set_async(self->fd2, true));
	ASSERT_EQ(0, put_one(self->fd, 1));
	ASSERT_TRUE(wait_count(&io_count, 1, WAKE_MS)) TH_LOG("no signal");
	ASSERT_EQ(self->fd2, io_fd);
	ASSERT_EQ(POLL_IN, io_code);
	ASSERT_TRUE(!!(io_band & POLLIN)) TH_LOG("si_band %#x", io_band);
}

/* O_ASYNC cleared again: no more SIGIO */
TEST_F(msgq, fasync_off_no_sigio)
{
	ASSERT_EQ(0, install_io(SIGIO));
	MBOX_CREATE(4, sizeof(unsigned int));
	ASSERT_EQ(0, set_async(self->fd, true));
	ASSERT_EQ(0, put_one(self->fd, 1));
	ASSERT_TRUE(wait_count(&io_count, 1, WAKE_MS));
	ASSERT_EQ(0, set_async(self->fd, false));
	ASSERT_EQ(0, put_one(self->fd, 2));
	sleep_ms(SETTLE_MS);
	ASSERT_EQ(1, io_count);
}

/* SIGIO when the owner of an owned mailbox closes it (POLL_HUP) */
TEST_F(msgq, fasync_sigio_on_owner_close)
{
	int owner;

	ASSERT_EQ(0, install_io(SIGRTMIN));
	owner = msgq_create_at(self->dev, self->name,
			       MSGQ_O_RDWR | MSGQ_O_EXCL | MSGQ_O_OWNED, 0600,
			       2, sizeof(unsigned int));
	ASSERT_LE(0, owner);
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, fcntl(self->fd2, F_SETSIG, SIGRTMIN));
	ASSERT_EQ(0, set_async(self->fd2, true));
	ASSERT_EQ(0, close(owner));
	ASSERT_TRUE(wait_count(&io_count, 1, WAKE_MS)) TH_LOG("no signal");
	ASSERT_EQ(self->fd2, io_fd);
	ASSERT_EQ(POLL_HUP, io_code);
}

/*
 * A rendezvous send offers its message: the receiver's handle reports
 * EPOLLIN from then on, so an O_ASYNC receiver must get SIGIO then, while
 * the sender waits, not only once someone has taken the message (which a
 * receiver driven by SIGIO would never do).
 */
TEST_F(msgq, fasync_sigio_on_rendezvous_offer)
{
	struct call c = { .op = CALL_SEND_ARGS, .id = 21 };
	struct pollfd pfd;

	ASSERT_EQ(0, install_io(SIGIO));
	MBOX_CREATE(0, sizeof(unsigned int));
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, set_async(self->fd2, true));
	c.fd = self->fd;
	ASSERT_TRUE(call_start_blocked(&c));
	pfd.fd = self->fd2;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 0));		/* the offer is readable */
	wait_count(&io_count, 1, 2000);
	EXPECT_LE(1, io_count) TH_LOG("no SIGIO while the offer waits");
	/* take it, so that the sender can go */
	ASSERT_EQ(21, take_one(self->fd2));
	ASSERT_TRUE(call_wait(&c, WAKE_MS));
	ASSERT_EQ(0, c.ret);
}

TEST_HARNESS_MAIN
