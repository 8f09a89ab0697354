// SPDX-License-Identifier: GPL-2.0
/*
 * msgq mailbox: the priority queue of messages, waiting and wakeups.
 *
 * Priorities are a bitmap over MSGQ_PRIO_MAX FIFO lists: enqueue is a
 * list_add_tail() and a bit set, dequeue takes the first message of the
 * highest set bit. Both cost the same whatever the depth of the queue and
 * the number of priorities in use.
 *
 * Waiting: receivers sleep in recv_waiters, oldest first, and a message
 * wakes one of them: the sender takes it off the list and wakes it, under
 * the mailbox lock, with no wait queue in between (a receiver asleep is the
 * hot case of request/reply traffic). Senders waiting for room sleep on
 * send_wait as exclusive waiters, so a freed slot wakes one sender; pollers
 * and peekers sit on the wait queues (non-exclusive but for EPOLLEXCLUSIVE
 * entries). A woken waiter re-checks its condition before it looks at
 * signals or its deadline, so a wakeup it was given is never dropped: it
 * takes the message (or the slot) instead of failing; what can still fail
 * (a sender's copy) is done before it waits. A receiver that takes a
 * wakeup and then puts its message back passes the wakeup on. A waiter is
 * queued before it drops the mailbox lock, and a waker changes the state
 * under that lock before it wakes anyone, so no wakeup falls in between.
 *
 * A receive copies the message out after dropping the lock. Meanwhile the
 * message is off the lists but still counted in cur_msgs, so the mailbox
 * never holds more than max_msgs even when the copy fails and the message
 * goes back first in line.
 *
 * Stalled buffers: a receiver never waits on a page fault while it holds a
 * message, because a synchronous sender waits for the outcome of its copy
 * whatever its timeout says (a message is never both delivered and reported
 * as failed), and a fault can take forever (userfaultfd, FUSE, a hung NFS
 * mount). So every copy out of a held message runs with page faults
 * disabled; one that falls short gives the message back, and the receiver
 * faults its buffer in holding nothing, then tries again, the way
 * generic_perform_write() avoids faulting while it holds a page lock.
 * While it faults, the message is there for everyone else: other receivers
 * take it, and its sender's timeout, a signal or the owner's close end the
 * sender's wait on time.
 */

#include <linux/bitmap.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"

#define EPOLL_RECV	(EPOLLIN | EPOLLRDNORM)
#define EPOLL_SEND	(EPOLLOUT | EPOLLWRNORM)

struct msgq_mailbox *msgq_mailbox_alloc(const char *name, size_t name_len,
					u32 max_msgs, u32 max_msgsize,
					umode_t mode)
{
	struct msgq_mailbox *mb;
	int prio;

	mb = kzalloc(struct_size(mb, name, name_len + 1), GFP_KERNEL_ACCOUNT);
	if (!mb)
		return NULL;

	spin_lock_init(&mb->lock);
	for (prio = 0; prio < MSGQ_PRIO_MAX; prio++)
		INIT_LIST_HEAD(&mb->levels[prio]);
	INIT_LIST_HEAD(&mb->recv_waiters);
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
	mb->uid = current_fsuid();
	mb->gid = current_fsgid();
	mb->mode = mode;
	memcpy(mb->name, name, name_len);
	msgq_stats_mailbox(1);
	return mb;
}

static void msgq_mailbox_release(struct kref *ref)
{
	struct msgq_mailbox *mb = container_of(ref, struct msgq_mailbox, ref);
	struct msgq_msg *msg, *tmp;
	unsigned int prio;

	/* No handle is left, so no receiver holds a message and no sender waits. */
	for_each_set_bit(prio, mb->levels_used, MSGQ_PRIO_MAX)
		list_for_each_entry_safe(msg, tmp, &mb->levels[prio], link)
			msgq_msg_put(msg);
	msgq_pool_free(&mb->pool);
	msgq_quota_uncharge(mb);
	msgq_stats_mailbox(-1);
	kfree(mb);
}

