/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The messages an import route has sent into its mailbox, remembered by
 * key (seen.c) for SEEN_KEEP_MS after their send, so that a copy JetStream
 * delivers again (its ack lost with a node: one ack wait later, or the
 * stream's failover) is acked without being sent a second time. The set
 * grows with the rate; past SEEN_LIMIT keys it forgets the oldest early,
 * and says so.
 */
#ifndef MSGQ_BRIDGE_SEEN_H
#define MSGQ_BRIDGE_SEEN_H

#include <stdint.h>

#define SEEN_KEEP_MS	60000		/* six times the import's ack wait */
#define SEEN_MIN	(1U << 12)
#define SEEN_LIMIT	(1U << 22)	/* 70000 messages a second, 128 MiB */

struct seen_entry {
	uint64_t key;
	int64_t at_ms;
};

struct seen {
	struct seen_entry *ring;	/* in the order added; [head] the oldest */
	uint64_t *table;		/* the same keys, 2 * size slots; 0: empty */
	uint32_t size, head, count;
	uint64_t forgotten_early;	/* keys dropped before SEEN_KEEP_MS */
};

int seen_init(struct seen *s);
void seen_free(struct seen *s);
void seen_clear(struct seen *s);
/* A message's key: of its Nats-Msg-Id, else of its stream sequence. */
uint64_t seen_key(const char *msg_id, uint64_t stream_seq);
int seen_has(const struct seen *s, uint64_t key);
/* Remember @key as added at @now_ms (monotonic, never decreasing). */
void seen_add(struct seen *s, uint64_t key, int64_t now_ms);

#endif /* MSGQ_BRIDGE_SEEN_H */
