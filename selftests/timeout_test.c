// SPDX-License-Identifier: GPL-2.0
/*
 * Timeouts on send and receive (uapi/msgq.h, "Timeouts"), in the three
 * forms (fixture "tmo", one variant each):
 *   realtime   absolute CLOCK_REALTIME: msgq_timedsend(), msgq_timedrecv()
 *   monotonic  absolute CLOCK_MONOTONIC: MSGQ_F_TIMEOUT | MSGQ_F_ABSTIME
 *   relative   an interval: MSGQ_F_TIMEOUT, clockid 0
 * ETIMEDOUT never early, measured on the timeout's own clock; a deadline
 * already past fails at once when the call would wait and does not matter
 * when it would not; an invalid timespec is EINVAL even when the call
 * would not wait. Bad clocks and flag combinations (fixture "msgq").
 */
#include "msgq_test.h"

#define LATE_MAX_MS	5000	/* how late a timeout may fire on a slow guest */

enum tmode { TM_REALTIME, TM_MONOTONIC, TM_RELATIVE };

FIXTURE(tmo) {
	int dev, fd;
	char name[MSGQ_NAME_MAX + 1];
};

FIXTURE_VARIANT(tmo) {
	enum tmode mode;
};

FIXTURE_VARIANT_ADD(tmo, realtime) { .mode = TM_REALTIME };
FIXTURE_VARIANT_ADD(tmo, monotonic) { .mode = TM_MONOTONIC };
FIXTURE_VARIANT_ADD(tmo, relative) { .mode = TM_RELATIVE };

FIXTURE_SETUP(tmo)
{
	self->dev = self->fd = -1;
	FIXTURE_DEV_OPEN("tmo-");
	MBOX_CREATE(1, sizeof(unsigned int));
}

FIXTURE_TEARDOWN(tmo)
{
	FIXTURE_DEV_CLOSE();
}

static clockid_t tm_clock(enum tmode m)
{
	return m == TM_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC;
}

/*
 * A timed call in mode @m. @ts is the raw timeout (absolute or relative,
 * passed through unchecked). @send: send @*v, else receive into @v.
 */
static long timed_call(enum tmode m, int fd, bool send, unsigned int *v,
		       struct timespec ts)
{
	struct msgq_send s = { .buf = ptr_to_u64(v), .len = sizeof(*v) };
	struct msgq_recv r = { .buf = ptr_to_u64(v), .cap = sizeof(*v) };
	struct msgq_timespec mts = { ts.tv_sec, ts.tv_nsec };
	unsigned int flags = MSGQ_F_TIMEOUT;
	unsigned int clk = 0;

	switch (m) {
	case TM_REALTIME:
		if (send)
			return msgq_timedsend(fd, v, sizeof(*v), 0, &ts);
		return msgq_timedrecv(fd, v, sizeof(*v), NULL, &ts);
	case TM_MONOTONIC:
		flags |= MSGQ_F_ABSTIME;
		clk = CLOCK_MONOTONIC;
		break;
	case TM_RELATIVE:
		break;
	}
	if (send) {
		s.flags = flags;
		s.clockid = clk;
		s.timeout = mts;
		return msgq_send_args(fd, &s);
	}
	r.flags = flags;
	r.clockid = clk;
	r.timeout = mts;
	return msgq_recv_args(fd, &r);
}

/* The timeout for "@ms from now" in mode @m, and its deadline in ns. */
static struct timespec timeout_in(enum tmode m, unsigned int ms,
				  uint64_t *deadline)
{
	uint64_t now = now_ns(tm_clock(m));

	*deadline = now + ms * MS;
	if (m == TM_RELATIVE)
		return ns_ts(ms * MS);
	return ns_ts(*deadline);
}

/* A timeout whose deadline has passed already in mode @m. */
static struct timespec timeout_past(enum tmode m)
{
	if (m == TM_RELATIVE)
		return ns_ts(0);
	return ns_ts(now_ns(tm_clock(m)) - 1000 * MS);
}

static const unsigned int waits_ms[] = { 10, 25, 50, 100, 200 };

