// SPDX-License-Identifier: GPL-2.0
/*
 * Nothing the kernel writes back carries uninitialised bytes, and it
 * writes nothing it should not.
 *
 * Every struct and buffer is filled with 0xA5 before the call. Afterwards:
 * reserved and padding fields the kernel writes are zero, every output
 * field holds its real value, input fields are as given, payload buffers
 * are untouched past the message's length, and batch entries past the
 * number received are untouched. Both receive paths are covered: a message
 * already queued (small ones are copied under the lock, large ones after
 * dropping it) and a receiver that waits and is woken.
 */
#include "msgq_test.h"

#define POISON		0xa5
#define POISON32	0xa5a5a5a5U
#define POISON64	0xa5a5a5a5a5a5a5a5ULL

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		if (*c++)
			return false;
	return true;
}

/* Index of the first byte of @p[0..n) that is not POISON, or -1. */
static long first_unpoisoned(const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i] != POISON)
			return (long)i;
	return -1;
}

/*
 * Leave POISON bytes on the kernel stack where the next msgq ioctl will
 * keep its locals: calls that copy a poisoned struct or name in and then
 * fail validation. Without this the kernel stack is often zero, and a
 * missing memset() would go unseen.
 */
static void poison_kernel_stack(int dev, int fd)
{
	char name[600];
	union {
		struct msgq_create c;
		struct msgq_open o;
		struct msgq_unlink u;
		struct msgq_send s;
		struct msgq_recv r;
		struct msgq_batch b;
		struct msgq_attr a;
		unsigned char bytes[256];
	} u;
	int i;

	memset(name, POISON, sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	for (i = 0; i < 2; i++) {
		memset(&u, 0, sizeof(u));
		u.c.name = ptr_to_u64(name);
		u.c.flags = MSGQ_O_RDWR;
		u.c.max_msgsize = 1;
		ioctl(dev, MSGQ_IOC_CREATE, &u);	/* ENAMETOOLONG */
		memset(&u, 0, sizeof(u));
		u.o.name = ptr_to_u64(name);
		u.o.flags = MSGQ_O_RDWR;
		ioctl(dev, MSGQ_IOC_OPEN, &u);
		memset(&u, 0, sizeof(u));
		u.u.name = ptr_to_u64(name);
		ioctl(dev, MSGQ_IOC_UNLINK, &u);
		/* mailbox ioctls: a poisoned struct is EINVAL after the copy */
		memset(&u, POISON, sizeof(u));
		ioctl(fd, MSGQ_IOC_SEND_BATCH, &u);
		ioctl(fd, MSGQ_IOC_RECV_BATCH, &u);
		ioctl(fd, MSGQ_IOC_SEND, &u);
		ioctl(fd, MSGQ_IOC_RECV, &u);
	}
}

/* sent_ns is a CLOCK_REALTIME time of the last minute */
static bool recent_ns(__u64 t)
{
	__u64 now = now_ns(CLOCK_REALTIME);

	return t <= now && now - t < 60ull * 1000000000ull;
}

/* ------------------------------------------------------------------ */
/* GETATTR */

/* every byte of struct msgq_attr is written: reserved zero, fields true */
TEST_F(msgq, getattr_overwrites_every_byte)
{
	struct msgq_attr a;

	MBOX_CREATE(4, 16);
	ASSERT_EQ(0, msgq_send(self->fd, "abc", 3, 1));
	memset(&a, POISON, sizeof(a));
	poison_kernel_stack(self->dev, self->fd);
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	EXPECT_TRUE(all_zero(a.__reserved, sizeof(a.__reserved)));
	EXPECT_EQ(4U, a.max_msgs);
	EXPECT_EQ(16U, a.max_msgsize);
	EXPECT_EQ(1U, a.cur_msgs);
	EXPECT_EQ(0U, a.flags);
	EXPECT_EQ(3ULL, a.cur_bytes);
	EXPECT_EQ(1ULL, a.total_sent);
	EXPECT_EQ(0ULL, a.total_received);
	EXPECT_EQ(0600U, a.mode);
	EXPECT_EQ((__u32)geteuid(), a.uid);
	EXPECT_EQ((__u32)getegid(), a.gid);
	EXPECT_EQ((__u32)MSGQ_O_RDWR, a.handle_flags);
}

/* the same for a send-only handle on an owned, unlinked rendezvous box */
TEST_F(msgq, getattr_overwrites_every_byte_other_states)
{
	struct msgq_attr a;

	self->fd = msgq_create_at(self->dev, self->name,
				  MSGQ_O_RECV | MSGQ_O_EXCL | MSGQ_O_OWNED,
				  0640, 0, 8);
	ASSERT_LE(0, self->fd);
	self->fd2 = msgq_open_at(self->dev, self->name,
				 MSGQ_O_SEND | MSGQ_O_NONBLOCK);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, msgq_unlink_at(self->dev, self->name));
	memset(&a, POISON, sizeof(a));
	poison_kernel_stack(self->dev, self->fd2);
	ASSERT_EQ(0, msgq_getattr(self->fd2, &a));
	EXPECT_TRUE(all_zero(a.__reserved, sizeof(a.__reserved)));
	EXPECT_EQ(0U, a.max_msgs);
	EXPECT_EQ(8U, a.max_msgsize);
	EXPECT_EQ(0U, a.cur_msgs);
	EXPECT_EQ((__u32)(MSGQ_ATTR_OWNED | MSGQ_ATTR_UNLINKED), a.flags);
	EXPECT_EQ(0ULL, a.cur_bytes);
	EXPECT_EQ(0ULL, a.total_sent);
	EXPECT_EQ(0ULL, a.total_received);
	EXPECT_EQ(0640U, a.mode & 0777);
	EXPECT_EQ(0U, a.mode & ~0777U);
	EXPECT_EQ((__u32)(MSGQ_O_SEND | MSGQ_O_NONBLOCK), a.handle_flags);
	/* and once the owner is gone */
	close(self->fd);
	self->fd = -1;
	memset(&a, POISON, sizeof(a));
	poison_kernel_stack(self->dev, self->fd2);
	ASSERT_EQ(0, msgq_getattr(self->fd2, &a));
	EXPECT_TRUE(all_zero(a.__reserved, sizeof(a.__reserved)));
	EXPECT_EQ((__u32)(MSGQ_ATTR_OWNED | MSGQ_ATTR_UNLINKED |
			  MSGQ_ATTR_DEAD), a.flags);
}

