// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * msgq: the command-line tool for msgq mailboxes, over libmsgq.
 *
 *   msgq create NAME [--max-msgs N] [--max-size N] [--mode OCTAL] [--excl]
 *   msgq send NAME [--prio P] [--nonblock] [--timeout MS] [--fd N]...
 *                  [MESSAGE...]
 *   msgq recv NAME [--count N] [--timeout MS] [--nonblock] [--peek]
 *                  [--show-prio]
 *   msgq stat NAME
 *   msgq ls
 *   msgq limits
 *   msgq rm [--force] NAME...
 *
 * Exit status: 0 success, 1 error, 2 usage error, 3 timed out or would
 * block (EXIT_TIMEOUT). The manual is man/man1/msgq.1.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <msgq.h>

#ifndef MSGQ_VERSION
#error "MSGQ_VERSION must be defined (tools/Makefile passes ../VERSION)"
#endif

#define EXIT_USAGE	2
#define EXIT_TIMEOUT	3

#define PROC_LISTING	"/proc/msgq"
#define PROC_LIMITS	"/proc/msgq_limits"
#define DEFAULT_MAX_MSGS	10
#define DEFAULT_MAX_SIZE	8192
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *cmd = "msgq";	/* "msgq send" once known */

static void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void errmsg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", cmd);
	return EXIT_USAGE;
}

/* After getopt_long has said what is wrong with an option. */
static int usage_hint(void)
{
	fprintf(stderr, "Try '%s --help'.\n", cmd);
	return EXIT_USAGE;
}

/*
 * Report a failed call on mailbox NAME. ENOENT is ambiguous (no such
 * mailbox, or no /dev/msgq at all): say which.
 */
static int fail(const char *name, const char *what, int err)
{
	if (err == ENOENT && access(MSGQ_DEVICE_PATH, F_OK) != 0)
		errmsg("%s: %s (is the msgq module loaded?)", MSGQ_DEVICE_PATH,
		      strerror(err));
	else if (err == ENOENT)
		errmsg("%s: no such mailbox", name);
	else
		errmsg("%s: %s: %s", name, what, strerror(err));
	return EXIT_FAILURE;
}

/* An unsigned decimal number up to @max; k/M suffixes when @sizes. */
static bool parse_uint(const char *s, unsigned long long max, bool sizes,
		       unsigned long long *out)
{
	unsigned long long v, mult = 1;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	if (sizes && (*end == 'k' || *end == 'K'))
		mult = 1024, end++;
	else if (sizes && (*end == 'm' || *end == 'M'))
		mult = 1024 * 1024, end++;
	if (*end || v > max / mult)
		return false;
	*out = v * mult;
	return true;
}

static bool parse_octal_mode(const char *s, mode_t *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '7')
		return false;
	errno = 0;
	v = strtoul(s, &end, 8);
	if (errno || *end || v > 0777)
		return false;
	*out = (mode_t)v;
	return true;
}

/* A deadline @ms from now on CLOCK_MONOTONIC, as the UAPI takes it. */
static struct msgq_timespec deadline_after(unsigned long long ms)
{
	struct timespec now;
	struct msgq_timespec t;

