/* SPDX-License-Identifier: GPL-2.0 */
/*
 * msgq internals shared by the module's files.
 *
 * Objects and their lifetimes:
 *   struct msgq_mailbox  refcounted (kref): one reference for its name while
 *                        it is linked in a namespace table, one per handle.
 *   struct msgq_msg      header plus payload (module/message.c). Owned by
 *                        the queue while linked; a peeking reader holds an
 *                        extra reference while it copies. A received slot
 *                        goes back to its mailbox's pool.
 *
 * Lock order: msgq_registry_lock (mutex) -> mailbox->lock (spinlock)
 *             -> wait queue locks. Nothing sleeps under mailbox->lock; the
 *             user copies made under it (a small send into its slot, a
 *             receive of up to a page) run with page faults disabled.
 */
#ifndef _MSGQ_INTERNAL_H
#define _MSGQ_INTERNAL_H

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/types.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>
#include <linux/uio.h>
#include <linux/user_namespace.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "msgq.h"	/* uapi/msgq.h */

struct ipc_namespace;
struct msgq_ns;
struct pid;

/* States of a synchronous send, see struct msgq_sync. */
enum msgq_sync_state {
	MSGQ_SYNC_QUEUED,	/* in the queue, may be withdrawn */
	MSGQ_SYNC_INFLIGHT,	/* dequeued, being copied to a receiver */
	MSGQ_SYNC_DELIVERED,	/* copied to a receiver: the send succeeded */
	MSGQ_SYNC_DROPPED,	/* discarded with its dead mailbox */
	MSGQ_SYNC_WITHDRAWN,	/* taken back by its sender, cut short */
	MSGQ_SYNC_ABANDONED,	/* sender killed while a receiver copies */
};

/**
 * struct msgq_sync - a sender waiting for its message to be received
 * @task:  the sending task, woken at every change of @state
 * @state: enum msgq_sync_state, under the mailbox lock
 *
 * Lives on the sender's stack. The sender leaves only after seeing a final
 * state, or after withdrawing the message, both under the mailbox lock, so
 * a receiver holding that lock may always dereference it.
 */
struct msgq_sync {
	struct task_struct *task;
	enum msgq_sync_state state;
};

/* How a message holds its payload: see module/message.c */
enum msgq_msg_shape {
	MSGQ_MSG_SLOT,		/* after the header, pooled per mailbox */
	MSGQ_MSG_INLINE,	/* after the header */
	MSGQ_MSG_PAGED,		/* in the pages listed after the header */
};

/* Largest payload kept in a pooled slot, and free slots kept per mailbox. */
#define MSGQ_SLOT_PAYLOAD	448
#define MSGQ_POOL_MAX		64

/**
 * struct msgq_msg - one message
 * @link:    in its mailbox's priority list or pool, under the mailbox lock
 * @sync:    waiting sender, or NULL; under the mailbox lock
 * @sender:  thread group of a sender outside the initial pid namespace,
 *           for translation at receive; NULL for one inside it
 * @sent_ns: CLOCK_REALTIME at send
 * @ref:     the queue's (or the receiver's) reference plus peekers'
 * @tgid:    thread-group id of the sender in the initial pid namespace
 * @uid:     effective uid of the sender
 * @len:     payload length
 * @prio:    priority, below MSGQ_PRIO_MAX
 * @shape:   enum msgq_msg_shape
 * @data:    payload (slot and inline shapes)
 * @pages:   payload, PAGE_SIZE bytes per page (paged shape)
 */
struct msgq_msg {
	struct list_head link;
	struct msgq_sync *sync;
	struct pid *sender;
	u64 sent_ns;
	refcount_t ref;
	pid_t tgid;
	kuid_t uid;
	u32 len;
	u8 prio;
	u8 shape;
	union {
		DECLARE_FLEX_ARRAY(char, data);
		DECLARE_FLEX_ARRAY(struct page *, pages);
	};
};

