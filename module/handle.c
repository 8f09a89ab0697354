// SPDX-License-Identifier: GPL-2.0
/*
 * msgq mailbox handles: the file a create or an open of /dev/msgq returns,
 * its file operations and its ioctls (batches in batch.c).
 *
 * Why a new file per mailbox, rather than binding the /dev/msgq file to one
 * mailbox (TUNSETIFF-style): each handle then has its own access mode
 * (FMODE_READ is the right to receive, FMODE_WRITE to send, so read(2) and
 * write(2) get EBADF from the VFS), its own O_NONBLOCK and FD_CLOEXEC, its
 * own place in an epoll set and its own O_ASYNC owner, and one process holds
 * as many as it likes without reopening the device.
 *
 * Everything from userspace is checked here (flags, reserved fields,
 * ranges, times) before the mailbox sees it; the mailbox speaks kernel
 * types only.
 */

#include <linux/anon_inodes.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/time64.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "batch.h"
#include "fds.h"
#include "handle.h"
#include "registry.h"

/* 6.12 hides struct fd's file behind fd_file(); older kernels lack it. */
#ifndef fd_file
#define fd_file(f)	((f).file)
#endif

/* ------------------------------------------------------------------ */
/* How a call may block */

/* The deadline of a call with MSGQ_F_TIMEOUT. */
static int blocking_deadline(struct msgq_blocking *b, u32 flags, u32 clockid,
			     const struct msgq_timespec *ts)
{
	struct timespec64 t;

	/* Check the 64-bit fields before a 32-bit long can truncate them. */
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NSEC_PER_SEC)
		return -EINVAL;
	t.tv_sec = ts->tv_sec;
	t.tv_nsec = ts->tv_nsec;

	b->has_deadline = true;
	if (flags & MSGQ_F_ABSTIME) {
		if (clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC)
			return -EINVAL;
		b->clock = clockid;
		b->deadline = timespec64_to_ktime(t);
	} else {
		/* A restart would start a relative timeout over: EINTR. */
		if (clockid)
			return -EINVAL;
		b->clock = CLOCK_MONOTONIC;
		b->deadline = ktime_add_safe(ktime_get(), timespec64_to_ktime(t));
		b->restartable = false;
	}
	return 0;
}

/* Turn the blocking fields of a send or receive into @b. */
int msgq_blocking_from_args(struct msgq_blocking *b, struct file *file,
			    u32 flags, u32 clockid,
			    const struct msgq_timespec *ts)
{
	*b = (struct msgq_blocking) {
		.nonblock = (flags & MSGQ_F_NONBLOCK) ||
			    (file->f_flags & O_NONBLOCK),
		.restartable = true,
	};
	if (flags & MSGQ_F_TIMEOUT)
		return blocking_deadline(b, flags, clockid, ts);
	if ((flags & MSGQ_F_ABSTIME) || clockid || msgq_any_set(ts, sizeof(*ts)))
		return -EINVAL;
	return 0;
}

/* How a read or write may block: IOCB_NOWAIT (RWF_NOWAIT, io_uring) never. */
static struct msgq_blocking iocb_blocking(const struct kiocb *iocb)
{
	return (struct msgq_blocking) {
		.nonblock = (iocb->ki_filp->f_flags & O_NONBLOCK) ||
			    (iocb->ki_flags & IOCB_NOWAIT),
		.restartable = true,
	};
}

/* ------------------------------------------------------------------ */
/* Receivers */

/* A receiver that copies one message's payload to an iov_iter. */
struct iter_receiver {
	struct msgq_receiver rcv;
	u32 cap;
	struct msgq_msg *taken;
	struct iov_iter *iter;
};

static struct iter_receiver *to_iter_receiver(struct msgq_receiver *rcv)
{
	return container_of(rcv, struct iter_receiver, rcv);
}

static int deliver_to_iter(struct msgq_receiver *rcv, unsigned int k,
			   const struct msgq_msg *msg)
{
	return msgq_msg_copy_out(msg, to_iter_receiver(rcv)->iter);
}

/*
 * Write zeroes where the message will go, on a copy of the iterator: the
 * fault is taken as a plain user-copy fault, which a signal interrupts
 * (fault_in_iov_iter_writeable() would wait killably, in state D).
 */
