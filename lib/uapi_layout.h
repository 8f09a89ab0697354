/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The layout of every UAPI struct, asserted. The handles' compat_ioctl is
 * compat_ptr_ioctl(), which is right only if each struct has one layout for
 * i386 and x86_64: libmsgq is built for both (make -C lib, and M32=1), and
 * each build checks these same numbers. A change to uapi/msgq.h that moves
 * a field fails both builds here, on purpose: the UAPI never changes a
 * layout, it only adds structs or uses reserved words.
 */
#ifndef MSGQ_UAPI_LAYOUT_H
#define MSGQ_UAPI_LAYOUT_H

#include <assert.h>
#include <stddef.h>

#include <linux/msgq.h>

#define MSGQ_SIZE(s, size)						\
	static_assert(sizeof(struct s) == (size), #s ": size")
#define MSGQ_FIELD(s, f, off, size)					\
	static_assert(offsetof(struct s, f) == (off) &&			\
		      sizeof(((struct s *)0)->f) == (size), #s "." #f)

MSGQ_SIZE(msgq_create, 40);
MSGQ_FIELD(msgq_create, name, 0, 8);
MSGQ_FIELD(msgq_create, flags, 8, 4);
MSGQ_FIELD(msgq_create, mode, 12, 4);
MSGQ_FIELD(msgq_create, max_msgs, 16, 4);
MSGQ_FIELD(msgq_create, max_msgsize, 20, 4);
MSGQ_FIELD(msgq_create, __reserved, 24, 16);

MSGQ_SIZE(msgq_open, 32);
MSGQ_FIELD(msgq_open, name, 0, 8);
MSGQ_FIELD(msgq_open, flags, 8, 4);
MSGQ_FIELD(msgq_open, __pad, 12, 4);
MSGQ_FIELD(msgq_open, __reserved, 16, 16);

MSGQ_SIZE(msgq_unlink, 16);
MSGQ_FIELD(msgq_unlink, name, 0, 8);
MSGQ_FIELD(msgq_unlink, flags, 8, 4);
MSGQ_FIELD(msgq_unlink, __pad, 12, 4);

MSGQ_SIZE(msgq_timespec, 16);
MSGQ_FIELD(msgq_timespec, tv_sec, 0, 8);
MSGQ_FIELD(msgq_timespec, tv_nsec, 8, 8);

MSGQ_SIZE(msgq_send, 56);
MSGQ_FIELD(msgq_send, buf, 0, 8);
MSGQ_FIELD(msgq_send, len, 8, 4);
MSGQ_FIELD(msgq_send, prio, 12, 4);
MSGQ_FIELD(msgq_send, flags, 16, 4);
MSGQ_FIELD(msgq_send, clockid, 20, 4);
MSGQ_FIELD(msgq_send, timeout, 24, 16);
MSGQ_FIELD(msgq_send, fds, 40, 8);
MSGQ_FIELD(msgq_send, nfds, 48, 4);
MSGQ_FIELD(msgq_send, fd_flags, 52, 4);

MSGQ_SIZE(msgq_recv, 80);
MSGQ_FIELD(msgq_recv, buf, 0, 8);
MSGQ_FIELD(msgq_recv, cap, 8, 4);
MSGQ_FIELD(msgq_recv, flags, 12, 4);
MSGQ_FIELD(msgq_recv, clockid, 16, 4);
MSGQ_FIELD(msgq_recv, len, 20, 4);
MSGQ_FIELD(msgq_recv, prio, 24, 4);
MSGQ_FIELD(msgq_recv, pid, 28, 4);
MSGQ_FIELD(msgq_recv, uid, 32, 4);
MSGQ_FIELD(msgq_recv, __pad, 36, 4);
MSGQ_FIELD(msgq_recv, sent_ns, 40, 8);
MSGQ_FIELD(msgq_recv, timeout, 48, 16);
MSGQ_FIELD(msgq_recv, fds, 64, 8);
MSGQ_FIELD(msgq_recv, nfds, 72, 4);
MSGQ_FIELD(msgq_recv, fd_flags, 76, 4);

MSGQ_SIZE(msgq_attr, 88);
MSGQ_FIELD(msgq_attr, max_msgs, 0, 4);
MSGQ_FIELD(msgq_attr, max_msgsize, 4, 4);
MSGQ_FIELD(msgq_attr, cur_msgs, 8, 4);
MSGQ_FIELD(msgq_attr, flags, 12, 4);
MSGQ_FIELD(msgq_attr, cur_bytes, 16, 8);
MSGQ_FIELD(msgq_attr, total_sent, 24, 8);
MSGQ_FIELD(msgq_attr, total_received, 32, 8);
MSGQ_FIELD(msgq_attr, mode, 40, 4);
MSGQ_FIELD(msgq_attr, uid, 44, 4);
MSGQ_FIELD(msgq_attr, gid, 48, 4);
MSGQ_FIELD(msgq_attr, handle_flags, 52, 4);
MSGQ_FIELD(msgq_attr, subscribers, 56, 4);
MSGQ_FIELD(msgq_attr, max_backlog, 60, 4);
MSGQ_FIELD(msgq_attr, lost, 64, 8);
MSGQ_FIELD(msgq_attr, __reserved, 72, 16);

MSGQ_SIZE(msgq_mmsg, 40);
MSGQ_FIELD(msgq_mmsg, buf, 0, 8);
MSGQ_FIELD(msgq_mmsg, len, 8, 4);
MSGQ_FIELD(msgq_mmsg, prio, 12, 4);
MSGQ_FIELD(msgq_mmsg, pid, 16, 4);
MSGQ_FIELD(msgq_mmsg, uid, 20, 4);
MSGQ_FIELD(msgq_mmsg, sent_ns, 24, 8);
MSGQ_FIELD(msgq_mmsg, __reserved, 32, 8);

MSGQ_SIZE(msgq_batch, 56);
MSGQ_FIELD(msgq_batch, msgs, 0, 8);
MSGQ_FIELD(msgq_batch, count, 8, 4);
MSGQ_FIELD(msgq_batch, flags, 12, 4);
MSGQ_FIELD(msgq_batch, clockid, 16, 4);
MSGQ_FIELD(msgq_batch, __pad, 20, 4);
MSGQ_FIELD(msgq_batch, timeout, 24, 16);
MSGQ_FIELD(msgq_batch, __reserved, 40, 16);

MSGQ_SIZE(msgq_send_recv, 160);
MSGQ_FIELD(msgq_send_recv, send, 0, 56);
MSGQ_FIELD(msgq_send_recv, recv, 56, 80);
MSGQ_FIELD(msgq_send_recv, send_fd, 136, 4);
MSGQ_FIELD(msgq_send_recv, flags, 140, 4);
MSGQ_FIELD(msgq_send_recv, __reserved, 144, 16);

#undef MSGQ_SIZE
#undef MSGQ_FIELD

#endif /* MSGQ_UAPI_LAYOUT_H */