/* ------------------------------------------------------------------ */
/* RECV */

/* A poisoned struct msgq_recv with its inputs set. */
static void recv_args_poisoned(struct msgq_recv *r, void *buf, __u32 cap,
			       __u32 flags)
{
	memset(r, POISON, sizeof(*r));
	r->buf = ptr_to_u64(buf);
	r->cap = cap;
	r->flags = flags;
	r->clockid = 0;
	r->__pad = 0;
	memset(&r->timeout, 0, sizeof(r->timeout));
	r->fds = 0;
	r->nfds = 0;
	r->fd_flags = 0;
}

/* Check a struct msgq_recv after receiving @len bytes at @prio. */
#define EXPECT_RECV_FIELDS(r, buf_, cap_, flags_, len_, prio_, pid_) do {\
	EXPECT_EQ(ptr_to_u64(buf_), (r).buf);				\
	EXPECT_EQ((__u32)(cap_), (r).cap);				\
	EXPECT_EQ((__u32)(flags_), (r).flags);				\
	EXPECT_EQ(0U, (r).clockid);					\
	EXPECT_EQ((__u32)(len_), (r).len);				\
	EXPECT_EQ((__u32)(prio_), (r).prio);				\
	EXPECT_EQ((__s32)(pid_), (r).pid);				\
	EXPECT_EQ((__u32)geteuid(), (r).uid);				\
	EXPECT_EQ(0U, (r).__pad);					\
	EXPECT_TRUE(recent_ns((r).sent_ns)) TH_LOG("sent_ns %llu",	\
					(unsigned long long)(r).sent_ns);\
	EXPECT_TRUE(all_zero(&(r).timeout, sizeof((r).timeout)));	\
	EXPECT_EQ(0ULL, (r).fds);					\
	EXPECT_EQ(0U, (r).nfds);					\
	EXPECT_EQ(0U, (r).fd_flags);					\
} while (0)

