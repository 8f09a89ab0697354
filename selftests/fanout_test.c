// SPDX-License-Identifier: GPL-2.0
/*
 * Fan-out mailboxes (MSGQ_O_FANOUT): every handle that may receive is a
 * subscription, which gets every message sent after it was opened, in
 * priority order, exactly once, until it is closed. A full subscription
 * blocks senders, or with MSGQ_O_FANOUT_DROP loses the message it would
 * take last and counts it. A message is stored once: the live message count
 * of the stats file counts it once however many subscriptions hold it, and
 * falls back when the last of them has taken it or has gone.
 */
#include <poll.h>
#include <sys/epoll.h>
#include <sys/uio.h>

#include "msgq_test.h"

#define SUB_FLAGS	(MSGQ_O_RECV | MSGQ_O_CLOEXEC)
#define NSUBS		3

/* A fan-out mailbox self->name of @max_msgs unsigned ints, sending in self->fd. */
#define FANOUT_CREATE(extra, max_msgs) do {				\
	self->fd = msgq_create_at(self->dev, self->name,		\
				  MSGQ_O_SEND | MSGQ_O_EXCL |		\
				  MSGQ_O_CLOEXEC | MSGQ_O_FANOUT | (extra), \
				  0600, (max_msgs), 64);		\
	ASSERT_LE(0, self->fd) TH_LOG("create: %s", strerror(errno));	\
} while (0)

/* A new subscription of self->name. */
static int subscribe(int dev, const char *name)
{
	return msgq_open_at(dev, name, SUB_FLAGS);
}

static int send_prio(int fd, unsigned int v, unsigned int prio)
{
	struct msgq_send s = {
		.buf = ptr_to_u64(&v), .len = sizeof(v), .prio = prio,
		.flags = MSGQ_F_NONBLOCK,
	};

	return msgq_send_args(fd, &s);
}

/* A non-blocking receive: the value, its priority in *@prio; -1 if none. */
static long take_prio(int fd, unsigned int *prio)
{
	unsigned int v;
	struct msgq_recv r = {
		.buf = ptr_to_u64(&v), .cap = sizeof(v),
		.flags = MSGQ_F_NONBLOCK,
	};

	if (msgq_recv_args(fd, &r) != sizeof(v))
		return -1;
	*prio = r.prio;
	return v;
}

/* The value of line @key of /proc/self/fdinfo/@fd into @buf: 0 or -1. */
static int fdinfo_field(int fd, const char *key, char *buf, size_t size)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	int ret = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (ret && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		snprintf(buf, size, "%s", line + klen + 1 + strspn(line + klen + 1, "\t "));
		buf[strcspn(buf, "\n")] = '\0';
		ret = 0;
	}
	fclose(f);
	return ret;
}

static long long live_messages(void)
{
	return msgq_stat("messages");
}

/* create: the flags' rules; getattr shows them; a sync send is EINVAL */
TEST_F(msgq, flags_and_their_rules)
{
	unsigned int v = 1;
	struct msgq_send s = {
		.buf = ptr_to_u64(&v), .len = sizeof(v), .flags = MSGQ_F_SYNC,
	};
	struct msgq_attr a;

	ASSERT_ERRNO(EINVAL, msgq_create_at(self->dev, self->name,
					    MSGQ_O_RDWR | MSGQ_O_FANOUT_DROP,
					    0600, 4, 4), "drop without fanout");
	ASSERT_ERRNO(EINVAL, msgq_create_at(self->dev, self->name,
					    MSGQ_O_RDWR | MSGQ_O_FANOUT,
					    0600, 0, 4), "rendezvous");
	FANOUT_CREATE(0, 4);
	a = attr_of(self->fd);
	ASSERT_EQ((__u32)MSGQ_ATTR_FANOUT, a.flags);
	ASSERT_EQ(0U, a.subscribers);
	ASSERT_ERRNO(EINVAL, msgq_send_args(self->fd, &s));
	ASSERT_EQ(0U, attr_of(self->fd).total_sent);

	ASSERT_EQ(0, msgq_unlink_at(self->dev, self->name));
	close(self->fd);
	FANOUT_CREATE(MSGQ_O_FANOUT_DROP, 4);
	a = attr_of(self->fd);
	ASSERT_EQ((__u32)(MSGQ_ATTR_FANOUT | MSGQ_ATTR_FANOUT_DROP), a.flags);
}

