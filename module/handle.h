/* SPDX-License-Identifier: GPL-2.0 */
/*
 * msgq mailbox handles (handle.c), and what their ioctls share with the
 * batch ioctls (batch.c): the only files, with dev.c, that know the UAPI.
 */
#ifndef _MSGQ_HANDLE_H
#define _MSGQ_HANDLE_H

#include <linux/fs.h>
#include <linux/string.h>

#include "mailbox.h"

int msgq_handle_install(struct msgq_mailbox *mb, u32 flags, bool owner);
bool msgq_handle_is(const struct file *file);
int msgq_blocking_from_args(struct msgq_blocking *b, struct file *file,
			    u32 flags, u32 clockid,
			    const struct msgq_timespec *ts);

/* Reserved fields must be zero. */
static inline bool msgq_any_set(const void *p, size_t size)
{
	return memchr_inv(p, 0, size);
}

#endif /* _MSGQ_HANDLE_H */
