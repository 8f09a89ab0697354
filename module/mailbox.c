// SPDX-License-Identifier: GPL-2.0
/*
 * msgq mailbox: the priority queue of messages, blocking and wakeups.
 *
 * Priorities are a two-level bitmap over MSGQ_PRIO_MAX FIFO lists, in
 * groups of 64 (mailbox.h): enqueue is a list_add_tail() and two bit sets,
 * dequeue takes the first message of the highest set bit of the highest
 * group with one. Both cost the same whatever the depth of the queue and
 * the number of priorities in use. A group above the first is allocated
 * (outside the lock, as an idle group) before a message of its priorities
 * is queued; emptied, it stays idle, for its priorities or any others,
 * while the mailbox has no more groups than it may hold messages (so a
 * mailbox that cycles through many priorities does not allocate and free a
 * group per message), and is freed otherwise or with the mailbox.
 *
 * Sleeping: receivers sleep in mb->sleepers, oldest first, and a message
 * wakes one of them: the sender takes it off the list and wakes it, under
 * the mailbox lock, with no wait queue in between (a receiver asleep is the
 * hot case of request/reply traffic). Senders waiting for room sleep on
 * send_wait as exclusive waiters, so a freed slot wakes one sender; pollers
 * and peekers sit on the wait queues (non-exclusive but for EPOLLEXCLUSIVE
 * entries). A woken sleeper re-checks its condition before it looks at
 * signals or its deadline, so a wakeup it was given is never dropped: it
 * takes the message (or the slot) instead of failing; what can still fail
 * (a sender's copy) is done before it sleeps. A receiver that takes a
 * wakeup and then puts its message back passes the wakeup on. A sleeper is
 * queued before it drops the mailbox lock, and a waker changes the state
 * under that lock before it wakes anyone, so no wakeup falls in between.
 *
 * A receive copies a large message out after dropping the lock. Meanwhile
 * the message is off the lists but still counted in cur_msgs, so the
 * mailbox never holds more than max_msgs even when the copy fails and the
 * message goes back first in line.
 *
 * Stalled buffers: a receiver never waits on a page fault while it holds a
 * message that a sender waits for. A synchronous sender waits for the
 * outcome of its receiver's copy whatever its timeout says (a message is
 * never both delivered and reported as failed), and a fault can take
 * forever (userfaultfd, FUSE, a hung NFS mount). So a receive that holds
 * such a message copies with page faults disabled; a copy that falls short
 * gives the message back, and the receiver faults its buffer in holding
 * nothing, then tries again, the way generic_perform_write() avoids
 * faulting while it holds a page lock. While it faults, the message is
 * there for everyone else: other receivers take it, and its sender's
 * timeout, a signal or the owner's close end the sender's wait on time.
 * A message nobody waits for is copied with faults allowed, as it always
 * was: giving it back would let another receiver take the one behind it
 * first, which a fresh (not yet touched) buffer would do all the time. The
 * small copy made under the lock never faults either way: it fails, and
 * the receiver faults its buffer in before it takes anything.
 *
 * Fan-out: a mailbox created with MSGQ_O_FANOUT holds no message itself.
 * Each handle that may receive from it has a subscription, a mailbox of its
 * own, listed in the fan-out mailbox, and a send puts one header sharing the
 * payload (message.c) in every subscription, under the fan-out mailbox's
 * lock: all of them or, if it fails, none. Everything a receiver does, it
 * does on its subscription as on any mailbox. Senders wait for room on the
 * fan-out mailbox's send_wait, non-exclusively (room in one subscription
 * need not be enough); a receiver that makes room checks that queue under
 * its subscription's lock, which a sender takes to look at the room after
 * it queued itself there, so the wakeup is not lost.
 */

#include <linux/bitmap.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mailbox.h"
#include "stats.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

#define EPOLL_RECV	(EPOLLIN | EPOLLRDNORM)
#define EPOLL_SEND	(EPOLLOUT | EPOLLWRNORM)

/* Largest message copied out under the mailbox lock. */
#define MSGQ_LOCKED_COPY_MAX	4096

/**
 * struct msgq_sleeper - a receiver asleep until a message arrives
 * @link: in mb->sleepers, under the mailbox lock
 * @task: the receiver, woken by the sender who unlists it
 */
struct msgq_sleeper {
	struct list_head link;
	struct task_struct *task;
};

/* ------------------------------------------------------------------ */
/* The queue */

static void group_init(struct msgq_group *group)
{
	unsigned int l;

	bitmap_zero(group->used, MSGQ_GROUP_LEVELS);
	group->held = 0;
	group->index = 0;
	INIT_LIST_HEAD(&group->idle);
	for (l = 0; l < MSGQ_GROUP_LEVELS; l++)
		INIT_LIST_HEAD(&group->levels[l]);
}

/* The group of priority @prio; it must exist (held, or idle at its number). */
static struct msgq_group *group_of(struct msgq_mailbox *mb, u32 prio)
{
	unsigned int g = prio >> MSGQ_GROUP_SHIFT;

	lockdep_assert_held(&mb->lock);
	return g ? mb->groups[g] : &mb->group0;
}

static struct list_head *level_of(struct msgq_mailbox *mb, u32 prio)
{
	return &group_of(mb, prio)->levels[prio & (MSGQ_GROUP_LEVELS - 1)];
}

/*
 * Could a message of priority @prio be queued now, with the lock held? Its
 * group exists, or an idle one can become it. If not, the caller drops the
 * lock and calls group_alloc().
 */
static bool group_ready(struct msgq_mailbox *mb, u32 prio)
{
	unsigned int g = prio >> MSGQ_GROUP_SHIFT;

	lockdep_assert_held(&mb->lock);
	return !g || (mb->groups &&
		      (mb->groups[g] || !list_empty(&mb->idle_groups)));
}

/* Groups above the first, made and freed; counted for debugfs. */
static struct msgq_group *group_new(void)
{
	struct msgq_group *group = kmalloc(sizeof(*group), GFP_KERNEL_ACCOUNT);

	if (group) {
		group_init(group);
		msgq_stats_group(1);
	}
	return group;
}

static void group_free(struct msgq_group *group)
{
	if (group) {
		msgq_stats_group(-1);
		kfree(group);
	}
}

/*
 * Allocate, without the lock, what group_ready() found missing: 0 (the
 * caller looks again: another sender may have taken the new idle group
 * meanwhile), or -ENOMEM.
 */
static int group_alloc(struct msgq_mailbox *mb)
{
	struct msgq_group **table = NULL, *group;

	if (!READ_ONCE(mb->groups)) {
		table = kcalloc(MSGQ_GROUPS, sizeof(*table), GFP_KERNEL_ACCOUNT);
		if (!table)
			return -ENOMEM;
	}
	group = group_new();
	if (!group) {
		kfree(table);
		return -ENOMEM;
	}
	spin_lock(&mb->lock);
	if (!mb->groups)
		swap(mb->groups, table);
	if (list_empty(&mb->idle_groups)) {
		list_add(&group->idle, &mb->idle_groups);
		mb->nr_groups++;
		group = NULL;
	}
	spin_unlock(&mb->lock);
	kfree(table);
	group_free(group);
	return 0;
}

/*
 * Count @msg in (@sign 1: a new message, its group made from the most
 * recently emptied idle one if it has none) or out (-1: it leaves for
 * good; a group above the first that holds nothing more goes idle, or is
 * freed if the mailbox has more groups than it may hold messages).
 */
static void count_msg(struct msgq_mailbox *mb, struct msgq_msg *msg, int sign)
{
	unsigned int g = msg->prio >> MSGQ_GROUP_SHIFT;
	struct msgq_group *group;

	lockdep_assert_held(&mb->lock);
	mb->cur_msgs += sign;
	mb->cur_bytes += sign * (s64)msg->len;
	if (!g) {
		mb->group0.held += sign;
		return;
	}
	group = mb->groups[g];
	if (sign > 0 && !group) {
		group = list_first_entry(&mb->idle_groups, struct msgq_group,
					 idle);
		if (group->index)
			mb->groups[group->index] = NULL;
		group->index = g;
		mb->groups[g] = group;
	}
	if (sign > 0 && !group->held)
		list_del_init(&group->idle);
	group->held += sign;
	if (group->held)
		return;
	if (mb->nr_groups <= max(mb->max_msgs, 1U)) {
		list_add(&group->idle, &mb->idle_groups);
		return;
	}
	mb->groups[g] = NULL;
	mb->nr_groups--;
	group_free(group);
}

