// SPDX-License-Identifier: GPL-2.0
/*
 * The event-loop examples as workers, one fixture variant each:
 * examples/libuv_worker.c (uv_poll_t), libevent_worker.c
 * (EV_READ|EV_PERSIST) and glib_worker.c (g_unix_fd_add). The test creates
 * the mailbox, starts the worker on it with its stdout on a pipe, sends,
 * and reads what the worker prints, one line per event (the contract in
 * each example's top comment):
 *	ready | msg PRIO TEXT | tick | bye
 *
 * A worker is right when:
 * - every message comes out once, and a burst that was all waiting when
 *   it woke comes out in priority order, FIFO within a priority; a burst
 *   is BATCH messages, more than a worker takes per wakeup (BUDGET, 64),
 *   so a watcher that needs a fresh edge per wakeup stalls on it;
 * - its timer fires after each burst and between single messages: a
 *   worker that blocks in a receive, or spins, misses the tick;
 * - "quit" ends it with exit status 0, and what was sent after it stays in
 *   the mailbox.
 *
 * The workers are found beside this program (make check copies them into
 * the guest's selftests/) or, in the tree, in ../build/examples (make
 * examples); without them the tests skip.
 */
#include "msgq_test.h"

#include <libgen.h>
#include <limits.h>

#define BATCH		100	/* a burst: more than a worker's BUDGET */
#define SLOTS		(2 * BATCH)
#define MSGSIZE		64
#define LINE_MS		10000	/* the longest a worker may take to print */

/* What a worker printed and has not been read yet: its stdout. */
struct worker {
	pid_t pid;
	int out;
	char buf[4096];
	size_t len;
};

FIXTURE(evloop) {
	int dev;
	int fd;				/* the test's handle: it sends */
	char name[MSGQ_NAME_MAX + 1];
	struct worker w;
};

FIXTURE_VARIANT(evloop) {
	const char *prog;
};

FIXTURE_VARIANT_ADD(evloop, libuv) { .prog = "libuv_worker" };
FIXTURE_VARIANT_ADD(evloop, libevent) { .prog = "libevent_worker" };
FIXTURE_VARIANT_ADD(evloop, glib) { .prog = "glib_worker" };

/* Where @prog is: beside this program, or in the tree's build/examples. */
static bool worker_path(const char *prog, char *path, size_t size)
{
	static const char *const dirs[] = { "", "/../build/examples" };
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	unsigned int i;

	if (n < 0)
		return false;
	self[n] = '\0';
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, size, "%s%s/%s", dirname(self), dirs[i], prog);
		if (!access(path, X_OK))
			return true;
	}
	return false;
}

FIXTURE_SETUP(evloop)
{
	self->fd = -1;
	self->w.pid = -1;
	self->w.out = -1;
	FIXTURE_DEV_OPEN("ev");
	MBOX_CREATE(SLOTS, MSGSIZE);
}

FIXTURE_TEARDOWN(evloop)
{
	if (self->w.pid > 0) {
		kill(self->w.pid, SIGKILL);
		waitpid(self->w.pid, NULL, 0);
	}
	if (self->w.out >= 0)
		close(self->w.out);
	FIXTURE_DEV_CLOSE();
}

/* Start @path on mailbox @mbox, its stdout into w->out; 0 or -1. */
static int worker_start(struct worker *w, const char *path, const char *mbox)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return -1;
	w->pid = fork();
	if (w->pid < 0)
		return -1;
	if (w->pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		execl(path, path, mbox, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	w->out = p[0];
	w->len = 0;
	return 0;
}

/*
 * The worker's next line (without its newline) into @line, within @ms:
 * 1, or 0 when it closed its stdout, -1 on a timeout.
 */
static int worker_line(struct worker *w, char *line, size_t size, int ms)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) + (uint64_t)ms * MS;

	for (;;) {
		char *nl = memchr(w->buf, '\n', w->len);
		struct pollfd pfd = { .fd = w->out, .events = POLLIN };
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		ssize_t n;

		if (nl) {
			size_t k = nl - w->buf;

			snprintf(line, size, "%.*s", (int)k, w->buf);
			memmove(w->buf, nl + 1, w->len - k - 1);
			w->len -= k + 1;
			return 1;
		}
		if (w->len == sizeof(w->buf) || now >= end)
			return -1;
		if (poll(&pfd, 1, (int)((end - now) / MS) + 1) < 0 &&
		    errno != EINTR)
			return -1;
		if (!(pfd.revents & (POLLIN | POLLHUP)))
			continue;
		n = read(w->out, w->buf + w->len, sizeof(w->buf) - w->len);
		if (n == 0)
			return 0;
		if (n > 0)
			w->len += n;
	}
}

