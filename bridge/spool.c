// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The export spool.
 *
 * Why no message is lost: the bridge receives each message with
 * MSGQ_IOC_RECV whose struct msgq_recv and buffer both live in a slot of
 * this MAP_SHARED file. The kernel dequeues a message only after it has
 * written its payload and then the struct (module/handle.c,
 * deliver_recv_ioctl(): a fault on either leaves the message first in
 * line), and a process killed by SIGKILL finishes the ioctl it is in. So
 * from the instant the message leaves the mailbox it is in the file's
 * pages, which outlive the process: a slot stays ARMED until JetStream has
 * acked its message, and the next bridge republishes every ARMED slot that
 * holds one, with the same Nats-Msg-Id (host, mailbox, this spool's epoch,
 * the slot's sequence), which JetStream's duplicate window drops if the
 * first publish had landed. The file lives in /run (tmpfs): it survives
 * the bridge, not a reboot, as the mailbox itself. The bridge need not be
 * the mailbox's only receiver.
 *
 * The pages are all written once at creation, so that the receive never
 * faults one in.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"
#include "spool.h"

static uint32_t slot_size_for(uint32_t max_msgsize)
{
	return (uint32_t)((SLOT_PAYLOAD_OFF + max_msgsize + 63) & ~(size_t)63);
}

static int map_fd(struct spool *sp, int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -1;
	sp->hdr = p;
	sp->len = len;
	sp->slots = sp->hdr->slots;
	sp->slot_size = sp->hdr->slot_size;
	sp->cap = sp->slot_size - SLOT_PAYLOAD_OFF;
	return 0;
}

static int create(struct spool *sp, const char *path, uint32_t slots,
		  uint32_t max_msgsize)
{
	char tmp[BRIDGE_PATH_MAX + 8];
	uint32_t ssz = slot_size_for(max_msgsize);
	size_t len = SPOOL_HDR_SIZE + (size_t)slots * ssz;
	struct spool_hdr h = { .slots = slots, .slot_size = ssz };
	struct timespec ts;
	int fd, err;

	memcpy(h.magic, SPOOL_MAGIC, 8);
	clock_gettime(CLOCK_REALTIME, &ts);
	h.epoch = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	/*
	 * The blocks, reserved now: on a full tmpfs a page first touched
	 * through the mapping would be SIGBUS, not ENOSPC.
	 */
	err = posix_fallocate(fd, 0, len);
	if (err) {
		errno = err;
		goto err_close;
	}
	if (map_fd(sp, fd, len))
		goto err_close;
	memset(sp->hdr, 0, len);	/* every page in, once */
	memcpy(sp->hdr, &h, sizeof(h));
	sp->slots = slots;
	sp->slot_size = ssz;
	sp->cap = ssz - SLOT_PAYLOAD_OFF;
	if (rename(tmp, path))
		goto err_unmap;
	close(fd);
	return 0;

err_unmap:
	munmap(sp->hdr, len);
	sp->hdr = NULL;
err_close:
	err = errno;
	close(fd);
	unlink(tmp);
	errno = err;
	return -1;
}

/*
 * Open the spool at @path as it is (its geometry may differ from the one
 * asked: its messages are republished first), or create it.
 */
int spool_open(struct spool *sp, const char *path, uint32_t slots,
	       uint32_t max_msgsize)
{
	struct spool_hdr h;
	struct stat st;
	int fd, err;

	memset(sp, 0, sizeof(*sp));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			return -1;
		return create(sp, path, slots, max_msgsize);
	}
	if (fstat(fd, &st) || pread(fd, &h, sizeof(h), 0) != sizeof(h) ||
	    memcmp(h.magic, SPOOL_MAGIC, 8) || !h.slots ||
	    h.slot_size <= SLOT_PAYLOAD_OFF ||
	    (size_t)st.st_size != SPOOL_HDR_SIZE + (size_t)h.slots * h.slot_size) {
		close(fd);
		blog(LOG_LVL_WARN, "%s: not a spool, replaced", path);
		return create(sp, path, slots, max_msgsize);
	}
	if (map_fd(sp, fd, st.st_size)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	close(fd);
	return 0;
}

/* Once the spool holds no message: give it the wanted geometry. */
int spool_resize(struct spool *sp, const char *path, uint32_t slots,
		 uint32_t max_msgsize)
{
	if (sp->slots == slots && sp->slot_size == slot_size_for(max_msgsize))
		return 0;
	spool_close(sp);
	return create(sp, path, slots, max_msgsize);
}

void spool_close(struct spool *sp)
{
	if (sp->hdr)
		munmap(sp->hdr, sp->len);
	sp->hdr = NULL;
}
