// SPDX-License-Identifier: GPL-2.0
/*
 * A POSIX mq program that knows nothing of msgq, built as distributions
 * build programs (dynamic, against glibc, -O2 -D_FORTIFY_SOURCE=2: its
 * two-argument mq_open() calls glibc's __mq_open_2). posix_preload.sh runs
 * it unchanged, on Linux's mqueue and with LD_PRELOAD=libmsgq-posix.so.1.
 *
 *   posix_prog create NAME MAXMSG MSGSIZE   O_CREAT | O_EXCL, mode 0600
 *   posix_prog send NAME PRIO TEXT          mq_timedsend(), 5 s
 *   posix_prog recv NAME [TIMEOUT_MS]       prints "PRIO TEXT"
 *   posix_prog attr NAME                    prints "MAXMSG MSGSIZE CURMSGS"
 *   posix_prog notify NAME                  SIGEV_THREAD, then sends itself
 *                                           a message: prints "notified"
 *   posix_prog unlink NAME
 * Exit status 0, or 1 with the failing call and its error on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int fail(const char *what)
{
	fprintf(stderr, "posix_prog: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Two arguments, an oflag the compiler cannot see: glibc's __mq_open_2 */
static mqd_t open_existing(const char *name, const char *cmd)
{
	int oflag = strcmp(cmd, "send") ? O_RDONLY : O_WRONLY;

	return mq_open(name, oflag);
}

static sem_t notified;

static void on_message(union sigval v)
{
	if (v.sival_int == 7)
		sem_post(&notified);
}

/* A deadline @ms from now on CLOCK_REALTIME */
static struct timespec in_ms(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += ms % 1000 * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* SIGEV_THREAD on @q, then a message through a descriptor of our own */
static int notify(mqd_t q, const char *name)
{
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD,
				.sigev_notify_function = on_message };
	struct timespec ts;
	mqd_t w;

	sev.sigev_value.sival_int = 7;
	if (sem_init(&notified, 0, 0))
		return fail("sem_init");
	if (mq_notify(q, &sev))
		return fail("mq_notify");
	w = open_existing(name, "send");
	if (w == (mqd_t)-1)
		return fail("mq_open");
	if (mq_send(w, "ring", 4, 0))
		return fail("mq_send");
	ts = in_ms(5000);
	if (sem_timedwait(&notified, &ts))
		return fail("sem_timedwait (the notification)");
	printf("notified\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct mq_attr a;
	struct timespec ts;
	unsigned int prio;
	char buf[8192];
	ssize_t n;
	mqd_t q;

	if (argc < 3) {
		fprintf(stderr, "usage: posix_prog CMD NAME [ARGS]\n");
		return 2;
	}
	if (!strcmp(argv[1], "create") && argc == 5) {
		a = (struct mq_attr){ .mq_maxmsg = atol(argv[3]),
				      .mq_msgsize = atol(argv[4]) };
		q = mq_open(argv[2], O_RDWR | O_CREAT | O_EXCL, 0600, &a);
		return q == (mqd_t)-1 ? fail("mq_open") : 0;
	}
	if (!strcmp(argv[1], "unlink"))
		return mq_unlink(argv[2]) ? fail("mq_unlink") : 0;

	q = open_existing(argv[2], argv[1]);
	if (q == (mqd_t)-1)
		return fail("mq_open");
	if (!strcmp(argv[1], "send") && argc == 5) {
		ts = in_ms(5000);
		if (mq_timedsend(q, argv[4], strlen(argv[4]),
				 (unsigned int)atoi(argv[3]), &ts))
			return fail("mq_timedsend");
	} else if (!strcmp(argv[1], "recv")) {
		ts = in_ms(argc > 3 ? atol(argv[3]) : 5000);
		n = mq_timedreceive(q, buf, sizeof(buf), &prio, &ts);
		if (n < 0)
			return fail("mq_timedreceive");
		printf("%u %.*s\n", prio, (int)n, buf);
	} else if (!strcmp(argv[1], "attr")) {
		if (mq_getattr(q, &a))
			return fail("mq_getattr");
		printf("%ld %ld %ld\n", a.mq_maxmsg, a.mq_msgsize,
		       a.mq_curmsgs);
	} else if (!strcmp(argv[1], "notify")) {
		return notify(q, argv[2]);
	} else {
		fprintf(stderr, "posix_prog: bad command\n");
		return 2;
	}
	return mq_close(q) ? fail("mq_close") : 0;
}