/* every subscription gets every message, in priority order, FIFO within one */
TEST_F(msgq, every_subscription_gets_every_message_in_order)
{
	static const unsigned int prios[] = { 1, 7, 1, 0, 7, 3, 100, 32767, 3 };
	unsigned int n = ARRAY_SIZE(prios), i, k, p, last_p, want[ARRAY_SIZE(prios)];
	int subs[NSUBS];
	long v;

	FANOUT_CREATE(0, 16);
	for (k = 0; k < NSUBS; k++) {
		subs[k] = subscribe(self->dev, self->name);
		ASSERT_LE(0, subs[k]);
	}
	ASSERT_EQ((__u32)NSUBS, attr_of(self->fd).subscribers);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, send_prio(self->fd, i, prios[i]));
	}
	ASSERT_EQ((__u32)n, attr_of(self->fd).max_backlog);

	/* the expected order: by priority, highest first, then by sending */
	for (i = 0, k = 0; k < n; k++)
		want[k] = k;
	for (i = 1; i < n; i++)
		for (k = i; k > 0 && prios[want[k]] > prios[want[k - 1]]; k--) {
			unsigned int t = want[k];

			want[k] = want[k - 1];
			want[k - 1] = t;
		}
	for (k = 0; k < NSUBS; k++) {
		ASSERT_EQ((__u32)n, attr_of(subs[k]).cur_msgs);
		last_p = UINT32_MAX;
		for (i = 0; i < n; i++) {
			v = take_prio(subs[k], &p);
			ASSERT_EQ((long)want[i], v) TH_LOG("sub %u msg %u", k, i);
			ASSERT_EQ(prios[v], p);
			ASSERT_LE(p, last_p);
			last_p = p;
		}
		ASSERT_EQ(-1, take_one(subs[k]));
		ASSERT_EQ((__u32)n, attr_of(subs[k]).total_received);
		close(subs[k]);
	}
	ASSERT_EQ(0U, attr_of(self->fd).subscribers);
}

/* a late subscription sees only what is sent after it; nobody, nothing */
TEST_F(msgq, late_subscription_sees_only_later_messages)
{
	int early, late;

	FANOUT_CREATE(0, 8);
	ASSERT_EQ(0, put_one(self->fd, 1));	/* reaches nobody */
	early = subscribe(self->dev, self->name);
	ASSERT_LE(0, early);
	ASSERT_EQ(0, put_one(self->fd, 2));
	late = subscribe(self->dev, self->name);
	ASSERT_LE(0, late);
	ASSERT_EQ(0, put_one(self->fd, 3));
	ASSERT_EQ(3U, attr_of(self->fd).total_sent);

	ASSERT_EQ(2, take_one(early));
	ASSERT_EQ(3, take_one(early));
	ASSERT_EQ(-1, take_one(early));
	ASSERT_EQ(3, take_one(late));
	ASSERT_EQ(-1, take_one(late));
	close(early);
	close(late);
}

/* a read-write handle is a subscription too, and gets its own messages */
TEST_F(msgq, read_write_handle_receives_its_own)
{
	int rw;

	FANOUT_CREATE(0, 4);
	rw = msgq_open_at(self->dev, self->name, MSGQ_O_RDWR);
	ASSERT_LE(0, rw);
	ASSERT_EQ(0, put_one(rw, 5));
	ASSERT_EQ(5, take_one(rw));
	close(rw);
}

/*
 * A subscription that never reads blocks senders once full: EAGAIN, or a
 * blocked sender, which its first receive (or its close) lets through;
 * EPOLLOUT follows. A send cut short reaches no subscription.
 */
