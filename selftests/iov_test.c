// SPDX-License-Identifier: GPL-2.0
/*
 * Message boundaries through every I/O call on a mailbox handle, not only
 * read(2) and write(2). A scatter/gather call is one message, as sendmsg(2)
 * and recvmsg(2) on SOCK_SEQPACKET: writev(2) sends the concatenation of
 * its iovecs as one message, readv(2) receives one message spread over its
 * iovecs, in order (EMSGSIZE, the message kept, if they hold too little).
 * preadv2(2)/pwritev2(2) take RWF_NOWAIT (EAGAIN instead of sleeping) and
 * no offset (ESPIPE). Calls that go through a pipe, which keeps no
 * boundaries (splice, tee, sendfile, copy_file_range), fail with EINVAL and
 * move nothing. Every failure leaves the mailbox as it was: nothing sent,
 * nothing consumed.
 */
#include "msgq_test.h"

#include <limits.h>
#include <sys/sendfile.h>
#include <sys/uio.h>

#ifndef IOV_MAX
#define IOV_MAX		1024
#endif
#ifndef RWF_NOWAIT
#define RWF_NOWAIT	0x00000008
#endif

#define MAX_MSGSIZE	(64 * 1024)	/* paged messages too */

static const size_t sizes[] = { 6, 448, 449, 4000, 4097, MAX_MSGSIZE };

/* Split @len bytes of @buf over @n iovecs, as evenly as it goes. */
static void split(struct iovec *iov, unsigned int n, void *buf, size_t len)
{
	size_t off = 0, part;
	unsigned int i;

	for (i = 0; i < n; i++) {
		part = len / n + (i < len % n);
		iov[i].iov_base = (char *)buf + off;
		iov[i].iov_len = part;
		off += part;
	}
}

/* A PROT_NONE page: an iovec there faults. */
static void *bad_page(void)
{
	void *p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* writev() of 1, 2, 3 and IOV_MAX iovecs: one message each, whole. */
TEST_F(msgq, writev_sends_one_message)
{
	static const unsigned int counts[] = { 1, 2, 3, IOV_MAX };
	static struct iovec iov[IOV_MAX];
	unsigned char *in = malloc(MAX_MSGSIZE), *out = malloc(MAX_MSGSIZE);
	unsigned int c, s, seed = 0;

	ASSERT_NE(NULL, in);
	ASSERT_NE(NULL, out);
	MBOX_CREATE(4, MAX_MSGSIZE);
	for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			size_t len = sizes[s];

			if (len < counts[c])
				continue;
			fill_pattern(in, len, ++seed);
			split(iov, counts[c], in, len);
			ASSERT_EQ((ssize_t)len, writev(self->fd, iov, counts[c]))
				TH_LOG("writev of %u iovecs, %zu bytes: %s",
				       counts[c], len, strerror(errno));
			ASSERT_EQ(1, mbox_depth(self->fd))
				TH_LOG("writev of %u iovecs made %ld messages",
				       counts[c], mbox_depth(self->fd));
			ASSERT_EQ((ssize_t)len, read(self->fd, out, MAX_MSGSIZE));
			ASSERT_TRUE(check_pattern(out, len, seed));
		}
	}
	free(in);
	free(out);
}

/* readv() of 1, 2, 3 and IOV_MAX iovecs takes one message, in order. */
TEST_F(msgq, readv_receives_one_message)
{
	static const unsigned int counts[] = { 1, 2, 3, IOV_MAX };
	static struct iovec iov[IOV_MAX];
	unsigned char *in = malloc(MAX_MSGSIZE), *out = malloc(MAX_MSGSIZE);
	unsigned int c, s, seed = 100;

	ASSERT_NE(NULL, in);
	ASSERT_NE(NULL, out);
	MBOX_CREATE(4, MAX_MSGSIZE);
	for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			size_t len = sizes[s];

			if (len < counts[c])
				continue;
			/* Two messages: readv must take only the first. */
			fill_pattern(in, len, ++seed);
			ASSERT_EQ((ssize_t)len, write(self->fd, in, len));
			ASSERT_EQ(1, write(self->fd, "z", 1));
			memset(out, 0, len);
			split(iov, counts[c], out, len);
			ASSERT_EQ((ssize_t)len, readv(self->fd, iov, counts[c]))
				TH_LOG("readv of %u iovecs, %zu bytes: %s",
				       counts[c], len, strerror(errno));
			ASSERT_TRUE(check_pattern(out, len, seed))
				TH_LOG("%u iovecs, %zu bytes: payload differs",
				       counts[c], len);
			ASSERT_EQ(1, mbox_depth(self->fd))
				TH_LOG("readv of %u iovecs consumed %ld messages",
				       counts[c], 2 - mbox_depth(self->fd));
			ASSERT_EQ(1, read(self->fd, out, 1));
		}
	}
	free(in);
	free(out);
}