/*
 * The first message of the highest priority listed (the one a receiver
 * takes first), or with @lowest that of the lowest priority; NULL if none.
 */
static struct msgq_msg *head_msg(struct msgq_mailbox *mb, bool lowest)
{
	struct msgq_group *group;
	unsigned long g, l;

	lockdep_assert_held(&mb->lock);
	g = lowest ? find_first_bit(mb->groups_used, MSGQ_GROUPS) :
		     find_last_bit(mb->groups_used, MSGQ_GROUPS);
	if (g == MSGQ_GROUPS)
		return NULL;
	group = g ? mb->groups[g] : &mb->group0;
	l = lowest ? find_first_bit(group->used, MSGQ_GROUP_LEVELS) :
		     find_last_bit(group->used, MSGQ_GROUP_LEVELS);
	return list_first_entry(&group->levels[l], struct msgq_msg, link);
}

static inline struct msgq_msg *first_msg(struct msgq_mailbox *mb)
{
	return head_msg(mb, false);
}

/* Put @msg on its list, at the tail or (given back by a receiver) the head. */
static inline void list_msg(struct msgq_mailbox *mb, struct msgq_msg *msg,
			    bool head)
{
	struct msgq_group *group = group_of(mb, msg->prio);

	if (head)
		list_add(&msg->link, level_of(mb, msg->prio));
	else
		list_add_tail(&msg->link, level_of(mb, msg->prio));
	__set_bit(msg->prio & (MSGQ_GROUP_LEVELS - 1), group->used);
	__set_bit(msg->prio >> MSGQ_GROUP_SHIFT, mb->groups_used);
	mb->listed++;
}

static inline void unlist_msg(struct msgq_mailbox *mb, struct msgq_msg *msg)
{
	struct msgq_group *group = group_of(mb, msg->prio);

	list_del(&msg->link);
	if (list_empty(level_of(mb, msg->prio))) {
		__clear_bit(msg->prio & (MSGQ_GROUP_LEVELS - 1), group->used);
		if (bitmap_empty(group->used, MSGQ_GROUP_LEVELS))
			__clear_bit(msg->prio >> MSGQ_GROUP_SHIFT,
				    mb->groups_used);
	}
	mb->listed--;
}

/*
 * Take every listed message off its list onto @all, in priority order,
 * still counted: the mailbox dies or is freed. Returns @all.
 */
static struct list_head *unlist_all(struct msgq_mailbox *mb,
				    struct list_head *all)
{
	struct msgq_msg *msg;

	while ((msg = first_msg(mb))) {
		unlist_msg(mb, msg);
		list_add_tail(&msg->link, all);
	}
	return all;
}

/* ------------------------------------------------------------------ */
/* Life */

/**
 * msgq_mailbox_alloc - a new mailbox, unnamed, with one reference
 * @name:        its name, copied
 * @max_msgs:    capacity, 0 for a rendezvous mailbox
 * @max_msgsize: largest payload
 * @mode:        permission bits
 * @owned:       dies with its owner's handle (msgq_mailbox_set_owner())
 * @fanout:      what a send reaches
 */
struct msgq_mailbox *msgq_mailbox_alloc(const char *name, u32 max_msgs,
					u32 max_msgsize, umode_t mode,
					bool owned, enum msgq_fanout fanout)
{
	static atomic64_t last_id = ATOMIC64_INIT(0);
	size_t name_len = strlen(name);
	struct msgq_mailbox *mb;

	mb = kzalloc(struct_size(mb, name, name_len + 1), GFP_KERNEL_ACCOUNT);
	if (!mb)
		return NULL;

	spin_lock_init(&mb->lock);
	group_init(&mb->group0);
	INIT_LIST_HEAD(&mb->sleepers);
	INIT_LIST_HEAD(&mb->idle_groups);
	INIT_LIST_HEAD(&mb->nonblock_senders);
	INIT_LIST_HEAD(&mb->subscribers);
	INIT_LIST_HEAD(&mb->subscription);
	init_waitqueue_head(&mb->recv_wait);
	init_waitqueue_head(&mb->send_wait);
	kref_init(&mb->ref);
	INIT_HLIST_NODE(&mb->name_node);
	INIT_LIST_HEAD(&mb->pool);
	mb->max_msgs = max_msgs;
	mb->max_msgsize = max_msgsize;
	mb->slot_payload = min_t(u32, max_msgsize, MSGQ_SLOT_PAYLOAD);
	/* No more free slots than the mailbox could fill: see message.c. */
	mb->pool_max = min_t(u32, max_msgs, MSGQ_POOL_MAX);
	mb->id = atomic64_inc_return(&last_id);
	mb->uid = current_fsuid();
	mb->gid = current_fsgid();
	mb->mode = mode;
	mb->owned = owned;
	mb->fanout = fanout;
	memcpy(mb->name, name, name_len);
	msgq_stats_mailbox(1);
	return mb;
}

static void mailbox_free(struct kref *ref)
{
	struct msgq_mailbox *mb = container_of(ref, struct msgq_mailbox, ref);
	struct msgq_mailbox *hub = mb->hub;
	struct msgq_group *group, *gtmp;
	struct msgq_msg *msg, *tmp;
	LIST_HEAD(all);
	unsigned int g;

	/* No handle is left, so no receiver holds a message and no sender waits. */
	spin_lock(&mb->lock);
	WARN_ON_ONCE(mb->nr_receivers || !list_empty(&mb->nonblock_senders) ||
		     !list_empty(&mb->subscribers));
	unlist_all(mb, &all);
	spin_unlock(&mb->lock);
	list_for_each_entry_safe(msg, tmp, &all, link)
		msgq_msg_put(msg);
	/* The idle groups at no number, then every group at its number. */
	list_for_each_entry_safe(group, gtmp, &mb->idle_groups, idle)
		if (!group->index)
			group_free(group);
	for (g = 1; mb->groups && g < MSGQ_GROUPS; g++)
		group_free(mb->groups[g]);
	kfree(mb->groups);
	msgq_notification_free(mb->notify);
	msgq_msg_free_list(&mb->pool);
	msgq_quota_uncharge(mb);
	msgq_stats_mailbox(-1);
	kfree(mb);
	if (hub)
		msgq_mailbox_put(hub);
}

void msgq_mailbox_put(struct msgq_mailbox *mb)
{
	kref_put(&mb->ref, mailbox_free);
}

/* @owner, the handle of the create, owns @mb: see msgq_mailbox_kill(). */
void msgq_mailbox_set_owner(struct msgq_mailbox *mb, struct file *owner)
{
	spin_lock(&mb->lock);
	mb->owner = owner;
	spin_unlock(&mb->lock);
}

bool msgq_mailbox_owned_by(struct msgq_mailbox *mb, struct file *file)
{
	bool owned;

	spin_lock(&mb->lock);
	owned = mb->owner == file;
	spin_unlock(&mb->lock);
	return owned;
}

/* Subscriptions nest their lock in their fan-out mailbox's: see mailbox.h. */
static struct lock_class_key subscription_lock_class;

/**
 * msgq_mailbox_subscribe - a new subscription of fan-out mailbox @hub
 * @hub: the fan-out mailbox, referenced by the caller
 *
 * Returns the subscription, with one reference, for a receiving handle to
 * hold until it calls msgq_mailbox_unsubscribe(); it gets every message
 * sent from now on. ERR_PTR(-ENOMEM) if there is no memory for it, or
 * (-EMFILE) if its opener's quota has no room for it.
 */
struct msgq_mailbox *msgq_mailbox_subscribe(struct msgq_mailbox *hub)
{
	struct msgq_mailbox *sub;
	int err;

