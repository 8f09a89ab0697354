// SPDX-License-Identifier: MIT
/*
 * msgq memfd_handoff: hand a large payload to another process with no copy
 * of its bytes, by passing a sealed memfd in a message.
 *
 *   producer: memfd_create() --write payload--> seal --msgq_send_fds()--+
 *                                                                        |
 *   consumer: msgq_recv_fds() <------------- "frames" mailbox <----------+
 *             check the seals, mmap() the memfd, read the payload in place
 *
 * The message carries a small header (the payload's size and checksum)
 * and the memfd; the mailbox never sees the payload, whatever its size
 * (the mailbox's max_msgsize is just the header's). The producer closes its
 * descriptor as soon as the send returns: the message holds the file. The
 * seals (F_SEAL_WRITE, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_SEAL) let the
 * consumer trust that the bytes cannot change under it.
 *
 * Exit status 0 only if every frame arrived with its payload intact: the
 * example is a test too (make check runs it in the VM).
 *
 *   memfd_handoff [MIB_PER_FRAME [FRAMES]]     (default 16 MiB, 4 frames)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <msgq.h>

#define SEALS	(F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

struct frame {
	uint64_t size;		/* bytes in the memfd */
	uint64_t sum;		/* checksum of them */
	uint32_t seq;
	uint32_t last;		/* 1 on the final frame */
};

static uint64_t checksum(const unsigned char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

/* A sealed memfd holding @size bytes of frame @seq's pattern. */
static int make_payload(size_t size, uint32_t seq, uint64_t *sum)
{
	unsigned char *p;
	size_t i;
	int fd;

	fd = memfd_create("frame", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, (off_t)size))
		return -1;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	for (i = 0; i < size; i++)
		p[i] = (unsigned char)(i * 31 + seq);
	*sum = checksum(p, size);
	munmap(p, size);
	if (fcntl(fd, F_ADD_SEALS, SEALS))
		return -1;
	return fd;
}

static int producer(const char *name, size_t size, uint32_t frames)
{
	struct frame f;
	uint32_t seq;
	int mb, fd;

	mb = msgq_open(name, MSGQ_O_SEND | MSGQ_O_CLOEXEC);
	if (mb < 0) {
		perror("producer: msgq_open");
		return 1;
	}
	for (seq = 0; seq < frames; seq++) {
		memset(&f, 0, sizeof(f));
		fd = make_payload(size, seq, &f.sum);
		if (fd < 0) {
			perror("producer: memfd");
			return 1;
		}
		f.size = size;
		f.seq = seq;
		f.last = seq == frames - 1;
		if (msgq_send_fds(mb, &f, sizeof(f), 0, &fd, 1)) {
			perror("producer: msgq_send_fds");
			return 1;
		}
		close(fd);		/* the message holds the file now */
	}
	msgq_close(mb);
	return 0;
}

/* Receive frames until the last; 0 if every one was intact. */
static int consumer(int mb)
{
	unsigned int nfds, fd_flags;
	uint32_t want = 0;
	struct frame f;
	struct stat st;
	int fd, bad = 0;
	void *p;

	for (;;) {
		nfds = 1;
		fd_flags = MSGQ_FD_CLOEXEC;
		if (msgq_recv_fds(mb, &f, sizeof(f), NULL, &fd, &nfds,
				  &fd_flags) != sizeof(f) || nfds != 1) {
			perror("consumer: msgq_recv_fds");
			return 1;
		}
		if (fcntl(fd, F_GET_SEALS) != SEALS || fstat(fd, &st) ||
		    (uint64_t)st.st_size != f.size) {
			fprintf(stderr, "frame %" PRIu32 ": not sealed, or not %" PRIu64 " bytes\n",
				f.seq, f.size);
			return 1;
		}
		p = mmap(NULL, f.size, PROT_READ, MAP_SHARED, fd, 0);
		close(fd);
		if (p == MAP_FAILED) {
			perror("consumer: mmap");
			return 1;
		}
		if (f.seq != want++ || checksum(p, f.size) != f.sum) {
			fprintf(stderr, "frame %" PRIu32 ": payload differs\n",
				f.seq);
			bad = 1;
		} else {
			printf("frame %" PRIu32 ": %" PRIu64 " MiB in place, checksum ok\n",
			       f.seq, f.size >> 20);
		}
		munmap(p, f.size);
		if (f.last)
			return bad;
	}
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 16;
	uint32_t frames = argc > 2 ? strtoul(argv[2], NULL, 10) : 4;
	char name[64];
	int mb, status, rc;
	pid_t pid;

	if (!mib || !frames) {
		fprintf(stderr, "usage: %s [MIB_PER_FRAME [FRAMES]]\n", argv[0]);
		return 2;
	}
	snprintf(name, sizeof(name), "memfd-handoff-%d", (int)getpid());
	/* Owned: the mailbox goes with this process, however it ends. */
	mb = msgq_create(name, MSGQ_O_RECV | MSGQ_O_EXCL | MSGQ_O_OWNED |
			 MSGQ_O_CLOEXEC, 0600, 2, sizeof(struct frame));
	if (mb < 0) {
		perror("msgq_create");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (!pid)
		_exit(producer(name, mib << 20, frames));
	rc = consumer(mb);
	/* The owner's close ends the mailbox: a producer still sending stops. */
	msgq_close(mb);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		rc = 1;
	printf("%s\n", rc ? "FAILED" : "all frames intact");
	return rc;
}
