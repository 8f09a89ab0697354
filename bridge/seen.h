/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The messages an import route has sent into its mailbox, remembered by
 * key (seen.c): the last SEEN_MAX of them, so that a copy JetStream
 * delivers again (its ack lost with a node, or stored twice by the
 * stream) is acked without being sent a second time.
 */
#ifndef MSGQ_BRIDGE_SEEN_H
#define MSGQ_BRIDGE_SEEN_H

#include <stdint.h>

#define SEEN_MAX	(1U << 16)

struct seen {
	uint64_t *ring;		/* the last SEEN_MAX keys; [next] the oldest */
	uint64_t *table;	/* the same keys, linear probing; 0: empty */
	unsigned int next;
};

int seen_init(struct seen *s);
void seen_free(struct seen *s);
/* A message's key: of its Nats-Msg-Id, else of its stream sequence. */
uint64_t seen_key(const char *msg_id, uint64_t stream_seq);
int seen_has(const struct seen *s, uint64_t key);
/* Remember @key, forgetting the oldest once SEEN_MAX are remembered. */
void seen_add(struct seen *s, uint64_t key);

#endif /* MSGQ_BRIDGE_SEEN_H */