/**
 * struct msgq_mailbox - a mailbox
 * @lock:            protects the fields marked [lock] below
 * @levels_used:     [lock] bit p set iff @levels[p] is not empty
 * @levels:          [lock] one FIFO list of messages per priority
 * @listed:          [lock] messages in @levels, ready to be taken
 * @cur_msgs:        [lock] messages held: listed plus being copied out
 * @cur_bytes:       [lock] payload bytes queued
 * @total_sent:      [lock] messages enqueued and not withdrawn
 * @total_received:  [lock] messages dequeued by receivers
 * @recv_sleepers:   [lock] receivers waiting for a message: in
 *                   @recv_waiters, or woken and not yet back
 * @recv_waiters:    [lock] struct msgq_waiter of sleeping receivers, oldest
 *                   first; a sender unlists the one it wakes
 * @dead:            [lock] the owner is gone: every call fails with EIDRM
 * @recv_wait:       EPOLLIN pollers and peekers wait here
 * @send_wait:       senders waiting for room and EPOLLOUT pollers wait here
 * @fasync:          O_ASYNC handles, signalled when a message arrives
 * @owner:           [lock] the handle that owns an owned mailbox, or NULL
 * @pool:            [lock] free message slots, see module/message.c
 * @pool_count:      [lock] slots in @pool, at most @pool_max
 * @ref:             see the top of this file
 * @ns:              [msgq_registry_lock] namespace table, NULL once unlinked
 * @name_node:       [msgq_registry_lock] in @ns's hash table while linked
 * @max_msgs:        capacity, 0 for a rendezvous mailbox (immutable)
 * @max_msgsize:     largest payload (immutable)
 * @slot_payload:    payload room of a slot (immutable)
 * @pool_max:        most free slots kept: MSGQ_POOL_MAX, or fewer if the
 *                   mailbox holds fewer messages (immutable)
 * @uid, @gid, @mode: owner and permission bits (immutable)
 * @owned:           created with MSGQ_O_OWNED (immutable)
 * @quota_bytes:     bytes charged to @uid's quota, 0 if none (immutable)
 * @name:            NUL-terminated name (immutable)
 */
struct msgq_mailbox {
	spinlock_t lock;	/* guards the [lock] fields */
	DECLARE_BITMAP(levels_used, MSGQ_PRIO_MAX);
	struct list_head levels[MSGQ_PRIO_MAX];
	u32 listed;
	u32 cur_msgs;
	u64 cur_bytes;
	u64 total_sent;
	u64 total_received;
	u32 recv_sleepers;
	struct list_head recv_waiters;
	bool dead;
	wait_queue_head_t recv_wait;
	wait_queue_head_t send_wait;
	struct fasync_struct *fasync;
	struct file *owner;
	struct list_head pool;
	u32 pool_count;

	struct kref ref;
	struct msgq_ns *ns;
	struct hlist_node name_node;

	u32 max_msgs;
	u32 max_msgsize;
	u32 slot_payload;
	u32 pool_max;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
	bool owned;
	u64 quota_bytes;
	char name[];
};

/**
 * struct msgq_waiter - a receiver asleep until a message arrives
 * @link: in mb->recv_waiters, under the mailbox lock
 * @task: the receiver, woken by the sender who unlists it
 */
struct msgq_waiter {
	struct list_head link;
	struct task_struct *task;
};

/**
 * struct msgq_wait - how a call may wait
 * @nonblock:    fail with EAGAIN instead of waiting
 * @restartable: a signal restarts the call (-ERESTARTSYS) instead of EINTR
 * @has_deadline: @deadline is set
 * @expired:     the deadline has passed (set while waiting)
 * @clock:       clock of @deadline
 * @deadline:    absolute time at which waiting gives up with ETIMEDOUT
 */
struct msgq_wait {
	bool nonblock;
	bool restartable;
	bool has_deadline;
	bool expired;
	clockid_t clock;
	ktime_t deadline;
};

/**
 * struct msgq_receiver - where a receive puts messages
 * @cap:      largest message that fits, for a single receive
 * @len:      out: length of the message found (also on -EMSGSIZE)
 * @caps:     batch: the capacity of each entry
 * @taken:    batch: room for @count message pointers, scratch
 * @deliver:  copies @msg out as entry @k: 0, or -EFAULT with nothing of
 *            the entry's destination consumed. Called without the mailbox
 *            lock and, but for a peek, with page faults disabled: a
 *            receiver never waits on a fault while it holds a message
 *            (see "Stalled buffers" in mailbox.c).
 * @fault_in: makes entry @k's destination resident for @len bytes, with
 *            no message held: 0, or -EFAULT if it cannot be.
 */
struct msgq_receiver {
	u32 cap;
	u32 len;
	const u32 *caps;
	struct msgq_msg **taken;
	int (*deliver)(struct msgq_receiver *rcv, unsigned int k,
		       const struct msgq_msg *msg);
	int (*fault_in)(struct msgq_receiver *rcv, unsigned int k, u32 len);
};

