// SPDX-License-Identifier: GPL-2.0
/*
 * msgq-bench --smoke: before its short round, the libmsgq calls the figures
 * use (write/read fast path, msgq_sendrecv(), the ioctls, a fan-out
 * mailbox's subscriptions, a memfd passed with msgq_send_fds()), checked
 * against their documented results.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int lib_checks, lib_bad;

/* @got must be @want, and errno @err when @want is -1. */
static void expect(const char *what, long got, long want, int err)
{
	int e = errno;

	lib_checks++;
	if (got == want && (want != -1 || e == err))
		return;
	fprintf(stderr, "msgq-bench: smoke: %s: got %ld%s%s, want %ld%s%s\n",
		what, got, got == -1 ? " " : "", got == -1 ? strerror(e) : "",
		want, want == -1 ? " " : "", want == -1 ? strerror(err) : "");
	lib_bad++;
}

/* A 4 x 16-byte mailbox: *@nb gets a non-blocking receive handle on it. */
static int smoke_mailbox(int *nb)
{
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "msgq-bench-smoke-%d-%u", (int)getpid(),
		 name_seq++);
	fd = msgq_create(name, MSGQ_O_RDWR | MSGQ_O_EXCL | MSGQ_O_CLOEXEC,
			 0600, 4, 16);
	if (fd < 0)
		die("smoke: msgq_create: %s", strerror(errno));
	*nb = msgq_open(name, MSGQ_O_RECV | MSGQ_O_NONBLOCK | MSGQ_O_CLOEXEC);
	if (*nb < 0)
		die("smoke: msgq_open: %s", strerror(errno));
	msgq_unlink(name);
	return fd;
}

/*
 * msgq_send() at priority 0 is write(2), msgq_recv() without prio read(2).
 * Every receive that expects a message is on the non-blocking handle: a
 * missing message fails a check instead of hanging the run.
 */
static void smoke_fast_path(int a, int an)
{
	char buf[32] = "0123456789abcdefghij";
	struct msgq_send s = { .buf = ptr_to_u64(buf), .len = 5 };
	struct msgq_recv r = { .buf = ptr_to_u64(buf), .cap = 16 };
	unsigned int prio = 99;

	expect("send of 0 bytes (write)", msgq_send(a, buf, 0, 0), 0, 0);
	expect("receive of 0 bytes (read)", msgq_recv(an, buf, 16, NULL), 0,
	       0);
	expect("receive, empty, non-blocking (read)",
	       msgq_recv(an, buf, 16, NULL), -1, EAGAIN);
	expect("send of 17 bytes, 16 at most (write)",
	       msgq_send(a, buf, 17, 0), -1, EMSGSIZE);
	expect("send of 8 bytes (write)", msgq_send(a, buf, 8, 0), 0, 0);
	expect("receive into 4 bytes (read)", msgq_recv(an, buf, 4, NULL), -1,
	       EMSGSIZE);
	expect("receive after EMSGSIZE (ioctl): the message stayed",
	       msgq_recv(an, buf, 16, &prio), 8, 0);
	expect("its priority", prio, 0, 0);
	expect("send at priority 5 (ioctl)", msgq_send(a, buf, 3, 5), 0, 0);
	expect("receive of it (read)", msgq_recv(an, buf, 16, NULL), 3, 0);
	expect("msgq_send_args", msgq_send_args(a, &s), 0, 0);
	expect("msgq_recv_args", msgq_recv_args(an, &r), 5, 0);
}

/* msgq_sendrecv() and msgq_sendrecv_args(): the two halves and *sent. */
static void smoke_sendrecv(int a, int an, int b, int bn)
{
	struct msgq_send_recv sr = { .send_fd = b };
	char in[32];
	unsigned int prio = 99;
	int sent = -1;

	expect("sendrecv on one handle",
	       msgq_sendrecv(a, "ping", 4, 3, a, in, 16, &prio, &sent), 4, 0);
	expect("its priority", prio, 3, 0);
	expect("its payload", memcmp(in, "ping", 4), 0, 0);
	expect("sent", sent, 1, 0);
	expect("sendrecv, the receive would block",
	       msgq_sendrecv(b, "req", 3, 0, an, in, 16, NULL, &sent), -1,
	       EAGAIN);
	expect("sent", sent, 1, 0);
	expect("send of 4 bytes", msgq_send(a, "stay", 4, 0), 0, 0);
	expect("sendrecv, the send is too long",
	       msgq_sendrecv(b, in, 17, 0, a, in, 16, NULL, &sent), -1,
	       EMSGSIZE);
	expect("not sent", sent, 0, 0);
	expect("sendrecv, sending on a receive-only handle",
	       msgq_sendrecv(an, in, 1, 0, a, in, 16, NULL, &sent), -1, EBADF);
	expect("not sent", sent, 0, 0);
	sr.send.buf = ptr_to_u64("never");
	sr.send.len = 5;
	sr.recv.buf = ptr_to_u64(in);
	sr.recv.cap = 16;
	sr.flags = MSGQ_SR_SENT;
	expect("send_recv_args with MSGQ_SR_SENT: the message left above",
	       msgq_sendrecv_args(an, &sr), 0, 0);
	expect("its length", sr.recv.len, 4, 0);
	expect("the one request on b", msgq_recv(bn, in, 16, NULL), 3, 0);
	expect("and no other", msgq_recv(bn, in, 16, NULL), -1, EAGAIN);
	expect("sendrecv, the reply is too long for the buffer",
	       msgq_sendrecv(a, "a reply", 7, 0, a, in, 4, NULL, &sent), -1,
	       EMSGSIZE);
	expect("sent", sent, 1, 0);
	expect("the reply stayed", msgq_recv(an, in, 16, NULL), 7, 0);
}