static int fault_in_iter(struct msgq_receiver *rcv, unsigned int k, u32 len)
{
	struct iov_iter probe = *to_iter_receiver(rcv)->iter;

	return iov_iter_zero(len, &probe) == len ? 0 : -EFAULT;
}

static void iter_receiver_init(struct iter_receiver *r, struct iov_iter *iter)
{
	r->cap = min_t(size_t, iov_iter_count(iter), U32_MAX);
	r->iter = iter;
	r->rcv = (struct msgq_receiver) {
		.caps = &r->cap,
		.taken = &r->taken,
		.deliver = deliver_to_iter,
		.fault_in = fault_in_iter,
	};
}

/*
 * A receive into a struct msgq_recv: the payload, then the fields that
 * describe it, both written before the message is given up, so that a
 * fault on either leaves the message first in line.
 */
struct recv_ioctl {
	struct iter_receiver r;
	struct iov_iter iter;
	struct msgq_recv args;
	struct msgq_recv __user *uargs;
	struct msgq_fds_rcv fr;
};

static struct recv_ioctl *to_recv_ioctl(struct msgq_receiver *rcv)
{
	return container_of(to_iter_receiver(rcv), struct recv_ioctl, r);
}

static int deliver_recv_ioctl(struct msgq_receiver *rcv, unsigned int k,
			      const struct msgq_msg *msg)
{
	struct recv_ioctl *ri = to_recv_ioctl(rcv);
	struct msgq_recv *args = &ri->args;
	bool trunc;
	u32 want;
	int err;

	/* Room for its descriptors first: see "Receive" in fds.c. */
	err = msgq_fds_rcv_prepare(&ri->fr, msg, &want, &trunc);
	if (err)
		return err;
	args->len = msg->len;
	args->prio = msg->prio;
	args->pid = msgq_msg_sender_vnr(msg);
	args->uid = msgq_msg_uid(msg);
	args->sent_ns = msg->sent_ns;
	args->nfds = want;
	args->fd_flags = (args->fd_flags & MSGQ_FD_CLOEXEC) |
			 (trunc ? MSGQ_FD_CTRUNC : 0);
	if (msgq_msg_copy_out(msg, &ri->iter))
		return -EFAULT;
	if (msgq_fds_rcv_write(&ri->fr, want) ||
	    copy_to_user(ri->uargs, args, sizeof(*args))) {
		/* Nothing consumed: the payload is written again next time. */
		iov_iter_revert(&ri->iter, msg->len);
		return -EFAULT;
	}
	msgq_fds_rcv_hold(&ri->fr, msg, want);
	return 0;
}

/*
 * The payload's pages, then the struct's, which holds the caller's input,
 * then the descriptor numbers', and the numbers themselves reserved.
 */
static int fault_in_recv_ioctl(struct msgq_receiver *rcv, unsigned int k,
			       u32 len)
{
	struct recv_ioctl *ri = to_recv_ioctl(rcv);

	if (fault_in_iter(rcv, k, len) ||
	    fault_in_safe_writeable((const char __user *)ri->uargs,
				    sizeof(*ri->uargs)))
		return -EFAULT;
	if (ri->fr.need &&
	    fault_in_safe_writeable((const char __user *)ri->fr.ufds,
				    ri->fr.need * sizeof(*ri->fr.ufds)))
		return -EFAULT;
	return msgq_fds_rcv_reserve(&ri->fr);
}

/* ------------------------------------------------------------------ */
/* File operations */

/*
 * read(2), readv(2), preadv2(2) without an offset: receive one whole
 * message at any priority, spread over the iovecs in order.
 */
static ssize_t msgq_handle_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct msgq_blocking b = iocb_blocking(iocb);
	struct iter_receiver r;
	int ret;

	iter_receiver_init(&r, to);
	ret = msgq_mailbox_recv(iocb->ki_filp->private_data, &r.rcv, 1, false,
				&b);
	if (ret < 0)
		return ret;
	return r.rcv.len;
}

/*
 * write(2), writev(2), pwritev2(2) without an offset: send the iovecs,
 * concatenated, as one message at priority 0.
 */
static ssize_t msgq_handle_write_iter(struct kiocb *iocb,
				      struct iov_iter *from)
{
	struct msgq_mailbox *mb = iocb->ki_filp->private_data;
	struct msgq_blocking b = iocb_blocking(iocb);
	size_t len = iov_iter_count(from);
	int err;

