// SPDX-License-Identifier: GPL-2.0
/*
 * msgq-bench --variant NAME=CMD: the same figures under several states of
 * the system, in one run, e.g. (scripts/bench.sh, bench/variant.sh) a
 * msgq.ko without tracepoints, the normal one with them disabled, and with
 * them enabled. Each selected two-process figure becomes one figure per
 * variant ("tput-16-1cpu@notrace"); every round runs each variant's CMD
 * with sh -c, then that variant's figures, a different variant first each
 * round, so that a drift of the host's load lands on every variant alike.
 * A CMD that fails (non-zero) fails the run, and that round of its figures
 * is not taken. The table adds, per figure and mechanism, each variant's
 * median of the per-round ratios to the first variant (report.c).
 *
 * CMD may unload msgq.ko: msgq-bench holds no msgq descriptor between
 * figures (no scale or levels figures with --variant: their queues are
 * one-process, and not what a variant is for).
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

void variant_parse(const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *name;

	if (!eq || eq == arg || !eq[1] || opt.nvariants == MAX_VARIANTS)
		die("--variant %s: NAME=CMD, at most %d", arg, MAX_VARIANTS);
	name = strndup(arg, eq - arg);
	if (!name)
		die("out of memory");
	opt.variant[opt.nvariants].name = name;
	opt.variant[opt.nvariants].cmd = eq + 1;
	opt.nvariants++;
}

/* The two-process figures, one per variant; the others go. */
void variant_figures(void)
{
	static struct figure base[MAX_FIG];
	int nbase = 0, fi, v;
	struct figure *f;

	for (fi = 0; fi < nfigs; fi++)
		if (figs[fi].kind != K_SCALE && figs[fi].kind != K_LEVELS &&
		    figs[fi].kind != K_HANDOFF)
			base[nbase++] = figs[fi];
	if (nbase * opt.nvariants > MAX_FIG)
		die("--variant: %d figures of %d variants: --only fewer",
		    nbase, opt.nvariants);
	nfigs = 0;
	for (v = 0; v < opt.nvariants; v++)
		for (fi = 0; fi < nbase; fi++) {
			f = &figs[nfigs++];
			*f = base[fi];
			f->variant = v;
			snprintf(f->id, sizeof(f->id), "%.20s@%s", base[fi].id,
				 opt.variant[v].name);
			snprintf(f->title, sizeof(f->title), "%.34s %s",
				 base[fi].title, opt.variant[v].name);
		}
}

/* Run variant @v's CMD: 0, or -1 (said on stderr) */
int variant_switch(int v)
{
	int st;

	printf("msgq-bench: variant %s: %s\n", opt.variant[v].name,
	       opt.variant[v].cmd);
	fflush(stdout);
	st = system(opt.variant[v].cmd);
	if (st != -1 && WIFEXITED(st) && !WEXITSTATUS(st))
		return 0;
	fprintf(stderr, "msgq-bench: variant %s FAILED: \"%s\" exited %d\n",
		opt.variant[v].name, opt.variant[v].cmd,
		st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return -1;
}
