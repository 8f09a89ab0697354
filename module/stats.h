/* SPDX-License-Identifier: GPL-2.0 */
/* msgq stats: live object counts in debugfs (stats.c). */
#ifndef _MSGQ_STATS_H
#define _MSGQ_STATS_H

#include <linux/percpu.h>

DECLARE_PER_CPU(long, msgq_live_msgs);
DECLARE_PER_CPU(long, msgq_live_bytes);

/* Count @n messages of @bytes in all made (both > 0) or gone (both < 0). */
static inline void msgq_stats_msgs(long n, long bytes)
{
	this_cpu_add(msgq_live_msgs, n);
	this_cpu_add(msgq_live_bytes, bytes);
}

void msgq_stats_mailbox(int delta);
void msgq_stats_group(int delta);
int msgq_stats_init(void);
void msgq_stats_exit(void);

#endif /* _MSGQ_STATS_H */
