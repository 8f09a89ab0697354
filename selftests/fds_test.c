// SPDX-License-Identifier: GPL-2.0
/*
 * File descriptors carried with a message (msgq(4), "Passing file
 * descriptors"; uapi/msgq.h):
 *
 * - pipes, memfds, eventfds and UDP sockets travel, are received in
 *   another process (the sender's copies closed first) and work there;
 * - the descriptors that could close a reference cycle (mailbox handles,
 *   /dev/msgq, AF_UNIX sockets, io_uring instances), closed, negative and
 *   O_PATH descriptors, and more than MSGQ_FDS_MAX, are refused with EBADF
 *   (EINVAL for the count), and nothing is queued or kept;
 * - a receive whose descriptor table is full fails with EMFILE and the
 *   message stays first in line, whichever way the receive copies it;
 * - a receiver without room (nfds too small, read(2), a batch) gets the
 *   payload, MSGQ_FD_CTRUNC where it has a result, and the files closed;
 * - every path that ends a message drops its files: receive, unlink of the
 *   last handle, the owner's death (a pipe's read end sees EOF);
 * - MSGQ_FD_CLOEXEC, peek (its own descriptors), synchronous and
 *   rendezvous sends and MSGQ_IOC_SEND_RECV carry them too.
 */
#include "msgq_test.h"

#include <dirent.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/io_uring.h>

/* ------------------------------------------------------------------ */
/* Helpers */

/* Entries of /proc/self/fd, less the directory's own. */
static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

/*
 * Does @rfd, a pipe's read end with nothing written, see EOF within
 * @ms: every write end closed, in this process and in every message?
 */
static bool pipe_eof(int rfd, int ms)
{
	struct pollfd p = { .fd = rfd, .events = POLLIN };
	char c;

	if (poll(&p, 1, ms) != 1)
		return false;
	return read(rfd, &c, 1) == 0;
}

static int send_fds(int fd, const char *s, const int *fds, unsigned int n)
{
	return msgq_send_fds(fd, s, strlen(s) + 1, 0, fds, n);
}

/* Receive without waiting; *@n in: room, out: received. */
static ssize_t recv_fds(int fd, char *buf, size_t cap, int *fds,
			unsigned int *n, unsigned int *flags)
{
	struct msgq_recv r = {
		.buf = ptr_to_u64(buf), .cap = cap,
		.flags = MSGQ_F_NONBLOCK,
		.fds = ptr_to_u64(fds), .nfds = *n,
		.fd_flags = flags ? *flags : 0,
	};
	ssize_t ret = msgq_recv_args(fd, &r);

	*n = r.nfds;
	if (flags)
		*flags = r.fd_flags;
	return ret;
}

/* The busybox guest leaves the loopback interface down: bring it up. */
static void loopback_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (!ioctl(s, SIOCGIFFLAGS, &ifr) && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
}

static int io_uring_fd(void)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	return (int)syscall(__NR_io_uring_setup, 4, &p);
}

/* ------------------------------------------------------------------ */
/* Kinds of files, received in another process */

/*
 * A pipe's write end goes, the sender closes its copy, a child receives
 * it and writes; the parent reads what it wrote, then EOF: the message's
 * reference went with the receive, the child's with its exit.
 */
TEST_F(msgq, pipe_to_child)
{
	int p[2];
	char buf[16];
	pid_t pid;

	MBOX_CREATE(4, 64);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, send_fds(self->fd, "pipe", &p[1], 1));
	close(p[1]);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		unsigned int n = 1;
		int got = -1;

		if (msgq_recv_fds(self->fd, buf, sizeof(buf), NULL, &got, &n,
				  NULL) != 5 || n != 1 || strcmp(buf, "pipe"))
			_exit(1);
		if (write(got, "hello", 5) != 5)
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
	ASSERT_EQ(5, read(p[0], buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "hello", 5));
	ASSERT_TRUE(pipe_eof(p[0], WAKE_MS));
	close(p[0]);
}

