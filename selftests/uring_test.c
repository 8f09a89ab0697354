// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring on mailbox handles: IORING_OP_READ/WRITE/READV/WRITEV keep
 * message boundaries as read(2)/write(2) do, and a receive on an empty
 * mailbox waits on the mailbox's poll, not in an io-wq worker thread (the
 * handle honours IOCB_NOWAIT): 1000 pending receives are 1000 poll entries,
 * no kernel threads, completed in the mailbox's priority order. A
 * cancelled receive loses no message; pending receives survive the close
 * of their handle and an unlink, and end with EIDRM when an owned
 * mailbox's owner goes. SQPOLL rings work the same.
 *
 * Skips where io_uring is unavailable (kernel without it, or disabled by
 * the io_uring_disabled sysctl).
 */
#include "msgq_test.h"

#include <dirent.h>
#include <liburing.h>
#include <sys/uio.h>

#define PENDING		1000

/* An io_uring of @entries, or SKIP. */
#define RING_INIT(ring, entries) do {					\
	int __e = io_uring_queue_init((entries), (ring), 0);		\
	if (__e == -ENOSYS || __e == -EPERM || __e == -EOPNOTSUPP)	\
		SKIP(return, "io_uring unavailable: %s", strerror(-__e)); \
	ASSERT_EQ(0, __e) TH_LOG("io_uring_queue_init: %s",		\
				 strerror(-__e));			\
} while (0)

/* Submit what is queued and wait for one completion: its result. */
static int submit_and_reap(struct io_uring *ring, __u64 *data)
{
	struct io_uring_cqe *cqe;
	int res;

	if (io_uring_submit(ring) < 0)
		return -EIO;
	if (io_uring_wait_cqe(ring, &cqe))
		return -EIO;
	res = cqe->res;
	if (data)
		*data = cqe->user_data;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

/* How many of this process's threads are io-wq workers (iou-wrk-N). */
static int io_workers(void)
{
	char path[300], comm[64];
	struct dirent *d;
	int n = 0, fd;
	ssize_t len;
	DIR *dir = opendir("/proc/self/task");

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 d->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, comm, sizeof(comm) - 1);
		close(fd);
		if (len > 0 && !strncmp(comm, "iou-wrk-", 8))
			n++;
	}
	closedir(dir);
	return n;
}

/* WRITE, WRITEV of 3 iovecs, READ, READV of 3 iovecs: a message each. */
TEST_F(msgq, boundaries)
{
	char a[] = "ab", b[] = "cd", c[] = "ef", out[16];
	struct iovec wv[3] = { { a, 2 }, { b, 2 }, { c, 2 } };
	char r0[2], r1[2], r2[12];
	struct iovec rv[3] = { { r0, 2 }, { r1, 2 }, { r2, 12 } };
	struct io_uring ring;
	struct io_uring_sqe *sqe;

	RING_INIT(&ring, 8);
	MBOX_CREATE(8, 64);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_writev(sqe, self->fd, wv, 3, -1);
	ASSERT_EQ(6, submit_and_reap(&ring, NULL));
	ASSERT_EQ(1, mbox_depth(self->fd));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_write(sqe, self->fd, "xyz", 3, -1);
	ASSERT_EQ(3, submit_and_reap(&ring, NULL));
	ASSERT_EQ(2, mbox_depth(self->fd));

	/* READV takes one message over its iovecs, not one per iovec. */
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_readv(sqe, self->fd, rv, 3, -1);
	ASSERT_EQ(6, submit_and_reap(&ring, NULL));
	ASSERT_EQ(0, memcmp(r0, "ab", 2));
	ASSERT_EQ(0, memcmp(r1, "cd", 2));
	ASSERT_EQ(0, memcmp(r2, "ef", 2));
	ASSERT_EQ(1, mbox_depth(self->fd));
	/* READ with too little room: EMSGSIZE, the message kept. */
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, self->fd, out, 2, -1);
	ASSERT_EQ(-EMSGSIZE, submit_and_reap(&ring, NULL));
	ASSERT_EQ(1, mbox_depth(self->fd));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, self->fd, out, sizeof(out), -1);
	ASSERT_EQ(3, submit_and_reap(&ring, NULL));
	ASSERT_EQ(0, memcmp(out, "xyz", 3));
	ASSERT_EQ(0, mbox_depth(self->fd));
	io_uring_queue_exit(&ring);
}

/*
 * PENDING receives on an empty mailbox wait without io-wq workers; one
 * batch of PENDING sends completes every one of them, each message
 * exactly once.
 */
