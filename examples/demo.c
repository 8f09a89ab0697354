// SPDX-License-Identifier: MIT
/*
 * msgq demo: a small job system told as a story.
 *
 *   producer "bulk"   --routine jobs, priority 1-->  +------+
 *                                                  | jobs |  --> consumer
 *   producer "urgent" --urgent jobs, priority 9-->  +------+        |
 *                                                                   |
 *   front desk (this process)  <---------- "replies" <-------------+
 *
 *   front desk --question--> "questions" --> clerk --answer--> "answers"
 *              (one msgq_sendrecv() per question: ask, then wait)
 *
 * Every actor is its own process; they find the mailboxes by name. The
 * "jobs" mailbox holds only JOBS_SLOTS messages, so the bulk producer is
 * made to wait (flow control) until the consumer catches up.
 *
 * Each step prints what it shows and checks it; the exit status is 0 only
 * if every expectation held, so the demo is a test too.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * An installed program writes #include <msgq.h> (and links -lmsgq). The
 * in-tree path keeps this file independent of the order of -I flags.
 */
#include <msgq.h>

#define JOBS		"jobs"
#define REPLIES		"replies"
#define JOBS_SLOTS	8	/* small on purpose: flow control */
#define ROUTINE_FIRST	5	/* bulk jobs queued before the consumer runs */
#define ROUTINE_MORE	7	/* bulk jobs sent while the consumer works */
#define ROUTINE_TOTAL	(ROUTINE_FIRST + ROUTINE_MORE)
#define URGENT_TOTAL	3
#define ALL_JOBS	(ROUTINE_TOTAL + URGENT_TOTAL)
#define PRIO_ROUTINE	1
#define PRIO_URGENT	9
#define WORK_MS		40	/* the consumer's time per job */
#define QUESTIONS	"questions"
#define ANSWERS		"answers"
#define ASKED		3	/* questions the front desk asks the clerk */

struct job {
	char label[16];		/* "urgent#0", "bulk#11" */
	unsigned int seq;	/* per producer */
	unsigned int urgent;
};

struct reply {
	char label[16];
	unsigned int prio;	/* the job's priority */
	int worker;		/* the consumer's pid, as it believes */
};

/* What the children report back, in memory shared across fork(2). */
struct board {
	int bulk_sent;			/* bulk jobs queued so far */
	double bulk_wait_ms[ROUTINE_TOTAL];
	int order_ok, sender_ok;	/* consumer's findings */
	int taken;
	char taken_label[ALL_JOBS][16];
	int child_errors;
};

static int failures, checks;

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void expect(bool ok, const char *what)
{
	checks++;
	if (!ok)
		failures++;
	say("        %s %s\n", ok ? "[ok]  " : "[FAIL]", what);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void die(const char *who, const char *what)
{
	fprintf(stderr, "demo: %s: %s: %s\n", who, what, strerror(errno));
	fflush(stderr);
	_exit(2);
}

/* The state letter of a process, from /proc/PID/stat ('S': asleep). */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] ? p[2] : '?';
}

static unsigned int depth(int fd)
{
	struct msgq_attr a;

	return msgq_getattr(fd, &a) ? ~0U : a.cur_msgs;
}

/* ------------------------------------------------------------------ */
/* The actors */

static void send_job(int fd, const char *name, unsigned int seq,
		     unsigned int prio)
{
	struct job j = { .seq = seq, .urgent = prio == PRIO_URGENT };

	snprintf(j.label, sizeof(j.label), "%s#%u", name, seq);
	if (msgq_send(fd, &j, sizeof(j), prio))
		die(name, "msgq_send");
}

/* "urgent": three jobs at priority 9, then done. */
static void urgent_producer(void)
{
	int fd = msgq_open(JOBS, MSGQ_O_SEND);
	unsigned int i;

	if (fd < 0)
		die("urgent", "msgq_open " JOBS);
	for (i = 0; i < URGENT_TOTAL; i++)
		send_job(fd, "urgent", i, PRIO_URGENT);
	_exit(0);
}