/* receive from an empty mailbox: ETIMEDOUT, never before the deadline */
TEST_F(tmo, recv_times_out_never_early)
{
	unsigned int i, v;

	for (i = 0; i < sizeof(waits_ms) / sizeof(waits_ms[0]); i++) {
		uint64_t dl, t1;
		struct timespec ts = timeout_in(variant->mode, waits_ms[i], &dl);

		ASSERT_ERRNO(ETIMEDOUT, timed_call(variant->mode, self->fd,
						   false, &v, ts));
		t1 = now_ns(tm_clock(variant->mode));
		ASSERT_LE(dl, t1) TH_LOG("%u ms: %.3f ms early", waits_ms[i],
					 (dl - t1) / 1e6);
		ASSERT_GT(dl + LATE_MAX_MS * MS, t1)
			TH_LOG("%u ms: %.3f ms late", waits_ms[i],
			       (t1 - dl) / 1e6);
	}
}

/* send to a full mailbox: ETIMEDOUT, never early, nothing queued */
TEST_F(tmo, send_times_out_never_early)
{
	unsigned int i, v = 1;
	struct msgq_attr a;

	ASSERT_EQ(0, put_one(self->fd, 0));
	for (i = 0; i < sizeof(waits_ms) / sizeof(waits_ms[0]); i++) {
		uint64_t dl, t1;
		struct timespec ts = timeout_in(variant->mode, waits_ms[i], &dl);

		ASSERT_ERRNO(ETIMEDOUT, timed_call(variant->mode, self->fd,
						   true, &v, ts));
		t1 = now_ns(tm_clock(variant->mode));
		ASSERT_LE(dl, t1) TH_LOG("%u ms: %.3f ms early", waits_ms[i],
					 (dl - t1) / 1e6);
		ASSERT_GT(dl + LATE_MAX_MS * MS, t1)
			TH_LOG("%u ms: %.3f ms late", waits_ms[i],
			       (t1 - dl) / 1e6);
	}
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(1U, a.cur_msgs);
	ASSERT_EQ(1U, a.total_sent);
}

/* a message arriving before the deadline ends the wait with success */
TEST_F(tmo, recv_wakes_before_deadline)
{
	uint64_t dl, t1;
	unsigned int v = 0;
	struct timespec ts;
	pid_t pid;

	ts = timeout_in(variant->mode, 10000, &dl);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* the send comes 100 ms into the receive's wait */
		sleep_ms(100);
		_exit(put_one(self->fd, 31) ? 1 : 0);
	}
	ASSERT_EQ((long)sizeof(v), timed_call(variant->mode, self->fd, false,
					      &v, ts))
		TH_LOG("%s", strerror(errno));
	t1 = now_ns(tm_clock(variant->mode));
	ASSERT_EQ(31U, v);
	ASSERT_GT(dl, t1);
	ASSERT_EQ(0, wait_child_ms(pid, WAKE_MS));
}

/* a deadline already past, the mailbox empty: ETIMEDOUT at once */
TEST_F(tmo, past_deadline_recv_fails_at_once)
{
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	unsigned int v;

	ASSERT_ERRNO(ETIMEDOUT, timed_call(variant->mode, self->fd, false, &v,
					   timeout_past(variant->mode)));
	ASSERT_GT(t0 + LATE_MAX_MS * MS, now_ns(CLOCK_MONOTONIC));
}

/* a deadline already past, the mailbox full: ETIMEDOUT at once */
TEST_F(tmo, past_deadline_send_fails_at_once)
{
	uint64_t t0;
	unsigned int v = 2;

	ASSERT_EQ(0, put_one(self->fd, 1));
	t0 = now_ns(CLOCK_MONOTONIC);
	ASSERT_ERRNO(ETIMEDOUT, timed_call(variant->mode, self->fd, true, &v,
					   timeout_past(variant->mode)));
	ASSERT_GT(t0 + LATE_MAX_MS * MS, now_ns(CLOCK_MONOTONIC));
	ASSERT_EQ(1, mbox_depth(self->fd));
}

/* a deadline already past does not matter when a message is waiting */
TEST_F(tmo, past_deadline_recv_succeeds_when_not_waiting)
{
	unsigned int v = 0;

	ASSERT_EQ(0, put_one(self->fd, 8));
	ASSERT_EQ((long)sizeof(v), timed_call(variant->mode, self->fd, false,
					      &v, timeout_past(variant->mode)))
		TH_LOG("%s", strerror(errno));
	ASSERT_EQ(8U, v);
}

