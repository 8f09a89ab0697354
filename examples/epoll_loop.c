// SPDX-License-Identifier: MIT
/*
 * msgq epoll_loop: one event loop serving several mailboxes and a timer.
 *
 *   producer 0 --+                        +-- mailbox 0 --+
 *   producer 1 --+-- msgq_send() ------>  +-- mailbox 1 --+--> epoll_wait() --> drain
 *   producer 2 --+                        +-- mailbox 2 --+        ^
 *                                             timerfd (100 ms) ----+--> stats
 *
 * A mailbox handle is an ordinary file descriptor: it goes into an epoll
 * set next to a timerfd, EPOLLIN says a message is waiting. The loop uses
 * edge-triggered epoll, so after each event it drains the mailbox with
 * non-blocking receives until EAGAIN (a message arriving after that is a
 * new edge, never a lost one). The mailboxes are small, so fast producers
 * are held back (flow control) while the loop is busy elsewhere.
 *
 * The loop owns its mailboxes (MSGQ_O_OWNED): they vanish with it, even if
 * it is killed. Each producer is a process that finds its mailbox by name.
 *
 * Exit status 0 only if every message arrived once, in order per
 * producer, and every producer succeeded: the example is a test too (make
 * check runs it in the VM).
 *
 *   epoll_loop [MESSAGES_PER_PRODUCER]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* An installed program writes #include <msgq.h> and links -lmsgq. */
#include <msgq.h>

#define PRODUCERS	3
#define SLOTS		8		/* capacity of each mailbox */
#define TICK_MS		100		/* stats period */
#define IDLE_LIMIT_MS	10000		/* no event for this long: stuck */

struct message {
	uint32_t producer;
	uint32_t seq;
	uint64_t sent_ns;		/* CLOCK_MONOTONIC at the producer */
};

struct source {
	char name[64];
	int fd;				/* receive-only, non-blocking, owner */
	pid_t pid;
	uint32_t expected;
	uint32_t received;		/* also the next seq expected */
	uint32_t events;		/* epoll events for this mailbox */
	uint64_t latency_ns;		/* summed send-to-receive time */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A producer: @n messages, paced differently per producer. */
static int produce(const char *name, uint32_t id, uint32_t n)
{
	struct message m = { .producer = id };
	int fd = msgq_open(name, MSGQ_O_SEND);

	if (fd < 0) {
		fprintf(stderr, "producer %u: open %s: %s\n", id, name,
			strerror(errno));
		return 1;
	}
	for (m.seq = 0; m.seq < n; m.seq++) {
		/* 0 sends in bursts of 50, 1 flat out, 2 in trickles of 25 */
		if ((id == 0 && m.seq % 50 == 49) || (id == 2 && m.seq % 25 == 24)) {
			struct timespec pause = { 0, 5000000L };

			nanosleep(&pause, NULL);
		}
		m.sent_ns = mono_ns();
		if (msgq_send(fd, &m, sizeof(m), id)) {
			fprintf(stderr, "producer %u: send %u: %s\n", id, m.seq,
				strerror(errno));
			return 1;
		}
	}
	close(fd);
	return 0;
}

/* Take everything waiting in @s; false on anything unexpected. */
static bool drain(struct source *s, uint32_t idx)
{
	for (;;) {
		struct message m;
		ssize_t n = msgq_recv(s->fd, &m, sizeof(m), NULL);

		if (n < 0 && errno == EAGAIN)
			return true;
		if (n < 0) {
			fprintf(stderr, "%s: recv: %s\n", s->name,
				strerror(errno));
			return false;
		}
		if (n != sizeof(m) || m.producer != idx ||
		    m.seq != s->received) {
			fprintf(stderr, "%s: got producer %u seq %u, expected "
				"producer %u seq %u\n", s->name, m.producer,
				m.seq, idx, s->received);
			return false;
		}
		s->received++;
		s->latency_ns += mono_ns() - m.sent_ns;
	}
}

static void print_stats(const char *what, struct source *src, uint64_t t0)
{
	uint32_t i;

	printf("epoll_loop: %-5s %6.3f s", what, (mono_ns() - t0) / 1e9);
	for (i = 0; i < PRODUCERS; i++) {
		struct msgq_attr a;
		double avg = src[i].received ?
			src[i].latency_ns / 1e3 / src[i].received : 0;

		if (msgq_getattr(src[i].fd, &a))
			a.cur_msgs = ~0U;
		printf(" | mb%u %4u/%u q%u ev%u %.0fus", i, src[i].received,
		       src[i].expected, a.cur_msgs, src[i].events, avg);
	}
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	uint32_t per = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 500;
	struct itimerspec tick = {
		.it_interval = { 0, TICK_MS * 1000000L },
		.it_value = { 0, TICK_MS * 1000000L },
	};
	struct source src[PRODUCERS];
	uint64_t t0 = mono_ns(), total = 0, want = 0, ticks = 0;
	int ep, tfd, status = 0;
	uint32_t i, j;
	bool ok = true;

	memset(src, 0, sizeof(src));
	ep = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ep < 0 || tfd < 0 || timerfd_settime(tfd, 0, &tick, NULL)) {
		perror("epoll_loop: epoll/timerfd");
		return 1;
	}

