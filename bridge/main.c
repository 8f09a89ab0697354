// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * msgq-bridge: carries msgq mailboxes across hosts over NATS JetStream
 * (msgq-bridge(8)). The main thread reads the configuration, connects to
 * the cluster (reconnecting with backoff for ever), makes the configured
 * streams, starts one thread per route, and then waits for SIGTERM or
 * SIGINT, writing the counters every second; on the signal each route
 * finishes what is in flight and the bridge exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"

#ifndef MSGQ_VERSION
#define MSGQ_VERSION "unknown"
#endif

static struct bridge the_bridge;

void bridge_sleep(struct bridge *b, unsigned int ms)
{
	while (ms && !atomic_load(&b->stop)) {
		unsigned int step = ms < 50 ? ms : 50;
		struct timespec ts = { 0, step * 1000000L };

		nanosleep(&ts, NULL);
		ms -= step;
	}
}

static void on_disconnect(natsConnection *nc, void *closure)
{
	(void)nc;
	(void)closure;
	blog(LOG_LVL_WARN, "NATS: disconnected, reconnecting");
}

static void on_reconnect(natsConnection *nc, void *closure)
{
	char url[256] = "?";

	(void)closure;
	natsConnection_GetConnectedUrl(nc, url, sizeof(url));
	blog(LOG_LVL_INFO, "NATS: reconnected to %s", url);
}

static natsStatus connect_nats(struct bridge *b)
{
	struct bridge_config *c = b->cfg;
	natsOptions *o = NULL;
	natsStatus st;

	st = natsOptions_Create(&o);
	if (st == NATS_OK)
		st = natsOptions_SetServers(o, (const char **)c->servers,
					    c->nservers);
	if (st == NATS_OK)
		st = natsOptions_SetName(o, "msgq-bridge");
	if (st == NATS_OK && c->user[0])
		st = natsOptions_SetUserInfo(o, c->user, c->password);
	if (st == NATS_OK && c->token[0])
		st = natsOptions_SetToken(o, c->token);
	if (st == NATS_OK && c->credentials[0])
		st = natsOptions_SetUserCredentialsFromFiles(o, c->credentials,
							     NULL);
	/* Reconnect for ever: 100 ms apart, +-100 ms, cycling the servers. */
	if (st == NATS_OK)
		st = natsOptions_SetMaxReconnect(o, -1);
	if (st == NATS_OK)
		st = natsOptions_SetReconnectWait(o, 100);
	if (st == NATS_OK)
		st = natsOptions_SetReconnectJitter(o, 100, 1000);
	if (st == NATS_OK)
		st = natsOptions_SetReconnectBufSize(o, 64 * 1024 * 1024);
	if (st == NATS_OK)
		st = natsOptions_SetDisconnectedCB(o, on_disconnect, NULL);
	if (st == NATS_OK)
		st = natsOptions_SetReconnectedCB(o, on_reconnect, NULL);
	if (st == NATS_OK)
		st = natsConnection_Connect(&b->nc, o);
	natsOptions_Destroy(o);
	return st;
}