TEST_F(msgq, full_subscription_blocks_senders)
{
	struct pollfd pfd = { .events = POLLOUT };
	int stuck, reader, status;
	unsigned int v = 2;
	struct timespec ts;
	pid_t pid;

	FANOUT_CREATE(0, 2);
	pfd.fd = self->fd;
	stuck = subscribe(self->dev, self->name);
	reader = subscribe(self->dev, self->name);
	ASSERT_LE(0, stuck);
	ASSERT_LE(0, reader);
	ASSERT_EQ(0, put_one(self->fd, 0));
	ASSERT_EQ(0, put_one(self->fd, 1));
	ASSERT_EQ(0, take_one(reader));
	ASSERT_EQ(1, take_one(reader));
	ASSERT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_ERRNO(EAGAIN, put_one(self->fd, 2));
	ts = realtime_in_ms(50);
	ASSERT_ERRNO(ETIMEDOUT, msgq_timedsend(self->fd, &v, sizeof(v), 0, &ts));
	ASSERT_EQ(-1, take_one(reader));	/* all or nothing */
	ASSERT_EQ(2U, attr_of(self->fd).total_sent);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Its copy of stuck would keep the subscription open. */
		close(stuck);
		v = 3;
		_exit(msgq_send(self->fd, &v, sizeof(v), 0) ? 1 : 0);
	}
	ASSERT_TRUE(wait_blocked_in(pid, pid, SYS_msgq_any, 5000));
	sleep_ms(SETTLE_MS);
	ASSERT_EQ(0, waitpid(pid, &status, WNOHANG));
	ASSERT_EQ(0, take_one(stuck));
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
	ASSERT_EQ(3, take_one(reader));
	ASSERT_EQ(0, poll(&pfd, 1, 0));		/* stuck is full again */

	/* the stuck subscription's close makes room as well */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(stuck);
		v = 4;
		_exit(msgq_send(self->fd, &v, sizeof(v), 0) ? 1 : 0);
	}
	ASSERT_TRUE(wait_blocked_in(pid, pid, SYS_msgq_any, 5000));
	close(stuck);
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
	ASSERT_EQ(4, take_one(reader));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_EQ(POLLOUT, pfd.revents);
	close(reader);
}

/*
 * MSGQ_O_FANOUT_DROP: a full subscription loses the oldest message of the
 * lowest priority it holds, and counts it in lost; the others lose
 * nothing, and senders never wait.
 */
TEST_F(msgq, drop_policy_loses_for_the_full_one_only)
{
	unsigned int p;
	int stuck, reader;

	FANOUT_CREATE(MSGQ_O_FANOUT_DROP, 2);
	stuck = subscribe(self->dev, self->name);
	reader = subscribe(self->dev, self->name);
	ASSERT_LE(0, stuck);
	ASSERT_LE(0, reader);
	ASSERT_EQ(0, send_prio(self->fd, 10, 1));
	ASSERT_EQ(10, take_prio(reader, &p));
	ASSERT_EQ(0, send_prio(self->fd, 11, 5));
	ASSERT_EQ(11, take_prio(reader, &p));
	ASSERT_EQ(0, send_prio(self->fd, 12, 1));	/* drops 10 for stuck */
	ASSERT_EQ(12, take_prio(reader, &p));
	ASSERT_EQ(0, send_prio(self->fd, 13, 9));	/* drops 12 */
	ASSERT_EQ(13, take_prio(reader, &p));
	ASSERT_EQ(2ULL, attr_of(stuck).lost);
	ASSERT_EQ(0ULL, attr_of(reader).lost);
	ASSERT_EQ(4U, attr_of(reader).total_received);
	/* lower than all it holds: the new one is lost */
	ASSERT_EQ(0, send_prio(self->fd, 14, 0));
	ASSERT_EQ(14, take_prio(reader, &p));
	ASSERT_EQ(3ULL, attr_of(stuck).lost);
	ASSERT_EQ(13, take_prio(stuck, &p));
	ASSERT_EQ(9U, p);
	ASSERT_EQ(11, take_prio(stuck, &p));
	ASSERT_EQ(-1, take_one(stuck));
	ASSERT_EQ(5U, attr_of(self->fd).total_sent);
	close(stuck);
	close(reader);
}

/*
 * A dropping send never waits, even when all that a full subscription
 * holds is being copied out (large messages, batch receives: off the lists
 * while they are copied): then the new message is the one lost. Every
 * message sent is received or counted lost.
 */
#define BIG_LEN		5000
#define BIG_SENDS	600

