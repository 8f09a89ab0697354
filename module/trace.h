/* SPDX-License-Identifier: GPL-2.0 */
/*
 * msgq tracepoints: the "msgq" system in tracefs (events/msgq/), for perf,
 * trace-cmd and bpftrace. Each costs a static branch when disabled; a
 * module built with MSGQ_NO_TRACEPOINTS=y (Kbuild) has none at all.
 *
 * Who sends to mailbox "jobs", and how deep does it get:
 *   perf trace -e msgq:msgq_send --filter 'name == "jobs"'
 *   bpftrace -e 'tracepoint:msgq:msgq_send /str(args.name) == "jobs"/
 *                { @[comm] = count(); @depth = hist(args.depth); }'
 *
 * The name is a dynamic array rather than a __string(): __assign_str()
 * changed its arguments in 6.10, and this builds against 6.1 and 6.12.
 */
#ifndef _MSGQ_TRACE_TYPES_H
#define _MSGQ_TRACE_TYPES_H

/* What a sleeping call waits for: msgq_wait_begin's "for". */
enum msgq_trace_wait {
	MSGQ_WAIT_MESSAGE,	/* a receiver or a peeker */
	MSGQ_WAIT_ROOM,		/* a sender, for room */
	MSGQ_WAIT_DELIVERY,	/* a synchronous sender, for its receiver */
};

#define MSGQ_NAME_FIELD(mb)						\
	__dynamic_array(char, name, strlen((mb)->name) + 1)
#define MSGQ_NAME_ASSIGN(mb)						\
	memcpy(__get_dynamic_array(name), (mb)->name,			\
	       __get_dynamic_array_len(name))

#endif /* _MSGQ_TRACE_TYPES_H */

#undef TRACE_SYSTEM
#define TRACE_SYSTEM msgq

#if !defined(_MSGQ_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _MSGQ_TRACE_H

#include <linux/string.h>
#include <linux/tracepoint.h>

#include "mailbox.h"

TRACE_DEFINE_ENUM(MSGQ_WAIT_MESSAGE);
TRACE_DEFINE_ENUM(MSGQ_WAIT_ROOM);
TRACE_DEFINE_ENUM(MSGQ_WAIT_DELIVERY);

/* A mailbox's name came or went, or its owner is gone. */
DECLARE_EVENT_CLASS(msgq_mailbox_class,
		    TP_PROTO(const struct msgq_mailbox *mb),
		    TP_ARGS(mb),
		    TP_STRUCT__entry(MSGQ_NAME_FIELD(mb)
				     __field(u64, id)
				     __field(u32, max_msgs)
				     __field(u32, max_msgsize)
				     __field(bool, owned)),
		    TP_fast_assign(MSGQ_NAME_ASSIGN(mb);
				   __entry->id = mb->id;
				   __entry->max_msgs = mb->max_msgs;
				   __entry->max_msgsize = mb->max_msgsize;
				   __entry->owned = mb->owned),
		    TP_printk("name=%s id=%llu max_msgs=%u max_msgsize=%u owned=%d",
			      __get_str(name), __entry->id, __entry->max_msgs,
			      __entry->max_msgsize, __entry->owned));

DEFINE_EVENT(msgq_mailbox_class, msgq_create,
	     TP_PROTO(const struct msgq_mailbox *mb), TP_ARGS(mb));
DEFINE_EVENT(msgq_mailbox_class, msgq_open,
	     TP_PROTO(const struct msgq_mailbox *mb), TP_ARGS(mb));
DEFINE_EVENT(msgq_mailbox_class, msgq_unlink,
	     TP_PROTO(const struct msgq_mailbox *mb), TP_ARGS(mb));
DEFINE_EVENT(msgq_mailbox_class, msgq_kill,
	     TP_PROTO(const struct msgq_mailbox *mb), TP_ARGS(mb));

/* A message was queued, or received: @depth is the mailbox's after it. */
DECLARE_EVENT_CLASS(msgq_msg_class,
		    TP_PROTO(const struct msgq_mailbox *mb,
			     const struct msgq_msg *msg),
		    TP_ARGS(mb, msg),
		    TP_STRUCT__entry(MSGQ_NAME_FIELD(mb)
				     __field(u32, len)
				     __field(u32, prio)
				     __field(u32, depth)
				     __field(pid_t, sender)),
		    TP_fast_assign(MSGQ_NAME_ASSIGN(mb);
				   __entry->len = msg->len;
				   __entry->prio = msg->prio;
				   __entry->depth = mb->cur_msgs;
				   __entry->sender = msgq_msg_tgid(msg)),
		    TP_printk("name=%s len=%u prio=%u depth=%u sender=%d",
			      __get_str(name), __entry->len, __entry->prio,
			      __entry->depth, __entry->sender));

DEFINE_EVENT(msgq_msg_class, msgq_send,
	     TP_PROTO(const struct msgq_mailbox *mb,
		      const struct msgq_msg *msg),
	     TP_ARGS(mb, msg));
DEFINE_EVENT(msgq_msg_class, msgq_recv,
	     TP_PROTO(const struct msgq_mailbox *mb,
		      const struct msgq_msg *msg),
	     TP_ARGS(mb, msg));

/* A call goes to sleep on a mailbox, for @what. */
TRACE_EVENT(msgq_wait_begin,
	    TP_PROTO(const struct msgq_mailbox *mb, enum msgq_trace_wait what),
	    TP_ARGS(mb, what),
	    TP_STRUCT__entry(MSGQ_NAME_FIELD(mb)
			     __field(int, what)),
	    TP_fast_assign(MSGQ_NAME_ASSIGN(mb);
			   __entry->what = what),
	    TP_printk("name=%s for=%s", __get_str(name),
		      __print_symbolic(__entry->what,
				       { MSGQ_WAIT_MESSAGE, "message" },
				       { MSGQ_WAIT_ROOM, "room" },
				       { MSGQ_WAIT_DELIVERY, "delivery" })));

/* ... and wakes: @err says why (0: woken, to look again). */
TRACE_EVENT(msgq_wait_end,
	    TP_PROTO(const struct msgq_mailbox *mb, int err),
	    TP_ARGS(mb, err),
	    TP_STRUCT__entry(MSGQ_NAME_FIELD(mb)
			     __field(int, err)),
	    TP_fast_assign(MSGQ_NAME_ASSIGN(mb);
			   __entry->err = err),
	    TP_printk("name=%s err=%d", __get_str(name), __entry->err));

#endif /* _MSGQ_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