/*
 * readv() with more room than the message returns what there is at once:
 * it does not wait to fill its iovecs from a second message.
 */
TEST_F(msgq, readv_does_not_wait_to_fill)
{
	char a[2], b[2];
	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };

	MBOX_CREATE(4, 64);
	ASSERT_EQ(2, write(self->fd, "hi", 2));
	alarm(10);	/* a readv that waits fails the test, not the run */
	ASSERT_EQ(2, readv(self->fd, iov, 2));
	alarm(0);
	ASSERT_EQ(0, memcmp(a, "hi", 2));
	ASSERT_EQ(0, mbox_depth(self->fd));
}

/* Zero-length iovecs anywhere add nothing and split nothing. */
TEST_F(msgq, zero_length_iovecs)
{
	char a[] = "abc", b[] = "defg", out[16] = "";
	struct iovec wv[5] = {
		{ NULL, 0 }, { a, 3 }, { a, 0 }, { b, 4 }, { NULL, 0 },
	};
	struct iovec rv[4] = {
		{ out, 0 }, { out, 2 }, { NULL, 0 }, { out + 2, 14 },
	};

	MBOX_CREATE(4, 64);
	ASSERT_EQ(7, writev(self->fd, wv, 5));
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_EQ(7, readv(self->fd, rv, 4));
	ASSERT_EQ(0, memcmp(out, "abcdefg", 7));
	/*
	 * Nothing at all: the VFS answers a vector call of 0 bytes with 0
	 * without calling msgq (write(2) of 0 bytes sends an empty message).
	 */
	ASSERT_EQ(0, writev(self->fd, wv, 1));
	ASSERT_EQ(0, mbox_depth(self->fd));
	ASSERT_EQ(0, write(self->fd, a, 0));
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_EQ(0, readv(self->fd, rv, 1));
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_EQ(0, read(self->fd, out, sizeof(out)));
	ASSERT_EQ(0, mbox_depth(self->fd));
}

/* Totals around max_msgsize: up to it is one message, past it EMSGSIZE. */
TEST_F(msgq, totals_around_max_msgsize)
{
	static char buf[2 * 512 + 2];
	struct iovec iov[3];
	struct msgq_attr at;

	MBOX_CREATE(4, 512);
	split(iov, 3, buf, 512);
	ASSERT_EQ(512, writev(self->fd, iov, 3));
	split(iov, 3, buf, 513);
	ASSERT_ERRNO(EMSGSIZE, writev(self->fd, iov, 3));
	ASSERT_EQ(0, msgq_getattr(self->fd, &at));
	ASSERT_EQ(1U, at.cur_msgs);
	ASSERT_EQ(1U, at.total_sent);
	/* Receiving: 511 bytes of room is too little, and keeps the message. */
	split(iov, 3, buf, 511);
	ASSERT_ERRNO(EMSGSIZE, readv(self->fd, iov, 3));
	ASSERT_EQ(1, mbox_depth(self->fd));
	split(iov, 3, buf, sizeof(buf));
	ASSERT_EQ(512, readv(self->fd, iov, 3));
	ASSERT_EQ(0, mbox_depth(self->fd));
}

/*
 * A faulting iovec in the middle: writev is EFAULT and sends nothing, not
 * even the iovecs before it; readv is EFAULT and consumes nothing: the
 * message is first in line, whole. Small (slot), inline and paged sizes.
 */
TEST_F(msgq, faulting_iovec_in_the_middle)
{
	unsigned char *in = malloc(MAX_MSGSIZE), *out = malloc(MAX_MSGSIZE);
	void *bad = bad_page();
	struct iovec iov[3];
	struct msgq_attr at;
	unsigned int s;

	ASSERT_NE(NULL, in);
	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, bad);
	MBOX_CREATE(4, MAX_MSGSIZE);
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t len = sizes[s];

		fill_pattern(in, len, s);
		split(iov, 3, in, len);
		iov[1].iov_base = bad;
		ASSERT_ERRNO(EFAULT, writev(self->fd, iov, 3));
		ASSERT_EQ(0, msgq_getattr(self->fd, &at));
		ASSERT_EQ(0U, at.cur_msgs) TH_LOG("%zu bytes: half sent", len);

		ASSERT_EQ((ssize_t)len, write(self->fd, in, len));
		split(iov, 3, out, len);
		iov[1].iov_base = bad;
		ASSERT_ERRNO(EFAULT, readv(self->fd, iov, 3));
		ASSERT_EQ(1, mbox_depth(self->fd))
			TH_LOG("%zu bytes: a failed readv consumed it", len);
		memset(out, 0, len);
		ASSERT_EQ((ssize_t)len, read(self->fd, out, MAX_MSGSIZE));
		ASSERT_TRUE(check_pattern(out, len, s));
	}
	ASSERT_EQ(0, msgq_getattr(self->fd, &at));
	ASSERT_EQ((__u64)(sizeof(sizes) / sizeof(sizes[0])), at.total_sent);
	ASSERT_EQ(at.total_sent, at.total_received);
	munmap(bad, (size_t)sysconf(_SC_PAGESIZE));
	free(in);
	free(out);
}