	sub = msgq_mailbox_alloc(hub->name, hub->max_msgs, hub->max_msgsize,
				 hub->mode, hub->owned, MSGQ_FANOUT_NONE);
	if (!sub)
		return ERR_PTR(-ENOMEM);
	lockdep_set_class(&sub->lock, &subscription_lock_class);
	sub->id = hub->id;
	kref_get(&hub->ref);
	sub->hub = hub;
	/* Its uid, the opener's, is charged for the messages it may hold. */
	err = msgq_quota_charge(sub);
	if (err) {
		msgq_mailbox_put(sub);
		return ERR_PTR(err);
	}

	spin_lock(&hub->lock);
	/* Not yet seen by anyone else: its own fields need no lock. */
	sub->dead = hub->dead;
	if (!hub->dead) {
		list_add_tail(&sub->subscription, &hub->subscribers);
		hub->nr_subscribers++;
	}
	spin_unlock(&hub->lock);
	return sub;
}

/*
 * The handle of subscription @sub is closed: no message reaches it any
 * more, and the room it took is given back, to senders waiting for it. Its
 * messages go with its last reference.
 */
void msgq_mailbox_unsubscribe(struct msgq_mailbox *sub)
{
	struct msgq_mailbox *hub = sub->hub;

	spin_lock(&hub->lock);
	if (!list_empty(&sub->subscription)) {
		list_del_init(&sub->subscription);
		hub->nr_subscribers--;
	}
	spin_unlock(&hub->lock);
	wake_up_poll(&hub->send_wait, EPOLL_SEND);
}

/* A free slot of the pool, or NULL. */
static struct msgq_msg *pool_take(struct msgq_mailbox *mb)
{
	struct msgq_msg *msg;

	lockdep_assert_held(&mb->lock);
	msg = list_first_entry_or_null(&mb->pool, struct msgq_msg, link);
	if (msg) {
		list_del(&msg->link);
		mb->pool_count--;
	}
	return msg;
}

/* Give back a slot nobody uses; false if the pool is full. */
static bool pool_give(struct msgq_mailbox *mb, struct msgq_msg *msg)
{
	lockdep_assert_held(&mb->lock);
	if (msg->shape != MSGQ_MSG_SLOT || mb->pool_count >= mb->pool_max)
		return false;
	list_add(&msg->link, &mb->pool);
	mb->pool_count++;
	return true;
}

/* A receiver is asleep for every message listed and one more is waiting. */
static bool receiver_waiting(struct msgq_mailbox *mb)
{
	lockdep_assert_held(&mb->lock);
	return mb->nr_receivers > mb->listed;
}

/*
 * Would a send that may not sleep succeed now? A synchronous non-blocking
 * send, like every non-blocking send to a rendezvous mailbox, needs a
 * receiver already waiting, so that its own wait is only for that receiver.
 */
static bool send_fits(struct msgq_mailbox *mb, bool sync)
{
	lockdep_assert_held(&mb->lock);
	if (mb->max_msgs && mb->cur_msgs >= mb->max_msgs)
		return false;
	return !sync || receiver_waiting(mb);
}

/* ------------------------------------------------------------------ */
/* Wakeups */

/*
 * Where senders wait for the room that @mb's receivers make: on @mb, or on
 * the fan-out mailbox of a subscription.
 */
static wait_queue_head_t *room_wait(struct msgq_mailbox *mb)
{
	return mb->hub ? &mb->hub->send_wait : &mb->send_wait;
}

/*
 * Will a wakeup on @wq find anyone? Read under mb->lock, this is exact
 * enough: a sleeper queues itself under that lock, and a poller queues
 * itself before it takes the lock to look at the state, so a waker that
 * changed the state under the lock either sees the entry or the poller sees
 * the new state.
 */
static bool anyone_on(struct msgq_mailbox *mb, struct wait_queue_head *wq)
{
	lockdep_assert_held(&mb->lock);
	/* Ordered by mb->lock against sleepers and pollers, see above. */
	return waitqueue_active(wq);
}

/*
 * Wake up to @n receivers asleep in mb->sleepers, oldest first. Under the
 * lock, so each is still there to wake: it leaves only after taking the
 * lock to unlist itself. (wake_q, which would wake them after the unlock,
 * is not exported to modules; @n is 1 but for a batch and a dying mailbox.)
 */
static void wake_receivers(struct msgq_mailbox *mb, unsigned int n)
{
	struct msgq_sleeper *sleeper, *tmp;

	lockdep_assert_held(&mb->lock);
	list_for_each_entry_safe(sleeper, tmp, &mb->sleepers, link) {
		if (!n--)
			break;
		list_del_init(&sleeper->link);
		wake_up_process(sleeper->task);
	}
}

/*
 * @n messages arrived: wake as many receivers, under the lock. Returns
 * whether pollers or peekers wait too: the caller passes that on to
 * notify_recv() once it has dropped the lock.
 */
static bool wake_for_messages(struct msgq_mailbox *mb, unsigned int n)
{
	wake_receivers(mb, n);
	return anyone_on(mb, &mb->recv_wait);
}

/* ------------------------------------------------------------------ */
/* Notification (mq_notify) */

/* eventfd_signal() lost its count in 6.8; Kbuild tells which it has. */
#ifdef MSGQ_EVENTFD_SIGNAL_NO_COUNT
#define msgq_eventfd_signal(ctx)	eventfd_signal(ctx)
#else
#define msgq_eventfd_signal(ctx)	eventfd_signal(ctx, 1)
#endif

void msgq_notification_free(struct msgq_notification *n)
{
	if (!n)
		return;
	if (n->eventfd)
		eventfd_ctx_put(n->eventfd);
	put_pid(n->owner);
	put_user_ns(n->user_ns);
	kfree(n);
}

/*
 * A thread of @leader's group to take @sig, one that does not block it, as
 * the kernel's own process-directed delivery would choose: send_sig_info(),
 * the one exported way to send a siginfo, is thread-directed. Under RCU.
 */
static struct task_struct *signal_target(struct task_struct *leader, int sig)
{
	struct task_struct *t;

	for_each_thread(leader, t)
		if (!(t->flags & PF_EXITING) && !sigismember(&t->blocked, sig))
			return t;
	return leader;
}

/*
 * A message arrived in the empty mailbox and no receiver waits for it:
 * deliver the notification and remove it, as mqueue's __do_notify().
 * Under the lock (as mqueue sends its signal under its own); returns what
 * the caller frees once it has unlocked.
 */
static struct msgq_notification *notify_fire(struct msgq_mailbox *mb)
{
	struct msgq_notification *n = mb->notify;
	struct kernel_siginfo info;
	struct task_struct *task;

	lockdep_assert_held(&mb->lock);
	mb->notify = NULL;
	switch (n->how) {
	case MSGQ_NOTIFY_BY_SIGNAL:
		clear_siginfo(&info);
		info.si_signo = n->signo;
		info.si_code = SI_MESGQ;
		info.si_value.sival_ptr = u64_to_user_ptr(n->value);
		rcu_read_lock();
		info.si_pid = task_tgid_nr_ns(current, ns_of_pid(n->owner));
		info.si_uid = from_kuid_munged(n->user_ns, current_uid());
		task = pid_task(n->owner, PIDTYPE_TGID);
		/* Not to a program the registrant has exec'd since, as mqueue. */
		if (task && task->self_exec_id == n->exec_id)
			send_sig_info(n->signo, &info,
				      signal_target(task, n->signo));
		rcu_read_unlock();
		break;
	case MSGQ_NOTIFY_BY_EVENTFD:
		msgq_eventfd_signal(n->eventfd);
		break;
	case MSGQ_NOTIFY_BY_NONE:
		break;
	}
	return n;
}

/**
 * msgq_mailbox_notify - register (or remove) the caller's notification
 * @mb: the mailbox
 * @n:  the registration, taken over on success; NULL to remove the
 *      caller's (0 also when it has none)
 *
 * One registration per mailbox: -EBUSY while there is one. It fires once,
 * when a message arrives in the empty mailbox and no receiver is waiting
 * for it, and goes then.
 */