/*
 * The next line but "tick"s must be @want, within LINE_MS: a worker that
 * stalls with messages waiting still ticks, and that is no excuse.
 */
static void expect_line(struct __test_metadata *_metadata, struct worker *w,
			const char *want)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) + LINE_MS * MS;
	char line[256];
	int r;

	do {
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		int ms = now < end ? (int)((end - now) / MS) : 0;

		r = worker_line(w, line, sizeof(line), ms);
		ASSERT_EQ(1, r) TH_LOG("waiting for \"%s\": %s", want,
				       r ? "nothing but ticks for 10 s" :
				       "it exited");
	} while (!strcmp(line, "tick"));
	ASSERT_STREQ(want, line);
}

/* The next line must be "tick": the loop still runs its timer. */
static void expect_tick(struct __test_metadata *_metadata, struct worker *w)
{
	char line[256];
	int r = worker_line(w, line, sizeof(line), LINE_MS);

	ASSERT_EQ(1, r) TH_LOG("no tick for 10 s: the loop is blocked");
	ASSERT_STREQ("tick", line);
}

/* Mixed priorities, 0 and the highest among them, repeated unevenly. */
static unsigned int prio_of(unsigned int i)
{
	static const unsigned int prios[] = {
		3, 0, 9, 1, 9, MSGQ_PRIO_MAX - 1, 100, 0, 2, 5,
	};

	return prios[(i * 7) % 10];
}

/* Send burst @round: BATCH messages "b@round-I" at prio_of(I). */
static void send_burst(struct __test_metadata *_metadata, int fd,
		       unsigned int round)
{
	char text[32];
	unsigned int i;

	for (i = 0; i < BATCH; i++) {
		int len = snprintf(text, sizeof(text), "b%u-%u", round, i);

		ASSERT_EQ(0, msgq_send(fd, text, len, prio_of(i)))
			TH_LOG("send %s: %s", text, strerror(errno));
	}
}

/*
 * Burst @round must come out whole, once, highest priority first and in
 * sending order within a priority.
 */
static void expect_burst(struct __test_metadata *_metadata, struct worker *w,
			 unsigned int round)
{
	unsigned int prio = MSGQ_PRIO_MAX, next, i;
	char want[64];

	for (;;) {
		/* the next lower priority in use */
		next = 0;
		for (i = 0; i < BATCH; i++) {
			if (prio_of(i) < prio && prio_of(i) >= next)
				next = prio_of(i);
		}
		prio = next;
		for (i = 0; i < BATCH; i++) {
			if (prio_of(i) != prio)
				continue;
			snprintf(want, sizeof(want), "msg %u b%u-%u", prio,
				 round, i);
			expect_line(_metadata, w, want);
		}
		if (!prio)
			break;
	}
}

