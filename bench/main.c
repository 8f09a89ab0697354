// SPDX-License-Identifier: GPL-2.0
/*
 * msgq-bench: msgq against the IPC a user would pick instead, side by side,
 * in one boot: msgq (plain, and its fast calls: mech_msgq.c; through io_uring:
 * mech_uring.c), POSIX mq (glibc's, and over msgq: mech_mq_msgq.c), SysV
 * msg, AF_UNIX SOCK_SEQPACKET and a pipe with length-prefixed framing, and
 * the futex floor (mech_futex.c). Each is a struct mech in a mech_*.c
 * (bench.h).
 *
 * Figures (each the median of --rounds interleaved rounds, with min/max):
 *   pingpong   64 B round trip between two processes (us, lower is better)
 *              With a reference, "futex-floor": the same pinger and ponger
 *              with no IPC (mech_futex.c), a "floor:" line under the table.
 *   tput-N     one producer -> one consumer, N = 16, 256, 4096, 65536 bytes
 *              (messages/s and MB/s, higher is better)
 *              Both twice: -1cpu with the two processes pinned to vCPU 0
 *              (a wakeup is a context switch), -2cpu pinned to vCPUs 0
 *              and 1 (a wakeup crosses to the other vCPU: under emulation
 *              on a busy host, waking an idle vCPU can wait for the host
 *              to run its thread, which swamps everything else).
 *   contend    4 producers x 4 consumers on one queue, 64 B (messages/s),
 *              spread over the vCPUs
 *   scale-Q-P  cost of one send + one receive with Q messages already
 *              queued and P priorities in use, one process (ns, lower is
 *              better); only for mechanisms that hold 60000 messages
 *   levels-N   cost of one send + one receive with N = 1, 32, 32768
 *              priority levels in use (ns; levels.c says the pattern), and
 *              each as a ratio to the same mechanism's 1-level cost
 *   fanout-8   1 sender -> 8 subscriber processes, every message to all
 *              8, 64 B (messages/s, each delivered to all 8, higher is
 *              better), [1 vCPU] and [2 vCPUs]: msgq through one fan-out
 *              mailbox (MSGQ_O_FANOUT; msgq fast in batches of 32), POSIX
 *              mq as a user builds it today, a queue per subscriber and
 *              the sender writing each; fanout-8-queues [1 vCPU]: that
 *              for msgq too, 8 plain mailboxes (fanout.c says the pattern)
 *   handoff-16M  a 16 MiB payload from one process to another, produced
 *              anew by the sender each time and checked by the receiver
 *              (payloads/s, higher is better), [1 vCPU] and [2 vCPUs]:
 *              msgq and AF_UNIX pass a sealed memfd (msgq_send_fds(),
 *              SCM_RIGHTS), POSIX mq copies it as 16 messages of 1 MiB;
 *              handoff-16M-copy [1 vCPU]: that for msgq too (handoff.c
 *              says the pattern; --smoke: 64 KiB in 16 KiB messages)
 *
 * How a two-process figure is taken: the processes are forked (pinned,
 * SCHED_BATCH: no wakeup preemption, so on one vCPU a woken receiver runs
 * when the sender blocks, for every mechanism alike) and wait on
 * a futex; the parent releases them, lets them run for --warm ms, reads
 * the shared progress counters, sleeps --window ms, reads them again, and
 * kills the children (run.c). The figure is the progress in that window,
 * so no per-message clock reads and no start-up or shut-down transient.
 * Every channel holds QDEPTH (64) messages: msgq max_msgs and mq_maxmsg
 * 64, SysV msg_qbytes 64 x size, SO_SNDBUF about 64 messages' truesize,
 * the pipe 64 x size bytes (rounded up to a power of two pages).
 *
 * Mechanisms run in a rotated order in every round, and every figure is
 * also given as a ratio to POSIX mq (the median of the ratios within each
 * round, same run).
 * Output (report.c): a table on stdout, results.csv and results.json in
 * --out; with --print-data both files are also printed between marker
 * lines (MSGQ-BENCH-CSV-BEGIN/END, MSGQ-BENCH-JSON-BEGIN/END; with
 * --data-tag T, MSGQ-BENCH-T-CSV-BEGIN/END...) for a host to pick out of a
 * serial console.
 *
 * As root it raises the limits the big queues need (fs.mqueue.msg_max,
 * fs.mqueue.msgsize_max (1 MiB, for handoff-16M), kernel.msgmax, kernel.msgmnb, RLIMIT_MSGQUEUE),
 * only upwards; --no-tune leaves them alone. Meant for a throw-away guest.
 *
 *   msgq-bench [--smoke] [--rounds N] [--window MS] [--warm MS]
 *              [--scale-ms MS] [--out DIR] [--print-data] [--label TEXT]
 *              [--data-tag TAG] [--plain ioctl|rw] [--only SUBSTRING,...]
 *              [--mechs NAME,...] [--variant NAME=CMD]... [--no-tune]
 *              [--no-pin] [--no-sched-batch] [--diag]
 *
 * --smoke: first checks the libmsgq calls the figures use (write/read fast
 * path, msgq_sendrecv(), the ioctls) against their documented results
 * (smoke.c), then one short round with small scale depths; exercises every
 * path and exits non-zero on any error (make check runs it).
 * --plain rw (default): plain msgq through msgq_send()/msgq_recv(), i.e.
 * write(2)/read(2) at priority 0; --plain ioctl: through the ioctls.
 * --only, --mechs: a subset of the figures (ids) and mechanisms (names).
 * --variant NAME=CMD (repeated, up to 4): the selected two-process figures
 * once per variant, each round running every variant's CMD (sh -c) before
 * its figures, in a rotated order; the table adds each variant's ratio to
 * the first (variant.c). make bench uses it for the cost of tracepoints,
 * CMD loading another msgq.ko: msgq-bench holds no msgq descriptor then.
 * --diag: per figure, the children's sleeps, preemptions and CPU time per
 * message over the window (from /proc).
 */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define MECH_ENTRY(n)	&mech_##n,