	for (i = 0; i < PRODUCERS; i++) {
		struct epoll_event ev = {
			.events = EPOLLIN | EPOLLET, .data.u32 = i,
		};

		snprintf(src[i].name, sizeof(src[i].name),
			 "epoll-loop-%d-%u", (int)getpid(), i);
		src[i].expected = per * (i + 1);
		want += src[i].expected;
		src[i].fd = msgq_create(src[i].name,
					MSGQ_O_RECV | MSGQ_O_NONBLOCK |
					MSGQ_O_EXCL | MSGQ_O_OWNED |
					MSGQ_O_CLOEXEC, 0600, SLOTS,
					sizeof(struct message));
		if (src[i].fd < 0) {
			fprintf(stderr, "epoll_loop: create %s: %s\n",
				src[i].name, strerror(errno));
			return 1;
		}
		if (epoll_ctl(ep, EPOLL_CTL_ADD, src[i].fd, &ev)) {
			perror("epoll_loop: epoll_ctl");
			return 1;
		}
	}
	{
		struct epoll_event ev = {
			.events = EPOLLIN, .data.u32 = PRODUCERS,
		};

		if (epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev)) {
			perror("epoll_loop: epoll_ctl timerfd");
			return 1;
		}
	}

	printf("epoll_loop: %d producers -> %d mailboxes of %d slots, "
	       "%" PRIu64 " messages, one epoll loop + timerfd (%d ms)\n",
	       PRODUCERS, PRODUCERS, SLOTS, want, TICK_MS);
	fflush(stdout);
	for (i = 0; i < PRODUCERS; i++) {
		src[i].pid = fork();
		if (src[i].pid < 0) {
			perror("epoll_loop: fork");
			return 1;
		}
		if (src[i].pid == 0) {
			/* not the owner: drop the inherited handles */
			for (j = 0; j < PRODUCERS; j++)
				close(src[j].fd);
			close(ep);
			close(tfd);
			_exit(produce(src[i].name, i, src[i].expected));
		}
	}

	while (ok && total < want) {
		struct epoll_event evs[PRODUCERS + 1];
		int n = epoll_wait(ep, evs, PRODUCERS + 1, IDLE_LIMIT_MS);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "epoll_loop: %s after %" PRIu64
				" of %" PRIu64 " messages\n",
				n ? strerror(errno) : "no event for 10 s",
				total, want);
			ok = false;
			break;
		}
		for (j = 0; j < (uint32_t)n; j++) {
			uint32_t k = evs[j].data.u32;

			if (k == PRODUCERS) {
				uint64_t exp;

				if (read(tfd, &exp, sizeof(exp)) == sizeof(exp)) {
					ticks += exp;
					print_stats("tick", src, t0);
				}
				continue;
			}
			if (evs[j].events & (EPOLLHUP | EPOLLERR)) {
				fprintf(stderr, "%s: EPOLLHUP\n", src[k].name);
				ok = false;
				break;
			}
			src[k].events++;
			total -= src[k].received;
			if (!drain(&src[k], k))
				ok = false;
			total += src[k].received;
		}
	}
	print_stats("done", src, t0);

	for (i = 0; i < PRODUCERS; i++) {
		if (!ok)
			kill(src[i].pid, SIGKILL);
		if (waitpid(src[i].pid, &status, 0) != src[i].pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "epoll_loop: producer %u failed\n", i);
			ok = false;
		}
		if (src[i].received != src[i].expected)
			ok = false;
	}
	/* nothing may be left over, and nothing may come late */
	for (i = 0; ok && i < PRODUCERS; i++) {
		struct msgq_attr a;

		if (msgq_getattr(src[i].fd, &a) || a.cur_msgs ||
		    a.total_received != src[i].expected) {
			fprintf(stderr, "%s: %u left, %llu received\n",
				src[i].name, a.cur_msgs,
				(unsigned long long)a.total_received);
			ok = false;
		}
	}
	printf("epoll_loop: %s: %" PRIu64 " of %" PRIu64 " messages, %" PRIu64
	       " timer ticks\n", ok ? "OK" : "FAILED", total, want, ticks);
	/* closing the owner handles removes the mailboxes */
	for (i = 0; i < PRODUCERS; i++)
		close(src[i].fd);
	return ok ? 0 : 1;
}