/*
 * Receive (or peek) messages of several lengths, around the size copied
 * under the lock (a page), into poisoned buffers: the struct is fully
 * written and the buffer untouched past the message.
 */
static void recv_lengths(struct __test_metadata *_metadata,
			 FIXTURE_DATA(msgq) *self, __u32 flags)
{
	static const unsigned int lens[] = {
		0, 1, 3, 64, 4095, 4096, 4097, 5000, 16384,
	};
	size_t bufsize = 32768;
	unsigned char *msg = malloc(bufsize), *buf = malloc(bufsize);
	struct msgq_recv r;
	unsigned int i;
	long off;

	ASSERT_NE(NULL, msg);
	ASSERT_NE(NULL, buf);
	MBOX_CREATE(4, 16384);
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		fill_pattern(msg, lens[i], i + 1);
		ASSERT_EQ(0, msgq_send(self->fd, msg, lens[i], i % 7));
		memset(buf, POISON, bufsize);
		recv_args_poisoned(&r, buf, bufsize, flags | MSGQ_F_NONBLOCK);
		poison_kernel_stack(self->dev, self->fd);
		ASSERT_EQ((ssize_t)lens[i], msgq_recv_args(self->fd, &r))
			TH_LOG("len %u: %s", lens[i], strerror(errno));
		EXPECT_RECV_FIELDS(r, buf, bufsize, flags | MSGQ_F_NONBLOCK,
				   lens[i], i % 7, getpid());
		EXPECT_TRUE(check_pattern(buf, lens[i], i + 1));
		off = first_unpoisoned(buf + lens[i], bufsize - lens[i]);
		EXPECT_EQ(-1, off) TH_LOG("len %u: byte %ld past the end written",
					  lens[i], off);
		if (flags & MSGQ_F_PEEK) {
			/* take it for real */
			ASSERT_EQ((ssize_t)lens[i],
				  msgq_recv(self->fd, buf, bufsize, NULL));
		}
	}
	free(msg);
	free(buf);
}

TEST_F(msgq, recv_writes_fields_and_nothing_past_message)
{
	recv_lengths(_metadata, self, 0);
}

TEST_F(msgq, peek_writes_fields_and_nothing_past_message)
{
	recv_lengths(_metadata, self, MSGQ_F_PEEK);
}

/* a buffer at the end of a mapping, the guard page right after it */
TEST_F(msgq, recv_buffer_ending_at_guard_page)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char msg[100], *buf;
	struct msgq_recv r;

	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map + pg, pg, PROT_NONE));
	MBOX_CREATE(4, 100);
	fill_pattern(msg, sizeof(msg), 9);
	ASSERT_EQ(0, msgq_send(self->fd, msg, sizeof(msg), 2));
	memset(map, POISON, pg);
	buf = map + pg - sizeof(msg);
	recv_args_poisoned(&r, buf, sizeof(msg), MSGQ_F_NONBLOCK);
	ASSERT_EQ((ssize_t)sizeof(msg), msgq_recv_args(self->fd, &r))
		TH_LOG("%s", strerror(errno));
	EXPECT_RECV_FIELDS(r, buf, sizeof(msg), MSGQ_F_NONBLOCK, sizeof(msg),
			   2, getpid());
	EXPECT_TRUE(check_pattern(buf, sizeof(msg), 9));
	EXPECT_EQ(-1, first_unpoisoned(map, pg - sizeof(msg)));
	munmap(map, 2 * pg);
}

/* read(2) writes the message and nothing after it */
TEST_F(msgq, read_writes_nothing_past_message)
{
	unsigned char buf[8192];

	MBOX_CREATE(4, 5000);
	ASSERT_EQ(0, msgq_send(self->fd, "0123456789", 10, 0));
	memset(buf, POISON, sizeof(buf));
	ASSERT_EQ(10, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "0123456789", 10));
	EXPECT_EQ(-1, first_unpoisoned(buf + 10, sizeof(buf) - 10));
	fill_pattern(buf, 5000, 3);
	ASSERT_EQ(0, msgq_send(self->fd, buf, 5000, 0));
	memset(buf, POISON, sizeof(buf));
	ASSERT_EQ(5000, read(self->fd, buf, sizeof(buf)));
	EXPECT_TRUE(check_pattern(buf, 5000, 3));
	EXPECT_EQ(-1, first_unpoisoned(buf + 5000, sizeof(buf) - 5000));
}

