/* SPDX-License-Identifier: GPL-2.0 */
/* msgq limits: tunables, the per-user name limit and byte quota (limits.c). */
#ifndef _MSGQ_LIMITS_H
#define _MSGQ_LIMITS_H

#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>

#include "msgq.h"	/* uapi/msgq.h: the fixed limits (MSGQ_*_LIMIT...) */

struct ipc_namespace;
struct msgq_mailbox;

u32 msgq_limit_mailboxes(void);
u32 msgq_limit_user_mailboxes(void);
u32 msgq_limit_max_msgs(void);
u32 msgq_limit_max_msgsize(void);
unsigned long msgq_limit_user_bytes(void);
int msgq_limit_names(struct ipc_namespace *ipc_ns, u32 names, u32 user_names);
int msgq_quota_charge(struct msgq_mailbox *mb);
void msgq_quota_uncharge(struct msgq_mailbox *mb);
unsigned long msgq_quota_of(kuid_t uid);
unsigned long msgq_quota_total(void);

/*
 * Per-user counts (limits.c, registry.c): value entries of an xarray
 * indexed by kuid, no entry for a count of 0. Their users serialise
 * updates with a lock of their own.
 */
static inline unsigned long msgq_count_get(struct xarray *xa,
					   unsigned long index)
{
	void *entry = xa_load(xa, index);

	return entry ? xa_to_value(entry) : 0;
}

/*
 * Set a count, 0 erasing it. Only a new entry allocates, so only raising a
 * count from 0 can fail (-ENOMEM); lowering one never does.
 */
static inline int msgq_count_set(struct xarray *xa, unsigned long index,
				 unsigned long n, gfp_t gfp)
{
	if (!n) {
		xa_erase(xa, index);
		return 0;
	}
	return xa_err(xa_store(xa, index, xa_mk_value(n), gfp));
}

static inline unsigned long msgq_count_sum(struct xarray *xa)
{
	unsigned long index, sum = 0;
	void *entry;

	xa_for_each(xa, index, entry)
		sum += xa_to_value(entry);
	return sum;
}

#endif /* _MSGQ_LIMITS_H */
