// SPDX-License-Identifier: GPL-2.0
/*
 * msgq listing: /proc/msgq, every mailbox of the reader's IPC namespace,
 * one line each, like ls /dev/mqueue plus its QSIZE. A reader sees only
 * its own namespace's names, and owners in its own user namespace.
 */

#include <linux/cred.h>
#include <linux/ipc_namespace.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

#include "procfs.h"
#include "registry.h"

static void show_mailbox(struct msgq_mailbox *mb, void *arg)
{
	struct user_namespace *user_ns = current_user_ns();
	struct seq_file *m = arg;
	struct msgq_mailbox_state st;

	msgq_mailbox_state(mb, &st);
	seq_printf(m, "%s %u %u %u %llu %llu %llu %04o %u %u %s\n", mb->name,
		   mb->max_msgs, mb->max_msgsize, st.cur_msgs, st.cur_bytes,
		   st.total_sent, st.total_received, mb->mode,
		   from_kuid_munged(user_ns, mb->uid),
		   from_kgid_munged(user_ns, mb->gid),
		   mb->owned ? "owned" : "-");
}

static int listing_show(struct seq_file *m, void *v)
{
	struct ipc_namespace *ipc_ns = msgq_ipc_ns_get_current();

	seq_puts(m, "name max_msgs max_msgsize cur_msgs cur_bytes total_sent total_received mode uid gid flags\n");
	msgq_registry_for_each(ipc_ns, show_mailbox, m);
	msgq_ipc_ns_put(ipc_ns);
	return 0;
}

int msgq_procfs_init(void)
{
	if (!proc_create_single("msgq", 0444, NULL, listing_show))
		return -ENOMEM;
	return 0;
}

void msgq_procfs_exit(void)
{
	remove_proc_entry("msgq", NULL);
}