/* EMSGSIZE: len says the size needed; the short buffer is not overrun */
TEST_F(msgq, recv_emsgsize_writes_len_only)
{
	unsigned char buf[64];
	struct msgq_recv r;

	MBOX_CREATE(4, 32);
	ASSERT_EQ(0, msgq_send(self->fd, "0123456789abcdef", 16, 0));
	memset(buf, POISON, sizeof(buf));
	recv_args_poisoned(&r, buf, 4, MSGQ_F_NONBLOCK);
	ASSERT_ERRNO(EMSGSIZE, msgq_recv_args(self->fd, &r));
	EXPECT_EQ(16U, r.len);
	EXPECT_EQ(-1, first_unpoisoned(buf + 4, sizeof(buf) - 4));
	EXPECT_EQ(0U, r.__pad);
	EXPECT_EQ(0ULL, r.fds);
	EXPECT_EQ(0U, r.nfds);
	EXPECT_EQ(0U, r.fd_flags);
	/* the other outputs: either untouched or the message's own */
	EXPECT_TRUE(r.prio == POISON32 || r.prio == 0);
	EXPECT_TRUE(r.uid == POISON32 || r.uid == (__u32)geteuid());
	EXPECT_TRUE(r.sent_ns == POISON64 || recent_ns(r.sent_ns));
	EXPECT_EQ(1, mbox_depth(self->fd));
}

/* a receiver that waits, woken by a sender in another process */
TEST_F(msgq, recv_after_wait_writes_fields)
{
	unsigned char buf[256];
	struct msgq_recv r;
	pid_t pid;

	MBOX_CREATE(4, 64);
	memset(buf, POISON, sizeof(buf));
	recv_args_poisoned(&r, buf, sizeof(buf), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		wait_blocked_in(getppid(), getppid(), SYS_msgq_any, 10000);
		_exit(msgq_send(self->fd, "woken", 5, 5) ? 1 : 0);
	}
	ASSERT_EQ(5, msgq_recv_args(self->fd, &r)) TH_LOG("%s",
							   strerror(errno));
	ASSERT_EQ(0, wait_child_ms(pid, 10000));
	EXPECT_RECV_FIELDS(r, buf, sizeof(buf), 0, 5, 5, pid);
	EXPECT_EQ(0, memcmp(buf, "woken", 5));
	EXPECT_EQ(-1, first_unpoisoned(buf + 5, sizeof(buf) - 5));
}

/* a rendezvous: a synchronous sender waits, the receiver takes it */
TEST_F(msgq, recv_rendezvous_writes_fields)
{
	unsigned char buf[256];
	struct msgq_recv r;
	pid_t pid;

	MBOX_CREATE(0, 64);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(msgq_send(self->fd, "sync", 4, 9) ? 1 : 0);
	}
	memset(buf, POISON, sizeof(buf));
	recv_args_poisoned(&r, buf, sizeof(buf), 0);
	ASSERT_EQ(4, msgq_recv_args(self->fd, &r)) TH_LOG("%s",
							   strerror(errno));
	ASSERT_EQ(0, wait_child_ms(pid, 10000));
	EXPECT_RECV_FIELDS(r, buf, sizeof(buf), 0, 4, 9, pid);
	EXPECT_EQ(-1, first_unpoisoned(buf + 4, sizeof(buf) - 4));
}

/* ------------------------------------------------------------------ */
/* RECV_BATCH */

