// SPDX-License-Identifier: GPL-2.0
/*
 * msgq-bench: msgq against the IPC a user would pick instead, side by side,
 * in one boot: msgq (plain, and its fast calls), POSIX mq, SysV msg,
 * AF_UNIX SOCK_SEQPACKET and a pipe with length-prefixed framing.
 *
 * The two msgq columns:
 *   msgq       one message per call: msgq_send()/msgq_recv(), which are
 *              write(2)/read(2) at priority 0 (the ioctls otherwise);
 *              --plain ioctl forces MSGQ_IOC_SEND/RECV (msgq_send_args(),
 *              msgq_recv_args()) to compare the two
 *   msgq fast  ("msgq-fast") what a program after speed would use: for
 *              throughput, contention and scale, batches of 32
 *              (msgq_send_batch()/msgq_recv_batch()); for ping-pong, one
 *              msgq_sendrecv() per round trip on each side (the pinger
 *              sends on one mailbox and receives the reply on the other,
 *              the ponger, after one plain receive, sends each reply and
 *              receives the next request)
 *
 * Figures (each the median of --rounds interleaved rounds, with min/max):
 *   pingpong   64 B round trip between two processes (us, lower is better)
 *              With a reference, "futex-floor": the same pinger and
 *              ponger with no IPC, only a shared counter each side bumps
 *              and FUTEX_WAKE + FUTEX_WAIT (the same sleeps, wakeups and
 *              four system calls per round trip, no message). Under TCG
 *              the two context switches of a round trip on one vCPU are
 *              nearly all of the cost, so this is about as low as any
 *              blocking IPC can go (about 0.95x POSIX mq there). It takes
 *              part in the rounds like a mechanism (CSV/JSON rows with
 *              mechanism futex-floor, ping-pong figures only) but is a
 *              "floor:" line under the table instead of a column.
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
 *
 * How a two-process figure is taken: the processes are forked (pinned,
 * SCHED_BATCH: no wakeup preemption, so on one vCPU a woken receiver runs
 * when the sender blocks, for every mechanism alike) and wait on
 * a futex; the parent releases them, lets them run for --warm ms, reads
 * the shared progress counters, sleeps --window ms, reads them again, and
 * kills the children. The figure is the progress in that window, so no
 * per-message clock reads and no start-up or shut-down transient.
 * Every channel holds QDEPTH (64) messages: msgq max_msgs and mq_maxmsg
 * 64, SysV msg_qbytes 64 x size, SO_SNDBUF about 64 messages' truesize,
 * the pipe 64 x size bytes (rounded up to a power of two pages).
 *
 * Mechanisms run in a rotated order in every round, and every figure is
 * also given as a ratio to POSIX mq (the median of the ratios within each
 * round, same run).
 * Output: a table on stdout, results.csv and results.json in --out; with
 * --print-data both files are also printed between marker lines
 * (MSGQ-BENCH-CSV-BEGIN/END, MSGQ-BENCH-JSON-BEGIN/END) for a host to pick
 * out of a serial console.
 *
 * As root it raises the limits the big queues need (fs.mqueue.msg_max,
 * fs.mqueue.msgsize_max, kernel.msgmax, kernel.msgmnb, RLIMIT_MSGQUEUE),
 * only upwards; --no-tune leaves them alone. Meant for a throw-away guest.
 *
 *   msgq-bench [--smoke] [--rounds N] [--window MS] [--warm MS]
 *              [--scale-ms MS] [--out DIR] [--print-data] [--label TEXT]
 *              [--plain ioctl|rw] [--only SUBSTRING,...] [--mechs NAME,...]
 *              [--no-tune] [--no-pin] [--no-sched-batch] [--diag]
 *
 * --smoke: first checks the libmsgq calls the figures use (write/read fast
 * path, msgq_sendrecv(), the ioctls) against their documented results, then
 * one short round with small scale depths; exercises every path and exits
 * non-zero on any error (make check runs it).
 * --plain rw (default): plain msgq through msgq_send()/msgq_recv(), i.e.
 * write(2)/read(2) at priority 0; --plain ioctl: through the ioctls.
 * --only, --mechs: a subset of the figures (ids) and mechanisms (names).
 * --diag: per figure, the children's sleeps, preemptions and CPU time per
 * message over the window (from /proc).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <math.h>
#include <mqueue.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/include/msgq.h"

#define ptr_to_u64(p)	((__u64)(uintptr_t)(p))

#define QDEPTH		64	/* messages every channel holds */
#define BATCH		32	/* msgq batch size */
#define PP_SIZE		64	/* ping-pong message size */
#define CONT_SIZE	64	/* contention message size */
#define CONT_N		4	/* producers, and consumers */
#define SCALE_SIZE	64	/* scale message size */
#define MAX_CHILDREN	(2 * CONT_N)
#define MAX_ROUNDS	64

/* ------------------------------------------------------------------ */
/* Mechanisms */

/*
 * M_MSGQF: batches of 32, or msgq_sendrecv() for ping-pong.
 * M_FUTEX: no IPC at all, the reference floor of ping-pong only (a shared
 * counter, FUTEX_WAKE + FUTEX_WAIT); a line under the table, not a column.
 */
enum mech { M_MSGQ, M_MSGQF, M_MQ, M_SYSV, M_SOCK, M_PIPE, M_FUTEX, NMECH };
#define NCOL	M_FUTEX		/* mechanisms with a column in the table */

static const char *const mech_name[NMECH] = {
	"msgq", "msgq-fast", "posix-mq", "sysv-msg", "unix-seqpacket",
	"pipe", "futex-floor",
};

/* What the table calls them (short). */
static const char *const mech_short[NMECH] = {
	"msgq", "msgq fast", "POSIX mq", "SysV msg", "AF_UNIX sp", "pipe",
	"futex floor",
};

/* ------------------------------------------------------------------ */
/* Figures */

enum kind { K_PINGPONG, K_TPUT, K_CONTEND, K_SCALE };

struct figure {
	char id[32];		/* e.g. tput-4096 */
	char title[48];		/* e.g. "throughput 4 KiB" */
	enum kind kind;
	const char *unit;	/* us, msg/s, ns */
	bool higher_better;
	size_t size;
	unsigned int depth, nprio;	/* scale */
	bool one_cpu;		/* both processes on vCPU 0 */
	bool has[NMECH];
	bool skipped;		/* not selected by --only */
	double v[NMECH][MAX_ROUNDS];	/* per round; NAN if not taken */
};

#define MAX_FIG		24
static struct figure figs[MAX_FIG];
static int nfigs;

/* ------------------------------------------------------------------ */
/* Options */

static struct {
	bool smoke;
	int rounds;
	int window_ms, warm_ms, scale_ms;
	const char *out;
	bool print_data;
	const char *label;
	bool plain_ioctl;	/* plain msgq through the ioctls */
	const char *only;
	const char *mechs;
	bool tune;
	bool diag;
	bool pin;
	bool batch_sched;
} opt = {
	.rounds = 9, .window_ms = 150, .warm_ms = 30, .scale_ms = 80,
	.out = ".", .label = "", .tune = true, .pin = true,
	.batch_sched = true,
};

static unsigned int scale_depths[3] = { 1, 1000, 60000 };

