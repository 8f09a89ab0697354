// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The log: one line per event on stderr. Under systemd (JOURNAL_STREAM is
 * set) each line starts with the "<N>" level prefix journald reads;
 * otherwise with the level's name.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bridge.h"

int bridge_log_level = LOG_LVL_INFO;

static const char *level_name(int level)
{
	switch (level) {
	case LOG_LVL_ERR:	return "error";
	case LOG_LVL_WARN:	return "warning";
	case LOG_LVL_INFO:	return "info";
	default:		return "debug";
	}
}

int log_level_parse(const char *s)
{
	static const int levels[] = {
		LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG
	};

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (!strcmp(s, level_name(levels[i])))
			return levels[i];
	return -1;
}

void blog(int level, const char *fmt, ...)
{
	static int journal = -1;
	char line[1024];
	va_list ap;

	if (level > bridge_log_level)
		return;
	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (journal) {
		fprintf(stderr, "<%d>%s\n", level, line);
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		fprintf(stderr, "msgq-bridge[%lld.%03ld] %s: %s\n",
			(long long)ts.tv_sec, ts.tv_nsec / 1000000,
			level_name(level), line);
	}
}
