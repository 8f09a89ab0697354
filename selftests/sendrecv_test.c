// SPDX-License-Identifier: GPL-2.0
/*
 * MSGQ_IOC_SEND_RECV, with raw ioctls, against the contract of struct
 * msgq_send_recv in uapi/msgq.h:
 *
 * - the send half goes out on @send_fd, the receive half comes in on the
 *   handle the call is made on; request/reply between two processes keeps
 *   content, priorities and the sender's identity;
 * - MSGQ_SR_SENT is written back once the message is queued, and stays set
 *   when the receive half fails (EAGAIN, ETIMEDOUT, EMSGSIZE, EFAULT,
 *   EINTR): the message is then on the send mailbox, once;
 * - a failed send half fails the call with its error, SENT clear, nothing
 *   received; SENT set on entry skips the send;
 * - @send_fd not a msgq handle with the send right: EBADF; unknown flag
 *   bits and non-zero __reserved: EINVAL; @send_fd may be the receiving
 *   handle itself; a receive half the call would refuse (EINVAL, EBADF)
 *   fails it before anything is sent;
 * - a receive restarted after a signal (SA_RESTART) does not send again;
 * - a bad args pointer, or @flags not writable: EFAULT, nothing sent;
 * - libmsgq's msgq_sendrecv() reports the length, priority and *sent, and
 *   msgq_sendrecv_args() (and its old name msgq_send_recv_args()) is the
 *   ioctl as it stands.
 *
 * The receiving mailbox is self->fd (self->name), the send mailbox
 * self->fd2 (self->name2); both are read-write so that the tests can look
 * at what is queued on either.
 */
#include "msgq_test.h"

/* A message of the tests (tmsg_make()): a sequence number, a checkable body. */
struct smsg {
	unsigned int seq;
	unsigned int seed;
	unsigned char body[40];
};

static void smsg_make(struct smsg *m, unsigned int seq, unsigned int seed)
{
	tmsg_make(m, sizeof(*m), seq, seed);
}

static bool smsg_ok(const struct smsg *m, unsigned int seq, unsigned int seed)
{
	return tmsg_ok(m, sizeof(*m), seq, seed);
}

/* Fill @a: send @slen bytes of @sbuf at @prio on @send_fd, receive into
 * @rbuf of @cap bytes; every other field zero. */
static void sr_init(struct msgq_send_recv *a, int send_fd, const void *sbuf,
		    __u32 slen, __u32 prio, void *rbuf, __u32 cap)
{
	memset(a, 0, sizeof(*a));
	a->send.buf = ptr_to_u64(sbuf);
	a->send.len = slen;
	a->send.prio = prio;
	a->recv.buf = ptr_to_u64(rbuf);
	a->recv.cap = cap;
	a->send_fd = send_fd;
}

static int sr(int fd, struct msgq_send_recv *a)
{
	return ioctl(fd, MSGQ_IOC_SEND_RECV, a);
}

/* Both mailboxes, for struct smsg messages. */
#define BOTH_CREATE(max_msgs) do {					\
	MBOX_CREATE((max_msgs), sizeof(struct smsg));			\
	MBOX2_CREATE((max_msgs), sizeof(struct smsg));			\
} while (0)

/* Non-blocking receive of one struct smsg; true if it is @seq/@seed. */
static bool take_smsg(int fd, unsigned int seq, unsigned int seed,
		      unsigned int prio)
{
	struct smsg m;
	struct msgq_recv r = {
		.buf = ptr_to_u64(&m), .cap = sizeof(m),
		.flags = MSGQ_F_NONBLOCK,
	};

	memset(&m, 0, sizeof(m));
	if (msgq_recv_args(fd, &r) != (ssize_t)sizeof(m))
		return false;
	return r.prio == prio && smsg_ok(&m, seq, seed);
}

static bool send_smsg(int fd, unsigned int seq, unsigned int seed,
		      unsigned int prio)
{
	struct smsg m;

	smsg_make(&m, seq, seed);
	return msgq_send(fd, &m, sizeof(m), prio) == 0;
}

/* Every byte of @p is @c. */
static bool all_bytes(const void *p, size_t len, unsigned char c)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != c)
			return false;
	return true;
}

/*
 * Nothing moved: @rfd still holds @rdepth messages and received none,
 * @sfd holds @sdepth and was sent @ssent in all.
 */
static bool counts_are(int rfd, unsigned int rdepth, int sfd,
		       unsigned int sdepth, unsigned int ssent)
{
	struct msgq_attr r = attr_of(rfd), s = attr_of(sfd);

	return r.cur_msgs == rdepth && r.total_received == 0 &&
	       s.cur_msgs == sdepth && s.total_sent == ssent;
}

/* ------------------------------------------------------------------ */
/* A thread making one MSGQ_IOC_SEND_RECV */

struct sr_call {
	struct call call;	/* the ioctl with @a */
	struct msgq_send_recv a;
	struct smsg out, in;
};

/*
 * Set up @c to send message @seq (seed @seq + 100, prio 1) on @send_fd
 * and receive on @fd; the caller may adjust c->a before starting it.
 */
static void sr_call_init(struct sr_call *c, int fd, int send_fd,
			 unsigned int seq)
{
	memset(c, 0, sizeof(*c));
	c->call = (struct call){ .op = CALL_IOCTL, .fd = fd,
				 .req = MSGQ_IOC_SEND_RECV, .arg = &c->a };
	smsg_make(&c->out, seq, seq + 100);
	sr_init(&c->a, send_fd, &c->out, sizeof(c->out), 1, &c->in,
		sizeof(c->in));
}

static __u32 sr_flags(struct sr_call *c)
{
	return __atomic_load_n(&c->a.flags, __ATOMIC_SEQ_CST);
}

/* ------------------------------------------------------------------ */
/* Success */

/*
 * One call: the request lands on the send mailbox, the reply waiting on
 * the receiving one comes back with every field, SENT is set.
 */