TEST_F(msgq, drop_policy_never_waits_with_messages_in_flight)
{
	static char big[BIG_LEN];
	struct msgq_send s = {
		.buf = ptr_to_u64(big), .len = BIG_LEN,
		.flags = MSGQ_F_NONBLOCK,
	};
	struct msgq_attr a;
	int sub, idle, i;
	pid_t pid;

	self->fd = msgq_create_at(self->dev, self->name,
				  MSGQ_O_SEND | MSGQ_O_EXCL | MSGQ_O_CLOEXEC |
				  MSGQ_O_FANOUT | MSGQ_O_FANOUT_DROP, 0600, 1,
				  BIG_LEN);
	ASSERT_LE(0, self->fd);
	sub = subscribe(self->dev, self->name);
	idle = subscribe(self->dev, self->name);
	ASSERT_LE(0, sub);
	ASSERT_LE(0, idle);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		static char bufs[2][BIG_LEN];
		struct msgq_mmsg m[2];
		struct msgq_batch b = {
			.msgs = ptr_to_u64(m), .count = 2,
			.flags = MSGQ_F_TIMEOUT, .timeout = ns_mts(2000 * MS),
		};

		for (;;) {
			memset(m, 0, sizeof(m));
			m[0].buf = ptr_to_u64(bufs[0]);
			m[0].len = BIG_LEN;
			m[1].buf = ptr_to_u64(bufs[1]);
			m[1].len = BIG_LEN;
			if (msgq_recv_batch_args(sub, &b) < 0)
				_exit(errno == ETIMEDOUT ? 0 : 1);
		}
	}
	for (i = 0; i < BIG_SENDS; i++) {
		ASSERT_EQ(0, msgq_send_args(self->fd, &s)) TH_LOG("send %d: %s",
								 i, strerror(errno));
	}
	ASSERT_EQ(0, wait_child_ms(pid, 60000));
	a = attr_of(sub);
	ASSERT_EQ((__u64)BIG_SENDS, a.total_sent);
	ASSERT_EQ((__u64)BIG_SENDS, a.total_received + a.lost + a.cur_msgs);
	ASSERT_LT(0ULL, a.total_received);
	a = attr_of(idle);
	ASSERT_EQ((__u64)BIG_SENDS - 1, a.lost);
	ASSERT_EQ(1U, a.cur_msgs);
	close(sub);
	close(idle);
}

/*
 * Room made by every kind of receive wakes a blocked sender and a blocked
 * poller: a large message (copied with the lock dropped), read(2).
 */
TEST_F(msgq, large_receive_wakes_blocked_sender_and_poller)
{
	static char big[BIG_LEN];
	int sub, status;
	pid_t sender, poller;

	self->fd = msgq_create_at(self->dev, self->name,
				  MSGQ_O_SEND | MSGQ_O_EXCL | MSGQ_O_CLOEXEC |
				  MSGQ_O_FANOUT, 0600, 1, BIG_LEN);
	ASSERT_LE(0, self->fd);
	sub = subscribe(self->dev, self->name);
	ASSERT_LE(0, sub);
	ASSERT_EQ(0, msgq_send(self->fd, big, BIG_LEN, 0));
	poller = fork();
	ASSERT_LE(0, poller);
	if (!poller) {
		struct pollfd pfd = { .fd = self->fd, .events = POLLOUT };

		close(sub);
		_exit(poll(&pfd, 1, 20000) == 1 && pfd.revents == POLLOUT ? 0 : 1);
	}
	ASSERT_TRUE(wait_blocked_in(poller, poller, SYS_any, 5000));
	sleep_ms(SETTLE_MS);
	ASSERT_EQ(0, waitpid(poller, &status, WNOHANG));
	ASSERT_EQ((ssize_t)BIG_LEN, read(sub, big, sizeof(big)));
	ASSERT_EQ(0, wait_child_ms(poller, WAKE_MS));

	/* the same for a sender (alone: it fills the room it is given) */
	ASSERT_EQ(0, msgq_send(self->fd, big, BIG_LEN, 0));
	sender = fork();
	ASSERT_LE(0, sender);
	if (!sender) {
		close(sub);
		_exit(msgq_send(self->fd, big, BIG_LEN, 0) ? 1 : 0);
	}
	ASSERT_TRUE(wait_blocked_in(sender, sender, SYS_msgq_any, 5000));
	sleep_ms(SETTLE_MS);
	ASSERT_EQ(0, waitpid(sender, &status, WNOHANG));
	ASSERT_EQ((ssize_t)BIG_LEN, read(sub, big, sizeof(big)));
	ASSERT_EQ(0, wait_child_ms(sender, WAKE_MS));
	ASSERT_EQ((ssize_t)BIG_LEN, read(sub, big, sizeof(big)));
	close(sub);
}

/*
 * A signal ends a blocked fan-out send with EINTR (no SA_RESTART), and the
 * message reaches no subscription, not even those with room.
 */
static void on_usr1(int sig)
{
}