void msgq_mailbox_put(struct msgq_mailbox *mb)
{
	kref_put(&mb->ref, msgq_mailbox_release);
}

static struct msgq_msg *first_msg(struct msgq_mailbox *mb)
{
	unsigned long prio;

	lockdep_assert_held(&mb->lock);
	prio = find_last_bit(mb->levels_used, MSGQ_PRIO_MAX);
	if (prio == MSGQ_PRIO_MAX)
		return NULL;
	return list_first_entry(&mb->levels[prio], struct msgq_msg, link);
}

/* Put @msg on its list, at the tail or (given back by a receiver) the head. */
static inline void list_msg(struct msgq_mailbox *mb, struct msgq_msg *msg, bool head)
{
	lockdep_assert_held(&mb->lock);
	if (head)
		list_add(&msg->link, &mb->levels[msg->prio]);
	else
		list_add_tail(&msg->link, &mb->levels[msg->prio]);
	__set_bit(msg->prio, mb->levels_used);
	mb->listed++;
}

static inline void unlist_msg(struct msgq_mailbox *mb, struct msgq_msg *msg)
{
	lockdep_assert_held(&mb->lock);
	list_del(&msg->link);
	if (list_empty(&mb->levels[msg->prio]))
		__clear_bit(msg->prio, mb->levels_used);
	mb->listed--;
}