	clock_gettime(CLOCK_MONOTONIC, &now);
	t.tv_sec = now.tv_sec + (int64_t)(ms / 1000);
	t.tv_nsec = now.tv_nsec + (int64_t)(ms % 1000) * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

/* Options shared by send and recv: how to wait. */
struct wait_opts {
	bool nonblock;
	bool timed;
	struct msgq_timespec deadline;
};

static void wait_flags(const struct wait_opts *w, __u32 *flags,
		       __u32 *clockid, struct msgq_timespec *timeout)
{
	if (w->nonblock) {
		*flags |= MSGQ_F_NONBLOCK;
	} else if (w->timed) {
		*flags |= MSGQ_F_TIMEOUT | MSGQ_F_ABSTIME;
		*clockid = CLOCK_MONOTONIC;
		*timeout = w->deadline;
	}
}

/* ---- help ------------------------------------------------------------ */

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static const char main_help[] =
"Usage: msgq COMMAND [OPTION...] [ARGUMENT...]\n"
"Create, use and list msgq mailboxes (named kernel message queues).\n"
"\n"
"Commands:\n"
"  create NAME   create a mailbox (an existing one is left as it is)\n"
"  send NAME     send messages: the arguments, or one per line of input\n"
"  recv NAME     receive messages, waiting for them by default\n"
"  stat NAME     show a mailbox's limits, depth and counters\n"
"  ls            list the mailboxes of this IPC namespace\n"
"  limits        show the limits, and what you use of them\n"
"  who NAME      list the processes that hold handles on a mailbox\n"
"  rm NAME...    remove mailbox names\n"
"  help [COMMAND]  show this help, or a command's\n"
"\n"
"Options:\n"
"  -h, --help     show this help\n"
"  -V, --version  show the version\n"
"\n"
"'msgq COMMAND --help' shows a command's options.\n"
"Exit status: 0 success, 1 error, 2 usage error,\n"
"3 timed out or would block (mailbox full, or no message).\n";

static const char create_help[] =
"Usage: msgq create NAME [--max-msgs N] [--max-size N] [--mode OCTAL] [--excl]\n"
"                   [--fanout[=block|drop]]\n"
"Create the mailbox NAME. If it exists already, it is left as it is (its\n"
"limits and mode are not changed) unless --excl is given.\n"
"\n"
"  -n, --max-msgs N    hold up to N messages (default 10; 0 makes a\n"
"                      rendezvous mailbox: every send waits for a receiver)\n"
"  -s, --max-size N    largest message in bytes (default 8192; k and M\n"
"                      suffixes; at most 1M)\n"
"  -m, --mode OCTAL    permission bits, exactly (default 0666 less the umask)\n"
"  -x, --excl          fail (exit 1) if NAME exists\n"
"  -f, --fanout[=block|drop]\n"
"                      a fan-out mailbox: every receiving handle gets\n"
"                      every message sent while it is open; one with N\n"
"                      messages waiting blocks senders (block, the\n"
"                      default) or loses its oldest one (drop)\n"
"  -h, --help          show this help\n";

static const char send_help[] =
"Usage: msgq send NAME [--prio P] [--nonblock] [--timeout MS] [--fd N]... [MESSAGE...]\n"
"Send each MESSAGE argument as one message; without any, send each line of\n"
"standard input (without its newline) as one message.\n"
"\n"
"  -p, --prio P        priority 0 (default) to 32767; higher is received\n"
"                      first\n"
"  -N, --nonblock      do not wait for room: exit 3 when the mailbox is full\n"
"  -t, --timeout MS    wait at most MS milliseconds in all, then exit 3\n"
"  -f, --fd N          carry the open file descriptor N with each message\n"
"                      (repeatable, up to 16), e.g. --fd 3 3<FILE\n"
"  -h, --help          show this help\n"
"\n"
"Without --nonblock or --timeout, waits as long as the mailbox is full.\n";

static const char recv_help[] =
"Usage: msgq recv NAME [--count N] [--timeout MS] [--nonblock] [--peek] [--show-prio]\n"
"Receive messages and write each to standard output, followed by a newline.\n"
"Waits for each message by default.\n"
"\n"
"  -c, --count N       receive N messages (default 1)\n"
"  -t, --timeout MS    wait at most MS milliseconds in all, then exit 3\n"
"  -N, --nonblock      do not wait: exit 3 when no message is there\n"
"  -P, --peek          show the next message without removing it\n"
"  -p, --show-prio     write each message's priority and a tab before it\n"
"  -h, --help          show this help\n";

static const char stat_help[] =
"Usage: msgq stat NAME\n"
"Show the limits, depth, counters, mode and owner of mailbox NAME, one\n"
"\"key: value\" line each. Needs read or write permission on the mailbox.\n"
"\n"
"  -h, --help          show this help\n";

static const char ls_help[] =
"Usage: msgq ls\n"
"List every mailbox of this IPC namespace as a table (from " PROC_LISTING "):\n"
"NAME, MSGS and MAX (queued and capacity), BYTES (queued payload), MSGSIZE\n"
"(largest message), SENT and RECEIVED (totals), MODE, UID, GID, FLAGS.\n"
"\n"
"  -h, --help          show this help\n";

static const char limits_help[] =
"Usage: msgq limits\n"
"Show each limit of msgq with what you use of it, as a table (from\n"
PROC_LIMITS "): LIMIT, VALUE and USED.\n"
"  max_mailboxes   names in this IPC namespace\n"
"  user_mailboxes  names of your mailboxes in this IPC namespace\n"
"  user_bytes      bytes your mailboxes reserve, in every namespace\n"
"  max_msgs        the largest capacity of a new mailbox (USED is -)\n"
"  max_msgsize     the largest message of a new mailbox (USED is -)\n"
"Creating a mailbox past max_mailboxes fails with ENOSPC, past\n"
"user_mailboxes or user_bytes with EMFILE.\n"
"\n"
"  -h, --help          show this help\n";

static const char who_help[] =
"Usage: msgq who NAME\n"
"List the processes holding handles on mailbox NAME of this IPC namespace,\n"
"one line per handle (from /proc/PID/fdinfo, as lsof would): PID, COMMAND,\n"
"FD, RIGHTS (send, recv) and OWNER (yes for the handle that owns an owned\n"
"mailbox). Only processes you may inspect are seen (all of them as root).\n"
"\n"
"  -h, --help          show this help\n";

static const char rm_help[] =
"Usage: msgq rm [--force] NAME...\n"
"Remove the names of the given mailboxes. Processes that have a mailbox\n"
"open keep using it; it is freed when the last of them closes it.\n"
"\n"
"  -f, --force         ignore names that do not exist\n"
"  -h, --help          show this help\n";

/* Parse only -h/--help (and reject anything else) for simple commands. */
static int parse_help_only(int argc, char **argv, const char *help)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			exit(EXIT_SUCCESS);
		}
		exit(usage_hint());
	}
	return optind;
}

