// SPDX-License-Identifier: GPL-2.0
/*
 * msgq-bench: handoff-16M, one sender process -> one receiver process, a
 * payload of handoff_size (16 MiB) at a time (payloads/s, higher is
 * better; x 16 for MiB/s).
 *
 * The payload is in the sender's memory, one buffer written whole before
 * the figure starts; for each payload the sender stamps its sequence
 * number and each word's index (pattern()) into the first word of every
 * 4 KiB and the last word (stamp(): 4097
 * stores, not the 16 MiB a producer would write: that costs as much as
 * moving it, any way, under emulation, and hid the difference). Then, by
 * mechanism:
 *   handoff   (msgq: msgq_send_fds(); AF_UNIX seqpacket: SCM_RIGHTS, what
 *             a user builds without msgq's descriptor passing) the sender
 *             write(2)s the buffer into a new memfd (one copy), seals it
 *             (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL,
 *             as examples/memfd_handoff.c does, so the receiver can trust
 *             it), sends a 16-byte header carrying the memfd and closes
 *             its descriptor; the receiver checks the seals and the size,
 *             mmaps it (MAP_POPULATE), checks it, unmaps and closes it.
 *             A new memfd per payload: handing it off gives it away.
 *   copy      (POSIX mq; msgq in handoff-16M-copy) the sender sends the
 *             buffer as handoff_size / handoff_chunk (16) messages of
 *             handoff_chunk (1 MiB, msgq's largest message) bytes (two
 *             copies: in and out of the kernel); the receiver receives
 *             them in order straight into their place in one buffer it
 *             keeps (the reassembly), and checks it.
 * The check, the same for every mechanism: the first word of every 4 KiB
 * of the payload and its last word hold the pattern of the payload
 * expected next (so every page is the right payload's, at the right
 * place), and each copy message is a whole chunk.
 *
 * Each channel holds one payload: the msgq handoff mailbox 1 message, the
 * copy channels (msgq max_msgs, mq_maxmsg) 16 chunks (16 MiB of msgq's
 * 64 MiB default user_bytes quota); AF_UNIX has the smallest SO_SNDBUF
 * (the kernel's minimum, a few headers: it has no count of messages).
 *
 * The figure is taken between two completed payloads (run_window_steps()),
 * a window of at least --window ms: a payload takes a hundred ms under
 * emulation, so run_window()'s fixed window would be off by a fraction of
 * one. [1 vCPU]: both processes on vCPU 0; [2 vCPUs]: on vCPUs 0 and 1.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define HO_SEALS	(F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | \
			 F_SEAL_SEAL)
#define HO_INFLIGHT	1	/* payloads a channel holds */
#define HO_STRIDE	4096	/* the check: a word every HO_STRIDE bytes */

size_t handoff_size = 16 << 20;
size_t handoff_chunk = 1 << 20;

/* The header of a handoff message: which payload, how big */
struct ho_hdr {
	uint64_t size;
	uint32_t seq;
	uint32_t pad;
};

/* Word @i of payload @seq */
static inline uint64_t pattern(uint32_t seq, size_t i)
{
	return (uint64_t)seq << 32 | (uint32_t)i;
}

/* The sender's work on each payload: the words the receiver checks */
static void stamp(uint64_t *p, size_t size, uint32_t seq)
{
	size_t i, n = size / sizeof(*p), step = HO_STRIDE / sizeof(*p);

	for (i = 0; i < n; i += step)
		p[i] = pattern(seq, i);
	p[n - 1] = pattern(seq, n - 1);
}

/* The receiver's check of payload @seq at @p: true if intact */
static bool payload_ok(const uint64_t *p, size_t size, uint32_t seq)
{
	size_t i, n = size / sizeof(*p), step = HO_STRIDE / sizeof(*p);

	for (i = 0; i < n; i += step)
		if (p[i] != pattern(seq, i))
			return false;
	return p[n - 1] == pattern(seq, n - 1);
}

static bool is_fd_handoff(const struct mech *m)
{
	return m == &mech_msgq || m == &mech_unix_sp;
}

