/* SPDX-License-Identifier: GPL-2.0 */
/* msgq batch ioctls of mailbox handles (batch.c). */
#ifndef _MSGQ_BATCH_H
#define _MSGQ_BATCH_H

#include <linux/fs.h>

#include "msgq.h"	/* uapi/msgq.h */

long msgq_handle_send_batch(struct file *file,
			    struct msgq_batch __user *uargs);
long msgq_handle_recv_batch(struct file *file,
			    struct msgq_batch __user *uargs);

#endif /* _MSGQ_BATCH_H */
