// SPDX-License-Identifier: GPL-2.0
/*
 * The msgq selftests' helpers (msgq_test.h), compiled once and linked into
 * every test program. No harness here: see msgq_test.h.
 */
#define MSGQ_TEST_HELPERS_ONLY
#include "msgq_test.h"

/* ------------------------------------------------------------------ */
/* Time */

uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts_ns(&ts);
}

void sleep_ms(unsigned int ms)
{
	struct timespec ts = ns_ts(ms * MS);

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

struct timespec realtime_in_ms(unsigned int ms)
{
	return ns_ts(now_ns(CLOCK_REALTIME) + ms * MS);
}

uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
}

struct timespec ns_ts(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000ull),
		.tv_nsec = (long)(ns % 1000000000ull),
	};

	return ts;
}

struct msgq_timespec ns_mts(uint64_t ns)
{
	struct msgq_timespec ts = {
		.tv_sec = (__s64)(ns / 1000000000ull),
		.tv_nsec = (__s64)(ns % 1000000000ull),
	};

	return ts;
}

/* Poll @cond(@arg) every @step_ms for up to @ms; its last verdict. */
static bool poll_until(bool (*cond)(void *arg), void *arg, int ms,
		       unsigned int step_ms)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) + (uint64_t)ms * MS;

	while (!cond(arg)) {
		if (now_ns(CLOCK_MONOTONIC) > end)
			return cond(arg);
		sleep_ms(step_ms);
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Files */

/* Read up to @size - 1 bytes of a file into @buf, NUL-terminated; or -1. */
static ssize_t read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

int file_read_str(const char *path, char *buf, size_t size)
{
	ssize_t n = read_text(path, buf, size);

	if (n < 0)
		return -1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

int file_write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

long long file_read_ll(const char *path)
{
	char buf[64];

	if (read_text(path, buf, sizeof(buf)) <= 0)
		return -1;
	return strtoll(buf, NULL, 10);
}

bool file_has_word(const char *path, const char *word)
{
	char buf[512], *tok, *save;

	if (read_text(path, buf, sizeof(buf)) <= 0)
		return false;
	for (tok = strtok_r(buf, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, word))
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Processes and tasks */

void *shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int wait_child_ms(pid_t pid, int timeout_ms)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) +
		       (uint64_t)timeout_ms * MS;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ns(CLOCK_MONOTONIC) > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		sleep_ms(2);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 256 + WTERMSIG(status);
	return -1;
}

pid_t sys_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* Read /proc/<pid>/task/<tid>/@file into @buf; its length, or -1. */
static ssize_t task_file(pid_t pid, pid_t tid, const char *file, char *buf,
			 size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", pid, tid, file);
	return read_text(path, buf, size);
}

char task_state(pid_t pid, pid_t tid)
{
	char buf[512], *p;

	if (task_file(pid, tid, "stat", buf, sizeof(buf)) <= 0)
		return 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

long task_syscall(pid_t pid, pid_t tid)
{
	char buf[256];

	if (task_file(pid, tid, "syscall", buf, sizeof(buf)) <= 0)
		return -2;
	if (buf[0] < '0' || buf[0] > '9')
		return -1;
	return strtol(buf, NULL, 10);
}

long task_nvcsw(pid_t pid, pid_t tid)
{
	static const char key[] = "\nvoluntary_ctxt_switches:";
	char buf[4096], *p;

	if (task_file(pid, tid, "status", buf, sizeof(buf)) <= 0)
		return -1;
	p = strstr(buf, key);
	if (!p)
		return -1;
	return strtol(p + strlen(key), NULL, 10);
}

/* Is the task asleep (state S) in system call @nr (or SYS_*_any)? */
static bool asleep_in(pid_t pid, pid_t tid, long nr)
{
	long sc;

	if (task_state(pid, tid) != 'S')
		return false;
	sc = task_syscall(pid, tid);
	if (sc == -2)		/* no /proc/.../syscall: asleep will do */
		return true;
	switch (nr) {
	case SYS_any:
		return sc != -1;
	case SYS_msgq_any:
		return sc == SYS_ioctl || sc == SYS_read || sc == SYS_write;
	default:
		return sc == nr;
	}
}

struct blocked_in {
	pid_t pid, tid;
	long nr;
};

static bool blocked_in(void *arg)
{
	struct blocked_in *b = arg;

	return asleep_in(b->pid, b->tid, b->nr);
}

bool wait_blocked_in(pid_t pid, pid_t tid, long nr, int timeout_ms)
{
	struct blocked_in b = { .pid = pid, .tid = tid, .nr = nr };

	return poll_until(blocked_in, &b, timeout_ms, 1);
}

/* ------------------------------------------------------------------ */
/* A thread that makes one call */

static long call_make(struct call *c)
{
	void *buf = c->buf;
	size_t len = c->len;

	if (!buf) {
		bool send = c->op == CALL_SEND || c->op == CALL_SEND_ARGS ||
			    c->op == CALL_TIMEDSEND || c->op == CALL_WRITE;

		buf = send ? (void *)&c->id : (void *)&c->got;
		len = sizeof(unsigned int);
	}
	switch (c->op) {
	case CALL_SEND:
		return msgq_send(c->fd, buf, len, 0);
	case CALL_RECV:
		return msgq_recv(c->fd, buf, len, NULL);
	case CALL_SEND_ARGS:
		if (!c->s.buf) {
			c->s.buf = ptr_to_u64(buf);
			c->s.len = (__u32)len;
		}
		return msgq_send_args(c->fd, &c->s);
	case CALL_RECV_ARGS:
		if (!c->r.buf) {
			c->r.buf = ptr_to_u64(buf);
			if (!c->r.cap || c->r.cap > len)
				c->r.cap = (__u32)len;
		}
		return msgq_recv_args(c->fd, &c->r);
	case CALL_TIMEDSEND:
		return msgq_timedsend(c->fd, buf, len, 0, &c->abs);
	case CALL_TIMEDRECV:
		return msgq_timedrecv(c->fd, buf, len, NULL, &c->abs);
	case CALL_WRITE:
		return write(c->fd, buf, len);
	case CALL_READ:
		return read(c->fd, buf, len);
	case CALL_READV:
		return readv(c->fd, c->iov, c->iovcnt);
	case CALL_IOCTL:
		return ioctl(c->fd, c->req, c->arg);
	case CALL_FN:
		return c->fn(c->arg);
	}
	errno = EINVAL;
	return -1;
}

static void *call_thread(void *arg)
{
	struct call *c = arg;
	long ret;

	__atomic_store_n(&c->tid, sys_gettid(), __ATOMIC_SEQ_CST);
	c->t_start = now_ns(CLOCK_MONOTONIC);
	errno = 0;
	ret = call_make(c);
	c->err = errno;
	c->t_end = now_ns(CLOCK_MONOTONIC);
	c->rt_end = now_ns(CLOCK_REALTIME);
	c->ret = ret;
	__atomic_store_n(&c->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* The system call the thread sleeps in, as wait_blocked_in()'s @nr. */
static long call_syscall_nr(const struct call *c)
{
	switch (c->op) {
	case CALL_WRITE:
		return SYS_write;
	case CALL_READ:
		return SYS_read;
	case CALL_READV:
		return SYS_readv;
	case CALL_IOCTL:
		return SYS_ioctl;
	case CALL_FN:
		return SYS_any;
	default:
		return SYS_msgq_any;
	}
}

static bool call_running(void *arg)
{
	struct call *c = arg;

	return __atomic_load_n(&c->tid, __ATOMIC_SEQ_CST) != 0;
}

bool call_start(struct call *c)
{
	if (pthread_create(&c->th, NULL, call_thread, c))
		return false;
	return poll_until(call_running, c, 5000, 1);
}

bool call_asleep(struct call *c, int settle_ms)
{
	if (!wait_blocked_in(getpid(), c->tid, call_syscall_nr(c), 5000))
		return false;
	if (settle_ms > 0)
		sleep_ms(settle_ms);
	return !call_done(c);
}

bool call_start_blocked(struct call *c)
{
	return call_start(c) && call_asleep(c, 0);
}

bool call_done(struct call *c)
{
	return __atomic_load_n(&c->done, __ATOMIC_SEQ_CST);
}

static bool call_returned(void *arg)
{
	return call_done(arg);
}

bool call_wait(struct call *c, int ms)
{
	if (ms >= 0 && !poll_until(call_returned, c, ms, 1))
		return false;
	pthread_join(c->th, NULL);
	return true;
}

static bool call_returned_or_asleep(void *arg)
{
	struct call *c = arg;

	return call_done(c) ||
	       asleep_in(getpid(), c->tid, call_syscall_nr(c));
}

bool call_settle(struct call *c)
{
	poll_until(call_returned_or_asleep, c, 5000, 1);
	return call_done(c);
}

bool call_signal(struct call *c, int sig)
{
	int before = sig_count;

	if (pthread_kill(c->th, sig))
		return false;
	return wait_count(&sig_count, before + 1, WAKE_MS);
}

int calls_done(struct call *c, int n)
{
	int i, done = 0;

	for (i = 0; i < n; i++)
		done += call_done(&c[i]);
	return done;
}

int calls_wait(struct call *c, int n, int want, int ms)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) + (uint64_t)ms * MS;
	int done;

	while ((done = calls_done(c, n)) < want &&
	       now_ns(CLOCK_MONOTONIC) < end)
		sleep_ms(1);
	return done;
}

/* ------------------------------------------------------------------ */
/* Signals */

volatile sig_atomic_t sig_count;

static void count_signal(int sig)
{
	(void)sig;
	sig_count++;
}

int install_counter(int sig, bool restart)
{
	struct sigaction sa = { .sa_handler = count_signal };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = restart ? SA_RESTART : 0;
	sig_count = 0;
	return sigaction(sig, &sa, NULL);
}

struct count_want {
	volatile sig_atomic_t *count;
	int n;
};

static bool counted(void *arg)
{
	struct count_want *w = arg;

	return *w->count >= w->n;
}

bool wait_count(volatile sig_atomic_t *count, int n, int ms)
{
	struct count_want w = { count, n };

	return poll_until(counted, &w, ms, 1);
}

/* ------------------------------------------------------------------ */
/* Mailboxes */

long mbox_depth(int fd)
{
	struct msgq_attr a;

	if (msgq_getattr(fd, &a))
		return -1;
	return a.cur_msgs;
}

struct msgq_attr attr_of(int fd)
{
	struct msgq_attr a;

	memset(&a, 0xff, sizeof(a));
	if (msgq_getattr(fd, &a))
		memset(&a, 0xff, sizeof(a));
	return a;
}

bool fill_n(int fd, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (msgq_send(fd, &i, sizeof(i), 0))
			return false;
	return true;
}

long take_one(int fd)
{
	unsigned int v;
	struct msgq_recv r = {
		.buf = ptr_to_u64(&v), .cap = sizeof(v),
		.flags = MSGQ_F_NONBLOCK,
	};

	if (msgq_recv_args(fd, &r) != sizeof(v))
		return -1;
	return v;
}

int put_one(int fd, unsigned int v)
{
	struct msgq_send s = {
		.buf = ptr_to_u64(&v), .len = sizeof(v),
		.flags = MSGQ_F_NONBLOCK,
	};

	return msgq_send_args(fd, &s);
}

static unsigned char pattern_byte(unsigned int seed, size_t i)
{
	return (unsigned char)(seed * 131u + i * 7u + (i >> 8));
}

void fill_pattern(void *buf, size_t len, unsigned int seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pattern_byte(seed, i);
}

bool check_pattern(const void *buf, size_t len, unsigned int seed)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern_byte(seed, i))
			return false;
	return true;
}