int msgq_mailbox_notify(struct msgq_mailbox *mb, struct msgq_notification *n)
{
	struct msgq_notification *old = NULL;
	int err = 0;

	spin_lock(&mb->lock);
	if (mb->dead) {
		err = -EIDRM;
	} else if (!n) {
		if (mb->notify && mb->notify->owner == task_tgid(current))
			swap(old, mb->notify);
	} else if (mb->notify) {
		err = -EBUSY;
	} else {
		mb->notify = n;
	}
	spin_unlock(&mb->lock);
	msgq_notification_free(old);
	return err;
}

/* The calling process closes a handle of @mb: its registration goes. */
void msgq_mailbox_notify_close(struct msgq_mailbox *mb)
{
	if (READ_ONCE(mb->notify))
		msgq_mailbox_notify(mb, NULL);
}

/* Tell pollers and peekers (if @pollers) and O_ASYNC owners of messages. */
static void notify_recv(struct msgq_mailbox *mb, bool pollers)
{
	if (pollers)
		wake_up_poll(&mb->recv_wait, EPOLL_RECV);
	if (READ_ONCE(mb->fasync))
		kill_fasync(&mb->fasync, SIGIO, POLL_IN);
}

/* ------------------------------------------------------------------ */
/* Sleeping */

/* The error that ends any sleep now: deadline passed, or a signal. */
static int blocking_error(struct msgq_blocking *b)
{
	if (b->expired)
		return -ETIMEDOUT;
	if (signal_pending(current))
		return b->restartable ? -ERESTARTSYS : -EINTR;
	return 0;
}

/*
 * Sleep on @mb, for @what, in the task state the caller set, until woken
 * or past the deadline; note the deadline passing in @b.
 */
static void sleep_until(struct msgq_mailbox *mb, enum msgq_trace_wait what,
			struct msgq_blocking *b)
{
	trace_msgq_wait_begin(mb, what);
	if (!b->has_deadline)
		schedule();
	else if (!schedule_hrtimeout_range_clock(&b->deadline, 0,
						 HRTIMER_MODE_ABS, b->clock))
		b->expired = true;
	if (trace_msgq_wait_end_enabled())
		trace_msgq_wait_end(mb, blocking_error(b));
}

/* May the caller go to sleep? 0, or the error that ends its call now. */
static int may_sleep(struct msgq_blocking *b)
{
	if (b->nonblock)
		return -EAGAIN;
	return blocking_error(b);
}

/*
 * Sleep once on @wq until woken, signalled or past the deadline. Called and
 * returns with mb->lock held, but drops it while asleep. Returns 0 once
 * awake again, when the caller must re-check its condition, or the error
 * that ends the call.
 */
static int sleep_on(struct msgq_mailbox *mb, wait_queue_head_t *wq,
		    struct wait_queue_entry *wait, bool exclusive,
		    struct msgq_blocking *b)
	__must_hold(&mb->lock)
{
	int err;

	err = may_sleep(b);
	if (err)
		return err;

	if (exclusive)
		prepare_to_wait_exclusive(wq, wait, TASK_INTERRUPTIBLE);
	else
		prepare_to_wait(wq, wait, TASK_INTERRUPTIBLE);
	spin_unlock(&mb->lock);
	sleep_until(mb, wq == &mb->send_wait ? MSGQ_WAIT_ROOM :
		    MSGQ_WAIT_MESSAGE, b);
	spin_lock(&mb->lock);
	return 0;
}

/*
 * A receiver stops waiting: to take a message in this lock round, or to
 * leave. When it was the last, a non-blocking synchronous send that went
 * ahead because receivers were waiting looks again, under the lock the
 * receiver drops only once its message is taken: either its own message is
 * then taken, or nobody is left to take it and the send gives up.
 */
static void receiver_leaves(struct msgq_mailbox *mb)
{
	struct msgq_sync *sync;

	lockdep_assert_held(&mb->lock);
	if (--mb->nr_receivers)
		return;
	list_for_each_entry(sync, &mb->nonblock_senders, link)
		wake_up_process(sync->task);
}

/*
 * Sleep once in mb->sleepers until a message wakes us, a signal or the
 * deadline. Locking and return as for sleep_on().
 */