const struct mech *const mechs[NMECH] = { MECH_LIST(MECH_ENTRY) };
#undef MECH_ENTRY

struct options opt = {
	.rounds = 9, .window_ms = 150, .warm_ms = 30, .scale_ms = 80,
	.out = ".", .label = "", .data_tag = "", .tune = true, .pin = true,
	.batch_sched = true,
};

struct figure figs[MAX_FIG];
int nfigs;
bool failed;
struct utsname uts;

/* The mechanism every figure is also given against (POSIX mq) */
int mech_ref(void)
{
	int m;

	for (m = 0; !(mechs[m]->flags & MECH_REF); m++)
		;
	return m;
}

/* Is @s in the comma-separated @list (as a substring of @s with @part)? */
static bool in_list(const char *list, const char *s, bool part)
{
	char buf[256], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (part ? !!strstr(s, tok) : !strcmp(s, tok))
			return true;
	return false;
}

/* --mechs: a comma-separated list of mechanism names */
bool mech_selected(int m)
{
	return !opt.mechs || in_list(opt.mechs, mechs[m]->name, false);
}

/* --only: a comma-separated list of substrings of figure ids */
static bool selected(const char *id)
{
	return !opt.only || in_list(opt.only, id, true);
}

/* ------------------------------------------------------------------ */
/* Options */

static void usage(void)
{
	fprintf(stderr,
		"usage: msgq-bench [--smoke] [--rounds N] [--window MS] "
		"[--warm MS] [--scale-ms MS]\n"
		"                  [--out DIR] [--print-data] [--label TEXT] "
		"[--data-tag TAG] [--plain ioctl|rw]\n"
		"                  [--only SUBSTRING,...] [--variant NAME=CMD]...\n"
		"                  [--mechs NAME,...] [--no-tune] [--no-pin] "
		"[--no-sched-batch] [--diag]\n");
	exit(2);
}