void tmsg_make(void *m, size_t size, unsigned int num, unsigned int seed)
{
	unsigned int head[2] = { num, seed };

	memcpy(m, head, sizeof(head));
	fill_pattern((char *)m + sizeof(head), size - sizeof(head), seed);
}

bool tmsg_ok(const void *m, size_t size, unsigned int num, unsigned int seed)
{
	unsigned int head[2];

	memcpy(head, m, sizeof(head));
	return head[0] == num && head[1] == seed &&
	       check_pattern((const char *)m + sizeof(head),
			     size - sizeof(head), seed);
}

int proc_lists(const char *name)
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
/* Live counts */

const char *const counts_names[MSGQ_NCOUNTS] = {
	"mailboxes", "messages", "message_bytes", "namespaces", "quota_bytes",
	"user_names",
};

int counts_read_fd(int fd, struct msgq_counts *c)
{
	char buf[512], *line, *save;
	int found = 0;
	ssize_t n;
	size_t i;

	memset(c, 0xff, sizeof(*c));
	if (fd < 0)
		n = read_text(MSGQ_STATS_PATH, buf, sizeof(buf));
	else
		n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		for (i = 0; i < MSGQ_NCOUNTS; i++) {
			size_t klen = strlen(counts_names[i]);

			if (!strncmp(line, counts_names[i], klen) &&
			    line[klen] == ' ') {
				c->v[i] = strtoll(line + klen + 1, NULL, 10);
				found |= 1 << i;
			}
		}
	}
	return found == (1 << MSGQ_NCOUNTS) - 1 ? 0 : -1;
}