TEST_F(msgq, signal_ends_blocked_send_reaching_nobody)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	int stuck, roomy;
	pid_t pid;

	FANOUT_CREATE(0, 1);
	stuck = subscribe(self->dev, self->name);
	roomy = subscribe(self->dev, self->name);
	ASSERT_LE(0, stuck);
	ASSERT_LE(0, roomy);
	ASSERT_EQ(0, put_one(self->fd, 1));
	ASSERT_EQ(1, take_one(roomy));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		unsigned int v = 2;

		sigaction(SIGUSR1, &sa, NULL);
		_exit(msgq_send(self->fd, &v, sizeof(v), 0) == -1 &&
		      errno == EINTR ? 0 : 1);
	}
	ASSERT_TRUE(wait_blocked_in(pid, pid, SYS_msgq_any, 5000));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
	ASSERT_EQ(-1, take_one(roomy));
	ASSERT_EQ(1U, attr_of(stuck).cur_msgs);
	ASSERT_EQ(1U, attr_of(self->fd).total_sent);
	close(stuck);
	close(roomy);
}

/* readv(2) on a subscription: one whole message over the iovecs */
TEST_F(msgq, readv_on_a_subscription)
{
	char a[3], b[8];
	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	int sub;

	FANOUT_CREATE(0, 4);
	sub = subscribe(self->dev, self->name);
	ASSERT_LE(0, sub);
	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	ASSERT_EQ(10, readv(sub, iov, 2));
	ASSERT_EQ(0, memcmp(a, "012", 3));
	ASSERT_EQ(0, memcmp(b, "3456789", 7));
	close(sub);
}

/*
 * A message is stored once, and freed with its last subscription: the
 * live count goes up by one per send whatever the subscriptions, and back
 * to where it was when a subscription that never read is closed, or its
 * process killed.
 */
TEST_F(msgq, message_stored_once_and_freed_with_its_last_subscription)
{
	long long base = live_messages();
	int subs[NSUBS], k;
	pid_t pid;

	if (base < 0)
		SKIP(return, "no %s", MSGQ_STATS_PATH);
	FANOUT_CREATE(0, 8);
	for (k = 0; k < NSUBS; k++) {
		subs[k] = subscribe(self->dev, self->name);
		ASSERT_LE(0, subs[k]);
	}
	ASSERT_TRUE(fill_n(self->fd, 4));
	ASSERT_EQ(base + 4, live_messages());
	for (k = 0; k < 4; k++) {
		ASSERT_EQ(k, take_one(subs[0]));
	}
	ASSERT_EQ(base + 4, live_messages());
	close(subs[1]);
	ASSERT_EQ(base + 4, live_messages());

	/* the last holder is a process killed with SIGKILL */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		pause();
		_exit(0);
	}
	close(subs[2]);
	ASSERT_EQ(base + 4, live_messages());
	kill(pid, SIGKILL);
	ASSERT_EQ(256 + SIGKILL, wait_child_ms(pid, WAKE_MS));
	ASSERT_EQ(base, live_messages());
	close(subs[0]);
}

/* epoll, edge-triggered, one entry per subscription */
TEST_F(msgq, epoll_edge_triggered_per_subscription)
{
	struct epoll_event ev[4];
	int ep, a, b;

	FANOUT_CREATE(0, 8);
	a = subscribe(self->dev, self->name);
	b = subscribe(self->dev, self->name);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_LE(0, ep);
	ev[0] = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.fd = a };
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev[0]));
	ev[0] = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.fd = b };
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev[0]));
	ASSERT_EQ(0, epoll_wait(ep, ev, 4, 0));

	ASSERT_EQ(0, put_one(self->fd, 1));
	ASSERT_EQ(2, epoll_wait(ep, ev, 4, 1000));
	ASSERT_EQ(0, epoll_wait(ep, ev, 4, 0));		/* edge: once */
	ASSERT_EQ(1, take_one(a));
	ASSERT_EQ(0, put_one(self->fd, 2));
	ASSERT_EQ(2, epoll_wait(ep, ev, 4, 1000));
	ASSERT_EQ(2, take_one(a));
	ASSERT_EQ(1, take_one(b));
	ASSERT_EQ(2, take_one(b));
	ASSERT_EQ(0, epoll_wait(ep, ev, 4, 0));
	close(ep);
	close(a);
	close(b);
}