static void count_msg(struct msgq_mailbox *mb, struct msgq_msg *msg, int sign)
{
	lockdep_assert_held(&mb->lock);
	mb->cur_msgs += sign;
	mb->cur_bytes += sign * (s64)msg->len;
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

/*
 * Drop the queue's reference to a received message, off the lists and
 * uncounted: a slot nobody else holds goes back to the pool. Returns what
 * the caller must msgq_msg_discard() once it has unlocked, or NULL.
 */
static inline struct msgq_msg *recycle_msg(struct msgq_mailbox *mb,
					   struct msgq_msg *msg)
{
	lockdep_assert_held(&mb->lock);
	if (!refcount_dec_and_test(&msg->ref))
		return NULL;
	msgq_msg_retire(msg);
	if (msg->shape != MSGQ_MSG_SLOT || mb->pool_count >= mb->pool_max)
		return msg;
	list_add(&msg->link, &mb->pool);
	mb->pool_count++;
	return NULL;
}

/* A receiver is asleep for every message listed and one more is waiting. */
static bool receiver_waiting(struct msgq_mailbox *mb)
{
	lockdep_assert_held(&mb->lock);
	return mb->recv_sleepers > mb->listed;
}

/*
 * Would a send that may not wait succeed now? A synchronous non-blocking
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

/*
 * Will a wakeup on @wq find anyone? Read under mb->lock, this is exact
 * enough: a sleeper queues itself under that lock, and a poller queues
 * itself before it takes the lock to look at the state, so a waker that
 * changed the state under the lock either sees the entry or the poller sees
 * the new state.
 */
static bool waiters(struct msgq_mailbox *mb, struct wait_queue_head *wq)
{
	lockdep_assert_held(&mb->lock);
	/* Ordered by mb->lock against sleepers and pollers, see above. */
	return waitqueue_active(wq);
}

/*
 * Wake up to @n receivers asleep in recv_waiters, oldest first. Under the
 * lock, so each is still there to wake: it leaves only after taking the
 * lock to unlist itself. (wake_q, which would wake them after the unlock,
 * is not exported to modules; @n is 1 but for a batch and a dying mailbox.)
 */
static void wake_receivers(struct msgq_mailbox *mb, unsigned int n)
{
	struct msgq_waiter *waiter, *tmp;

	lockdep_assert_held(&mb->lock);
	list_for_each_entry_safe(waiter, tmp, &mb->recv_waiters, link) {
		if (!n--)
			break;
		list_del_init(&waiter->link);
		wake_up_process(waiter->task);
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
	return waiters(mb, &mb->recv_wait);
}

/* Tell pollers and peekers (if @pollers) and O_ASYNC owners of messages. */
static void notify_recv(struct msgq_mailbox *mb, bool pollers)
{
	if (pollers)
		wake_up_poll(&mb->recv_wait, EPOLL_RECV);
	if (READ_ONCE(mb->fasync))
		kill_fasync(&mb->fasync, SIGIO, POLL_IN);
}

/* Largest message copied out under the mailbox lock. */
#define MSGQ_LOCKED_COPY_MAX	4096

/*
 * Copy out without sleeping, under the lock: fails (with nothing to undo)
 * if a page of the destination is not resident.
 */
static int deliver_nofault(struct msgq_receiver *rcv, struct msgq_msg *msg)
{
	int err;

	pagefault_disable();
	err = rcv->deliver(rcv, 0, msg);
	pagefault_enable();
	return err;
}

/* The error that ends any wait now: deadline passed, or a signal. */
static int wait_error(struct msgq_wait *w)
{
	if (w->expired)
		return -ETIMEDOUT;
	if (signal_pending(current))
		return w->restartable ? -ERESTARTSYS : -EINTR;
	return 0;
}

/*
 * Sleep, in the task state the caller set, until woken or past the
 * deadline; note the deadline passing in @w.
 */
static void sleep_until(struct msgq_wait *w)
{
	if (!w->has_deadline)
		schedule();
	else if (!schedule_hrtimeout_range_clock(&w->deadline, 0,
						 HRTIMER_MODE_ABS, w->clock))
		w->expired = true;
}

/* May the caller go to sleep? 0, or the error that ends its wait now. */
static int may_wait(struct msgq_wait *w)
{
	if (w->nonblock)
		return -EAGAIN;
	return wait_error(w);
}

/*
 * Sleep once on @wq until woken, signalled or past the deadline. Called and
 * returns with mb->lock held, but drops it while asleep. Returns 0 once
 * awake again, when the caller must re-check its condition, or the error
 * that ends the wait.
 */
static int wait_once(struct msgq_mailbox *mb, wait_queue_head_t *wq,
		     struct wait_queue_entry *wait, bool exclusive,
		     struct msgq_wait *w)
	__must_hold(&mb->lock)
{
	int err;

	err = may_wait(w);
	if (err)
		return err;

	if (exclusive)
		prepare_to_wait_exclusive(wq, wait, TASK_INTERRUPTIBLE);
	else
		prepare_to_wait(wq, wait, TASK_INTERRUPTIBLE);
	spin_unlock(&mb->lock);
	sleep_until(w);
	spin_lock(&mb->lock);
	return 0;
}

/*
 * Sleep once in recv_waiters until a message wakes us, a signal or the
 * deadline. Locking and return as for wait_once().
 */
static int wait_for_message(struct msgq_mailbox *mb, struct msgq_wait *w)
	__must_hold(&mb->lock)
{
	struct msgq_waiter waiter = { .task = current };
	int err;

	err = may_wait(w);
	if (err)
		return err;

	list_add_tail(&waiter.link, &mb->recv_waiters);
	mb->recv_sleepers++;
	/* On a rendezvous mailbox a waiting receiver is room to send. */
	if (!mb->max_msgs)
		wake_up_poll(&mb->send_wait, EPOLL_SEND);
	set_current_state(TASK_INTERRUPTIBLE);
	spin_unlock(&mb->lock);
	sleep_until(w);
	spin_lock(&mb->lock);
	mb->recv_sleepers--;
	/* Still listed unless a sender woke us: a signal, the deadline. */
	list_del(&waiter.link);
	return 0;
}

/*
 * The error ending a wait for delivery, 0 to go on waiting. A non-blocking
 * send went ahead because a receiver was asleep; once none is left that
 * could take the message (the one woken found its buffer too small, say),
 * it gives up rather than wait for the next.
 */
static int delivery_wait_error(struct msgq_mailbox *mb, struct msgq_wait *w)
{
	if (w->nonblock && !mb->recv_sleepers)
		return -EAGAIN;
	return wait_error(w);
}

/*
 * Wait until a receiver has taken the message of a synchronous send. Cut
 * short, the message is withdrawn, unless a receiver is copying it right
 * now: then the outcome of that copy decides, so that a message is never
 * both delivered and reported as failed.
 */
static int wait_delivery(struct msgq_mailbox *mb, struct msgq_msg *msg,
			 struct msgq_sync *sync, struct msgq_wait *w)
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

		err = delivery_wait_error(mb, w);
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
		sleep_until(w);
		spin_lock(&mb->lock);
	}
}

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