TEST_F(msgq, pending_receives_need_no_threads)
{
	static unsigned int got[PENDING], sent[PENDING];
	static struct msgq_mmsg mm[PENDING];
	static char seen[PENDING];
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	unsigned int i, n;
	int workers;

	RING_INIT(&ring, PENDING);
	MBOX_CREATE(PENDING, sizeof(unsigned int));
	for (i = 0; i < PENDING; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		ASSERT_NE(NULL, sqe);
		io_uring_prep_read(sqe, self->fd, &got[i], sizeof(got[i]), -1);
		io_uring_sqe_set_data64(sqe, i);
	}
	ASSERT_EQ(PENDING, io_uring_submit(&ring));
	sleep_ms(300);
	ASSERT_EQ(0, io_uring_peek_cqe(&ring, &cqe) == 0)
		TH_LOG("a receive completed on an empty mailbox: %d",
		       cqe->res);
	workers = io_workers();
	ASSERT_EQ(0, workers)
		TH_LOG("%d io-wq workers for %d pending receives", workers,
		       PENDING);

	for (i = 0; i < PENDING; i++) {
		sent[i] = i;
		mm[i].buf = ptr_to_u64(&sent[i]);
		mm[i].len = sizeof(sent[i]);
		mm[i].prio = i % 4;
	}
	ASSERT_EQ(PENDING, msgq_send_batch(self->fd, mm, PENDING, 0));
	for (n = 0; n < PENDING; n++) {
		__u64 k;

		ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
		ASSERT_EQ((int)sizeof(unsigned int), cqe->res)
			TH_LOG("receive %llu: %s", cqe->user_data,
			       strerror(-cqe->res));
		k = cqe->user_data;
		io_uring_cqe_seen(&ring, cqe);
		ASSERT_LT(got[k], (unsigned int)PENDING);
		ASSERT_EQ(0, seen[got[k]]) TH_LOG("message %u received twice",
						  got[k]);
		seen[got[k]] = 1;
	}
	ASSERT_EQ(0, mbox_depth(self->fd));
	/* Nor did their completions need one (idle workers linger for s). */
	workers = io_workers();
	ASSERT_EQ(0, workers) TH_LOG("%d io-wq workers served the receives",
				     workers);
	io_uring_queue_exit(&ring);
}

/*
 * Receives pending on an empty mailbox complete in the mailbox's order:
 * highest priority first, FIFO within one, as the messages of one batch
 * send arrive; each exactly once.
 */
TEST_F(msgq, pending_receives_complete_in_priority_order)
{
	static unsigned int got[64], sent[64];
	static struct msgq_mmsg mm[64];
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	unsigned int i, last = UINT32_MAX;

	RING_INIT(&ring, 64);
	MBOX_CREATE(64, sizeof(unsigned int));
	for (i = 0; i < 64; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		io_uring_prep_read(sqe, self->fd, &got[i], sizeof(got[i]), -1);
		io_uring_sqe_set_data64(sqe, i);
	}
	ASSERT_EQ(64, io_uring_submit(&ring));
	sleep_ms(100);
	/* Message k has priority k % 8; its payload orders the whole set. */
	for (i = 0; i < 64; i++) {
		sent[i] = (7 - i % 8) * 64 + i;
		mm[i].buf = ptr_to_u64(&sent[i]);
		mm[i].len = sizeof(sent[i]);
		mm[i].prio = i % 8;
	}
	ASSERT_EQ(64, msgq_send_batch(self->fd, mm, 64, 0));
	for (i = 0; i < 64; i++) {
		unsigned int v;

		ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
		ASSERT_EQ((int)sizeof(unsigned int), cqe->res);
		v = got[cqe->user_data];
		io_uring_cqe_seen(&ring, cqe);
		/* Ascending payloads: priority 7 first, FIFO within one. */
		if (last != UINT32_MAX) {
			ASSERT_LT(last, v) TH_LOG("completion %u: %u after %u",
						  i, v, last);
		}
		last = v;
	}
	io_uring_queue_exit(&ring);
}

/*
 * Pending receives outlive what happens to the handle and the name: io_uring
 * holds the file, so receives on a closed handle still complete; an
 * unlinked mailbox goes on working unnamed; when an owned mailbox's owner
 * goes, pending receives complete with EIDRM.
 */
