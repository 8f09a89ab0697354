// SPDX-License-Identifier: GPL-2.0
/*
 * msgq-bench: scale-Q-P, the cost of one send + one receive with Q
 * messages already queued and P priorities in use, one process; only for
 * the mechanisms that hold 60000 messages (KIND(K_SCALE)). The deep queues
 * are filled once, before the rounds, and kept at their depth: each send
 * is followed by a receive.
 */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <string.h>

unsigned int scale_depths[NDEPTH] = { 1, 1000, 60000 };

struct scale_q {
	struct chan c;
	struct ep e;
	unsigned int depth, nprio;
	unsigned int next_prio;
	bool opened, ok;
};

/* [mechanism owning the queues][depth][1 or 32 priorities] */
static struct scale_q scaleq[NMECH][NDEPTH][2];

/* The queues @m measures on: its own, or those of m->queues */
static struct scale_q *scale_q_of(const struct mech *m, unsigned int di,
				  unsigned int pi)
{
	int i;

	if (m->queues)
		m = m->queues;
	for (i = 0; mechs[i] != m; i++)
		;
	return &scaleq[i][di][pi];
}

static int scale_fill(struct scale_q *q, const struct mech *m,
		      unsigned int depth, unsigned int nprio)
{
	unsigned int i;

	q->depth = depth;
	q->nprio = nprio;
	if (chan_open(&q->c, m, SCALE_SIZE, depth + 2 * BATCH))
		return -1;
	q->opened = true;
	ep_init(&q->e, &q->c, BATCH);
	q->e.nprio = nprio;
	for (i = 0; i < depth; i++) {
		*(struct hdr *)q->e.pl[0] = (struct hdr){ i, 0 };
		if (m->send(&q->e, 0, SCALE_SIZE, nprio > 1 ? i % nprio : 0))
			return -1;
	}
	q->ok = true;
	return 0;
}

/* The deep queues of every mechanism with scale figures and its own queues */
void scale_fill_all(void)
{
	double t = now_s();
	int m, d, p, fi;

	for (fi = 0; fi < nfigs && figs[fi].kind != K_SCALE; fi++)
		;
	if (fi == nfigs)
		return;		/* none (--variant) */
	for (m = 0; m < NMECH; m++) {
		if (!(mechs[m]->kinds & KIND(K_SCALE)) || mechs[m]->queues)
			continue;
		for (d = 0; d < NDEPTH; d++)
			for (p = 0; p < 2; p++) {
				if (opt.only && !strstr(opt.only, "scale"))
					continue;	/* no scale figure */
				if (scale_fill(&scaleq[m][d][p], mechs[m],
					       scale_depths[d], p ? 32 : 1)) {
					fprintf(stderr, "msgq-bench: "
						"filling %s to %u: %s\n",
						mechs[m]->name,
						scale_depths[d],
						strerror(errno));
					failed = true;
				}
			}
	}
	printf("msgq-bench: deep queues filled in %.1f s\n", now_s() - t);
}

void scale_close_all(void)
{
	int m, d, p;

	for (m = 0; m < NMECH; m++)
		for (d = 0; d < NDEPTH; d++)
			for (p = 0; p < 2; p++)
				if (scaleq[m][d][p].opened)
					chan_close(&scaleq[m][d][p].c);
}

/* One send and receive of a batch, or of one message: how many, or -1 */
static int scale_op(const struct mech *m, struct scale_q *q)
{
	unsigned int p, prio[BATCH];
	int got = 0, r;

	if (m->send_batch && m->recv_batch) {
		for (p = 0; p < BATCH; p++)
			prio[p] = q->nprio > 1 ? q->next_prio++ % q->nprio : 0;
		if (m->send_batch(&q->e, BATCH, SCALE_SIZE, prio))
			return -1;
		while (got < BATCH) {
			r = m->recv_batch(&q->e, BATCH - got);
			if (r <= 0)
				return -1;
			got += r;
		}
		return BATCH;
	}
	p = q->nprio > 1 ? q->next_prio++ % q->nprio : 0;
	if (m->send(&q->e, 0, SCALE_SIZE, p))
		return -1;
	return m->recv(&q->e, 0) == SCALE_SIZE ? 1 : -1;
}

/* ns per send+receive pair, over about --scale-ms */
double measure_scale(const struct mech *m, unsigned int di, unsigned int pi)
{
	struct scale_q *q = scale_q_of(m, di, pi);
	double t0 = now_s(), t, dur = opt.scale_ms / 1000.0;
	unsigned long ops = 0;
	unsigned int k, chunk = 1;
	int n, warm;

	sh->err = 0;
	if (!q->ok) {
		snprintf(sh->what, sizeof(sh->what), "queue not filled");
		sh->err = 1;
		return NAN;
	}
	/*
	 * Read the clock rarely: it may be a slow HPET under emulation.
	 * The chunk doubles until it takes about 2 ms. An untimed eighth of
	 * the time goes first, to warm up.
	 */
	for (warm = 1; warm >= 0; warm--) {
		t0 = now_s();
		ops = 0;
		do {
			double tc = now_s();

			for (k = 0; k < chunk; k++) {
				n = scale_op(m, q);
				if (n < 0)
					goto fail;
				ops += n;
			}
			t = now_s();
			if (t - tc < 0.002 && chunk < (1u << 16))
				chunk *= 2;
		} while (t - t0 < (warm ? dur / 8 : dur));
	}
	return (t - t0) * 1e9 / ops;
fail:
	snprintf(sh->what, sizeof(sh->what), "scale %u/%u: send/receive",
		 q->depth, q->nprio);
	sh->err = 1;
	sh->err_errno = errno;
	return NAN;
}
