// SPDX-License-Identifier: GPL-2.0
/*
 * msgq_timedsend() and msgq_timedrecv() with each struct timespec a program
 * may have (issue 13). A 32-bit program built with _TIME_BITS=64 has a
 * 64-bit tv_sec, and <msgq.h> sends its calls to the library's
 * __msgq_timedsend_time64() and __msgq_timedrecv_time64(); one built
 * without keeps the 32-bit time_t and the plain symbols. This file is
 * built three ways (selftests/Makefile, FLAVOUR): natively, and as the
 * 32-bit time64_test-m32 and time64_test-t64 (scripts/check.sh).
 *
 * Fixture "dl", one variant per way in:
 *   plain   the functions as <msgq.h> declares them to this program
 *   time64  the _time64 symbols by name, where they take this program's
 *           struct timespec: with a 64-bit time_t (native, t64; m32 skips)
 * A deadline 250 ms ahead times out after 250 ms, never before and not
 * much after (a library that misreads the struct gives up at once); one
 * already past fails with ETIMEDOUT at once; an invalid tv_nsec is EINVAL;
 * a deadline after 2038, a tv_sec beyond 32 bits, is a wait like another.
 */
#include "msgq_test.h"

#define DEADLINE_MS	250
#define LATE_MAX_MS	1000	/* how late a timeout may fire on a slow guest */

/*
 * <msgq.h> names the _time64 symbols only as the targets of a
 * _TIME_BITS=64 program's plain names. Weak: the test then links against a
 * libmsgq before 1.2 too, and shows there what goes wrong without them.
 */
__attribute__((weak)) int
__msgq_timedsend_time64(int fd, const void *buf, size_t len,
			unsigned int prio, const struct timespec *abs_timeout);
__attribute__((weak)) ssize_t
__msgq_timedrecv_time64(int fd, void *buf, size_t cap, unsigned int *prio,
			const struct timespec *abs_timeout);

/* The plain names are the _time64 symbols exactly where time_t is 64 bits */
TEST(plain_names_are_time64_with_64bit_time_t)
{
	uintptr_t send = (uintptr_t)msgq_timedsend;
	uintptr_t recv = (uintptr_t)msgq_timedrecv;

	if (sizeof(time_t) < 8) {
		/* m32: the 32-bit entry points, apart from the time64 ones */
		ASSERT_NE((uintptr_t)__msgq_timedsend_time64, send);
		ASSERT_NE((uintptr_t)__msgq_timedrecv_time64, recv);
		return;
	}
	/* t64: <msgq.h>'s redirection; natively: the library's aliases */
	ASSERT_EQ((uintptr_t)__msgq_timedsend_time64, send);
	ASSERT_EQ((uintptr_t)__msgq_timedrecv_time64, recv);
}

FIXTURE(dl) {
	int dev, fd;
	char name[MSGQ_NAME_MAX + 1];
};

FIXTURE_VARIANT(dl) {
	bool time64;
	int (*timedsend)(int fd, const void *buf, size_t len,
			 unsigned int prio, const struct timespec *abs_timeout);
	ssize_t (*timedrecv)(int fd, void *buf, size_t cap, unsigned int *prio,
			     const struct timespec *abs_timeout);
};

FIXTURE_VARIANT_ADD(dl, plain) {
	.timedsend = msgq_timedsend,
	.timedrecv = msgq_timedrecv,
};

FIXTURE_VARIANT_ADD(dl, time64) {
	.time64 = true,
	.timedsend = __msgq_timedsend_time64,
	.timedrecv = __msgq_timedrecv_time64,
};

FIXTURE_SETUP(dl)
{
	self->dev = self->fd = -1;
	/* SKIP(_exit(255)): see FIXTURE_DEV_OPEN() in msgq_test.h */
	if (variant->time64 && sizeof(time_t) < 8)
		SKIP(_exit(255), "32-bit time_t: the _time64 symbols take another struct timespec");
	if (!variant->timedsend || !variant->timedrecv)
		SKIP(_exit(255), "libmsgq before 1.2: no _time64 symbols");
	FIXTURE_DEV_OPEN("dl-");
	MBOX_CREATE(1, sizeof(unsigned int));
}

FIXTURE_TEARDOWN(dl)
{
	FIXTURE_DEV_CLOSE();
}

/* One timed send (@send) or receive of an unsigned int, through @variant */
static long timed(const FIXTURE_VARIANT(dl) *variant, int fd, bool send,
		  const struct timespec *abs_timeout)
{
	unsigned int v = 5;

	if (send)
		return variant->timedsend(fd, &v, sizeof(v), 0, abs_timeout);
	return variant->timedrecv(fd, &v, sizeof(v), NULL, abs_timeout);
}

/*
 * A timed call that must wait on @fd with a deadline DEADLINE_MS ahead:
 * ETIMEDOUT, neither before the deadline nor LATE_MAX_MS after it.
 */
