// SPDX-License-Identifier: MIT
/*
 * libuv_worker: a worker on a libuv loop that drains a msgq mailbox and
 * serves a timer.
 *
 * A mailbox handle is an ordinary file descriptor: a uv_poll_t watches it
 * for UV_READABLE beside a uv_timer_t. The handle is non-blocking, so the
 * callback never blocks the loop: it receives until EAGAIN, as one wakeup
 * may stand for one message or a hundred (or, libuv warns, for none).
 * uv_poll_t is level-triggered (epoll without EPOLLET on Linux), so the
 * callback may also stop after BUDGET messages: what it leaves wakes it
 * again on the loop's next turn, after the timer has had its go. With an
 * edge-triggered watcher that would be a stall instead.
 *
 *   libuv_worker MAILBOX
 *
 * Opens the mailbox MAILBOX (someone else created it) to receive, and
 * prints one line per event, the contract selftests/evloop_test.c checks:
 *   ready            the watchers are armed
 *   msg PRIO TEXT    a message, in the order received
 *   tick             the timer fired (every TICK_MS)
 *   bye              the message "quit" came: it takes no more and exits 0
 * Errors go to stderr, with exit status 1.
 *
 *   cc -O2 libuv_worker.c $(pkg-config --cflags --libs libmsgq libuv)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgq.h>
#include <uv.h>

#define TICK_MS	100	/* the timer's period */
#define BUDGET	64	/* messages per wakeup at most: then the timer */

struct worker {
	int fd;			/* the mailbox: receive-only, non-blocking */
	char *buf;		/* one message: max_msgsize bytes */
	size_t cap;
	int status;		/* the exit status */
	uv_poll_t poll;
	uv_timer_t timer;
};

/* End the loop: with no active handle, uv_run() returns. */
static void stop(struct worker *w, const char *what, int err)
{
	if (what) {
		fprintf(stderr, "libuv_worker: %s: %s\n", what, strerror(err));
		w->status = 1;
	}
	uv_poll_stop(&w->poll);
	uv_timer_stop(&w->timer);
}

/* One message: print it; true if it says quit. */
static int take(struct worker *w, size_t len, unsigned int prio)
{
	if (len == 4 && !memcmp(w->buf, "quit", 4))
		return 1;
	printf("msg %u %.*s\n", prio, (int)len, w->buf);
	return 0;
}

static void on_readable(uv_poll_t *p, int status, int events)
{
	struct worker *w = p->data;
	unsigned int prio, i;
	ssize_t n;

	if (status < 0) {
		stop(w, "poll", -status);
		return;
	}
	for (i = 0; i < BUDGET; i++) {
		n = msgq_recv(w->fd, w->buf, w->cap, &prio);
		if (n < 0 && errno == EAGAIN)
			return;			/* drained: wait for more */
		if (n < 0) {
			stop(w, "recv", errno);
			return;
		}
		if (take(w, n, prio)) {
			printf("bye\n");
			stop(w, NULL, 0);
			return;
		}
	}
	/* more may wait: level-triggered, uv_poll calls again */
}

static void on_tick(uv_timer_t *t)
{
	printf("tick\n");
}

int main(int argc, char **argv)
{
	struct worker w = { .status = 0 };
	struct msgq_attr attr;
	uv_loop_t loop;

	if (argc != 2) {
		fprintf(stderr, "usage: libuv_worker MAILBOX\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);	/* a line per event, at once */
	w.fd = msgq_open(argv[1], MSGQ_O_RECV | MSGQ_O_NONBLOCK |
			 MSGQ_O_CLOEXEC);
	if (w.fd < 0 || msgq_getattr(w.fd, &attr)) {
		fprintf(stderr, "libuv_worker: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	w.cap = attr.max_msgsize;	/* never 0 */
	w.buf = malloc(w.cap);
	if (!w.buf || uv_loop_init(&loop)) {
		fprintf(stderr, "libuv_worker: out of memory\n");
		return 1;
	}
	uv_poll_init(&loop, &w.poll, w.fd);
	uv_timer_init(&loop, &w.timer);
	w.poll.data = &w;
	uv_poll_start(&w.poll, UV_READABLE, on_readable);
	uv_timer_start(&w.timer, on_tick, TICK_MS, TICK_MS);
	printf("ready\n");
	uv_run(&loop, UV_RUN_DEFAULT);

	uv_close((uv_handle_t *)&w.poll, NULL);
	uv_close((uv_handle_t *)&w.timer, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);		/* the close callbacks */
	uv_loop_close(&loop);
	msgq_close(w.fd);
	free(w.buf);
	return w.status;
}