/* ------------------------------------------------------------------ */
/* Small helpers */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "msgq-bench: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int futex(int *uaddr, int op, int val)
{
	return (int)syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

/* Memory shared with the children of one figure. */
struct shm {
	int go;			/* futex: 0 wait, 1 run */
	int ready;		/* children waiting on go */
	int err;		/* a child failed: see what */
	int err_errno;
	char what[160];
	pthread_mutex_t rlock;	/* pipe readers, when several */
	int ball;		/* futex floor: odd the ponger's turn, even
				 * the pinger's; each side adds 1 */
	struct { unsigned long n; char pad[56]; } count[MAX_CHILDREN];
};

static struct shm *sh;

/* A child reports a failure and stops. */
static void child_fail(const char *what, int e)
{
	if (!__atomic_exchange_n(&sh->err, 1, __ATOMIC_SEQ_CST)) {
		sh->err_errno = e;
		snprintf(sh->what, sizeof(sh->what), "%s", what);
	}
	_exit(1);
}

static void count_set(int slot, unsigned long n)
{
	__atomic_store_n(&sh->count[slot].n, n, __ATOMIC_RELAXED);
}

static unsigned long count_sum(int n)
{
	unsigned long s = 0;
	int i;

	for (i = 0; i < n; i++)
		s += __atomic_load_n(&sh->count[i].n, __ATOMIC_RELAXED);
	return s;
}

/* ------------------------------------------------------------------ */
/* Channels: one-way queues of messages */

struct chan {
	enum mech m;
	size_t size;		/* largest message */
	unsigned int cap;	/* messages it holds */
	int sfd, rfd;		/* send / receive ends (mq: mqd_t) */
	int sysv_id;
	bool multi_reader;	/* pipe: readers take sh->rlock */
};

static unsigned int name_seq;

static size_t pow2_pages(size_t n)
{
	size_t p = 4096;

	while (p < n)
		p <<= 1;
	return p;
}

static int chan_open(struct chan *c, enum mech m, size_t size,
		     unsigned int cap)
{
	char name[64];

	memset(c, 0, sizeof(*c));
	c->m = m;
	c->size = size;
	c->cap = cap;
	c->sfd = c->rfd = -1;
	c->sysv_id = -1;
	snprintf(name, sizeof(name), "/msgq-bench-%d-%u", (int)getpid(),
		 name_seq++);

	switch (m) {
	case M_MSGQ:
	case M_MSGQF:
		c->sfd = msgq_create(name + 1, MSGQ_O_RDWR | MSGQ_O_EXCL |
				     MSGQ_O_CLOEXEC, 0600, cap, size);
		if (c->sfd < 0)
			return -1;
		msgq_unlink(name + 1);	/* the handle keeps it alive */
		c->rfd = c->sfd;
		return 0;
	case M_MQ: {
		struct mq_attr a = { .mq_maxmsg = cap, .mq_msgsize = size };
		mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &a);

		if (q == (mqd_t)-1)
			return -1;
		mq_unlink(name);
		c->sfd = c->rfd = (int)q;
		return 0;
	}
	case M_SYSV: {
		struct msqid_ds ds;

		c->sysv_id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
		if (c->sysv_id < 0)
			return -1;
		if (msgctl(c->sysv_id, IPC_STAT, &ds))
			return -1;
		ds.msg_qbytes = (msglen_t)cap * size;
		if (ds.msg_qbytes < cap)
			ds.msg_qbytes = cap;	/* qnum is bounded by qbytes */
		return msgctl(c->sysv_id, IPC_SET, &ds);
	}
	case M_SOCK: {
		int sv[2];
		/* the kernel doubles it; a small skb's truesize is ~0.75 KiB */
		int buf = (int)(cap * (size + 768) / 2);

		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
			return -1;
		c->sfd = sv[0];
		c->rfd = sv[1];
		if (setsockopt(c->sfd, SOL_SOCKET, SO_SNDBUFFORCE, &buf,
			       sizeof(buf)) &&
		    setsockopt(c->sfd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf)))
			return -1;
		return 0;
	}
	case M_PIPE: {
		int p[2];

		if (pipe2(p, O_CLOEXEC))
			return -1;
		c->rfd = p[0];
		c->sfd = p[1];
		/* best effort: unprivileged, it may exceed pipe-max-size */
		fcntl(c->sfd, F_SETPIPE_SZ, (int)pow2_pages(cap * size));
		return 0;
	}
	default:
		errno = EINVAL;
		return -1;
	}
}

static void chan_close(struct chan *c)
{
	switch (c->m) {
	case M_MQ:
		if (c->sfd >= 0)
			mq_close((mqd_t)c->sfd);
		break;
	case M_SYSV:
		if (c->sysv_id >= 0)
			msgctl(c->sysv_id, IPC_RMID, NULL);
		break;
	case M_SOCK:
	case M_PIPE:
		if (c->rfd >= 0)
			close(c->rfd);
		/* fall through */
	default:
		if (c->sfd >= 0)
			close(c->sfd);
	}
	c->sfd = c->rfd = c->sysv_id = -1;
}

/*
 * An endpoint: one process's buffers on a channel. The payload is built
 * in place (SysV needs its mtype word in front), so no mechanism pays for
 * a copy the others do not make.
 */
struct ep {
	struct chan *c;
	char *raw[BATCH];	/* allocation */
	char *pl[BATCH];	/* payload */
	struct msgq_mmsg mm[BATCH];
	long sysv_type;		/* msgrcv msgtyp: 0 FIFO, -32 priorities */
};

static void ep_init(struct ep *e, struct chan *c, int nbuf)
{
	int i;

	memset(e, 0, sizeof(*e));
	e->c = c;
	for (i = 0; i < nbuf; i++) {
		e->raw[i] = aligned_alloc(64, ((c->size + 64 + 63) / 64) * 64);
		if (!e->raw[i])
			die("out of memory");
		memset(e->raw[i], 0x5a, c->size + 64);
		e->pl[i] = e->raw[i] + (c->m == M_SYSV ? sizeof(long) : 0);
	}
}

static ssize_t read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, (char *)buf + got, n - got);
		if (r <= 0)
			return r < 0 ? -1 : (ssize_t)got;
		got += r;
	}
	return (ssize_t)got;
}

/* msgq, one message: libmsgq's msgq_send(), or with --plain ioctl the ioctl */
static int msgq_ep_send(struct ep *e, int i, size_t len, unsigned int prio)
{
	struct msgq_send s = {
		.buf = ptr_to_u64(e->pl[i]),
		.len = (__u32)len,
		.prio = prio,
	};

	if (opt.plain_ioctl)
		return msgq_send_args(e->c->sfd, &s);
	return msgq_send(e->c->sfd, e->pl[i], len, prio);
}

static ssize_t msgq_ep_recv(struct ep *e, int i)
{
	struct msgq_recv r = {
		.buf = ptr_to_u64(e->pl[i]),
		.cap = (__u32)e->c->size,
	};

	if (opt.plain_ioctl)
		return msgq_recv_args(e->c->rfd, &r);
	return msgq_recv(e->c->rfd, e->pl[i], e->c->size, NULL);
}

/*
 * msgq fast ping-pong: send buffer 0 of @out (@len bytes, priority 0) and
 * receive into buffer 0 of @in, in one call. *@sent says whether the
 * message went out.
 */
static ssize_t ep_sendrecv(struct ep *out, size_t len, struct ep *in,
			   int *sent)
{
	return msgq_sendrecv(out->c->sfd, out->pl[0], len, 0, in->c->rfd,
			     in->pl[0], in->c->size, NULL, sent);
}

/* Send payload buffer @i of @e, @len bytes, at priority @prio (0..31). */
static int ep_send(struct ep *e, int i, size_t len, unsigned int prio)
{
	struct chan *c = e->c;

	switch (c->m) {
	case M_MSGQ:
	case M_MSGQF:
		return msgq_ep_send(e, i, len, prio);
	case M_MQ:
		return mq_send((mqd_t)c->sfd, e->pl[i], len, prio);
	case M_SYSV:
		/* msgrcv(-32) takes the lowest type first: invert */
		*(long *)e->raw[i] = 32 - (long)prio;
		return msgsnd(c->sysv_id, e->raw[i], len, 0);
	case M_SOCK:
		return send(c->sfd, e->pl[i], len, 0) == (ssize_t)len ? 0 : -1;
	case M_PIPE: {
		uint32_t l = (uint32_t)len;
		struct iovec iov[2] = {
			{ &l, sizeof(l) }, { e->pl[i], len },
		};

		return writev(c->sfd, iov, 2) == (ssize_t)(len + sizeof(l)) ?
		       0 : -1;
	}
	default:
		errno = EINVAL;
		return -1;
	}
}