/* filled entries are fully written; the others are not touched at all */
TEST_F(msgq, recv_batch_writes_filled_entries_only)
{
	enum { N = 8, GOT = 3, CAP = 64 };
	static const char *const msgs[GOT] = { "a", "bb", "" };
	unsigned char bufs[N][CAP];
	struct msgq_mmsg m[N], orig[N];
	struct msgq_batch b;
	int i;

	MBOX_CREATE(8, 32);
	for (i = 0; i < GOT; i++)
		ASSERT_EQ(0, msgq_send(self->fd, msgs[i], strlen(msgs[i]), 4));
	memset(bufs, POISON, sizeof(bufs));
	memset(m, POISON, sizeof(m));
	for (i = 0; i < N; i++) {
		m[i].buf = ptr_to_u64(bufs[i]);
		m[i].len = CAP;
		m[i].__reserved = 0;
	}
	memcpy(orig, m, sizeof(m));
	memset(&b, 0, sizeof(b));
	b.msgs = ptr_to_u64(m);
	b.count = N;
	b.flags = MSGQ_F_NONBLOCK;
	poison_kernel_stack(self->dev, self->fd);
	ASSERT_EQ(GOT, msgq_recv_batch_args(self->fd, &b));
	for (i = 0; i < GOT; i++) {
		EXPECT_EQ(ptr_to_u64(bufs[i]), m[i].buf);
		EXPECT_EQ(strlen(msgs[i]), m[i].len);
		EXPECT_EQ(4U, m[i].prio);
		EXPECT_EQ(getpid(), m[i].pid);
		EXPECT_EQ((__u32)geteuid(), m[i].uid);
		EXPECT_TRUE(recent_ns(m[i].sent_ns));
		EXPECT_EQ(0ULL, m[i].__reserved);
		EXPECT_EQ(0, memcmp(bufs[i], msgs[i], strlen(msgs[i])));
		EXPECT_EQ(-1, first_unpoisoned(bufs[i] + strlen(msgs[i]),
					       CAP - strlen(msgs[i])))
			TH_LOG("entry %d's buffer overrun", i);
	}
	for (i = GOT; i < N; i++) {
		EXPECT_EQ(0, memcmp(&orig[i], &m[i], sizeof(m[i])))
			TH_LOG("entry %d written", i);
		EXPECT_EQ(-1, first_unpoisoned(bufs[i], CAP))
			TH_LOG("entry %d's buffer written", i);
	}
	/* the header is as given */
	EXPECT_EQ(ptr_to_u64(m), b.msgs);
	EXPECT_EQ((__u32)N, b.count);
	EXPECT_EQ(0U, b.__pad);
	EXPECT_TRUE(all_zero(b.__reserved, sizeof(b.__reserved)));
}

/* EMSGSIZE on the first entry: only its len is written */
TEST_F(msgq, recv_batch_emsgsize_writes_len_only)
{
	unsigned char buf[16];
	struct msgq_mmsg m[2], orig[2];
	struct msgq_batch b;

	MBOX_CREATE(8, 32);
	ASSERT_EQ(0, msgq_send(self->fd, "0123456789", 10, 0));
	memset(buf, POISON, sizeof(buf));
	memset(m, POISON, sizeof(m));
	m[0].buf = m[1].buf = ptr_to_u64(buf);
	m[0].len = 4;
	m[1].len = 16;
	m[0].__reserved = m[1].__reserved = 0;
	memcpy(orig, m, sizeof(m));
	memset(&b, 0, sizeof(b));
	b.msgs = ptr_to_u64(m);
	b.count = 2;
	b.flags = MSGQ_F_NONBLOCK;
	ASSERT_ERRNO(EMSGSIZE, msgq_recv_batch_args(self->fd, &b));
	EXPECT_EQ(10U, m[0].len);
	EXPECT_EQ(orig[0].buf, m[0].buf);
	EXPECT_EQ(0ULL, m[0].__reserved);
	/* the other outputs: either untouched or the message's own */
	EXPECT_TRUE(m[0].prio == POISON32 || m[0].prio == 0);
	EXPECT_TRUE(m[0].pid == (__s32)POISON32 || m[0].pid == getpid());
	EXPECT_TRUE(m[0].uid == POISON32 || m[0].uid == (__u32)geteuid());
	EXPECT_TRUE(m[0].sent_ns == POISON64 || recent_ns(m[0].sent_ns));
	/* the second entry is not touched */
	EXPECT_EQ(0, memcmp(&orig[1], &m[1], sizeof(m[1])));
	EXPECT_EQ(-1, first_unpoisoned(buf + 4, sizeof(buf) - 4));
	EXPECT_EQ(1, mbox_depth(self->fd));
}

TEST_HARNESS_MAIN