/*
 * A memfd with a large payload: the receiver maps what the sender wrote,
 * with no copy of the data through the mailbox.
 */
TEST_F(msgq, memfd_large_payload)
{
	const size_t size = 4 << 20;
	unsigned char *map;
	int mfd, got = -1;
	unsigned int n = 1;
	char buf[16];
	pid_t pid;

	MBOX_CREATE(4, 64);
	mfd = memfd_create("fds_test", MFD_CLOEXEC);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, size));
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, map);
	fill_pattern(map, size, 77);
	munmap(map, size);
	ASSERT_EQ(0, send_fds(self->fd, "memfd", &mfd, 1));
	close(mfd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct stat st;

		if (msgq_recv_fds(self->fd, buf, sizeof(buf), NULL, &got, &n,
				  NULL) != 6 || n != 1)
			_exit(1);
		if (fstat(got, &st) || (size_t)st.st_size != size)
			_exit(2);
		map = mmap(NULL, size, PROT_READ, MAP_SHARED, got, 0);
		if (map == MAP_FAILED || !check_pattern(map, size, 77))
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
}

/* An eventfd: the receiver's write is the sender's read. */
TEST_F(msgq, eventfd_to_child)
{
	uint64_t v = 0;
	int efd;
	pid_t pid;

	MBOX_CREATE(4, 64);
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, send_fds(self->fd, "eventfd", &efd, 1));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		unsigned int n = 1;
		int got = -1;
		char buf[16];

		v = 42;
		if (msgq_recv_fds(self->fd, buf, sizeof(buf), NULL, &got, &n,
				  NULL) != 8 || n != 1 ||
		    write(got, &v, sizeof(v)) != sizeof(v))
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
	ASSERT_EQ((ssize_t)sizeof(v), read(efd, &v, sizeof(v)));
	ASSERT_EQ(42ULL, v);
	close(efd);
}

/*
 * A bound UDP socket (not AF_UNIX, so allowed): the child receives it and
 * sends through it; the datagram comes from the port the parent bound.
 */
TEST_F(msgq, udp_socket_to_child)
{
	struct sockaddr_in a = { .sin_family = AF_INET }, b, from;
	socklen_t len = sizeof(a);
	int s, peer;
	char buf[16];
	pid_t pid;

	MBOX_CREATE(4, 64);
	loopback_up();
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 && errno == EAFNOSUPPORT)
		SKIP(return, "no AF_INET in this kernel");
	peer = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, s);
	ASSERT_LE(0, peer);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) ||
	    bind(peer, (struct sockaddr *)&a, sizeof(a)))
		SKIP(return, "no loopback: %s", strerror(errno));
	ASSERT_EQ(0, getsockname(s, (struct sockaddr *)&a, &len));
	len = sizeof(b);
	ASSERT_EQ(0, getsockname(peer, (struct sockaddr *)&b, &len));
	ASSERT_EQ(0, send_fds(self->fd, "udp", &s, 1));
	close(s);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct sockaddr_in mine;
		unsigned int n = 1;
		int got = -1;

		if (msgq_recv_fds(self->fd, buf, sizeof(buf), NULL, &got, &n,
				  NULL) != 4 || n != 1)
			_exit(1);
		/* the very socket: bound where the parent bound it */
		len = sizeof(mine);
		if (getsockname(got, (struct sockaddr *)&mine, &len) ||
		    mine.sin_port != a.sin_port)
			_exit(2);
		if (sendto(got, "dgram", 5, 0, (struct sockaddr *)&b,
			   sizeof(b)) != 5)
			_exit(100 + errno);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
	len = sizeof(from);
	ASSERT_EQ(5, recvfrom(peer, buf, sizeof(buf), MSG_DONTWAIT,
			      (struct sockaddr *)&from, &len));
	ASSERT_EQ(a.sin_port, from.sin_port);
	close(peer);
}