/* ---- create ------------------------------------------------------------ */

static int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max-msgs", required_argument, NULL, 'n' },
		{ "max-size", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "excl", no_argument, NULL, 'x' },
		{ "fanout", optional_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	unsigned int fanout = 0;
	unsigned long long max_msgs = DEFAULT_MAX_MSGS;
	unsigned long long max_size = DEFAULT_MAX_SIZE;
	mode_t mode = 0666;
	bool excl = false, exact_mode = false;
	const char *name;
	int c, fd;

	while ((c = getopt_long(argc, argv, "n:s:m:xf::h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!parse_uint(optarg, MSGQ_MAX_MSGS_LIMIT, false,
					&max_msgs))
				return usage_error("--max-msgs: not a number from 0 to %u: '%s'",
						   MSGQ_MAX_MSGS_LIMIT, optarg);
			break;
		case 's':
			if (!parse_uint(optarg, MSGQ_MAX_MSGSIZE_LIMIT, true,
					&max_size) || max_size == 0)
				return usage_error("--max-size: not a size from 1 to %u: '%s'",
						   MSGQ_MAX_MSGSIZE_LIMIT, optarg);
			break;
		case 'm':
			if (!parse_octal_mode(optarg, &mode))
				return usage_error("--mode: not an octal mode from 0 to 0777: '%s'",
						   optarg);
			exact_mode = true;
			break;
		case 'x':
			excl = true;
			break;
		case 'f':
			if (!optarg || !strcmp(optarg, "block"))
				fanout = MSGQ_O_FANOUT;
			else if (!strcmp(optarg, "drop"))
				fanout = MSGQ_O_FANOUT | MSGQ_O_FANOUT_DROP;
			else
				return usage_error("--fanout: 'block' or 'drop', not '%s'",
						   optarg);
			break;
		case 'h':
			fputs(create_help, stdout);
			return EXIT_SUCCESS;
		default:
			return usage_hint();
		}
	}
	if (optind != argc - 1)
		return usage_error(optind == argc ? "missing NAME" :
				   "too many arguments");
	name = argv[optind];

	/* --mode is exact: the kernel would reduce it by the umask. */
	if (exact_mode)
		umask(0);
	/*
	 * Always exclusive underneath: an existing mailbox needs no handle
	 * (opening it would need permission on it) to be left alone.
	 */
	fd = msgq_create(name, MSGQ_O_SEND | MSGQ_O_EXCL | MSGQ_O_CLOEXEC |
			 fanout, mode, (unsigned int)max_msgs, (size_t)max_size);
	if (fd >= 0) {
		msgq_close(fd);
		return EXIT_SUCCESS;
	}
	if (errno == EEXIST && !excl)
		return EXIT_SUCCESS;
	if (errno == EEXIST) {
		errmsg("%s: mailbox exists", name);
		return EXIT_FAILURE;
	}
	return fail(name, "create", errno);
}