	if (len > mb->max_msgsize)
		return -EMSGSIZE;
	/*
	 * A send to a rendezvous mailbox waits for its receiver even when it
	 * may not wait for room: never under IOCB_NOWAIT (io_uring's inline
	 * issue, SQPOLL's thread), which then tries again where it may block.
	 */
	if ((iocb->ki_flags & IOCB_NOWAIT) && !mb->max_msgs)
		return -EAGAIN;
	err = msgq_mailbox_send(mb, from, 0, false, NULL, &b);
	if (err)
		return err;
	return len;
}

static __poll_t msgq_handle_poll(struct file *file, poll_table *pt)
{
	return msgq_mailbox_poll(file->private_data, file, pt);
}

static int msgq_handle_fasync(int fd, struct file *file, int on)
{
	struct msgq_mailbox *mb = file->private_data;

	return fasync_helper(fd, file, on, &mb->fasync);
}

/*
 * /proc/PID/fdinfo/FD: which mailbox, in which IPC namespace (0 once
 * unlinked), what this handle may do, and the mailbox's state and limits.
 * msgq-id tells mailboxes apart even without names (msgq ls --holders).
 */
static void msgq_handle_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct msgq_mailbox *mb = file->private_data;
	struct msgq_mailbox *named = msgq_mailbox_named(mb);
	struct msgq_mailbox_state st;

	msgq_mailbox_state(mb, &st);
	seq_printf(m, "msgq-id:\t%llu\n", mb->id);
	seq_printf(m, "msgq-name:\t%s\n", mb->name);
	seq_printf(m, "msgq-ipc-ns:\t%u\n", msgq_registry_ns_inum(named));
	seq_printf(m, "msgq-rights:\t%s%s\n",
		   file->f_mode & FMODE_WRITE ? "send" : "",
		   (file->f_mode & FMODE_READ) ?
		   (file->f_mode & FMODE_WRITE ? ",recv" : "recv") : "");
	seq_printf(m, "msgq-owner:\t%d\n", msgq_mailbox_owned_by(named, file));
	seq_printf(m, "msgq-dead:\t%d\n", st.dead);
	seq_printf(m, "msgq-depth:\t%u\n", st.cur_msgs);
	seq_printf(m, "msgq-bytes:\t%llu\n", st.cur_bytes);
	seq_printf(m, "msgq-max-msgs:\t%u\n", mb->max_msgs);
	seq_printf(m, "msgq-max-msgsize:\t%u\n", mb->max_msgsize);
	if (named->fanout) {
		seq_printf(m, "msgq-subscribers:\t%u\n", st.subscribers);
		seq_printf(m, "msgq-lost:\t%llu\n", st.lost);
	}
}

/* close(2) of any handle of the mailbox ends the process's mq_notify(). */
static int msgq_handle_flush(struct file *file, fl_owner_t id)
{
	msgq_mailbox_notify_close(file->private_data);
	return 0;
}

static int msgq_handle_release(struct inode *inode, struct file *file)
{
	struct msgq_mailbox *mb = file->private_data;
	struct msgq_mailbox *named = msgq_mailbox_named(mb);

	if (msgq_mailbox_owned_by(named, file))
		msgq_registry_remove(named);
	if (mb != named)
		msgq_mailbox_unsubscribe(mb);
	msgq_mailbox_put(mb);
	return 0;
}

/* ------------------------------------------------------------------ */
/* ioctls */

/* A send described by @args, on @file. */
static long send_args(struct file *file, const struct msgq_send *args)
{
	struct msgq_mailbox *mb = file->private_data;
	struct msgq_fds *fds = NULL;
	struct msgq_blocking b;
	struct iov_iter from;
	int err;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if ((args->flags & ~MSGQ_SEND_FLAGS) || args->prio >= MSGQ_PRIO_MAX ||
	    args->nfds > MSGQ_FDS_MAX || args->fd_flags)
		return -EINVAL;
	err = msgq_blocking_from_args(&b, file, args->flags, args->clockid,
				      &args->timeout);
	if (err)
		return err;
	if (args->len > mb->max_msgsize)
		return -EMSGSIZE;

	if (args->nfds) {
		fds = msgq_fds_get(u64_to_user_ptr(args->fds), args->nfds);
		if (IS_ERR(fds))
			return PTR_ERR(fds);
	}
	iov_iter_ubuf(&from, ITER_SOURCE, u64_to_user_ptr(args->buf),
		      args->len);
	return msgq_mailbox_send(mb, &from, args->prio,
				 args->flags & MSGQ_F_SYNC, fds, &b);
}