static int sleep_for_message(struct msgq_mailbox *mb, struct msgq_blocking *b)
	__must_hold(&mb->lock)
{
	struct msgq_sleeper sleeper = { .task = current };
	int err;

	err = may_sleep(b);
	if (err)
		return err;

	list_add_tail(&sleeper.link, &mb->sleepers);
	mb->nr_receivers++;
	/* On a rendezvous mailbox a waiting receiver is room to send. */
	if (!mb->max_msgs)
		wake_up_poll(&mb->send_wait, EPOLL_SEND);
	set_current_state(TASK_INTERRUPTIBLE);
	spin_unlock(&mb->lock);
	sleep_until(mb, MSGQ_WAIT_MESSAGE, b);
	spin_lock(&mb->lock);
	receiver_leaves(mb);
	/* Still listed unless a sender woke us: a signal, the deadline. */
	list_del(&sleeper.link);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Synchronous sends */

/*
 * Tell a synchronous sender how its message fares. Its stack is live: it
 * leaves only after seeing a final state under the mailbox lock, which the
 * caller holds. Taking the message in flight needs no wakeup; every other
 * change may end the sender's wait.
 */
static void sync_update(struct msgq_msg *msg, enum msgq_sync_state state)
{
	if (!msg->sync)
		return;
	msg->sync->state = state;
	if (state != MSGQ_SYNC_INFLIGHT)
		wake_up_process(msg->sync->task);
	if (state == MSGQ_SYNC_DELIVERED || state == MSGQ_SYNC_DROPPED)
		msg->sync = NULL;
}

/*
 * The error ending a wait for delivery, 0 to go on waiting. A non-blocking
 * send went ahead because a receiver was waiting; once none is left that
 * could take the message (the one woken found its buffer too small, say),
 * it gives up rather than wait for the next.
 */
static int delivery_error(struct msgq_mailbox *mb, struct msgq_blocking *b)
{
	if (b->nonblock && !mb->nr_receivers)
		return -EAGAIN;
	return blocking_error(b);
}

/*
 * Wait until a receiver has taken the message of a synchronous send. Cut
 * short, the message is withdrawn, unless a receiver is copying it right
 * now: then the outcome of that copy decides, so that a message is never
 * both delivered and reported as failed.
 */
static int await_delivery(struct msgq_mailbox *mb, struct msgq_msg *msg,
			  struct msgq_sync *sync, struct msgq_blocking *b)
	__must_hold(&mb->lock)
{
	int err;

	for (;;) {
		switch (sync->state) {
		case MSGQ_SYNC_DELIVERED:
			return 0;
		case MSGQ_SYNC_DROPPED:
			return -EIDRM;
		case MSGQ_SYNC_INFLIGHT:
			/*
			 * A receiver's copy decides. Wait for it whatever the
			 * deadline or signals say, unless we are being killed:
			 * then the message is left to its receiver. The wait
			 * is short: the copy never waits on a page fault (see
			 * "Stalled buffers" at the top of this file).
			 */
			if (fatal_signal_pending(current)) {
				msg->sync = NULL;
				sync->state = MSGQ_SYNC_ABANDONED;
				return -EINTR;
			}
			set_current_state(TASK_KILLABLE);
			spin_unlock(&mb->lock);
			schedule();
			spin_lock(&mb->lock);
			continue;
		case MSGQ_SYNC_QUEUED:
			break;
		default:
			WARN_ON_ONCE(1);
			return -EINVAL;
		}

		err = delivery_error(mb, b);
		if (err) {
			unlist_msg(mb, msg);
			count_msg(mb, msg, -1);
			mb->total_sent--;
			msg->sync = NULL;
			sync->state = MSGQ_SYNC_WITHDRAWN;
			return err;
		}

		set_current_state(TASK_INTERRUPTIBLE);
		spin_unlock(&mb->lock);
		sleep_until(mb, MSGQ_WAIT_DELIVERY, b);
		spin_lock(&mb->lock);
	}
}

/* ------------------------------------------------------------------ */
/* Building and queueing messages */

/*
 * Fill the slot taken from the pool with faults disabled, under the lock:
 * fails (with nothing to undo) if a page of the source is not resident.
 */
static int copy_in_nofault(struct msgq_msg *msg, struct iov_iter *from,
			   u32 len)
{
	int err;

	pagefault_disable();
	err = msgq_msg_copy_in(msg, from, len);
	pagefault_enable();
	return err;
}

/*
 * The one place a message is built: allocate *@msg unless the caller has a
 * slot, and copy the payload in. On failure *@msg, if set, is the caller's
 * to msgq_msg_free().
 */
static int fill_msg(struct msgq_mailbox *mb, struct msgq_msg **msg,
		    struct iov_iter *from, u32 len)
{
	if (!*msg) {
		*msg = msgq_msg_alloc(len, mb->slot_payload);
		if (!*msg)
			return -ENOMEM;
	}
	return msgq_msg_copy_in(*msg, from, len);
}

/*
 * Queue a stamped message at the tail of its priority. Into an empty
 * mailbox with no receiver waiting, it fires the notification: returns the
 * registration, for the caller to msgq_notification_free() once unlocked.
 */
static struct msgq_notification *queue_msg(struct msgq_mailbox *mb,
					   struct msgq_msg *msg)
{
	count_msg(mb, msg, 1);		/* first: it makes the group */
	list_msg(mb, msg, false);
	mb->total_sent++;
	trace_msgq_send(mb, msg);
	if (unlikely(mb->notify) && mb->listed == 1 && !mb->nr_receivers)
		return notify_fire(mb);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Fan-out */

/*
 * Could every subscription of @hub take a message of priority @prio now?
 * 1 if so, 0 if one is full (never, on a dropping fan-out mailbox), or
 * -ENOMEM with *@need set to one that must first have its priority's group
 * allocated (group_alloc()). Once true under @hub's lock, it stays so until
 * that lock is dropped: only senders, which hold it, take room or groups;
 * receivers only give them back (an emptied group is freed only while an
 * idle one is left, see count_msg()).
 */
static int fanout_ready(struct msgq_mailbox *hub, u32 prio,
			struct msgq_mailbox **need)
{
	bool drop = hub->fanout == MSGQ_FANOUT_DROP;
	struct msgq_mailbox *sub;
	int ready = 1;

	lockdep_assert_held(&hub->lock);
	list_for_each_entry(sub, &hub->subscribers, subscription) {
		spin_lock(&sub->lock);
		if (!group_ready(sub, prio)) {
			*need = sub;
			ready = -ENOMEM;
		} else if (!drop && sub->cur_msgs >= sub->max_msgs) {
			ready = 0;
		}
		spin_unlock(&sub->lock);
		if (ready <= 0)
			break;
	}
	return ready;
}

/*
 * Full subscription @sub of a dropping fan-out mailbox, about to be sent a
 * message of priority @prio: of the messages it holds and that one, it
 * loses the one of the lowest priority, the oldest among equals. Returns
 * the listed message to drop, unlisted and uncounted, or NULL if the new
 * one is lost: it is of a lower priority than any listed, or every message
 * the subscription holds is being copied out to its receivers.
 */
static struct msgq_msg *drop_for(struct msgq_mailbox *sub, u32 prio)
{
	struct msgq_msg *msg = head_msg(sub, true);

	lockdep_assert_held(&sub->lock);
	sub->lost++;
	if (!msg || prio < msg->prio)
		return NULL;
	unlist_msg(sub, msg);
	count_msg(sub, msg, -1);
	return msg;
}

/*
 * Queue a sharer of @body, taken from @hdrs, in every subscription of @hub,
 * which fanout_ready() found ready under the lock still held. What a
 * dropping mailbox's full subscriptions lose goes to @lost, for the caller
 * to put once it has unlocked.
 */
static void fanout_queue(struct msgq_mailbox *hub, struct msgq_msg *body,
			 struct list_head *hdrs, struct list_head *lost)
{
	struct msgq_notification *fired;
	struct msgq_msg *hdr, *dropped;
	struct msgq_mailbox *sub;
	bool pollers;

	lockdep_assert_held(&hub->lock);
	list_for_each_entry(sub, &hub->subscribers, subscription) {
		hdr = list_first_entry(hdrs, struct msgq_msg, link);
		list_del(&hdr->link);
		msgq_msg_share(hdr, body);

		spin_lock(&sub->lock);
		if (sub->cur_msgs >= sub->max_msgs) {
			dropped = drop_for(sub, body->prio);
			if (!dropped) {
				spin_unlock(&sub->lock);
				list_add(&hdr->link, lost);
				continue;
			}
			list_add(&dropped->link, lost);
		}
		fired = queue_msg(sub, hdr);
		pollers = wake_for_messages(sub, 1);
		spin_unlock(&sub->lock);

		notify_recv(sub, pollers);
		msgq_notification_free(fired);
	}
	hub->total_sent++;
}

/* Add @n headers to @hdrs, without the lock: 0, or -ENOMEM. */
static int fanout_alloc_headers(struct list_head *hdrs, unsigned int n)
{
	struct msgq_msg *hdr;

	while (n--) {
		hdr = msgq_msg_alloc_shared();
		if (!hdr)
			return -ENOMEM;
		list_add(&hdr->link, hdrs);
	}
	return 0;
}

/*
 * Send to fan-out mailbox @hub: the payload is copied in once, into a body
 * each subscription shares with the files it carries (@fds, consumed), and
 * queued in all of them in one hold of @hub's lock, once each has room (see
 * msgq_mailbox_send()).
 */
static int fanout_send(struct msgq_mailbox *hub, struct iov_iter *from,
		       u32 prio, struct msgq_fds *fds, struct msgq_blocking *b)
{
	u32 len = iov_iter_count(from);
	struct msgq_mailbox *need;
	struct msgq_msg *body, *hdr, *tmp;
	unsigned int nr_hdrs = 0, more;
	LIST_HEAD(lost);
	LIST_HEAD(hdrs);
	DEFINE_WAIT(wait);
	int err;

	body = msgq_msg_alloc(len, 0);
	if (!body) {
		err = -ENOMEM;
		goto out_fds;
	}
	err = msgq_msg_copy_in(body, from, len);
	if (err) {
		msgq_msg_free(body);
		goto out_fds;
	}

	spin_lock(&hub->lock);
	for (;;) {
		if (hub->dead) {
			err = -EIDRM;
			break;
		}
		if (nr_hdrs < hub->nr_subscribers) {
			more = hub->nr_subscribers - nr_hdrs;
			spin_unlock(&hub->lock);
			err = fanout_alloc_headers(&hdrs, more);
			spin_lock(&hub->lock);
			if (err)
				break;
			nr_hdrs += more;
			continue;
		}
		/* Queued before looking: see "Fan-out" at the top. */
		prepare_to_wait(&hub->send_wait, &wait, TASK_INTERRUPTIBLE);
		err = fanout_ready(hub, prio, &need);
		if (err > 0) {
			err = 0;
			break;
		}
		if (err) {
			finish_wait(&hub->send_wait, &wait);
			/* It may be unsubscribed, not freed, meanwhile. */
			kref_get(&need->ref);
			spin_unlock(&hub->lock);
			err = group_alloc(need);
			msgq_mailbox_put(need);
			spin_lock(&hub->lock);
			if (err)
				break;
			continue;
		}
		err = may_sleep(b);
		if (err)
			break;
		spin_unlock(&hub->lock);
		sleep_until(hub, MSGQ_WAIT_ROOM, b);
		spin_lock(&hub->lock);
	}
	finish_wait(&hub->send_wait, &wait);
	if (err) {
		spin_unlock(&hub->lock);
		msgq_msg_free(body);
		goto out;
	}
	/* Stamped as queued: the time, and in the live counts from now. */
	msgq_msg_stamp(body, len, prio, msgq_msg_clock());
	body->fds = fds;
	fds = NULL;
	fanout_queue(hub, body, &hdrs, &lost);
	spin_unlock(&hub->lock);
	msgq_msg_put(body);
	list_for_each_entry_safe(hdr, tmp, &lost, link)
		msgq_msg_put(hdr);
out:
	list_for_each_entry_safe(hdr, tmp, &hdrs, link)
		msgq_msg_free(hdr);
out_fds:
	if (fds)
		msgq_fds_put(fds);
	return err;
}

/* A batch to a fan-out mailbox: one send after the other, as far as it goes. */
static int fanout_send_batch(struct msgq_mailbox *hub,
			     const struct msgq_send_entry *e, unsigned int n,
			     struct msgq_blocking *b)
{
	struct iov_iter from;
	unsigned int k;
	int err = 0;

	for (k = 0; k < n; k++) {
		iov_iter_ubuf(&from, ITER_SOURCE, (void __user *)e[k].buf,
			      e[k].len);
		err = fanout_send(hub, &from, e[k].prio, NULL, b);
		if (err)
			break;
	}
	return k ? (int)k : err;
}

/**
 * msgq_mailbox_send - queue a message, sleeping for room if needed
 * @mb:   the mailbox
 * @from: the payload, all of it: at most mb->max_msgsize bytes
 * @prio: its priority, below MSGQ_PRIO_MAX
 * @sync: return only once a receiver has taken the message
 * @fds:  files the message carries, or NULL: the message's (or, on an
 *        error before it is queued, dropped here)
 * @b:    how the call may block
 *
 * Every send to a rendezvous mailbox (max_msgs 0) is synchronous. A small
 * message is copied, under the lock and once there is room, into a slot
 * from the pool: one lock round and no allocation. A large one, one whose
 * source is not resident, or one that must wait for room is copied in with
 * the lock dropped, before any sleep. A send on a subscription goes to its
 * fan-out mailbox, where it may not be synchronous (-EINVAL).
 */
int msgq_mailbox_send(struct msgq_mailbox *mb, struct iov_iter *from,
		      u32 prio, bool sync, struct msgq_fds *fds,
		      struct msgq_blocking *b)
{
	struct msgq_sync waiter = { .task = current };
	struct msgq_notification *fired;
	u32 len = iov_iter_count(from);
	struct msgq_msg *msg = NULL;
	DEFINE_WAIT(wait);
	bool wake;
	int err;

	mb = msgq_mailbox_named(mb);
	if (mb->fanout && !sync)
		return fanout_send(mb, from, prio, fds, b);
	if (mb->fanout) {
		err = -EINVAL;
		goto err_free;
	}
	sync = sync || !mb->max_msgs;
	if (len > mb->slot_payload) {
		err = fill_msg(mb, &msg, from, len);
		if (err)
			goto err_free;
	}
	spin_lock(&mb->lock);
	for (;;) {
		if (mb->dead) {
			err = -EIDRM;
			goto err_unlock;
		}
		if (!group_ready(mb, prio)) {
			spin_unlock(&mb->lock);
			err = group_alloc(mb);
			spin_lock(&mb->lock);
			if (err)
				goto err_unlock;
			continue;
		}
		if (send_fits(mb, sync && b->nonblock)) {
			if (msg)
				break;
			msg = pool_take(mb);
			if (msg && !copy_in_nofault(msg, from, len))
				break;
		} else if (msg) {
			err = sleep_on(mb, &mb->send_wait, &wait, true, b);
			if (err)
				goto err_unlock;
			continue;
		}
		/*
		 * Copy in with the lock dropped: there was no slot, or its
		 * source is not resident, or there is no room yet. Then it
		 * is done before sleeping, so that a bad buffer fails at once
		 * and a sender woken for room always takes it: the wakeup is
		 * not lost on a failure.
		 */
		spin_unlock(&mb->lock);
		err = fill_msg(mb, &msg, from, len);
		if (err)
			goto err_free;
		spin_lock(&mb->lock);
	}
	finish_wait(&mb->send_wait, &wait);

	msgq_msg_stamp(msg, len, prio, msgq_msg_clock());
	msg->fds = fds;
	fired = queue_msg(mb, msg);
	if (!sync) {
		wake = wake_for_messages(mb, 1);
		spin_unlock(&mb->lock);
		notify_recv(mb, wake);
		msgq_notification_free(fired);
		return 0;
	}

	waiter.state = MSGQ_SYNC_QUEUED;
	msg->sync = &waiter;
	if (b->nonblock)
		list_add(&waiter.link, &mb->nonblock_senders);
	wake = wake_for_messages(mb, 1);
	spin_unlock(&mb->lock);
	/* Receivers must hear of the message before we wait for them. */
	notify_recv(mb, wake);
	msgq_notification_free(fired);

	spin_lock(&mb->lock);
	err = await_delivery(mb, msg, &waiter, b);
	if (b->nonblock)
		list_del(&waiter.link);
	spin_unlock(&mb->lock);
	if (waiter.state == MSGQ_SYNC_WITHDRAWN) {
		/* The message is ours again, and its slot free. */
		wake_up_poll(&mb->send_wait, EPOLL_SEND);
		msgq_msg_put(msg);
	}
	return err;

err_unlock:
	finish_wait(&mb->send_wait, &wait);
	spin_unlock(&mb->lock);
err_free:
	if (msg)
		msgq_msg_free(msg);
	if (fds)
		msgq_fds_put(fds);
	/* A wakeup for room we may have taken goes on to the next sender. */
	if (err == -ENOMEM)
		wake_up_poll(&mb->send_wait, EPOLL_SEND);
	return err;
}

/* Up to @n free slots of the pool, in one lock round: how many. */
static unsigned int pool_take_many(struct msgq_mailbox *mb,
				   struct msgq_msg **slots, unsigned int n)
{
	unsigned int k;

	spin_lock(&mb->lock);
	for (k = 0; k < n; k++) {
		slots[k] = pool_take(mb);
		if (!slots[k])
			break;
	}
	spin_unlock(&mb->lock);
	return k;
}

/* Give back @n slots taken and never stamped; free what does not fit. */
static void pool_give_many(struct msgq_mailbox *mb, struct msgq_msg **slots,
			   unsigned int n)
{
	spin_lock(&mb->lock);
	while (n && pool_give(mb, slots[n - 1]))
		n--;
	spin_unlock(&mb->lock);
	while (n)
		msgq_msg_free(slots[--n]);
}

/*
 * Queue @n stamped messages in order, in one lock round; those queued are
 * consumed. Returns the number queued, or the error that stopped the first.
 */
static int queue_batch(struct msgq_mailbox *mb, struct msgq_msg **msgs,
		       unsigned int n, struct msgq_blocking *b)
{
	struct msgq_notification *fired = NULL, *again;
	unsigned int done = 0, unwoken = 0;
	DEFINE_WAIT(wait);
	bool pollers;
	int err = 0;

	spin_lock(&mb->lock);
	while (done < n) {
		if (mb->dead) {
			err = -EIDRM;
			break;
		}
		if (!group_ready(mb, msgs[done]->prio)) {
			spin_unlock(&mb->lock);
			err = group_alloc(mb);
			spin_lock(&mb->lock);
			if (err)
				break;
			continue;
		}
		if (!send_fits(mb, false)) {
			/* Receivers must drain what we queued before we sleep. */
			if (unwoken && wake_for_messages(mb, unwoken))
				wake_up_poll(&mb->recv_wait, EPOLL_RECV);
			unwoken = 0;
			err = sleep_on(mb, &mb->send_wait, &wait, true, b);
			if (err)
				break;
			continue;
		}
		again = queue_msg(mb, msgs[done]);
		if (again) {
			/* Fired again after a refill: free the first. */
			msgq_notification_free(fired);
			fired = again;
		}
		done++;
		unwoken++;
	}
	finish_wait(&mb->send_wait, &wait);
	pollers = unwoken && wake_for_messages(mb, unwoken);
	spin_unlock(&mb->lock);
	msgq_notification_free(fired);

	if (done)
		notify_recv(mb, pollers);
	return done ? (int)done : err;
}

/**
 * msgq_mailbox_send_batch - send messages in order
 * @mb: the mailbox, not a rendezvous one
 * @e:  the messages
 * @n:  how many, at least 1
 * @b:  how the call may block for room
 *
 * Every payload is copied in first, small ones into slots taken from the
 * pool in one lock round; a fault or a failed allocation ends the batch
 * there. Then the messages are queued in one lock round (more only if it
 * must sleep for room). Returns the number sent, or the error that stopped
 * the first.
 */
int msgq_mailbox_send_batch(struct msgq_mailbox *mb,
			    const struct msgq_send_entry *e, unsigned int n,
			    struct msgq_blocking *b)
{
	unsigned int k, small = 0, nslots;
	struct msgq_msg **msgs, **slots;
	struct iov_iter from;
	int ret, err = 0;
	u64 now;

	mb = msgq_mailbox_named(mb);
	if (mb->fanout)
		return fanout_send_batch(mb, e, n, b);
	for (k = 0; k < n; k++)
		small += e[k].len <= mb->slot_payload;
	msgs = kvmalloc_array(n + small, sizeof(*msgs), GFP_KERNEL);
	if (!msgs)
		return -ENOMEM;

	slots = msgs + n;
	nslots = pool_take_many(mb, slots, small);
	now = msgq_msg_clock();
	for (k = 0; k < n; k++) {
		struct msgq_msg *msg = NULL;

		if (e[k].len <= mb->slot_payload && nslots)
			msg = slots[--nslots];
		iov_iter_ubuf(&from, ITER_SOURCE, (void __user *)e[k].buf,
			      e[k].len);
		err = fill_msg(mb, &msg, &from, e[k].len);
		if (err) {
			if (msg)
				msgq_msg_free(msg);
			break;
		}
		msgq_msg_stamp(msg, e[k].len, e[k].prio, now);
		msgs[k] = msg;
	}
	if (nslots)
		pool_give_many(mb, slots, nslots);

	ret = err;
	if (k) {
		ret = queue_batch(mb, msgs, k, b);
		/* Those not queued are still ours. */
		while (k > max(ret, 0))
			msgq_msg_put(msgs[--k]);
	}
	kvfree(msgs);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Receiving */

/*
 * A receiver is done with @msg, off the lists: delivered, or dropped with
 * its dead mailbox. Uncount it, tell a synchronous sender, and drop the
 * queue's reference: the last one recycles a slot into the pool. Returns
 * what the caller must msgq_msg_free() once it has unlocked, or NULL.
 */
static struct msgq_msg *finish_msg(struct msgq_mailbox *mb,
				   struct msgq_msg *msg, bool delivered)
{
	lockdep_assert_held(&mb->lock);
	count_msg(mb, msg, -1);
	if (delivered) {
		mb->total_received++;
		trace_msgq_recv(mb, msg);
	}
	sync_update(msg, delivered ? MSGQ_SYNC_DELIVERED : MSGQ_SYNC_DROPPED);
	if (!refcount_dec_and_test(&msg->ref))
		return NULL;
	msgq_msg_retire(msg);
	return pool_give(mb, msg) ? NULL : msg;
}

/* A receiver could not deliver @msg: it goes back first in line. */
static void requeue_msg(struct msgq_mailbox *mb, struct msgq_msg *msg)
{
	list_msg(mb, msg, true);
	sync_update(msg, MSGQ_SYNC_QUEUED);
}

/*
 * A receiver leaves @msg, first in line, to others (too large for it):
 * a non-blocking synchronous sender may give up now, and a wakeup the
 * receiver was given for it goes on to the next.
 */
static void leave_msg(struct msgq_mailbox *mb, struct msgq_msg *msg,
		      bool peek)
{
	sync_update(msg, MSGQ_SYNC_QUEUED);
	if (!peek)
		wake_receivers(mb, 1);
}

/* Sleep until a message is listed; 0 with it first in line, or the error. */
static int wait_for_first(struct msgq_mailbox *mb, bool peek,
			  struct msgq_blocking *b)
	__must_hold(&mb->lock)
{
	DEFINE_WAIT(wait);
	int err = 0;

	for (;;) {
		if (mb->dead) {
			err = -EIDRM;
			break;
		}
		if (mb->listed)
			break;
		/*
		 * A peek consumes nothing: it must not take a wakeup, nor
		 * count as a receiver that a rendezvous sender can rely on.
		 */
		if (peek)
			err = sleep_on(mb, &mb->recv_wait, &wait, false, b);
		else
			err = sleep_for_message(mb, b);
		if (err)
			break;
	}
	finish_wait(&mb->recv_wait, &wait);
	return err;
}

/*
 * Copy out under the lock: fails (with nothing to undo) if a page of the
 * destination is not resident.
 */
static int deliver_nofault(struct msgq_receiver *rcv, struct msgq_msg *msg)
{
	int err;

	pagefault_disable();
	err = rcv->deliver(rcv, 0, msg);
	pagefault_enable();
	return err;
}

/*
 * Take messages first in line, off the lists, while they fit @rcv. Sets
 * *@awaited if a sender waits for one of them (see "Stalled buffers").
 */
static unsigned int take_msgs(struct msgq_mailbox *mb,
			      struct msgq_receiver *rcv, unsigned int count,
			      bool *awaited)
{
	unsigned int taken = 0;
	struct msgq_msg *msg;

	lockdep_assert_held(&mb->lock);
	*awaited = false;
	while (taken < count && (msg = first_msg(mb))) {
		if (msg->len > rcv->caps[taken]) {
			leave_msg(mb, msg, false);
			break;
		}
		unlist_msg(mb, msg);
		if (msg->sync)
			*awaited = true;
		sync_update(msg, MSGQ_SYNC_INFLIGHT);
		rcv->taken[taken++] = msg;
	}
	return taken;
}

/*
 * Copy out the @taken messages, unlocked, with page faults disabled if a
 * sender waits for one of them: how many were delivered.
 */
static unsigned int deliver_msgs(struct msgq_receiver *rcv,
				 unsigned int taken, bool nofault, int *err)
{
	unsigned int done;

	if (nofault)
		pagefault_disable();
	for (done = 0; done < taken; done++) {
		*err = rcv->deliver(rcv, done, rcv->taken[done]);
		if (*err)
			break;
	}
	if (nofault)
		pagefault_enable();
	return done;
}

/*
 * Settle the @taken messages of a receive, @done of them delivered: finish
 * those, put the others back first in line (or drop them with their dead
 * mailbox). Leaves in rcv->taken[] what to free once unlocked. Returns
 * whether pollers or peekers are to be told of messages put back.
 */
static bool settle_msgs(struct msgq_mailbox *mb, struct msgq_receiver *rcv,
			unsigned int taken, unsigned int done)
{
	unsigned int k;

	lockdep_assert_held(&mb->lock);
	for (k = 0; k < done; k++)
		rcv->taken[k] = finish_msg(mb, rcv->taken[k], true);
	/* Put back what was not delivered, last first, to keep the order. */
	for (k = taken; k-- > done; ) {
		if (mb->dead) {
			rcv->taken[k] = finish_msg(mb, rcv->taken[k], false);
			continue;
		}
		requeue_msg(mb, rcv->taken[k]);
		rcv->taken[k] = NULL;
	}
	/*
	 * We took the wakeups of those put back: pass them on, and tell the
	 * pollers and peekers that saw nothing meanwhile.
	 */
	return taken > done && !mb->dead && wake_for_messages(mb, taken - done);
}

/*
 * Fault the destination of a message of @len bytes in, holding no message
 * (see "Stalled buffers" above). Called and returns with mb->lock held,
 * but drops it meanwhile; @pollers: tell pollers and peekers of messages
 * just put back. The receiver counts as one waiting while it faults, as it
 * would asleep, so that a non-blocking synchronous sender that counted on
 * it keeps waiting. Returns 0 to try again, or the error that ends the
 * receive: -EFAULT, or the signal that cut it short.
 */
static int fault_in_unlocked(struct msgq_mailbox *mb,
			     struct msgq_receiver *rcv, u32 len, bool pollers,
			     struct msgq_blocking *b)
	__must_hold(&mb->lock)
{
	int err;

	mb->nr_receivers++;
	spin_unlock(&mb->lock);
	if (pollers)
		wake_up_poll(&mb->recv_wait, EPOLL_RECV);
	err = rcv->fault_in(rcv, 0, len);
	if (err && signal_pending(current))
		err = b->restartable ? -ERESTARTSYS : -EINTR;
	spin_lock(&mb->lock);
	receiver_leaves(mb);
	return err;
}

/**
 * msgq_mailbox_recv - take (or peek at) messages first in line
 * @mb:    the mailbox
 * @rcv:   where the messages go, with @caps and @taken for @count entries
 * @count: most messages to take, at least 1; 1 for a peek
 * @peek:  copy the first message out but leave it first in line
 * @b:     how the call may block for the first message
 *
 * Returns the number taken (or 1 for a peek), or the error that stopped
 * the first: a message too large for @rcv (-EMSGSIZE, its length in
 * rcv->len) or one that @rcv fails to take (-EFAULT) stays first in line.
 * A single small message whose destination is resident is copied out
 * under the lock, in one lock round; otherwise the messages leave the
 * lists, still counted, while they are copied with the lock dropped. When
 * a sender waits for one of them, an entry whose destination is not
 * resident ends the receive there; if it is the first, it is faulted in,
 * holding nothing, and the receive starts over.
 */
int msgq_mailbox_recv(struct msgq_mailbox *mb, struct msgq_receiver *rcv,
		      unsigned int count, bool peek, struct msgq_blocking *b)
{
	bool pollers, senders, awaited = false;
	unsigned int taken, done, k;
	struct msgq_msg *msg;
	u32 first_len;
	int err;

	spin_lock(&mb->lock);
retry:
	err = wait_for_first(mb, peek, b);
	if (err)
		goto out_unlock;

	msg = first_msg(mb);
	first_len = msg->len;
	rcv->len = msg->len;
	if (msg->len > rcv->caps[0]) {
		leave_msg(mb, msg, peek);
		err = -EMSGSIZE;
		goto out_unlock;
	}
	if (peek) {
		/* A peek holds no message anyone waits for: it may fault. */
		refcount_inc(&msg->ref);
		spin_unlock(&mb->lock);
		err = rcv->deliver(rcv, 0, msg);
		msgq_msg_put(msg);
		return err ?: 1;
	}
	if (count == 1 && msg->len <= MSGQ_LOCKED_COPY_MAX) {
		pollers = false;
		if (deliver_nofault(rcv, msg)) {
			/* We may hold the wakeup of this message: pass it on. */
			wake_receivers(mb, 1);
			goto fault_in;
		}
		unlist_msg(mb, msg);
		rcv->taken[0] = msg;
		taken = 1;
		done = 1;
	} else {
		taken = take_msgs(mb, rcv, count, &awaited);
		spin_unlock(&mb->lock);
		done = deliver_msgs(rcv, taken, awaited, &err);
		spin_lock(&mb->lock);
	}
	pollers = settle_msgs(mb, rcv, taken, done);
	if (!done && awaited && !mb->dead)
		goto fault_in;
	senders = done && !mb->dead && anyone_on(mb, room_wait(mb));
	spin_unlock(&mb->lock);

	if (pollers)
		wake_up_poll(&mb->recv_wait, EPOLL_RECV);
	if (senders)
		__wake_up(room_wait(mb), TASK_NORMAL, done,
			  poll_to_key(EPOLL_SEND));
	for (k = 0; k < taken; k++)
		if (rcv->taken[k])
			msgq_msg_free(rcv->taken[k]);
	return done ? (int)done : err;

fault_in:
	err = fault_in_unlocked(mb, rcv, first_len, pollers, b);
	if (!err)
		goto retry;
out_unlock:
	spin_unlock(&mb->lock);
	return err;
}

/* ------------------------------------------------------------------ */
/* Death, poll, state */

/**
 * msgq_mailbox_kill - the owner is gone: drop every message, fail everyone
 * @mb: the mailbox
 *
 * Blocked senders and receivers wake with EIDRM, synchronous senders learn
 * that their message was dropped, and poll reports EPOLLHUP | EPOLLERR.
 */
void msgq_mailbox_kill(struct msgq_mailbox *mb)
{
	struct msgq_mailbox *sub;
	struct msgq_msg *msg, *tmp;
	LIST_HEAD(dropped);

	trace_msgq_kill(mb);
	spin_lock(&mb->lock);
	mb->dead = true;
	mb->owner = NULL;
	list_for_each_entry(msg, unlist_all(mb, &dropped), link) {
		count_msg(mb, msg, -1);
		sync_update(msg, MSGQ_SYNC_DROPPED);
	}
	wake_receivers(mb, UINT_MAX);
	spin_unlock(&mb->lock);

	list_for_each_entry_safe(msg, tmp, &dropped, link)
		msgq_msg_put(msg);
	__wake_up(&mb->recv_wait, TASK_NORMAL, 0,
		  poll_to_key(EPOLLHUP | EPOLLERR));
	__wake_up(&mb->send_wait, TASK_NORMAL, 0,
		  poll_to_key(EPOLLHUP | EPOLLERR));
	kill_fasync(&mb->fasync, SIGIO, POLL_HUP);

	/* A fan-out mailbox's subscriptions die with it. */
	spin_lock(&mb->lock);
	list_for_each_entry(sub, &mb->subscribers, subscription)
		msgq_mailbox_kill(sub);
	spin_unlock(&mb->lock);
}

/*
 * poll_wait() queues us before the lock is taken to read the state, and
 * every change of that state is made under the lock and followed by a
 * wakeup, so either we see the change or we are woken by it.
 */
__poll_t msgq_mailbox_poll(struct msgq_mailbox *mb, struct file *file,
			   poll_table *pt)
{
	struct msgq_mailbox *to = msgq_mailbox_named(mb), *need;
	bool sends = file->f_mode & FMODE_WRITE;
	__poll_t mask = 0;

	if (file->f_mode & FMODE_READ)
		poll_wait(file, &mb->recv_wait, pt);
	if (sends)
		poll_wait(file, &to->send_wait, pt);

	spin_lock(&mb->lock);
	if (mb->dead) {
		mask = EPOLLHUP | EPOLLERR;
	} else {
		if ((file->f_mode & FMODE_READ) && mb->listed)
			mask |= EPOLL_RECV;
		if (sends && !to->fanout && send_fits(mb, !mb->max_msgs))
			mask |= EPOLL_SEND;
	}
	spin_unlock(&mb->lock);

	/* A fan-out mailbox has room when every subscription has. */
	if (sends && to->fanout && !(mask & EPOLLHUP)) {
		spin_lock(&to->lock);
		if (!to->dead && fanout_ready(to, 0, &need) > 0)
			mask |= EPOLL_SEND;
		spin_unlock(&to->lock);
	}
	return mask;
}

void msgq_mailbox_state(struct msgq_mailbox *mb, struct msgq_mailbox_state *st)
{
	struct msgq_mailbox *hub = msgq_mailbox_named(mb), *sub;

	spin_lock(&hub->lock);
	st->cur_msgs = hub->cur_msgs;
	st->cur_bytes = hub->cur_bytes;
	st->total_sent = hub->total_sent;
	st->total_received = hub->total_received;
	st->subscribers = hub->nr_subscribers;
	st->max_backlog = 0;
	st->lost = 0;
	st->dead = hub->dead;
	list_for_each_entry(sub, &hub->subscribers, subscription) {
		spin_lock(&sub->lock);
		if (sub->cur_msgs >= st->max_backlog) {
			st->max_backlog = sub->cur_msgs;
			st->cur_msgs = sub->cur_msgs;
			st->cur_bytes = sub->cur_bytes;
		}
		spin_unlock(&sub->lock);
	}
	spin_unlock(&hub->lock);

	if (mb == hub)
		return;
	spin_lock(&mb->lock);
	st->cur_msgs = mb->cur_msgs;
	st->cur_bytes = mb->cur_bytes;
	st->total_received = mb->total_received;
	st->lost = mb->lost;
	st->dead = mb->dead;
	spin_unlock(&mb->lock);
}