/* ---- send ------------------------------------------------------------ */

/* Descriptors each message carries (--fd). */
struct send_fds {
	int fds[MSGQ_FDS_MAX];
	unsigned int n;
};

static int send_one(int fd, const char *name, const void *buf, size_t len,
		    unsigned int prio, const struct wait_opts *w,
		    const struct send_fds *f, unsigned long done)
{
	struct msgq_send s = { 0 };

	if (len > UINT32_MAX) {
		errno = EMSGSIZE;
	} else {
		s.buf = (__u64)(uintptr_t)buf;
		s.len = (__u32)len;
		s.prio = prio;
		s.fds = (__u64)(uintptr_t)f->fds;
		s.nfds = f->n;
		wait_flags(w, &s.flags, &s.clockid, &s.timeout);
		if (msgq_send_args(fd, &s) == 0)
			return EXIT_SUCCESS;
	}
	switch (errno) {
	case EAGAIN:
		errmsg("%s: mailbox full (%lu sent)", name, done);
		return EXIT_TIMEOUT;
	case ETIMEDOUT:
		errmsg("%s: timed out (%lu sent)", name, done);
		return EXIT_TIMEOUT;
	case EMSGSIZE: {
		struct msgq_attr a;

		if (msgq_getattr(fd, &a) == 0)
			errmsg("%s: message %lu is %zu bytes; the mailbox takes at most %u",
			      name, done + 1, len, a.max_msgsize);
		else
			errmsg("%s: message %lu: %s", name, done + 1,
			      strerror(EMSGSIZE));
		return EXIT_FAILURE;
	}
	case EBADF:
		if (f->n) {
			errmsg("%s: a --fd is not open, or cannot be carried (a msgq handle, an AF_UNIX socket, an io_uring)",
			       name);
			return EXIT_FAILURE;
		}
		return fail(name, "send", errno);
	default:
		return fail(name, "send", errno);
	}
}