/* MSGQ_FDS_MAX of them at once, each its own file. */
TEST_F(msgq, max_fds)
{
	int p[MSGQ_FDS_MAX][2], fds[MSGQ_FDS_MAX], got[MSGQ_FDS_MAX];
	unsigned int i, n = MSGQ_FDS_MAX;
	char buf[16], c;

	MBOX_CREATE(4, 64);
	for (i = 0; i < MSGQ_FDS_MAX; i++) {
		ASSERT_EQ(0, pipe2(p[i], O_CLOEXEC));
		fds[i] = p[i][1];
	}
	ASSERT_EQ(0, send_fds(self->fd, "many", fds, MSGQ_FDS_MAX));
	for (i = 0; i < MSGQ_FDS_MAX; i++)
		close(p[i][1]);
	ASSERT_EQ(5, recv_fds(self->fd, buf, sizeof(buf), got, &n, NULL));
	ASSERT_EQ((unsigned int)MSGQ_FDS_MAX, n);
	for (i = 0; i < MSGQ_FDS_MAX; i++) {
		c = (char)i;
		ASSERT_EQ(1, write(got[i], &c, 1));
		close(got[i]);
		ASSERT_EQ(1, read(p[i][0], &c, 1));
		ASSERT_EQ((char)i, c);
		ASSERT_TRUE(pipe_eof(p[i][0], WAKE_MS));
		close(p[i][0]);
	}
}

/* ------------------------------------------------------------------ */
/* Refusals: nothing queued, nothing kept */

TEST_F(msgq, refuse_cycle_capable)
{
	int p[2], sv[2], bad[6], fds[2], ur, dev2, opath;
	const char *what[6] = {
		"its own handle", "another mailbox's handle", "/dev/msgq",
		"an AF_UNIX socket", "an io_uring instance", "an O_PATH fd",
	};
	unsigned int i;

	MBOX_CREATE(4, 64);
	MBOX2_CREATE(4, 64);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
	dev2 = msgq_dev_open();
	ASSERT_LE(0, dev2);
	ur = io_uring_fd();
	opath = open("/", O_PATH | O_CLOEXEC);
	ASSERT_LE(0, opath);
	bad[0] = self->fd;
	bad[1] = self->fd2;
	bad[2] = dev2;
	bad[3] = sv[0];
	bad[4] = ur;
	bad[5] = opath;
	for (i = 0; i < 6; i++) {
		if (bad[i] < 0) {
			TH_LOG("no %s: not tried", what[i]);
			continue;
		}
		/* a good one first: it must not be kept either */
		fds[0] = p[1];
		fds[1] = bad[i];
		ASSERT_ERRNO(EBADF, send_fds(self->fd, "x", fds, 2), "%s",
			     what[i]);
		ASSERT_ERRNO(EBADF, send_fds(self->fd2, "x", &bad[i], 1),
			     "%s", what[i]);
	}
	ASSERT_EQ(0, mbox_depth(self->fd));
	ASSERT_EQ(0, mbox_depth(self->fd2));
	close(p[1]);
	ASSERT_TRUE(pipe_eof(p[0], WAKE_MS));
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
	close(dev2);
	close(opath);
	if (ur >= 0)
		close(ur);
	else
		SKIP(return, "io_uring_setup: %s", strerror(errno));
}