/* Send @hdr carrying @fd: msgq_send_fds(), or SCM_RIGHTS */
static int ho_send_fd(const struct chan *c, const struct ho_hdr *hdr, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { (void *)hdr, sizeof(*hdr) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	if (c->m == &mech_msgq)
		return msgq_send_fds(c->sfd, hdr, sizeof(*hdr), 0, &fd, 1);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(c->sfd, &mh, 0) == (ssize_t)sizeof(*hdr) ? 0 : -1;
}

/* Receive a header and the one descriptor it carries into *@fd: 0/-1 */
static int ho_recv_fd(const struct chan *c, struct ho_hdr *hdr, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { hdr, sizeof(*hdr) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	unsigned int nfds = 1, fd_flags = MSGQ_FD_CLOEXEC;
	struct cmsghdr *cm;
	ssize_t n;

	*fd = -1;
	if (c->m == &mech_msgq) {
		n = msgq_recv_fds(c->rfd, hdr, sizeof(*hdr), NULL, fd, &nfds,
				  &fd_flags);
		if (n >= 0 && nfds != 1)
			errno = EPROTO, n = -1;
	} else {
		n = recvmsg(c->rfd, &mh, MSG_CMSG_CLOEXEC);
		cm = CMSG_FIRSTHDR(&mh);
		if (n >= 0 && (!cm || cm->cmsg_type != SCM_RIGHTS ||
			       cm->cmsg_len != CMSG_LEN(sizeof(int))))
			errno = EPROTO, n = -1;
		else if (n >= 0)
			memcpy(fd, CMSG_DATA(cm), sizeof(int));
	}
	if (n != (ssize_t)sizeof(*hdr)) {
		if (n >= 0)
			errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/*
 * A buffer of the whole payload, all of it written (0xff bytes: no word of
 * any payload's pattern); stamp() writes the words the check reads.
 */
static void *ho_buffer(void)
{
	void *p = aligned_alloc(4096, handoff_size);

	if (!p)
		child_fail("handoff: out of memory", ENOMEM);
	memset(p, 0xff, handoff_size);
	return p;
}

/* A new sealed memfd holding @buf, payload @seq */
static int ho_make(uint64_t *buf, uint32_t seq)
{
	size_t off;
	ssize_t n;
	int fd;

	stamp(buf, handoff_size, seq);
	fd = memfd_create("msgq-bench", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		child_fail("handoff: memfd_create", errno);
	for (off = 0; off < handoff_size; off += (size_t)n) {
		n = write(fd, (char *)buf + off, handoff_size - off);
		if (n <= 0)
			child_fail("handoff: write to the memfd", errno);
	}
	if (fcntl(fd, F_ADD_SEALS, HO_SEALS))
		child_fail("handoff: F_ADD_SEALS", errno);
	return fd;
}

static void ho_fd_sender(const struct job *j)
{
	struct ho_hdr hdr = { .size = handoff_size };
	uint64_t *buf = ho_buffer();
	int fd;

	child_wait_go();
	for (;; hdr.seq++) {
		fd = ho_make(buf, hdr.seq);
		if (ho_send_fd(j->a, &hdr, fd))
			child_fail("handoff: send", errno);
		close(fd);	/* the message holds the file now */
	}
}

static void ho_fd_receiver(const struct job *j)
{
	struct ho_hdr hdr;
	uint32_t want = 0;
	struct stat st;
	void *p;
	int fd;

	child_wait_go();
	for (;;) {
		if (ho_recv_fd(j->a, &hdr, &fd))
			child_fail("handoff: receive", errno);
		if (fcntl(fd, F_GET_SEALS) != HO_SEALS || fstat(fd, &st) ||
		    (uint64_t)st.st_size != handoff_size ||
		    hdr.size != handoff_size)
			child_fail("handoff: not sealed, or not the size", 0);
		p = mmap(NULL, handoff_size, PROT_READ,
			 MAP_SHARED | MAP_POPULATE, fd, 0);
		if (p == MAP_FAILED)
			child_fail("handoff: mmap (receiver)", errno);
		close(fd);
		if (hdr.seq != want || !payload_ok(p, handoff_size, want))
			child_fail("handoff: a payload not the one expected, "
				   "or not intact", 0);
		munmap(p, handoff_size);
		count_set(j->slot, ++want);
	}
}

/* Copy: stamp the one buffer, send it as chunks */
static void ho_copy_sender(const struct job *j)
{
	char *buf = ho_buffer();
	struct ep e = { .c = j->a };
	uint32_t seq;
	size_t off;

	child_wait_go();
	for (seq = 0;; seq++) {
		stamp((uint64_t *)buf, handoff_size, seq);
		for (off = 0; off < handoff_size; off += handoff_chunk) {
			e.pl[0] = buf + off;
			if (j->a->m->send(&e, 0, handoff_chunk, 0))
				child_fail("handoff copy: send", errno);
		}
	}
}

/* Copy: receive the chunks in place, check the whole */
static void ho_copy_receiver(const struct job *j)
{
	char *buf = ho_buffer();
	struct ep e = { .c = j->a };
	uint32_t seq;
	size_t off;

	child_wait_go();
	for (seq = 0;; seq++) {
		for (off = 0; off < handoff_size; off += handoff_chunk) {
			e.pl[0] = buf + off;
			if (j->a->m->recv(&e, 0) != (ssize_t)handoff_chunk)
				child_fail("handoff copy: receive (or not a "
					   "whole chunk)", errno);
		}
		if (!payload_ok((uint64_t *)buf, handoff_size, seq))
			child_fail("handoff copy: a payload not the one "
				   "expected, or not intact", 0);
		count_set(j->slot, seq + 1);
	}
}

/*
 * Payloads per second from one process to another: by descriptor for a
 * mechanism that can pass one (unless @copy), else copied in chunks.
 */
double measure_handoff(const struct mech *m, bool copy, bool one_cpu)
{
	bool fds = is_fd_handoff(m) && !copy;
	struct job js, jr;
	struct chan c;
	double rate;
	int r;

	reset_shm(false);
	if (fds)
		r = chan_open(&c, m, sizeof(struct ho_hdr), HO_INFLIGHT);
	else
		r = chan_open(&c, m, handoff_chunk,
			      HO_INFLIGHT * (handoff_size / handoff_chunk));
	if (r) {
		snprintf(sh->what, sizeof(sh->what), "handoff: channel");
		sh->err = 1;
		sh->err_errno = errno;
		chan_close(&c);
		return NAN;
	}
	jr = (struct job){ .a = &c, .size = handoff_size, .slot = 0 };
	js = jr;
	spawn(fds ? ho_fd_receiver : ho_copy_receiver, &jr, one_cpu ? 0 : 1);
	spawn(fds ? ho_fd_sender : ho_copy_sender, &js, 0);
	rate = run_window_steps(0, opt.window_ms / 1000.0);
	chan_close(&c);
	return rate;
}
