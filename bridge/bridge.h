/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * msgq-bridge: carries msgq mailboxes across hosts over NATS JetStream.
 * Shared types: the configuration (config.c), the per-route counters
 * (stats.c), the log (log.c) and the two kinds of route (export.c,
 * import.c). See msgq-bridge(8) and README.md, "Beyond one machine".
 */
#ifndef MSGQ_BRIDGE_H
#define MSGQ_BRIDGE_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <nats/nats.h>

#define BRIDGE_CONF_DEFAULT	"/etc/msgq/bridge.conf"
#define BRIDGE_STATE_DEFAULT	"/run/msgq-bridge"
#define BRIDGE_NAME_MAX		256
#define BRIDGE_ERR_MAX		160
#define BRIDGE_PATH_MAX		(2 * BRIDGE_NAME_MAX + 64)

/* Exit status of a bad configuration or command line. */
#define BRIDGE_EXIT_CONFIG	2

enum route_kind { ROUTE_EXPORT, ROUTE_IMPORT };

/* Counters of one route: written by its threads, read by stats.c. */
struct route_stats {
	atomic_ullong forwarded;	/* export: PubAck'd; import: sent + acked */
	atomic_ullong in_flight;	/* export: published, not acked; import: delivered, not acked */
	atomic_ullong redelivered;	/* import: messages with NumDelivered > 1 */
	atomic_ullong duplicates;	/* export: PubAcks marked duplicate; import: copies not sent */
	atomic_ullong recovered;	/* export: spool entries republished */
	atomic_ullong rejected;		/* import: terminated, too long for the mailbox */
	atomic_ullong errors;
	pthread_mutex_t lock;		/* protects the strings below */
	char last_error[BRIDGE_ERR_MAX];
	char last_origin[BRIDGE_ERR_MAX];	/* import: last sender's headers */
};

struct route {
	enum route_kind kind;
	unsigned int line;		/* in the configuration file */
	char mailbox[BRIDGE_NAME_MAX];
	char subject[BRIDGE_NAME_MAX];
	char durable[BRIDGE_NAME_MAX];	/* import: the durable consumer */
	unsigned int max_msgs;		/* mailbox created with these */
	unsigned int max_msgsize;
	unsigned int mode;
	unsigned int window;		/* export: PubAcks awaited at once */
	struct route_stats st;
	pthread_t thread;
};

struct stream_def {
	unsigned int line;
	char name[BRIDGE_NAME_MAX];
	char subject[BRIDGE_NAME_MAX];
	int replicas;
	int duplicates_s;		/* the de-duplication window */
};

#define BRIDGE_MAX_SERVERS	16
#define BRIDGE_MAX_ROUTES	64
#define BRIDGE_MAX_STREAMS	16

struct bridge_config {
	const char *path;
	char *servers[BRIDGE_MAX_SERVERS];
	int nservers;
	char user[BRIDGE_NAME_MAX], password[BRIDGE_NAME_MAX];
	char token[BRIDGE_NAME_MAX];
	char credentials[BRIDGE_NAME_MAX];
	char host[BRIDGE_NAME_MAX];
	char state_dir[BRIDGE_NAME_MAX];
	int log_level;
	struct stream_def streams[BRIDGE_MAX_STREAMS];
	int nstreams;
	struct route routes[BRIDGE_MAX_ROUTES];
	int nroutes;
};

/* config.c */
int config_load(struct bridge_config *c, const char *path);
void config_free(struct bridge_config *c);

/* log.c: levels as syslog's */
#define LOG_LVL_ERR	3
#define LOG_LVL_WARN	4
#define LOG_LVL_INFO	6
#define LOG_LVL_DEBUG	7
extern int bridge_log_level;
void blog(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int log_level_parse(const char *s);

/* stats.c */
void route_error(struct route *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int stats_write(const struct bridge_config *c);
int stats_print(const struct bridge_config *c);

/* The whole bridge, shared by the route threads. */
struct bridge {
	struct bridge_config *cfg;
	natsConnection *nc;
	atomic_int stop;		/* SIGTERM/SIGINT seen */
};

/* export.c, import.c: a route's thread; returns when b->stop is set */
void *export_run(void *arg);
void *import_run(void *arg);

struct route_arg {
	struct bridge *b;
	struct route *r;
};

/* A pause of @ms milliseconds, cut short by a stop request. */
void bridge_sleep(struct bridge *b, unsigned int ms);

/* Header names of the message metadata travelling with each message. */
#define HDR_PRIO	"Msgq-Prio"
#define HDR_PID		"Msgq-Pid"
#define HDR_UID		"Msgq-Uid"
#define HDR_HOST	"Msgq-Host"
#define HDR_SENT	"Msgq-Sent-Ns"
#define HDR_SEQ		"Msgq-Seq"

#endif /* MSGQ_BRIDGE_H */