/* Receive into payload buffer @i of @e; returns the length or -1. */
static ssize_t ep_recv(struct ep *e, int i)
{
	struct chan *c = e->c;

	switch (c->m) {
	case M_MSGQ:
	case M_MSGQF:
		return msgq_ep_recv(e, i);
	case M_MQ:
		return mq_receive((mqd_t)c->rfd, e->pl[i], c->size, NULL);
	case M_SYSV:
		return msgrcv(c->sysv_id, e->raw[i], c->size, e->sysv_type, 0);
	case M_SOCK:
		return recv(c->rfd, e->pl[i], c->size, 0);
	case M_PIPE: {
		uint32_t l;
		ssize_t r = -1;

		if (c->multi_reader)
			pthread_mutex_lock(&sh->rlock);
		if (read_full(c->rfd, &l, sizeof(l)) == sizeof(l) &&
		    l <= c->size && read_full(c->rfd, e->pl[i], l) == l)
			r = l;
		else if (!errno)
			errno = EPIPE;
		if (c->multi_reader)
			pthread_mutex_unlock(&sh->rlock);
		return r;
	}
	default:
		errno = EINVAL;
		return -1;
	}
}

/* msgq batches: send @n buffers (all of them, looping on a short count). */
static int ep_send_batch(struct ep *e, unsigned int n, size_t len,
			 unsigned int prio0, unsigned int nprio)
{
	unsigned int i, done = 0;
	int r;

	for (i = 0; i < n; i++) {
		e->mm[i] = (struct msgq_mmsg){
			.buf = ptr_to_u64(e->pl[i]),
			.len = (__u32)len,
			.prio = nprio > 1 ? (prio0 + i) % nprio : 0,
		};
	}
	while (done < n) {
		r = msgq_send_batch(e->c->sfd, &e->mm[done], n - done, 0);
		if (r < 0)
			return -1;
		done += r;
	}
	return 0;
}

/* Receive up to @n; returns how many, or -1. */
static int ep_recv_batch(struct ep *e, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		e->mm[i] = (struct msgq_mmsg){
			.buf = ptr_to_u64(e->pl[i]),
			.len = (__u32)e->c->size,
		};
	return msgq_recv_batch(e->c->rfd, e->mm, n, 0);
}

/* ------------------------------------------------------------------ */
/* Children of the two-process figures */

struct hdr {
	uint32_t seq;
	uint32_t from;
};

/* Wait for the parent's go. */
static void child_wait_go(void)
{
	__atomic_fetch_add(&sh->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE))
		futex(&sh->go, FUTEX_WAIT, 0);
}

/* Producer: sends forever; the parent kills it. */
static void producer(struct chan *c, size_t size, bool batched,
		     unsigned int id)
{
	struct ep e;
	uint32_t seq = 0;
	unsigned int i;
	char what[96];

	ep_init(&e, c, batched ? BATCH : 1);
	child_wait_go();
	for (;;) {
		if (batched) {
			for (i = 0; i < BATCH; i++)
				*(struct hdr *)e.pl[i] = (struct hdr){ seq++, id };
			if (ep_send_batch(&e, BATCH, size, 0, 1))
				goto fail;
		} else {
			*(struct hdr *)e.pl[0] = (struct hdr){ seq++, id };
			if (ep_send(&e, 0, size, 0))
				goto fail;
		}
	}
fail:
	snprintf(what, sizeof(what), "%s: send of %zu bytes",
		 mech_name[c->m], size);
	child_fail(what, errno);
}

/*
 * Consumer: receives forever and publishes its count in slot @slot. With
 * @ordered (one producer) it checks that sequence numbers follow on.
 */
static void consumer(struct chan *c, size_t size, bool batched, int slot,
		     bool ordered)
{
	struct ep e;
	unsigned long n = 0;
	uint32_t next = 0;
	char what[96];
	int got, i;

	ep_init(&e, c, batched ? BATCH : 1);
	child_wait_go();
	for (;;) {
		if (batched) {
			got = ep_recv_batch(&e, BATCH);
			if (got < 0)
				goto fail;
			for (i = 0; i < got; i++) {
				if (e.mm[i].len != size)
					goto bad_len;
				if (ordered &&
				    ((struct hdr *)e.pl[i])->seq != next++)
					goto bad_seq;
			}
		} else {
			ssize_t r = ep_recv(&e, 0);

			if (r < 0)
				goto fail;
			if ((size_t)r != size)
				goto bad_len;
			if (ordered && ((struct hdr *)e.pl[0])->seq != next++)
				goto bad_seq;
			got = 1;
		}
		n += got;
		count_set(slot, n);
	}
fail:
	snprintf(what, sizeof(what), "%s: receive of %zu bytes",
		 mech_name[c->m], size);
	child_fail(what, errno);
bad_len:
	snprintf(what, sizeof(what), "%s: received a wrong length",
		 mech_name[c->m]);
	child_fail(what, 0);
bad_seq:
	snprintf(what, sizeof(what), "%s: messages out of order",
		 mech_name[c->m]);
	child_fail(what, 0);
}

/*
 * One exchange of ping-pong: send buffer 0 of @out, receive into buffer 0
 * of @in; msgq fast does both in one msgq_sendrecv(). @who names the side
 * in a failure. Returns the received length.
 */
static ssize_t pp_exchange(struct ep *out, struct ep *in, const char *who)
{
	char what[64];
	ssize_t r;
	int sent;

	if (out->c->m == M_MSGQF) {
		r = ep_sendrecv(out, PP_SIZE, in, &sent);
		if (r < 0) {
			snprintf(what, sizeof(what), "%s: sendrecv (%s)", who,
				 sent ? "sent, receive failed" : "not sent");
			child_fail(what, errno);
		}
		return r;
	}
	if (ep_send(out, 0, PP_SIZE, 0)) {
		snprintf(what, sizeof(what), "%s: send", who);
		child_fail(what, errno);
	}
	return ep_recv(in, 0);
}

/* Ping-pong: the pinger counts round trips, the ponger echoes. */
static void pinger(struct chan *out, struct chan *back, int slot)
{
	struct ep eo, eb;
	unsigned long n = 0;

	ep_init(&eo, out, 1);
	ep_init(&eb, back, 1);
	child_wait_go();
	for (;;) {
		*(struct hdr *)eo.pl[0] = (struct hdr){ (uint32_t)n, 0 };
		if (pp_exchange(&eo, &eb, "ping") != PP_SIZE)
			child_fail("ping: receive", errno);
		if (((struct hdr *)eb.pl[0])->seq != (uint32_t)n)
			child_fail("ping: wrong reply", 0);
		count_set(slot, ++n);
	}
}

/* The ponger receives the first request alone, then replies and receives. */
static void ponger(struct chan *in, struct chan *back)
{
	struct ep ei, eb;
	ssize_t r;

	ep_init(&ei, in, 1);
	ep_init(&eb, back, 1);
	child_wait_go();
	r = ep_recv(&ei, 0);
	for (;;) {
		if (r != PP_SIZE)
			child_fail("pong: receive", errno);
		memcpy(eb.pl[0], ei.pl[0], sizeof(struct hdr));
		r = pp_exchange(&eb, &ei, "pong");
	}
}

