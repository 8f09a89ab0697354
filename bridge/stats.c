// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The counters of each route, written by the running bridge every second
 * (and at exit) to STATE/stats, which msgq-bridge --stats prints: one line
 * per route,
 *   export MAILBOX -> SUBJECT forwarded=N in_flight=N redelivered=N
 *          duplicates=N recovered=N rejected=N errors=N last_error="..."
 *   import SUBJECT -> MAILBOX ... last_origin="host=H pid=P uid=U sent_ns=T"
 * "redelivered" counts the messages an import got again after a bridge
 * died between their send and their ack; "duplicates" the publishes
 * JetStream recognised by their Msg-Id (an export's republished spool),
 * or the copies an import got of messages it had sent or held;
 * "rejected" the messages an import terminated because its mailbox can
 * never take them (longer than its max_msgsize).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bridge.h"

void route_error(struct route *r, const char *fmt, ...)
{
	char msg[BRIDGE_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	atomic_fetch_add(&r->st.errors, 1);
	pthread_mutex_lock(&r->st.lock);
	strcpy(r->st.last_error, msg);
	pthread_mutex_unlock(&r->st.lock);
	blog(LOG_LVL_ERR, "%s %s: %s", r->kind == ROUTE_EXPORT ? "export" :
	     "import", r->mailbox, msg);
}

static void quoted(FILE *f, const char *k, const char *v)
{
	fprintf(f, " %s=\"", k);
	for (; *v; v++)
		fputc(*v == '"' ? '\'' : *v, f);
	fputc('"', f);
}

int stats_write(const struct bridge_config *c)
{
	char path[BRIDGE_PATH_MAX], tmp[BRIDGE_PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/stats", c->state_dir);
	snprintf(tmp, sizeof(tmp), "%s/.stats.%d", c->state_dir, (int)getpid());
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "pid %d host %s\n", (int)getpid(), c->host);
	for (int i = 0; i < c->nroutes; i++) {
		struct route *r = (struct route *)&c->routes[i];
		char err[BRIDGE_ERR_MAX], org[BRIDGE_ERR_MAX];

		pthread_mutex_lock(&r->st.lock);
		strcpy(err, r->st.last_error);
		strcpy(org, r->st.last_origin);
		pthread_mutex_unlock(&r->st.lock);
		if (r->kind == ROUTE_EXPORT)
			fprintf(f, "export %s -> %s", r->mailbox, r->subject);
		else
			fprintf(f, "import %s -> %s", r->subject, r->mailbox);
		fprintf(f, " forwarded=%llu in_flight=%llu redelivered=%llu duplicates=%llu recovered=%llu rejected=%llu errors=%llu",
			(unsigned long long)atomic_load(&r->st.forwarded),
			(unsigned long long)atomic_load(&r->st.in_flight),
			(unsigned long long)atomic_load(&r->st.redelivered),
			(unsigned long long)atomic_load(&r->st.duplicates),
			(unsigned long long)atomic_load(&r->st.recovered),
			(unsigned long long)atomic_load(&r->st.rejected),
			(unsigned long long)atomic_load(&r->st.errors));
		quoted(f, "last_error", err);
		if (r->kind == ROUTE_IMPORT)
			quoted(f, "last_origin", org);
		fputc('\n', f);
	}
	if (fclose(f) || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

int stats_print(const struct bridge_config *c)
{
	char path[BRIDGE_PATH_MAX], buf[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/stats", c->state_dir);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "msgq-bridge: %s: %s (is the bridge running?)\n",
			path, strerror(errno));
		return 1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return 0;
}