/* --smoke: one short round, small scale depths */
static void smoke_options(void)
{
	opt.smoke = true;
	opt.rounds = 1;
	opt.window_ms = 15;
	opt.warm_ms = 5;
	opt.scale_ms = 5;
	scale_depths[1] = 100;
	scale_depths[2] = 1000;
	levels_depth = 64;
	levels_burst = 64;
	handoff_size = 64 << 10;
	handoff_chunk = 16 << 10;
}

static void parse_args(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--smoke")) {
			smoke_options();
		} else if (!strcmp(a, "--print-data")) {
			opt.print_data = true;
		} else if (!strcmp(a, "--no-sched-batch")) {
			opt.batch_sched = false;
		} else if (!strcmp(a, "--no-pin")) {
			opt.pin = false;
		} else if (!strcmp(a, "--diag")) {
			opt.diag = true;
		} else if (!strcmp(a, "--no-tune")) {
			opt.tune = false;
		} else if (!v) {
			usage();
		} else if (!strcmp(a, "--rounds")) {
			opt.rounds = atoi(v), i++;
		} else if (!strcmp(a, "--window")) {
			opt.window_ms = atoi(v), i++;
		} else if (!strcmp(a, "--warm")) {
			opt.warm_ms = atoi(v), i++;
		} else if (!strcmp(a, "--scale-ms")) {
			opt.scale_ms = atoi(v), i++;
		} else if (!strcmp(a, "--out")) {
			opt.out = v, i++;
		} else if (!strcmp(a, "--label")) {
			opt.label = v, i++;
		} else if (!strcmp(a, "--data-tag")) {
			opt.data_tag = v, i++;
		} else if (!strcmp(a, "--mechs")) {
			opt.mechs = v, i++;
		} else if (!strcmp(a, "--only")) {
			opt.only = v, i++;
		} else if (!strcmp(a, "--variant")) {
			variant_parse(v), i++;
		} else if (!strcmp(a, "--plain")) {
			if (!strcmp(v, "ioctl"))
				opt.plain_ioctl = true;
			else if (strcmp(v, "rw"))
				usage();
			i++;
		} else {
			usage();
		}
	}
	if (opt.rounds < 1 || opt.rounds > MAX_ROUNDS || opt.window_ms < 1 ||
	    opt.warm_ms < 0 || opt.scale_ms < 1)
		usage();
}

/* ------------------------------------------------------------------ */
/* Setup */

static struct figure *add_fig(const char *id, const char *title,
			      enum kind k, const char *unit, bool hb,
			      size_t size)
{
	struct figure *f = &figs[nfigs++];
	int m, r;

	snprintf(f->id, sizeof(f->id), "%s", id);
	snprintf(f->title, sizeof(f->title), "%s", title);
	f->kind = k;
	f->unit = unit;
	f->higher_better = hb;
	f->size = size;
	f->variant = -1;
	for (m = 0; m < NMECH; m++) {
		f->has[m] = mechs[m]->kinds & KIND(k);
		for (r = 0; r < MAX_ROUNDS; r++)
			f->v[m][r] = NAN;
	}
	return f;
}