/*
 * RWF_NOWAIT: preadv2 on an empty mailbox and pwritev2 on a full one fail
 * EAGAIN at once, on a blocking handle. Offset -1 is the handle's own
 * (none); any other offset is ESPIPE.
 */
TEST_F(msgq, rwf_nowait_and_offsets)
{
	char c = 'x', got = 0;
	struct iovec iov = { &c, 1 }, riov = { &got, 1 };
	uint64_t t0;

	MBOX_CREATE(1, 16);
	alarm(10);
	t0 = now_ns(CLOCK_MONOTONIC);
	ASSERT_ERRNO(EAGAIN, preadv2(self->fd, &riov, 1, -1, RWF_NOWAIT));
	ASSERT_EQ(1, pwritev2(self->fd, &iov, 1, -1, RWF_NOWAIT));
	ASSERT_ERRNO(EAGAIN, pwritev2(self->fd, &iov, 1, -1, RWF_NOWAIT));
	ASSERT_LT(now_ns(CLOCK_MONOTONIC) - t0, 2000000000ull)
		TH_LOG("RWF_NOWAIT calls slept");
	alarm(0);
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_ERRNO(ESPIPE, pwritev2(self->fd, &iov, 1, 0, 0));
	ASSERT_ERRNO(ESPIPE, preadv2(self->fd, &riov, 1, 0, 0));
	ASSERT_ERRNO(ESPIPE, pwrite(self->fd, &c, 1, 0));
	ASSERT_ERRNO(ESPIPE, pread(self->fd, &got, 1, 0));
	ASSERT_ERRNO(ESPIPE, lseek(self->fd, 0, SEEK_CUR));
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_EQ(1, preadv2(self->fd, &riov, 1, -1, RWF_NOWAIT));
	ASSERT_EQ('x', got);
	/* A rendezvous send waits for its receiver: never under RWF_NOWAIT. */
	self->fd2 = msgq_create_at(self->dev, self->name2,
				   MSGQ_O_RDWR | MSGQ_O_EXCL, 0600, 0, 16);
	ASSERT_LE(0, self->fd2);
	ASSERT_ERRNO(EAGAIN, pwritev2(self->fd2, &iov, 1, -1, RWF_NOWAIT));
}

/*
 * splice(2), tee(2), sendfile(2) and copy_file_range(2) would carry a
 * mailbox's bytes through a pipe or a page cache, which keep no message
 * boundaries: each fails EINVAL, in either direction, and moves nothing.
 */
TEST_F(msgq, pipe_and_copy_calls_move_nothing)
{
	char buf[8];
	int p[2], q[2];
	struct msgq_attr at;

	MBOX_CREATE(4, 64);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, pipe(q));
	ASSERT_EQ(3, write(self->fd, "one", 3));
	ASSERT_EQ(3, write(p[1], "two", 3));

	/* Out of the mailbox. */
	ASSERT_ERRNO(EINVAL, splice(self->fd, NULL, p[1], NULL, 64, 0));
	ASSERT_ERRNO(EINVAL, splice(self->fd, NULL, p[1], NULL, 64,
				    SPLICE_F_NONBLOCK));
	ASSERT_ERRNO(EINVAL, sendfile(p[1], self->fd, NULL, 64));
	ASSERT_ERRNO(EINVAL, tee(self->fd, p[1], 64, 0));
	ASSERT_ERRNO(EINVAL, copy_file_range(self->fd, NULL, self->fd, NULL,
					     64, 0));
	/* Into it. */
	ASSERT_ERRNO(EINVAL, splice(p[0], NULL, self->fd, NULL, 64, 0));
	ASSERT_ERRNO(EINVAL, tee(p[0], self->fd, 64, 0));
	ASSERT_ERRNO(EINVAL, sendfile(self->fd, p[0], NULL, 64));

	/* Nothing moved either way. */
	ASSERT_EQ(0, msgq_getattr(self->fd, &at));
	ASSERT_EQ(1U, at.cur_msgs);
	ASSERT_EQ(1U, at.total_sent);
	ASSERT_EQ(0U, at.total_received);
	ASSERT_EQ(3, read(p[0], buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "two", 3));
	ASSERT_EQ(3, read(self->fd, buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "one", 3));
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

/*
 * vmsplice(2) makes user pages into pipe buffers; the mailbox is not a
 * pipe: EBADF, nothing sent.
 */
TEST_F(msgq, vmsplice_is_not_for_mailboxes)
{
	char c = 'v';
	struct iovec iov = { &c, 1 };

	MBOX_CREATE(4, 64);
	ASSERT_ERRNO(EBADF, vmsplice(self->fd, &iov, 1, 0));
	ASSERT_EQ(0, mbox_depth(self->fd));
}

TEST_HARNESS_MAIN