/* A receiver could not deliver @msg: it goes back first in line. */
static void requeue_msg(struct msgq_mailbox *mb, struct msgq_msg *msg)
{
	list_msg(mb, msg, true);
	sync_update(msg, MSGQ_SYNC_QUEUED);
}

/*
 * A receiver is done with @msg, off the lists: delivered, or dropped with
 * its dead mailbox. Uncount it, tell a synchronous sender, and recycle it;
 * returns what to msgq_msg_discard() once unlocked, as recycle_msg().
 */
static struct msgq_msg *msg_done(struct msgq_mailbox *mb, struct msgq_msg *msg,
				 bool delivered)
{
	count_msg(mb, msg, -1);
	if (delivered)
		mb->total_received++;
	sync_update(msg, delivered ? MSGQ_SYNC_DELIVERED : MSGQ_SYNC_DROPPED);
	return recycle_msg(mb, msg);
}

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

/* Allocate *@msg unless there is one, and copy the payload in. */
static int fill_msg(struct msgq_mailbox *mb, struct msgq_msg **msg,
		    struct iov_iter *from, u32 len)
{
	if (!*msg) {
		*msg = msgq_msg_alloc(mb, len);
		if (!*msg)
			return -ENOMEM;
	}
	return msgq_msg_copy_in(*msg, from, len);
}

/**
 * msgq_mailbox_send - queue a message, waiting for room if needed
 * @mb:   the mailbox
 * @from: the payload, all of it: at most mb->max_msgsize bytes
 * @prio: its priority, below MSGQ_PRIO_MAX
 * @sync: return only once a receiver has taken the message
 * @w:    how to wait
 *
 * Every send to a rendezvous mailbox (max_msgs 0) is synchronous. A small
 * message is copied, under the lock and once there is room, into a slot
 * from the pool: one lock round and no allocation. A large one, one whose
 * source is not resident, or one that must wait for room is copied in with
 * the lock dropped, before any wait.
 */
int msgq_mailbox_send(struct msgq_mailbox *mb, struct iov_iter *from,
		      u32 prio, bool sync, struct msgq_wait *w)
{
	struct msgq_sync waiter = { .task = current };
	u32 len = iov_iter_count(from);
	struct msgq_msg *msg = NULL;
	DEFINE_WAIT(wait);
	bool wake;
	int err;

	sync = sync || !mb->max_msgs;
	if (len > mb->slot_payload) {
		err = fill_msg(mb, &msg, from, len);
		if (err)
			goto err_discard;
	}
	spin_lock(&mb->lock);
	for (;;) {
		if (mb->dead) {
			err = -EIDRM;
			goto err_unlock;
		}
		if (send_fits(mb, sync && w->nonblock)) {
			if (msg)
				break;
			msg = pool_take(mb);
			if (msg && !copy_in_nofault(msg, from, len))
				break;
		} else if (msg) {
			err = wait_once(mb, &mb->send_wait, &wait, true, w);
			if (err)
				goto err_unlock;
			continue;
		}
		/*
		 * Copy in with the lock dropped: there was no slot, or its
		 * source is not resident, or there is no room yet. Then it
		 * is done before waiting, so that a bad buffer fails at once
		 * and a sender woken for room always takes it: the wakeup is
		 * not lost on a failure.
		 */
		spin_unlock(&mb->lock);
		err = fill_msg(mb, &msg, from, len);
		if (err)
			goto err_discard;
		spin_lock(&mb->lock);
	}
	finish_wait(&mb->send_wait, &wait);

	msgq_msg_stamp(msg, len, prio, msgq_msg_clock());
	list_msg(mb, msg, false);
	count_msg(mb, msg, 1);
	mb->total_sent++;
	if (!sync) {
		wake = wake_for_messages(mb, 1);
		spin_unlock(&mb->lock);
		notify_recv(mb, wake);
		return 0;
	}

	waiter.state = MSGQ_SYNC_QUEUED;
	msg->sync = &waiter;
	wake = wake_for_messages(mb, 1);
	spin_unlock(&mb->lock);
	/* Receivers must hear of the message before we wait for them. */
	notify_recv(mb, wake);

	spin_lock(&mb->lock);
	err = wait_delivery(mb, msg, &waiter, w);
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
err_discard:
	if (msg)
		msgq_msg_discard(msg);
	return err;
}

