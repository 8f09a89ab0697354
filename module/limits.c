// SPDX-License-Identifier: GPL-2.0
/*
 * msgq limits: tunables, the per-user name limit and the per-user quota.
 *
 * Two resources, each bounded per user as POSIX message queues bound them:
 *
 * Names belong to an IPC namespace. max_mailboxes bounds the names of one
 * namespace (ENOSPC beyond, as mq's queues_max) and user_mailboxes the names
 * that the mailboxes of one creator uid hold in it (EMFILE beyond, the errno
 * of mq_open(3)'s per-user limit), so one user cannot take the names the
 * others need. Every name counts, an exempt creator's too; CAP_SYS_RESOURCE
 * in the namespace's user namespace passes both limits: whoever administers
 * a namespace may fill it. The counts live with the names, in registry.c.
 *
 * Memory belongs to the machine. Creating a mailbox reserves
 *	MSGQ_MAILBOX_OVERHEAD + max(max_msgs, 1) * (max_msgsize + MSGQ_MSG_OVERHEAD)
 * bytes of its creator uid's quota (user_bytes, over all namespaces, EMFILE
 * beyond, as RLIMIT_MSGQUEUE), returned when the mailbox is freed: the
 * mailbox with its name, so that no mailbox is free, and every message it
 * can hold with its header, so that many tiny messages cannot hold far more
 * than they reserved. A rendezvous mailbox (max_msgs 0) reserves as one of
 * capacity 1, for the message being handed over. Only CAP_SYS_RESOURCE in
 * the initial user namespace passes the quota: the root of a user namespace
 * of its own administers that namespace's names, not the machine's memory,
 * so the quota bounds what exempt names cost.
 *
 * What a blocked sender holds is the sender's own: a send fills its message
 * before it waits, for room or (synchronous, rendezvous) for a receiver,
 * and a rendezvous mailbox lists it only while its sender waits. That is one
 * message of at most max_msgsize per blocked call (a batch: what the mailbox
 * holds, or 1 MiB), as mq_timedsend(3) and msgsnd(2) hold theirs. The sender
 * allocates it with __GFP_ACCOUNT (message.c), so it is charged to the
 * sender's memory cgroup, bounded by the sender's tasks (RLIMIT_NPROC, the
 * pids controller), and freed when the call returns. Charging the quota too
 * would take a global lock on every send, give sends an errno they never
 * had, and stop a user whose mailboxes fill its quota from sending at all.
 *
 * The bytes are nominal, as RLIMIT_MSGQUEUE's: allocator rounding (slab
 * sizes, whole pages) and a mailbox's pool of free slots (message.c) can
 * use more, which the memory cgroup sees. A namespace's name table is
 * charged to the memory cgroup of its first creator; there is one per
 * namespace, and user.max_ipc_namespaces bounds those.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/ipc_namespace.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/xarray.h>

#include "limits.h"
#include "mailbox.h"

static unsigned int max_mailboxes = 1024;
module_param(max_mailboxes, uint, 0644);
MODULE_PARM_DESC(max_mailboxes, "Names per IPC namespace (ENOSPC beyond)");

/*
 * POSIX's default queues_max: what runs within mq's defaults runs within
 * one user's share, and it takes four users to fill a namespace.
 */
static unsigned int user_mailboxes = 256;
module_param(user_mailboxes, uint, 0644);
MODULE_PARM_DESC(user_mailboxes,
		 "Names one user may hold per IPC namespace (EMFILE beyond)");

static unsigned int max_msgs = MSGQ_MAX_MSGS_LIMIT;
module_param(max_msgs, uint, 0644);
MODULE_PARM_DESC(max_msgs, "Largest capacity of a mailbox, in messages");

static unsigned int max_msgsize = MSGQ_MAX_MSGSIZE_LIMIT;
module_param(max_msgsize, uint, 0644);
MODULE_PARM_DESC(max_msgsize, "Largest message, in bytes");

static unsigned long user_bytes = 64UL << 20;
module_param(user_bytes, ulong, 0644);
MODULE_PARM_DESC(user_bytes,
		 "Bytes (mailboxes and their capacity) one user may reserve");

/*
 * msgq_quota_lock serialises updates of msgq_quota: kuid -> bytes. It nests
 * inside msgq_registry_lock (a create, the last put of a mailbox).
 */
static DEFINE_MUTEX(msgq_quota_lock);
static DEFINE_XARRAY(msgq_quota);

