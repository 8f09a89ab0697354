/* SPDX-License-Identifier: GPL-2.0 */
/*
 * msgq-bench: what its files share (main.c says what the program does).
 *
 *   main.c      options, the figures, the rounds, the list of mechanisms
 *   run.c       the processes of a two-process figure: fork, release,
 *               the measuring window, --diag; the memory they share
 *   measure.c   channels and endpoints, the children (producer, consumer,
 *               pinger, ponger), the ping-pong, throughput and contention
 *               figures
 *   scale.c     the deep queues and the one-process scale figures
 *   levels.c    the priority-levels figures (1, 32, 32768 levels)
 *   fanout.c    the fan-out figures: one sender, FAN_N subscribers
 *   handoff.c   the handoff figures: a 16 MiB payload from one process to
 *               another, by memfd or copied in 1 MiB messages
 *   variant.c   --variant: the same figures under several states of
 *               the system (module builds, tracing), in one run
 *   report.c    statistics, the table, CSV and JSON
 *   smoke.c     --smoke: the libmsgq calls the figures use, checked
 *   util.c      clock, sleep, die, futex
 *   mech_*.c    one mechanism each: a struct mech (mech_mq_msgq.c:
 *               mech_mq.c's code through libmsgq-posix; mech_uring.c:
 *               msgq through io_uring)
 *
 * Adding a mechanism: a mech_NAME.c that defines `const struct mech
 * mech_NAME` and one line in MECH_LIST below.
 */
#ifndef MSGQ_BENCH_H
#define MSGQ_BENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/utsname.h>

#include "../lib/include/msgq.h"

#define ptr_to_u64(p)	((__u64)(uintptr_t)(p))

#define QDEPTH		64	/* messages every channel holds */
#define BATCH		32	/* msgq batch size */
#define PP_SIZE		64	/* ping-pong message size */
#define CONT_SIZE	64	/* contention message size */
#define CONT_N		4	/* producers, and consumers */
#define SCALE_SIZE	64	/* scale message size */
#define FAN_N		8	/* fan-out subscribers */
#define FAN_SIZE	64	/* fan-out message size */
#define MAX_CHILDREN	(FAN_N + 1)	/* >= 2 * CONT_N */
_Static_assert(2 * CONT_N <= MAX_CHILDREN, "contention's children");
#define MAX_ROUNDS	64
#define NDEPTH		3	/* scale depths */
#define NLEVELS		3	/* priority-levels figures */
#define MAX_VARIANTS	4
#define MAX_FIG		48

/* ------------------------------------------------------------------ */
/* Mechanisms */

struct chan;
struct ep;
struct job;

/* The figures, and the bits of struct mech's kinds */
enum kind { K_PINGPONG, K_TPUT, K_CONTEND, K_SCALE, K_LEVELS, K_FANOUT,
	    K_HANDOFF };
#define KIND(k)		(1u << (k))
#define KINDS_STREAM	(KIND(K_PINGPONG) | KIND(K_TPUT) | KIND(K_CONTEND))
#define KINDS_ALL	(KINDS_STREAM | KIND(K_SCALE) | KIND(K_LEVELS))

/* struct mech's flags */
#define MECH_REF	0x1	/* every figure also as a ratio to this one */
#define MECH_READ_LOCK	0x2	/* several readers of one channel take
				 * sh->rlock (a message is two reads) */
#define MECH_BATCH_UNORDERED 0x4 /* a batch's messages may come in any
				 * order (concurrent requests): it must hold
				 * the next n of the sequence, each once */
#define MECH_FANOUT	0x8	/* its channels are msgq mailboxes: the
				 * fan-out figure sends through one fan-out
				 * mailbox instead of one per subscriber */

/*
 * A mechanism: how to open a one-way channel and move messages through it.
 * open, close, send and recv are needed for every figure in @kinds, but
 * for a mechanism with its own pinger and ponger (ping-pong only).
 */
struct mech {
	const char *name;	/* CSV, JSON, --mechs: "posix-mq" */
	const char *short_name;	/* the table's: "POSIX mq" */
	unsigned int kinds;	/* the figures it takes part in: KIND() */
	unsigned int flags;	/* MECH_* */
	size_t room;		/* bytes before each payload (SysV's mtype) */