/*
 * The futex floor: ping-pong with nothing but the wakeups. The pinger
 * makes sh->ball odd and wakes the ponger, which makes it even and wakes
 * the pinger; each waits in FUTEX_WAIT while the word is what it left.
 * Per round trip the same two sleeps and wakeups (two context switches on
 * one vCPU) and four system calls as a blocking send + receive on each
 * side, and no message.
 */
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

static void futex_pinger(int slot)
{
	unsigned long n = 0;
	unsigned int v = 0;

	child_wait_go();
	for (;;) {
		futex_pass(++v, "ping");
		v = futex_catch(v, "ping");
		count_set(slot, ++n);
	}
}

static void futex_ponger(void)
{
	unsigned int v = 0;

	child_wait_go();
	for (;;) {
		v = futex_catch(v, "pong");
		futex_pass(++v, "pong");
	}
}

/* ------------------------------------------------------------------ */
/* Running one two-process figure */

static pid_t kids[MAX_CHILDREN];
static int nkids;

static void reset_shm(bool multi_reader)
{
	pthread_mutexattr_t a;

	memset(sh, 0, sizeof(*sh));
	if (multi_reader) {
		pthread_mutexattr_init(&a);
		pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
		pthread_mutex_init(&sh->rlock, &a);
		pthread_mutexattr_destroy(&a);
	}
	nkids = 0;
}

static long ncpu;

/* Fork a child running @fn, pinned to vCPU @cpu (modulo the count). */
static void spawn(void (*fn)(void *), void *arg, int cpu)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		struct sched_param sp = { 0 };

		/*
		 * No wakeup preemption: a woken receiver waits for the
		 * sender to block or use up its slice, instead of a
		 * context switch per message whenever the scheduler's
		 * vruntime arithmetic says so (which, emulated, flips
		 * between runs). Same for every mechanism.
		 */
		if (opt.batch_sched)
			sched_setscheduler(0, SCHED_BATCH, &sp);
		if (opt.pin && ncpu > 1) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(cpu % ncpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
		fn(arg);
		_exit(0);
	}
	kids[nkids++] = pid;
}

/*
 * Release the children, measure the progress of counter slots 0..nslots-1
 * over the window, kill them. Returns progress per second, or NAN (with
 * sh->err set) when a child failed.
 */
/* --diag: context switches and CPU time of the children */
struct pstat {
	long vcsw, ivcsw;
	long ticks;	/* utime + stime */
};

static void read_pstat(pid_t pid, struct pstat *ps)
{
	char path[64], buf[4096], *p;
	ssize_t n;
	int fd, i;

	memset(ps, 0, sizeof(*ps));
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = 0;
		p = strstr(buf, "\nvoluntary_ctxt_switches:");
		if (p)
			ps->vcsw = strtol(p + 25, NULL, 10);
		p = strstr(buf, "\nnonvoluntary_ctxt_switches:");
		if (p)
			ps->ivcsw = strtol(p + 28, NULL, 10);
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = 0;
		p = strrchr(buf, ')');
		/* fields after ")": state is 3; utime 14, stime 15 */
		for (i = 3; p && i < 14; i++)
			p = strchr(p + 1, ' ');
		if (p)
			ps->ticks = strtol(p + 1, &p, 10);
		if (p)
			ps->ticks += strtol(p + 1, NULL, 10);
	}
}

static const char *diag_fig;
static enum mech diag_mech;

static double run_window(int nslots)
{
	struct pstat pa[MAX_CHILDREN], pb[MAX_CHILDREN];
	double t0, ta, tb, dl = now_s() + 30;
	unsigned long c0, c1;
	int i;

	while (__atomic_load_n(&sh->ready, __ATOMIC_SEQ_CST) < nkids &&
	       !sh->err && now_s() < dl)
		sleep_s(0.0005);
	__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
	futex(&sh->go, FUTEX_WAKE, INT32_MAX);
	t0 = now_s();
	sleep_s(opt.warm_ms / 1000.0);
	if (opt.diag)
		for (i = 0; i < nkids; i++)
			read_pstat(kids[i], &pa[i]);
	c0 = count_sum(nslots);
	ta = now_s();
	sleep_s(opt.window_ms / 1000.0);
	c1 = count_sum(nslots);
	tb = now_s();
	/* A short window may see nothing of a slow case (64 KiB batches) */
	while (c1 == c0 && !sh->err && tb - ta < 10) {
		sleep_s(0.01);
		c1 = count_sum(nslots);
		tb = now_s();
	}
	(void)t0;
	if (opt.diag && c1 > c0) {
		long v = 0, iv = 0, tk = 0;

		for (i = 0; i < nkids; i++) {
			read_pstat(kids[i], &pb[i]);
			v += pb[i].vcsw - pa[i].vcsw;
			iv += pb[i].ivcsw - pa[i].ivcsw;
			tk += pb[i].ticks - pa[i].ticks;
		}
		printf("diag %-12s %-14s %8.0f/s  per message: sleeps %.3f, "
		       "preemptions %.3f, cpu %.2f us; cpus busy %.2f\n",
		       diag_fig, mech_name[diag_mech], (c1 - c0) / (tb - ta),
		       (double)v / (c1 - c0), (double)iv / (c1 - c0),
		       tk * 1e6 / sysconf(_SC_CLK_TCK) / (c1 - c0),
		       tk / (double)sysconf(_SC_CLK_TCK) / (tb - ta));
	}
	for (i = 0; i < nkids; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < nkids; i++)
		waitpid(kids[i], NULL, 0);
	if (sh->err)
		return NAN;
	if (c1 == c0) {
		snprintf(sh->what, sizeof(sh->what),
			 "no progress in %.1f s", tb - ta);
		sh->err = 1;
		return NAN;
	}
	return (double)(c1 - c0) / (tb - ta);
}

/* Closures for spawn() */
struct job {
	struct chan *a, *b;
	size_t size;
	bool batched, ordered;
	int slot;
	unsigned int id;
};

static void job_producer(void *p)
{
	struct job *j = p;

	producer(j->a, j->size, j->batched, j->id);
}

static void job_consumer(void *p)
{
	struct job *j = p;

	consumer(j->a, j->size, j->batched, j->slot, j->ordered);
}

static void job_pinger(void *p)
{
	struct job *j = p;

	pinger(j->a, j->b, 0);
}

static void job_ponger(void *p)
{
	struct job *j = p;

	ponger(j->a, j->b);
}

static void job_futex_pinger(void *p)
{
	(void)p;
	futex_pinger(0);
}

static void job_futex_ponger(void *p)
{
	(void)p;
	futex_ponger();
}

static bool failed;

static void report_failure(const char *fig, enum mech m)
{
	fprintf(stderr, "msgq-bench: %s / %s FAILED: %s%s%s\n", fig,
		mech_name[m], sh->what, sh->err_errno ? ": " : "",
		sh->err_errno ? strerror(sh->err_errno) : "");
	failed = true;
}

static double measure_pingpong(enum mech m, bool one_cpu)
{
	struct chan ab, ba;
	struct job j;
	double rate;

	reset_shm(false);
	if (m == M_FUTEX) {
		/* the same pinning and order, no channel */
		spawn(job_futex_pinger, NULL, 0);
		spawn(job_futex_ponger, NULL, one_cpu ? 0 : 1);
		rate = run_window(1);
		return isnan(rate) ? NAN : 1e6 / rate;
	}
	if (chan_open(&ab, m, PP_SIZE, QDEPTH)) {
		snprintf(sh->what, sizeof(sh->what), "channel: %s",
			 strerror(errno));
		sh->err = 1;
		return NAN;
	}
	if (chan_open(&ba, m, PP_SIZE, QDEPTH)) {
		snprintf(sh->what, sizeof(sh->what), "channel: %s",
			 strerror(errno));
		sh->err = 1;
		chan_close(&ab);
		return NAN;
	}
	j = (struct job){ .a = &ab, .b = &ba };
	spawn(job_pinger, &j, 0);
	j = (struct job){ .a = &ab, .b = &ba };
	spawn(job_ponger, &j, one_cpu ? 0 : 1);
	rate = run_window(1);
	chan_close(&ab);
	chan_close(&ba);
	return isnan(rate) ? NAN : 1e6 / rate;	/* us per round trip */
}

