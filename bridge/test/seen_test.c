// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * seen-test: bridge/seen.c against plain lists of what was added.
 *  1. a steady stream, one key a millisecond (random keys, stream
 *     sequences, ids, and repeats of recent keys) for 4 * SEEN_KEEP_MS:
 *     after each add, the key added SEEN_KEEP_MS - 1 ms before is there
 *     and the one SEEN_KEEP_MS before is not;
 *  2. a burst of 3 * SEEN_MIN + 5 keys in one millisecond: the set grows,
 *     all are there;
 *  3. SEEN_LIMIT + 10 keys in one millisecond: the 10 oldest are
 *     forgotten early, and counted so;
 * and after each, the table holds exactly the ring's keys.
 * Exit 0 when all holds; "seen-test: ..." and exit 1 at the first miss.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../seen.h"

static uint64_t rnd(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

static int fail(const char *what, uint64_t n)
{
	fprintf(stderr, "seen-test: %s (%llu)\n", what, (unsigned long long)n);
	return 1;
}

static int table_matches(const struct seen *s)
{
	uint64_t in_table = 0;

	for (uint64_t i = 0; i < 2 * (uint64_t)s->size; i++)
		in_table += s->table[i] != 0;
	if (in_table != s->count)
		return fail("keys in the table, not as many as in the ring",
			    in_table);
	for (uint32_t i = 0; i < s->count; i++)
		if (!seen_has(s, s->ring[(s->head + i) % s->size].key))
			return fail("a key of the ring not in the table", i);
	return 0;
}

#define STEADY	(4 * SEEN_KEEP_MS)

static int steady(struct seen *s)
{
	static uint64_t at[STEADY + 1];	/* at[t]: the key added at t ms */
	char id[64];

	for (int64_t t = 1; t <= STEADY; t++) {
		uint64_t key;

		switch (t % 4) {
		case 0: key = rnd() | 1; break;
		case 1: key = seen_key(NULL, (uint64_t)t); break;
		case 2:
			snprintf(id, sizeof(id), "hostA:orders:1796:%lld",
				 (long long)t);
			key = seen_key(id, 0);
			break;
		default:	/* a recent key again: changes nothing */
			key = at[t - 1 - rnd() % (t < 100 ? t - 1 : 100)];
			if (key && !seen_has(s, key))
				return fail("a recent key lost", t);
			at[t] = 0;
			if (key)
				seen_add(s, key, t);
			continue;
		}
		if (seen_has(s, key)) {	/* a collision: not a new key */
			at[t] = 0;
			continue;
		}
		seen_add(s, key, t);
		at[t] = key;
		if (!seen_has(s, key))
			return fail("the key just added is not there", t);
		if (t > SEEN_KEEP_MS && at[t - SEEN_KEEP_MS + 1] &&
		    !seen_has(s, at[t - SEEN_KEEP_MS + 1]))
			return fail("a key younger than SEEN_KEEP_MS lost", t);
		if (t > SEEN_KEEP_MS && at[t - SEEN_KEEP_MS] &&
		    seen_has(s, at[t - SEEN_KEEP_MS]))
			return fail("a key of SEEN_KEEP_MS ago kept", t);
	}
	return table_matches(s);
}

static int burst(struct seen *s, uint32_t n, int64_t t, uint64_t early)
{
	uint64_t *keys = calloc(n, sizeof(*keys));
	int ret = 0;

	if (!keys)
		return fail("out of memory", n);
	seen_clear(s);
	s->forgotten_early = 0;
	for (uint32_t i = 0; i < n; i++) {
		keys[i] = rnd() | 1;
		seen_add(s, keys[i], t);
	}
	for (uint32_t i = 0; i < n && !ret; i++)
		if (seen_has(s, keys[i]) != (i >= early))
			ret = fail(i < early ? "a key kept past SEEN_LIMIT" :
				   "a key of the burst lost", i);
	if (!ret && s->forgotten_early != early)
		ret = fail("forgotten early, counted", s->forgotten_early);
	free(keys);
	return ret ? ret : table_matches(s);
}

int main(void)
{
	struct seen s;

	if (seen_init(&s))
		return 1;
	if (steady(&s) ||
	    burst(&s, 3 * SEEN_MIN + 5, STEADY + 1, 0) ||
	    burst(&s, SEEN_LIMIT + 10, STEADY + 2, 10))
		return 1;
	seen_free(&s);
	printf("seen-test: keys kept %d ms, no longer; the set grew to %u; past it the oldest forgotten, counted\n",
	       SEEN_KEEP_MS, SEEN_LIMIT);
	return 0;
}