	/*
	 * A channel for c->cap messages of up to c->size bytes: sets
	 * c->sfd and c->rfd. @name is unique and starts with '/'. Returns
	 * 0, or -1 with errno set; close() is called either way.
	 */
	int (*open)(struct chan *c, const char *name);
	void (*close)(struct chan *c);
	/* Payload buffer @i of @e, @len bytes, priority @prio: 0/-1 */
	int (*send)(struct ep *e, int i, size_t len, unsigned int prio);
	/* Into payload buffer @i of @e: the length, or -1 */
	ssize_t (*recv)(struct ep *e, int i);

	/*
	 * Optional: batches, for throughput, contention, scale and levels
	 * (NULL: one message per call). send_batch sends buffers 0..@n-1
	 * (all of them), buffer i at priority @prio[i] (@prio NULL: all at
	 * 0); recv_batch takes up to @n, returns how many (or -1) and
	 * leaves each length in e->mm[i].len, the payloads in e->pl[0..]
	 * in the order received.
	 */
	int (*send_batch)(struct ep *e, unsigned int n, size_t len,
			  const unsigned int *prio);
	int (*recv_batch)(struct ep *e, unsigned int n);
	/*
	 * Optional: ping-pong's send of buffer 0 of @out and receive into
	 * buffer 0 of @in in one call; *@sent says whether it went out.
	 */
	ssize_t (*sendrecv)(struct ep *out, size_t len, struct ep *in,
			    int *sent);
	/* Optional: ping-pong with no channel at all, its two sides */
	void (*pinger)(const struct job *j);
	void (*ponger)(const struct job *j);

	/* Scale: the deep queues of this mechanism, not its own */
	const struct mech *queues;
	/* No column in the table: a "floor:" line under it, saying this */
	const char *floor;
};

/*
 * Every mechanism, in the order of the table's columns (those without a
 * column last). Each is a `const struct mech mech_NAME` in a mech_*.c.
 */
#define MECH_LIST(X)		\
	X(msgq)			\
	X(msgq_fast)		\
	X(uring)		\
	X(mq)			\
	X(mq_msgq)		\
	X(sysv)			\
	X(unix_sp)		\
	X(pipe)			\
	X(futex)

#define MECH_DECLARE(n)	extern const struct mech mech_##n;
MECH_LIST(MECH_DECLARE)
#undef MECH_DECLARE

#define MECH_COUNT(n)	+ 1
#define NMECH		(0 MECH_LIST(MECH_COUNT))

extern const struct mech *const mechs[NMECH];	/* main.c */
int mech_ref(void);
bool mech_selected(int m);

/* ------------------------------------------------------------------ */
/* Channels and endpoints (measure.c) */

/* A one-way queue of messages */
struct chan {
	const struct mech *m;
	size_t size;		/* largest message */
	unsigned int cap;	/* messages it holds */
	int sfd, rfd;		/* send / receive ends (mq: mqd_t; SysV: id) */
	bool multi_reader;	/* MECH_READ_LOCK, several readers */
};

/*
 * An endpoint: one process's buffers on a channel. The payload is built
 * in place after the mechanism's room (SysV needs its mtype word in
 * front), so no mechanism pays for a copy the others do not make.
 */
struct ep {
	struct chan *c;
	char *raw[BATCH];	/* allocation */
	char *pl[BATCH];	/* payload */
	struct msgq_mmsg mm[BATCH];	/* a batch: buffers and lengths */
	unsigned int nprio;	/* more than 1: receive the highest first */
};

extern unsigned int name_seq;	/* makes mailbox names unique */

int chan_open(struct chan *c, const struct mech *m, size_t size,
	      unsigned int cap);
void chan_close(struct chan *c);
void chan_close_fds(struct chan *c);
void ep_init(struct ep *e, struct chan *c, int nbuf);

/* The head of every payload */
struct hdr {
	uint32_t seq;
	uint32_t from;
};

/* What a child of a two-process figure works on */
struct job {
	struct chan *a, *b;	/* ping-pong: there, and back */
	size_t size;
	bool ordered;		/* one producer: check the sequence */
	int slot;		/* its progress counter */
	unsigned int id;	/* a producer's */
	unsigned int nchan;	/* fan-out sender: channels a[0..nchan-1] */
	const char *subscribe;	/* fan-out subscriber: the fan-out mailbox
				 * it opens to receive from, a's sfd */
};