/* closed, negative, and a bad array pointer; too many: EINVAL */
TEST_F(msgq, refuse_bad_descriptors)
{
	int p[2], fds[MSGQ_FDS_MAX + 1], closed;
	unsigned int i;

	MBOX_CREATE(4, 64);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	closed = dup(p[0]);
	ASSERT_LE(0, closed);
	close(closed);
	fds[0] = p[1];
	fds[1] = closed;
	ASSERT_ERRNO(EBADF, send_fds(self->fd, "x", fds, 2));
	fds[1] = -1;
	ASSERT_ERRNO(EBADF, send_fds(self->fd, "x", fds, 2));
	fds[1] = INT32_MIN;
	ASSERT_ERRNO(EBADF, send_fds(self->fd, "x", fds, 2));
	ASSERT_ERRNO(EFAULT, send_fds(self->fd, "x", (int *)8, 1));
	for (i = 0; i <= MSGQ_FDS_MAX; i++)
		fds[i] = p[1];
	ASSERT_ERRNO(EINVAL, send_fds(self->fd, "x", fds, MSGQ_FDS_MAX + 1));
	ASSERT_EQ(0, mbox_depth(self->fd));
	close(p[1]);
	ASSERT_TRUE(pipe_eof(p[0], WAKE_MS));
	close(p[0]);
}

/* ------------------------------------------------------------------ */
/* A full descriptor table: EMFILE, the message kept */

/*
 * In a child whose RLIMIT_NOFILE leaves no room: EMFILE, the message still
 * first in line (a peek sees it) and intact; then, with room for one, the
 * receive succeeds. For a small message (copied under the mailbox lock, so
 * the numbers are reserved in fault_in), a large one (copied unlocked) and
 * one whose sender waits (MSGQ_F_SYNC: copied with page faults disabled).
 */
static int emfile_child(int fd, size_t len)
{
	static char buf[128 * 1024];
	int got[2] = { -1, -1 }, spare = -1, d;
	struct rlimit rl = { .rlim_cur = 64, .rlim_max = 64 };
	unsigned int n = 2;
	ssize_t r;

	/* A table of 64, every entry taken: spare is the last taken. */
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return 10;
	while ((d = dup(fd)) >= 0)
		spare = d;
	if (errno != EMFILE || spare < 0)
		return 11;
	r = recv_fds(fd, buf, sizeof(buf), got, &n, NULL);
	if (r != -1 || errno != EMFILE)
		return 12;
	if (mbox_depth(fd) != 1)
		return 13;
	/* the table has room for one of two: still EMFILE */
	close(spare);
	n = 2;
	r = recv_fds(fd, buf, sizeof(buf), got, &n, NULL);
	if (r != -1 || errno != EMFILE)
		return 14;
	/* room for one, and one asked for: the other is dropped */
	n = 1;
	r = recv_fds(fd, buf, sizeof(buf), got, &n, NULL);
	if (r != (ssize_t)len || n != 1 || got[0] < 0)
		return 15;
	if (!check_pattern(buf, len, 5))
		return 16;
	if (write(got[0], "k", 1) != 1)
		return 17;
	return 0;
}

static void run_emfile(struct __test_metadata *_metadata,
		       FIXTURE_DATA(msgq) *self, size_t len, bool sync)
{
	struct msgq_send s = { 0 };
	int p[2], fds[2];
	char *payload;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	fds[0] = p[1];
	fds[1] = p[1];
	payload = malloc(len);
	ASSERT_NE(NULL, payload);
	fill_pattern(payload, len, 5);
	s.buf = ptr_to_u64(payload);
	s.len = len;
	s.fds = ptr_to_u64(fds);
	s.nfds = 2;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(p[0]);
		/* the message is queued by the parent before we look */
		while (mbox_depth(self->fd) < 1)
			usleep(1000);
		_exit(emfile_child(self->fd, len));
	}
	if (sync)
		s.flags = MSGQ_F_SYNC;
	ASSERT_EQ(0, msgq_send_args(self->fd, &s));
	close(p[1]);
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
	ASSERT_EQ(1, read(p[0], &c, 1));
	ASSERT_TRUE(pipe_eof(p[0], WAKE_MS));
	close(p[0]);
	free(payload);
	ASSERT_EQ(0, mbox_depth(self->fd));
}

