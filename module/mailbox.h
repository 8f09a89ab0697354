/* SPDX-License-Identifier: GPL-2.0 */
/*
 * msgq mailbox: the queue of messages, blocking and wakeups (mailbox.c).
 *
 * Objects and their lifetimes:
 *   struct msgq_mailbox  refcounted (kref): one reference for its name while
 *                        it is linked in a namespace table, one per handle.
 *   struct msgq_msg      (message.h) owned by the queue while listed; a
 *                        receiver owns it while it copies, a peeker holds
 *                        an extra reference.
 *
 *   a subscription       a mailbox of its own behind one receiving handle
 *                        of a fan-out mailbox (@hub), which it references;
 *                        it is listed in the fan-out mailbox while the
 *                        handle is open.
 *
 * Lock order: msgq_registry_lock (mutex, registry.c) -> mailbox->lock
 *             (spinlock) -> a subscription's mailbox->lock (a lockdep
 *             class of its own) -> wait queue locks. Nothing sleeps under
 *             mailbox->lock; the user copies made under it run with page
 *             faults disabled.
 */
#ifndef _MSGQ_MAILBOX_H
#define _MSGQ_MAILBOX_H

#include <linux/bits.h>
#include <linux/eventfd.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/poll.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/uio.h>
#include <linux/wait.h>

#include "limits.h"
#include "message.h"

struct msgq_ns;

/**
 * enum msgq_sync_state - how a synchronous send fares (struct msgq_sync)
 *
 * Every change is made under the mailbox lock; "final" states end the
 * sender's wait, and the sender then leaves (its stack with it).
 *
 *   state       set by                          next
 *   QUEUED      the sender queueing the message; INFLIGHT, DROPPED,
 *               a receiver giving it back        WITHDRAWN
 *   INFLIGHT    a receiver taking it to copy     DELIVERED, QUEUED,
 *                                                DROPPED, ABANDONED
 *   DELIVERED   the receiver, copy done          final
 *   DROPPED     the mailbox dying                final
 *   WITHDRAWN   the sender, cut short (timeout,  final: the message is
 *               signal, non-blocking)            the sender's again
 *   ABANDONED   the sender, killed while the     final: the receiver
 *               message is in flight             decides alone
 */
enum msgq_sync_state {
	MSGQ_SYNC_QUEUED,
	MSGQ_SYNC_INFLIGHT,
	MSGQ_SYNC_DELIVERED,
	MSGQ_SYNC_DROPPED,
	MSGQ_SYNC_WITHDRAWN,
	MSGQ_SYNC_ABANDONED,
};

/**
 * struct msgq_sync - a sender waiting for its message to be received
 * @task:  the sending task, woken at every change of @state but INFLIGHT
 * @state: enum msgq_sync_state, under the mailbox lock
 * @link:  in the mailbox's @nonblock_senders while a non-blocking send
 *         waits, under the mailbox lock
 *
 * Lives on the sender's stack. The sender leaves only after seeing a final
 * state, or after withdrawing the message, both under the mailbox lock, and
 * unlinks @link in that same lock hold, so a receiver holding that lock may
 * always dereference it, through the message or through @link.
 */
struct msgq_sync {
	struct task_struct *task;
	enum msgq_sync_state state;
	struct list_head link;
};

/*
 * Priorities come in groups of 64 levels: a group is one word of bits (a
 * level's bit set iff its list holds a message) and a FIFO list per level.
 * Group 0 (priorities 0..63) is part of the mailbox; the others exist only
 * while they hold messages, so a mailbox that uses few levels pays for few.
 */
#define MSGQ_GROUP_SHIFT	6
#define MSGQ_GROUP_LEVELS	BIT(MSGQ_GROUP_SHIFT)
#define MSGQ_GROUPS		(MSGQ_PRIO_MAX >> MSGQ_GROUP_SHIFT)

/**
 * struct msgq_group - the FIFO lists of 64 priorities
 * @used:   [lock] bit l set iff @levels[l] is not empty
 * @held:   [lock] messages of these priorities the mailbox holds: listed
 *          or being copied out
 * @index:  [lock] its number in the mailbox's @groups, 0 while in none
 * @idle:   [lock] in the mailbox's @idle_groups while @held is 0
 * @levels: [lock] one FIFO list of messages per priority
 */
struct msgq_group {
	DECLARE_BITMAP(used, MSGQ_GROUP_LEVELS);
	u32 held;
	u32 index;
	struct list_head idle;
	struct list_head levels[MSGQ_GROUP_LEVELS];
};

/* What a send to a mailbox reaches (MSGQ_O_FANOUT, MSGQ_O_FANOUT_DROP). */
enum msgq_fanout {
	MSGQ_FANOUT_NONE,	/* one receiver takes each message */
	MSGQ_FANOUT_BLOCK,	/* every subscription; a full one blocks */
	MSGQ_FANOUT_DROP,	/* every subscription; a full one loses one */
};

/* How a notification is delivered (struct msgq_notification). */
enum msgq_notify_how {
	MSGQ_NOTIFY_BY_NONE,	/* nothing: the registration alone */
	MSGQ_NOTIFY_BY_SIGNAL,	/* a signal, SI_MESGQ */
	MSGQ_NOTIFY_BY_EVENTFD,	/* 1 added to an eventfd */
};

