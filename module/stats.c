// SPDX-License-Identifier: GPL-2.0
/*
 * msgq stats: live object counts in debugfs, /sys/kernel/debug/msgq/stats.
 *
 * For tests and for an administrator chasing a leak: once every handle is
 * closed and every name unlinked, all of them read zero. Messages are
 * counted per CPU, one instruction on the send and receive paths (see
 * msgq_stats_msgs()) and no shared cache line; the reader sums every CPU's
 * part. A part may go negative (a message received on another CPU than it
 * was sent on); the sum is exact whenever nothing is in flight.
 */

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>

#include "limits.h"
#include "registry.h"
#include "stats.h"

static atomic_long_t msgq_live_mailboxes = ATOMIC_LONG_INIT(0);
static atomic_long_t msgq_live_groups = ATOMIC_LONG_INIT(0);
DEFINE_PER_CPU(long, msgq_live_msgs);
DEFINE_PER_CPU(long, msgq_live_bytes);
static struct dentry *msgq_debugfs_dir;

void msgq_stats_mailbox(int delta)
{
	atomic_long_add(delta, &msgq_live_mailboxes);
}

void msgq_stats_group(int delta)
{
	atomic_long_add(delta, &msgq_live_groups);
}

static long sum_cpus(long __percpu *counter)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(*per_cpu_ptr(counter, cpu));
	return sum;
}

static int stats_show(struct seq_file *m, void *v)
{
	seq_printf(m, "mailboxes %ld\n",
		   atomic_long_read(&msgq_live_mailboxes));
	seq_printf(m, "messages %ld\n", sum_cpus(&msgq_live_msgs));
	seq_printf(m, "message_bytes %ld\n", sum_cpus(&msgq_live_bytes));
	seq_printf(m, "namespaces %u\n", msgq_registry_namespaces());
	seq_printf(m, "quota_bytes %lu\n", msgq_quota_total());
	seq_printf(m, "user_names %lu\n", msgq_registry_user_names());
	seq_printf(m, "priority_groups %ld\n",
		   atomic_long_read(&msgq_live_groups));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

int msgq_stats_init(void)
{
	/* debugfs is optional: without it msgq works, untold. */
	msgq_debugfs_dir = debugfs_create_dir("msgq", NULL);
	debugfs_create_file("stats", 0400, msgq_debugfs_dir, NULL,
			    &stats_fops);
	return 0;
}

void msgq_stats_exit(void)
{
	debugfs_remove_recursive(msgq_debugfs_dir);
}
