// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * nats-direct: the floor of msgq-bridge's benchmark. The same messages as
 * bridge-load (load_payload.h) published asynchronously to a JetStream
 * subject with the NATS C client (window 256) and consumed by a durable
 * consumer (at most 256 unacked, ack each: what msgq-bridge's import does,
 * bridge/import.c), the two in one process:
 *
 *   nats-direct URL[,URL...] SUBJECT COUNT
 *
 * prints "throughput=MSG/s p50_us=N p99_us=N" as bridge-load check:
 * COUNT over the first publish to the last message consumed, latency each
 * message's consume time less its publish time. The stream holding
 * SUBJECT must exist; with STREAM it is made if missing (R3, file).
 *
 *   nats-direct URL[,URL...] SUBJECT COUNT [STREAM]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <nats/nats.h>

#include "load_payload.h"

static jsCtx *js;
static const char *subject;
static uint64_t count;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void *publisher(void *arg)
{
	char buf[LOAD_MAX];
	uint32_t rank[LOAD_PRIOS] = { 0 };
	jsPubOptions po;

	(void)arg;
	for (uint64_t id = 0; id < count; id++) {
		uint32_t len = load_len(id), prio = load_prio(id);
		natsStatus st;

		load_fill(buf, len, id, 0, prio, rank[prio]++);
		((struct load_hdr *)buf)->send_ns = load_now();
		jsPubOptions_Init(&po);
		po.MaxWait = 10000;
		do
			st = js_PublishAsync(js, subject, buf, len, &po);
		while (st == NATS_TIMEOUT);	/* window full: stalled */
		if (st != NATS_OK) {
			fprintf(stderr, "publish: %s\n", natsStatus_GetText(st));
			exit(1);
		}
	}
	jsPubOptions_Init(&po);
	po.MaxWait = 60000;
	js_PublishAsyncComplete(js, &po);
	return NULL;
}

int main(int argc, char **argv)
{
	natsConnection *nc = NULL;
	natsSubscription *sub = NULL;
	natsOptions *o = NULL;
	jsOptions jo;
	jsSubOptions so;
	jsErrCode jerr = 0;
	uint64_t *lat, got = 0, t_first = UINT64_MAX, t_last = 0;
	const char *urls[16];
	char *list, *save = NULL;
	int nurls = 0;
	pthread_t t;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: nats-direct URL[,URL...] SUBJECT COUNT [STREAM]\n");
		return 2;
	}
	list = strdup(argv[1]);
	for (char *u = strtok_r(list, ",", &save); u && nurls < 16;
	     u = strtok_r(NULL, ",", &save))
		urls[nurls++] = u;
	subject = argv[2];
	count = strtoull(argv[3], NULL, 10);
	lat = calloc(count, sizeof(*lat));
	if (!lat || natsOptions_Create(&o) != NATS_OK ||
	    natsOptions_SetServers(o, urls, nurls) != NATS_OK ||
	    natsConnection_Connect(&nc, o) != NATS_OK) {
		fprintf(stderr, "nats-direct: cannot connect to %s\n", argv[1]);
		return 1;
	}
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = 256;
	if (natsConnection_JetStream(&js, nc, &jo) != NATS_OK)
		return 1;
	if (argc == 5) {
		jsStreamConfig sc;
		jsStreamInfo *si = NULL;
		const char *subj[1] = { subject };

		jsStreamConfig_Init(&sc);
		sc.Name = argv[4];
		sc.Subjects = subj;
		sc.SubjectsLen = 1;
		sc.Replicas = 3;
		if (js_GetStreamInfo(&si, js, argv[4], NULL, &jerr) != NATS_OK &&
		    js_AddStream(&si, js, &sc, NULL, &jerr) != NATS_OK) {
			fprintf(stderr, "nats-direct: stream %s: %d\n", argv[4],
				(int)jerr);
			return 1;
		}
		jsStreamInfo_Destroy(si);
	}
	jsSubOptions_Init(&so);
	so.ManualAck = true;
	so.Config.Durable = "nats-direct";
	so.Config.AckPolicy = js_AckExplicit;
	so.Config.MaxAckPending = 256;
	if (js_SubscribeSync(&sub, js, subject, NULL, &so, &jerr) != NATS_OK) {
		fprintf(stderr, "nats-direct: subscribe: %d\n", (int)jerr);
		return 1;
	}
	natsSubscription_SetPendingLimits(sub, -1, -1);
	pthread_create(&t, NULL, publisher, NULL);
	while (got < count) {
		natsMsg *m = NULL;
		natsStatus st = natsSubscription_NextMsg(&m, sub, 5000);
		struct load_hdr h;
		uint64_t now;

		if (st == NATS_TIMEOUT)
			continue;
		if (st != NATS_OK) {
			fprintf(stderr, "next message: %s\n", natsStatus_GetText(st));
			return 1;
		}
		now = load_now();
		memcpy(&h, natsMsg_GetData(m), sizeof(h));
		if (h.send_ns < t_first)
			t_first = h.send_ns;
		t_last = now;
		lat[got++] = now > h.send_ns ? now - h.send_ns : 0;
		natsMsg_Ack(m, NULL);
		natsMsg_Destroy(m);
	}
	pthread_join(t, NULL);
	qsort(lat, got, sizeof(*lat), cmp_u64);
	printf("throughput=%.0f p50_us=%llu p99_us=%llu\n",
	       got * 1e9 / (double)(t_last - t_first),
	       (unsigned long long)lat[got / 2] / 1000,
	       (unsigned long long)lat[got * 99 / 100] / 1000);
	natsSubscription_Unsubscribe(sub);
	natsSubscription_Destroy(sub);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	natsOptions_Destroy(o);
	free(list);
	free(lat);
	return 0;
}