int counts_read(struct msgq_counts *c)
{
	return counts_read_fd(-1, c);
}

long long msgq_stat(const char *name)
{
	size_t klen = strlen(name);
	char buf[512], *line, *save;

	if (read_text(MSGQ_STATS_PATH, buf, sizeof(buf)) <= 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, name, klen) && line[klen] == ' ')
			return strtoll(line + klen + 1, NULL, 10);
	return -1;
}

bool counts_equal(const struct msgq_counts *a, const struct msgq_counts *b)
{
	return !memcmp(a, b, sizeof(*a));
}

void counts_str(const struct msgq_counts *c, char *buf, size_t size)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < MSGQ_NCOUNTS && off < size; i++)
		off += snprintf(buf + off, size - off, "%s%s %lld",
				i ? " " : "", counts_names[i], c->v[i]);
}

struct counts_want {
	const struct msgq_counts *want;
	struct msgq_counts *last;
};

static bool counts_reached(void *arg)
{
	struct counts_want *w = arg;

	return !counts_read(w->last) && counts_equal(w->want, w->last);
}

bool counts_wait(const struct msgq_counts *want, struct msgq_counts *last,
		 int timeout_ms)
{
	struct counts_want w = { want, last };

	return poll_until(counts_reached, &w, timeout_ms, 20);
}

