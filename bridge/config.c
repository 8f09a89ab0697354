// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The configuration file (msgq-bridge(8), "CONFIGURATION"): one directive
 * per line, words separated by blanks, "#" to the end of the line a
 * comment. Every error names the file and line; the caller exits with
 * BRIDGE_EXIT_CONFIG.
 *
 *   servers URL[,URL...]             the NATS cluster (required)
 *   user NAME PASSWORD | token TOKEN | credentials FILE
 *   host NAME                        this host in message ids (hostname)
 *   state DIR                        spools and stats (/run/msgq-bridge)
 *   log-level error|warning|info|debug
 *   stream NAME SUBJECT [replicas=N] [duplicates=SECONDS]
 *   export MAILBOX -> SUBJECT [max_msgs=N] [max_msgsize=N] [mode=OCTAL]
 *                             [window=N]
 *   import SUBJECT -> MAILBOX [durable=NAME] [max_msgs=N] [max_msgsize=N]
 *                             [mode=OCTAL]
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/msgq.h>

#include "bridge.h"

#define MAX_WORDS 16

struct parse {
	struct bridge_config *c;
	unsigned int line;
	int bad;
};

static void perr(struct parse *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void perr(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "msgq-bridge: %s:%u: ", p->c->path, p->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	p->bad++;
}

static int copy(struct parse *p, char *dst, const char *src, const char *what)
{
	if (strlen(src) >= BRIDGE_NAME_MAX) {
		perr(p, "%s too long (at most %d bytes)", what,
		     BRIDGE_NAME_MAX - 1);
		return -1;
	}
	strcpy(dst, src);
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *v,
		      int base)
{
	char *end;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	*v = strtoul(s, &end, base);
	return errno || *end || *v > max ? -1 : 0;
}

/* NATS subjects: tokens of printable non-blank characters split by dots. */
static int subject_ok(const char *s, int wildcards)
{
	size_t tok = 0;

	for (; *s; s++) {
		if (*s == '.') {
			if (!tok)
				return 0;
			tok = 0;
			continue;
		}
		if (!isgraph((unsigned char)*s))
			return 0;
		if (!wildcards && (*s == '*' || *s == '>'))
			return 0;
		tok++;
	}
	return tok > 0;
}

static int mailbox_ok(const char *s)
{
	if (!*s || strlen(s) > MSGQ_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return 0;
	return 1;
}

/* A durable name: letters, digits, '-' and '_'. */
static void durable_from(char *dst, const char *host, const char *mailbox)
{
	size_t n = 0;
	const char *parts[] = { "msgq-bridge-", host, "-", mailbox };

	for (size_t i = 0; i < 4; i++)
		for (const char *s = parts[i]; *s && n < BRIDGE_NAME_MAX - 1; s++)
			dst[n++] = isalnum((unsigned char)*s) || *s == '-' ||
				   *s == '_' ? *s : '_';
	dst[n] = '\0';
}

static int durable_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
	return 1;
}

static void route_option(struct parse *p, struct route *r, const char *w)
{
	const char *eq = strchr(w, '=');
	unsigned long v;
	size_t klen = eq ? (size_t)(eq - w) : 0;

	if (!eq) {
		perr(p, "'%s': expected KEY=VALUE", w);
		return;
	}
#define KEY(k) (klen == strlen(k) && !strncmp(w, k, klen))
	if (KEY("max_msgs")) {
		if (parse_uint(eq + 1, MSGQ_MAX_MSGS_LIMIT, &v, 10) || !v)
			perr(p, "max_msgs=%s: not in 1..%u", eq + 1,
			     MSGQ_MAX_MSGS_LIMIT);
		else
			r->max_msgs = v;
	} else if (KEY("max_msgsize")) {
		if (parse_uint(eq + 1, MSGQ_MAX_MSGSIZE_LIMIT, &v, 10) || !v)
			perr(p, "max_msgsize=%s: not in 1..%u", eq + 1,
			     MSGQ_MAX_MSGSIZE_LIMIT);
		else
			r->max_msgsize = v;
	} else if (KEY("mode")) {
		if (parse_uint(eq + 1, 0777, &v, 8))
			perr(p, "mode=%s: not an octal mode", eq + 1);
		else
			r->mode = v;
	} else if (KEY("window") && r->kind == ROUTE_EXPORT) {
		if (parse_uint(eq + 1, 4096, &v, 10) || !v)
			perr(p, "window=%s: not in 1..4096", eq + 1);
		else
			r->window = v;
	} else if (KEY("durable") && r->kind == ROUTE_IMPORT) {
		if (!durable_ok(eq + 1))
			perr(p, "durable=%s: letters, digits, '-' and '_' only",
			     eq + 1);
		else
			copy(p, r->durable, eq + 1, "durable name");
	} else {
		perr(p, "unknown option '%.*s' for %s", (int)klen, w,
		     r->kind == ROUTE_EXPORT ? "export" : "import");
	}
#undef KEY
}

static void route_line(struct parse *p, char **w, int n, enum route_kind k)
{
	struct bridge_config *c = p->c;
	struct route *r;
	const char *mbox = k == ROUTE_EXPORT ? w[1] : w[3];
	const char *subj = k == ROUTE_EXPORT ? w[3] : w[1];

	if (n < 4 || strcmp(w[2], "->")) {
		perr(p, "expected '%s %s'", w[0], k == ROUTE_EXPORT ?
		     "MAILBOX -> SUBJECT" : "SUBJECT -> MAILBOX");
		return;
	}
	if (c->nroutes == BRIDGE_MAX_ROUTES) {
		perr(p, "more than %d routes", BRIDGE_MAX_ROUTES);
		return;
	}
	if (!mailbox_ok(mbox)) {
		perr(p, "'%s': not a mailbox name (1..%d printable characters)",
		     mbox, MSGQ_NAME_MAX);
		return;
	}
	if (!subject_ok(subj, 0) || strlen(subj) >= BRIDGE_NAME_MAX) {
		perr(p, "'%s': not a NATS subject (no wildcards)", subj);
		return;
	}
	for (int i = 0; i < c->nroutes; i++)
		if (c->routes[i].kind == k &&
		    !strcmp(c->routes[i].mailbox, mbox)) {
			perr(p, "mailbox '%s' already %sed on line %u", mbox,
			     w[0], c->routes[i].line);
			return;
		}
	r = &c->routes[c->nroutes];
	memset(r, 0, sizeof(*r));
	r->kind = k;
	r->line = p->line;
	strcpy(r->mailbox, mbox);
	strcpy(r->subject, subj);
	r->max_msgs = 1024;
	r->max_msgsize = 8192;
	r->mode = 0660;
	r->window = 256;
	for (int i = 4; i < n; i++)
		route_option(p, r, w[i]);
	c->nroutes++;
}

static void stream_line(struct parse *p, char **w, int n)
{
	struct bridge_config *c = p->c;
	struct stream_def *s;
	unsigned long v;

	if (n < 3) {
		perr(p, "expected 'stream NAME SUBJECT [replicas=N] [duplicates=SECONDS]'");
		return;
	}
	if (c->nstreams == BRIDGE_MAX_STREAMS) {
		perr(p, "more than %d streams", BRIDGE_MAX_STREAMS);
		return;
	}
	s = &c->streams[c->nstreams];
	memset(s, 0, sizeof(*s));
	s->line = p->line;
	s->replicas = 1;
	s->duplicates_s = 120;
	if (!durable_ok(w[1]) || copy(p, s->name, w[1], "stream name")) {
		perr(p, "'%s': a stream name is letters, digits, '-' and '_'",
		     w[1]);
		return;
	}
	if (!subject_ok(w[2], 1) || copy(p, s->subject, w[2], "subject")) {
		perr(p, "'%s': not a NATS subject", w[2]);
		return;
	}
	for (int i = 3; i < n; i++) {
		if (!strncmp(w[i], "replicas=", 9) &&
		    !parse_uint(w[i] + 9, 5, &v, 10) && v)
			s->replicas = v;
		else if (!strncmp(w[i], "duplicates=", 11) &&
			 !parse_uint(w[i] + 11, 86400, &v, 10) && v)
			s->duplicates_s = v;
		else
			perr(p, "'%s': expected replicas=1..5 or duplicates=1..86400",
			     w[i]);
	}
	c->nstreams++;
}

static void servers_line(struct parse *p, char **w, int n)
{
	struct bridge_config *c = p->c;
	char *list, *tok, *save = NULL;

	if (n != 2) {
		perr(p, "expected 'servers URL[,URL...]'");
		return;
	}
	list = strdup(w[1]);
	if (!list) {
		perr(p, "out of memory");
		return;
	}
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (c->nservers == BRIDGE_MAX_SERVERS) {
			perr(p, "more than %d servers", BRIDGE_MAX_SERVERS);
			break;
		}
		if (strncmp(tok, "nats://", 7) && strncmp(tok, "tls://", 6)) {
			perr(p, "'%s': a server URL is nats://HOST:PORT or tls://HOST:PORT",
			     tok);
			continue;
		}
		c->servers[c->nservers] = strdup(tok);
		if (c->servers[c->nservers])
			c->nservers++;
	}
	free(list);
}