static double measure_tput(enum mech m, size_t size, bool one_cpu)
{
	struct chan c;
	struct job j;
	double rate;

	reset_shm(false);
	if (chan_open(&c, m, size, QDEPTH)) {
		snprintf(sh->what, sizeof(sh->what), "channel: %s",
			 strerror(errno));
		sh->err = 1;
		return NAN;
	}
	j = (struct job){ .a = &c, .size = size, .batched = m == M_MSGQF,
			  .ordered = true, .slot = 0 };
	spawn(job_consumer, &j, one_cpu ? 0 : 1);
	spawn(job_producer, &j, 0);
	rate = run_window(1);
	chan_close(&c);
	return rate;
}

static double measure_contend(enum mech m)
{
	struct job jp[CONT_N], jc[CONT_N];
	struct chan c;
	double rate;
	int i;

	reset_shm(m == M_PIPE);
	if (chan_open(&c, m, CONT_SIZE, QDEPTH)) {
		snprintf(sh->what, sizeof(sh->what), "channel: %s",
			 strerror(errno));
		sh->err = 1;
		return NAN;
	}
	c.multi_reader = m == M_PIPE;
	for (i = 0; i < CONT_N; i++) {
		jc[i] = (struct job){ .a = &c, .size = CONT_SIZE,
				      .batched = m == M_MSGQF, .slot = i };
		spawn(job_consumer, &jc[i], i);
	}
	for (i = 0; i < CONT_N; i++) {
		jp[i] = (struct job){ .a = &c, .size = CONT_SIZE,
				      .batched = m == M_MSGQF, .id = i };
		spawn(job_producer, &jp[i], i);
	}
	rate = run_window(CONT_N);
	chan_close(&c);
	return rate;
}

/* ------------------------------------------------------------------ */
/* Scale: one process, queues kept full across rounds */

struct scale_q {
	struct chan c;
	struct ep e;
	unsigned int depth, nprio;
	unsigned int next_prio;
	bool opened, ok;
};

/* [mechanism: msgq (shared by both msgq modes), mq, sysv][depth][prio] */
static struct scale_q scaleq[3][3][2];

static int scale_slot(enum mech m)
{
	return m == M_MQ ? 1 : m == M_SYSV ? 2 : 0;
}

static int scale_fill(struct scale_q *q, enum mech m, unsigned int depth,
		      unsigned int nprio)
{
	unsigned int i;

	q->depth = depth;
	q->nprio = nprio;
	if (chan_open(&q->c, m, SCALE_SIZE, depth + 2 * BATCH))
		return -1;
	q->opened = true;
	ep_init(&q->e, &q->c, BATCH);
	q->e.sysv_type = nprio > 1 ? -32 : 0;
	for (i = 0; i < depth; i++) {
		*(struct hdr *)q->e.pl[0] = (struct hdr){ i, 0 };
		if (ep_send(&q->e, 0, SCALE_SIZE, nprio > 1 ? i % nprio : 0))
			return -1;
	}
	q->ok = true;
	return 0;
}

/* ns per send+receive pair, over about --scale-ms */
static double measure_scale(enum mech m, unsigned int di, unsigned int pi)
{
	struct scale_q *q = &scaleq[scale_slot(m)][di][pi];
	double t0 = now_s(), t, dur = opt.scale_ms / 1000.0;
	unsigned long ops = 0;
	unsigned int k, chunk = 1;
	ssize_t r;
	int got, warm;

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
			if (m == M_MSGQF) {
				if (ep_send_batch(&q->e, BATCH, SCALE_SIZE,
						  q->next_prio, q->nprio))
					goto fail;
				q->next_prio += BATCH;
				got = 0;
				while (got < BATCH) {
					r = ep_recv_batch(&q->e, BATCH - got);
					if (r <= 0)
						goto fail;
					got += r;
				}
				ops += BATCH;
			} else {
				unsigned int p = q->nprio > 1 ?
					q->next_prio++ % q->nprio : 0;

				if (ep_send(&q->e, 0, SCALE_SIZE, p))
					goto fail;
				r = ep_recv(&q->e, 0);
				if (r != SCALE_SIZE)
					goto fail;
				ops++;
			}
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

/* ------------------------------------------------------------------ */
/* --smoke: the libmsgq calls the figures use, against their contract */

static int lib_checks, lib_bad;

/* @got must be @want, and errno @err when @want is -1. */
static void expect(const char *what, long got, long want, int err)
{
	int e = errno;

	lib_checks++;
	if (got == want && (want != -1 || e == err))
		return;
	fprintf(stderr, "msgq-bench: smoke: %s: got %ld%s%s, want %ld%s%s\n",
		what, got, got == -1 ? " " : "", got == -1 ? strerror(e) : "",
		want, want == -1 ? " " : "", want == -1 ? strerror(err) : "");
	lib_bad++;
}

/* A 4 x 16-byte mailbox: *@nb gets a non-blocking receive handle on it. */
static int smoke_mailbox(int *nb)
{
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "msgq-bench-smoke-%d-%u", (int)getpid(),
		 name_seq++);
	fd = msgq_create(name, MSGQ_O_RDWR | MSGQ_O_EXCL | MSGQ_O_CLOEXEC,
			 0600, 4, 16);
	if (fd < 0)
		die("smoke: msgq_create: %s", strerror(errno));
	*nb = msgq_open(name, MSGQ_O_RECV | MSGQ_O_NONBLOCK | MSGQ_O_CLOEXEC);
	if (*nb < 0)
		die("smoke: msgq_open: %s", strerror(errno));
	msgq_unlink(name);
	return fd;
}

/*
 * msgq_send() at priority 0 is write(2), msgq_recv() without prio read(2).
 * Every receive that expects a message is on the non-blocking handle: a
 * missing message fails a check instead of hanging the run.
 */
static void smoke_fast_path(int a, int an)
{
	char buf[32] = "0123456789abcdefghij";
	struct msgq_send s = { .buf = ptr_to_u64(buf), .len = 5 };
	struct msgq_recv r = { .buf = ptr_to_u64(buf), .cap = 16 };
	unsigned int prio = 99;

	expect("send of 0 bytes (write)", msgq_send(a, buf, 0, 0), 0, 0);
	expect("receive of 0 bytes (read)", msgq_recv(an, buf, 16, NULL), 0,
	       0);
	expect("receive, empty, non-blocking (read)",
	       msgq_recv(an, buf, 16, NULL), -1, EAGAIN);
	expect("send of 17 bytes, 16 at most (write)",
	       msgq_send(a, buf, 17, 0), -1, EMSGSIZE);
	expect("send of 8 bytes (write)", msgq_send(a, buf, 8, 0), 0, 0);
	expect("receive into 4 bytes (read)", msgq_recv(an, buf, 4, NULL), -1,
	       EMSGSIZE);
	expect("receive after EMSGSIZE (ioctl): the message stayed",
	       msgq_recv(an, buf, 16, &prio), 8, 0);
	expect("its priority", prio, 0, 0);
	expect("send at priority 5 (ioctl)", msgq_send(a, buf, 3, 5), 0, 0);
	expect("receive of it (read)", msgq_recv(an, buf, 16, NULL), 3, 0);
	expect("msgq_send_args", msgq_send_args(a, &s), 0, 0);
	expect("msgq_recv_args", msgq_recv_args(an, &r), 5, 0);
}