TEST_F(msgq, emfile_keeps_small_message)
{
	MBOX_CREATE(4, 128 * 1024);
	run_emfile(_metadata, self, 100, false);
}

TEST_F(msgq, emfile_keeps_large_message)
{
	MBOX_CREATE(4, 128 * 1024);
	run_emfile(_metadata, self, 100 * 1024, false);
}

TEST_F(msgq, emfile_keeps_awaited_message)
{
	MBOX_CREATE(4, 128 * 1024);
	run_emfile(_metadata, self, 100 * 1024, true);
}

/* ------------------------------------------------------------------ */
/* Receivers without room */

/* Room for one of three: one installed, MSGQ_FD_CTRUNC, two closed. */
TEST_F(msgq, truncated_to_room)
{
	int p[3][2], fds[3], got[3] = { -1, -1, -1 };
	unsigned int i, n = 1, flags = 0;
	char buf[16];

	MBOX_CREATE(4, 64);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, pipe2(p[i], O_CLOEXEC));
		fds[i] = p[i][1];
	}
	ASSERT_EQ(0, send_fds(self->fd, "three", fds, 3));
	for (i = 0; i < 3; i++)
		close(p[i][1]);
	ASSERT_EQ(6, recv_fds(self->fd, buf, sizeof(buf), got, &n, &flags));
	ASSERT_EQ(1U, n);
	ASSERT_EQ(MSGQ_FD_CTRUNC, flags);
	ASSERT_EQ(-1, got[1]);
	ASSERT_TRUE(pipe_eof(p[1][0], WAKE_MS));
	ASSERT_TRUE(pipe_eof(p[2][0], WAKE_MS));
	ASSERT_FALSE(pipe_eof(p[0][0], 0));
	close(got[0]);
	ASSERT_TRUE(pipe_eof(p[0][0], WAKE_MS));
	for (i = 0; i < 3; i++)
		close(p[i][0]);
}

/*
 * No room at all: MSGQ_IOC_RECV says MSGQ_FD_CTRUNC; read(2) and a batch
 * receive have no place to say it. Each gets the payload, the file is
 * closed, and no descriptor appears.
 */
TEST_F(msgq, dropped_without_room)
{
	struct msgq_mmsg m;
	unsigned int n, flags, how;
	int p[2], before;
	char buf[16];

	MBOX_CREATE(4, 64);
	for (how = 0; how < 3; how++) {
		ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
		ASSERT_EQ(0, send_fds(self->fd, "drop", &p[1], 1));
		close(p[1]);
		before = fd_count();
		memset(buf, 0, sizeof(buf));
		switch (how) {
		case 0:
			n = 0;
			flags = 0;
			ASSERT_EQ(5, recv_fds(self->fd, buf, sizeof(buf),
					      NULL, &n, &flags));
			ASSERT_EQ(0U, n);
			ASSERT_EQ(MSGQ_FD_CTRUNC, flags);
			break;
		case 1:
			ASSERT_EQ(5, read(self->fd, buf, sizeof(buf)));
			break;
		case 2:
			memset(&m, 0, sizeof(m));
			m.buf = ptr_to_u64(buf);
			m.len = sizeof(buf);
			ASSERT_EQ(1, msgq_recv_batch(self->fd, &m, 1,
						     MSGQ_F_NONBLOCK));
			break;
		}
		ASSERT_STREQ("drop", buf);
		ASSERT_EQ(before, fd_count());
		ASSERT_TRUE(pipe_eof(p[0], WAKE_MS)) TH_LOG("way %u", how);
		close(p[0]);
	}
}

/* ------------------------------------------------------------------ */
/* Every path that ends a message drops its files */

