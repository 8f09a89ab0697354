// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * A set of the keys added in the last SEEN_KEEP_MS: a ring in the order
 * they came, with their time, and an open-addressing table (twice the
 * ring's slots, linear probing, backward-shift deletion) to find them.
 * Keys older than SEEN_KEEP_MS leave as new ones come; a ring full of
 * younger keys doubles, up to SEEN_LIMIT, past which the oldest leaves
 * early (counted). Keys are 64-bit hashes, never 0: two ids collide with
 * a chance of about the set's size over 2^64.
 */
#include <stdlib.h>
#include <string.h>

#include "seen.h"

static uint64_t home(uint64_t key, uint32_t size)	/* splitmix64 */
{
	key ^= key >> 30;
	key *= 0xbf58476d1ce4e5b9ULL;
	key ^= key >> 27;
	key *= 0x94d049bb133111ebULL;
	return (key ^ key >> 31) & (2 * (uint64_t)size - 1);
}

static int alloc(struct seen *s, uint32_t size)
{
	s->ring = calloc(size, sizeof(*s->ring));
	s->table = calloc(2 * (size_t)size, sizeof(*s->table));
	s->size = size;
	s->head = 0;
	s->count = 0;
	if (s->ring && s->table)
		return 0;
	seen_free(s);
	return -1;
}

int seen_init(struct seen *s)
{
	s->forgotten_early = 0;
	return alloc(s, SEEN_MIN);
}

void seen_free(struct seen *s)
{
	free(s->ring);
	free(s->table);
	s->ring = NULL;
	s->table = NULL;
}

void seen_clear(struct seen *s)
{
	memset(s->table, 0, 2 * (size_t)s->size * sizeof(*s->table));
	s->head = 0;
	s->count = 0;
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
	uint64_t mask = 2 * (uint64_t)s->size - 1, i = home(key, s->size);

	while (s->table[i] && s->table[i] != key)
		i = (i + 1) & mask;
	return &s->table[i];
}

int seen_has(const struct seen *s, uint64_t key)
{
	return *slot_of(s, key) == key;
}

/* Take @key out of the table, moving back what probed past it. */
static void forget(struct seen *s, uint64_t key)
{
	uint64_t mask = 2 * (uint64_t)s->size - 1;
	uint64_t i = slot_of(s, key) - s->table, j = i;

	if (s->table[i] != key)
		return;
	for (;;) {
		s->table[i] = 0;
		for (;;) {
			uint64_t h;

			j = (j + 1) & mask;
			if (!s->table[j])
				return;
			h = home(s->table[j], s->size);
			/* it may fill i unless its home lies in (i, j] */
			if (i <= j ? h <= i || h > j : h <= i && h > j)
				break;
		}
		s->table[i] = s->table[j];
		i = j;
	}
}

static void drop_oldest(struct seen *s)
{
	forget(s, s->ring[s->head].key);
	s->head = (s->head + 1) % s->size;
	s->count--;
}

/* Twice the room, the same keys in the same order; -1 if out of memory. */
static int grow(struct seen *s)
{
	struct seen old = *s;

	if (alloc(s, old.size * 2)) {
		*s = old;
		return -1;
	}
	s->forgotten_early = old.forgotten_early;
	for (uint32_t i = 0; i < old.count; i++) {
		struct seen_entry *e = &old.ring[(old.head + i) % old.size];

		*slot_of(s, e->key) = e->key;
		s->ring[s->count++] = *e;
	}
	seen_free(&old);
	return 0;
}

void seen_add(struct seen *s, uint64_t key, int64_t now_ms)
{
	uint64_t *slot;

	if (seen_has(s, key))
		return;
	while (s->count && s->ring[s->head].at_ms <= now_ms - SEEN_KEEP_MS)
		drop_oldest(s);
	if (s->count == s->size &&
	    (s->size >= SEEN_LIMIT || grow(s))) {
		drop_oldest(s);
		s->forgotten_early++;
	}
	slot = slot_of(s, key);
	*slot = key;
	s->ring[(s->head + s->count) % s->size] =
		(struct seen_entry){ .key = key, .at_ms = now_ms };
	s->count++;
}