TEST_F(msgq, send_then_receive_one_call)
{
	struct msgq_send_recv a;
	struct smsg out, in[2];
	uint64_t before = now_ns(CLOCK_REALTIME);
	struct msgq_attr at;

	BOTH_CREATE(4);
	ASSERT_TRUE(send_smsg(self->fd, 1, 11, 9));	/* the reply */
	smsg_make(&out, 2, 22);
	memset(in, 0x5a, sizeof(in));
	sr_init(&a, self->fd2, &out, sizeof(out), 5, in, sizeof(in));
	ASSERT_EQ(0, sr(self->fd, &a)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(MSGQ_SR_SENT, a.flags);
	ASSERT_EQ(sizeof(struct smsg), a.recv.len);
	ASSERT_EQ(9U, a.recv.prio);
	ASSERT_EQ(getpid(), a.recv.pid);
	ASSERT_EQ(geteuid(), a.recv.uid);
	ASSERT_LE(before, a.recv.sent_ns);
	ASSERT_TRUE(smsg_ok(&in[0], 1, 11));
	/* nothing written past the message */
	ASSERT_TRUE(all_bytes(&in[1], sizeof(in[1]), 0x5a));
	/* the inputs are as they were */
	ASSERT_EQ(ptr_to_u64(&out), a.send.buf);
	ASSERT_EQ(sizeof(out), a.send.len);
	ASSERT_EQ(5U, a.send.prio);
	ASSERT_EQ(self->fd2, a.send_fd);
	/* the request waits on the send mailbox, at its priority */
	at = attr_of(self->fd2);
	ASSERT_EQ(1U, at.cur_msgs);
	ASSERT_EQ(1U, at.total_sent);
	ASSERT_TRUE(take_smsg(self->fd2, 2, 22, 5));
	at = attr_of(self->fd);
	ASSERT_EQ(0U, at.cur_msgs);
	ASSERT_EQ(1U, at.total_received);
	ASSERT_EQ(1U, at.total_sent);
}

/* the send half may block until there is room, then the receive goes on */
TEST_F(msgq, send_half_waits_for_room)
{
	struct sr_call c;

	BOTH_CREATE(1);
	ASSERT_TRUE(send_smsg(self->fd2, 0, 1, 0));	/* send side full */
	ASSERT_TRUE(send_smsg(self->fd, 7, 77, 2));	/* the reply */
	sr_call_init(&c, self->fd, self->fd2, 3);
	ASSERT_TRUE(call_start_blocked(&c.call));
	sleep_ms(SETTLE_MS);
	ASSERT_FALSE(call_done(&c.call));
	ASSERT_EQ(0U, sr_flags(&c));
	ASSERT_EQ(1, mbox_depth(self->fd));	/* the reply not taken */
	ASSERT_TRUE(take_smsg(self->fd2, 0, 1, 0));
	ASSERT_TRUE(call_wait(&c.call, WAKE_MS));
	ASSERT_EQ(0, c.call.ret) TH_LOG("%s", strerror(c.call.err));
	ASSERT_EQ(MSGQ_SR_SENT, c.a.flags);
	ASSERT_TRUE(smsg_ok(&c.in, 7, 77));
	ASSERT_EQ(2U, c.a.recv.prio);
	ASSERT_TRUE(take_smsg(self->fd2, 3, 103, 1));
}

/* the receive half waits for the reply, after the request went out */
TEST_F(msgq, receive_half_waits_for_reply)
{
	struct sr_call c;

	BOTH_CREATE(4);
	sr_call_init(&c, self->fd, self->fd2, 4);
	ASSERT_TRUE(call_start_blocked(&c.call));
	/* blocked in the receive: the request is out, SENT is set */
	ASSERT_EQ(1, mbox_depth(self->fd2));
	ASSERT_EQ(MSGQ_SR_SENT, sr_flags(&c));
	/* answer it as a server would */
	ASSERT_TRUE(take_smsg(self->fd2, 4, 104, 1));
	ASSERT_TRUE(send_smsg(self->fd, 40, 400, 6));
	ASSERT_TRUE(call_wait(&c.call, WAKE_MS));
	ASSERT_EQ(0, c.call.ret) TH_LOG("%s", strerror(c.call.err));
	ASSERT_TRUE(smsg_ok(&c.in, 40, 400));
	ASSERT_EQ(6U, c.a.recv.prio);
	ASSERT_EQ(0, mbox_depth(self->fd2));
}

/*
 * Request and reply between two processes, each using SEND_RECV: the
 * client sends request i and waits for reply i; the server sends reply i
 * and waits for request i + 1. Every message is checked for content,
 * priority and sender on both sides, over restricted handles (the client
 * may only send requests and receive replies, and so may the server the
 * other way round).
 */
enum { RR_ROUNDS = 200 };

static struct msgq_timespec rr_timeout(void)
{
	return ns_mts(10000 * MS);
}

/* The server, in a child: exit 0 when all went well, else where it broke. */
static int rr_server(int dev, const char *req_name, const char *rep_name,
		     pid_t client)
{
	struct msgq_send_recv a;
	struct msgq_recv r;
	struct smsg in, out;
	int rq, rp;
	unsigned int i;

	rq = msgq_open_at(dev, req_name, MSGQ_O_RECV);
	rp = msgq_open_at(dev, rep_name, MSGQ_O_SEND);
	if (rq < 0 || rp < 0)
		return 1;
	memset(&r, 0, sizeof(r));
	r.buf = ptr_to_u64(&in);
	r.cap = sizeof(in);
	r.flags = MSGQ_F_TIMEOUT;
	r.timeout = rr_timeout();
	if (msgq_recv_args(rq, &r) != (ssize_t)sizeof(in))
		return 2;
	for (i = 0; i < RR_ROUNDS; i++) {
		if (!smsg_ok(&in, i, 1000 + i))
			return 3;
		if (r.prio != i % MSGQ_PRIO_MAX || r.len != sizeof(in))
			return 4;
		if (r.pid != client || r.uid != geteuid())
			return 5;
		smsg_make(&out, i, 5000 + i);
		if (i == RR_ROUNDS - 1) {
			if (msgq_send(rp, &out, sizeof(out), (i * 7) % 64))
				return 6;
			break;
		}
		memset(&in, 0, sizeof(in));
		sr_init(&a, rp, &out, sizeof(out), (i * 7) % 64, &in,
			sizeof(in));
		a.recv.flags = MSGQ_F_TIMEOUT;
		a.recv.timeout = rr_timeout();
		if (sr(rq, &a))
			return 7;
		if (a.flags != MSGQ_SR_SENT)
			return 8;
		r = a.recv;
	}
	close(rq);
	close(rp);
	return 0;
}

TEST_F(msgq, request_reply_two_processes)
{
	struct msgq_send_recv a;
	struct smsg out, in[2];
	int req_tx, rep_rx;
	unsigned int i;
	pid_t pid;

	MBOX_CREATE(2, sizeof(struct smsg));	/* replies */
	MBOX2_CREATE(2, sizeof(struct smsg));	/* requests */
	req_tx = msgq_open_at(self->dev, self->name2, MSGQ_O_SEND);
	rep_rx = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);
	ASSERT_LE(0, req_tx);
	ASSERT_LE(0, rep_rx);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(rr_server(self->dev, self->name2, self->name,
				getppid()));

	for (i = 0; i < RR_ROUNDS; i++) {
		smsg_make(&out, i, 1000 + i);
		memset(in, 0, sizeof(in));
		/* a buffer larger than the message */
		sr_init(&a, req_tx, &out, sizeof(out), i % MSGQ_PRIO_MAX, in,
			sizeof(in));
		a.recv.flags = MSGQ_F_TIMEOUT;
		a.recv.timeout = rr_timeout();
		ASSERT_EQ(0, sr(rep_rx, &a))
			TH_LOG("round %u: %s", i, strerror(errno));
		ASSERT_EQ(MSGQ_SR_SENT, a.flags);
		ASSERT_EQ(sizeof(struct smsg), a.recv.len);
		ASSERT_EQ((i * 7) % 64, a.recv.prio) TH_LOG("round %u", i);
		ASSERT_EQ(pid, a.recv.pid);
		ASSERT_EQ(geteuid(), a.recv.uid);
		ASSERT_TRUE(smsg_ok(&in[0], i, 5000 + i)) TH_LOG("round %u", i);
	}
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
	/* every message was sent once and received once */
	ASSERT_EQ((__u64)RR_ROUNDS, attr_of(self->fd).total_sent);
	ASSERT_EQ((__u64)RR_ROUNDS, attr_of(self->fd).total_received);
	ASSERT_EQ((__u64)RR_ROUNDS, attr_of(self->fd2).total_sent);
	ASSERT_EQ((__u64)RR_ROUNDS, attr_of(self->fd2).total_received);
	ASSERT_EQ(0, mbox_depth(self->fd));
	ASSERT_EQ(0, mbox_depth(self->fd2));
	close(req_tx);
	close(rep_rx);
}