u32 msgq_limit_mailboxes(void)
{
	return READ_ONCE(max_mailboxes);
}

u32 msgq_limit_user_mailboxes(void)
{
	return READ_ONCE(user_mailboxes);
}

u32 msgq_limit_max_msgs(void)
{
	return min_t(u32, READ_ONCE(max_msgs), MSGQ_MAX_MSGS_LIMIT);
}

u32 msgq_limit_max_msgsize(void)
{
	return min_t(u32, READ_ONCE(max_msgsize), MSGQ_MAX_MSGSIZE_LIMIT);
}

unsigned long msgq_limit_user_bytes(void)
{
	return READ_ONCE(user_bytes);
}

/**
 * msgq_limit_names - may the caller add a name to an IPC namespace?
 * @ipc_ns:     the namespace
 * @names:      the names it holds
 * @user_names: of those, the ones of the caller's uid
 *
 * Returns 0, -ENOSPC past max_mailboxes, or -EMFILE past user_mailboxes.
 */
int msgq_limit_names(struct ipc_namespace *ipc_ns, u32 names, u32 user_names)
{
	int err = 0;

	if (names >= msgq_limit_mailboxes())
		err = -ENOSPC;
	else if (user_names >= msgq_limit_user_mailboxes())
		err = -EMFILE;
	/* Asked only when it matters: a capability check may be audited. */
	if (err && ns_capable(ipc_ns->user_ns, CAP_SYS_RESOURCE))
		err = 0;
	return err;
}

/*
 * What @mb reserves: itself and each message it can hold, with its header.
 * A fan-out mailbox holds none (its subscriptions do): itself only. Each
 * subscription reserves as a mailbox of the same limits, since the
 * messages it holds can all be ones no other subscription holds still.
 */
static u64 quota_bytes(const struct msgq_mailbox *mb)
{
	if (mb->fanout)
		return MSGQ_MAILBOX_OVERHEAD;
	return MSGQ_MAILBOX_OVERHEAD + (u64)max(mb->max_msgs, 1U) *
	       (mb->max_msgsize + MSGQ_MSG_OVERHEAD);
}

/*
 * Reserve @mb's bytes for its creator (a subscription's: its opener):
 * EMFILE past the quota, or past what an xarray value holds (LONG_MAX,
 * 2 GiB on 32-bit), even for root.
 */
int msgq_quota_charge(struct msgq_mailbox *mb)
{
	unsigned long uid = __kuid_val(mb->uid);
	u64 bytes = quota_bytes(mb);
	u64 used, total;
	int err;

	BUILD_BUG_ON(sizeof(struct msgq_msg) > MSGQ_MSG_OVERHEAD);
	BUILD_BUG_ON(offsetof(struct msgq_mailbox, name) + MSGQ_NAME_MAX + 1 >
		     MSGQ_MAILBOX_OVERHEAD);
	mutex_lock(&msgq_quota_lock);
	used = msgq_count_get(&msgq_quota, uid);
	err = -EMFILE;
	if (check_add_overflow(used, bytes, &total) || total > LONG_MAX)
		goto out_unlock;
	if (total > msgq_limit_user_bytes() && !capable(CAP_SYS_RESOURCE))
		goto out_unlock;
	err = msgq_count_set(&msgq_quota, uid, total, GFP_KERNEL);
	if (!err)
		mb->quota_bytes = bytes;
out_unlock:
	mutex_unlock(&msgq_quota_lock);
	return err;
}

void msgq_quota_uncharge(struct msgq_mailbox *mb)
{
	unsigned long uid = __kuid_val(mb->uid);

	if (!mb->quota_bytes)
		return;
	mutex_lock(&msgq_quota_lock);
	msgq_count_set(&msgq_quota, uid,
		       msgq_count_get(&msgq_quota, uid) - mb->quota_bytes,
		       GFP_KERNEL);
	mutex_unlock(&msgq_quota_lock);
}

/* Bytes reserved by @uid. */
unsigned long msgq_quota_of(kuid_t uid)
{
	unsigned long bytes;

	mutex_lock(&msgq_quota_lock);
	bytes = msgq_count_get(&msgq_quota, __kuid_val(uid));
	mutex_unlock(&msgq_quota_lock);
	return bytes;
}

/* Bytes reserved by all users together. */
unsigned long msgq_quota_total(void)
{
	unsigned long total;

	mutex_lock(&msgq_quota_lock);
	total = msgq_count_sum(&msgq_quota);
	mutex_unlock(&msgq_quota_lock);
	return total;
}