/* a deadline already past does not matter when there is room */
TEST_F(tmo, past_deadline_send_succeeds_when_not_waiting)
{
	unsigned int v = 6;

	ASSERT_EQ(0, timed_call(variant->mode, self->fd, true, &v,
				timeout_past(variant->mode)))
		TH_LOG("%s", strerror(errno));
	ASSERT_EQ(6, take_one(self->fd));
}

static const struct timespec bad_ts[] = {
	{ .tv_sec = 0, .tv_nsec = -1 },
	{ .tv_sec = 0, .tv_nsec = 1000000000L },
	{ .tv_sec = 1, .tv_nsec = 1999999999L },
	{ .tv_sec = -1, .tv_nsec = 0 },
	{ .tv_sec = -1, .tv_nsec = 500000000L },
};

/* invalid timespec on a receive that would not wait: EINVAL, kept */
TEST_F(tmo, invalid_timespec_recv_einval)
{
	unsigned int i, v;

	ASSERT_EQ(0, put_one(self->fd, 4));
	for (i = 0; i < sizeof(bad_ts) / sizeof(bad_ts[0]); i++) {
		ASSERT_ERRNO(EINVAL, timed_call(variant->mode, self->fd, false,
						&v, bad_ts[i]),
			     "{%ld, %ld}", (long)bad_ts[i].tv_sec,
			     bad_ts[i].tv_nsec);
	}
	ASSERT_EQ(1, mbox_depth(self->fd));
	ASSERT_EQ(4, take_one(self->fd));
	/* and on an empty mailbox, where it would wait */
	for (i = 0; i < sizeof(bad_ts) / sizeof(bad_ts[0]); i++) {
		ASSERT_ERRNO(EINVAL, timed_call(variant->mode, self->fd, false,
						&v, bad_ts[i]));
	}
}

/* invalid timespec on a send that would not wait: EINVAL, not queued */
TEST_F(tmo, invalid_timespec_send_einval)
{
	unsigned int i, v = 3;
	struct msgq_attr a;

	for (i = 0; i < sizeof(bad_ts) / sizeof(bad_ts[0]); i++) {
		ASSERT_ERRNO(EINVAL, timed_call(variant->mode, self->fd, true,
						&v, bad_ts[i]),
			     "{%ld, %ld}", (long)bad_ts[i].tv_sec,
			     bad_ts[i].tv_nsec);
	}
	ASSERT_EQ(0, msgq_getattr(self->fd, &a));
	ASSERT_EQ(0U, a.cur_msgs);
	ASSERT_EQ(0U, a.total_sent);
}

/*
 * a huge but valid timeout is no error: it just never expires (2^62 s, or
 * in a 32-bit program with a 32-bit time_t its largest, in 2038)
 */
TEST_F(tmo, huge_timeout_is_valid)
{
	struct timespec huge = {
		.tv_sec = sizeof(time_t) > 4 ? (time_t)(1ULL << 62) :
					       (time_t)INT32_MAX,
	};
	unsigned int v = 10;

	ASSERT_EQ(0, timed_call(variant->mode, self->fd, true, &v, huge))
		TH_LOG("%s", strerror(errno));
	ASSERT_EQ((long)sizeof(v), timed_call(variant->mode, self->fd, false,
					      &v, huge))
		TH_LOG("%s", strerror(errno));
	ASSERT_EQ(10U, v);
}

/* ------------------------------------------------------------------ */
/* Clocks and flags */

static int send_raw(int fd, unsigned int flags, unsigned int clk,
		    struct msgq_timespec ts)
{
	unsigned int v = 1;
	struct msgq_send s = {
		.buf = ptr_to_u64(&v), .len = sizeof(v), .flags = flags,
		.clockid = clk, .timeout = ts,
	};

	return msgq_send_args(fd, &s);
}

static ssize_t recv_raw(int fd, unsigned int flags, unsigned int clk,
			struct msgq_timespec ts)
{
	unsigned int v;
	struct msgq_recv r = {
		.buf = ptr_to_u64(&v), .cap = sizeof(v), .flags = flags,
		.clockid = clk, .timeout = ts,
	};