/* stats.c: live message counts, one per-CPU add each way */
DECLARE_PER_CPU(long, msgq_live_msgs);
DECLARE_PER_CPU(long, msgq_live_bytes);

/* Count @n messages of @bytes in all made (both > 0) or gone (both < 0). */
static inline void msgq_stats_msgs(long n, long bytes)
{
	this_cpu_add(msgq_live_msgs, n);
	this_cpu_add(msgq_live_bytes, bytes);
}

/*
 * message.c: payload storage, copies, the sender's identity.
 *
 * Copies go through an iov_iter, so read(2), readv(2), io_uring and the
 * ioctls share them. Either copies all @len bytes or fails with -EFAULT
 * leaving the iterator where it was, so that a copy tried with page faults
 * disabled (it then fails rather than sleeps) can be tried again.
 */
struct msgq_msg *msgq_msg_alloc(struct msgq_mailbox *mb, u32 len);
int msgq_msg_copy_in(struct msgq_msg *msg, struct iov_iter *from, u32 len);
int msgq_msg_copy_out(const struct msgq_msg *msg, struct iov_iter *to);
void msgq_msg_discard(struct msgq_msg *msg);
void msgq_msg_put(struct msgq_msg *msg);
void msgq_pool_free(struct list_head *pool);

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
	msg->sender = tgid->level ? get_pid(tgid) : NULL;
	msg->tgid = current->tgid;
	msg->uid = current_euid();
	msg->sent_ns = now;
	msg->sync = NULL;
	msg->len = len;
	msg->prio = prio;
	msgq_stats_msgs(1, len);
}

/* The message is gone: forget its sender and stop counting it. */
static inline void msgq_msg_retire(struct msgq_msg *msg)
{
	msgq_stats_msgs(-1, -(long)msg->len);
	if (msg->sender)
		put_pid(msg->sender);
}

/* The sender's thread-group id in the caller's pid namespace, or 0. */
static inline pid_t msgq_msg_sender_vnr(const struct msgq_msg *msg)
{
	if (msg->sender)
		return pid_vnr(msg->sender);
	/* Outside the initial namespace its tasks are invisible. */
	return task_tgid(current)->level ? 0 : msg->tgid;
}

/* The sender's euid in the caller's user namespace. */
static inline uid_t msgq_msg_uid(const struct msgq_msg *msg)
{
	struct user_namespace *ns = current_user_ns();

	if (ns == &init_user_ns)
		return __kuid_val(msg->uid);
	return from_kuid_munged(ns, msg->uid);
}

/* mailbox.c: the queue, waiting and wakeups; knows nothing of ioctls */
struct msgq_mailbox *msgq_mailbox_alloc(const char *name, size_t name_len,
					u32 max_msgs, u32 max_msgsize,
					umode_t mode);
void msgq_mailbox_put(struct msgq_mailbox *mb);

int msgq_mailbox_send(struct msgq_mailbox *mb, struct iov_iter *from,
		      u32 prio, bool sync, struct msgq_wait *w);
int msgq_mailbox_recv(struct msgq_mailbox *mb, struct msgq_receiver *rcv,
		      bool peek, struct msgq_wait *w);
unsigned int msgq_mailbox_take_slots(struct msgq_mailbox *mb,
				     struct msgq_msg **slots, unsigned int n);
void msgq_mailbox_return_slots(struct msgq_mailbox *mb,
			       struct msgq_msg **slots, unsigned int n);
int msgq_mailbox_send_batch(struct msgq_mailbox *mb, struct msgq_msg **msgs,
			    unsigned int count, struct msgq_wait *w);
int msgq_mailbox_recv_batch(struct msgq_mailbox *mb, struct msgq_receiver *rcv,
			    unsigned int count, struct msgq_wait *w);
void msgq_mailbox_kill(struct msgq_mailbox *mb);
bool msgq_mailbox_owned_by(struct msgq_mailbox *mb, struct file *file);
__poll_t msgq_mailbox_poll(struct msgq_mailbox *mb, struct file *file,
			   poll_table *pt);
void msgq_mailbox_getattr(struct msgq_mailbox *mb, struct msgq_attr *attr);