/* Stop the worker (SIGSTOP), as if busy elsewhere, until SIGCONT. */
static void worker_stop(struct __test_metadata *_metadata, struct worker *w)
{
	int st;

	ASSERT_EQ(0, kill(w->pid, SIGSTOP));
	ASSERT_EQ(w->pid, waitpid(w->pid, &st, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(st));
}

/* After "quit": it says bye, prints only ticks, exits with status 0. */
static void expect_bye(struct __test_metadata *_metadata, struct worker *w)
{
	char line[256];
	int r;

	expect_line(_metadata, w, "bye");
	/* GLib may finish the loop's turn: a tick can follow */
	while ((r = worker_line(w, line, sizeof(line), LINE_MS)) == 1)
		ASSERT_STREQ("tick", line);
	ASSERT_EQ(0, r) TH_LOG("it said bye but did not exit");
	ASSERT_EQ(0, wait_child_ms(w->pid, LINE_MS));
	w->pid = -1;
}

/*
 * Two bursts, each waiting whole when the worker wakes: once at its start,
 * once while it was stopped (SIGSTOP: a worker busy elsewhere). Each comes
 * out in priority order, and the timer fires after each.
 */
TEST_F_TIMEOUT(evloop, bursts_in_priority_order, 120)
{
	char path[PATH_MAX];
	struct msgq_attr a;

	if (!worker_path(variant->prog, path, sizeof(path)))
		SKIP(return, "no %s: make examples", variant->prog);
	send_burst(_metadata, self->fd, 0);
	ASSERT_EQ(0, worker_start(&self->w, path, self->name));
	expect_line(_metadata, &self->w, "ready");
	expect_burst(_metadata, &self->w, 0);
	expect_tick(_metadata, &self->w);

	worker_stop(_metadata, &self->w);
	send_burst(_metadata, self->fd, 1);
	ASSERT_EQ(0, kill(self->w.pid, SIGCONT));
	expect_burst(_metadata, &self->w, 1);
	expect_tick(_metadata, &self->w);

	ASSERT_EQ(0, msgq_send(self->fd, "quit", 4, 0));
	expect_bye(_metadata, &self->w);
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(0U, a.cur_msgs);
	ASSERT_EQ(2 * BATCH + 1ULL, a.total_received);
}

/*
 * One message at a time into an idle worker: each comes out, and the
 * timer fires after each (the worker went back to its loop, not into a
 * blocking receive).
 */
TEST_F_TIMEOUT(evloop, one_at_a_time, 120)
{
	char path[PATH_MAX], text[32], want[64];
	struct msgq_attr a;
	unsigned int i;

	if (!worker_path(variant->prog, path, sizeof(path)))
		SKIP(return, "no %s: make examples", variant->prog);
	ASSERT_EQ(0, worker_start(&self->w, path, self->name));
	expect_line(_metadata, &self->w, "ready");
	expect_tick(_metadata, &self->w);
	for (i = 0; i < 10; i++) {
		int len = snprintf(text, sizeof(text), "one-%u", i);

		ASSERT_EQ(0, msgq_send(self->fd, text, len, i % 4));
		snprintf(want, sizeof(want), "msg %u %s", i % 4, text);
		expect_line(_metadata, &self->w, want);
		expect_tick(_metadata, &self->w);
	}
	ASSERT_EQ(0, msgq_send(self->fd, "quit", 4, 0));
	expect_bye(_metadata, &self->w);
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(0U, a.cur_msgs);
	ASSERT_EQ(11ULL, a.total_received);
}

/* After "quit" the worker takes nothing more: the rest is left waiting. */
TEST_F_TIMEOUT(evloop, quit_leaves_the_rest, 60)
{
	char path[PATH_MAX], buf[MSGSIZE];
	unsigned int prio;

	if (!worker_path(variant->prog, path, sizeof(path)))
		SKIP(return, "no %s: make examples", variant->prog);
	ASSERT_EQ(0, msgq_send(self->fd, "first", 5, 9));
	ASSERT_EQ(0, msgq_send(self->fd, "after", 5, 1));
	ASSERT_EQ(0, worker_start(&self->w, path, self->name));
	expect_line(_metadata, &self->w, "ready");
	expect_line(_metadata, &self->w, "msg 9 first");
	expect_line(_metadata, &self->w, "msg 1 after");
	/* both waiting at its next wakeup: "quit" first, at 5 */
	worker_stop(_metadata, &self->w);
	ASSERT_EQ(0, msgq_send(self->fd, "left", 4, 1));
	ASSERT_EQ(0, msgq_send(self->fd, "quit", 4, 5));
	ASSERT_EQ(0, kill(self->w.pid, SIGCONT));
	expect_bye(_metadata, &self->w);
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_EQ(4, msgq_recv(self->fd, buf, sizeof(buf), &prio));
	ASSERT_EQ(0, memcmp(buf, "left", 4));
}

TEST_HARNESS_MAIN