/* send_fd may be the receiving handle: it receives its own message */
TEST_F(msgq, send_fd_is_receiving_handle)
{
	struct msgq_send_recv a;
	struct smsg out, in;
	struct msgq_attr at;

	MBOX_CREATE(4, sizeof(struct smsg));
	smsg_make(&out, 1, 10);
	sr_init(&a, self->fd, &out, sizeof(out), 3, &in, sizeof(in));
	ASSERT_EQ(0, sr(self->fd, &a)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(MSGQ_SR_SENT, a.flags);
	ASSERT_TRUE(smsg_ok(&in, 1, 10));
	ASSERT_EQ(3U, a.recv.prio);
	ASSERT_EQ(getpid(), a.recv.pid);
	at = attr_of(self->fd);
	ASSERT_EQ(0U, at.cur_msgs);
	ASSERT_EQ(1U, at.total_sent);
	ASSERT_EQ(1U, at.total_received);

	/* behind an older message of a lower priority, its own comes first */
	ASSERT_TRUE(send_smsg(self->fd, 2, 20, 0));
	smsg_make(&out, 3, 30);
	sr_init(&a, self->fd, &out, sizeof(out), 4, &in, sizeof(in));
	ASSERT_EQ(0, sr(self->fd, &a));
	ASSERT_TRUE(smsg_ok(&in, 3, 30));
	ASSERT_EQ(4U, a.recv.prio);

	/* at the same priority the older one does, and its own stays */
	smsg_make(&out, 4, 40);
	sr_init(&a, self->fd, &out, sizeof(out), 0, &in, sizeof(in));
	ASSERT_EQ(0, sr(self->fd, &a));
	ASSERT_TRUE(smsg_ok(&in, 2, 20));
	ASSERT_TRUE(take_smsg(self->fd, 4, 40, 0));
	ASSERT_EQ(0, mbox_depth(self->fd));
}

/* each half keeps its flags: a synchronous send half, then the reply */
TEST_F(msgq, sync_send_half)
{
	struct sr_call c;
	struct smsg m;

	BOTH_CREATE(4);
	sr_call_init(&c, self->fd, self->fd2, 5);
	c.a.send.flags = MSGQ_F_SYNC;
	ASSERT_TRUE(call_start_blocked(&c.call));
	/* it waits for its request to be taken, which is queued */
	ASSERT_EQ(1, mbox_depth(self->fd2));
	ASSERT_EQ(sizeof(m), (size_t)msgq_recv(self->fd2, &m, sizeof(m), NULL));
	ASSERT_TRUE(smsg_ok(&m, 5, 105));
	/* now it waits for the reply */
	ASSERT_TRUE(wait_blocked_in(getpid(), c.call.tid, SYS_ioctl, 5000));
	ASSERT_TRUE(send_smsg(self->fd, 50, 500, 0));
	ASSERT_TRUE(call_wait(&c.call, WAKE_MS));
	ASSERT_EQ(0, c.call.ret) TH_LOG("%s", strerror(c.call.err));
	ASSERT_EQ(MSGQ_SR_SENT, c.a.flags);
	ASSERT_TRUE(smsg_ok(&c.in, 50, 500));
}

/* the receive half may peek: the reply stays queued */
TEST_F(msgq, peek_receive_half)
{
	struct msgq_send_recv a;
	struct smsg out, in;

	BOTH_CREATE(4);
	ASSERT_TRUE(send_smsg(self->fd, 8, 80, 1));
	smsg_make(&out, 9, 90);
	sr_init(&a, self->fd2, &out, sizeof(out), 0, &in, sizeof(in));
	a.recv.flags = MSGQ_F_PEEK;
	ASSERT_EQ(0, sr(self->fd, &a)) TH_LOG("%s", strerror(errno));
	ASSERT_TRUE(smsg_ok(&in, 8, 80));
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_EQ(0U, attr_of(self->fd).total_received);
	ASSERT_TRUE(take_smsg(self->fd, 8, 80, 1));
	ASSERT_TRUE(take_smsg(self->fd2, 9, 90, 0));
}

/* payloads of every storage size go through both halves intact */
TEST_F(msgq, payload_sizes_both_halves)
{
	static const __u32 sizes[] = {
		0, 1, 63, 64, 65, 447, 448, 449, 4031, 4032, 4033, 4096,
		4097, 8193, 65536,
	};
	enum { MAX = 65536 };
	unsigned char *out = malloc(MAX), *in = malloc(MAX + 64);
	struct msgq_send_recv a;
	unsigned int i;

	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, in);
	MBOX_CREATE(2, MAX);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		fill_pattern(out, sizes[i], 300 + i);
		memset(in, 0xa5, MAX + 64);
		sr_init(&a, self->fd, out, sizes[i], i % 8, in, MAX + 64);
		ASSERT_EQ(0, sr(self->fd, &a))
			TH_LOG("size %u: %s", sizes[i], strerror(errno));
		ASSERT_EQ(sizes[i], a.recv.len);
		ASSERT_EQ(i % 8, a.recv.prio);
		ASSERT_TRUE(check_pattern(in, sizes[i], 300 + i))
			TH_LOG("size %u", sizes[i]);
		ASSERT_EQ(0xa5, in[sizes[i]]) TH_LOG("size %u", sizes[i]);
	}
	ASSERT_EQ(0, mbox_depth(self->fd));
	free(out);
	free(in);
}

/* ------------------------------------------------------------------ */
/* The receive half fails: SENT stays set, the request is out */

/* a non-blocking receive on an empty mailbox: EAGAIN, the request queued */
TEST_F(msgq, recv_half_eagain_sent_set)
{
	struct msgq_send_recv a;
	struct smsg out, in;

	BOTH_CREATE(4);
	smsg_make(&out, 6, 60);
	sr_init(&a, self->fd2, &out, sizeof(out), 2, &in, sizeof(in));
	a.recv.flags = MSGQ_F_NONBLOCK;
	ASSERT_ERRNO(EAGAIN, sr(self->fd, &a));
	ASSERT_EQ(MSGQ_SR_SENT, a.flags);
	ASSERT_EQ(1U, attr_of(self->fd2).total_sent);
	ASSERT_TRUE(take_smsg(self->fd2, 6, 60, 2));
	ASSERT_EQ(0U, attr_of(self->fd).total_received);

	/* called again as it stands (SENT set): only receives, no resend */
	ASSERT_ERRNO(EAGAIN, sr(self->fd, &a));
	ASSERT_EQ(1U, attr_of(self->fd2).total_sent);
	ASSERT_TRUE(send_smsg(self->fd, 61, 610, 0));
	ASSERT_EQ(0, sr(self->fd, &a)) TH_LOG("%s", strerror(errno));
	ASSERT_TRUE(smsg_ok(&in, 61, 610));
	ASSERT_EQ(1U, attr_of(self->fd2).total_sent);
	ASSERT_EQ(0, mbox_depth(self->fd2));
}

/* the receiving handle's O_NONBLOCK applies to the receive half */
TEST_F(msgq, recv_half_nonblocking_handle_eagain)
{
	struct msgq_send_recv a;
	struct smsg out, in;
	int rx;

	BOTH_CREATE(4);
	rx = msgq_open_at(self->dev, self->name, MSGQ_O_RECV | MSGQ_O_NONBLOCK);
	ASSERT_LE(0, rx);
	smsg_make(&out, 1, 2);
	sr_init(&a, self->fd2, &out, sizeof(out), 0, &in, sizeof(in));
	ASSERT_ERRNO(EAGAIN, sr(rx, &a));
	ASSERT_EQ(MSGQ_SR_SENT, a.flags);
	ASSERT_TRUE(take_smsg(self->fd2, 1, 2, 0));
	close(rx);
}