static int cmd_send(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "prio", required_argument, NULL, 'p' },
		{ "nonblock", no_argument, NULL, 'N' },
		{ "timeout", required_argument, NULL, 't' },
		{ "fd", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	unsigned long long prio = 0, ms, fdn;
	struct wait_opts w = { 0 };
	struct send_fds f = { .n = 0 };
	unsigned long done = 0;
	const char *name;
	int c, fd, rc = EXIT_SUCCESS;

	while ((c = getopt_long(argc, argv, "p:Nt:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_uint(optarg, MSGQ_PRIO_MAX - 1, false, &prio))
				return usage_error("--prio: not a priority from 0 to %d: '%s'",
						   MSGQ_PRIO_MAX - 1, optarg);
			break;
		case 'N':
			w.nonblock = true;
			break;
		case 't':
			if (!parse_uint(optarg, (unsigned long long)INT32_MAX,
					false, &ms))
				return usage_error("--timeout: not a number of milliseconds: '%s'",
						   optarg);
			w.timed = true;
			w.deadline = deadline_after(ms);
			break;
		case 'f':
			if (!parse_uint(optarg, (unsigned long long)INT32_MAX,
					false, &fdn))
				return usage_error("--fd: not a descriptor number: '%s'",
						   optarg);
			if (f.n == MSGQ_FDS_MAX)
				return usage_error("--fd: at most %d", MSGQ_FDS_MAX);
			f.fds[f.n++] = (int)fdn;
			break;
		case 'h':
			fputs(send_help, stdout);
			return EXIT_SUCCESS;
		default:
			return usage_hint();
		}
	}
	if (optind == argc)
		return usage_error("missing NAME");
	name = argv[optind++];

	fd = msgq_open(name, MSGQ_O_SEND | MSGQ_O_CLOEXEC);
	if (fd < 0)
		return fail(name, "open", errno);

	if (optind < argc) {
		for (; optind < argc && rc == EXIT_SUCCESS; optind++, done++)
			rc = send_one(fd, name, argv[optind],
				      strlen(argv[optind]), (unsigned int)prio,
				      &w, &f, done);
	} else {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;

		while (rc == EXIT_SUCCESS &&
		       (n = getline(&line, &cap, stdin)) >= 0) {
			if (n > 0 && line[n - 1] == '\n')
				n--;
			rc = send_one(fd, name, line, (size_t)n,
				      (unsigned int)prio, &w, &f, done++);
		}
		if (rc == EXIT_SUCCESS && ferror(stdin)) {
			errmsg("standard input: %s", strerror(errno));
			rc = EXIT_FAILURE;
		}
		free(line);
	}
	msgq_close(fd);
	return rc;
}

/* ---- recv ------------------------------------------------------------ */

static int cmd_recv(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "nonblock", no_argument, NULL, 'N' },
		{ "peek", no_argument, NULL, 'P' },
		{ "show-prio", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	unsigned long long count = 1, ms, got;
	struct wait_opts w = { 0 };
	bool peek = false, show_prio = false, count_given = false;
	struct msgq_attr attr;
	const char *name;
	char *buf;
	int c, fd, rc = EXIT_SUCCESS;

	while ((c = getopt_long(argc, argv, "c:t:NPph", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (!parse_uint(optarg, ULONG_MAX, false, &count) ||
			    count == 0)
				return usage_error("--count: not a number from 1: '%s'",
						   optarg);
			count_given = true;
			break;
		case 't':
			if (!parse_uint(optarg, (unsigned long long)INT32_MAX,
					false, &ms))
				return usage_error("--timeout: not a number of milliseconds: '%s'",
						   optarg);
			w.timed = true;
			w.deadline = deadline_after(ms);
			break;
		case 'N':
			w.nonblock = true;
			break;
		case 'P':
			peek = true;
			break;
		case 'p':
			show_prio = true;
			break;
		case 'h':
			fputs(recv_help, stdout);
			return EXIT_SUCCESS;
		default:
			return usage_hint();
		}
	}
	if (optind != argc - 1)
		return usage_error(optind == argc ? "missing NAME" :
				   "too many arguments");
	if (peek && count_given && count != 1)
		return usage_error("--peek shows one message: no --count");
	name = argv[optind];

	fd = msgq_open(name, MSGQ_O_RECV | MSGQ_O_CLOEXEC);
	if (fd < 0)
		return fail(name, "open", errno);
	if (msgq_getattr(fd, &attr) < 0) {
		rc = fail(name, "getattr", errno);
		msgq_close(fd);
		return rc;
	}
	buf = malloc(attr.max_msgsize ? attr.max_msgsize : 1);
	if (!buf) {
		errmsg("%s", strerror(ENOMEM));
		msgq_close(fd);
		return EXIT_FAILURE;
	}

	for (got = 0; got < count; got++) {
		struct msgq_recv r = { 0 };
		ssize_t n;

		r.buf = (__u64)(uintptr_t)buf;
		r.cap = attr.max_msgsize;
		r.flags = peek ? MSGQ_F_PEEK : 0;
		wait_flags(&w, &r.flags, &r.clockid, &r.timeout);
		n = msgq_recv_args(fd, &r);
		if (n < 0) {
			if (errno == EAGAIN) {
				errmsg("%s: no message (%llu received)", name,
				      got);
				rc = EXIT_TIMEOUT;
			} else if (errno == ETIMEDOUT) {
				errmsg("%s: timed out (%llu received)", name,
				      got);
				rc = EXIT_TIMEOUT;
			} else {
				rc = fail(name, "recv", errno);
			}
			break;
		}
		if (show_prio)
			printf("%u\t", r.prio);
		fwrite(buf, 1, (size_t)n, stdout);
		putchar('\n');
		if (fflush(stdout) == EOF) {
			errmsg("standard output: %s", strerror(errno));
			rc = EXIT_FAILURE;
			break;
		}
	}
	free(buf);
	msgq_close(fd);
	return rc;
}

/* ---- stat ------------------------------------------------------------ */

static void put_flags(unsigned int flags)
{
	static const struct { unsigned int bit; const char *name; } names[] = {
		{ MSGQ_ATTR_OWNED, "owned" },
		{ MSGQ_ATTR_DEAD, "dead" },
		{ MSGQ_ATTR_UNLINKED, "unlinked" },
		{ MSGQ_ATTR_FANOUT, "fanout" },
		{ MSGQ_ATTR_FANOUT_DROP, "drop" },
	};
	const char *sep = "";
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (flags & names[i].bit) {
			printf("%s%s", sep, names[i].name);
			sep = ",";
		}
	}
	puts(*sep ? "" : "-");
}

static int cmd_stat(int argc, char **argv)
{
	struct msgq_attr a;
	const char *name;
	int i, fd;

	i = parse_help_only(argc, argv, stat_help);
	if (i != argc - 1)
		return usage_error(i == argc ? "missing NAME" :
				   "too many arguments");
	name = argv[i];

	/*
	 * Either right will do to read the attributes; sending first, as a
	 * receiving handle of a fan-out mailbox is a subscription of its own.
	 */
	fd = msgq_open(name, MSGQ_O_SEND | MSGQ_O_CLOEXEC);
	if (fd < 0 && errno == EACCES)
		fd = msgq_open(name, MSGQ_O_RECV | MSGQ_O_CLOEXEC);
	if (fd < 0)
		return fail(name, "open", errno);
	if (msgq_getattr(fd, &a) < 0) {
		int err = errno;

		msgq_close(fd);
		return fail(name, "getattr", err);
	}
	msgq_close(fd);

	printf("name:           %s\n", name);
	printf("max_msgs:       %u\n", a.max_msgs);
	printf("max_msgsize:    %u\n", a.max_msgsize);
	printf("cur_msgs:       %u\n", a.cur_msgs);
	printf("cur_bytes:      %llu\n", (unsigned long long)a.cur_bytes);
	printf("total_sent:     %llu\n", (unsigned long long)a.total_sent);
	printf("total_received: %llu\n", (unsigned long long)a.total_received);
	printf("mode:           %04o\n", a.mode);
	printf("uid:            %u\n", a.uid);
	printf("gid:            %u\n", a.gid);
	printf("flags:          ");
	put_flags(a.flags);
	if (a.flags & MSGQ_ATTR_FANOUT) {
		/* Not counting our own subscription, if we had to make one. */
		printf("subscribers:    %u\n", a.subscribers -
		       !!(a.handle_flags & MSGQ_O_RECV));
		printf("max_backlog:    %u\n", a.max_backlog);
	}
	return EXIT_SUCCESS;
}

/* ---- ls, limits: tables from /proc -------------------------------- */

/* A table's column, and the field of the /proc file it shows. */
struct column {
	const char *title;
	const char *field;
	bool left;
};

static const struct column ls_columns[] = {
	{ "NAME", "name", true },
	{ "MSGS", "cur_msgs", false },
	{ "MAX", "max_msgs", false },
	{ "BYTES", "cur_bytes", false },
	{ "MSGSIZE", "max_msgsize", false },
	{ "SENT", "total_sent", false },
	{ "RECEIVED", "total_received", false },
	{ "MODE", "mode", false },
	{ "UID", "uid", false },
	{ "GID", "gid", false },
	{ "FLAGS", "flags", true },
	{ "SUBS", "subscribers", false },
};

static const struct column limits_columns[] = {
	{ "LIMIT", "limit", true },
	{ "VALUE", "value", false },
	{ "USED", "used", false },
};

#define MAX_FIELDS	32

/* Split @line at blanks into at most MAX_FIELDS fields; returns how many. */
static int split(char *line, char **f)
{
	int n = 0;
	char *save = NULL, *tok;

	for (tok = strtok_r(line, " \t\n", &save); tok && n < MAX_FIELDS;
	     tok = strtok_r(NULL, " \t\n", &save))
		f[n++] = tok;
	return n;
}

/*
 * Print /proc file @path (a header line naming the fields, then one line
 * per row) as a table of @ncols columns, the first of which every row has.
 */
static int show_table(const char *path, const struct column *columns,
		      size_t ncols)
{
	char *line = NULL, *hdr[MAX_FIELDS], *f[MAX_FIELDS];
	int idx[MAX_FIELDS], nhdr, nrows = 0, i, rc = EXIT_SUCCESS;
	size_t cap = 0, width[MAX_FIELDS], c;
	char ***rows = NULL;
	FILE *in;

	in = fopen(path, "re");
	if (!in) {
		if (errno == ENOENT)
			errmsg("%s: %s (is the msgq module loaded?)", path,
			      strerror(errno));
		else
			errmsg("%s: %s", path, strerror(errno));
		return EXIT_FAILURE;
	}
	/* Columns are found by the header's names, not by position. */
	if (getline(&line, &cap, in) < 0) {
		errmsg("%s: no header line", path);
		fclose(in);
		free(line);
		return EXIT_FAILURE;
	}
	nhdr = split(line, hdr);
	for (c = 0; c < ncols; c++) {
		idx[c] = -1;
		for (i = 0; i < nhdr; i++)
			if (!strcmp(hdr[i], columns[c].field))
				idx[c] = i;
		width[c] = strlen(columns[c].title);
	}
	if (idx[0] < 0) {
		errmsg("%s: no %s column", path, columns[0].field);
		fclose(in);
		free(line);
		return EXIT_FAILURE;
	}
	/* hdr points into line: keep it, read the rows into their own. */
	for (;;) {
		char *row = NULL, **cells;
		size_t rcap = 0;
		int n;

		if (getline(&row, &rcap, in) < 0) {
			free(row);
			break;
		}
		n = split(row, f);
		if (n == 0) {
			free(row);
			continue;
		}
		cells = calloc(ncols + 1, sizeof(*cells));
		rows = realloc(rows, (size_t)(nrows + 1) * sizeof(*rows));
		if (!cells || !rows) {
			errmsg("%s", strerror(ENOMEM));
			exit(EXIT_FAILURE);
		}
		for (c = 0; c < ncols; c++) {
			cells[c] = idx[c] >= 0 && idx[c] < n ? f[idx[c]] : "-";
			if (strlen(cells[c]) > width[c])
				width[c] = strlen(cells[c]);
		}
		cells[ncols] = row;	/* owns the strings */
		rows[nrows++] = cells;
	}
	if (ferror(in)) {
		errmsg("%s: %s", path, strerror(errno));
		rc = EXIT_FAILURE;
	}
	fclose(in);

	for (i = -1; i < nrows; i++) {
		for (c = 0; c < ncols; c++) {
			const char *s = i < 0 ? columns[c].title : rows[i][c];
			bool last = c == ncols - 1;

			if (columns[c].left && last)
				fputs(s, stdout);
			else if (columns[c].left)
				printf("%-*s", (int)width[c], s);
			else
				printf("%*s", (int)width[c], s);
			if (!last)
				putchar(' ');
		}
		putchar('\n');
	}
	for (i = 0; i < nrows; i++) {
		free(rows[i][ncols]);
		free(rows[i]);
	}
	free(rows);
	free(line);
	if (fflush(stdout) == EOF) {
		errmsg("standard output: %s", strerror(errno));
		rc = EXIT_FAILURE;
	}
	return rc;
}

static int cmd_ls(int argc, char **argv)
{
	if (parse_help_only(argc, argv, ls_help) != argc)
		return usage_error("too many arguments");
	return show_table(PROC_LISTING, ls_columns, ARRAY_SIZE(ls_columns));
}

static int cmd_limits(int argc, char **argv)
{
	if (parse_help_only(argc, argv, limits_help) != argc)
		return usage_error("too many arguments");
	return show_table(PROC_LIMITS, limits_columns,
			  ARRAY_SIZE(limits_columns));
}

/* ---- who ------------------------------------------------------------- */

/* The value of "@key:" in fdinfo text @info, in @val; false if absent. */
static bool fdinfo_field(const char *info, const char *key, char *val,
			 size_t size)
{
	size_t klen = strlen(key);
	const char *p;

	for (p = info; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) || p[klen] != ':')
			continue;
		p += klen + 1;
		p += strspn(p, " \t");
		snprintf(val, size, "%.*s", (int)strcspn(p, "\n"), p);
		return true;
	}
	return false;
}