/* peek, timed and batch receives on a subscription, as on any mailbox */
TEST_F(msgq, peek_timeout_and_batch_on_a_subscription)
{
	unsigned int v = 0, p, vals[4];
	struct msgq_mmsg m[4];
	struct timespec ts;
	uint64_t t0;
	int sub, k;

	FANOUT_CREATE(0, 8);
	sub = subscribe(self->dev, self->name);
	ASSERT_LE(0, sub);
	t0 = now_ns(CLOCK_REALTIME);	/* before the deadline is computed */
	ts = realtime_in_ms(100);
	ASSERT_ERRNO(ETIMEDOUT, msgq_timedrecv(sub, &v, sizeof(v), &p, &ts));
	ASSERT_LE(ts_ns(&ts), now_ns(CLOCK_REALTIME));
	ASSERT_LE(t0 + 100 * MS, now_ns(CLOCK_REALTIME));

	ASSERT_TRUE(fill_n(self->fd, 4));
	ASSERT_EQ((ssize_t)sizeof(v), msgq_peek(sub, &v, sizeof(v), &p));
	ASSERT_EQ(0U, v);
	memset(m, 0, sizeof(m));
	for (k = 0; k < 4; k++) {
		m[k].buf = ptr_to_u64(&vals[k]);
		m[k].len = sizeof(vals[k]);
	}
	ASSERT_EQ(4, msgq_recv_batch(sub, m, 4, MSGQ_F_NONBLOCK));
	for (k = 0; k < 4; k++) {
		ASSERT_EQ((unsigned int)k, vals[k]);
	}
	close(sub);
}

/* a batch send reaches every subscription, in order */
TEST_F(msgq, batch_send_reaches_every_subscription)
{
	unsigned int vals[3] = { 7, 8, 9 };
	struct msgq_mmsg m[3];
	int a, b, k;

	FANOUT_CREATE(0, 8);
	a = subscribe(self->dev, self->name);
	b = subscribe(self->dev, self->name);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	memset(m, 0, sizeof(m));
	for (k = 0; k < 3; k++) {
		m[k].buf = ptr_to_u64(&vals[k]);
		m[k].len = sizeof(vals[k]);
	}
	ASSERT_EQ(3, msgq_send_batch(self->fd, m, 3, MSGQ_F_NONBLOCK));
	for (k = 0; k < 3; k++) {
		ASSERT_EQ((long)vals[k], take_one(a));
		ASSERT_EQ((long)vals[k], take_one(b));
	}
	close(a);
	close(b);
}

/*
 * The owner's close kills the subscriptions: a receiver blocked on one
 * wakes with EIDRM, and poll says EPOLLHUP.
 */
TEST_F(msgq, owner_close_ends_every_subscription)
{
	struct pollfd pfd = { .events = POLLIN };
	int sub;
	pid_t pid;

	self->fd = msgq_create_at(self->dev, self->name,
				  MSGQ_O_SEND | MSGQ_O_OWNED | MSGQ_O_FANOUT |
				  MSGQ_O_CLOEXEC, 0600, 4, 4);
	ASSERT_LE(0, self->fd);
	sub = subscribe(self->dev, self->name);
	ASSERT_LE(0, sub);
	pfd.fd = sub;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		unsigned int v;

		close(self->fd);
		_exit(msgq_recv(sub, &v, sizeof(v), NULL) == -1 &&
		      errno == EIDRM ? 0 : 1);
	}
	ASSERT_TRUE(wait_blocked_in(pid, pid, SYS_msgq_any, 5000));
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_TRUE(pfd.revents & POLLHUP);
	ASSERT_ERRNO(EIDRM, msgq_recv(sub, &pfd, sizeof(pfd), NULL));
	close(sub);
}