static long handle_send(struct file *file, struct msgq_send __user *uargs)
{
	struct msgq_send args;

	if (copy_from_user(&args, uargs, sizeof(args)))
		return -EFAULT;
	return send_args(file, &args);
}

/* Check the receive described by @args, on @file, and how it may block. */
static int recv_check(struct file *file, struct msgq_recv *args,
		      struct msgq_blocking *b)
{
	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	if ((args->flags & ~MSGQ_RECV_FLAGS) || args->__pad ||
	    (args->fd_flags & ~(MSGQ_FD_CLOEXEC | MSGQ_FD_CTRUNC)))
		return -EINVAL;
	return msgq_blocking_from_args(b, file, args->flags, args->clockid,
				       &args->timeout);
}

/* The receive described by ri->args, checked by recv_check(), on @file. */
static long recv_checked(struct file *file, struct recv_ioctl *ri,
			 struct msgq_blocking *b)
{
	struct msgq_recv *args = &ri->args;
	int ret, lost;

	iov_iter_ubuf(&ri->iter, ITER_DEST, u64_to_user_ptr(args->buf),
		      args->cap);
	iter_receiver_init(&ri->r, &ri->iter);
	ri->r.rcv.deliver = deliver_recv_ioctl;
	ri->r.rcv.fault_in = fault_in_recv_ioctl;
	msgq_fds_rcv_init(&ri->fr, u64_to_user_ptr(args->fds), args->nfds,
			  args->fd_flags & MSGQ_FD_CLOEXEC);
	ret = msgq_mailbox_recv(file->private_data, &ri->r.rcv, 1,
				args->flags & MSGQ_F_PEEK, b);
	/* In every case: what was reserved goes, what was taken is installed. */
	lost = msgq_fds_rcv_finish(&ri->fr);
	if (ret == -EMSGSIZE) {
		/* Tell the caller how large a buffer it needs. */
		args->len = ri->r.rcv.len;
		if (copy_to_user(&ri->uargs->len, &args->len, sizeof(args->len)))
			return -EFAULT;
	}
	if (ret < 0)
		return ret;
	if (lost < 0)
		return lost;
	if (lost && put_user(args->fd_flags | MSGQ_FD_CTRUNC,
			     &ri->uargs->fd_flags))
		return -EFAULT;
	return 0;
}

static long handle_recv(struct file *file, struct msgq_recv __user *uargs)
{
	struct recv_ioctl ri = { .uargs = uargs };
	struct msgq_blocking b;
	int err;

	if (copy_from_user(&ri.args, uargs, sizeof(ri.args)))
		return -EFAULT;
	err = recv_check(file, &ri.args, &b);
	if (err)
		return err;
	return recv_checked(file, &ri, &b);
}

/*
 * Send on args.send_fd, then receive on @file. The receive half is checked
 * first, so that a call it would fail sends nothing. MSGQ_SR_SENT, written
 * back once the message is queued, makes a restarted call skip the send;
 * the flags are written back once before the send too, so that a fault
 * there cannot come after a send it would hide.
 */
static long handle_send_recv(struct file *file,
			     struct msgq_send_recv __user *uargs)
{
	struct recv_ioctl ri = { .uargs = &uargs->recv };
	struct msgq_send_recv args;
	struct msgq_blocking b;
	struct fd target;
	long err;

	if (copy_from_user(&args, uargs, sizeof(args)))
		return -EFAULT;
	if ((args.flags & ~MSGQ_SR_FLAGS) ||
	    msgq_any_set(args.__reserved, sizeof(args.__reserved)))
		return -EINVAL;
	ri.args = args.recv;
	err = recv_check(file, &ri.args, &b);
	if (err)
		return err;