/* msgq_sendrecv() and msgq_send_recv_args(): the two halves and *sent. */
static void smoke_sendrecv(int a, int an, int b, int bn)
{
	struct msgq_send_recv sr = { .send_fd = b };
	char in[32];
	unsigned int prio = 99;
	int sent = -1;

	expect("sendrecv on one handle",
	       msgq_sendrecv(a, "ping", 4, 3, a, in, 16, &prio, &sent), 4, 0);
	expect("its priority", prio, 3, 0);
	expect("its payload", memcmp(in, "ping", 4), 0, 0);
	expect("sent", sent, 1, 0);
	expect("sendrecv, the receive would block",
	       msgq_sendrecv(b, "req", 3, 0, an, in, 16, NULL, &sent), -1,
	       EAGAIN);
	expect("sent", sent, 1, 0);
	expect("send of 4 bytes", msgq_send(a, "stay", 4, 0), 0, 0);
	expect("sendrecv, the send is too long",
	       msgq_sendrecv(b, in, 17, 0, a, in, 16, NULL, &sent), -1,
	       EMSGSIZE);
	expect("not sent", sent, 0, 0);
	expect("sendrecv, sending on a receive-only handle",
	       msgq_sendrecv(an, in, 1, 0, a, in, 16, NULL, &sent), -1, EBADF);
	expect("not sent", sent, 0, 0);
	sr.send.buf = ptr_to_u64("never");
	sr.send.len = 5;
	sr.recv.buf = ptr_to_u64(in);
	sr.recv.cap = 16;
	sr.flags = MSGQ_SR_SENT;
	expect("send_recv_args with MSGQ_SR_SENT: the message left above",
	       msgq_send_recv_args(an, &sr), 0, 0);
	expect("its length", sr.recv.len, 4, 0);
	expect("the one request on b", msgq_recv(bn, in, 16, NULL), 3, 0);
	expect("and no other", msgq_recv(bn, in, 16, NULL), -1, EAGAIN);
	expect("sendrecv, the reply is too long for the buffer",
	       msgq_sendrecv(a, "a reply", 7, 0, a, in, 4, NULL, &sent), -1,
	       EMSGSIZE);
	expect("sent", sent, 1, 0);
	expect("the reply stayed", msgq_recv(an, in, 16, NULL), 7, 0);
}

static void smoke_lib(void)
{
	int a, an, b, bn;

	alarm(30);	/* and should anything still block: SIGALRM kills us */
	a = smoke_mailbox(&an);
	b = smoke_mailbox(&bn);
	smoke_fast_path(a, an);
	smoke_sendrecv(a, an, b, bn);
	alarm(0);
	close(a);
	close(an);
	close(b);
	close(bn);
	printf("msgq-bench: smoke: libmsgq: %d of %d checks passed\n",
	       lib_checks - lib_bad, lib_checks);
	if (lib_bad)
		failed = true;
}

/* ------------------------------------------------------------------ */
/* Setup */

static void add_fig(const char *id, const char *title, enum kind k,
		    const char *unit, bool hb, size_t size, unsigned int depth,
		    unsigned int nprio, const enum mech *ms, int nm)
{
	struct figure *f = &figs[nfigs++];
	int i, r;

	snprintf(f->id, sizeof(f->id), "%s", id);
	snprintf(f->title, sizeof(f->title), "%s", title);
	f->kind = k;
	f->unit = unit;
	f->higher_better = hb;
	f->size = size;
	f->depth = depth;
	f->nprio = nprio;
	for (i = 0; i < nm; i++)
		f->has[ms[i]] = true;
	for (i = 0; i < NMECH; i++)
		for (r = 0; r < MAX_ROUNDS; r++)
			f->v[i][r] = NAN;
}

static void setup_figures(void)
{
	static const enum mech all[] = { M_MSGQ, M_MSGQF, M_MQ, M_SYSV,
					 M_SOCK, M_PIPE, M_FUTEX };
	static const enum mech deep[] = { M_MSGQ, M_MSGQF, M_MQ, M_SYSV };
	static const size_t sizes[] = { 16, 256, 4096, 65536 };
	char id[32], title[48];
	unsigned int d, p, i, c;

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
		add_fig(id, title, K_PINGPONG, "us", false, PP_SIZE, 0, 0,
			all, 7);	/* and the futex floor */
		figs[nfigs - 1].one_cpu = !c;
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
			add_fig(id, title, K_TPUT, "msg/s", true, sizes[i], 0,
				0, all, 6);
			figs[nfigs - 1].one_cpu = !c;
		}
	add_fig("contend-4x4", "4x4 contention 64 B [2 vCPUs]", K_CONTEND,
		"msg/s",
		true, CONT_SIZE, 0, 0, all, 6);
	for (p = 0; p < 2; p++)
		for (d = 0; d < 3; d++) {
			snprintf(id, sizeof(id), "scale-q%u-p%u",
				 scale_depths[d], p ? 32 : 1);
			snprintf(title, sizeof(title), "q=%u %s",
				 scale_depths[d], p ? "32 prio" : "1 prio");
			add_fig(id, title, K_SCALE, "ns", false, SCALE_SIZE,
				d, p, deep, 4);
		}
}