/* a relative timeout on the receive half: ETIMEDOUT, SENT set */
TEST_F(msgq, recv_half_timeout_sent_set)
{
	struct msgq_send_recv a;
	struct smsg out, in;
	uint64_t t0, t1;

	BOTH_CREATE(4);
	smsg_make(&out, 7, 70);
	sr_init(&a, self->fd2, &out, sizeof(out), 0, &in, sizeof(in));
	a.recv.flags = MSGQ_F_TIMEOUT;
	a.recv.timeout = ns_mts(150 * MS);
	t0 = now_ns(CLOCK_MONOTONIC);
	ASSERT_ERRNO(ETIMEDOUT, sr(self->fd, &a));
	t1 = now_ns(CLOCK_MONOTONIC);
	ASSERT_LE(150 * MS, t1 - t0) TH_LOG("returned after %.3f ms",
					    (t1 - t0) / 1e6);
	ASSERT_EQ(MSGQ_SR_SENT, a.flags);
	ASSERT_EQ(1U, attr_of(self->fd2).total_sent);
	ASSERT_TRUE(take_smsg(self->fd2, 7, 70, 0));
}

/* a buffer too small for the reply: EMSGSIZE, SENT, the reply stays */
TEST_F(msgq, recv_half_emsgsize_keeps_message)
{
	struct msgq_send_recv a;
	unsigned char big[100], in[100];
	struct smsg out;

	MBOX_CREATE(4, sizeof(big));
	MBOX2_CREATE(4, sizeof(struct smsg));
	fill_pattern(big, sizeof(big), 44);
	ASSERT_EQ(0, msgq_send(self->fd, big, sizeof(big), 3));
	ASSERT_EQ(0, msgq_send(self->fd, "next", 4, 3));
	smsg_make(&out, 8, 88);
	sr_init(&a, self->fd2, &out, sizeof(out), 0, in, 99);
	ASSERT_ERRNO(EMSGSIZE, sr(self->fd, &a));
	ASSERT_EQ(MSGQ_SR_SENT, a.flags);
	ASSERT_EQ(100U, a.recv.len);		/* the size needed */
	ASSERT_EQ(2, mbox_depth(self->fd));
	ASSERT_EQ(0U, attr_of(self->fd).total_received);
	ASSERT_TRUE(take_smsg(self->fd2, 8, 88, 0));
	/* the reply is still first in line, whole */
	memset(in, 0, sizeof(in));
	ASSERT_EQ(100, msgq_recv(self->fd, in, sizeof(in), NULL));
	ASSERT_TRUE(check_pattern(in, sizeof(in), 44));
	ASSERT_EQ(4, msgq_recv(self->fd, in, sizeof(in), NULL));
}

/* a reply buffer that faults: EFAULT, SENT, the reply stays first */
TEST_F(msgq, recv_half_efault_keeps_message)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct msgq_send_recv a;
	struct smsg out;
	void *ro;

	ro = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	BOTH_CREATE(4);
	ASSERT_TRUE(send_smsg(self->fd, 3, 33, 1));
	smsg_make(&out, 9, 99);
	sr_init(&a, self->fd2, &out, sizeof(out), 0, ro, pg);
	ASSERT_ERRNO(EFAULT, sr(self->fd, &a));
	ASSERT_EQ(MSGQ_SR_SENT, a.flags);
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_TRUE(take_smsg(self->fd2, 9, 99, 0));
	ASSERT_TRUE(take_smsg(self->fd, 3, 33, 1));
	munmap(ro, pg);
}

/* a bad receive half (unknown flag bits, reserved words, a bad timeout):
 * EINVAL before anything is sent, SENT clear */
TEST_F(msgq, recv_half_einval_nothing_sent)
{
	struct msgq_send_recv a;
	struct smsg out, in;
	unsigned int k;

	BOTH_CREATE(8);
	ASSERT_TRUE(send_smsg(self->fd, 1, 1, 0));
	for (k = 0; k < 5; k++) {
		smsg_make(&out, k, 200 + k);
		sr_init(&a, self->fd2, &out, sizeof(out), 0, &in, sizeof(in));
		switch (k) {
		case 0:
			a.recv.flags = MSGQ_F_SYNC;	/* a send flag */
			break;
		case 1:
			a.recv.flags = 0x80000000U;
			break;
		case 2:
			a.recv.fd_flags = 0x80U;
			break;
		case 3:
			a.recv.__pad = 1;
			break;
		case 4:
			a.recv.flags = MSGQ_F_TIMEOUT;
			a.recv.timeout.tv_nsec = 1000000000;
			break;
		}
		ASSERT_ERRNO(EINVAL, sr(self->fd, &a));
		ASSERT_EQ(0U, a.flags)
			TH_LOG("case %u: SENT set by a call that failed its checks",
			       k);
		ASSERT_EQ(0, mbox_depth(self->fd2))
			TH_LOG("case %u: sent by a call that failed its checks",
			       k);
		ASSERT_EQ(0ULL, attr_of(self->fd2).total_sent);
	}
	/* the reply was never taken */
	ASSERT_TRUE(take_smsg(self->fd, 1, 1, 0));
}

/* ------------------------------------------------------------------ */
/* The send half fails: its error, SENT clear, nothing received */

/* a full send mailbox, non-blocking send half: EAGAIN */
TEST_F(msgq, send_half_full_eagain_nothing_received)
{
	struct msgq_send_recv a;
	struct smsg out, in;

	BOTH_CREATE(1);
	ASSERT_TRUE(send_smsg(self->fd2, 0, 5, 0));
	ASSERT_TRUE(send_smsg(self->fd, 1, 6, 0));
	smsg_make(&out, 2, 7);
	memset(&in, 0, sizeof(in));
	sr_init(&a, self->fd2, &out, sizeof(out), 0, &in, sizeof(in));
	a.send.flags = MSGQ_F_NONBLOCK;
	ASSERT_ERRNO(EAGAIN, sr(self->fd, &a));
	ASSERT_EQ(0U, a.flags);
	ASSERT_TRUE(counts_are(self->fd, 1, self->fd2, 1, 1));
	ASSERT_EQ(0U, in.seq);
	ASSERT_EQ(0U, a.recv.len);
	ASSERT_TRUE(take_smsg(self->fd, 1, 6, 0));
	ASSERT_TRUE(take_smsg(self->fd2, 0, 5, 0));
}

/* the send handle's O_NONBLOCK applies to the send half */
TEST_F(msgq, send_half_nonblocking_handle_eagain)
{
	struct msgq_send_recv a;
	struct smsg out, in;
	int tx;

	BOTH_CREATE(1);
	tx = msgq_open_at(self->dev, self->name2, MSGQ_O_SEND | MSGQ_O_NONBLOCK);
	ASSERT_LE(0, tx);
	ASSERT_TRUE(send_smsg(self->fd2, 0, 5, 0));
	ASSERT_TRUE(send_smsg(self->fd, 1, 6, 0));
	smsg_make(&out, 2, 7);
	sr_init(&a, tx, &out, sizeof(out), 0, &in, sizeof(in));
	ASSERT_ERRNO(EAGAIN, sr(self->fd, &a));
	ASSERT_EQ(0U, a.flags);
	ASSERT_TRUE(counts_are(self->fd, 1, self->fd2, 1, 1));
	close(tx);
}