static void setup_figures(void)
{
	static const size_t sizes[] = { 16, 256, 4096, 65536 };
	char id[32], title[48];
	unsigned int d, p, i, c;
	struct figure *f;
	int m;

	/*
	 * The two-process figures twice: the processes on two vCPUs (each
	 * wakeup crosses to the other vCPU, which under emulation on a busy
	 * host may mean waiting for the host to run that vCPU's thread), and
	 * both on one vCPU (each wakeup is a context switch there).
	 */
	for (c = 0; c < 2; c++) {
		snprintf(id, sizeof(id), "pingpong-64-%dcpu", c + 1);
		snprintf(title, sizeof(title), "ping-pong 64 B [%s]",
			 c ? "2 vCPUs" : "1 vCPU");
		f = add_fig(id, title, K_PINGPONG, "us", false, PP_SIZE);
		f->one_cpu = !c;
	}
	for (i = 0; i < 4; i++)
		for (c = 0; c < 2; c++) {
			snprintf(id, sizeof(id), "tput-%zu-%dcpu", sizes[i],
				 c + 1);
			if (sizes[i] >= 1024)
				snprintf(title, sizeof(title), "1->1 %zu KiB [%s]",
					 sizes[i] / 1024,
					 c ? "2 vCPUs" : "1 vCPU");
			else
				snprintf(title, sizeof(title), "1->1 %zu B [%s]",
					 sizes[i], c ? "2 vCPUs" : "1 vCPU");
			f = add_fig(id, title, K_TPUT, "msg/s", true, sizes[i]);
			f->one_cpu = !c;
		}
	add_fig("contend-4x4", "4x4 contention 64 B [2 vCPUs]", K_CONTEND,
		"msg/s", true, CONT_SIZE);
	for (p = 0; p < 2; p++)
		for (d = 0; d < NDEPTH; d++) {
			snprintf(id, sizeof(id), "scale-q%u-p%u",
				 scale_depths[d], p ? 32 : 1);
			snprintf(title, sizeof(title), "q=%u %s",
				 scale_depths[d], p ? "32 prio" : "1 prio");
			f = add_fig(id, title, K_SCALE, "ns", false,
				    SCALE_SIZE);
			f->depth = d;
			f->nprio = p;
		}
	for (i = 0; i < NLEVELS; i++) {
		snprintf(id, sizeof(id), "levels-%u", levels_n[i]);
		snprintf(title, sizeof(title), "%u prio level%s", levels_n[i],
			 levels_n[i] > 1 ? "s" : "");
		f = add_fig(id, title, K_LEVELS, "ns", false, SCALE_SIZE);
		f->levels = levels_n[i];
	}
	for (c = 0; c < 3; c++) {
		snprintf(id, sizeof(id), "fanout-%d%s-%dcpu", FAN_N,
			 c == 2 ? "-queues" : "", c == 1 ? 2 : 1);
		snprintf(title, sizeof(title), "1->%d%s %d B [%s]", FAN_N,
			 c == 2 ? " 8 queues" : " fan-out", FAN_SIZE,
			 c == 1 ? "2 vCPUs" : "1 vCPU");
		f = add_fig(id, title, K_FANOUT, "msg/s", true, FAN_SIZE);
		f->one_cpu = c != 1;
		f->queues = c == 2;
	}
	for (c = 0; c < 3; c++) {
		snprintf(id, sizeof(id), "handoff-16M%s-%dcpu",
			 c == 2 ? "-copy" : "", c == 1 ? 2 : 1);
		snprintf(title, sizeof(title), "%zu %s %s [%s]",
			 handoff_size >> (handoff_size >> 20 ? 20 : 10),
			 handoff_size >> 20 ? "MiB" : "KiB",
			 c == 2 ? "copied" : "handoff",
			 c == 1 ? "2 vCPUs" : "1 vCPU");
		f = add_fig(id, title, K_HANDOFF, "payload/s", true,
			    handoff_size);
		f->one_cpu = c != 1;
		f->queues = c == 2;
		/* copied: msgq against the reference only */
		for (m = 0; c == 2 && m < NMECH; m++)
			f->has[m] &= mechs[m] == &mech_msgq ||
				     (mechs[m]->flags & MECH_REF);
	}
	if (opt.nvariants)
		variant_figures();
}

static void tune_limits(void)
{
	static const struct { const char *path; long want; } t[] = {
		{ "/proc/sys/fs/mqueue/msg_max", 65536 },
		{ "/proc/sys/fs/mqueue/msgsize_max", 1 << 20 },
		{ "/proc/sys/kernel/msgmax", 65536 },
		{ "/proc/sys/kernel/msgmnb", 64L << 20 },
	};
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		FILE *f = fopen(t[i].path, "r+");
		long cur;

		if (!f)
			continue;
		if (fscanf(f, "%ld", &cur) == 1 && cur < t[i].want) {
			rewind(f);
			fprintf(f, "%ld\n", t[i].want);
		}
		fclose(f);
	}
	if (setrlimit(RLIMIT_MSGQUEUE, &rl)) {
		getrlimit(RLIMIT_MSGQUEUE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_MSGQUEUE, &rl);
	}
}

/* ------------------------------------------------------------------ */
/* The rounds */