static void tune_limits(void)
{
	static const struct { const char *path; long want; } t[] = {
		{ "/proc/sys/fs/mqueue/msg_max", 65536 },
		{ "/proc/sys/fs/mqueue/msgsize_max", 65536 },
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
/* Statistics and output */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat3 {
	double med, min, max;
	int n;
};

static struct stat3 stats(const double *v, int rounds)
{
	double s[MAX_ROUNDS];
	struct stat3 r = { NAN, NAN, NAN, 0 };
	int i;

	for (i = 0; i < rounds; i++)
		if (!isnan(v[i]))
			s[r.n++] = v[i];
	if (!r.n)
		return r;
	qsort(s, r.n, sizeof(s[0]), cmp_double);
	r.min = s[0];
	r.max = s[r.n - 1];
	r.med = r.n % 2 ? s[r.n / 2] : (s[r.n / 2 - 1] + s[r.n / 2]) / 2;
	return r;
}

/*
 * value / POSIX mq value: the median over the rounds of the ratio within
 * each round, so that a burst of load on the host, which lands on some
 * rounds and not others, weighs on both sides of a ratio alike.
 */
static double ratio(const struct figure *f, enum mech m)
{
	double r[MAX_ROUNDS];
	int i;

	if (!f->has[M_MQ])
		return NAN;
	for (i = 0; i < opt.rounds; i++)
		r[i] = f->v[M_MQ][i] > 0 ? f->v[m][i] / f->v[M_MQ][i] : NAN;
	return stats(r, opt.rounds).med;
}

static void fmt_num(char *buf, size_t n, double v)
{
	if (isnan(v))
		snprintf(buf, n, "-");
	else if (v >= 1e6)
		snprintf(buf, n, "%.2fM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, n, "%.1fk", v / 1e3);
	else if (v >= 100)
		snprintf(buf, n, "%.0f", v);
	else if (v >= 10)
		snprintf(buf, n, "%.1f", v);
	else
		snprintf(buf, n, "%.2f", v);
}

/* --mechs: a comma-separated list of mechanism names */
static bool mech_selected(enum mech m)
{
	char buf[256], *tok, *save;

	if (!opt.mechs)
		return true;
	snprintf(buf, sizeof(buf), "%s", opt.mechs);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (!strcmp(tok, mech_name[m]))
			return true;
	return false;
}

static struct utsname uts;

static void print_table(FILE *o)
{
	int fi, m;
	char a[32], b[32], c[32], cell[64];

	fprintf(o, "msgq-bench: kernel %s, %ld vCPUs, %d round%s of %d ms "
		"(+%d ms warm-up), scale %d ms%s%s\n", uts.release, ncpu,
		opt.rounds, opt.rounds == 1 ? "" : "s", opt.window_ms,
		opt.warm_ms, opt.scale_ms, *opt.label ? ", " : "", opt.label);
	fprintf(o, "cells: median (x POSIX mq: median of the per-round "
		"ratios); latency and cost lower is better, rates higher\n");
	fprintf(o, "msgq: one message per call (%s); msgq fast: batches of "
		"%d, ping-pong one msgq_sendrecv per round trip\n\n",
		opt.plain_ioctl ? "MSGQ_IOC_SEND/RECV" :
		"msgq_send/msgq_recv = write/read", BATCH);
	fprintf(o, "| %-30s |", "figure");
	for (m = 0; m < NCOL; m++)
		fprintf(o, " %-17s |", mech_short[m]);
	fprintf(o, "\n|%s|", "--------------------------------");
	for (m = 0; m < NCOL; m++)
		fprintf(o, "%s|", "-------------------");
	fputc('\n', o);
	for (fi = 0; fi < nfigs; fi++) {
		struct figure *f = &figs[fi];
		char t[64];

		if (f->skipped)
			continue;
		snprintf(t, sizeof(t), "%s (%s)", f->title, f->unit);
		fprintf(o, "| %-30s |", t);
		for (m = 0; m < NCOL; m++) {
			struct stat3 s = stats(f->v[m], opt.rounds);
			double r = ratio(f, (enum mech)m);

			if (!f->has[m])
				snprintf(cell, sizeof(cell), "n/a");
			else if (!mech_selected((enum mech)m))
				snprintf(cell, sizeof(cell), "-");
			else if (isnan(s.med))
				snprintf(cell, sizeof(cell), "FAILED");
			else {
				fmt_num(a, sizeof(a), s.med);
				if (isnan(r))
					snprintf(cell, sizeof(cell), "%s", a);
				else
					snprintf(cell, sizeof(cell),
						 "%s (%.2fx)", a, r);
			}
			fprintf(o, " %-17s |", cell);
		}
		fputc('\n', o);
	}
	/* The futex floor of the ping-pong figures, same cells */
	{
		const char *sep = "\nfloor: bare futex wake/wait ping-pong "
				  "(no message; pinned, SCHED_BATCH, same "
				  "rounds):";

		for (fi = 0; fi < nfigs; fi++) {
			struct figure *f = &figs[fi];
			struct stat3 s = stats(f->v[M_FUTEX], opt.rounds);
			double r = ratio(f, M_FUTEX);

			if (f->skipped || !f->has[M_FUTEX] ||
			    !mech_selected(M_FUTEX))
				continue;
			fprintf(o, "%s %s ", sep,
				f->one_cpu ? "1 vCPU" : "2 vCPUs");
			sep = ",";
			if (isnan(s.med)) {
				fprintf(o, "FAILED");
				continue;
			}
			fmt_num(a, sizeof(a), s.med);
			fprintf(o, "%s %s", a, f->unit);
			if (!isnan(r))
				fprintf(o, " (%.2fx POSIX mq)", r);
		}
		if (sep[0] == ',')
			fputc('\n', o);
	}
	/* Flatness: the deepest and 32-priority costs against the lightest */
	{
		struct figure *q[2][3] = { { NULL } };

		for (fi = 0; fi < nfigs; fi++)
			if (figs[fi].kind == K_SCALE && !figs[fi].skipped)
				q[figs[fi].nprio ? 1 : 0][figs[fi].depth] = &figs[fi];
		if (q[0][0] && q[0][2] && q[1][0] && q[1][2]) {
			fprintf(o, "\nflatness (cost / cost at q=%u, 1 prio): ",
				scale_depths[0]);
			for (m = 0; m < NMECH; m++) {
				double base = stats(q[0][0]->v[m], opt.rounds).med;

				if (!q[0][0]->has[m] || isnan(base))
					continue;
				fprintf(o, "%s q=%u %.2f, 32 prio %.2f/%.2f; ",
					mech_short[m], scale_depths[2],
					stats(q[0][2]->v[m], opt.rounds).med / base,
					stats(q[1][0]->v[m], opt.rounds).med / base,
					stats(q[1][2]->v[m], opt.rounds).med / base);
			}
			fputc('\n', o);
		}
	}
	fprintf(o, "\nspread: min..max over rounds, and MB/s for throughput\n");
	for (fi = 0; fi < nfigs; fi++) {
		struct figure *f = &figs[fi];

		if (f->skipped)
			continue;
		fprintf(o, "  %-26s", f->title);
		for (m = 0; m < NMECH; m++) {
			struct stat3 s = stats(f->v[m], opt.rounds);

			if (!f->has[m] || isnan(s.med))
				continue;
			fmt_num(a, sizeof(a), s.min);
			fmt_num(b, sizeof(b), s.max);
			if (f->kind == K_TPUT) {
				fmt_num(c, sizeof(c), s.med * f->size / 1e6);
				fprintf(o, "  %s %s..%s %sMB/s;", mech_short[m],
					a, b, c);
			} else {
				fprintf(o, "  %s %s..%s;", mech_short[m], a, b);
			}
		}
		fputc('\n', o);
	}
}

/* CSV fields carry no commas: titles are written without any. */
static void write_csv(FILE *o)
{
	int fi, m, r;

	fprintf(o, "figure,title,kind,size,depth,priorities,unit,"
		"higher_is_better,mechanism,median,min,max,rounds,"
		"ratio_to_posix_mq,mb_per_s,samples\n");
	for (fi = 0; fi < nfigs; fi++) {
		struct figure *f = &figs[fi];

		for (m = 0; m < NMECH; m++) {
			struct stat3 s = stats(f->v[m], opt.rounds);
			double rt = ratio(f, (enum mech)m);

			if (!f->has[m] || isnan(s.med))
				continue;
			fprintf(o, "%s,%s,%s,%zu,%u,%u,%s,%d,%s,%.6g,%.6g,%.6g,"
				"%d,", f->id, f->title,
				f->kind == K_PINGPONG ? "latency" :
				f->kind == K_SCALE ? "cost" : "throughput",
				f->size, f->kind == K_SCALE ?
				scale_depths[f->depth] : 0,
				f->kind == K_SCALE ? (f->nprio ? 32 : 1) : 0,
				f->unit, f->higher_better, mech_name[m], s.med,
				s.min, s.max, s.n);
			if (!isnan(rt))
				fprintf(o, "%.4f", rt);
			fputc(',', o);
			if (f->kind == K_TPUT || f->kind == K_CONTEND)
				fprintf(o, "%.4g", s.med * f->size / 1e6);
			fputc(',', o);
			for (r = 0; r < opt.rounds; r++)
				if (!isnan(f->v[m][r]))
					fprintf(o, "%s%.6g", r ? " " : "",
						f->v[m][r]);
			fputc('\n', o);
		}
	}
}

static void json_num(FILE *o, double v)
{
	if (isnan(v))
		fprintf(o, "null");
	else
		fprintf(o, "%.6g", v);
}

static void write_json(FILE *o)
{
	int fi, m, r, first = 1;

	fprintf(o, "{\"kernel\": \"%s\", \"vcpus\": %ld, \"rounds\": %d, "
		"\"window_ms\": %d, \"warm_ms\": %d, \"scale_ms\": %d, "
		"\"queue_depth\": %d, \"batch\": %d, \"smoke\": %s, "
		"\"plain\": \"%s\", \"label\": \"%s\",\n \"results\": [\n",
		uts.release, ncpu, opt.rounds, opt.window_ms, opt.warm_ms,
		opt.scale_ms, QDEPTH, BATCH, opt.smoke ? "true" : "false",
		opt.plain_ioctl ? "ioctl" : "read/write", opt.label);
	for (fi = 0; fi < nfigs; fi++) {
		struct figure *f = &figs[fi];

		for (m = 0; m < NMECH; m++) {
			struct stat3 s = stats(f->v[m], opt.rounds);

			if (!f->has[m] || isnan(s.med))
				continue;
			fprintf(o, "%s  {\"figure\": \"%s\", \"title\": \"%s\", "
				"\"unit\": \"%s\", \"higher_is_better\": %s, "
				"\"size\": %zu, \"mechanism\": \"%s\", "
				"\"median\": ", first ? "" : ",\n", f->id,
				f->title, f->unit,
				f->higher_better ? "true" : "false", f->size,
				mech_name[m]);
			first = 0;
			json_num(o, s.med);
			fprintf(o, ", \"min\": ");
			json_num(o, s.min);
			fprintf(o, ", \"max\": ");
			json_num(o, s.max);
			fprintf(o, ", \"ratio_to_posix_mq\": ");
			json_num(o, ratio(f, (enum mech)m));
			if (f->kind == K_SCALE)
				fprintf(o, ", \"depth\": %u, \"priorities\": %u",
					scale_depths[f->depth],
					f->nprio ? 32 : 1);
			if (f->kind == K_TPUT || f->kind == K_CONTEND) {
				fprintf(o, ", \"mb_per_s\": ");
				json_num(o, s.med * f->size / 1e6);
			}
			fprintf(o, ", \"samples\": [");
			for (r = 0; r < opt.rounds; r++) {
				fprintf(o, "%s", r ? ", " : "");
				json_num(o, f->v[m][r]);
			}
			fprintf(o, "]}");
		}
	}
	fprintf(o, "\n ]}\n");
}

static void dump_file(const char *path, const char *tag)
{
	char line[4096];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	printf("MSGQ-BENCH-%s-BEGIN\n", tag);
	while (fgets(line, sizeof(line), f))
		fputs(line, stdout);
	printf("MSGQ-BENCH-%s-END\n", tag);
	fclose(f);
	fflush(stdout);
}

/* ------------------------------------------------------------------ */

/* --only: a comma-separated list of substrings of figure ids */
static bool selected(const char *id)
{
	char buf[256], *tok, *save;

	if (!opt.only)
		return true;
	snprintf(buf, sizeof(buf), "%s", opt.only);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (strstr(id, tok))
			return true;
	return false;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: msgq-bench [--smoke] [--rounds N] [--window MS] "
		"[--warm MS] [--scale-ms MS]\n"
		"                  [--out DIR] [--print-data] [--label TEXT] "
		"[--plain ioctl|rw]\n"
		"                  [--only SUBSTRING,...]\n"
		"                  [--mechs NAME,...] [--no-tune] [--no-pin] "
		"[--no-sched-batch] [--diag]\n");
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--smoke")) {
			opt.smoke = true;
			opt.rounds = 1;
			opt.window_ms = 15;
			opt.warm_ms = 5;
			opt.scale_ms = 5;
			scale_depths[1] = 100;
			scale_depths[2] = 1000;
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
		} else if (!strcmp(a, "--mechs")) {
			opt.mechs = v, i++;
		} else if (!strcmp(a, "--only")) {
			opt.only = v, i++;
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

int main(int argc, char **argv)
{
	double t_start = now_s(), v;
	char path[512];
	int round, fi, k;
	FILE *f;

	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	uname(&uts);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (opt.tune && geteuid() == 0)
		tune_limits();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	if (access(MSGQ_DEVICE_PATH, F_OK))
		die("%s absent: load msgq.ko first", MSGQ_DEVICE_PATH);
	setup_figures();

	printf("msgq-bench: %s, kernel %s, %ld vCPUs, %d rounds\n",
	       opt.smoke ? "smoke run" : "full run", uts.release, ncpu,
	       opt.rounds);
	if (opt.smoke)
		smoke_lib();

	/* The deep queues, filled once and kept at their depth. */
	{
		static const enum mech sm[3] = { M_MSGQ, M_MQ, M_SYSV };
		double t = now_s();
		int s, d, p;

		for (s = 0; s < 3; s++)
			for (d = 0; d < 3; d++)
				for (p = 0; p < 2; p++) {
					if (opt.only && !strstr(opt.only, "scale"))
						continue;	/* no scale figure */
					if (scale_fill(&scaleq[s][d][p], sm[s],
						       scale_depths[d],
						       p ? 32 : 1)) {
						fprintf(stderr, "msgq-bench: "
							"filling %s to %u: %s\n",
							mech_name[sm[s]],
							scale_depths[d],
							strerror(errno));
						failed = true;
					}
				}
		printf("msgq-bench: deep queues filled in %.1f s\n",
		       now_s() - t);
	}

	for (round = 0; round < opt.rounds; round++) {
		double tr = now_s();
		int pass, fj;

		/*
		 * The one-process scale figures first, after a pause: the
		 * teardown of the previous round's killed children (deferred
		 * frees, RCU) must not land in them.
		 */
		sleep_s(opt.smoke ? 0.01 : 0.1);
		for (fj = 0; fj < 2 * nfigs; fj++) {
			struct figure *f;

			/* pass 0: the scale figures, from a different one
			 * each round; pass 1: the rest */
			pass = fj / nfigs;
			fi = (fj + (pass ? 0 : round)) % nfigs;
			f = &figs[fi];
			if ((f->kind == K_SCALE) != (pass == 0))
				continue;

			if (!selected(f->id)) {
				f->skipped = true;
				continue;
			}
			/* a different mechanism goes first in each round */
			for (k = 0; k < NMECH; k++) {
				enum mech m = (enum mech)((k + round + fi) % NMECH);

				if (!f->has[m] || !mech_selected(m))
					continue;
				diag_fig = f->id;
				diag_mech = m;
				switch (f->kind) {
				case K_PINGPONG:
					v = measure_pingpong(m, f->one_cpu);
					break;
				case K_TPUT:
					v = measure_tput(m, f->size, f->one_cpu);
					break;
				case K_CONTEND:
					v = measure_contend(m);
					break;
				default:
					v = measure_scale(m, f->depth, f->nprio);
					break;
				}
				if (isnan(v))
					report_failure(f->id, m);
				f->v[m][round] = v;
			}
		}
		printf("msgq-bench: round %d/%d done in %.1f s\n", round + 1,
		       opt.rounds, now_s() - tr);
	}

	printf("\n");
	print_table(stdout);
	printf("\nmsgq-bench: %s in %.1f s\n", failed ? "FAILED" : "done",
	       now_s() - t_start);

	mkdir(opt.out, 0755);
	snprintf(path, sizeof(path), "%s/results.csv", opt.out);
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	write_csv(f);
	fclose(f);
	if (opt.print_data)
		dump_file(path, "CSV");
	snprintf(path, sizeof(path), "%s/results.json", opt.out);
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	write_json(f);
	fclose(f);
	if (opt.print_data)
		dump_file(path, "JSON");
	snprintf(path, sizeof(path), "%s/results.txt", opt.out);
	f = fopen(path, "w");
	if (f) {
		print_table(f);
		fclose(f);
	}
	if (opt.print_data)
		dump_file(path, "TABLE");

	for (k = 0; k < 3; k++) {
		int d, p;

		for (d = 0; d < 3; d++)
			for (p = 0; p < 2; p++)
				if (scaleq[k][d][p].opened)
					chan_close(&scaleq[k][d][p].c);
	}
	return failed ? 1 : 0;
}