	if (!(args.flags & MSGQ_SR_SENT)) {
		if (put_user(args.flags, &uargs->flags))
			return -EFAULT;
		target = fdget(args.send_fd);
		if (!fd_file(target))
			return -EBADF;
		err = -EBADF;
		if (msgq_handle_is(fd_file(target)))
			err = send_args(fd_file(target), &args.send);
		fdput(target);
		if (err)
			return err;
		if (put_user(args.flags | MSGQ_SR_SENT, &uargs->flags))
			return -EFAULT;
		/* A relative timeout runs from here: check (again) and arm. */
		err = recv_check(file, &ri.args, &b);
		if (err)
			return err;
	}

	return recv_checked(file, &ri, &b);
}

static long handle_getattr(struct file *file, struct msgq_attr __user *uattr)
{
	struct msgq_mailbox *mb = file->private_data;
	struct user_namespace *user_ns = current_user_ns();
	struct msgq_mailbox_state st;
	struct msgq_attr attr;

	msgq_mailbox_state(mb, &st);
	memset(&attr, 0, sizeof(attr));
	attr.max_msgs = mb->max_msgs;
	attr.max_msgsize = mb->max_msgsize;
	attr.cur_msgs = st.cur_msgs;
	attr.cur_bytes = st.cur_bytes;
	attr.total_sent = st.total_sent;
	attr.total_received = st.total_received;
	attr.subscribers = st.subscribers;
	attr.max_backlog = st.max_backlog;
	attr.lost = st.lost;
	attr.mode = mb->mode;
	attr.uid = from_kuid_munged(user_ns, msgq_mailbox_named(mb)->uid);
	attr.gid = from_kgid_munged(user_ns, msgq_mailbox_named(mb)->gid);
	if (mb->owned)
		attr.flags |= MSGQ_ATTR_OWNED;
	if (st.dead)
		attr.flags |= MSGQ_ATTR_DEAD;
	if (!msgq_registry_linked(msgq_mailbox_named(mb)))
		attr.flags |= MSGQ_ATTR_UNLINKED;
	if (msgq_mailbox_named(mb)->fanout)
		attr.flags |= MSGQ_ATTR_FANOUT;
	if (msgq_mailbox_named(mb)->fanout == MSGQ_FANOUT_DROP)
		attr.flags |= MSGQ_ATTR_FANOUT_DROP;
	if (file->f_mode & FMODE_READ)
		attr.handle_flags |= MSGQ_O_RECV;
	if (file->f_mode & FMODE_WRITE)
		attr.handle_flags |= MSGQ_O_SEND;
	if (file->f_flags & O_NONBLOCK)
		attr.handle_flags |= MSGQ_O_NONBLOCK;
	return copy_to_user(uattr, &attr, sizeof(attr)) ? -EFAULT : 0;
}

/* mq_notify(): register, or remove, the calling process's notification. */
static long handle_notify(struct file *file, struct msgq_notify __user *uargs)
{
	struct msgq_notification *n;
	struct msgq_notify args;
	int err;

	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	if (copy_from_user(&args, uargs, sizeof(args)))
		return -EFAULT;
	if (args.__pad || msgq_any_set(args.__reserved, sizeof(args.__reserved)))
		return -EINVAL;
	switch (args.how) {
	case MSGQ_NOTIFY_REMOVE:
		return msgq_mailbox_notify(file->private_data, NULL);
	case MSGQ_NOTIFY_SIGNAL:
		if (!valid_signal(args.signo) || !args.signo)
			return -EINVAL;
		break;
	case MSGQ_NOTIFY_NONE:
	case MSGQ_NOTIFY_EVENTFD:
		break;
	default:
		return -EINVAL;
	}

	n = kzalloc(sizeof(*n), GFP_KERNEL_ACCOUNT);
	if (!n)
		return -ENOMEM;
	n->owner = get_pid(task_tgid(current));
	n->user_ns = get_user_ns(current_user_ns());
	n->exec_id = current->self_exec_id;
	n->how = args.how == MSGQ_NOTIFY_SIGNAL ? MSGQ_NOTIFY_BY_SIGNAL :
		 args.how == MSGQ_NOTIFY_EVENTFD ? MSGQ_NOTIFY_BY_EVENTFD :
		 MSGQ_NOTIFY_BY_NONE;
	n->signo = args.signo;
	n->value = args.value;
	if (args.how == MSGQ_NOTIFY_EVENTFD) {
		n->eventfd = eventfd_ctx_fdget(args.fd);
		if (IS_ERR(n->eventfd)) {
			err = PTR_ERR(n->eventfd);
			n->eventfd = NULL;
			goto err_free;
		}
	}
	err = msgq_mailbox_notify(file->private_data, n);
	if (err)
		goto err_free;
	return 0;

err_free:
	msgq_notification_free(n);
	return err;
}