/**
 * struct msgq_notification - a process to tell when a message arrives
 * @how:     enum msgq_notify_how
 * @signo:   MSGQ_NOTIFY_BY_SIGNAL: the signal
 * @value:   MSGQ_NOTIFY_BY_SIGNAL: its si_value
 * @eventfd: MSGQ_NOTIFY_BY_EVENTFD: the eventfd, referenced
 * @owner:   the registering thread group, referenced
 * @user_ns: its user namespace, for the sender's uid, referenced
 * @exec_id: the registrant's self_exec_id: no signal after it exec'd
 *
 * POSIX mq_notify(): see msgq_mailbox_notify().
 */
struct msgq_notification {
	enum msgq_notify_how how;
	int signo;
	u64 value;
	struct eventfd_ctx *eventfd;
	struct pid *owner;
	struct user_namespace *user_ns;
	u64 exec_id;
};

/**
 * struct msgq_mailbox - a mailbox
 * @lock:            protects the fields marked [lock] below
 * @groups_used:     [lock] bit g set iff group g has a listed message
 * @group0:          [lock] priorities 0..63
 * @groups:          [lock] groups of the priorities from 64 on, by number,
 *                   each there while it holds a message, and then while
 *                   idle until another number needs it; NULL until a
 *                   priority from 64 on is first used
 * @idle_groups:     [lock] groups (struct msgq_group) holding no message,
 *                   most recently emptied first, for the next group used
 * @nr_groups:       [lock] groups allocated, idle or not: an emptied group
 *                   is kept idle while there are at most max(@max_msgs, 1),
 *                   the most that the mailbox's messages can use anyway
 * @listed:          [lock] messages in the lists, ready to be taken
 * @cur_msgs:        [lock] messages held: listed plus being copied out
 * @cur_bytes:       [lock] payload bytes held
 * @total_sent:      [lock] messages queued and not withdrawn
 * @total_received:  [lock] messages taken by receivers
 * @nr_receivers:    [lock] receivers waiting for a message: asleep in
 *                   @sleepers, woken and not yet back, or faulting their
 *                   buffer in (see "Stalled buffers" in mailbox.c)
 * @sleepers:        [lock] struct msgq_sleeper of sleeping receivers,
 *                   oldest first; a sender unlists the one it wakes
 * @nonblock_senders: [lock] struct msgq_sync of non-blocking synchronous
 *                   sends waiting for the receivers they went ahead for;
 *                   woken when @nr_receivers falls to 0
 * @dead:            [lock] the owner is gone: every call fails with EIDRM
 * @recv_wait:       EPOLLIN pollers and peekers wait here
 * @send_wait:       senders waiting for room and EPOLLOUT pollers wait here
 * @fasync:          O_ASYNC handles, signalled when a message arrives
 * @owner:           [lock] the handle that owns an owned mailbox, or NULL
 * @notify:          [lock] the registration of mq_notify(), or NULL
 * @subscribers:     [lock] a fan-out mailbox's subscriptions, oldest first
 * @nr_subscribers:  [lock] entries in @subscribers
 * @subscription:    [@hub's lock] a subscription: in @hub's @subscribers
 *                   until its handle is closed, then empty
 * @lost:            [lock] a subscription: messages dropped for room
 * @pool:            [lock] free message slots, see message.c
 * @pool_count:      [lock] slots in @pool, at most @pool_max
 * @ref:             see the top of this file
 * @ns:              [msgq_registry_lock] namespace table, NULL once unlinked
 * @name_node:       [msgq_registry_lock] in @ns's hash table while linked
 * @max_msgs:        capacity, 0 for a rendezvous mailbox (immutable)
 * @max_msgsize:     largest payload (immutable)
 * @slot_payload:    payload room of a slot (immutable)
 * @pool_max:        most free slots kept: MSGQ_POOL_MAX, or fewer if the
 *                   mailbox holds fewer messages (immutable)
 * @id:              a number no other mailbox has had since the module
 *                   was loaded: fdinfo's msgq-id (immutable)
 * @uid, @gid, @mode: owner and permission bits (immutable); a subscription's
 *                   @uid is its opener's, charged for it (limits.c)
 * @owned:           dies with its owner's handle (immutable)
 * @fanout:          enum msgq_fanout (immutable)
 * @hub:             a subscription: its fan-out mailbox, referenced; NULL
 *                   for any other mailbox (immutable)
 * @quota_bytes:     bytes charged to @uid's quota, 0 if none (immutable)
 * @name:            NUL-terminated name (immutable)
 */