static void directive(struct parse *p, char **w, int n)
{
	struct bridge_config *c = p->c;
	int lvl;

#define ARGS(k) do { if (n != (k) + 1) { \
	perr(p, "'%s' takes %d argument%s", w[0], (k), (k) > 1 ? "s" : ""); \
	return; } } while (0)
	if (!strcmp(w[0], "servers")) {
		servers_line(p, w, n);
	} else if (!strcmp(w[0], "user")) {
		ARGS(2);
		if (!copy(p, c->user, w[1], "user"))
			copy(p, c->password, w[2], "password");
	} else if (!strcmp(w[0], "token")) {
		ARGS(1);
		copy(p, c->token, w[1], "token");
	} else if (!strcmp(w[0], "credentials")) {
		ARGS(1);
		if (access(w[1], R_OK))
			perr(p, "credentials %s: %s", w[1], strerror(errno));
		else
			copy(p, c->credentials, w[1], "credentials path");
	} else if (!strcmp(w[0], "host")) {
		ARGS(1);
		if (!durable_ok(w[1]))
			perr(p, "host '%s': letters, digits, '-' and '_' only", w[1]);
		else
			copy(p, c->host, w[1], "host");
	} else if (!strcmp(w[0], "state")) {
		ARGS(1);
		if (w[1][0] != '/')
			perr(p, "state '%s': not an absolute path", w[1]);
		else
			copy(p, c->state_dir, w[1], "state directory");
	} else if (!strcmp(w[0], "log-level")) {
		ARGS(1);
		lvl = log_level_parse(w[1]);
		if (lvl < 0)
			perr(p, "log-level '%s': error, warning, info or debug", w[1]);
		else
			c->log_level = lvl;
	} else if (!strcmp(w[0], "stream")) {
		stream_line(p, w, n);
	} else if (!strcmp(w[0], "export")) {
		route_line(p, w, n, ROUTE_EXPORT);
	} else if (!strcmp(w[0], "import")) {
		route_line(p, w, n, ROUTE_IMPORT);
	} else {
		perr(p, "unknown directive '%s'", w[0]);
	}
