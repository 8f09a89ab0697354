/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the security, namespace, limits and fuzz selftests: running a
 * piece of a test in a child with other credentials or in other
 * namespaces, capabilities, the module's parameters, its live counts and
 * what a mailbox reserves, and memory cgroups.
 *
 * Include after msgq_test_util.h. The tests run as root in the guest; a
 * child drops to an unprivileged uid with setgroups/setresgid/setresuid,
 * and keeps or drops single capabilities with capset(2).
 *
 * Children never use the harness's ASSERT/EXPECT (an ASSERT would run the
 * fixture teardown in the child): they report through shared memory or
 * their exit status, and the test asserts in the parent.
 */
#ifndef MSGQ_SEC_UTIL_H
#define MSGQ_SEC_UTIL_H

#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/capability.h>

/* Unprivileged ids used by the tests (no /etc/passwd needed). */
#define UID_A	1001		/* usually the owner */
#define UID_B	1002		/* usually a member of GID_A */
#define UID_C	1003		/* usually "other" */
#define GID_A	1001
#define GID_B	1002
#define GID_C	1003

#ifndef CAP_IPC_OWNER
#define CAP_IPC_OWNER		15
#endif
#ifndef CAP_SYS_RESOURCE
#define CAP_SYS_RESOURCE	24
#endif

/* ------------------------------------------------------------------ */
/* Capabilities, without libcap */

static inline int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return (int)syscall(SYS_capget, &h, d);
}

static inline int caps_set(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return (int)syscall(SYS_capset, &h, d);
}

/* Remove @cap from the effective, permitted and inheritable sets. */
static inline int cap_drop(int cap)
{
	struct __user_cap_data_struct d[2];
	__u32 bit = 1u << (cap & 31);

	if (caps_get(d))
		return -1;
	d[cap >> 5].effective &= ~bit;
	d[cap >> 5].permitted &= ~bit;
	d[cap >> 5].inheritable &= ~bit;
	return caps_set(d);
}

/* Is @cap in the effective set? */
static inline bool cap_effective(int cap)
{
	struct __user_cap_data_struct d[2];

	if (caps_get(d))
		return false;
	return d[cap >> 5].effective & (1u << (cap & 31));
}

/* ------------------------------------------------------------------ */
/* Credentials */

/**
 * struct who - the credentials a child takes on
 * @uid, @gid:  real/effective/saved/fs ids; uid 0 keeps root
 * @groups:     supplementary groups (@ngroups of them)
 * @keep_cap:   for a non-root @uid, capability kept effective (-1: none)
 * @drop_cap:   for root, capability removed (-1: none); a second one in
 *              @drop_cap2
 */
struct who {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[4];
	int keep_cap;
	int drop_cap;
	int drop_cap2;
};

#define WHO_USER(u, g)	((struct who){ .uid = (u), .gid = (g),		\
				       .keep_cap = -1, .drop_cap = -1,	\
				       .drop_cap2 = -1 })
#define WHO_ROOT	WHO_USER(0, 0)
#define WHO_ROOT_WITHOUT(cap) ((struct who){ .keep_cap = -1,		\
					     .drop_cap = (cap),		\
					     .drop_cap2 = -1 })