/**
 * msgq_mailbox_take_slots - up to @n free slots of the pool, in one lock round
 * @mb:    the mailbox
 * @slots: where to put them
 * @n:     how many are wanted
 *
 * Returns how many were taken.
 */
unsigned int msgq_mailbox_take_slots(struct msgq_mailbox *mb,
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

/**
 * msgq_mailbox_return_slots - give back slots taken and not used
 * @mb:    the mailbox
 * @slots: from msgq_mailbox_take_slots(), never stamped
 * @n:     how many
 */
void msgq_mailbox_return_slots(struct msgq_mailbox *mb,
			       struct msgq_msg **slots, unsigned int n)
{
	spin_lock(&mb->lock);
	while (n && mb->pool_count < mb->pool_max) {
		list_add(&slots[--n]->link, &mb->pool);
		mb->pool_count++;
	}
	spin_unlock(&mb->lock);
	while (n)
		msgq_msg_discard(slots[--n]);
}

/*
 * A receiver stops waiting without a message: a non-blocking synchronous
 * sender that counted on it may give up now (delivery_wait_error()). Tell
 * the sender of the first message, the one such a sender waits behind.
 */
static void receiver_leaves(struct msgq_mailbox *mb)
{
	struct msgq_msg *msg = first_msg(mb);

	if (msg)
		sync_update(msg, MSGQ_SYNC_QUEUED);
}

/*
 * Fault entry @k of @rcv in for @len bytes, holding no message (see
 * "Stalled buffers" above). Called and returns with mb->lock held, but
 * drops it meanwhile; @pollers: wake pollers and peekers first, as the
 * caller just gave a message back. The receiver counts as one waiting
 * while it faults, as it would asleep, so that a non-blocking synchronous
 * sender that counted on it keeps waiting. Returns 0 to try again, or the
 * error that ends the receive: -EFAULT, or the signal that cut it short.
 */
static int fault_in_unlocked(struct msgq_mailbox *mb,
			     struct msgq_receiver *rcv, unsigned int k,
			     u32 len, bool pollers, struct msgq_wait *w)
	__must_hold(&mb->lock)
{
	int err;

	mb->recv_sleepers++;
	spin_unlock(&mb->lock);
	if (pollers)
		wake_up_poll(&mb->recv_wait, EPOLL_RECV);
	err = rcv->fault_in(rcv, k, len);
	if (err && signal_pending(current))
		err = w->restartable ? -ERESTARTSYS : -EINTR;
	spin_lock(&mb->lock);
	mb->recv_sleepers--;
	if (err)
		receiver_leaves(mb);
	return err;
}

/**
 * msgq_mailbox_recv - take (or peek at) the first message, waiting if none
 * @mb:   the mailbox
 * @rcv:  where the message goes
 * @peek: copy the message out but leave it first in line
 * @w:    how to wait
 *
 * A message too large for @rcv (-EMSGSIZE) or that @rcv fails to take
 * (-EFAULT) stays first in line.
 */
int msgq_mailbox_recv(struct msgq_mailbox *mb, struct msgq_receiver *rcv,
		      bool peek, struct msgq_wait *w)
{
	struct msgq_msg *msg;
	DEFINE_WAIT(wait);
	bool wake = false;
	int err;

	spin_lock(&mb->lock);
retry:
	for (;;) {
		if (mb->dead) {
			err = -EIDRM;
			goto out_unlock;
		}
		msg = first_msg(mb);
		if (msg)
			break;
		/*
		 * A peek consumes nothing: it must not take a wakeup, nor
		 * count as a receiver that a rendezvous sender can rely on.
		 */
		if (peek)
			err = wait_once(mb, &mb->recv_wait, &wait, false, w);
		else
			err = wait_for_message(mb, w);
		if (err)
			goto out_unlock;
	}
	finish_wait(&mb->recv_wait, &wait);

	rcv->len = msg->len;
	if (msg->len > rcv->cap) {
		/* A non-blocking sync sender may now give up: tell it. */
		sync_update(msg, MSGQ_SYNC_QUEUED);
		/* We may hold the wakeup of this message: pass it on. */
		if (!peek)
			wake_receivers(mb, 1);
		spin_unlock(&mb->lock);
		return -EMSGSIZE;
	}
	if (peek) {
		/* A peek holds no message that anyone waits for: it may fault. */
		refcount_inc(&msg->ref);
		spin_unlock(&mb->lock);
		err = rcv->deliver(rcv, 0, msg);
		msgq_msg_put(msg);
		return err;
	}

	if (msg->len <= MSGQ_LOCKED_COPY_MAX) {
		/* Small: copied under the lock, in one lock round. */
		if (deliver_nofault(rcv, msg))
			goto fault_in;
		unlist_msg(mb, msg);
		err = 0;
	} else {
		/* Large: off the lists, still counted, while it is copied. */
		unlist_msg(mb, msg);
		sync_update(msg, MSGQ_SYNC_INFLIGHT);
		spin_unlock(&mb->lock);
		err = deliver_nofault(rcv, msg);
		spin_lock(&mb->lock);
		if (err && !mb->dead) {
			requeue_msg(mb, msg);
			/* Pollers and peekers that looked meanwhile saw nothing. */
			wake = waiters(mb, &mb->recv_wait);
			goto fault_in;
		}
	}

	wake = !mb->dead && waiters(mb, &mb->send_wait);
	msg = msg_done(mb, msg, !err);
	spin_unlock(&mb->lock);
	if (wake)
		wake_up_poll(&mb->send_wait, EPOLL_SEND);
	if (msg)
		msgq_msg_discard(msg);
	return err;

fault_in:
	/* We may hold the wakeup of this message: others may take it now. */
	wake_receivers(mb, 1);
	err = fault_in_unlocked(mb, rcv, 0, msg->len, wake, w);
	if (!err)
		goto retry;
out_unlock:
	finish_wait(&mb->recv_wait, &wait);
	spin_unlock(&mb->lock);
	return err;
}

/**
 * msgq_mailbox_kill - the owner is gone: drop every message, fail everyone
 * @mb: the mailbox
 *
 * Blocked senders and receivers wake with EIDRM, synchronous senders learn
 * that their message was dropped, and poll reports EPOLLHUP | EPOLLERR.
 */
void msgq_mailbox_kill(struct msgq_mailbox *mb)
{
	struct msgq_msg *msg, *tmp;
	unsigned int prio;
	LIST_HEAD(dropped);

	spin_lock(&mb->lock);
	mb->dead = true;
	mb->owner = NULL;
	for_each_set_bit(prio, mb->levels_used, MSGQ_PRIO_MAX) {
		list_for_each_entry(msg, &mb->levels[prio], link) {
			count_msg(mb, msg, -1);
			sync_update(msg, MSGQ_SYNC_DROPPED);
		}
		list_splice_tail_init(&mb->levels[prio], &dropped);
	}
	bitmap_zero(mb->levels_used, MSGQ_PRIO_MAX);
	mb->listed = 0;
	wake_receivers(mb, UINT_MAX);
	spin_unlock(&mb->lock);

	list_for_each_entry_safe(msg, tmp, &dropped, link)
		msgq_msg_put(msg);
	__wake_up(&mb->recv_wait, TASK_NORMAL, 0,
		  poll_to_key(EPOLLHUP | EPOLLERR));
	__wake_up(&mb->send_wait, TASK_NORMAL, 0,
		  poll_to_key(EPOLLHUP | EPOLLERR));
	kill_fasync(&mb->fasync, SIGIO, POLL_HUP);
}

/**
 * msgq_mailbox_send_batch - queue messages in order, in one lock round
 * @mb:    the mailbox, not a rendezvous one
 * @msgs:  the messages; those queued are consumed, the rest stay the caller's
 * @count: number of @msgs
 * @w:     how to wait for room
 *
 * Returns the number queued, or the error that stopped the first.
 */
int msgq_mailbox_send_batch(struct msgq_mailbox *mb, struct msgq_msg **msgs,
			    unsigned int count, struct msgq_wait *w)
{
	unsigned int done = 0, unwoken = 0;
	DEFINE_WAIT(wait);
	bool pollers;
	int err = 0;

	spin_lock(&mb->lock);
	while (done < count) {
		if (mb->dead) {
			err = -EIDRM;
			break;
		}
		if (!send_fits(mb, false)) {
			/* Receivers must drain what we queued before we wait. */
			if (unwoken && wake_for_messages(mb, unwoken))
				wake_up_poll(&mb->recv_wait, EPOLL_RECV);
			unwoken = 0;
			err = wait_once(mb, &mb->send_wait, &wait, true, w);
			if (err)
				break;
			continue;
		}
		list_msg(mb, msgs[done], false);
		count_msg(mb, msgs[done], 1);
		mb->total_sent++;
		done++;
		unwoken++;
	}
	finish_wait(&mb->send_wait, &wait);
	pollers = unwoken && wake_for_messages(mb, unwoken);
	spin_unlock(&mb->lock);

	if (done)
		notify_recv(mb, pollers);
	return done ? (int)done : err;
}

/**
 * msgq_mailbox_recv_batch - take up to @count messages in one lock round
 * @mb:    the mailbox
 * @rcv:   where the messages go, with @caps and @taken for @count entries
 * @count: most messages to take
 * @w:     how to wait for the first message
 *
 * Returns the number taken, or the error that stopped the first. An entry
 * whose destination is not resident ends the batch there; if it is the
 * first, it is faulted in, holding nothing, and the batch starts over.
 */
int msgq_mailbox_recv_batch(struct msgq_mailbox *mb, struct msgq_receiver *rcv,
			    unsigned int count, struct msgq_wait *w)
{
	unsigned int taken, done, k;
	struct msgq_msg *msg;
	bool wake, pollers;
	u32 first_len = 0;
	int err;

	spin_lock(&mb->lock);
retry:
	for (;;) {
		if (mb->dead) {
			err = -EIDRM;
			goto out_unlock;
		}
		if (mb->listed)
			break;
		err = wait_for_message(mb, w);
		if (err)
			goto out_unlock;
	}

	err = 0;
	taken = 0;
	while (taken < count && (msg = first_msg(mb))) {
		if (msg->len > rcv->caps[taken]) {
			if (!taken) {
				rcv->len = msg->len;
				err = -EMSGSIZE;
			}
			/* Left for others: pass our wakeup on. */
			sync_update(msg, MSGQ_SYNC_QUEUED);
			wake_receivers(mb, 1);
			break;
		}
		unlist_msg(mb, msg);
		sync_update(msg, MSGQ_SYNC_INFLIGHT);
		rcv->taken[taken++] = msg;
	}
	if (taken)
		first_len = rcv->taken[0]->len;
	spin_unlock(&mb->lock);

	pagefault_disable();
	for (done = 0; done < taken; done++) {
		err = rcv->deliver(rcv, done, rcv->taken[done]);
		if (err)
			break;
	}
	pagefault_enable();

	/* Left in taken[]: what the pool did not take, to free unlocked. */
	spin_lock(&mb->lock);
	for (k = 0; k < done; k++)
		rcv->taken[k] = msg_done(mb, rcv->taken[k], true);
	/* Put back what was not delivered, last first, to keep the order. */
	for (k = taken; k-- > done; ) {
		msg = rcv->taken[k];
		if (mb->dead) {
			rcv->taken[k] = msg_done(mb, msg, false);
			continue;
		}
		requeue_msg(mb, msg);
		rcv->taken[k] = NULL;
	}
	/*
	 * We took the wakeups of those put back: pass them on, and tell the
	 * pollers and peekers that saw nothing meanwhile.
	 */
	pollers = taken > done && !mb->dead &&
		  wake_for_messages(mb, taken - done);
	if (taken && !done && !mb->dead) {
		/* The first entry is not resident: fault it in and retry. */
		err = fault_in_unlocked(mb, rcv, 0, first_len, pollers, w);
		if (!err)
			goto retry;
		goto out_unlock;
	}
	wake = done && !mb->dead && waiters(mb, &mb->send_wait);
	spin_unlock(&mb->lock);

	if (pollers)
		wake_up_poll(&mb->recv_wait, EPOLL_RECV);
	if (wake)
		__wake_up(&mb->send_wait, TASK_NORMAL, done,
			  poll_to_key(EPOLL_SEND));
	for (k = 0; k < taken; k++)
		if (rcv->taken[k])
			msgq_msg_discard(rcv->taken[k]);
	return done ? (int)done : err;

out_unlock:
	spin_unlock(&mb->lock);
	return err;
}

bool msgq_mailbox_owned_by(struct msgq_mailbox *mb, struct file *file)
{
	bool owned;

	spin_lock(&mb->lock);
	owned = mb->owner == file;
	spin_unlock(&mb->lock);
	return owned;
}

/*
 * poll_wait() queues us before the lock is taken to read the state, and
 * every change of that state is made under the lock and followed by a
 * wakeup, so either we see the change or we are woken by it.
 */
__poll_t msgq_mailbox_poll(struct msgq_mailbox *mb, struct file *file,
			   poll_table *pt)
{
	__poll_t mask = 0;

	if (file->f_mode & FMODE_READ)
		poll_wait(file, &mb->recv_wait, pt);
	if (file->f_mode & FMODE_WRITE)
		poll_wait(file, &mb->send_wait, pt);

	spin_lock(&mb->lock);
	if (mb->dead) {
		mask = EPOLLHUP | EPOLLERR;
	} else {
		if ((file->f_mode & FMODE_READ) && mb->listed)
			mask |= EPOLL_RECV;
		if ((file->f_mode & FMODE_WRITE) && send_fits(mb, !mb->max_msgs))
			mask |= EPOLL_SEND;
	}
	spin_unlock(&mb->lock);
	return mask;
}

void msgq_mailbox_getattr(struct msgq_mailbox *mb, struct msgq_attr *attr)
{
	spin_lock(&mb->lock);
	attr->cur_msgs = mb->cur_msgs;
	attr->cur_bytes = mb->cur_bytes;
	attr->total_sent = mb->total_sent;
	attr->total_received = mb->total_received;
	if (mb->dead)
		attr->flags |= MSGQ_ATTR_DEAD;
	spin_unlock(&mb->lock);

	attr->max_msgs = mb->max_msgs;
	attr->max_msgsize = mb->max_msgsize;
	attr->mode = mb->mode;
	attr->uid = from_kuid_munged(current_user_ns(), mb->uid);
	attr->gid = from_kgid_munged(current_user_ns(), mb->gid);
	if (mb->owned)
		attr->flags |= MSGQ_ATTR_OWNED;
}