/*
 * "bulk": routine jobs at priority 1. The first ROUTINE_FIRST fit; then,
 * told to go on, it sends ROUTINE_MORE more into a full mailbox, timing
 * how long each send had to wait for room.
 */
static void bulk_producer(struct board *b, int go_fd)
{
	int fd = msgq_open(JOBS, MSGQ_O_SEND);
	unsigned int i;
	char c;

	if (fd < 0)
		die("bulk", "msgq_open " JOBS);
	for (i = 0; i < ROUTINE_TOTAL; i++) {
		double t0;

		if (i == ROUTINE_FIRST && read(go_fd, &c, 1) != 1)
			die("bulk", "read go");
		t0 = now_ms();
		send_job(fd, "bulk", i, PRIO_ROUTINE);
		b->bulk_wait_ms[i] = now_ms() - t0;
		__atomic_store_n(&b->bulk_sent, i + 1, __ATOMIC_SEQ_CST);
		if (b->bulk_wait_ms[i] >= WORK_MS / 2)
			say("        [bulk]     bulk#%u queued after waiting %.0f ms %s\n",
			    i, b->bulk_wait_ms[i], "for a free slot");
	}
	_exit(0);
}

/*
 * The consumer: takes jobs one at a time, highest priority first, checks
 * the kernel-stamped sender, "works" WORK_MS, and replies on "replies".
 */
static void consumer(struct board *b, pid_t bulk, pid_t urgent)
{
	int in = msgq_open(JOBS, MSGQ_O_RECV);
	int out = msgq_open(REPLIES, MSGQ_O_SEND);
	unsigned int last_prio = ~0U, next_seq[2] = { 0, 0 };
	int n;

	if (in < 0 || out < 0)
		die("consumer", "msgq_open");
	b->order_ok = 1;
	b->sender_ok = 1;
	for (n = 0; n < ALL_JOBS; n++) {
		struct job j;
		struct msgq_recv r = {
			.buf = (uintptr_t)&j, .cap = sizeof(j),
		};
		struct reply rep;
		pid_t want;

		if (msgq_recv_args(in, &r) != sizeof(j))
			die("consumer", "msgq_recv_args");
		want = j.urgent ? urgent : bulk;
		say("        [consumer] took %-9s priority %u, sent by pid %d%s\n",
		    j.label, r.prio, r.pid,
		    r.pid == want ? "" : "  <-- not its producer!");
		if (r.prio > last_prio || j.seq != next_seq[j.urgent])
			b->order_ok = 0;
		if (r.pid != want || r.uid != geteuid())
			b->sender_ok = 0;
		last_prio = r.prio;
		next_seq[j.urgent]++;
		memcpy(b->taken_label[n], j.label, sizeof(j.label));
		b->taken = n + 1;

		sleep_ms(WORK_MS);
		memset(&rep, 0, sizeof(rep));
		memcpy(rep.label, j.label, sizeof(rep.label));
		rep.prio = r.prio;
		rep.worker = getpid();
		if (msgq_send(out, &rep, sizeof(rep), r.prio))
			die("consumer", "msgq_send reply");
	}
	_exit(0);
}

/*
 * The clerk answers each question (a number) with its square. It waits for
 * the first question, then sends each answer and waits for the next
 * question in one call; 0 means "that is all".
 */
static void clerk(void)
{
	int q = msgq_open(QUESTIONS, MSGQ_O_RECV | MSGQ_O_CLOEXEC);
	int a = msgq_open(ANSWERS, MSGQ_O_SEND | MSGQ_O_CLOEXEC);
	long n, answer;

	if (q < 0 || a < 0)
		die("clerk", "msgq_open");
	if (msgq_recv(q, &n, sizeof(n), NULL) != sizeof(n))
		die("clerk", "msgq_recv");
	while (n) {
		answer = n * n;
		if (msgq_sendrecv(a, &answer, sizeof(answer), 0, q, &n,
				  sizeof(n), NULL, NULL) != sizeof(n))
			die("clerk", "msgq_sendrecv");
	}
	_exit(0);
}

static int reap(pid_t pid, const char *who)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		say("        %s exited abnormally (status %#x)\n", who, status);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */

