/* SPDX-License-Identifier: GPL-2.0 */
/* msgq limits: tunables and the per-user quota (limits.c). */
#ifndef _MSGQ_LIMITS_H
#define _MSGQ_LIMITS_H

#include <linux/types.h>

#include "msgq.h"	/* uapi/msgq.h: the fixed limits (MSGQ_*_LIMIT...) */

struct msgq_mailbox;

u32 msgq_limit_mailboxes(void);
u32 msgq_limit_max_msgs(void);
u32 msgq_limit_max_msgsize(void);
int msgq_quota_charge(struct msgq_mailbox *mb);
void msgq_quota_uncharge(struct msgq_mailbox *mb);
unsigned long msgq_quota_total(void);

#endif /* _MSGQ_LIMITS_H */
