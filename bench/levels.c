// SPDX-License-Identifier: GPL-2.0
/*
 * msgq-bench: levels-N, the cost of one send + one receive with N priority
 * levels in use (N = 1, 32, 32768: MSGQ_PRIO_MAX, which is also Linux's
 * MQ_PRIO_MAX), one process; only for mechanisms with priorities
 * (KIND(K_LEVELS)).
 *
 * The pattern, the same for every mechanism and N: a queue holding
 * levels_depth (1024) messages at priority 0, the lowest; then, over and
 * over, a burst of levels_burst (1024) sends at pseudo-random priorities in
 * 0..N-1 (xorshift32 from a fixed seed, so every mechanism and round sees
 * the same sequence), followed by as many receives, which take them highest
 * first (and a few of priority 0, oldest first). The queue holds 1024 to
 * 2048 messages, and in each burst about min(N, 1024) levels are in use at
 * once, each send landing anywhere among them: neither the easy case of a
 * send at a level above all the others, taken straight back, nor that of a
 * send to a level already in use at the top. POSIX mq keeps a red-black
 * tree of the levels in use (a node allocated per new level), msgq a
 * two-level bitmap over per-level lists (module/mailbox.c: a group of 64
 * levels allocated per group in use).
 *
 * Every receive checks the order: within a burst, priorities never rise.
 */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

unsigned int levels_n[NLEVELS] = { 1, 32, MSGQ_PRIO_MAX };
unsigned int levels_depth = 1024, levels_burst = 1024;

#define LEVELS_SEED	0x9e3779b9u

static unsigned int xorshift32(unsigned int *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* A failure, said in sh: NAN */
static double levels_fail(const char *what, int e)
{
	snprintf(sh->what, sizeof(sh->what), "%s", what);
	sh->err = 1;
	sh->err_errno = e;
	return NAN;
}

/*
 * One burst: levels_burst sends at priorities from *@x, then as many
 * receives, checked to come out highest first. 0, or -1 with sh set.
 */
static int levels_burst_once(const struct mech *m, struct ep *e,
			     unsigned int levels, unsigned int *x)
{
	bool batch = m->send_batch && m->recv_batch;
	unsigned int prio[BATCH], last = ~0u, n, i, k;
	struct hdr *h;
	int got;

	for (n = 0; n < levels_burst; n += k) {
		k = batch ? BATCH : 1;
		if (k > levels_burst - n)
			k = levels_burst - n;
		for (i = 0; i < k; i++) {
			prio[i] = levels > 1 ? xorshift32(x) % levels : 0;
			*(struct hdr *)e->pl[i] =
				(struct hdr){ n + i, prio[i] };
		}
		if (batch ? m->send_batch(e, k, SCALE_SIZE, prio) :
		    m->send(e, 0, SCALE_SIZE, prio[0])) {
			levels_fail("levels: send", errno);
			return -1;
		}
	}
	for (n = 0; n < levels_burst; n += got) {
		if (batch) {
			k = levels_burst - n < BATCH ? levels_burst - n : BATCH;
			got = m->recv_batch(e, k);
		} else {
			got = m->recv(e, 0) == SCALE_SIZE ? 1 : -1;
		}
		if (got <= 0) {
			levels_fail("levels: receive", errno);
			return -1;
		}
		for (i = 0; i < (unsigned int)got; i++) {
			if (batch && e->mm[i].len != SCALE_SIZE) {
				levels_fail("levels: received a wrong length",
					    0);
				return -1;
			}
			h = (struct hdr *)e->pl[i];
			if (h->from > last) {
				levels_fail("levels: priority rose within a "
					    "burst", 0);
				return -1;
			}
			last = h->from;
		}
	}
	return 0;
}

/* ns per send+receive pair, over about --scale-ms */
double measure_levels(const struct mech *m, unsigned int levels)
{
	double t0 = 0, t = 0, dur = opt.scale_ms / 1000.0;
	unsigned int x = LEVELS_SEED, i;
	unsigned long pairs = 0;
	struct chan c;
	struct ep e;
	int warm;

	sh->err = 0;
	if (chan_open(&c, m, SCALE_SIZE, levels_depth + levels_burst)) {
		chan_close(&c);
		return levels_fail("levels: channel", errno);
	}
	ep_init(&e, &c, BATCH);
	e.nprio = levels;
	for (i = 0; i < levels_depth; i++) {
		*(struct hdr *)e.pl[0] = (struct hdr){ i, 0 };
		if (m->send(&e, 0, SCALE_SIZE, 0)) {
			levels_fail("levels: filling", errno);
			goto out;
		}
	}
	/* An untimed eighth of the time first, to warm up. */
	for (warm = 1; warm >= 0; warm--) {
		t0 = now_s();
		pairs = 0;
		do {
			if (levels_burst_once(m, &e, levels, &x))
				goto out;
			pairs += levels_burst;
			t = now_s();
		} while (t - t0 < (warm ? dur / 8 : dur));
	}
out:
	for (i = 0; i < BATCH; i++)
		free(e.raw[i]);
	chan_close(&c);
	return sh->err ? NAN : (t - t0) * 1e9 / pairs;
}
