// SPDX-License-Identifier: GPL-2.0
/*
 * msgq-bench: the futex floor ("futex-floor"), a reference, not IPC: the
 * same pinger and ponger with no message, only a shared counter each side
 * bumps and FUTEX_WAKE + FUTEX_WAIT (the same sleeps, wakeups and four
 * system calls per round trip, no message). Under TCG the two context
 * switches of a round trip on one vCPU are nearly all of the cost, so this
 * is about as low as any blocking IPC can go (about 0.95x POSIX mq there).
 * It takes part in the rounds like a mechanism (CSV/JSON rows with
 * mechanism futex-floor, ping-pong figures only) but is a "floor:" line
 * under the table instead of a column.
 *
 * The pinger makes sh->ball odd and wakes the ponger, which makes it even
 * and wakes the pinger; each waits in FUTEX_WAIT while the word is what it
 * left.
 */
#include "bench.h"

#include <errno.h>
#include <linux/futex.h>

static void futex_pass(unsigned int v, const char *who)
{
	char what[64];

	__atomic_store_n(&sh->ball, (int)v, __ATOMIC_RELEASE);
	if (futex(&sh->ball, FUTEX_WAKE, 1) < 0) {
		snprintf(what, sizeof(what), "%s: FUTEX_WAKE", who);
		child_fail(what, errno);
	}
}

/* Wait while sh->ball is @v; returns the new value. */
static unsigned int futex_catch(unsigned int v, const char *who)
{
	char what[64];
	unsigned int w;

	while ((w = (unsigned int)__atomic_load_n(&sh->ball,
						   __ATOMIC_ACQUIRE)) == v)
		if (futex(&sh->ball, FUTEX_WAIT, (int)v) && errno != EAGAIN &&
		    errno != EINTR) {
			snprintf(what, sizeof(what), "%s: FUTEX_WAIT", who);
			child_fail(what, errno);
		}
	if (w != v + 1) {
		snprintf(what, sizeof(what), "%s: counter %u after %u", who,
			 w, v);
		child_fail(what, 0);
	}
	return w;
}

static void futex_pinger(const struct job *j)
{
	unsigned long n = 0;
	unsigned int v = 0;

	child_wait_go();
	for (;;) {
		futex_pass(++v, "ping");
		v = futex_catch(v, "ping");
		count_set(j->slot, ++n);
	}
}

static void futex_ponger(const struct job *j)
{
	unsigned int v = 0;

	(void)j;
	child_wait_go();
	for (;;) {
		v = futex_catch(v, "pong");
		futex_pass(++v, "pong");
	}
}

const struct mech mech_futex = {
	.name = "futex-floor", .short_name = "futex floor",
	.kinds = KIND(K_PINGPONG),
	.pinger = futex_pinger, .ponger = futex_ponger,
	.floor = "bare futex wake/wait ping-pong (no message; pinned, "
		 "SCHED_BATCH, same rounds)",
};