/* Each is a figure's value in one round, or NAN with sh->what set */
double measure_pingpong(const struct mech *m, bool one_cpu);
double measure_tput(const struct mech *m, size_t size, bool one_cpu);
double measure_contend(const struct mech *m);
void consumer(const struct job *j);

/* ------------------------------------------------------------------ */
/* Fan-out (fanout.c) */

double measure_fanout(const struct mech *m, bool queues, bool one_cpu);

/* ------------------------------------------------------------------ */
/* Handoff (handoff.c) */

extern size_t handoff_size, handoff_chunk;
double measure_handoff(const struct mech *m, bool copy, bool one_cpu);

/* ------------------------------------------------------------------ */
/* Scale (scale.c) */

extern unsigned int scale_depths[NDEPTH];
void scale_fill_all(void);
double measure_scale(const struct mech *m, unsigned int di,
		     unsigned int pi);
void scale_close_all(void);

/* ------------------------------------------------------------------ */
/* Priority levels (levels.c) */

extern unsigned int levels_n[NLEVELS];
extern unsigned int levels_depth, levels_burst;
double measure_levels(const struct mech *m, unsigned int levels);

/* ------------------------------------------------------------------ */
/* The processes of a figure (run.c) */

/* Memory shared with the children of one figure */
struct shm {
	int go;			/* futex: 0 wait, 1 run */
	int ready;		/* children waiting on go */
	int err;		/* a child failed: see what */
	int err_claim;		/* the child that says what */
	int err_errno;
	char what[160];
	pthread_mutex_t rlock;	/* MECH_READ_LOCK readers, when several */
	int ball;		/* futex floor: odd the ponger's turn, even
				 * the pinger's; each side adds 1 */
	struct { unsigned long n; char pad[56]; } count[MAX_CHILDREN];
};

extern struct shm *sh;
extern long ncpu;
extern const char *diag_fig;
extern const struct mech *diag_mech;

void shm_map(void);
void reset_shm(bool multi_reader);
void spawn(void (*fn)(const struct job *), const struct job *j, int cpu);
double run_window(int nslots);
double run_window_steps(int slot, double window_s);
void child_wait_go(void);
void child_fail(const char *what, int e) __attribute__((noreturn));
void count_set(int slot, unsigned long n);

/* ------------------------------------------------------------------ */
/* Figures, options, output */

struct figure {
	char id[32];		/* e.g. tput-4096 */
	char title[48];		/* e.g. "throughput 4 KiB" */
	enum kind kind;
	const char *unit;	/* us, msg/s, ns */
	bool higher_better;
	size_t size;
	unsigned int depth, nprio;	/* scale: indices */
	unsigned int levels;	/* levels: priority levels in use */
	int variant;		/* --variant: its index; -1 without */
	bool one_cpu;		/* both processes on vCPU 0 */
	bool queues;		/* fan-out: a queue per subscriber even for
				 * MECH_FANOUT mechanisms; handoff: copied
				 * even by a mechanism that passes fds */
	bool has[NMECH];
	bool skipped;		/* not selected by --only */
	double v[NMECH][MAX_ROUNDS];	/* per round; NAN if not taken */
};

extern struct figure figs[MAX_FIG];
extern int nfigs;

struct options {
	bool smoke;
	int rounds;
	int window_ms, warm_ms, scale_ms;
	const char *out;
	bool print_data;
	const char *label;
	const char *data_tag;	/* in the --print-data markers */
	bool plain_ioctl;	/* plain msgq through the ioctls */
	const char *only;
	const char *mechs;
	bool tune;
	bool diag;
	bool pin;
	bool batch_sched;
	int nvariants;		/* --variant NAME=CMD, in the order given */
	struct { const char *name, *cmd; } variant[MAX_VARIANTS];
};

extern struct options opt;
extern bool failed;
extern struct utsname uts;

void print_table(FILE *o);	/* report.c */
void write_results(void);

void smoke_lib(void);		/* smoke.c */

/* variant.c */
void variant_parse(const char *arg);
void variant_figures(void);
int variant_switch(int v);

/* util.c */
double now_s(void);
void sleep_s(double s);
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
int futex(int *uaddr, int op, int val);

#endif /* MSGQ_BENCH_H */