	return msgq_recv_args(fd, &r);
}

static const unsigned int bad_clocks[] = {
	CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
	CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE,
	CLOCK_BOOTTIME, CLOCK_TAI, 16, 0x7fffffff, 0xffffffff,
};

/* an absolute timeout on any clock but REALTIME/MONOTONIC: EINVAL */
TEST_F(msgq, abs_timeout_bad_clockid_einval)
{
	struct msgq_timespec far = ns_mts(now_ns(CLOCK_REALTIME) +
					  3600000 * MS);
	unsigned int i, fl = MSGQ_F_TIMEOUT | MSGQ_F_ABSTIME;

	MBOX_CREATE(2, sizeof(unsigned int));
	ASSERT_EQ(0, put_one(self->fd, 0));	/* neither call would wait */
	for (i = 0; i < sizeof(bad_clocks) / sizeof(bad_clocks[0]); i++) {
		ASSERT_ERRNO(EINVAL, send_raw(self->fd, fl, bad_clocks[i],
					      far), "clock %u", bad_clocks[i]);
		ASSERT_ERRNO(EINVAL, recv_raw(self->fd, fl, bad_clocks[i],
					      far), "clock %u", bad_clocks[i]);
	}
	ASSERT_EQ(1, mbox_depth(self->fd));
	/* the two good clocks pass */
	ASSERT_EQ(0, send_raw(self->fd, fl, CLOCK_REALTIME, far));
	ASSERT_EQ((ssize_t)sizeof(unsigned int),
		  recv_raw(self->fd, fl, CLOCK_MONOTONIC, far));
	ASSERT_EQ((ssize_t)sizeof(unsigned int),
		  recv_raw(self->fd, fl, CLOCK_REALTIME, far));
}

/* MSGQ_F_ABSTIME without MSGQ_F_TIMEOUT: EINVAL */
TEST_F(msgq, abstime_without_timeout_einval)
{
	struct msgq_timespec far = ns_mts(now_ns(CLOCK_REALTIME) +
					  3600000 * MS);
	struct msgq_timespec zero = { 0, 0 };

	MBOX_CREATE(2, sizeof(unsigned int));
	ASSERT_EQ(0, put_one(self->fd, 0));
	ASSERT_ERRNO(EINVAL, send_raw(self->fd, MSGQ_F_ABSTIME,
				      CLOCK_REALTIME, far));
	ASSERT_ERRNO(EINVAL, send_raw(self->fd, MSGQ_F_ABSTIME, 0, zero));
	ASSERT_ERRNO(EINVAL, recv_raw(self->fd, MSGQ_F_ABSTIME,
				      CLOCK_REALTIME, far));
	ASSERT_ERRNO(EINVAL, recv_raw(self->fd, MSGQ_F_ABSTIME, 0, zero));
	ASSERT_EQ(1, mbox_depth(self->fd));
}

/* a relative timeout names no clock: a non-zero clockid is EINVAL */
TEST_F(msgq, relative_timeout_with_clockid_einval)
{
	struct msgq_timespec sec = { 1, 0 };

	MBOX_CREATE(2, sizeof(unsigned int));
	ASSERT_EQ(0, put_one(self->fd, 0));
	ASSERT_ERRNO(EINVAL, send_raw(self->fd, MSGQ_F_TIMEOUT,
				      CLOCK_MONOTONIC, sec));
	ASSERT_ERRNO(EINVAL, recv_raw(self->fd, MSGQ_F_TIMEOUT,
				      CLOCK_MONOTONIC, sec));
	ASSERT_ERRNO(EINVAL, recv_raw(self->fd, MSGQ_F_TIMEOUT,
				      CLOCK_BOOTTIME, sec));
	ASSERT_EQ(1, mbox_depth(self->fd));
	/* clockid 0 is the valid form */
	ASSERT_EQ(0, send_raw(self->fd, MSGQ_F_TIMEOUT, 0, sec));
	ASSERT_EQ((ssize_t)sizeof(unsigned int),
		  recv_raw(self->fd, MSGQ_F_TIMEOUT, 0, sec));
}

TEST_HARNESS_MAIN