#define ASSERT_TIMES_OUT_ON_TIME(variant, fd, send) do {		\
	uint64_t __t0 = now_ns(CLOCK_MONOTONIC), __el;			\
	struct timespec __dl = realtime_in_ms(DEADLINE_MS);		\
									\
	ASSERT_ERRNO(ETIMEDOUT, timed(variant, fd, send, &__dl));	\
	__el = now_ns(CLOCK_MONOTONIC) - __t0;				\
	ASSERT_LE(DEADLINE_MS * MS, __el)				\
		TH_LOG("timed out after %.3f ms", __el / 1e6);		\
	ASSERT_GT((DEADLINE_MS + LATE_MAX_MS) * MS, __el)		\
		TH_LOG("timed out after %.3f ms", __el / 1e6);		\
} while (0)

/* receive from an empty mailbox, 250 ms ahead: ETIMEDOUT after 250 ms */
TEST_F(dl, recv_times_out_after_250ms)
{
	ASSERT_TIMES_OUT_ON_TIME(variant, self->fd, false);
}

/* send to a full mailbox, 250 ms ahead: ETIMEDOUT after 250 ms */
TEST_F(dl, send_times_out_after_250ms)
{
	ASSERT_EQ(0, put_one(self->fd, 1));
	ASSERT_TIMES_OUT_ON_TIME(variant, self->fd, true);
	ASSERT_EQ(1, mbox_depth(self->fd));
}

/* a deadline already past: ETIMEDOUT at once, both ways */
TEST_F(dl, past_deadline_times_out_at_once)
{
	struct timespec past = ns_ts(now_ns(CLOCK_REALTIME) - 1000 * MS);
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);

	ASSERT_ERRNO(ETIMEDOUT, timed(variant, self->fd, false, &past));
	ASSERT_EQ(0, put_one(self->fd, 1));
	ASSERT_ERRNO(ETIMEDOUT, timed(variant, self->fd, true, &past));
	ASSERT_GT(t0 + DEADLINE_MS * MS, now_ns(CLOCK_MONOTONIC));
	ASSERT_EQ(1, mbox_depth(self->fd));
}

static const long bad_nsec[] = { -1, 1000000000L, 1999999999L };

/* an invalid tv_nsec: EINVAL, though neither call would wait */
TEST_F(dl, invalid_nsec_einval)
{
	struct timespec ts = realtime_in_ms(3600 * 1000);
	unsigned int i;

	for (i = 0; i < sizeof(bad_nsec) / sizeof(bad_nsec[0]); i++) {
		ts.tv_nsec = bad_nsec[i];
		ASSERT_ERRNO(EINVAL, timed(variant, self->fd, true, &ts),
			     "send, tv_nsec %ld", bad_nsec[i]);
	}
	ASSERT_EQ(0, mbox_depth(self->fd));
	ASSERT_EQ(0, put_one(self->fd, 1));
	for (i = 0; i < sizeof(bad_nsec) / sizeof(bad_nsec[0]); i++) {
		ts.tv_nsec = bad_nsec[i];
		ASSERT_ERRNO(EINVAL, timed(variant, self->fd, false, &ts),
			     "recv, tv_nsec %ld", bad_nsec[i]);
	}
	ASSERT_EQ(1, mbox_depth(self->fd));
}

/* A deadline after 2038: 2^32 s from now, in 2162 */
static struct timespec after_2038(void)
{
	struct timespec ts = realtime_in_ms(0);
	int64_t sec = (int64_t)ts.tv_sec + ((int64_t)1 << 32);

	ts.tv_sec = (time_t)sec;	/* callers skip where it does not fit */
	return ts;
}

/* A child that, 100 ms from now, sends a message to @fd (@send) or takes one */
static pid_t other_side_in_100ms(int fd, bool send)
{
	pid_t pid = fork();

	if (pid == 0) {
		sleep_ms(100);
		_exit((send ? put_one(fd, 2) : take_one(fd)) < 0 ? 1 : 0);
	}
	return pid;
}

/* a receive with a deadline after 2038 waits for the message, 100 ms on */
TEST_F(dl, recv_deadline_after_2038_waits)
{
	struct timespec far = after_2038();
	pid_t pid;

	if (sizeof(time_t) < 8)
		SKIP(return, "a 32-bit time_t ends in 2038");
	pid = other_side_in_100ms(self->fd, true);
	ASSERT_LE(0, pid);
	ASSERT_EQ((long)sizeof(unsigned int),
		  timed(variant, self->fd, false, &far))
		TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
}

/* a send with a deadline after 2038 waits for room, 100 ms on */
TEST_F(dl, send_deadline_after_2038_waits)
{
	struct timespec far = after_2038();
	pid_t pid;

	if (sizeof(time_t) < 8)
		SKIP(return, "a 32-bit time_t ends in 2038");
	ASSERT_EQ(0, put_one(self->fd, 1));
	pid = other_side_in_100ms(self->fd, false);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, timed(variant, self->fd, true, &far))
		TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
	ASSERT_EQ(5, take_one(self->fd));
}

TEST_HARNESS_MAIN
