/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The test messages of bridge-load and nats-direct: a header, then bytes
 * derived from the id, so that any change on the way is seen.
 */
#ifndef MSGQ_BRIDGE_LOAD_PAYLOAD_H
#define MSGQ_BRIDGE_LOAD_PAYLOAD_H

#include <stdint.h>
#include <string.h>
#include <time.h>

#define LOAD_MAX		8000
#define LOAD_PRIOS		8
#define LOAD_SENDERS_MAX	64
#define LOAD_MAGIC		0x6d736771U

struct load_hdr {
	uint32_t magic;
	uint32_t sender;
	uint32_t prio;
	uint32_t rank;		/* among this sender's messages of this prio */
	uint64_t id;
	uint64_t send_ns;	/* CLOCK_REALTIME */
	uint32_t len;
	uint32_t sum;		/* of the bytes after the header */
};

static inline uint64_t load_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

/* 60% 64 B, 30% 512 B, 9% 2 KiB, 1% 8000 B: about 450 B on average. */
static inline uint32_t load_len(uint64_t id)
{
	uint64_t r = load_mix(id) % 100;

	return r < 60 ? 64 : r < 90 ? 512 : r < 99 ? 2048 : LOAD_MAX;
}

static inline uint32_t load_prio(uint64_t id)
{
	return (uint32_t)(load_mix(id ^ 0x5a5a) % LOAD_PRIOS);
}

static inline uint64_t load_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline void load_fill(char *buf, uint32_t len, uint64_t id,
			     uint32_t sender, uint32_t prio, uint32_t rank)
{
	struct load_hdr h = {
		.magic = LOAD_MAGIC, .sender = sender, .prio = prio,
		.rank = rank, .id = id, .len = len,
	};
	uint32_t sum = 0;

	for (uint32_t i = sizeof(h); i < len; i++) {
		buf[i] = (char)(id * 31 + i);
		sum = sum * 33 + (uint8_t)buf[i];
	}
	h.sum = sum;
	memcpy(buf, &h, sizeof(h));
}

/* 0 if @buf is an intact message of priority @prio. */
static inline int load_verify(const char *buf, uint32_t len, uint32_t prio)
{
	struct load_hdr h;
	uint32_t sum = 0;

	if (len < sizeof(h))
		return -1;
	memcpy(&h, buf, sizeof(h));
	if (h.magic != LOAD_MAGIC || h.len != len || h.prio != prio ||
	    h.prio >= LOAD_PRIOS)
		return -1;
	for (uint32_t i = sizeof(h); i < len; i++) {
		if (buf[i] != (char)(h.id * 31 + i))
			return -1;
		sum = sum * 33 + (uint8_t)buf[i];
	}
	return sum == h.sum ? 0 : -1;
}

#endif