/* Take on @w's credentials; 0 or -1 (errno set). */
static inline int become(const struct who *w)
{
	if (setgroups(w->ngroups, w->groups))
		return -1;
	if (setresgid(w->gid, w->gid, w->gid))
		return -1;
	if (w->uid) {
		if (w->keep_cap >= 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
			return -1;
		if (setresuid(w->uid, w->uid, w->uid))
			return -1;
		if (w->keep_cap >= 0) {
			struct __user_cap_data_struct d[2];
			__u32 bit = 1u << (w->keep_cap & 31);

			memset(d, 0, sizeof(d));
			d[w->keep_cap >> 5].effective = bit;
			d[w->keep_cap >> 5].permitted = bit;
			if (caps_set(d))
				return -1;
		}
	}
	if (w->drop_cap >= 0 && cap_drop(w->drop_cap))
		return -1;
	if (w->drop_cap2 >= 0 && cap_drop(w->drop_cap2))
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Running one operation in a child */

struct child_result {
	long ret;
	int err;
	int fail_line;		/* CHILD_CHECK that failed, or 0 */
	int fail_errno;
	char note[160];
};

/* In a child: record the first failed check and exit 1. */
#define CHILD_CHECK(res, cond) do {					\
	if (!(cond)) {							\
		(res)->fail_errno = errno;				\
		(res)->fail_line = __LINE__;				\
		snprintf((res)->note, sizeof((res)->note), "%s", #cond);\
		_exit(1);						\
	}								\
} while (0)

/*
 * Fork; the child takes on @w (if not NULL), runs @fn(@arg, res) and
 * exits. Returns the child's exit status as wait_child_ms() does, with
 * @res (shared memory) filled by the child. The child's return value is
 * res->ret and its errno res->err, as @fn left them.
 */
static inline int run_as(const struct who *w,
			 long (*fn)(void *arg, struct child_result *res),
			 void *arg, struct child_result *res,
			 int timeout_ms)
{
	pid_t pid;

	memset(res, 0, sizeof(*res));
	res->ret = -12345;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (w && become(w)) {
			res->fail_errno = errno;
			res->fail_line = __LINE__;
			snprintf(res->note, sizeof(res->note), "become(%u)",
				 (unsigned int)w->uid);
			_exit(2);
		}
		errno = 0;
		res->ret = fn(arg, res);
		res->err = errno;
		_exit(0);
	}
	return wait_child_ms(pid, timeout_ms);
}

/* Shared memory for one child_result; tests keep it for their duration. */
static inline struct child_result *child_result_alloc(void)
{
	return shared_alloc(sizeof(struct child_result));
}

/* ------------------------------------------------------------------ */
/* Module parameters: /sys/module/msgq/parameters/NAME */

#define MSGQ_PARAM_DIR	"/sys/module/msgq/parameters/"

/* Read a parameter as text (no newline) into @buf; 0 or -1. */
static inline int param_read(const char *name, char *buf, size_t size)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), MSGQ_PARAM_DIR "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

static inline int param_write(const char *name, const char *val)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), MSGQ_PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

static inline int param_write_ul(const char *name, unsigned long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lu", v);
	return param_write(name, buf);
}

static inline long long param_get(const char *name)
{
	char buf[64];

	if (param_read(name, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 10);
}

/**
 * struct saved_param - a parameter a test program changes
 * @name:  its name
 * @val:   its value when the program started
 * @saved: @val was read (the parameter exists)
 *
 * A program saves its parameters when it starts (a constructor) and
 * restores them in each test's teardown, and once more when it ends (a
 * destructor): a test killed by its timeout skips its teardown.
 */
struct saved_param {
	const char *name;
	char val[32];
	bool saved;
};

static inline void params_save(struct saved_param *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i].saved = !param_read(p[i].name, p[i].val, sizeof(p[i].val));
}

static inline void params_restore(const struct saved_param *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i].saved)
			param_write(p[i].name, p[i].val);
}

/* ------------------------------------------------------------------ */
/* Live counts: /sys/kernel/debug/msgq/stats */

#define SEC_STATS_PATH	"/sys/kernel/debug/msgq/stats"

struct msgq_counts {
	long long mailboxes;
	long long messages;
	long long message_bytes;
	long long namespaces;
	long long quota_bytes;
	long long user_names;	/* names, as counted per creator uid */
};

/* All six counts; 0, or -1 when the file or a line is missing. */
static inline int counts_read(struct msgq_counts *c)
{
	char line[128];
	FILE *f = fopen(SEC_STATS_PATH, "re");
	int found = 0;

	memset(c, 0xff, sizeof(*c));
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		long long v;
		char key[64];

		if (sscanf(line, "%63s %lld", key, &v) != 2)
			continue;
		if (!strcmp(key, "mailboxes"))
			c->mailboxes = v, found |= 1;
		else if (!strcmp(key, "messages"))
			c->messages = v, found |= 2;
		else if (!strcmp(key, "message_bytes"))
			c->message_bytes = v, found |= 4;
		else if (!strcmp(key, "namespaces"))
			c->namespaces = v, found |= 8;
		else if (!strcmp(key, "quota_bytes"))
			c->quota_bytes = v, found |= 16;
		else if (!strcmp(key, "user_names"))
			c->user_names = v, found |= 32;
	}
	fclose(f);
	return found == 63 ? 0 : -1;
}

static inline bool counts_equal(const struct msgq_counts *a,
				const struct msgq_counts *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static inline void counts_str(const struct msgq_counts *c, char *buf,
			      size_t size)
{
	snprintf(buf, size,
		 "mailboxes %lld messages %lld message_bytes %lld namespaces %lld quota_bytes %lld user_names %lld",
		 c->mailboxes, c->messages, c->message_bytes, c->namespaces,
		 c->quota_bytes, c->user_names);
}

/*
 * Poll the counts until they equal @want, for up to @timeout_ms. Returns
 * true on success; @last holds the counts last read.
 */
static inline bool counts_wait(const struct msgq_counts *want,
			       struct msgq_counts *last, int timeout_ms)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) +
		       (uint64_t)timeout_ms * 1000000ull;

	for (;;) {
		if (!counts_read(last) && counts_equal(want, last))
			return true;
		if (now_ns(CLOCK_MONOTONIC) > end)
			return false;
		sleep_ms(20);
	}
}