TEST_F(msgq, pending_receives_closed_unlinked_owner_gone)
{
	unsigned int v[3] = { 0 }, w = 0x77;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	int rfd, i;

	RING_INIT(&ring, 8);
	self->fd = msgq_create_at(self->dev, self->name,
				  MSGQ_O_RDWR | MSGQ_O_OWNED, 0600, 4,
				  sizeof(unsigned int));
	ASSERT_LE(0, self->fd);
	rfd = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);
	ASSERT_LE(0, rfd);
	for (i = 0; i < 3; i++) {
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_read(sqe, rfd, &v[i], sizeof(v[i]), -1);
		io_uring_sqe_set_data64(sqe, i);
	}
	ASSERT_EQ(3, io_uring_submit(&ring));
	sleep_ms(50);
	close(rfd);			/* the ring holds the file */
	ASSERT_EQ(0, msgq_unlink_at(self->dev, self->name));
	ASSERT_EQ(0, msgq_send(self->fd, &w, sizeof(w), 0));
	ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
	ASSERT_EQ((int)sizeof(w), cqe->res);
	ASSERT_EQ(w, v[cqe->user_data]);
	io_uring_cqe_seen(&ring, cqe);
	/* The owner goes: the two still pending end with EIDRM. */
	close(self->fd);
	self->fd = -1;
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
		ASSERT_EQ(-EIDRM, cqe->res) TH_LOG("%s", strerror(-cqe->res));
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
}

/* The same boundaries and waiting in SQPOLL mode: no system call at all. */
TEST_F(msgq, sqpoll)
{
	struct io_uring_params p = { .flags = IORING_SETUP_SQPOLL,
				     .sq_thread_idle = 100 };
	unsigned int v = 0, w = 0x99;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	int err;

	err = io_uring_queue_init_params(8, &ring, &p);
	if (err == -EPERM || err == -ENOSYS || err == -EOPNOTSUPP)
		SKIP(return, "SQPOLL: %s", strerror(-err));
	ASSERT_EQ(0, err) TH_LOG("SQPOLL: %s", strerror(-err));
	MBOX_CREATE(4, sizeof(unsigned int));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, self->fd, &v, sizeof(v), -1);
	ASSERT_EQ(1, io_uring_submit(&ring));
	sleep_ms(50);
	ASSERT_NE(0, io_uring_peek_cqe(&ring, &cqe));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_write(sqe, self->fd, &w, sizeof(w), -1);
	ASSERT_EQ(1, io_uring_submit(&ring));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
		ASSERT_EQ((int)sizeof(w), cqe->res);
		io_uring_cqe_seen(&ring, cqe);
	}
	ASSERT_EQ(w, v);
	ASSERT_EQ(0, mbox_depth(self->fd));
	io_uring_queue_exit(&ring);
}

/* A receive cancelled while it waits takes nothing: the message stays. */
TEST_F(msgq, cancelled_receive_loses_nothing)
{
	unsigned int v = 0, w = 0x5a5a;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	__u64 data;
	int res, i;

	RING_INIT(&ring, 8);
	MBOX_CREATE(4, sizeof(unsigned int));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, self->fd, &v, sizeof(v), -1);
	io_uring_sqe_set_data64(sqe, 1);
	ASSERT_EQ(1, io_uring_submit(&ring));
	sleep_ms(50);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_cancel64(sqe, 1, 0);
	io_uring_sqe_set_data64(sqe, 2);
	/* Two completions: the receive's (-ECANCELED) and the cancel's (0). */
	for (i = 0; i < 2; i++) {
		res = submit_and_reap(&ring, &data);
		if (data == 1) {
			ASSERT_EQ(-ECANCELED, res);
		} else {
			ASSERT_EQ(0, res) TH_LOG("cancel: %s", strerror(-res));
		}
	}
	ASSERT_EQ(0, msgq_send(self->fd, &w, sizeof(w), 0));
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_EQ((ssize_t)sizeof(v), read(self->fd, &v, sizeof(v)));
	ASSERT_EQ(w, v);
	io_uring_queue_exit(&ring);
}

/* A WRITE to a full mailbox waits for room, then sends one message. */
TEST_F(msgq, write_waits_for_room)
{
	unsigned int v = 7, got = 0;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;

	RING_INIT(&ring, 8);
	MBOX_CREATE(1, sizeof(unsigned int));
	ASSERT_EQ(0, msgq_send(self->fd, &got, sizeof(got), 0));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_write(sqe, self->fd, &v, sizeof(v), -1);
	ASSERT_EQ(1, io_uring_submit(&ring));
	sleep_ms(100);
	ASSERT_NE(0, io_uring_peek_cqe(&ring, &cqe));
	ASSERT_EQ(0, io_workers());
	ASSERT_EQ((ssize_t)sizeof(got), read(self->fd, &got, sizeof(got)));
	ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
	ASSERT_EQ((int)sizeof(v), cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	ASSERT_EQ((ssize_t)sizeof(got), read(self->fd, &got, sizeof(got)));
	ASSERT_EQ(v, got);
	io_uring_queue_exit(&ring);
}

TEST_HARNESS_MAIN
