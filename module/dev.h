/* SPDX-License-Identifier: GPL-2.0 */
/* msgq /dev/msgq, the namespace handle (dev.c). */
#ifndef _MSGQ_DEV_H
#define _MSGQ_DEV_H

#include <linux/fs.h>

extern const struct file_operations msgq_dev_fops;

#endif /* _MSGQ_DEV_H */