static long msgq_handle_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case MSGQ_IOC_SEND:
		return handle_send(file, argp);
	case MSGQ_IOC_RECV:
		return handle_recv(file, argp);
	case MSGQ_IOC_GETATTR:
		return handle_getattr(file, argp);
	case MSGQ_IOC_SEND_BATCH:
		return msgq_handle_send_batch(file, argp);
	case MSGQ_IOC_RECV_BATCH:
		return msgq_handle_recv_batch(file, argp);
	case MSGQ_IOC_SEND_RECV:
		return handle_send_recv(file, argp);
	case MSGQ_IOC_NOTIFY:
		return handle_notify(file, argp);
	default:
		return -ENOTTY;
	}
}

/*
 * No .splice_read or .splice_write: a pipe keeps no message boundaries, so
 * splice(2), tee(2), sendfile(2) and copy_file_range(2) fail with EINVAL
 * (the VFS's answer for a file without them) rather than split or merge
 * messages. A handle is a stream (stream_open()): an offset is ESPIPE.
 */
static const struct file_operations msgq_handle_fops = {
	.owner		= THIS_MODULE,
	.read_iter	= msgq_handle_read_iter,
	.write_iter	= msgq_handle_write_iter,
	.poll		= msgq_handle_poll,
	.unlocked_ioctl	= msgq_handle_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.fasync		= msgq_handle_fasync,
	.flush		= msgq_handle_flush,
	.release	= msgq_handle_release,
	.show_fdinfo	= msgq_handle_show_fdinfo,
};

/* Is @file a mailbox handle (of this module)? */
bool msgq_handle_is(const struct file *file)
{
	return file->f_op == &msgq_handle_fops;
}

/**
 * msgq_handle_install - give the caller a handle on @mb
 * @mb:    the mailbox, with a reference that the handle takes over
 * @flags: MSGQ_O_* flags of the create or open
 * @owner: the handle owns @mb (an owned mailbox's create)
 *
 * A handle that may receive from a fan-out mailbox holds a subscription
 * instead, which references @mb. Returns the new file descriptor, or an
 * error and @mb's reference is still the caller's.
 */
int msgq_handle_install(struct msgq_mailbox *mb, u32 flags, bool owner)
{
	struct msgq_mailbox *held = mb;
	struct file *file;
	int o_flags, fd;

	switch (flags & MSGQ_O_RDWR) {
	case MSGQ_O_SEND:
		o_flags = O_WRONLY;
		break;
	case MSGQ_O_RECV:
		o_flags = O_RDONLY;
		break;
	default:
		o_flags = O_RDWR;
		break;
	}
	if (flags & MSGQ_O_NONBLOCK)
		o_flags |= O_NONBLOCK;
	if (flags & MSGQ_O_CLOEXEC)
		o_flags |= O_CLOEXEC;

	fd = get_unused_fd_flags(o_flags);
	if (fd < 0)
		return fd;
	if (mb->fanout && (flags & MSGQ_O_RECV)) {
		held = msgq_mailbox_subscribe(mb);
		if (IS_ERR(held)) {
			put_unused_fd(fd);
			return PTR_ERR(held);
		}
	}
	file = anon_inode_getfile("[msgq]", &msgq_handle_fops, held, o_flags);
	if (IS_ERR(file)) {
		if (held != mb) {
			msgq_mailbox_unsubscribe(held);
			msgq_mailbox_put(held);
		}
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	/* A stream: no file position (ESPIPE for an offset, as before). */
	stream_open(file_inode(file), file);
	/* IOCB_NOWAIT is honoured: RWF_NOWAIT, and io_uring polls, not punts. */
	file->f_mode |= FMODE_NOWAIT;
	if (owner)
		msgq_mailbox_set_owner(mb, file);
	/* The subscription holds a reference of its own. */
	if (held != mb)
		msgq_mailbox_put(mb);
	fd_install(fd, file);
	return fd;
}
