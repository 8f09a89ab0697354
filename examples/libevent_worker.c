// SPDX-License-Identifier: MIT
/*
 * libevent_worker: a worker on a libevent loop that drains a msgq mailbox
 * and serves a timer.
 *
 * A mailbox handle is an ordinary file descriptor: an event of
 * EV_READ|EV_PERSIST watches it beside a persistent timer event. The handle
 * is non-blocking, so the callback never blocks the loop: it receives until
 * EAGAIN, as one wakeup may stand for one message or a hundred. Without
 * EV_ET the event is level-triggered, so the callback may also stop after
 * BUDGET messages: what it leaves wakes it again on the loop's next turn,
 * after the timer has had its go. With EV_ET that would be a stall instead.
 *
 *   libevent_worker MAILBOX
 *
 * Opens the mailbox MAILBOX (someone else created it) to receive, and
 * prints one line per event, the contract selftests/evloop_test.c checks:
 *   ready            the events are added
 *   msg PRIO TEXT    a message, in the order received
 *   tick             the timer fired (every TICK_MS)
 *   bye              the message "quit" came: it takes no more and exits 0
 * Errors go to stderr, with exit status 1.
 *
 *   cc -O2 libevent_worker.c $(pkg-config --cflags --libs libmsgq libevent)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <msgq.h>

#define TICK_MS	100	/* the timer's period */
#define BUDGET	64	/* messages per wakeup at most: then the timer */

struct worker {
	int fd;			/* the mailbox: receive-only, non-blocking */
	char *buf;		/* one message: max_msgsize bytes */
	size_t cap;
	int status;		/* the exit status */
	struct event_base *base;
};

/* End the loop: event_base_dispatch() returns. */
static void stop(struct worker *w, const char *what, int err)
{
	if (what) {
		fprintf(stderr, "libevent_worker: %s: %s\n", what,
			strerror(err));
		w->status = 1;
	}
	event_base_loopbreak(w->base);
}

/* One message: print it; true if it says quit. */
static int take(struct worker *w, size_t len, unsigned int prio)
{
	if (len == 4 && !memcmp(w->buf, "quit", 4))
		return 1;
	printf("msg %u %.*s\n", prio, (int)len, w->buf);
	return 0;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	unsigned int prio, i;
	ssize_t n;

	for (i = 0; i < BUDGET; i++) {
		n = msgq_recv(fd, w->buf, w->cap, &prio);
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
	/* more may wait: level-triggered, libevent calls again */
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	printf("tick\n");
}

int main(int argc, char **argv)
{
	struct timeval tick = { 0, TICK_MS * 1000 };
	struct worker w = { .status = 0 };
	struct event *mbox, *timer;
	struct msgq_attr attr;

	if (argc != 2) {
		fprintf(stderr, "usage: libevent_worker MAILBOX\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);	/* a line per event, at once */
	w.fd = msgq_open(argv[1], MSGQ_O_RECV | MSGQ_O_NONBLOCK |
			 MSGQ_O_CLOEXEC);
	if (w.fd < 0 || msgq_getattr(w.fd, &attr)) {
		fprintf(stderr, "libevent_worker: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	w.cap = attr.max_msgsize;	/* never 0 */
	w.buf = malloc(w.cap);
	w.base = event_base_new();
	if (!w.buf || !w.base) {
		fprintf(stderr, "libevent_worker: out of memory\n");
		return 1;
	}
	mbox = event_new(w.base, w.fd, EV_READ | EV_PERSIST, on_readable, &w);
	timer = event_new(w.base, -1, EV_PERSIST, on_tick, &w);
	if (!mbox || !timer || event_add(mbox, NULL) ||
	    event_add(timer, &tick)) {
		fprintf(stderr, "libevent_worker: cannot add the events\n");
		return 1;
	}
	printf("ready\n");
	if (event_base_dispatch(w.base) < 0) {
		fprintf(stderr, "libevent_worker: event_base_dispatch failed\n");
		w.status = 1;
	}

	event_free(mbox);
	event_free(timer);
	event_base_free(w.base);
	msgq_close(w.fd);
	free(w.buf);
	return w.status;
}
