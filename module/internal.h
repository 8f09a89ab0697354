/* SPDX-License-Identifier: GPL-2.0 */
/*
 * msgq internals shared by the module's files.
 *
 * Objects and their lifetimes:
 *   struct msgq_mailbox  refcounted (kref): one reference for its name while
 *                        it is linked in a namespace table, one per handle.
 *   struct msgq_msg      one allocation per message: header plus payload.
 *                        Owned by the queue while linked; a peeking reader
 *                        holds an extra reference while it copies.
 *
 * Lock order: msgq_registry_lock (mutex) -> mailbox->lock (spinlock)
 *             -> wait queue locks. Nothing sleeps under mailbox->lock; the
 *             one user copy made under it runs with page faults disabled.
 */
#ifndef _MSGQ_INTERNAL_H
#define _MSGQ_INTERNAL_H

#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/poll.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>

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

/**
 * struct msgq_msg - one message
 * @link:    in its mailbox's priority list, under the mailbox lock
 * @ref:     the queue's (or the receiver's) reference plus peekers'
 * @sender:  thread group of the sender, for translation at receive
 * @uid:     effective uid of the sender
 * @sent_ns: CLOCK_REALTIME at send
 * @sync:    waiting sender, or NULL; under the mailbox lock
 * @len:     payload length
 * @prio:    priority, below MSGQ_PRIO_MAX
 * @data:    payload
 */
struct msgq_msg {
	struct list_head link;
	refcount_t ref;
	struct pid *sender;
	kuid_t uid;
	u64 sent_ns;
	struct msgq_sync *sync;
	u32 len;
	u32 prio;
	char data[];
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
 * @recv_sleepers:   [lock] receivers asleep waiting for a message
 * @dead:            [lock] the owner is gone: every call fails with EIDRM
 * @recv_wait:       receivers and EPOLLIN pollers wait here
 * @send_wait:       senders waiting for room and EPOLLOUT pollers wait here
 * @fasync:          O_ASYNC handles, signalled when a message arrives
 * @owner:           [lock] the handle that owns an owned mailbox, or NULL
 * @ref:             see the top of this file
 * @ns:              [msgq_registry_lock] namespace table, NULL once unlinked
 * @name_node:       [msgq_registry_lock] in @ns's hash table while linked
 * @max_msgs:        capacity, 0 for a rendezvous mailbox (immutable)
 * @max_msgsize:     largest payload (immutable)
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
	bool dead;
	wait_queue_head_t recv_wait;
	wait_queue_head_t send_wait;
	struct fasync_struct *fasync;
	struct file *owner;

	struct kref ref;
	struct msgq_ns *ns;
	struct hlist_node name_node;

	u32 max_msgs;
	u32 max_msgsize;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
	bool owned;
	u64 quota_bytes;
	char name[];
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
 * @cap:     largest message that fits, for a single receive
 * @len:     out: length of the message found (also on -EMSGSIZE)
 * @caps:    batch: the capacity of each entry
 * @taken:   batch: room for @count message pointers, scratch
 * @deliver: copies @msg out as entry @k; returns 0 or -EFAULT. Called
 *           without the mailbox lock; on failure the message (and those
 *           after it in a batch) goes back first in line.
 */
struct msgq_receiver {
	u32 cap;
	u32 len;
	const u32 *caps;
	struct msgq_msg **taken;
	int (*deliver)(struct msgq_receiver *rcv, unsigned int k,
		       const struct msgq_msg *msg);
};

/* mailbox.c: the queue, waiting and wakeups; knows nothing of ioctls */
struct msgq_mailbox *msgq_mailbox_alloc(const char *name, size_t name_len,
					u32 max_msgs, u32 max_msgsize,
					umode_t mode);
void msgq_mailbox_put(struct msgq_mailbox *mb);
struct msgq_msg *msgq_msg_create(const void __user *buf, u32 len, u32 prio);
void msgq_msg_put(struct msgq_msg *msg);
int msgq_mailbox_send(struct msgq_mailbox *mb, struct msgq_msg *msg,
		      bool sync, struct msgq_wait *w);
int msgq_mailbox_recv(struct msgq_mailbox *mb, struct msgq_receiver *rcv,
		      bool peek, struct msgq_wait *w);
int msgq_mailbox_send_batch(struct msgq_mailbox *mb, struct msgq_msg **msgs,
			    unsigned int count, struct msgq_wait *w);
int msgq_mailbox_recv_batch(struct msgq_mailbox *mb, struct msgq_receiver *rcv,
			    unsigned int count, struct msgq_wait *w);
void msgq_mailbox_kill(struct msgq_mailbox *mb);
bool msgq_mailbox_owned_by(struct msgq_mailbox *mb, struct file *file);
__poll_t msgq_mailbox_poll(struct msgq_mailbox *mb, struct file *file,
			   poll_table *pt);
void msgq_mailbox_getattr(struct msgq_mailbox *mb, struct msgq_attr *attr);

/* registry.c: names, namespaces, permissions */
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
bool msgq_registry_linked(struct msgq_mailbox *mb);

/* limits.c: tunables and the per-user byte quota */
u32 msgq_limit_mailboxes(void);
u32 msgq_limit_max_msgs(void);
u32 msgq_limit_max_msgsize(void);
int msgq_quota_charge(struct msgq_mailbox *mb);
void msgq_quota_uncharge(struct msgq_mailbox *mb);
unsigned long msgq_quota_total(void);

/* stats.c: live object counts in debugfs */
int msgq_stats_init(void);
void msgq_stats_exit(void);
void msgq_stats_mailbox(int delta);
void msgq_stats_msg(int delta, u32 len);

/* procfs.c: /proc/msgq */
int msgq_procfs_init(void);
void msgq_procfs_exit(void);

/* file.c: the device and mailbox file operations */
extern const struct file_operations msgq_dev_fops;
int msgq_handle_install(struct msgq_mailbox *mb, u32 flags);
bool msgq_is_handle(const struct file *file);

/* A receiver that copies the payload to one user buffer. */
struct msgq_buffer_receiver {
	struct msgq_receiver rcv;
	void __user *buf;
};

void msgq_buffer_receiver_init(struct msgq_buffer_receiver *r,
			       void __user *buf, size_t cap);

/* ioctl.c: the UAPI, decoded and validated */
long msgq_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
long msgq_mailbox_ioctl(struct file *file, unsigned int cmd,
			unsigned long arg);

#endif /* _MSGQ_INTERNAL_H */
