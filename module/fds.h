/* SPDX-License-Identifier: GPL-2.0 */
/*
 * msgq file descriptors carried by a message (fds.c): taken at send, held
 * by the message, installed in a receiver.
 *
 * A send makes a struct msgq_fds of the files (msgq_fds_get()), which the
 * message then owns until it is retired (msgq_fds_put()). A receive with
 * room for descriptors uses a struct msgq_fds_rcv: its deliver callback
 * calls msgq_fds_rcv_prepare() before it copies anything, then
 * msgq_fds_rcv_hold() once nothing can fail; its fault_in callback calls
 * msgq_fds_rcv_reserve(); and the caller of the receive calls
 * msgq_fds_rcv_finish() in every case. The message keeps its own
 * references: a message several receivers get installs for each.
 */
#ifndef _MSGQ_FDS_H
#define _MSGQ_FDS_H

#include <linux/compiler.h>
#include <linux/types.h>
#include <linux/uidgid.h>

#include "msgq.h"	/* uapi/msgq.h: MSGQ_FDS_MAX */

struct file;
struct msgq_msg;

/**
 * struct msgq_fds - the files a message carries
 * @uid:     the sender's real uid, whose files in flight they count in
 * @charged: counted there (fds.c, "In flight")
 * @count:   entries in @files, 1..MSGQ_FDS_MAX
 * @files:   one reference each
 */
struct msgq_fds {
	kuid_t uid;
	bool charged;
	unsigned int count;
	struct file *files[];
};

struct msgq_fds *msgq_fds_get(const int __user *ufds, u32 n);
void msgq_fds_put(struct msgq_fds *fds);
void msgq_fds_exit(void);

/**
 * struct msgq_fds_rcv - the descriptors of one receive
 * @ufds:     where their numbers go
 * @cap:      room at @ufds, at most MSGQ_FDS_MAX
 * @o_flags:  O_CLOEXEC or 0
 * @need:     descriptors the last message looked at wants installed
 * @reserved: descriptor numbers reserved in @fd, unused yet
 * @held:     files in @files, referenced, to install
 * @fd:       reserved numbers, then (after finish) the installed ones
 * @files:    the files to install
 */
struct msgq_fds_rcv {
	int __user *ufds;
	u32 cap;
	unsigned int o_flags;
	u32 need;
	u32 reserved;
	u32 held;
	int fd[MSGQ_FDS_MAX];
	struct file *files[MSGQ_FDS_MAX];
};

void msgq_fds_rcv_init(struct msgq_fds_rcv *r, int __user *ufds, u32 cap,
		       bool cloexec);
int msgq_fds_rcv_prepare(struct msgq_fds_rcv *r, const struct msgq_msg *msg,
			 u32 *want, bool *trunc);
int msgq_fds_rcv_write(struct msgq_fds_rcv *r, u32 want);
int msgq_fds_rcv_reserve(struct msgq_fds_rcv *r);
void msgq_fds_rcv_hold(struct msgq_fds_rcv *r, const struct msgq_msg *msg,
		       u32 want);
int msgq_fds_rcv_finish(struct msgq_fds_rcv *r);

#endif /* _MSGQ_FDS_H */