/* The last handle closed on an unlinked mailbox frees what it held. */
TEST_F(msgq, unlink_drops_files)
{
	int p[2], q[2], fds[2], before;

	MBOX_CREATE(4, 64);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(q, O_CLOEXEC));
	fds[0] = p[1];
	fds[1] = q[1];
	before = fd_count();
	ASSERT_EQ(0, send_fds(self->fd, "one", fds, 2));
	ASSERT_EQ(0, send_fds(self->fd, "two", &q[1], 1));
	ASSERT_EQ(before, fd_count());
	close(p[1]);
	close(q[1]);
	ASSERT_FALSE(pipe_eof(p[0], 0));
	ASSERT_EQ(0, msgq_unlink_at(self->dev, self->name));
	ASSERT_FALSE(pipe_eof(p[0], 0));	/* the handle holds it */
	close(self->fd);
	self->fd = -1;
	ASSERT_TRUE(pipe_eof(p[0], WAKE_MS));
	ASSERT_TRUE(pipe_eof(q[0], WAKE_MS));
	close(p[0]);
	close(q[0]);
}

/* An owned mailbox whose owner goes drops its messages, and their files. */
TEST_F(msgq, owner_death_drops_files)
{
	int p[2], other;

	self->fd = msgq_create_at(self->dev, self->name,
				  MSGQ_O_RDWR | MSGQ_O_EXCL | MSGQ_O_OWNED |
				  MSGQ_O_CLOEXEC, 0600, 4, 64);
	ASSERT_LE(0, self->fd);
	other = msgq_open_at(self->dev, self->name, MSGQ_O_RDWR);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, send_fds(other, "owned", &p[1], 1));
	close(p[1]);
	close(self->fd);
	self->fd = -1;
	/* another handle is still open: only the death dropped it */
	ASSERT_TRUE(pipe_eof(p[0], WAKE_MS));
	ASSERT_EQ(0, mbox_depth(other));
	close(other);
	close(p[0]);
}

/* A receive, and the closing of what it installed. */
TEST_F(msgq, no_leak_after_receives)
{
	int p[2], got, before, k;
	unsigned int n;
	char buf[16];

	MBOX_CREATE(8, 64);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	before = fd_count();
	for (k = 0; k < 100; k++) {
		ASSERT_EQ(0, send_fds(self->fd, "loop", &p[1], 1));
		n = 1;
		got = -1;
		ASSERT_EQ(5, recv_fds(self->fd, buf, sizeof(buf), &got, &n,
				      NULL));
		ASSERT_EQ(1U, n);
		ASSERT_NE(p[1], got);
		close(got);
	}
	ASSERT_EQ(before, fd_count());
	close(p[1]);
	ASSERT_TRUE(pipe_eof(p[0], WAKE_MS));
	close(p[0]);
}

/* ------------------------------------------------------------------ */
/* Flags and the other calls that carry them */

TEST_F(msgq, cloexec_on_request)
{
	unsigned int n, flags;
	int efd, got;
	char buf[16];

	MBOX_CREATE(4, 64);
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, send_fds(self->fd, "a", &efd, 1));
	ASSERT_EQ(0, send_fds(self->fd, "b", &efd, 1));
	n = 1;
	flags = MSGQ_FD_CLOEXEC;
	ASSERT_EQ(2, recv_fds(self->fd, buf, sizeof(buf), &got, &n, &flags));
	ASSERT_EQ(MSGQ_FD_CLOEXEC, flags);
	ASSERT_EQ(FD_CLOEXEC, fcntl(got, F_GETFD));
	close(got);
	n = 1;
	flags = 0;
	ASSERT_EQ(2, recv_fds(self->fd, buf, sizeof(buf), &got, &n, &flags));
	ASSERT_EQ(0, fcntl(got, F_GETFD));
	close(got);
	close(efd);
}

