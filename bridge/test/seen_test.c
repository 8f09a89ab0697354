// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * seen-test: bridge/seen.c against a plain list of the last SEEN_MAX keys
 * added. Adds 4 * SEEN_MAX keys (random ones, stream sequences, ids, and
 * repeats of recent keys), checking after each add that the newest key is
 * there, that the key SEEN_MAX adds back is, and that the one before it is
 * not; then every key of the list, and that the table holds exactly them.
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

#define N	(4 * SEEN_MAX)

int main(void)
{
	static uint64_t added[N];	/* distinct keys, in order */
	struct seen s;
	unsigned int n = 0, in_table = 0;
	char id[64];

	if (seen_init(&s))
		return 1;
	for (unsigned int i = 0; n < N; i++) {
		uint64_t key;

		switch (i % 4) {
		case 0: key = rnd() | 1; break;
		case 1: key = seen_key(NULL, i); break;
		case 2:
			snprintf(id, sizeof(id), "hostA:orders:1796:%u", i);
			key = seen_key(id, 0);
			break;
		default:	/* a recent key again: no change */
			key = n ? added[n - 1 - rnd() % (n < 100 ? n : 100)] : 1;
			if (n && !seen_has(&s, key)) {
				fprintf(stderr, "seen-test: recent key lost\n");
				return 1;
			}
			seen_add(&s, key);
			continue;
		}
		if (seen_has(&s, key))
			continue;	/* a collision: not a new key */
		seen_add(&s, key);
		added[n++] = key;
		if (!seen_has(&s, key) ||
		    (n >= SEEN_MAX && !seen_has(&s, added[n - SEEN_MAX])) ||
		    (n > SEEN_MAX && seen_has(&s, added[n - SEEN_MAX - 1]))) {
			fprintf(stderr, "seen-test: wrong after %u keys\n", n);
			return 1;
		}
	}
	for (unsigned int i = n - SEEN_MAX; i < n; i++)
		if (!seen_has(&s, added[i])) {
			fprintf(stderr, "seen-test: key %u of %u lost\n", i, n);
			return 1;
		}
	for (uint64_t i = 0; i < 2 * (uint64_t)SEEN_MAX; i++)
		in_table += s.table[i] != 0;
	if (in_table != SEEN_MAX) {
		fprintf(stderr, "seen-test: %u keys in the table, not %u\n",
			in_table, SEEN_MAX);
		return 1;
	}
	seen_free(&s);
	printf("seen-test: %u keys, the last %u remembered, no other\n", n,
	       SEEN_MAX);
	return 0;
}