/*
 * What creating a mailbox of @n messages of @size bytes reserves of its
 * creator's quota (uapi/msgq.h): a rendezvous mailbox (@n 0) as one message.
 */
#define RESERVE(n, size)	(MSGQ_MAILBOX_OVERHEAD +			\
				 ((n) ? (n) : 1) * ((size) + MSGQ_MSG_OVERHEAD))

/* ------------------------------------------------------------------ */
/* /proc/msgq */

/* Is @name listed in /proc/msgq, as seen by the caller? 1, 0, or -1. */
static inline int proc_lists(const char *name)
{
	char line[1024];
	size_t len = strlen(name);
	FILE *f = fopen("/proc/msgq", "re");
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ' ')
			found = 1;
	fclose(f);
	return found;
}

/* ------------------------------------------------------------------ */
/* Memory cgroups (cgroup v2) */

#define CG_ROOT		"/sys/fs/cgroup"

/* A number read from a file, or -1. */
static inline long long read_ll(const char *path)
{
	char buf[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

static inline int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

static inline bool file_has_word(const char *path, const char *word)
{
	char buf[512], *tok, *save;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (tok = strtok_r(buf, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, word))
			return true;
	return false;
}

/**
 * struct memcg - a memory cgroup of the test's own
 * @dir:     its directory
 * @procs:   its cgroup.procs: write "0" to move the writer in
 * @current: its memory.current
 * @mounted: cgroup2 was mounted for it, and is unmounted with it
 */
struct memcg {
	char dir[128];
	char procs[160];
	char current[160];
	bool mounted;
};

/*
 * Make a memory cgroup named after @tag and the caller's pid, mounting
 * cgroup2 and enabling the memory controller if needed. Returns NULL, or
 * why it cannot (the test then skips).
 */
static inline const char *memcg_create(struct memcg *cg, const char *tag)
{
	const char *why = NULL;

	memset(cg, 0, sizeof(*cg));
	if (access(CG_ROOT "/cgroup.controllers", F_OK)) {
		if (mount("none", CG_ROOT, "cgroup2", 0, NULL))
			return "cgroup2 not mountable";
		cg->mounted = true;
	}
	snprintf(cg->dir, sizeof(cg->dir), CG_ROOT "/msgqt-%s-%d", tag,
		 (int)getpid());
	snprintf(cg->procs, sizeof(cg->procs), "%s/cgroup.procs", cg->dir);
	snprintf(cg->current, sizeof(cg->current), "%s/memory.current",
		 cg->dir);
	if (!file_has_word(CG_ROOT "/cgroup.controllers", "memory"))
		why = "no memory controller in cgroup2";
	else if (!file_has_word(CG_ROOT "/cgroup.subtree_control", "memory") &&
		 write_str(CG_ROOT "/cgroup.subtree_control", "+memory"))
		why = "cannot enable the memory controller";
	else if (mkdir(cg->dir, 0755))
		why = "cannot make a cgroup";
	if (why && cg->mounted)
		umount2(CG_ROOT, MNT_DETACH);
	return why;
}

/* Remove the cgroup once its processes are gone (they may be exiting). */
static inline void memcg_remove(struct memcg *cg)
{
	int i;

	for (i = 0; i < 50 && rmdir(cg->dir); i++)
		sleep_ms(20);
	if (cg->mounted)
		umount2(CG_ROOT, MNT_DETACH);
}

/* ------------------------------------------------------------------ */
/* Passing file descriptors over a UNIX socket */

static inline int fd_send(int sock, int fd)
{
	char c = 'F';
	struct iovec iov = { &c, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	memset(u.buf, 0, sizeof(u.buf));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static inline int fd_recv(int sock)
{
	char c;
	struct iovec iov = { &c, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* ------------------------------------------------------------------ */
/* Pipes as one-shot signals between a test and its child */

static inline int pipe_signal(int fd)
{
	char c = 'x';

	return write(fd, &c, 1) == 1 ? 0 : -1;
}

/* Wait up to @timeout_ms for one byte on @fd: 0, or -1 (timeout, EOF). */
static inline int pipe_wait(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r != 1)
		return -1;
	return read(fd, &c, 1) == 1 ? 0 : -1;
}

#endif /* MSGQ_SEC_UTIL_H */