/* /proc/@pid/fdinfo/@fd into @buf; false if it cannot be read. */
static bool read_fdinfo(const char *pid, const char *fd, char *buf,
			size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return false;
	n = read(f, buf, size - 1);
	close(f);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* Print @pid's handles on the mailbox with @id; how many. */
static int who_in(const char *pid, const char *id)
{
	char path[PATH_MAX], link[64], info[1024], val[300], comm[64] = "?";
	struct dirent *d;
	int n = 0;
	DIR *dir;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid, d->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (strcmp(link, "anon_inode:[msgq]") ||
		    !read_fdinfo(pid, d->d_name, info, sizeof(info)) ||
		    !fdinfo_field(info, "msgq-id", val, sizeof(val)) ||
		    strcmp(val, id))
			continue;
		printf("%-8s %-16s %-5s ", pid, comm, d->d_name);
		fdinfo_field(info, "msgq-rights", val, sizeof(val));
		printf("%-10s ", val);
		fdinfo_field(info, "msgq-owner", val, sizeof(val));
		printf("%s\n", strcmp(val, "1") ? "-" : "yes");
		n++;
	}
	closedir(dir);
	return n;
}

static int cmd_who(int argc, char **argv)
{
	char self_fd[16], info[1024], id[32];
	struct dirent *d;
	const char *name;
	DIR *proc;
	int fd;

	if (parse_help_only(argc, argv, who_help) != argc - 1)
		return usage_error(optind == argc ? "missing NAME" :
				   "too many arguments");
	name = argv[argc - 1];
	/* Our own handle tells the mailbox's id: the holders share it. */
	fd = msgq_open(name, MSGQ_O_RECV | MSGQ_O_CLOEXEC);
	if (fd < 0)
		fd = msgq_open(name, MSGQ_O_SEND | MSGQ_O_CLOEXEC);
	if (fd < 0)
		return fail(name, "open", errno);
	snprintf(self_fd, sizeof(self_fd), "%d", fd);
	if (!read_fdinfo("self", self_fd, info, sizeof(info)) ||
	    !fdinfo_field(info, "msgq-id", id, sizeof(id))) {
		close(fd);
		errmsg("%s: no msgq-id in /proc/self/fdinfo/%d (msgq too old?)",
		       name, fd);
		return EXIT_FAILURE;
	}
	close(fd);
	proc = opendir("/proc");
	if (!proc)
		return fail("/proc", "open", errno);
	printf("%-8s %-16s %-5s %-10s %s\n", "PID", "COMMAND", "FD", "RIGHTS",
	       "OWNER");
	while ((d = readdir(proc)))
		if (d->d_name[0] >= '1' && d->d_name[0] <= '9' &&
		    (pid_t)atoi(d->d_name) != getpid())
			who_in(d->d_name, id);
	closedir(proc);
	return EXIT_SUCCESS;
}