#undef ARGS
}

int config_load(struct bridge_config *c, const char *path)
{
	struct parse p = { .c = c };
	char buf[4096], *w[MAX_WORDS], *s, *save;
	FILE *f;
	int n;

	memset(c, 0, sizeof(*c));
	c->path = path;
	c->log_level = LOG_LVL_INFO;
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "msgq-bridge: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), f)) {
		p.line++;
		if (!strchr(buf, '\n') && !feof(f)) {
			perr(&p, "line longer than %zu bytes", sizeof(buf) - 2);
			while (fgets(buf, sizeof(buf), f) && !strchr(buf, '\n'))
				;
			continue;
		}
		s = strchr(buf, '#');
		if (s)
			*s = '\0';
		n = 0;
		for (s = strtok_r(buf, " \t\r\n", &save); s;
		     s = strtok_r(NULL, " \t\r\n", &save)) {
			if (n == MAX_WORDS) {
				perr(&p, "more than %d words", MAX_WORDS);
				n = -1;
				break;
			}
			w[n++] = s;
		}
		if (n > 0)
			directive(&p, w, n);
	}
	fclose(f);
	p.line++;
	if (!c->nservers)
		perr(&p, "no 'servers' line");
	if (!c->nroutes)
		perr(&p, "no 'export' or 'import' route");
	if ((c->user[0] != 0) + (c->token[0] != 0) + (c->credentials[0] != 0) > 1)
		perr(&p, "'user', 'token' and 'credentials' exclude each other");
	if (!c->host[0]) {
		char h[BRIDGE_NAME_MAX] = "";

		gethostname(h, sizeof(h) - 1);
		for (s = h; *s; s++)
			if (!isalnum((unsigned char)*s) && *s != '-')
				*s = '_';
		strcpy(c->host, h[0] ? h : "localhost");
	}
	if (!c->state_dir[0])
		strcpy(c->state_dir, BRIDGE_STATE_DEFAULT);
	for (int i = 0; i < c->nroutes; i++)
		if (c->routes[i].kind == ROUTE_IMPORT && !c->routes[i].durable[0])
			durable_from(c->routes[i].durable, c->host,
				     c->routes[i].mailbox);
	if (p.bad) {
		config_free(c);
		return -1;
	}
	return 0;
}

void config_free(struct bridge_config *c)
{
	for (int i = 0; i < c->nservers; i++)
		free(c->servers[i]);
	c->nservers = 0;
}
