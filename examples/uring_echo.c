// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * uring_echo: an echo service on io_uring, with no thread per waiting call.
 *
 * The service keeps DEPTH receives pending on its request mailbox (each an
 * IORING_OP_READ of one whole message) and answers each request by an
 * IORING_OP_WRITE of the same bytes to the reply mailbox, then re-arms the
 * receive. A client process sends ROUNDS requests and checks every reply
 * (order within a priority is FIFO; the echo may reorder between
 * concurrent receives, so the client checks the set). Exits 0 when every
 * request came back exactly once: make check runs it as a test.
 *
 *   cc -O2 -I lib/include examples/uring_echo.c lib/libmsgq.a -luring
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <liburing.h>
#include <msgq.h>
#include <msgq_uring.h>

#define DEPTH	8	/* receives pending at once */
#define ROUNDS	500	/* requests the client sends */
#define SIZE	64	/* largest request */

struct slot {
	unsigned int seq;
	char buf[SIZE];
	int writing;	/* the reply is on its way; then re-arm */
};

static void die(const char *what, int err)
{
	fprintf(stderr, "uring_echo: %s: %s\n", what, strerror(err));
	exit(1);
}

/* The client: send ROUNDS requests, expect each back once. */
static int client(const char *req_name, const char *rep_name)
{
	static char seen[ROUNDS];
	int req = msgq_open(req_name, MSGQ_O_SEND);
	int rep = msgq_open(rep_name, MSGQ_O_RECV);
	unsigned int i, v;

	if (req < 0 || rep < 0)
		return 2;
	for (i = 0; i < ROUNDS; i++) {
		if (msgq_send(req, &i, sizeof(i), 0))
			return 3;
		if (msgq_recv(rep, &v, sizeof(v), NULL) != sizeof(v) ||
		    v >= ROUNDS || seen[v]++)
			return 4;
	}
	v = ROUNDS;	/* the end */
	return msgq_send(req, &v, sizeof(v), 0) ? 3 : 0;
}

static void arm_recv(struct io_uring *ring, int fd, struct slot *s)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	s->writing = 0;
	msgq_prep_recv(sqe, fd, s->buf, sizeof(s->buf));
	io_uring_sqe_set_data(sqe, s);
}

int main(void)
{
	static struct slot slots[DEPTH];
	char req_name[64], rep_name[64];
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	int req, rep, err, status, i;
	unsigned int done = 0;
	pid_t pid;

	snprintf(req_name, sizeof(req_name), "uring-echo-req-%d", getpid());
	snprintf(rep_name, sizeof(rep_name), "uring-echo-rep-%d", getpid());
	req = msgq_create(req_name, MSGQ_O_RECV | MSGQ_O_OWNED, 0600, 16, SIZE);
	if (req < 0)
		die("create requests", errno);
	rep = msgq_create(rep_name, MSGQ_O_SEND | MSGQ_O_OWNED, 0600, 16, SIZE);
	if (rep < 0)
		die("create replies", errno);
	err = io_uring_queue_init(2 * DEPTH, &ring, 0);
	if (err)
		die("io_uring_queue_init", -err);
	for (i = 0; i < DEPTH; i++)
		arm_recv(&ring, req, &slots[i]);
	io_uring_submit(&ring);

	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (!pid)
		_exit(client(req_name, rep_name));

	for (;;) {
		struct io_uring_sqe *sqe;
		struct slot *s;
		int res;

		err = io_uring_wait_cqe(&ring, &cqe);
		if (err)
			die("io_uring_wait_cqe", -err);
		s = io_uring_cqe_get_data(cqe);
		res = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		if (res < 0)
			die(s->writing ? "reply" : "request", -res);
		if (s->writing) {
			arm_recv(&ring, req, s);
		} else {
			memcpy(&s->seq, s->buf, sizeof(s->seq));
			if (s->seq == ROUNDS)
				break;
			s->writing = 1;
			sqe = io_uring_get_sqe(&ring);
			msgq_prep_send(sqe, rep, s->buf, (size_t)res);
			io_uring_sqe_set_data(sqe, s);
			done++;
		}
		io_uring_submit(&ring);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "uring_echo: client failed (status %#x)\n", status);
		return 1;
	}
	printf("uring_echo: %u requests echoed, %d receives pending at a time\n",
	       done, DEPTH);
	io_uring_queue_exit(&ring);
	return 0;
}
