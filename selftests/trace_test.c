// SPDX-License-Identifier: GPL-2.0
/*
 * msgq's tracepoints (events/msgq/ in tracefs): a workload with every
 * event, traced into a tracefs instance of its own, and each event's
 * fields checked: create, open, send and receive (priority order, depth,
 * sender), a wait that times out, unlink, and the death of an owned
 * mailbox. The format file shows the name as a string a filter can match.
 */
#include "msgq_test.h"

#include <sys/mount.h>

#define TRACEFS		"/sys/kernel/tracing"

/* Write @val to @dir/@file; false on error. */
static bool put(const char *dir, const char *file, const char *val)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val);
}

/* @dir/@file, whole, in a malloc'ed string; NULL on error. */
static char *slurp(const char *dir, const char *file)
{
	size_t len = 0, cap = 1 << 16;
	char path[256], *buf = malloc(cap);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/*
 * The @nth (from 0) line of @trace with event "@event:" and "name=@name ",
 * copied to @out; false if there is none.
 */
static bool event_line(const char *trace, const char *event, const char *name,
		       int nth, char *out, size_t size)
{
	char ev[64], nm[300];
	const char *p = trace, *end;

	snprintf(ev, sizeof(ev), " %s: ", event);
	snprintf(nm, sizeof(nm), "name=%s ", name);
	while ((p = strstr(p, ev))) {
		end = strchr(p, '\n');
		if (!end)
			end = p + strlen(p);
		if (memmem(p, (size_t)(end - p), nm, strlen(nm)) && !nth--) {
			snprintf(out, size, "%.*s ", (int)(end - p), p);
			return true;
		}
		p = end;
	}
	return false;
}

/* Does @line carry "@field=@val"? */
static bool has(const char *line, const char *field, const char *val)
{
	char want[128];

	snprintf(want, sizeof(want), " %s=%s ", field, val);
	return strstr(line, want);
}

TEST_F(msgq, every_event_and_its_fields)
{
	char inst[128], line[512], pid[16], *trace, *format;
	unsigned int prios[3] = { 1, 5, 2 }, got_prio[3], v, i;
	struct msgq_recv r;
	struct msgq_send s;
	struct stat st;
	int owned;

	if (stat(TRACEFS "/events", &st) &&
	    mount("nodev", TRACEFS, "tracefs", 0, NULL))
		SKIP(return, "no tracefs at %s: %s", TRACEFS, strerror(errno));
	ASSERT_EQ(0, stat(TRACEFS "/events/msgq", &st))
		TH_LOG("tracefs has no msgq events");
	format = slurp(TRACEFS "/events/msgq/msgq_send", "format");
	ASSERT_NE(NULL, format);
	ASSERT_NE(NULL, strstr(format, "__data_loc char[] name;"))
		TH_LOG("format: %s", format);
	free(format);

	snprintf(inst, sizeof(inst), TRACEFS "/instances/msgqt-%d", getpid());
	ASSERT_EQ(0, mkdir(inst, 0700)) TH_LOG("mkdir %s: %s", inst,
					       strerror(errno));
	ASSERT_TRUE(put(inst, "events/msgq/enable", "1"));

	/* The workload. */
	MBOX_CREATE(4, 64);
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_RDWR);
	ASSERT_LE(0, self->fd2);
	for (i = 0; i < 3; i++) {
		memset(&s, 0, sizeof(s));
		v = 100 + i;
		s.buf = ptr_to_u64(&v);
		s.len = sizeof(v) + i;	/* 4, 5, 6 bytes */
		s.prio = prios[i];
		ASSERT_EQ(0, msgq_send_args(self->fd, &s));
	}
	for (i = 0; i < 3; i++) {
		char buf[16];

		memset(&r, 0, sizeof(r));
		r.buf = ptr_to_u64(buf);
		r.cap = sizeof(buf);
		ASSERT_LE(0, msgq_recv_args(self->fd2, &r));
		got_prio[i] = r.prio;
	}
	ASSERT_EQ(5U, got_prio[0]);
	memset(&r, 0, sizeof(r));
	r.buf = ptr_to_u64(&v);
	r.cap = sizeof(v);
	r.flags = MSGQ_F_TIMEOUT;
	r.timeout.tv_nsec = 20 * 1000000L;
	ASSERT_ERRNO(ETIMEDOUT, msgq_recv_args(self->fd, &r));
	ASSERT_EQ(0, msgq_unlink_at(self->dev, self->name));
	owned = msgq_create_at(self->dev, self->name2,
			       MSGQ_O_RDWR | MSGQ_O_OWNED, 0600, 2, 8);
	ASSERT_LE(0, owned);
	close(owned);

	ASSERT_TRUE(put(inst, "events/msgq/enable", "0"));
	trace = slurp(inst, "trace");
	ASSERT_NE(NULL, trace);
	snprintf(pid, sizeof(pid), "%d", getpid());

	ASSERT_TRUE(event_line(trace, "msgq_create", self->name, 0, line,
			       sizeof(line))) TH_LOG("trace:\n%s", trace);
	ASSERT_TRUE(has(line, "max_msgs", "4") &&
		    has(line, "max_msgsize", "64") && has(line, "owned", "0"))
		TH_LOG("%s", line);
	ASSERT_TRUE(event_line(trace, "msgq_open", self->name, 0, line,
			       sizeof(line)));
	for (i = 0; i < 3; i++) {
		char want[16];

		ASSERT_TRUE(event_line(trace, "msgq_send", self->name, i, line,
				       sizeof(line)));
		snprintf(want, sizeof(want), "%u", prios[i]);
		ASSERT_TRUE(has(line, "prio", want)) TH_LOG("%s", line);
		snprintf(want, sizeof(want), "%u", 4 + i);
		ASSERT_TRUE(has(line, "len", want)) TH_LOG("%s", line);
		snprintf(want, sizeof(want), "%u", i + 1);
		ASSERT_TRUE(has(line, "depth", want)) TH_LOG("%s", line);
		ASSERT_TRUE(has(line, "sender", pid)) TH_LOG("%s", line);
	}
	for (i = 0; i < 3; i++) {
		char want[16];

		ASSERT_TRUE(event_line(trace, "msgq_recv", self->name, i, line,
				       sizeof(line)));
		snprintf(want, sizeof(want), "%u", got_prio[i]);
		ASSERT_TRUE(has(line, "prio", want)) TH_LOG("%s", line);
		snprintf(want, sizeof(want), "%u", 2 - i);
		ASSERT_TRUE(has(line, "depth", want)) TH_LOG("%s", line);
	}
	ASSERT_TRUE(event_line(trace, "msgq_wait_begin", self->name, 0, line,
			       sizeof(line)));
	ASSERT_TRUE(has(line, "for", "message")) TH_LOG("%s", line);
	ASSERT_TRUE(event_line(trace, "msgq_wait_end", self->name, 0, line,
			       sizeof(line)));
	ASSERT_TRUE(has(line, "err", "-110")) TH_LOG("%s", line);
	ASSERT_TRUE(event_line(trace, "msgq_unlink", self->name, 0, line,
			       sizeof(line)));
	ASSERT_TRUE(event_line(trace, "msgq_create", self->name2, 0, line,
			       sizeof(line)));
	ASSERT_TRUE(has(line, "owned", "1")) TH_LOG("%s", line);
	ASSERT_TRUE(event_line(trace, "msgq_kill", self->name2, 0, line,
			       sizeof(line)));
	free(trace);
	ASSERT_EQ(0, rmdir(inst));
}

TEST_HARNESS_MAIN
