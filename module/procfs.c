// SPDX-License-Identifier: GPL-2.0
/*
 * msgq listings: /proc/msgq, every mailbox of the reader's IPC namespace,
 * one line each, like ls /dev/mqueue plus its QSIZE; /proc/msgq_limits,
 * each limit with what the reader uses of it. A reader sees only its own
 * namespace's names, owners in its own user namespace, and its own usage.
 * Both start with a header line naming their columns.
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

	static const char *const fanout[] = {
		[MSGQ_FANOUT_NONE] = "",
		[MSGQ_FANOUT_BLOCK] = "fanout",
		[MSGQ_FANOUT_DROP] = "fanout-drop",
	};

	msgq_mailbox_state(mb, &st);
	seq_printf(m, "%s %u %u %u %llu %llu %llu %04o %u %u %s%s%s %u\n",
		   mb->name, mb->max_msgs, mb->max_msgsize, st.cur_msgs,
		   st.cur_bytes, st.total_sent, st.total_received, mb->mode,
		   from_kuid_munged(user_ns, mb->uid),
		   from_kgid_munged(user_ns, mb->gid),
		   mb->owned ? "owned" : "", mb->owned && mb->fanout ? "," : "",
		   mb->owned || mb->fanout ? fanout[mb->fanout] : "-",
		   st.subscribers);
}

static int listing_show(struct seq_file *m, void *v)
{
	struct ipc_namespace *ipc_ns = msgq_ipc_ns_get_current();

	seq_puts(m, "name max_msgs max_msgsize cur_msgs cur_bytes total_sent total_received mode uid gid flags subscribers\n");
	msgq_registry_for_each(ipc_ns, show_mailbox, m);
	msgq_ipc_ns_put(ipc_ns);
	return 0;
}

/*
 * The reader's usage is that of its fsuid, the uid its mailboxes get, and
 * of its namespace; a limit that bounds no usage shows "-".
 */
static int limits_show(struct seq_file *m, void *v)
{
	struct ipc_namespace *ipc_ns = msgq_ipc_ns_get_current();
	kuid_t uid = current_fsuid();
	u32 names, uid_names;

	msgq_registry_usage(ipc_ns, uid, &names, &uid_names);
	msgq_ipc_ns_put(ipc_ns);
	seq_puts(m, "limit value used\n");
	seq_printf(m, "max_mailboxes %u %u\n", msgq_limit_mailboxes(), names);
	seq_printf(m, "user_mailboxes %u %u\n", msgq_limit_user_mailboxes(),
		   uid_names);
	seq_printf(m, "user_bytes %lu %lu\n", msgq_limit_user_bytes(),
		   msgq_quota_of(uid));
	seq_printf(m, "max_msgs %u -\n", msgq_limit_max_msgs());
	seq_printf(m, "max_msgsize %u -\n", msgq_limit_max_msgsize());
	return 0;
}

int msgq_procfs_init(void)
{
	if (!proc_create_single("msgq", 0444, NULL, listing_show))
		return -ENOMEM;
	if (!proc_create_single("msgq_limits", 0444, NULL, limits_show))
		goto err_listing;
	return 0;

err_listing:
	remove_proc_entry("msgq", NULL);
	return -ENOMEM;
}

void msgq_procfs_exit(void)
{
	remove_proc_entry("msgq_limits", NULL);
	remove_proc_entry("msgq", NULL);
}
