// SPDX-License-Identifier: GPL-2.0
/*
 * msgq stats: live object counts in debugfs, /sys/kernel/debug/msgq/stats.
 *
 * For tests and for an administrator chasing a leak: once every handle is
 * closed and every name unlinked, all of them read zero. Messages are
 * counted per CPU so that the send and receive paths share no cache line,
 * with a batch so large that they never fold into the shared count (and
 * take its lock): the reader sums every CPU's part, exactly.
 */

#define MSGQ_STATS_BATCH	BIT(30)

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/debugfs.h>
#include <linux/percpu_counter.h>
#include <linux/seq_file.h>

#include "internal.h"

static atomic_long_t msgq_live_mailboxes = ATOMIC_LONG_INIT(0);
static struct percpu_counter msgq_live_msgs;
static struct percpu_counter msgq_live_bytes;
static struct dentry *msgq_debugfs_dir;

void msgq_stats_mailbox(int delta)
{
	atomic_long_add(delta, &msgq_live_mailboxes);
}

void msgq_stats_msg(int delta, u32 len)
{
	percpu_counter_add_batch(&msgq_live_msgs, delta, MSGQ_STATS_BATCH);
	percpu_counter_add_batch(&msgq_live_bytes, delta * (s64)len,
				 MSGQ_STATS_BATCH);
}

static int stats_show(struct seq_file *m, void *v)
{
	seq_printf(m, "mailboxes %ld\n",
		   atomic_long_read(&msgq_live_mailboxes));
	seq_printf(m, "messages %lld\n", percpu_counter_sum(&msgq_live_msgs));
	seq_printf(m, "message_bytes %lld\n",
		   percpu_counter_sum(&msgq_live_bytes));
	seq_printf(m, "namespaces %u\n", msgq_registry_namespaces());
	seq_printf(m, "quota_bytes %lu\n", msgq_quota_total());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

int msgq_stats_init(void)
{
	int err;

	err = percpu_counter_init(&msgq_live_msgs, 0, GFP_KERNEL);
	if (err)
		return err;
	err = percpu_counter_init(&msgq_live_bytes, 0, GFP_KERNEL);
	if (err)
		goto err_msgs;
	/* debugfs is optional: without it msgq works, untold. */
	msgq_debugfs_dir = debugfs_create_dir("msgq", NULL);
	debugfs_create_file("stats", 0400, msgq_debugfs_dir, NULL,
			    &stats_fops);
	return 0;

err_msgs:
	percpu_counter_destroy(&msgq_live_msgs);
	return err;
}

void msgq_stats_exit(void)
{
	debugfs_remove_recursive(msgq_debugfs_dir);
	percpu_counter_destroy(&msgq_live_bytes);
	percpu_counter_destroy(&msgq_live_msgs);
}
