// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * A set of the last SEEN_MAX keys added: a ring in the order they came,
 * and an open-addressing table (twice as many slots, linear probing,
 * backward-shift deletion) to find them. Keys are 64-bit hashes, never 0;
 * two messages' ids collide with a chance of about SEEN_MAX / 2^64.
 */
#include <stdlib.h>

#include "seen.h"

#define SLOTS	(2 * (uint64_t)SEEN_MAX)
#define MASK	(SLOTS - 1)

static uint64_t home(uint64_t key)	/* splitmix64's finaliser */
{
	key ^= key >> 30;
	key *= 0xbf58476d1ce4e5b9ULL;
	key ^= key >> 27;
	key *= 0x94d049bb133111ebULL;
	return (key ^ key >> 31) & MASK;
}

int seen_init(struct seen *s)
{
	s->next = 0;
	s->ring = calloc(SEEN_MAX, sizeof(*s->ring));
	s->table = calloc(SLOTS, sizeof(*s->table));
	if (s->ring && s->table)
		return 0;
	seen_free(s);
	return -1;
}

void seen_free(struct seen *s)
{
	free(s->ring);
	free(s->table);
	s->ring = NULL;
	s->table = NULL;
}

uint64_t seen_key(const char *msg_id, uint64_t stream_seq)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	if (msg_id) {
		for (; *msg_id; msg_id++)
			h = (h ^ (unsigned char)*msg_id) * 0x100000001b3ULL;
	} else {
		h = (h ^ 0xff) * 0x100000001b3ULL;	/* apart from any id */
		for (int i = 0; i < 8; i++, stream_seq >>= 8)
			h = (h ^ (stream_seq & 0xff)) * 0x100000001b3ULL;
	}
	return h ? h : 1;
}

static uint64_t *slot_of(const struct seen *s, uint64_t key)
{
	uint64_t i = home(key);

	while (s->table[i] && s->table[i] != key)
		i = (i + 1) & MASK;
	return &s->table[i];
}

int seen_has(const struct seen *s, uint64_t key)
{
	return *slot_of(s, key) == key;
}

/* Take @key out of the table, moving back what probed past it. */
static void forget(struct seen *s, uint64_t key)
{
	uint64_t i = slot_of(s, key) - s->table, j = i;

	if (s->table[i] != key)
		return;
	for (;;) {
		s->table[i] = 0;
		for (;;) {
			uint64_t h;

			j = (j + 1) & MASK;
			if (!s->table[j])
				return;
			h = home(s->table[j]);
			/* it may fill i unless its home lies in (i, j] */
			if (i <= j ? h <= i || h > j : h <= i && h > j)
				break;
		}
		s->table[i] = s->table[j];
		i = j;
	}
}

void seen_add(struct seen *s, uint64_t key)
{
	uint64_t *slot = slot_of(s, key);

	if (*slot == key)
		return;
	if (s->ring[s->next]) {
		forget(s, s->ring[s->next]);
		slot = slot_of(s, key);	/* the table moved */
	}
	*slot = key;
	s->ring[s->next] = key;
	s->next = (s->next + 1) % SEEN_MAX;
}