struct msgq_mailbox {
	spinlock_t lock;	/* guards the [lock] fields */
	DECLARE_BITMAP(groups_used, MSGQ_GROUPS);
	struct msgq_group group0;
	struct msgq_group **groups;
	struct list_head idle_groups;
	u32 nr_groups;
	u32 listed;
	u32 cur_msgs;
	u64 cur_bytes;
	u64 total_sent;
	u64 total_received;
	u32 nr_receivers;
	struct list_head sleepers;
	struct list_head nonblock_senders;
	bool dead;
	wait_queue_head_t recv_wait;
	wait_queue_head_t send_wait;
	struct fasync_struct *fasync;
	struct file *owner;
	struct msgq_notification *notify;
	struct list_head subscribers;
	u32 nr_subscribers;
	struct list_head subscription;
	u64 lost;
	struct list_head pool;
	u32 pool_count;

	struct kref ref;
	struct msgq_ns *ns;
	struct hlist_node name_node;

	u32 max_msgs;
	u32 max_msgsize;
	u32 slot_payload;
	u32 pool_max;
	u64 id;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
	bool owned;
	u8 fanout;
	struct msgq_mailbox *hub;
	u64 quota_bytes;
	char name[];
};

/*
 * The mailbox a handle's name, owner and sends belong to: a subscription's
 * fan-out mailbox, or @mb itself.
 */
static inline struct msgq_mailbox *msgq_mailbox_named(struct msgq_mailbox *mb)
{
	return mb->hub ?: mb;
}

/**
 * struct msgq_blocking - how a call may block
 * @nonblock:     fail with EAGAIN instead of sleeping
 * @restartable:  a signal restarts the call (-ERESTARTSYS) instead of EINTR
 * @has_deadline: @deadline is set
 * @expired:      the deadline has passed (set while asleep)
 * @clock:        clock of @deadline
 * @deadline:     absolute time at which sleeping gives up with ETIMEDOUT
 */
struct msgq_blocking {
	bool nonblock;
	bool restartable;
	bool has_deadline;
	bool expired;
	clockid_t clock;
	ktime_t deadline;
};

/**
 * struct msgq_receiver - where a receive puts messages
 * @caps:     the capacity of each entry (one for a single receive)
 * @taken:    room for as many message pointers, scratch
 * @len:      out: length of the first message found (also on -EMSGSIZE)
 * @deliver:  copies @msg out as entry @k: 0, or -EFAULT with nothing of
 *            the entry's destination consumed. Called without the mailbox
 *            lock, or with it and page faults disabled: a receiver never
 *            waits on a fault while it holds a message a sender waits for
 *            (see "Stalled buffers" in mailbox.c).
 * @fault_in: makes entry @k's destination resident for @len bytes, with
 *            no message held: 0, or -EFAULT if it cannot be.
 */
struct msgq_receiver {
	const u32 *caps;
	struct msgq_msg **taken;
	u32 len;
	int (*deliver)(struct msgq_receiver *rcv, unsigned int k,
		       const struct msgq_msg *msg);
	int (*fault_in)(struct msgq_receiver *rcv, unsigned int k, u32 len);
};

/* One message of a batch send: its payload in user memory. */
struct msgq_send_entry {
	const void __user *buf;
	u32 len;
	u32 prio;
};

/*
 * A mailbox's state, for its owner's questions (getattr, /proc/msgq). Of a
 * fan-out mailbox: @cur_msgs and @cur_bytes are its deepest subscription's,
 * unless asked of a subscription, which tells its own, and its @lost.
 */
struct msgq_mailbox_state {
	u32 cur_msgs;
	u64 cur_bytes;
	u64 total_sent;
	u64 total_received;
	u32 subscribers;
	u32 max_backlog;
	u64 lost;
	bool dead;
};

struct msgq_mailbox *msgq_mailbox_alloc(const char *name, u32 max_msgs,
					u32 max_msgsize, umode_t mode,
					bool owned, enum msgq_fanout fanout);
struct msgq_mailbox *msgq_mailbox_subscribe(struct msgq_mailbox *hub);
void msgq_mailbox_unsubscribe(struct msgq_mailbox *sub);
void msgq_mailbox_put(struct msgq_mailbox *mb);
void msgq_mailbox_set_owner(struct msgq_mailbox *mb, struct file *owner);
bool msgq_mailbox_owned_by(struct msgq_mailbox *mb, struct file *file);
void msgq_mailbox_kill(struct msgq_mailbox *mb);

int msgq_mailbox_send(struct msgq_mailbox *mb, struct iov_iter *from,
		      u32 prio, bool sync, struct msgq_fds *fds,
		      struct msgq_blocking *b);
int msgq_mailbox_send_batch(struct msgq_mailbox *mb,
			    const struct msgq_send_entry *e, unsigned int n,
			    struct msgq_blocking *b);
int msgq_mailbox_recv(struct msgq_mailbox *mb, struct msgq_receiver *rcv,
		      unsigned int count, bool peek, struct msgq_blocking *b);
__poll_t msgq_mailbox_poll(struct msgq_mailbox *mb, struct file *file,
			   poll_table *pt);
int msgq_mailbox_notify(struct msgq_mailbox *mb, struct msgq_notification *n);
void msgq_mailbox_notify_close(struct msgq_mailbox *mb);
void msgq_notification_free(struct msgq_notification *n);
void msgq_mailbox_state(struct msgq_mailbox *mb,
			struct msgq_mailbox_state *st);

#endif /* _MSGQ_MAILBOX_H */
