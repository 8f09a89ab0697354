/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The export spool: a file in the state directory (tmpfs: /run), mapped
 * MAP_SHARED, in which the kernel itself writes each message received from
 * the exported mailbox. See spool.c for why no message can be lost.
 */
#ifndef MSGQ_BRIDGE_SPOOL_H
#define MSGQ_BRIDGE_SPOOL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/msgq.h>

#define SPOOL_MAGIC	"MSGQSPL1"
#define SPOOL_HDR_SIZE	4096

enum { SLOT_FREE = 0, SLOT_ARMED = 1 };

struct spool_hdr {
	char magic[8];
	uint32_t slots;
	uint32_t slot_size;	/* bytes per slot, struct spool_slot included */
	uint64_t epoch;		/* creation time (ns): part of every Msg-Id */
	uint64_t next_seq;	/* the sequence of the next message received */
};

/*
 * One slot: ARMED from just before the receive until JetStream has acked
 * the message. An ARMED slot holds a message iff args.sent_ns != 0 (the
 * kernel wrote it; the bridge zeroes it before the receive).
 */
struct spool_slot {
	_Atomic uint64_t state;
	uint64_t seq;
	struct msgq_recv args;
	/* payload follows, aligned to 64 bytes */
};

#define SLOT_PAYLOAD_OFF	((sizeof(struct spool_slot) + 63) & ~(size_t)63)

struct spool {
	struct spool_hdr *hdr;
	size_t len;
	uint32_t slots, slot_size, cap;
};

int spool_open(struct spool *sp, const char *path, uint32_t slots,
	       uint32_t max_msgsize);
void spool_close(struct spool *sp);
int spool_resize(struct spool *sp, const char *path, uint32_t slots,
		 uint32_t max_msgsize);

static inline struct spool_slot *spool_slot(const struct spool *sp,
					    uint64_t seq)
{
	return (struct spool_slot *)((char *)sp->hdr + SPOOL_HDR_SIZE +
		(size_t)(seq % sp->slots) * sp->slot_size);
}

static inline char *slot_payload(struct spool_slot *s)
{
	return (char *)s + SLOT_PAYLOAD_OFF;
}

static inline int slot_holds_msg(const struct spool_slot *s)
{
	return atomic_load(&s->state) == SLOT_ARMED && s->args.sent_ns != 0;
}

#endif /* MSGQ_BRIDGE_SPOOL_H */