/* a relative timeout on the send half: ETIMEDOUT, nothing received */
TEST_F(msgq, send_half_timeout_nothing_received)
{
	struct msgq_send_recv a;
	struct smsg out, in;
	uint64_t t0, t1;

	BOTH_CREATE(1);
	ASSERT_TRUE(send_smsg(self->fd2, 0, 5, 0));
	ASSERT_TRUE(send_smsg(self->fd, 1, 6, 0));
	smsg_make(&out, 2, 7);
	sr_init(&a, self->fd2, &out, sizeof(out), 0, &in, sizeof(in));
	a.send.flags = MSGQ_F_TIMEOUT;
	a.send.timeout = ns_mts(100 * MS);
	t0 = now_ns(CLOCK_MONOTONIC);
	ASSERT_ERRNO(ETIMEDOUT, sr(self->fd, &a));
	t1 = now_ns(CLOCK_MONOTONIC);
	ASSERT_LE(100 * MS, t1 - t0);
	ASSERT_EQ(0U, a.flags);
	ASSERT_TRUE(counts_are(self->fd, 1, self->fd2, 1, 1));
}

/* the other errors of a send: EMSGSIZE, EINVAL, EFAULT; nothing moves */
TEST_F(msgq, send_half_errors_nothing_received)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct msgq_send_recv a;
	struct smsg out, in;
	unsigned char big[sizeof(struct smsg) + 1];
	void *gone;

	gone = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, gone);
	ASSERT_EQ(0, munmap(gone, pg));
	BOTH_CREATE(4);
	ASSERT_TRUE(send_smsg(self->fd, 1, 6, 0));
	smsg_make(&out, 2, 7);
	memset(big, 0, sizeof(big));

	sr_init(&a, self->fd2, big, sizeof(big), 0, &in, sizeof(in));
	ASSERT_ERRNO(EMSGSIZE, sr(self->fd, &a));
	ASSERT_EQ(0U, a.flags);

	sr_init(&a, self->fd2, &out, sizeof(out), MSGQ_PRIO_MAX, &in,
		sizeof(in));
	ASSERT_ERRNO(EINVAL, sr(self->fd, &a));
	ASSERT_EQ(0U, a.flags);

	sr_init(&a, self->fd2, &out, sizeof(out), 0, &in, sizeof(in));
	a.send.flags = MSGQ_F_PEEK;		/* a receive flag */
	ASSERT_ERRNO(EINVAL, sr(self->fd, &a));
	ASSERT_EQ(0U, a.flags);

	sr_init(&a, self->fd2, &out, sizeof(out), 0, &in, sizeof(in));
	a.send.fd_flags = 1;
	ASSERT_ERRNO(EINVAL, sr(self->fd, &a));
	ASSERT_EQ(0U, a.flags);

	sr_init(&a, self->fd2, &out, sizeof(out), 0, &in, sizeof(in));
	a.send.flags = MSGQ_F_TIMEOUT;
	a.send.timeout.tv_nsec = 1000000000;
	ASSERT_ERRNO(EINVAL, sr(self->fd, &a));
	ASSERT_EQ(0U, a.flags);

	sr_init(&a, self->fd2, gone, sizeof(out), 0, &in, sizeof(in));
	ASSERT_ERRNO(EFAULT, sr(self->fd, &a));
	ASSERT_EQ(0U, a.flags);

	ASSERT_TRUE(counts_are(self->fd, 1, self->fd2, 0, 0));
	ASSERT_TRUE(take_smsg(self->fd, 1, 6, 0));
}

/* an owned send mailbox whose owner is gone: EIDRM, nothing received */
TEST_F(msgq, send_half_eidrm_nothing_received)
{
	struct msgq_send_recv a;
	struct smsg out, in;
	int owner, tx;

	MBOX_CREATE(4, sizeof(struct smsg));
	owner = msgq_create_at(self->dev, self->name2,
			       MSGQ_O_RDWR | MSGQ_O_EXCL | MSGQ_O_OWNED, 0600,
			       4, sizeof(struct smsg));
	ASSERT_LE(0, owner);
	tx = msgq_open_at(self->dev, self->name2, MSGQ_O_SEND);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, close(owner));
	ASSERT_TRUE(send_smsg(self->fd, 1, 6, 0));
	smsg_make(&out, 2, 7);
	sr_init(&a, tx, &out, sizeof(out), 0, &in, sizeof(in));
	ASSERT_ERRNO(EIDRM, sr(self->fd, &a));
	ASSERT_EQ(0U, a.flags);
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_EQ(0U, attr_of(self->fd).total_received);
	close(tx);
}

/* ------------------------------------------------------------------ */
/* MSGQ_SR_SENT on entry */

