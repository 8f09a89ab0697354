// SPDX-License-Identifier: GPL-2.0
/*
 * msgq-bench: a pipe with length-prefixed framing: a 32-bit length, then
 * the payload, in one writev(). Holding c->cap x c->size bytes (rounded up
 * to a power of two pages, best effort). A message is two reads, so
 * several readers of one pipe take sh->rlock (MECH_READ_LOCK).
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

static size_t pow2_pages(size_t n)
{
	size_t p = 4096;

	while (p < n)
		p <<= 1;
	return p;
}

static int pipe_open(struct chan *c, const char *name)
{
	int p[2];

	(void)name;
	if (pipe2(p, O_CLOEXEC))
		return -1;
	c->rfd = p[0];
	c->sfd = p[1];
	/* best effort: unprivileged, it may exceed pipe-max-size */
	fcntl(c->sfd, F_SETPIPE_SZ, (int)pow2_pages(c->cap * c->size));
	return 0;
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

static int pipe_send(struct ep *e, int i, size_t len, unsigned int prio)
{
	uint32_t l = (uint32_t)len;
	struct iovec iov[2] = {
		{ &l, sizeof(l) }, { e->pl[i], len },
	};

	(void)prio;
	return writev(e->c->sfd, iov, 2) == (ssize_t)(len + sizeof(l)) ?
	       0 : -1;
}

static ssize_t pipe_recv(struct ep *e, int i)
{
	struct chan *c = e->c;
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

const struct mech mech_pipe = {
	.name = "pipe", .short_name = "pipe",
	.kinds = KINDS_STREAM, .flags = MECH_READ_LOCK,
	.open = pipe_open, .close = chan_close_fds,
	.send = pipe_send, .recv = pipe_recv,
};