/* A peek installs descriptors of its own; the receive after it too. */
TEST_F(msgq, peek_installs_copies)
{
	struct msgq_recv r = { 0 };
	int p[2], a = -1, b = -1;
	unsigned int n = 1;
	char buf[16], c;

	MBOX_CREATE(4, 64);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, send_fds(self->fd, "peek", &p[1], 1));
	close(p[1]);
	r.buf = ptr_to_u64(buf);
	r.cap = sizeof(buf);
	r.flags = MSGQ_F_PEEK | MSGQ_F_NONBLOCK;
	r.fds = ptr_to_u64(&a);
	r.nfds = 1;
	ASSERT_EQ(5, msgq_recv_args(self->fd, &r));
	ASSERT_EQ(1U, r.nfds);
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_EQ(5, recv_fds(self->fd, buf, sizeof(buf), &b, &n, NULL));
	ASSERT_NE(a, b);
	ASSERT_EQ(1, write(a, "1", 1));
	ASSERT_EQ(1, write(b, "2", 1));
	ASSERT_EQ(1, read(p[0], &c, 1));
	ASSERT_EQ('1', c);
	ASSERT_EQ(1, read(p[0], &c, 1));
	ASSERT_EQ('2', c);
	close(a);
	ASSERT_FALSE(pipe_eof(p[0], 0));
	close(b);
	ASSERT_TRUE(pipe_eof(p[0], WAKE_MS));
	close(p[0]);
}

/* A rendezvous send carries them to the receiver that takes it. */
struct rv_arg {
	int fd;
	int efd;
	int ret;
	int err;
};

static void *rv_sender(void *arg)
{
	struct rv_arg *a = arg;

	a->ret = send_fds(a->fd, "rv", &a->efd, 1);
	a->err = errno;
	return NULL;
}

TEST_F(msgq, rendezvous_and_sync)
{
	struct rv_arg a = { 0 };
	struct msgq_recv r = { 0 };
	struct msgq_send s = { 0 };
	uint64_t v = 1;
	pthread_t th;
	char buf[16];
	int got = -1, p[2];

	MBOX_CREATE(0, 64);
	a.fd = self->fd;
	a.efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, a.efd);
	ASSERT_EQ(0, pthread_create(&th, NULL, rv_sender, &a));
	r.buf = ptr_to_u64(buf);
	r.cap = sizeof(buf);
	r.fds = ptr_to_u64(&got);
	r.nfds = 1;
	ASSERT_EQ(3, msgq_recv_args(self->fd, &r));
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(0, a.ret) TH_LOG("rendezvous send: %s", strerror(a.err));
	ASSERT_EQ(1U, r.nfds);
	ASSERT_EQ((ssize_t)sizeof(v), write(got, &v, sizeof(v)));
	close(got);
	ASSERT_EQ((ssize_t)sizeof(v), read(a.efd, &v, sizeof(v)));
	ASSERT_EQ(1ULL, v);

	close(a.efd);

	/* a synchronous send withdrawn (non-blocking, nobody there) */
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	s.buf = ptr_to_u64("s");
	s.len = 2;
	s.flags = MSGQ_F_SYNC | MSGQ_F_NONBLOCK;
	s.fds = ptr_to_u64(&p[1]);
	s.nfds = 1;
	ASSERT_ERRNO(EAGAIN, msgq_send_args(self->fd, &s));
	ASSERT_EQ(0, mbox_depth(self->fd));
	close(p[1]);
	ASSERT_TRUE(pipe_eof(p[0], WAKE_MS));
	close(p[0]);
}

/* Both halves of MSGQ_IOC_SEND_RECV carry them. */
TEST_F(msgq, send_recv_both_halves)
{
	struct msgq_send_recv sr = { 0 };
	int p[2], got = -1;
	char in[16], c;

	MBOX_CREATE(4, 64);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	sr.send.buf = ptr_to_u64("sr");
	sr.send.len = 3;
	sr.send.fds = ptr_to_u64(&p[1]);
	sr.send.nfds = 1;
	sr.send_fd = self->fd;
	sr.recv.buf = ptr_to_u64(in);
	sr.recv.cap = sizeof(in);
	sr.recv.flags = MSGQ_F_NONBLOCK;
	sr.recv.fds = ptr_to_u64(&got);
	sr.recv.nfds = 1;
	ASSERT_EQ(0, msgq_sendrecv_args(self->fd, &sr));
	close(p[1]);
	ASSERT_EQ(1U, sr.recv.nfds);
	ASSERT_EQ(0U, sr.recv.fd_flags);
	ASSERT_EQ(1, write(got, "x", 1));
	close(got);
	ASSERT_EQ(1, read(p[0], &c, 1));
	ASSERT_TRUE(pipe_eof(p[0], WAKE_MS));
	close(p[0]);
}