/* SENT set by the caller: no send at all, only the receive */
TEST_F(msgq, sent_on_entry_skips_send)
{
	struct msgq_send_recv a;
	struct smsg out, in;

	BOTH_CREATE(4);
	ASSERT_TRUE(send_smsg(self->fd, 1, 11, 2));
	smsg_make(&out, 2, 22);
	sr_init(&a, self->fd2, &out, sizeof(out), 0, &in, sizeof(in));
	a.flags = MSGQ_SR_SENT;
	ASSERT_EQ(0, sr(self->fd, &a)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(MSGQ_SR_SENT, a.flags);
	ASSERT_TRUE(smsg_ok(&in, 1, 11));
	ASSERT_EQ(2U, a.recv.prio);
	ASSERT_EQ(0U, attr_of(self->fd2).total_sent);

	/* the send mailbox full: no send, so nothing to block on or fail */
	ASSERT_TRUE(send_smsg(self->fd2, 0, 0, 0));
	ASSERT_TRUE(send_smsg(self->fd2, 0, 0, 0));
	ASSERT_TRUE(send_smsg(self->fd2, 0, 0, 0));
	ASSERT_TRUE(send_smsg(self->fd2, 0, 0, 0));
	ASSERT_TRUE(send_smsg(self->fd, 3, 33, 0));
	sr_init(&a, self->fd2, &out, sizeof(out), 0, &in, sizeof(in));
	a.send.flags = MSGQ_F_NONBLOCK;
	a.flags = MSGQ_SR_SENT;
	ASSERT_EQ(0, sr(self->fd, &a)) TH_LOG("%s", strerror(errno));
	ASSERT_TRUE(smsg_ok(&in, 3, 33));
	ASSERT_EQ(4U, attr_of(self->fd2).total_sent);

	/* and the receive half's errors are its own: EAGAIN, SENT stays */
	a.recv.flags = MSGQ_F_NONBLOCK;
	ASSERT_ERRNO(EAGAIN, sr(self->fd, &a));
	ASSERT_EQ(MSGQ_SR_SENT, a.flags);
	ASSERT_EQ(4U, attr_of(self->fd2).total_sent);
}

/* with SENT set, send_fd is not used: -1 does not matter */
TEST_F(msgq, sent_on_entry_send_fd_unused)
{
	struct msgq_send_recv a;
	struct smsg in;

	MBOX_CREATE(4, sizeof(struct smsg));
	ASSERT_TRUE(send_smsg(self->fd, 1, 11, 0));
	sr_init(&a, -1, NULL, 0, 0, &in, sizeof(in));
	a.flags = MSGQ_SR_SENT;
	ASSERT_EQ(0, sr(self->fd, &a)) TH_LOG("%s", strerror(errno));
	ASSERT_TRUE(smsg_ok(&in, 1, 11));
	ASSERT_EQ(1U, attr_of(self->fd).total_sent);
}

/* ------------------------------------------------------------------ */
/* Bad handles and arguments */

/* send_fd that is not a msgq handle with the send right: EBADF */
TEST_F(msgq, send_fd_ebadf)
{
	struct msgq_send_recv a;
	struct smsg out, in;
	int pfd[2], rx_only, closed, devfd, k;

	BOTH_CREATE(4);
	ASSERT_EQ(0, pipe(pfd));
	rx_only = msgq_open_at(self->dev, self->name2, MSGQ_O_RECV);
	ASSERT_LE(0, rx_only);
	closed = dup(pfd[0]);
	ASSERT_LE(0, closed);
	ASSERT_EQ(0, close(closed));
	devfd = self->dev;
	ASSERT_TRUE(send_smsg(self->fd, 1, 6, 0));
	smsg_make(&out, 2, 7);
	for (k = 0; k < 6; k++) {
		static const char *const what[] = {
			"-1", "a pipe (read end)", "a pipe (write end)",
			"a closed fd", "/dev/msgq", "a receive-only handle",
		};
		int fds[] = { -1, pfd[0], pfd[1], closed, devfd, rx_only };

		sr_init(&a, fds[k], &out, sizeof(out), 0, &in, sizeof(in));
		ASSERT_ERRNO(EBADF, sr(self->fd, &a));
		ASSERT_EQ(0U, a.flags) TH_LOG("%s", what[k]);
		ASSERT_TRUE(counts_are(self->fd, 1, self->fd2, 0, 0))
			TH_LOG("%s", what[k]);
	}
	/* nothing went down the pipe either */
	ASSERT_EQ(0, fcntl(pfd[0], F_SETFL, O_NONBLOCK));
	ASSERT_ERRNO(EAGAIN, read(pfd[0], &in, sizeof(in)));
	/* the same call with a handle that may send works */
	sr_init(&a, self->fd2, &out, sizeof(out), 0, &in, sizeof(in));
	ASSERT_EQ(0, sr(self->fd, &a));
	ASSERT_TRUE(smsg_ok(&in, 1, 6));
	ASSERT_TRUE(take_smsg(self->fd2, 2, 7, 0));
	close(pfd[0]);
	close(pfd[1]);
	close(rx_only);
}

/* the call on a handle without the receive right: EBADF, nothing sent */
TEST_F(msgq, receiving_handle_send_only_ebadf)
{
	struct msgq_send_recv a;
	struct smsg out, in;
	int tx_only;

	BOTH_CREATE(4);
	tx_only = msgq_open_at(self->dev, self->name, MSGQ_O_SEND);
	ASSERT_LE(0, tx_only);
	ASSERT_TRUE(send_smsg(self->fd, 1, 6, 0));
	smsg_make(&out, 2, 7);
	sr_init(&a, self->fd2, &out, sizeof(out), 0, &in, sizeof(in));
	ASSERT_ERRNO(EBADF, sr(tx_only, &a));
	ASSERT_EQ(0U, a.flags);
	ASSERT_EQ(0, mbox_depth(self->fd2));
	ASSERT_EQ(1, mbox_depth(self->fd));
	close(tx_only);
}

/* on /dev/msgq the ioctl does not apply: ENOTTY, nothing sent */
TEST_F(msgq, on_device_enotty)
{
	struct msgq_send_recv a;
	struct smsg out, in;

	MBOX2_CREATE(4, sizeof(struct smsg));
	smsg_make(&out, 2, 7);
	sr_init(&a, self->fd2, &out, sizeof(out), 0, &in, sizeof(in));
	ASSERT_ERRNO(ENOTTY, sr(self->dev, &a));
	ASSERT_EQ(0U, attr_of(self->fd2).total_sent);
}

/* flag bits other than MSGQ_SR_SENT, non-zero __reserved: EINVAL */
TEST_F(msgq, unknown_flags_reserved_einval)
{
	struct msgq_send_recv a;
	struct smsg out, in;
	unsigned int bit, i;

	BOTH_CREATE(4);
	ASSERT_TRUE(send_smsg(self->fd, 1, 6, 0));
	smsg_make(&out, 2, 7);
	for (bit = 0; bit < 32; bit++) {
		if (MSGQ_SR_FLAGS & (1U << bit))
			continue;
		sr_init(&a, self->fd2, &out, sizeof(out), 0, &in, sizeof(in));
		a.flags = 1U << bit;
		ASSERT_EQ(-1, sr(self->fd, &a)) TH_LOG("bit %u accepted", bit);
		ASSERT_EQ(EINVAL, errno) TH_LOG("bit %u: %s", bit,
						strerror(errno));
		/* with SENT as well: still EINVAL, not a receive */
		a.flags = MSGQ_SR_SENT | (1U << bit);
		ASSERT_EQ(-1, sr(self->fd, &a)) TH_LOG("bit %u accepted", bit);
		ASSERT_EQ(EINVAL, errno);
	}
	for (i = 0; i < ARRAY_SIZE(a.__reserved); i++) {
		sr_init(&a, self->fd2, &out, sizeof(out), 0, &in, sizeof(in));
		a.__reserved[i] = 1ull << (i * 40);
		ASSERT_ERRNO(EINVAL, sr(self->fd, &a));
		a.flags = MSGQ_SR_SENT;
		ASSERT_ERRNO(EINVAL, sr(self->fd, &a));
	}
	ASSERT_TRUE(counts_are(self->fd, 1, self->fd2, 0, 0));
	/* the same args, cleaned: fine */
	sr_init(&a, self->fd2, &out, sizeof(out), 0, &in, sizeof(in));
	ASSERT_EQ(0, sr(self->fd, &a));
	ASSERT_TRUE(smsg_ok(&in, 1, 6));
}

/* a bad pointer to the args: EFAULT, nothing sent or received */
TEST_F(msgq, bad_args_pointer_efault)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct msgq_send_recv *a;
	struct smsg out, in;
	unsigned char *two;

	BOTH_CREATE(4);
	ASSERT_TRUE(send_smsg(self->fd, 1, 6, 0));
	ASSERT_ERRNO(EFAULT, ioctl(self->fd, MSGQ_IOC_SEND_RECV, NULL));
	ASSERT_ERRNO(EFAULT, ioctl(self->fd, MSGQ_IOC_SEND_RECV, (void *)8));
	/* the struct straddles into an inaccessible page */
	two = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, mprotect(two + pg, pg, PROT_NONE));
	a = (struct msgq_send_recv *)(two + pg -
				      offsetof(struct msgq_send_recv, send_fd));
	smsg_make(&out, 2, 7);
	memset(a, 0, offsetof(struct msgq_send_recv, send_fd));
	a->send.buf = ptr_to_u64(&out);
	a->send.len = sizeof(out);
	a->recv.buf = ptr_to_u64(&in);
	a->recv.cap = sizeof(in);
	/* send_fd and flags are what lies in the bad page */
	ASSERT_ERRNO(EFAULT, ioctl(self->fd, MSGQ_IOC_SEND_RECV, a));
	ASSERT_TRUE(counts_are(self->fd, 1, self->fd2, 0, 0));
	munmap(two, 2 * pg);
}