/* The configured streams: made if missing, left as they are otherwise. */
static int make_streams(struct bridge *b)
{
	jsCtx *js = NULL;
	natsStatus st;
	int bad = 0;

	st = natsConnection_JetStream(&js, b->nc, NULL);
	if (st != NATS_OK)
		return -1;
	for (int i = 0; i < b->cfg->nstreams; i++) {
		struct stream_def *d = &b->cfg->streams[i];
		const char *subj[1] = { d->subject };
		jsStreamInfo *si = NULL;
		jsStreamConfig sc;
		jsErrCode jerr = 0;

		st = js_GetStreamInfo(&si, js, d->name, NULL, &jerr);
		if (st == NATS_OK) {
			jsStreamInfo_Destroy(si);
			continue;
		}
		jsStreamConfig_Init(&sc);
		sc.Name = d->name;
		sc.Subjects = subj;
		sc.SubjectsLen = 1;
		sc.Storage = js_FileStorage;
		sc.Replicas = d->replicas;
		sc.Duplicates = (int64_t)d->duplicates_s * 1000000000LL;
		st = js_AddStream(&si, js, &sc, NULL, &jerr);
		if (st == NATS_OK) {
			blog(LOG_LVL_INFO, "stream %s (%s, R%d) created", d->name,
			     d->subject, d->replicas);
			jsStreamInfo_Destroy(si);
		} else {
			blog(LOG_LVL_ERR, "stream %s: %s (%d)", d->name,
			     natsStatus_GetText(st), (int)jerr);
			bad++;
		}
	}
	jsCtx_Destroy(js);
	return bad ? -1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: msgq-bridge [-c FILE] [--check | --stats]\n"
		"  -c, --config FILE  configuration (default %s)\n"
		"  --check            validate the configuration and exit\n"
		"  --stats            print the running bridge's counters\n"
		"  -v, --verbose      log at debug level\n"
		"  --version, --help\n", BRIDGE_CONF_DEFAULT);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'C' },
		{ "stats", no_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static struct bridge_config cfg;
	static struct route_arg args[BRIDGE_MAX_ROUTES];
	struct bridge *b = &the_bridge;
	const char *path = BRIDGE_CONF_DEFAULT;
	int check = 0, stats = 0, verbose = 0, opt, sig;
	unsigned int backoff = 250;
	sigset_t set;
	natsStatus st;

	while ((opt = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'C': check = 1; break;
		case 'S': stats = 1; break;
		case 'v': verbose = 1; break;
		case 'V': printf("msgq-bridge %s\n", MSGQ_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return BRIDGE_EXIT_CONFIG;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return BRIDGE_EXIT_CONFIG;
	}
	if (config_load(&cfg, path))
		return BRIDGE_EXIT_CONFIG;
	if (check)
		return 0;
	if (stats)
		return stats_print(&cfg);
	bridge_log_level = verbose ? LOG_LVL_DEBUG : cfg.log_level;
	b->cfg = &cfg;
	umask(0);	/* mailboxes get the configured modes */
	if (mkdir(cfg.state_dir, 0755) && errno != EEXIST) {
		blog(LOG_LVL_ERR, "state %s: %s", cfg.state_dir, strerror(errno));
		return 1;
	}
	/* The signals are taken by sigwait() below, in this thread only. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	st = nats_Open(-1);
	if (st != NATS_OK) {
		blog(LOG_LVL_ERR, "nats_Open: %s", natsStatus_GetText(st));
		return 1;
	}
	for (;;) {
		st = connect_nats(b);
		if (st == NATS_OK && !make_streams(b))
			break;
		blog(LOG_LVL_WARN, "NATS %s: %s; again in %u ms", cfg.servers[0],
		     st == NATS_OK ? "streams not ready" : natsStatus_GetText(st),
		     backoff);
		if (b->nc)
			natsConnection_Destroy(b->nc);
		b->nc = NULL;
		if (sigtimedwait(&set, NULL, &(struct timespec){
			backoff / 1000, (backoff % 1000) * 1000000L }) > 0)
			goto out;
		if (backoff < 8000)
			backoff *= 2;
	}
	blog(LOG_LVL_INFO, "connected (%d server%s), %d route%s, host %s",
	     cfg.nservers, cfg.nservers == 1 ? "" : "s", cfg.nroutes,
	     cfg.nroutes == 1 ? "" : "s", cfg.host);
	for (int i = 0; i < cfg.nroutes; i++) {
		struct route *r = &cfg.routes[i];

		pthread_mutex_init(&r->st.lock, NULL);
		args[i].b = b;
		args[i].r = r;
		pthread_create(&r->thread, NULL, r->kind == ROUTE_EXPORT ?
			       export_run : import_run, &args[i]);
	}
	for (;;) {
		stats_write(&cfg);
		sig = sigtimedwait(&set, NULL, &(struct timespec){ 1, 0 });
		if (sig > 0)
			break;
	}
	blog(LOG_LVL_INFO, "signal %d: finishing what is in flight", sig);
	atomic_store(&b->stop, 1);
	for (int i = 0; i < cfg.nroutes; i++)
		pthread_join(cfg.routes[i].thread, NULL);
	stats_write(&cfg);
	natsConnection_FlushTimeout(b->nc, 5000);
out:
	if (b->nc)
		natsConnection_Destroy(b->nc);
	nats_CloseAndWait(5000);
	config_free(&cfg);
	blog(LOG_LVL_INFO, "exit");
	return 0;
}