/* registry.c: names, namespaces, names per uid, permissions */
void msgq_registry_exit(void);
struct ipc_namespace *msgq_ipc_ns_get_current(void);
void msgq_ipc_ns_put(struct ipc_namespace *ipc_ns);
struct msgq_mailbox *msgq_registry_create(struct ipc_namespace *ipc_ns,
					  const char *name, u32 flags,
					  umode_t mode, u32 max_msgs,
					  u32 max_msgsize, bool *created);
struct msgq_mailbox *msgq_registry_open(struct ipc_namespace *ipc_ns,
					const char *name, u32 flags);
int msgq_registry_unlink(struct ipc_namespace *ipc_ns, const char *name);
void msgq_registry_forget(struct msgq_mailbox *mb);
void msgq_registry_for_each(struct ipc_namespace *ipc_ns,
			    void (*fn)(struct msgq_mailbox *mb, void *arg),
			    void *arg);
unsigned int msgq_registry_namespaces(void);
void msgq_registry_usage(struct ipc_namespace *ipc_ns, kuid_t uid,
			 u32 *names, u32 *uid_names);
unsigned long msgq_registry_user_names(void);
bool msgq_registry_linked(struct msgq_mailbox *mb);

/* limits.c: tunables, the per-user name limit and byte quota */
u32 msgq_limit_mailboxes(void);
u32 msgq_limit_user_mailboxes(void);
u32 msgq_limit_max_msgs(void);
u32 msgq_limit_max_msgsize(void);
unsigned long msgq_limit_user_bytes(void);
int msgq_limit_names(struct ipc_namespace *ipc_ns, u32 names, u32 user_names);
int msgq_quota_charge(struct msgq_mailbox *mb);
void msgq_quota_uncharge(struct msgq_mailbox *mb);
unsigned long msgq_quota_of(kuid_t uid);
unsigned long msgq_quota_total(void);

/*
 * Per-user counts (limits.c, registry.c): value entries of an xarray
 * indexed by kuid, no entry for a count of 0. Their users serialise
 * updates with a lock of their own.
 */
static inline unsigned long msgq_count_get(struct xarray *xa,
					   unsigned long index)
{
	void *entry = xa_load(xa, index);

	return entry ? xa_to_value(entry) : 0;
}

/*
 * Set a count, 0 erasing it. Only a new entry allocates, so only raising a
 * count from 0 can fail (-ENOMEM); lowering one never does.
 */
static inline int msgq_count_set(struct xarray *xa, unsigned long index,
				 unsigned long n, gfp_t gfp)
{
	if (!n) {
		xa_erase(xa, index);
		return 0;
	}
	return xa_err(xa_store(xa, index, xa_mk_value(n), gfp));
}

static inline unsigned long msgq_count_sum(struct xarray *xa)
{
	unsigned long index, sum = 0;
	void *entry;

	xa_for_each(xa, index, entry)
		sum += xa_to_value(entry);
	return sum;
}

/* stats.c: live object counts in debugfs */
int msgq_stats_init(void);
void msgq_stats_exit(void);
void msgq_stats_mailbox(int delta);

/* procfs.c: /proc/msgq, /proc/msgq_limits */
int msgq_procfs_init(void);
void msgq_procfs_exit(void);

/* file.c: the device and mailbox file operations */
extern const struct file_operations msgq_dev_fops;
int msgq_handle_install(struct msgq_mailbox *mb, u32 flags);
bool msgq_is_handle(const struct file *file);

/* A receiver that copies the payload to one iov_iter (read_iter, ioctls). */
struct msgq_iter_receiver {
	struct msgq_receiver rcv;
	struct iov_iter *iter;
};

int msgq_deliver_to_iter(struct msgq_receiver *rcv, unsigned int k,
			 const struct msgq_msg *msg);
int msgq_fault_in_iter(struct msgq_receiver *rcv, unsigned int k, u32 len);

static inline void msgq_iter_receiver_init(struct msgq_iter_receiver *r,
					   struct iov_iter *iter)
{
	r->rcv.cap = min_t(size_t, iov_iter_count(iter), U32_MAX);
	r->rcv.deliver = msgq_deliver_to_iter;
	r->rcv.fault_in = msgq_fault_in_iter;
	r->iter = iter;
}

/* ioctl.c: the UAPI, decoded and validated */
long msgq_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
long msgq_mailbox_ioctl(struct file *file, unsigned int cmd,
			unsigned long arg);

#endif /* _MSGQ_INTERNAL_H */
