/* SPDX-License-Identifier: GPL-2.0 */
/*
 * msgq messages: a header and its payload (message.c).
 *
 * A message's life, one name per step: msgq_msg_alloc() makes one (or a
 * mailbox takes a free slot of its pool), msgq_msg_copy_in() fills it,
 * msgq_msg_stamp() makes it a message of the calling task with one
 * reference, msgq_msg_copy_out() copies it to a receiver, and the last
 * msgq_msg_put() retires it (msgq_msg_retire(): uncounted, its sender
 * forgotten) and frees it (msgq_msg_free()), unless its mailbox recycles
 * a slot into its pool instead.
 */
#ifndef _MSGQ_MESSAGE_H
#define _MSGQ_MESSAGE_H

#include <linux/cred.h>
#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/timekeeping.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/uio.h>
#include <linux/user_namespace.h>

#include "fds.h"
#include "stats.h"

struct msgq_sync;

/* How a message holds its payload: see message.c. */
enum msgq_msg_shape {
	MSGQ_MSG_SLOT,		/* after the header, pooled per mailbox */
	MSGQ_MSG_INLINE,	/* after the header */
	MSGQ_MSG_PAGED,		/* in the pages listed after the header */
	MSGQ_MSG_SHARED,	/* in another message, @body: fan-out */
};

/* Largest payload kept in a pooled slot, and free slots kept per mailbox. */
#define MSGQ_SLOT_PAYLOAD	448
#define MSGQ_POOL_MAX		64

/**
 * struct msgq_msg - one message
 * @link:    in its mailbox's priority list or pool, under the mailbox lock
 * @sync:    waiting sender, or NULL; under the mailbox lock
 * @sender:  if @pinned: thread group of a sender outside the initial pid
 *           namespace, for translation at receive
 * @tgid:    if not @pinned: thread-group id of the sender, in the initial
 *           pid namespace (msgq_msg_tgid() for either)
 * @fds:     files carried (fds.c), or NULL; the message's until retired
 * @sent_ns: CLOCK_REALTIME at send
 * @ref:     the queue's (or the receiver's) reference plus peekers'
 * @uid:     effective uid of the sender
 * @len:     payload length
 * @prio:    priority
 * @shape:   enum msgq_msg_shape
 * @pinned:  @sender is set, not @tgid (the header stays 64 bytes: the
 *           MSGQ_MSG_OVERHEAD of the quota)
 * @data:    payload (slot and inline shapes)
 * @pages:   payload, PAGE_SIZE bytes per page (paged shape)
 * @body:    the message holding the payload, referenced (shared shape)
 */
struct msgq_msg {
	struct list_head link;
	struct msgq_sync *sync;
	union {
		struct pid *sender;
		pid_t tgid;
	};
	struct msgq_fds *fds;
	u64 sent_ns;
	refcount_t ref;
	kuid_t uid;
	u32 len;
	u16 prio;
	u8 shape;
	bool pinned;
	union {
		DECLARE_FLEX_ARRAY(char, data);
		DECLARE_FLEX_ARRAY(struct page *, pages);
		DECLARE_FLEX_ARRAY(struct msgq_msg *, body);
	};
};

/* A message with room for @len bytes, not stamped; @slot_payload: see message.c */
struct msgq_msg *msgq_msg_alloc(u32 len, u32 slot_payload);
void msgq_msg_free(struct msgq_msg *msg);
void msgq_msg_free_list(struct list_head *list);
void msgq_msg_put(struct msgq_msg *msg);

/* The files @msg carries (a sharer's are its body's), or NULL. */
static inline struct msgq_fds *msgq_msg_fds(const struct msgq_msg *msg)
{
	if (msg->shape == MSGQ_MSG_SHARED)
		return msg->body[0]->fds;
	return msg->fds;
}

/* Fan-out: a message sharing the payload of another, see message.c. */
struct msgq_msg *msgq_msg_alloc_shared(void);
void msgq_msg_share(struct msgq_msg *msg, struct msgq_msg *body);

/*
 * Copies go through an iov_iter, so read(2), readv(2), io_uring and the
 * ioctls share them. Either copies all @len bytes or fails with -EFAULT
 * leaving the iterator where it was, so that a copy tried with page faults
 * disabled (it then fails rather than sleeps) can be tried again.
 */
int msgq_msg_copy_in(struct msgq_msg *msg, struct iov_iter *from, u32 len);
int msgq_msg_copy_out(const struct msgq_msg *msg, struct iov_iter *to);

/* The time a message is stamped with; one read serves a whole batch. */
static inline u64 msgq_msg_clock(void)
{
	return ktime_get_real_ns();
}

/**
 * msgq_msg_stamp - make @msg a message of the calling task, sent at @now
 * @msg:  allocated and filled
 * @len:  payload length
 * @prio: priority
 * @now:  from msgq_msg_clock(); one read serves a batch
 *
 * Inline, as msgq_msg_retire(): both run once per message of a batch.
 */
static inline void msgq_msg_stamp(struct msgq_msg *msg, u32 len, u32 prio,
				  u64 now)
{
	struct pid *tgid = task_tgid(current);

	refcount_set(&msg->ref, 1);
	/* See "The sender" in message.c. */
	msg->pinned = tgid->level;
	if (msg->pinned)
		msg->sender = get_pid(tgid);
	else
		msg->tgid = current->tgid;
	msg->uid = current_euid();
	msg->sent_ns = now;
	msg->sync = NULL;
	msg->fds = NULL;
	msg->len = len;
	msg->prio = prio;
	msgq_stats_msgs(1, len);
}

/*
 * The message is gone: forget its sender, close the files it carries (an
 * fput() may be made under the mailbox lock: the last one is deferred to
 * task work) and stop counting it. A shared one was never counted and
 * carries no files: its body does, until its last sharer goes.
 */
static inline void msgq_msg_retire(struct msgq_msg *msg)
{
	if (msg->pinned)
		put_pid(msg->sender);
	if (msg->shape == MSGQ_MSG_SHARED) {
		msgq_msg_put(msg->body[0]);
		return;
	}
	msgq_stats_msgs(-1, -(long)msg->len);
	if (unlikely(msg->fds)) {
		msgq_fds_put(msg->fds);
		msg->fds = NULL;
	}
}

/* The sender's thread-group id in the caller's pid namespace, or 0. */
static inline pid_t msgq_msg_sender_vnr(const struct msgq_msg *msg)
{
	if (msg->pinned)
		return pid_vnr(msg->sender);
	/* Outside the initial namespace its tasks are invisible. */
	return task_tgid(current)->level ? 0 : msg->tgid;
}

/* The sender's thread-group id in the initial pid namespace. */
static inline pid_t msgq_msg_tgid(const struct msgq_msg *msg)
{
	return msg->pinned ? pid_nr(msg->sender) : msg->tgid;
}

/* The sender's euid in the caller's user namespace. */
static inline uid_t msgq_msg_uid(const struct msgq_msg *msg)
{
	struct user_namespace *ns = current_user_ns();

	if (ns == &init_user_ns)
		return __kuid_val(msg->uid);
	return from_kuid_munged(ns, msg->uid);
}

#endif /* _MSGQ_MESSAGE_H */