/* /proc/msgq: the flags and the subscriptions; cur_msgs the deepest */
TEST_F(msgq, proc_shows_subscriptions_and_deepest_backlog)
{
	char line[512], flags[64];
	unsigned int max, cur, subs;
	bool found = false;
	FILE *f;
	int a, b;

	FANOUT_CREATE(MSGQ_O_FANOUT_DROP, 8);
	a = subscribe(self->dev, self->name);
	b = subscribe(self->dev, self->name);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_TRUE(fill_n(self->fd, 3));
	ASSERT_EQ(0, take_one(a));
	f = fopen("/proc/msgq", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	ASSERT_NE(NULL, strstr(line, " flags subscribers"));
	while (fgets(line, sizeof(line), f)) {
		char name[MSGQ_NAME_MAX + 1];

		if (sscanf(line, "%255s %u %*u %u %*u %*u %*u %*o %*u %*u %63s %u",
			   name, &max, &cur, flags, &subs) != 5 ||
		    strcmp(name, self->name))
			continue;
		found = true;
		ASSERT_EQ(8U, max);
		ASSERT_EQ(3U, cur);
		ASSERT_STREQ("fanout-drop", flags);
		ASSERT_EQ(2U, subs);
	}
	fclose(f);
	ASSERT_TRUE(found);

	/* fdinfo: the same mailbox, its subscriptions, this one's losses */
	ASSERT_EQ(0, fdinfo_field(self->fd, "msgq-id", line, sizeof(line)));
	ASSERT_EQ(0, fdinfo_field(a, "msgq-id", flags, sizeof(flags)));
	ASSERT_STREQ(line, flags);
	ASSERT_EQ(0, fdinfo_field(a, "msgq-name", line, sizeof(line)));
	ASSERT_STREQ(self->name, line);
	ASSERT_EQ(0, fdinfo_field(a, "msgq-subscribers", line, sizeof(line)));
	ASSERT_STREQ("2", line);
	ASSERT_EQ(0, fdinfo_field(a, "msgq-depth", line, sizeof(line)));
	ASSERT_STREQ("2", line);
	ASSERT_EQ(0, fdinfo_field(b, "msgq-lost", line, sizeof(line)));
	ASSERT_STREQ("0", line);
	close(a);
	close(b);
}

/*
 * N subscriber processes, M sender processes, a small capacity: every
 * subscription gets every message exactly once, and each sender's messages
 * of one priority in the order sent.
 */
#define SENDERS		3
#define PER_SENDER	300
#define SUBSCRIBERS	4

struct tagged {
	unsigned int sender;
	unsigned int seq;
};

TEST_F(msgq, many_senders_many_subscribers_exactly_once)
{
	pid_t senders[SENDERS], subscribers[SUBSCRIBERS];
	int subs[SUBSCRIBERS], i;

	FANOUT_CREATE(0, 4);
	for (i = 0; i < SUBSCRIBERS; i++) {
		subs[i] = subscribe(self->dev, self->name);
		ASSERT_LE(0, subs[i]);
	}
	for (i = 0; i < SUBSCRIBERS; i++) {
		subscribers[i] = fork();
		ASSERT_LE(0, subscribers[i]);
		if (!subscribers[i]) {
			static unsigned char seen[SENDERS][PER_SENDER];
			unsigned int last[SENDERS][4] = { { 0 } };
			unsigned int n, p;
			struct tagged t;
			struct timespec ts;

			memset(last, 0xff, sizeof(last));
			for (n = 0; n < SENDERS * PER_SENDER; n++) {
				ts = realtime_in_ms(20000);
				if (msgq_timedrecv(subs[i], &t, sizeof(t), &p,
						   &ts) != sizeof(t))
					_exit(1);
				if (t.sender >= SENDERS || t.seq >= PER_SENDER ||
				    seen[t.sender][t.seq]++ || p != t.seq % 4)
					_exit(2);
				if (last[t.sender][p] != UINT32_MAX &&
				    last[t.sender][p] >= t.seq)
					_exit(3);
				last[t.sender][p] = t.seq;
			}
			_exit(take_one(subs[i]) == -1 ? 0 : 4);
		}
	}
	for (i = 0; i < SENDERS; i++) {
		senders[i] = fork();
		ASSERT_LE(0, senders[i]);
		if (!senders[i]) {
			struct tagged t = { .sender = i };

			for (t.seq = 0; t.seq < PER_SENDER; t.seq++)
				if (msgq_send(self->fd, &t, sizeof(t), t.seq % 4))
					_exit(1);
			_exit(0);
		}
	}
	for (i = 0; i < SENDERS; i++) {
		ASSERT_EQ(0, wait_child_ms(senders[i], 120000)) TH_LOG("sender %d", i);
	}
	for (i = 0; i < SUBSCRIBERS; i++) {
		ASSERT_EQ(0, wait_child_ms(subscribers[i], 120000)) TH_LOG("subscriber %d", i);
	}
	ASSERT_EQ((__u64)SENDERS * PER_SENDER, attr_of(self->fd).total_sent);
	for (i = 0; i < SUBSCRIBERS; i++)
		close(subs[i]);
}

TEST_HARNESS_MAIN
