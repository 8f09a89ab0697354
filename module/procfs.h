/* SPDX-License-Identifier: GPL-2.0 */
/* msgq listing: /proc/msgq and /proc/msgq_limits (procfs.c). */
#ifndef _MSGQ_PROCFS_H
#define _MSGQ_PROCFS_H

int msgq_procfs_init(void);
void msgq_procfs_exit(void);

#endif /* _MSGQ_PROCFS_H */