int main(void)
{
	struct board *b;
	pid_t bulk, urgent, cons, clerk_pid;
	int jobs, replies, questions, answers, go[2], i, got, sent;
	struct msgq_attr a;
	double t0, blocked_ms = 0;
	bool order;

	setvbuf(stdout, NULL, _IOLBF, 0);
	say("msgq demo: named kernel mailboxes with priorities, flow control and replies\n\n");

	b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (b == MAP_FAILED || pipe(go))
		die("demo", "setup");

	/* 1 */
	say("step 1: the front desk creates two named mailboxes in the kernel\n");
	msgq_unlink(JOBS);	/* leftovers of an earlier run, if any */
	msgq_unlink(REPLIES);
	msgq_unlink(QUESTIONS);
	msgq_unlink(ANSWERS);
	jobs = msgq_create(JOBS, MSGQ_O_RDWR | MSGQ_O_EXCL | MSGQ_O_CLOEXEC,
			   0600, JOBS_SLOTS, sizeof(struct job));
	replies = msgq_create(REPLIES,
			      MSGQ_O_RECV | MSGQ_O_EXCL | MSGQ_O_CLOEXEC, 0600,
			      ALL_JOBS, sizeof(struct reply));
	if (jobs < 0 || replies < 0)
		die("demo", "msgq_create (is msgq.ko loaded?)");
	expect(msgq_getattr(jobs, &a) == 0 && a.max_msgs == JOBS_SLOTS,
	       "\"jobs\" holds at most 8 messages; \"replies\" carries answers back");

	/* 2 */
	say("\nstep 2: two producer processes open \"jobs\" by name and queue work;\n"
	    "        the consumer has not started yet\n");
	urgent = fork();
	if (urgent == 0)
		urgent_producer();
	bulk = fork();
	if (bulk == 0)
		bulk_producer(b, go[0]);
	say("        producer \"urgent\" (pid %d) sends %d jobs at priority %d\n",
	    urgent, URGENT_TOTAL, PRIO_URGENT);
	say("        producer \"bulk\"   (pid %d) sends %d jobs at priority %d\n",
	    bulk, ROUTINE_FIRST, PRIO_ROUTINE);
	if (reap(urgent, "urgent"))
		b->child_errors++;
	while (__atomic_load_n(&b->bulk_sent, __ATOMIC_SEQ_CST) < ROUTINE_FIRST)
		sleep_ms(5);
	expect(depth(jobs) == JOBS_SLOTS,
	       "all 8 jobs are queued in the kernel: \"jobs\" is full (8/8)");

	/* 3 */
	say("\nstep 3: \"bulk\" sends %d more jobs into the full mailbox\n",
	    ROUTINE_MORE);
	if (write(go[1], "g", 1) != 1)
		die("demo", "write go");
	t0 = now_ms();
	sleep_ms(300);
	sent = __atomic_load_n(&b->bulk_sent, __ATOMIC_SEQ_CST);
	say("        300 ms later: bulk has queued %d jobs, \"jobs\" holds %u/%d\n",
	    sent, depth(jobs), JOBS_SLOTS);
	say("        bulk's process state is '%c' (S: asleep in the kernel)\n",
	    proc_state(bulk));
	expect(sent == ROUTINE_FIRST && proc_state(bulk) == 'S',
	       "bulk is blocked in msgq_send, asleep in the kernel (no spinning, no lost job)");

	/* 4 */
	say("\nstep 4: the consumer starts; it always takes the highest priority first\n"
	    "        and each job carries its sender's pid, stamped by the kernel\n");
	cons = fork();
	if (cons == 0)
		consumer(b, bulk, urgent);
	if (reap(cons, "consumer"))
		b->child_errors++;
	if (reap(bulk, "bulk"))
		b->child_errors++;
	order = b->order_ok && b->taken == ALL_JOBS;
	for (i = 0; order && i < URGENT_TOTAL; i++)
		order = !strncmp(b->taken_label[i], "urgent#", 7);
	expect(order, "the 3 urgent jobs came first, then bulk#0..bulk#11 in the order sent");
	expect(b->sender_ok, "every job names the process that really sent it");

	/* 5 */
	say("\nstep 5: flow control: a full \"jobs\" held bulk back until the consumer caught up\n");
	for (i = ROUTINE_FIRST; i < ROUTINE_TOTAL; i++)
		blocked_ms += b->bulk_wait_ms[i];
	say("        bulk spent %.0f ms blocked in its last %d sends (the first: %.0f ms)\n",
	    blocked_ms, ROUTINE_MORE, b->bulk_wait_ms[ROUTINE_FIRST]);
	expect(b->bulk_wait_ms[ROUTINE_FIRST] >= 250 && now_ms() - t0 >= 250,
	       "the first extra send waited for the consumer to start (>= 250 ms)");
	expect(msgq_getattr(jobs, &a) == 0 && a.cur_msgs == 0 &&
	       a.total_sent == ALL_JOBS && a.total_received == ALL_JOBS,
	       "\"jobs\" is empty: 15 sent, 15 received, none lost");

	/* 6 */
	say("\nstep 6: the front desk reads the replies\n");
	for (got = 0;; got++) {
		struct reply rep;
		struct msgq_recv r = {
			.buf = (uintptr_t)&rep, .cap = sizeof(rep),
			.flags = MSGQ_F_NONBLOCK,
		};

		if (msgq_recv_args(replies, &r) < 0)
			break;
		if (got < 3 || got == ALL_JOBS - 1)
			say("        reply: %-9s done by pid %d (kernel says pid %d)\n",
			    rep.label, rep.worker, r.pid);
		else if (got == 3)
			say("        ...\n");
		if (r.pid != cons || rep.worker != cons)
			b->child_errors++;
	}
	expect(got == ALL_JOBS && errno == EAGAIN,
	       "15 replies, one per job, all from the consumer");

	/* 7 */
	say("\nstep 7: a question and its answer in one system call: msgq_sendrecv()\n"
	    "        sends on \"questions\" and waits on \"answers\" (the clerk does the\n"
	    "        reverse: answer, then wait for the next question)\n");
	questions = msgq_create(QUESTIONS, MSGQ_O_SEND | MSGQ_O_EXCL |
				MSGQ_O_CLOEXEC, 0600, 1, sizeof(long));
	answers = msgq_create(ANSWERS, MSGQ_O_RECV | MSGQ_O_EXCL |
			      MSGQ_O_CLOEXEC, 0600, 1, sizeof(long));
	if (questions < 0 || answers < 0)
		die("demo", "msgq_create questions/answers");
	clerk_pid = fork();
	if (clerk_pid == 0)
		clerk();
	for (i = 1, got = 0; i <= ASKED; i++) {
		long n = 10 * i + 2, answer = 0;
		int out = 0;

		if (msgq_sendrecv(questions, &n, sizeof(n), 0, answers,
				  &answer, sizeof(answer), NULL, &out) ==
		    sizeof(answer) && out && answer == n * n)
			got++;
		say("        asked %ld, the clerk answered %ld\n", n, answer);
	}
	expect(got == ASKED, "3 questions, 3 right answers, one call each");
	{
		long bye = 0;	/* "that is all" */

		if (msgq_send(questions, &bye, sizeof(bye), 0))
			die("demo", "msgq_send bye");
	}
	expect(!reap(clerk_pid, "clerk"), "the clerk went home when told");

	/* 8 */
	say("\nstep 8: clean up: unlink the names (open handles would keep working)\n");
	expect(msgq_unlink(JOBS) == 0 && msgq_unlink(REPLIES) == 0 &&
	       msgq_unlink(QUESTIONS) == 0 && msgq_unlink(ANSWERS) == 0 &&
	       msgq_open(JOBS, MSGQ_O_RECV) < 0 && errno == ENOENT,
	       "the names are gone");
	msgq_close(questions);
	msgq_close(answers);
	msgq_close(jobs);
	msgq_close(replies);
	expect(b->child_errors == 0, "no actor reported an error");

	say("\n%s: %d of %d expectations held\n", failures ? "FAIL" : "PASS",
	    checks - failures, checks);
	return failures ? 1 : 0;
}