/*
 * A fan-out mailbox (fanout.c): two subscriptions each get a write and a
 * batch of two, in order, once.
 */
static void smoke_fanout(void)
{
	struct msgq_mmsg mm[2] = {
		{ .buf = ptr_to_u64("one"), .len = 3 },
		{ .buf = ptr_to_u64("two!"), .len = 4 },
	};
	char name[64], in[2][16];
	int fd, sub[2], i;

	snprintf(name, sizeof(name), "msgq-bench-smoke-%d-%u", (int)getpid(),
		 name_seq++);
	fd = msgq_create(name, MSGQ_O_SEND | MSGQ_O_EXCL | MSGQ_O_CLOEXEC |
			 MSGQ_O_FANOUT, 0600, 4, 16);
	if (fd < 0)
		die("smoke: msgq_create(MSGQ_O_FANOUT): %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		sub[i] = msgq_open(name, MSGQ_O_RECV | MSGQ_O_NONBLOCK |
				   MSGQ_O_CLOEXEC);
		if (sub[i] < 0)
			die("smoke: subscribe: %s", strerror(errno));
	}
	msgq_unlink(name);
	expect("fan-out: send of 5 bytes (write)", msgq_send(fd, "zero!", 5, 0),
	       0, 0);
	expect("fan-out: batch of 2", msgq_send_batch(fd, mm, 2, 0), 2, 0);
	for (i = 0; i < 2; i++) {
		expect("fan-out: each subscription: the write (read)",
		       msgq_recv(sub[i], in[0], 16, NULL), 5, 0);
		expect("its payload", memcmp(in[0], "zero!", 5), 0, 0);
		mm[0] = (struct msgq_mmsg){ .buf = ptr_to_u64(in[0]), .len = 16 };
		mm[1] = (struct msgq_mmsg){ .buf = ptr_to_u64(in[1]), .len = 16 };
		expect("fan-out: each subscription: the batch",
		       msgq_recv_batch(sub[i], mm, 2, 0), 2, 0);
		expect("its lengths", mm[0].len * 10 + mm[1].len, 34, 0);
		expect("its payloads", memcmp(in[0], "one", 3) |
		       memcmp(in[1], "two!", 4), 0, 0);
		expect("fan-out: and nothing more",
		       msgq_recv(sub[i], in[0], 16, NULL), -1, EAGAIN);
		close(sub[i]);
	}
	close(fd);
}

/*
 * A memfd passed with msgq_send_fds() (handoff.c): the receiver gets a new
 * descriptor for the same file, FD_CLOEXEC as asked, once.
 */
static void smoke_fds(int a, int an)
{
	unsigned int nfds = 1, fd_flags = MSGQ_FD_CLOEXEC;
	struct stat s0, s1;
	int mfd, got = -1;
	char in[16];

	mfd = memfd_create("msgq-bench-smoke", MFD_CLOEXEC);
	if (mfd < 0 || fstat(mfd, &s0))
		die("smoke: memfd_create: %s", strerror(errno));
	expect("send of 3 bytes and a memfd (msgq_send_fds)",
	       msgq_send_fds(a, "fd!", 3, 0, &mfd, 1), 0, 0);
	close(mfd);	/* the message holds the file */
	expect("its receive (msgq_recv_fds)",
	       msgq_recv_fds(an, in, sizeof(in), NULL, &got, &nfds, &fd_flags),
	       3, 0);
	expect("one descriptor", nfds, 1, 0);
	expect("the same file", got >= 0 && !fstat(got, &s1) &&
	       s1.st_ino == s0.st_ino && s1.st_dev == s0.st_dev, 1, 0);
	expect("FD_CLOEXEC", got >= 0 && fcntl(got, F_GETFD) == FD_CLOEXEC,
	       1, 0);
	if (got >= 0)
		close(got);
	expect("and nothing more", msgq_recv(an, in, sizeof(in), NULL), -1,
	       EAGAIN);
}

void smoke_lib(void)
{
	int a, an, b, bn;

	alarm(30);	/* and should anything still block: SIGALRM kills us */
	a = smoke_mailbox(&an);
	b = smoke_mailbox(&bn);
	smoke_fast_path(a, an);
	smoke_sendrecv(a, an, b, bn);
	smoke_fanout();
	smoke_fds(a, an);
	alarm(0);
	close(a);
	close(an);
	close(b);
	close(bn);
	printf("msgq-bench: smoke: libmsgq: %d of %d checks passed\n",
	       lib_checks - lib_bad, lib_checks);
	if (lib_bad)
		failed = true;
}
