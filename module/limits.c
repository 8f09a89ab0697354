// SPDX-License-Identifier: GPL-2.0
/*
 * msgq limits: tunables, and the per-user byte quota.
 *
 * Like RLIMIT_MSGQUEUE for POSIX message queues, creating a mailbox reserves
 * max_msgs * (max_msgsize + MSGQ_MSG_OVERHEAD) bytes against its creator's
 * quota, returned when the mailbox is freed; counting the header keeps a
 * mailbox of many tiny messages from holding far more than it reserved.
 * CAP_SYS_RESOURCE bypasses the quota. The message memory itself is charged
 * to the sender's memory cgroup at send.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/xarray.h>

#include "limits.h"
#include "mailbox.h"

static unsigned int max_mailboxes = 1024;
module_param(max_mailboxes, uint, 0644);
MODULE_PARM_DESC(max_mailboxes, "Names per IPC namespace (ENOSPC beyond)");

static unsigned int max_msgs = MSGQ_MAX_MSGS_LIMIT;
module_param(max_msgs, uint, 0644);
MODULE_PARM_DESC(max_msgs, "Largest capacity of a mailbox, in messages");

static unsigned int max_msgsize = MSGQ_MAX_MSGSIZE_LIMIT;
module_param(max_msgsize, uint, 0644);
MODULE_PARM_DESC(max_msgsize, "Largest message, in bytes");

static unsigned long user_bytes = 64UL << 20;
module_param(user_bytes, ulong, 0644);
MODULE_PARM_DESC(user_bytes,
		 "Bytes (capacity x message size) one user may reserve");

/* msgq_quota_lock serialises updates of msgq_quota: kuid -> bytes. */
static DEFINE_MUTEX(msgq_quota_lock);
static DEFINE_XARRAY(msgq_quota);

u32 msgq_limit_mailboxes(void)
{
	return READ_ONCE(max_mailboxes);
}

u32 msgq_limit_max_msgs(void)
{
	return min_t(u32, READ_ONCE(max_msgs), MSGQ_MAX_MSGS_LIMIT);
}

u32 msgq_limit_max_msgsize(void)
{
	return min_t(u32, READ_ONCE(max_msgsize), MSGQ_MAX_MSGSIZE_LIMIT);
}

static unsigned long quota_used(unsigned long uid)
{
	void *entry = xa_load(&msgq_quota, uid);

	return entry ? xa_to_value(entry) : 0;
}

static int quota_set(unsigned long uid, unsigned long bytes)
{
	if (!bytes) {
		xa_erase(&msgq_quota, uid);
		return 0;
	}
	return xa_err(xa_store(&msgq_quota, uid, xa_mk_value(bytes),
			       GFP_KERNEL));
}

/*
 * Reserve @mb's bytes for its creator: EMFILE past the quota, or past what
 * an xarray value holds (LONG_MAX, 2 GiB on 32-bit), even for root.
 */
int msgq_quota_charge(struct msgq_mailbox *mb)
{
	unsigned long uid = __kuid_val(mb->uid);
	u64 bytes = (u64)mb->max_msgs * (mb->max_msgsize + MSGQ_MSG_OVERHEAD);
	u64 used, total;
	int err;

	BUILD_BUG_ON(sizeof(struct msgq_msg) > MSGQ_MSG_OVERHEAD);
	if (!bytes)
		return 0;
	mutex_lock(&msgq_quota_lock);
	used = quota_used(uid);
	err = -EMFILE;
	if (check_add_overflow(used, bytes, &total) || total > LONG_MAX)
		goto out_unlock;
	if (total > READ_ONCE(user_bytes) && !capable(CAP_SYS_RESOURCE))
		goto out_unlock;
	err = quota_set(uid, total);
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
	/* Replacing or erasing an entry never allocates: this cannot fail. */
	quota_set(uid, quota_used(uid) - mb->quota_bytes);
	mutex_unlock(&msgq_quota_lock);
}

/* Bytes reserved by all users together. */
unsigned long msgq_quota_total(void)
{
	unsigned long uid, total = 0;
	void *entry;

	mutex_lock(&msgq_quota_lock);
	xa_for_each(&msgq_quota, uid, entry)
		total += xa_to_value(entry);
	mutex_unlock(&msgq_quota_lock);
	return total;
}
