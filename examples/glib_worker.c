// SPDX-License-Identifier: MIT
/*
 * glib_worker: a worker on a GLib main loop that drains a msgq mailbox and
 * serves a timer.
 *
 * A mailbox handle is an ordinary file descriptor: g_unix_fd_add() watches
 * it for G_IO_IN beside a g_timeout_add() timer. The handle is
 * non-blocking, so the callback never blocks the loop: it receives until
 * EAGAIN, as one wakeup may stand for one message or a hundred. GLib polls
 * its sources with poll(2), level-triggered, so the callback may also stop
 * after BUDGET messages: what it leaves wakes it again on the loop's next
 * turn, after the timer has had its go.
 *
 *   glib_worker MAILBOX
 *
 * Opens the mailbox MAILBOX (someone else created it) to receive, and
 * prints one line per event, the contract selftests/evloop_test.c checks:
 *   ready            the sources are attached
 *   msg PRIO TEXT    a message, in the order received
 *   tick             the timer fired (every TICK_MS)
 *   bye              the message "quit" came: it takes no more and exits 0
 * Errors go to stderr, with exit status 1.
 *
 *   cc -O2 glib_worker.c $(pkg-config --cflags --libs libmsgq glib-2.0)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib-unix.h>
#include <msgq.h>

#define TICK_MS	100	/* the timer's period */
#define BUDGET	64	/* messages per wakeup at most: then the timer */

struct worker {
	int fd;			/* the mailbox: receive-only, non-blocking */
	char *buf;		/* one message: max_msgsize bytes */
	size_t cap;
	int status;		/* the exit status */
	GMainLoop *loop;
};

/* End the loop (g_main_loop_run() returns) and remove the fd's source. */
static gboolean stop(struct worker *w, const char *what, int err)
{
	if (what) {
		fprintf(stderr, "glib_worker: %s: %s\n", what, strerror(err));
		w->status = 1;
	}
	g_main_loop_quit(w->loop);
	return G_SOURCE_REMOVE;
}

/* One message: print it; true if it says quit. */
static int take(struct worker *w, size_t len, unsigned int prio)
{
	if (len == 4 && !memcmp(w->buf, "quit", 4))
		return 1;
	printf("msg %u %.*s\n", prio, (int)len, w->buf);
	return 0;
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer arg)
{
	struct worker *w = arg;
	unsigned int prio, i;
	ssize_t n;

	for (i = 0; i < BUDGET; i++) {
		n = msgq_recv(fd, w->buf, w->cap, &prio);
		if (n < 0 && errno == EAGAIN)
			return G_SOURCE_CONTINUE;	/* drained */
		if (n < 0)
			return stop(w, "recv", errno);
		if (take(w, n, prio)) {
			printf("bye\n");
			return stop(w, NULL, 0);
		}
	}
	return G_SOURCE_CONTINUE;	/* more may wait: polled again */
}

static gboolean on_tick(gpointer arg)
{
	printf("tick\n");
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	struct worker w = { .status = 0 };
	struct msgq_attr attr;

	if (argc != 2) {
		fprintf(stderr, "usage: glib_worker MAILBOX\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);	/* a line per event, at once */
	w.fd = msgq_open(argv[1], MSGQ_O_RECV | MSGQ_O_NONBLOCK |
			 MSGQ_O_CLOEXEC);
	if (w.fd < 0 || msgq_getattr(w.fd, &attr)) {
		fprintf(stderr, "glib_worker: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	w.cap = attr.max_msgsize;	/* never 0 */
	w.buf = g_malloc(w.cap);
	w.loop = g_main_loop_new(NULL, FALSE);
	g_unix_fd_add(w.fd, G_IO_IN, on_readable, &w);
	g_timeout_add(TICK_MS, on_tick, &w);
	printf("ready\n");
	g_main_loop_run(w.loop);

	g_main_loop_unref(w.loop);
	msgq_close(w.fd);
	g_free(w.buf);
	return w.status;
}