/*
 * @flags not writable: EFAULT, checked before the send, so nothing is
 * sent (a send whose SENT could not be reported would be sent again).
 */
TEST_F(msgq, flags_not_writable_efault_nothing_sent)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct msgq_send_recv *a;
	struct smsg out, in;
	void *page;

	BOTH_CREATE(4);
	ASSERT_TRUE(send_smsg(self->fd, 1, 6, 0));
	page = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	a = page;
	smsg_make(&out, 2, 7);
	memset(&in, 0, sizeof(in));
	sr_init(a, self->fd2, &out, sizeof(out), 0, &in, sizeof(in));
	ASSERT_EQ(0, mprotect(page, pg, PROT_READ));
	ASSERT_ERRNO(EFAULT, sr(self->fd, a));
	ASSERT_EQ(0U, a->flags);
	ASSERT_TRUE(counts_are(self->fd, 1, self->fd2, 0, 0));
	ASSERT_EQ(0U, in.seq);
	/* writable again: the same args work */
	ASSERT_EQ(0, mprotect(page, pg, PROT_READ | PROT_WRITE));
	ASSERT_EQ(0, sr(self->fd, a)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(MSGQ_SR_SENT, a->flags);
	ASSERT_TRUE(smsg_ok(&in, 1, 6));
	ASSERT_TRUE(take_smsg(self->fd2, 2, 7, 0));
	munmap(page, pg);
}

/* ------------------------------------------------------------------ */
/* Signals */

/*
 * Blocked in the receive half, signalled (SA_RESTART handler) three times:
 * the call restarts each time, finds SENT and only receives; the request
 * was sent exactly once.
 */
TEST_F(msgq, sa_restart_receive_does_not_resend)
{
	struct sr_call c;
	struct msgq_attr at;
	int i;

	ASSERT_EQ(0, install_counter(SIGUSR1, true));
	BOTH_CREATE(4);
	sr_call_init(&c, self->fd, self->fd2, 1);
	ASSERT_TRUE(call_start_blocked(&c.call));
	ASSERT_EQ(MSGQ_SR_SENT, sr_flags(&c));
	for (i = 0; i < 3; i++) {
		ASSERT_TRUE(call_signal(&c.call, SIGUSR1))
			TH_LOG("signal %d not handled", i);
		ASSERT_TRUE(call_asleep(&c.call, SETTLE_MS))
			TH_LOG("signal %d: returned %ld %s", i, c.call.ret,
			       strerror(c.call.err));
		ASSERT_EQ(1U, attr_of(self->fd2).total_sent)
			TH_LOG("after signal %d", i);
	}
	ASSERT_TRUE(send_smsg(self->fd, 10, 1000, 0));	/* the reply */
	ASSERT_TRUE(call_wait(&c.call, WAKE_MS));
	ASSERT_EQ(0, c.call.ret) TH_LOG("%s", strerror(c.call.err));
	ASSERT_EQ(MSGQ_SR_SENT, c.a.flags);
	ASSERT_TRUE(smsg_ok(&c.in, 10, 1000));
	at = attr_of(self->fd2);
	ASSERT_EQ(1U, at.total_sent);
	ASSERT_EQ(1U, at.cur_msgs);
	ASSERT_TRUE(take_smsg(self->fd2, 1, 101, 1));
}

/*
 * Blocked in the send half (send mailbox full), signalled with SA_RESTART:
 * the send restarts (it had not happened), goes out once when there is
 * room, and the receive follows.
 */
TEST_F(msgq, sa_restart_send_half_sends_once)
{
	struct sr_call c;
	uint64_t end;

	ASSERT_EQ(0, install_counter(SIGUSR1, true));
	BOTH_CREATE(1);
	ASSERT_TRUE(send_smsg(self->fd2, 0, 0, 0));
	sr_call_init(&c, self->fd, self->fd2, 2);
	ASSERT_TRUE(call_start_blocked(&c.call));
	ASSERT_TRUE(call_signal(&c.call, SIGUSR1));
	ASSERT_TRUE(call_asleep(&c.call, SETTLE_MS))
		TH_LOG("returned %ld %s", c.call.ret, strerror(c.call.err));
	ASSERT_EQ(0U, sr_flags(&c));
	ASSERT_EQ(1U, attr_of(self->fd2).total_sent);
	/* room: the request goes out, then the call waits for the reply */
	ASSERT_TRUE(take_smsg(self->fd2, 0, 0, 0));
	end = now_ns(CLOCK_MONOTONIC) + WAKE_MS * MS;
	while (attr_of(self->fd2).total_sent < 2 &&
	       now_ns(CLOCK_MONOTONIC) < end)
		sleep_ms(1);
	ASSERT_EQ(2U, attr_of(self->fd2).total_sent);
	ASSERT_TRUE(wait_blocked_in(getpid(), c.call.tid, SYS_ioctl, 5000));
	ASSERT_TRUE(call_signal(&c.call, SIGUSR1));
	ASSERT_TRUE(call_asleep(&c.call, SETTLE_MS));
	ASSERT_EQ(MSGQ_SR_SENT, sr_flags(&c));
	ASSERT_TRUE(send_smsg(self->fd, 20, 2000, 0));
	ASSERT_TRUE(call_wait(&c.call, WAKE_MS));
	ASSERT_EQ(0, c.call.ret) TH_LOG("%s", strerror(c.call.err));
	ASSERT_TRUE(smsg_ok(&c.in, 20, 2000));
	ASSERT_EQ(2U, attr_of(self->fd2).total_sent);
	ASSERT_TRUE(take_smsg(self->fd2, 2, 102, 1));
	ASSERT_EQ(0, mbox_depth(self->fd2));
}

/*
 * Without SA_RESTART: EINTR with SENT set; the caller repeats the call as
 * it stands and only receives.
 */
TEST_F(msgq, eintr_then_repeat_receives_only)
{
	struct sr_call c;

	ASSERT_EQ(0, install_counter(SIGUSR1, false));
	BOTH_CREATE(4);
	sr_call_init(&c, self->fd, self->fd2, 3);
	ASSERT_TRUE(call_start_blocked(&c.call));
	ASSERT_TRUE(call_signal(&c.call, SIGUSR1));
	ASSERT_TRUE(call_wait(&c.call, WAKE_MS)) TH_LOG("not interrupted");
	ASSERT_EQ(-1, c.call.ret);
	ASSERT_EQ(EINTR, c.call.err) TH_LOG("%s", strerror(c.call.err));
	ASSERT_EQ(MSGQ_SR_SENT, c.a.flags);
	ASSERT_EQ(1U, attr_of(self->fd2).total_sent);
	ASSERT_TRUE(send_smsg(self->fd, 30, 3000, 4));
	ASSERT_EQ(0, sr(self->fd, &c.a)) TH_LOG("%s", strerror(errno));
	ASSERT_TRUE(smsg_ok(&c.in, 30, 3000));
	ASSERT_EQ(1U, attr_of(self->fd2).total_sent);
	ASSERT_TRUE(take_smsg(self->fd2, 3, 103, 1));
}