static void report_failure(const char *fig, int m)
{
	fprintf(stderr, "msgq-bench: %s / %s FAILED: %s%s%s\n", fig,
		mechs[m]->name, sh->what, sh->err_errno ? ": " : "",
		sh->err_errno ? strerror(sh->err_errno) : "");
	failed = true;
}

/* Figure @f of mechanism @m, once */
static double measure(const struct figure *f, const struct mech *m)
{
	switch (f->kind) {
	case K_PINGPONG:
		return measure_pingpong(m, f->one_cpu);
	case K_TPUT:
		return measure_tput(m, f->size, f->one_cpu);
	case K_CONTEND:
		return measure_contend(m);
	case K_LEVELS:
		return measure_levels(m, f->levels);
	case K_FANOUT:
		return measure_fanout(m, f->queues, f->one_cpu);
	case K_HANDOFF:
		return measure_handoff(m, f->queues, f->one_cpu);
	default:
		return measure_scale(m, f->depth, f->nprio);
	}
}

/* Every selected mechanism of figure @fi, a different one first each round */
static void run_figure(int fi, int round)
{
	struct figure *f = &figs[fi];
	int k, m;

	if (!selected(f->id)) {
		f->skipped = true;
		return;
	}
	for (k = 0; k < NMECH; k++) {
		m = (k + round + fi) % NMECH;
		if (!f->has[m] || !mech_selected(m))
			continue;
		diag_fig = f->id;
		diag_mech = mechs[m];
		f->v[m][round] = measure(f, mechs[m]);
		if (isnan(f->v[m][round]))
			report_failure(f->id, m);
	}
}

static void run_round(int round)
{
	double tr = now_s();
	int fj, fi, pass, k, v;

	if (opt.nvariants) {
		/* every variant's figures after its CMD, from a different
		 * variant each round */
		for (k = 0; k < opt.nvariants; k++) {
			v = (k + round) % opt.nvariants;
			if (variant_switch(v)) {
				failed = true;
				continue;
			}
			for (fi = 0; fi < nfigs; fi++)
				if (figs[fi].variant == v)
					run_figure(fi, round);
		}
		printf("msgq-bench: round %d/%d done in %.1f s\n", round + 1,
		       opt.rounds, now_s() - tr);
		return;
	}

	/*
	 * The one-process figures first, after a pause: the teardown
	 * of the previous round's killed children (deferred frees, RCU) must
	 * not land in them.
	 */
	sleep_s(opt.smoke ? 0.01 : 0.1);
	for (fj = 0; fj < 2 * nfigs; fj++) {
		/* pass 0: the scale and levels figures, from a different
		 * one each round; pass 1: the rest */
		pass = fj / nfigs;
		fi = (fj + (pass ? 0 : round)) % nfigs;
		if ((figs[fi].kind == K_SCALE ||
		     figs[fi].kind == K_LEVELS) == (pass == 0))
			run_figure(fi, round);
	}
	printf("msgq-bench: round %d/%d done in %.1f s\n", round + 1,
	       opt.rounds, now_s() - tr);
}

int main(int argc, char **argv)
{
	double t_start = now_s();
	int round;

	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	uname(&uts);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (opt.tune && geteuid() == 0)
		tune_limits();
	shm_map();
	if (access(MSGQ_DEVICE_PATH, F_OK))
		die("%s absent: load msgq.ko first", MSGQ_DEVICE_PATH);
	setup_figures();

	printf("msgq-bench: %s, kernel %s, %ld vCPUs, %d rounds\n",
	       opt.smoke ? "smoke run" : "full run", uts.release, ncpu,
	       opt.rounds);
	if (opt.smoke)
		smoke_lib();

	/* The deep queues, filled once and kept at their depth. */
	scale_fill_all();
	for (round = 0; round < opt.rounds; round++)
		run_round(round);

	printf("\n");
	print_table(stdout);
	printf("\nmsgq-bench: %s in %.1f s\n", failed ? "FAILED" : "done",
	       now_s() - t_start);
	write_results();
	scale_close_all();
	return failed ? 1 : 0;
}