/* ---- rm -------------------------------------------------------------- */

static int cmd_rm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool force = false;
	int c, rc = EXIT_SUCCESS;

	while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'h':
			fputs(rm_help, stdout);
			return EXIT_SUCCESS;
		default:
			return usage_hint();
		}
	}
	if (optind == argc)
		return usage_error("missing NAME");
	for (; optind < argc; optind++) {
		const char *name = argv[optind];

		if (msgq_unlink(name) == 0)
			continue;
		if (errno == ENOENT && force &&
		    access(MSGQ_DEVICE_PATH, F_OK) == 0)
			continue;
		rc = fail(name, "remove", errno);
	}
	return rc;
}

/* ---- main ------------------------------------------------------------ */

static const struct command commands[] = {
	{ "create", cmd_create, create_help },
	{ "send", cmd_send, send_help },
	{ "recv", cmd_recv, recv_help },
	{ "stat", cmd_stat, stat_help },
	{ "ls", cmd_ls, ls_help },
	{ "limits", cmd_limits, limits_help },
	{ "who", cmd_who, who_help },
	{ "rm", cmd_rm, rm_help },
};
#define NCOMMANDS	ARRAY_SIZE(commands)

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	static char label[32];
	const struct command *c;

	if (argc < 2)
		return usage_error("missing COMMAND");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(main_help, stdout);
		return EXIT_SUCCESS;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("msgq %s\n", MSGQ_VERSION);
		return EXIT_SUCCESS;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc == 2) {
			fputs(main_help, stdout);
			return EXIT_SUCCESS;
		}
		c = find_command(argv[2]);
		if (!c || argc > 3)
			return usage_error("help: no such command: '%s'",
					   argv[2]);
		fputs(c->help, stdout);
		return EXIT_SUCCESS;
	}
	c = find_command(argv[1]);
	if (!c)
		return usage_error("no such command: '%s'", argv[1]);
	snprintf(label, sizeof(label), "msgq %s", c->name);
	cmd = label;
	/* The command sees "msgq CMD" as argv[0], for getopt's messages. */
	argv[1] = label;
	return c->run(argc - 1, argv + 1);
}