/* A fault writing the numbers is EFAULT, and the message stays. */
TEST_F(msgq, bad_number_array_keeps_message)
{
	unsigned int n = 1;
	char buf[16];
	int p[2], got = -1;

	MBOX_CREATE(4, 64);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, send_fds(self->fd, "efault", &p[1], 1));
	close(p[1]);
	ASSERT_ERRNO(EFAULT, recv_fds(self->fd, buf, sizeof(buf), (int *)8,
				      &n, NULL));
	ASSERT_EQ(1, mbox_depth(self->fd));
	n = 1;
	ASSERT_EQ(7, recv_fds(self->fd, buf, sizeof(buf), &got, &n, NULL));
	ASSERT_EQ(1U, n);
	close(got);
	ASSERT_TRUE(pipe_eof(p[0], WAKE_MS));
	close(p[0]);
}

/*
 * A fan-out mailbox: each subscription's receiver gets descriptors of its
 * own for the same file, and the message holds the file until its last
 * subscription has taken it or has been closed.
 */
TEST_F(msgq, fanout_each_subscription_gets_its_own)
{
	int p[2], subs[2], got, k;
	unsigned int n;
	char buf[16], c;

	self->fd = msgq_create_at(self->dev, self->name,
				  MSGQ_O_SEND | MSGQ_O_EXCL | MSGQ_O_CLOEXEC |
				  MSGQ_O_FANOUT, 0600, 4, sizeof(buf));
	ASSERT_LE(0, self->fd);
	for (k = 0; k < 2; k++) {
		subs[k] = msgq_open_at(self->dev, self->name,
				       MSGQ_O_RECV | MSGQ_O_CLOEXEC);
		ASSERT_LE(0, subs[k]);
	}
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, send_fds(self->fd, "w", &p[1], 1));
	close(p[1]);

	n = 1;
	ASSERT_EQ(2, recv_fds(subs[0], buf, sizeof(buf), &got, &n, NULL));
	ASSERT_EQ(1U, n);
	ASSERT_EQ(1, write(got, "a", 1));
	close(got);
	ASSERT_EQ(1, read(p[0], &c, 1));
	ASSERT_EQ('a', c);
	/* the second subscription still holds the message, and the file */
	ASSERT_FALSE(pipe_eof(p[0], 0));
	n = 1;
	ASSERT_EQ(2, recv_fds(subs[1], buf, sizeof(buf), &got, &n, NULL));
	ASSERT_EQ(1U, n);
	ASSERT_EQ(1, write(got, "b", 1));
	close(got);
	ASSERT_EQ(1, read(p[0], &c, 1));
	ASSERT_EQ('b', c);
	ASSERT_TRUE(pipe_eof(p[0], WAKE_MS));
	close(p[0]);

	/* a subscription closed before it receives lets the file go too */
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, send_fds(self->fd, "x", &p[1], 1));
	close(p[1]);
	n = 1;
	ASSERT_EQ(2, recv_fds(subs[0], buf, sizeof(buf), &got, &n, NULL));
	close(got);
	ASSERT_FALSE(pipe_eof(p[0], 0));
	close(subs[1]);
	ASSERT_TRUE(pipe_eof(p[0], WAKE_MS));
	close(p[0]);
	close(subs[0]);
}

TEST_HARNESS_MAIN