/* ------------------------------------------------------------------ */
/* Module parameters */

int param_read(const char *name, char *buf, size_t size)
{
	char path[128];

	snprintf(path, sizeof(path), MSGQ_PARAM_DIR "%s", name);
	return file_read_str(path, buf, size);
}

int param_write(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), MSGQ_PARAM_DIR "%s", name);
	return file_write_str(path, val);
}

int param_write_ul(const char *name, unsigned long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lu", v);
	return param_write(name, buf);
}

long long param_get(const char *name)
{
	char buf[64];

	if (param_read(name, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 10);
}

void params_save(struct saved_param *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i].saved = !param_read(p[i].name, p[i].val, sizeof(p[i].val));
}

void params_restore(const struct saved_param *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i].saved)
			param_write(p[i].name, p[i].val);
}

/* ------------------------------------------------------------------ */
/* Capabilities */

int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return (int)syscall(SYS_capget, &h, d);
}

int caps_set(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return (int)syscall(SYS_capset, &h, d);
}

int cap_drop(int cap)
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

bool cap_effective(int cap)
{
	struct __user_cap_data_struct d[2];

	if (caps_get(d))
		return false;
	return d[cap >> 5].effective & (1u << (cap & 31));
}

/* ------------------------------------------------------------------ */
/* Credentials, and running one operation in a child */

int become(const struct who *w)
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

int run_as(const struct who *w, long (*fn)(void *arg, struct child_result *res),
	   void *arg, struct child_result *res, int timeout_ms)
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

struct child_result *child_result_alloc(void)
{
	return shared_alloc(sizeof(struct child_result));
}

/* ------------------------------------------------------------------ */
/* Memory cgroups */

#define CG_ROOT		"/sys/fs/cgroup"

const char *memcg_create(struct memcg *cg, const char *tag)
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
		 file_write_str(CG_ROOT "/cgroup.subtree_control", "+memory"))
		why = "cannot enable the memory controller";
	else if (mkdir(cg->dir, 0755))
		why = "cannot make a cgroup";
	if (why && cg->mounted)
		umount2(CG_ROOT, MNT_DETACH);
	return why;
}

void memcg_remove(struct memcg *cg)
{
	int i;

	for (i = 0; i < 50 && rmdir(cg->dir); i++)
		sleep_ms(20);
	if (cg->mounted)
		umount2(CG_ROOT, MNT_DETACH);
}

/* ------------------------------------------------------------------ */
/* Descriptors over a UNIX socket */

/* One byte, and room for one descriptor, as sendmsg/recvmsg want them. */
struct fd_msg {
	char c;
	struct iovec iov;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m;
};

static void fd_msg_init(struct fd_msg *f)
{
	memset(f, 0, sizeof(*f));
	f->c = 'F';
	f->iov.iov_base = &f->c;
	f->iov.iov_len = 1;
	f->m.msg_iov = &f->iov;
	f->m.msg_iovlen = 1;
	f->m.msg_control = f->u.buf;
	f->m.msg_controllen = sizeof(f->u.buf);
}

int fd_send(int sock, int fd)
{
	struct fd_msg f;
	struct cmsghdr *cm;

	fd_msg_init(&f);
	cm = CMSG_FIRSTHDR(&f.m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &f.m, 0) == 1 ? 0 : -1;
}

int fd_recv(int sock)
{
	struct fd_msg f;
	struct cmsghdr *cm;
	int fd;

	fd_msg_init(&f);
	if (recvmsg(sock, &f.m, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&f.m);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* ------------------------------------------------------------------ */
/* Pipes as one-shot signals between a test and its child */

int pipe_signal(int fd)
{
	char c = 'x';

	return write(fd, &c, 1) == 1 ? 0 : -1;
}

int pipe_wait(int fd, int timeout_ms)
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
