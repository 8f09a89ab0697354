// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * bridge-load: the load and the no-loss check of msgq-bridge's tests
 * (scripts/guest/bridge-test.sh).
 *
 *   bridge-load send MAILBOX COUNT [SENDERS] [FIRST]
 *	SENDERS processes (default 4) send messages FIRST .. FIRST+COUNT-1
 *	between them (sender k the ids = k mod SENDERS), blocking while the
 *	mailbox is full, of mixed sizes (40 B to 8000 B) and priorities 0-7,
 *	each carrying its id, sender, priority, its rank among that
 *	sender's messages of that priority, send time and a checksum.
 *   bridge-load check MAILBOX COUNT TIMEOUT_S [MAX_DUP] [FIRST]
 *	receives until every id of FIRST .. FIRST+COUNT-1 has arrived and
 *	nothing more comes for 2 s, or TIMEOUT_S passes; prints
 *	  received=N lost=N dup=N misorder=N corrupt=N
 *	  throughput=MSG/s p50_us=N p99_us=N
 *	and exits 0 only if nothing is lost, corrupt or out of order (per
 *	sender and priority) and at most MAX_DUP (default 0) came twice.
 *	Throughput is COUNT over the first send to the last receive;
 *	latency is each message's receive time less its send time. With
 *	BRIDGE_LOAD_PACE_MS=N in the environment the reader sleeps N ms
 *	after each message: a slow reader, which keeps the mailbox full.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <msgq.h>

#include "load_payload.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int do_send(const char *mbox, uint64_t count, unsigned int senders,
		   uint64_t first)
{
	int status, bad = 0;

	for (unsigned int k = 0; k < senders; k++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid)
			continue;
		{
			char buf[LOAD_MAX];
			uint32_t rank[LOAD_PRIOS] = { 0 };
			int fd = msgq_create(mbox, MSGQ_O_SEND, 0660, 1024, 8192);

			if (fd < 0) {
				perror(mbox);
				_exit(1);
			}
			for (uint64_t id = first + k; id < first + count;
			     id += senders) {
				struct load_hdr *h = (struct load_hdr *)buf;
				uint32_t len = load_len(id);
				uint32_t prio = load_prio(id);

				load_fill(buf, len, id, k, prio, rank[prio]++);
				h->send_ns = load_now();
				if (msgq_send(fd, buf, len, prio)) {
					perror("msgq_send");
					_exit(1);
				}
			}
			_exit(0);
		}
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			bad = 1;
	return bad;
}

static int do_check(const char *mbox, uint64_t count, unsigned int timeout_s,
		    uint64_t max_dup, uint64_t first)
{
	uint8_t *seen = calloc(count, 1);
	uint64_t *lat = calloc(count, sizeof(*lat));
	int64_t last_rank[LOAD_SENDERS_MAX][LOAD_PRIOS];
	uint64_t got = 0, dup = 0, misorder = 0, corrupt = 0, nlat = 0;
	uint64_t t_first = UINT64_MAX, t_last = 0, deadline, quiet_until = 0;
	char buf[LOAD_MAX + 64];
	const char *pace = getenv("BRIDGE_LOAD_PACE_MS");
	struct timespec pause = { 0, pace ? atol(pace) * 1000000L : 0 };
	int fd;

	if (!seen || !lat)
		return 1;
	memset(last_rank, 0xff, sizeof(last_rank));
	fd = msgq_create(mbox, MSGQ_O_RECV, 0660, 1024, 8192);
	if (fd < 0) {
		perror(mbox);
		return 1;
	}
	deadline = load_now() + (uint64_t)timeout_s * 1000000000ULL;
	for (;;) {
		struct msgq_recv a = { 0 };
		struct load_hdr *h = (struct load_hdr *)buf;
		uint64_t now, i;
		int r;

		a.buf = (uintptr_t)buf;
		a.cap = sizeof(buf);
		a.flags = MSGQ_F_TIMEOUT;
		a.timeout.tv_nsec = 200000000;
		r = msgq_recv_args(fd, &a) < 0 ? -errno : 0;
		now = load_now();
		if (r == -ETIMEDOUT) {
			if (now > deadline || (got == count && now > quiet_until))
				break;
			continue;
		}
		if (r) {
			fprintf(stderr, "msgq_recv: %s\n", strerror(-r));
			return 1;
		}
		if (pause.tv_nsec)
			nanosleep(&pause, NULL);
		if (load_verify(buf, a.len, a.prio)) {
			corrupt++;
			continue;
		}
		i = h->id - first;
		if (h->id < first || i >= count || h->sender >= LOAD_SENDERS_MAX) {
			corrupt++;
			continue;
		}
		if (seen[i]) {
			dup++;
			continue;
		}
		seen[i] = 1;
		got++;
		if ((int64_t)h->rank <= last_rank[h->sender][h->prio]) {
			if (misorder < 5)
				fprintf(stderr, "misorder: sender %u prio %u rank %u after %lld\n",
					h->sender, h->prio, h->rank,
					(long long)last_rank[h->sender][h->prio]);
			misorder++;
		}
		last_rank[h->sender][h->prio] = h->rank;
		if (h->send_ns < t_first)
			t_first = h->send_ns;
		t_last = now;
		lat[nlat++] = now > h->send_ns ? now - h->send_ns : 0;
		if (got == count)
			quiet_until = now + 2000000000ULL;
	}
	qsort(lat, nlat, sizeof(*lat), cmp_u64);
	printf("received=%llu lost=%llu dup=%llu misorder=%llu corrupt=%llu\n",
	       (unsigned long long)got, (unsigned long long)(count - got),
	       (unsigned long long)dup, (unsigned long long)misorder,
	       (unsigned long long)corrupt);
	if (nlat)
		printf("throughput=%.0f p50_us=%llu p99_us=%llu\n",
		       t_last > t_first ? nlat * 1e9 / (t_last - t_first) : 0.0,
		       (unsigned long long)lat[nlat / 2] / 1000,
		       (unsigned long long)lat[nlat * 99 / 100] / 1000);
	return got != count || misorder || corrupt || dup > max_dup;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "send"))
		return do_send(argv[2], strtoull(argv[3], NULL, 10),
			       argc > 4 ? atoi(argv[4]) : 4,
			       argc > 5 ? strtoull(argv[5], NULL, 10) : 0);
	if (argc >= 5 && !strcmp(argv[1], "check"))
		return do_check(argv[2], strtoull(argv[3], NULL, 10),
				atoi(argv[4]),
				argc > 5 ? strtoull(argv[5], NULL, 10) : 0,
				argc > 6 ? strtoull(argv[6], NULL, 10) : 0);
	fprintf(stderr, "usage: bridge-load send MAILBOX COUNT [SENDERS] [FIRST]\n"
		"       bridge-load check MAILBOX COUNT TIMEOUT_S [MAX_DUP] [FIRST]\n");
	return 2;
}