/* a relative timeout on the receive half: EINTR even under SA_RESTART */
TEST_F(msgq, relative_timeout_receive_eintr_sent_set)
{
	struct sr_call c;

	ASSERT_EQ(0, install_counter(SIGUSR1, true));
	BOTH_CREATE(4);
	sr_call_init(&c, self->fd, self->fd2, 4);
	c.a.recv.flags = MSGQ_F_TIMEOUT;
	c.a.recv.timeout = ns_mts(20000 * MS);
	ASSERT_TRUE(call_start_blocked(&c.call));
	ASSERT_TRUE(call_signal(&c.call, SIGUSR1));
	ASSERT_TRUE(call_wait(&c.call, WAKE_MS)) TH_LOG("restarted");
	ASSERT_EQ(-1, c.call.ret);
	ASSERT_EQ(EINTR, c.call.err) TH_LOG("%s", strerror(c.call.err));
	ASSERT_EQ(MSGQ_SR_SENT, c.a.flags);
	ASSERT_EQ(1U, attr_of(self->fd2).total_sent);
	ASSERT_TRUE(take_smsg(self->fd2, 4, 104, 1));
}

/* ------------------------------------------------------------------ */
/* libmsgq: msgq_sendrecv() and msgq_sendrecv_args() over the ioctl */

/* a round trip: the reply's length and priority, *sent 1 */
TEST_F(msgq, lib_sendrecv_round_trip)
{
	struct smsg out, in[2];
	unsigned int rprio = ~0U;
	int sent = -1;

	BOTH_CREATE(4);
	ASSERT_TRUE(send_smsg(self->fd, 1, 11, 6));
	smsg_make(&out, 2, 22);
	ASSERT_EQ((ssize_t)sizeof(struct smsg),
		  msgq_sendrecv(self->fd2, &out, sizeof(out), 3, self->fd, in,
				sizeof(in), &rprio, &sent))
		TH_LOG("%s", strerror(errno));
	ASSERT_EQ(1, sent);
	ASSERT_EQ(6U, rprio);
	ASSERT_TRUE(smsg_ok(&in[0], 1, 11));
	ASSERT_TRUE(take_smsg(self->fd2, 2, 22, 3));
	/* NULL for both out-parameters; send_fd the receiving handle */
	ASSERT_EQ((ssize_t)sizeof(struct smsg),
		  msgq_sendrecv(self->fd, &out, sizeof(out), 0, self->fd, in,
				sizeof(in), NULL, NULL));
	ASSERT_TRUE(smsg_ok(&in[0], 2, 22));
	ASSERT_EQ(0, mbox_depth(self->fd));
}

/* a failed send: -1 with its errno, *sent 0, nothing received */
TEST_F(msgq, lib_sendrecv_send_fails_sent_0)
{
	unsigned char over[sizeof(struct smsg) + 1] = { 0 };
	struct smsg out, in;
	int sent = -1, tx;

	BOTH_CREATE(1);
	tx = msgq_open_at(self->dev, self->name2, MSGQ_O_SEND | MSGQ_O_NONBLOCK);
	ASSERT_LE(0, tx);
	ASSERT_TRUE(send_smsg(self->fd2, 0, 5, 0));
	ASSERT_TRUE(send_smsg(self->fd, 1, 6, 0));
	smsg_make(&out, 2, 7);
	ASSERT_ERRNO(EAGAIN, msgq_sendrecv(tx, &out, sizeof(out), 0, self->fd,
					   &in, sizeof(in), NULL, &sent));
	ASSERT_EQ(0, sent);
	sent = -1;
	ASSERT_ERRNO(EBADF, msgq_sendrecv(-1, &out, sizeof(out), 0, self->fd,
					  &in, sizeof(in), NULL, &sent));
	ASSERT_EQ(0, sent);
	sent = -1;
	ASSERT_ERRNO(EMSGSIZE, msgq_sendrecv(self->fd2, over, sizeof(over), 0,
					     self->fd, &in, sizeof(in), NULL,
					     &sent));
	ASSERT_EQ(0, sent);
	ASSERT_TRUE(counts_are(self->fd, 1, self->fd2, 1, 1));
	close(tx);
}

/* a failed receive: -1 with its errno, *sent 1, the message queued */
TEST_F(msgq, lib_sendrecv_recv_fails_sent_1)
{
	unsigned char big[sizeof(struct smsg)];
	struct smsg out, in;
	int sent = 0, rx;

	BOTH_CREATE(4);
	rx = msgq_open_at(self->dev, self->name, MSGQ_O_RECV | MSGQ_O_NONBLOCK);
	ASSERT_LE(0, rx);
	smsg_make(&out, 2, 7);
	ASSERT_ERRNO(EAGAIN, msgq_sendrecv(self->fd2, &out, sizeof(out), 1,
					   rx, &in, sizeof(in), NULL, &sent));
	ASSERT_EQ(1, sent);
	ASSERT_TRUE(take_smsg(self->fd2, 2, 7, 1));
	/* EMSGSIZE: the reply stays first in line */
	memset(big, 1, sizeof(big));
	ASSERT_EQ(0, msgq_send(self->fd, big, sizeof(big), 0));
	sent = 0;
	ASSERT_ERRNO(EMSGSIZE, msgq_sendrecv(self->fd2, &out, sizeof(out), 1,
					     rx, &in, sizeof(in) - 1, NULL,
					     &sent));
	ASSERT_EQ(1, sent);
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_EQ(1, mbox_depth(self->fd2));
	close(rx);
}

/* msgq_sendrecv_args(): the ioctl as is, 0 and the fields filled */
TEST_F(msgq, lib_send_recv_args)
{
	struct msgq_send_recv a;
	struct smsg out, in;

	BOTH_CREATE(4);
	ASSERT_TRUE(send_smsg(self->fd, 1, 6, 9));
	smsg_make(&out, 2, 7);
	sr_init(&a, self->fd2, &out, sizeof(out), 0, &in, sizeof(in));
	ASSERT_EQ(0, msgq_sendrecv_args(self->fd, &a));
	ASSERT_EQ(MSGQ_SR_SENT, a.flags);
	ASSERT_EQ(sizeof(in), a.recv.len);
	ASSERT_EQ(9U, a.recv.prio);
	ASSERT_EQ(getpid(), a.recv.pid);
	ASSERT_TRUE(smsg_ok(&in, 1, 6));
	/* again as it stands: SENT set, only a receive, which finds none */
	a.recv.flags = MSGQ_F_NONBLOCK;
	ASSERT_ERRNO(EAGAIN, msgq_sendrecv_args(self->fd, &a));
	ASSERT_EQ(1U, attr_of(self->fd2).total_sent);
}

/*
 * msgq_send_recv_args(), LIBMSGQ_1.1's name of msgq_sendrecv_args(), is
 * still there and the same function.
 */
TEST_F(msgq, lib_send_recv_args_old_name)
{
	struct msgq_send_recv a;
	struct smsg out, in;

	ASSERT_EQ((uintptr_t)msgq_sendrecv_args,
		  (uintptr_t)msgq_send_recv_args);
	BOTH_CREATE(4);
	ASSERT_TRUE(send_smsg(self->fd, 1, 6, 9));
	smsg_make(&out, 2, 7);
	sr_init(&a, self->fd2, &out, sizeof(out), 0, &in, sizeof(in));
	ASSERT_EQ(0, msgq_send_recv_args(self->fd, &a));
	ASSERT_EQ(MSGQ_SR_SENT, a.flags);
	ASSERT_EQ(sizeof(in), a.recv.len);
	ASSERT_TRUE(smsg_ok(&in, 1, 6));
	ASSERT_TRUE(take_smsg(self->fd2, 2, 7, 0));
}

TEST_HARNESS_MAIN
