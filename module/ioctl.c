// SPDX-License-Identifier: GPL-2.0
/*
 * msgq ioctls: the only file that knows the UAPI structs. Everything from
 * userspace is checked here (flags, reserved fields, ranges, names, times)
 * before the registry or a mailbox sees it.
 */

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/time64.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/cred.h>
#include <linux/pagemap.h>

#include "internal.h"

/* 6.12 hides struct fd's file behind fd_file(); older kernels lack it. */
#ifndef fd_file
#define fd_file(f)	((f).file)
#endif

/* Copy a name in: 1..MSGQ_NAME_MAX printable non-space ASCII bytes. */
static int copy_name(char name[MSGQ_NAME_MAX + 1], u64 uptr)
{
	long len, i;

	len = strncpy_from_user(name, u64_to_user_ptr(uptr), MSGQ_NAME_MAX + 1);
	if (len < 0)
		return len;
	if (len > MSGQ_NAME_MAX)
		return -ENAMETOOLONG;
	if (!len)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (name[i] < 0x21 || name[i] > 0x7e)
			return -EINVAL;
	return 0;
}

static bool any_set(const void *p, size_t size)
{
	return memchr_inv(p, 0, size);
}

/* The deadline of a wait with MSGQ_F_TIMEOUT. */
static int wait_deadline(struct msgq_wait *w, u32 flags, u32 clockid,
			 const struct msgq_timespec *ts)
{
	struct timespec64 t;

	/* Check the 64-bit fields before a 32-bit long can truncate them. */
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NSEC_PER_SEC)
		return -EINVAL;
	t.tv_sec = ts->tv_sec;
	t.tv_nsec = ts->tv_nsec;

	w->has_deadline = true;
	if (flags & MSGQ_F_ABSTIME) {
		if (clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC)
			return -EINVAL;
		w->clock = clockid;
		w->deadline = timespec64_to_ktime(t);
	} else {
		/* A restart would start a relative timeout over: EINTR. */
		if (clockid)
			return -EINVAL;
		w->clock = CLOCK_MONOTONIC;
		w->deadline = ktime_add_safe(ktime_get(), timespec64_to_ktime(t));
		w->restartable = false;
	}
	return 0;
}

/* Turn the wait fields of a send or receive into a struct msgq_wait. */
static inline int wait_from_args(struct msgq_wait *w, struct file *file,
				 u32 flags, u32 clockid,
				 const struct msgq_timespec *ts)
{
	*w = (struct msgq_wait) {
		.nonblock = (flags & MSGQ_F_NONBLOCK) ||
			    (file->f_flags & O_NONBLOCK),
		.restartable = true,
	};
	if (flags & MSGQ_F_TIMEOUT)
		return wait_deadline(w, flags, clockid, ts);
	if ((flags & MSGQ_F_ABSTIME) || clockid || any_set(ts, sizeof(*ts)))
		return -EINVAL;
	return 0;
}

static long dev_create(struct file *file, struct msgq_create __user *uargs)
{
	char name[MSGQ_NAME_MAX + 1];
	struct msgq_create args;
	struct msgq_mailbox *mb;
	bool created;
	int err, fd;

	if (copy_from_user(&args, uargs, sizeof(args)))
		return -EFAULT;
	if ((args.flags & ~MSGQ_CREATE_FLAGS) || !(args.flags & MSGQ_O_RDWR) ||
	    any_set(args.__reserved, sizeof(args.__reserved)) ||
	    (args.mode & ~0777))
		return -EINVAL;
	/* The tunable limits apply only if a mailbox is created: registry. */
	if (args.max_msgs > MSGQ_MAX_MSGS_LIMIT || !args.max_msgsize ||
	    args.max_msgsize > MSGQ_MAX_MSGSIZE_LIMIT)
		return -EINVAL;
	err = copy_name(name, args.name);
	if (err)
		return err;

	mb = msgq_registry_create(file->private_data, name, args.flags,
				  args.mode & ~current_umask(), args.max_msgs,
				  args.max_msgsize, &created);
	if (IS_ERR(mb))
		return PTR_ERR(mb);
	fd = msgq_handle_install(mb, args.flags);
	if (fd < 0) {
		/*
		 * A failed create leaves no name behind. (For a moment the name
		 * was visible; whoever opened it then keeps a working, unnamed
		 * mailbox, as after an unlink.)
		 */
		if (created)
			msgq_registry_forget(mb);
		if (args.flags & MSGQ_O_OWNED)
			msgq_mailbox_kill(mb);
		msgq_mailbox_put(mb);
	}
	return fd;
}

static long dev_open(struct file *file, struct msgq_open __user *uargs)
{
	char name[MSGQ_NAME_MAX + 1];
	struct msgq_mailbox *mb;
	struct msgq_open args;
	int err, fd;

	if (copy_from_user(&args, uargs, sizeof(args)))
		return -EFAULT;
	if ((args.flags & ~MSGQ_OPEN_FLAGS) || !(args.flags & MSGQ_O_RDWR) ||
	    args.__pad || any_set(args.__reserved, sizeof(args.__reserved)))
		return -EINVAL;
	err = copy_name(name, args.name);
	if (err)
		return err;

	mb = msgq_registry_open(file->private_data, name, args.flags);
	if (IS_ERR(mb))
		return PTR_ERR(mb);
	fd = msgq_handle_install(mb, args.flags);
	if (fd < 0)
		msgq_mailbox_put(mb);
	return fd;
}

static long dev_unlink(struct file *file, struct msgq_unlink __user *uargs)
{
	char name[MSGQ_NAME_MAX + 1];
	struct msgq_unlink args;
	int err;

	if (copy_from_user(&args, uargs, sizeof(args)))
		return -EFAULT;
	if (args.flags || args.__pad)
		return -EINVAL;
	err = copy_name(name, args.name);
	if (err)
		return err;
	return msgq_registry_unlink(file->private_data, name);
}

long msgq_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case MSGQ_IOC_CREATE:
		return dev_create(file, argp);
	case MSGQ_IOC_OPEN:
		return dev_open(file, argp);
	case MSGQ_IOC_UNLINK:
		return dev_unlink(file, argp);
	default:
		return -ENOTTY;
	}
}

/* A send described by @args, on @file. */
static long send_args(struct file *file, const struct msgq_send *args)
{
	struct msgq_mailbox *mb = file->private_data;
	struct iov_iter from;
	struct msgq_wait w;
	int err;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if ((args->flags & ~MSGQ_SEND_FLAGS) || args->prio >= MSGQ_PRIO_MAX ||
	    any_set(args->__reserved, sizeof(args->__reserved)))
		return -EINVAL;
	err = wait_from_args(&w, file, args->flags, args->clockid,
			     &args->timeout);
	if (err)
		return err;
	if (args->len > mb->max_msgsize)
		return -EMSGSIZE;

	iov_iter_ubuf(&from, ITER_SOURCE, u64_to_user_ptr(args->buf),
		      args->len);
	return msgq_mailbox_send(mb, &from, args->prio,
				 args->flags & MSGQ_F_SYNC, &w);
}

static long mailbox_send(struct file *file, struct msgq_send __user *uargs)
{
	struct msgq_send args;

	if (copy_from_user(&args, uargs, sizeof(args)))
		return -EFAULT;
	return send_args(file, &args);
}

/*
 * A receive into a struct msgq_recv: the payload, then the fields that
 * describe it, both written before the message is given up, so that a
 * fault on either leaves the message first in line.
 */
struct recv_ioctl {
	struct msgq_iter_receiver r;
	struct iov_iter iter;
	struct msgq_recv args;
	struct msgq_recv __user *uargs;
};

static struct recv_ioctl *to_recv_ioctl(struct msgq_receiver *rcv)
{
	return container_of(rcv, struct recv_ioctl, r.rcv);
}

static int deliver_recv_ioctl(struct msgq_receiver *rcv, unsigned int k,
			      const struct msgq_msg *msg)
{
	struct recv_ioctl *ri = to_recv_ioctl(rcv);
	struct msgq_recv *args = &ri->args;

	args->len = msg->len;
	args->prio = msg->prio;
	args->pid = msgq_msg_sender_vnr(msg);
	args->uid = msgq_msg_uid(msg);
	args->sent_ns = msg->sent_ns;
	if (msgq_msg_copy_out(msg, &ri->iter))
		return -EFAULT;
	if (copy_to_user(ri->uargs, args, sizeof(*args))) {
		/* Nothing consumed: the payload is written again next time. */
		iov_iter_revert(&ri->iter, msg->len);
		return -EFAULT;
	}
	return 0;
}

/* The payload's pages, then the struct's, which may hold the caller's input. */
static int fault_in_recv_ioctl(struct msgq_receiver *rcv, unsigned int k,
			       u32 len)
{
	struct recv_ioctl *ri = to_recv_ioctl(rcv);

	if (msgq_fault_in_iter(rcv, k, len) ||
	    fault_in_safe_writeable((const char __user *)ri->uargs,
				    sizeof(*ri->uargs)))
		return -EFAULT;
	return 0;
}

/* Check the receive described by @args, on @file, and how it may wait. */
static int recv_check(struct file *file, struct msgq_recv *args,
		      struct msgq_wait *w)
{
	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	if ((args->flags & ~MSGQ_RECV_FLAGS) || args->__pad ||
	    any_set(args->__reserved, sizeof(args->__reserved)))
		return -EINVAL;
	return wait_from_args(w, file, args->flags, args->clockid,
			      &args->timeout);
}

/* The receive described by ri->args, checked by recv_check(), on @file. */
static long recv_checked(struct file *file, struct recv_ioctl *ri,
			 struct msgq_wait *w)
{
	struct msgq_recv *args = &ri->args;
	int err;

	iov_iter_ubuf(&ri->iter, ITER_DEST, u64_to_user_ptr(args->buf),
		      args->cap);
	msgq_iter_receiver_init(&ri->r, &ri->iter);
	ri->r.rcv.deliver = deliver_recv_ioctl;
	ri->r.rcv.fault_in = fault_in_recv_ioctl;
	err = msgq_mailbox_recv(file->private_data, &ri->r.rcv,
				args->flags & MSGQ_F_PEEK, w);
	if (err == -EMSGSIZE) {
		/* Tell the caller how large a buffer it needs. */
		args->len = ri->r.rcv.len;
		if (copy_to_user(&ri->uargs->len, &args->len, sizeof(args->len)))
			return -EFAULT;
	}
	return err;
}

static long mailbox_recv(struct file *file, struct msgq_recv __user *uargs)
{
	struct recv_ioctl ri = { .uargs = uargs };
	struct msgq_wait w;
	int err;

	if (copy_from_user(&ri.args, uargs, sizeof(ri.args)))
		return -EFAULT;
	err = recv_check(file, &ri.args, &w);
	if (err)
		return err;
	return recv_checked(file, &ri, &w);
}

/*
 * Send on args.send_fd, then receive on @file. The receive half is checked
 * first, so that a call it would fail sends nothing. MSGQ_SR_SENT, written
 * back once the message is queued, makes a restarted call skip the send;
 * the flags are written back once before the send too, so that a fault
 * there cannot come after a send it would hide.
 */
static long mailbox_send_recv(struct file *file,
			      struct msgq_send_recv __user *uargs)
{
	struct recv_ioctl ri = { .uargs = &uargs->recv };
	struct msgq_send_recv args;
	struct msgq_wait w;
	struct fd target;
	long err;

	if (copy_from_user(&args, uargs, sizeof(args)))
		return -EFAULT;
	if ((args.flags & ~MSGQ_SR_FLAGS) ||
	    any_set(args.__reserved, sizeof(args.__reserved)))
		return -EINVAL;
	ri.args = args.recv;
	err = recv_check(file, &ri.args, &w);
	if (err)
		return err;

	if (!(args.flags & MSGQ_SR_SENT)) {
		if (put_user(args.flags, &uargs->flags))
			return -EFAULT;
		target = fdget(args.send_fd);
		if (!fd_file(target))
			return -EBADF;
		err = -EBADF;
		if (msgq_is_handle(fd_file(target)))
			err = send_args(fd_file(target), &args.send);
		fdput(target);
		if (err)
			return err;
		if (put_user(args.flags | MSGQ_SR_SENT, &uargs->flags))
			return -EFAULT;
		/* A relative timeout runs from here: check (again) and arm. */
		err = recv_check(file, &ri.args, &w);
		if (err)
			return err;
	}

	return recv_checked(file, &ri, &w);
}

static long mailbox_getattr(struct file *file, struct msgq_attr __user *uattr)
{
	struct msgq_mailbox *mb = file->private_data;
	struct msgq_attr attr;

	memset(&attr, 0, sizeof(attr));
	msgq_mailbox_getattr(mb, &attr);
	if (!msgq_registry_linked(mb))
		attr.flags |= MSGQ_ATTR_UNLINKED;
	if (file->f_mode & FMODE_READ)
		attr.handle_flags |= MSGQ_O_RECV;
	if (file->f_mode & FMODE_WRITE)
		attr.handle_flags |= MSGQ_O_SEND;
	if (file->f_flags & O_NONBLOCK)
		attr.handle_flags |= MSGQ_O_NONBLOCK;
	return copy_to_user(uattr, &attr, sizeof(attr)) ? -EFAULT : 0;
}

/*
 * Copy a batch's array in field by field: a field is one move, where a
 * bulk copy_from_user() is a byte-wise "rep movsb" on CPUs with ERMS, which
 * an emulator runs byte by byte.
 */
static int get_mmsgs(struct msgq_mmsg *mmsgs,
		     const struct msgq_mmsg __user *umsgs, unsigned int count)
{
	unsigned int k;

	if (!user_access_begin(umsgs, array_size(count, sizeof(*umsgs))))
		return -EFAULT;
	for (k = 0; k < count; k++) {
		unsafe_get_user(mmsgs[k].buf, &umsgs[k].buf, efault);
		unsafe_get_user(mmsgs[k].len, &umsgs[k].len, efault);
		unsafe_get_user(mmsgs[k].prio, &umsgs[k].prio, efault);
		unsafe_get_user(mmsgs[k].pid, &umsgs[k].pid, efault);
		unsafe_get_user(mmsgs[k].uid, &umsgs[k].uid, efault);
		unsafe_get_user(mmsgs[k].sent_ns, &umsgs[k].sent_ns, efault);
		unsafe_get_user(mmsgs[k].__reserved, &umsgs[k].__reserved,
				efault);
	}
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

/* Check a batch's header and copy its array in. */
static struct msgq_mmsg *batch_begin(struct file *file, struct msgq_batch *args,
				     struct msgq_batch __user *uargs,
				     struct msgq_wait *w)
{
	struct msgq_mmsg *mmsgs;
	int err;

	if (copy_from_user(args, uargs, sizeof(*args)))
		return ERR_PTR(-EFAULT);
	if ((args->flags & ~MSGQ_BATCH_FLAGS) || args->__pad ||
	    any_set(args->__reserved, sizeof(args->__reserved)) ||
	    !args->count || args->count > MSGQ_BATCH_MAX)
		return ERR_PTR(-EINVAL);
	err = wait_from_args(w, file, args->flags, args->clockid,
			     &args->timeout);
	if (err)
		return ERR_PTR(err);
	mmsgs = kvmalloc_array(args->count, sizeof(*mmsgs), GFP_KERNEL);
	if (!mmsgs)
		return ERR_PTR(-ENOMEM);
	err = get_mmsgs(mmsgs, u64_to_user_ptr(args->msgs), args->count);
	if (err) {
		kvfree(mmsgs);
		return ERR_PTR(err);
	}
	return mmsgs;
}

/*
 * How many leading entries of a send batch may go: up to the first bad one
 * (*err says why) or the one past what the mailbox could hold, or 1 MiB if
 * more, so that a blocked batch pins no more memory than a full mailbox or
 * one largest message would. *small counts those that fit a pooled slot.
 */
static unsigned int batch_send_entries(struct msgq_mailbox *mb,
				       const struct msgq_mmsg *mmsgs,
				       unsigned int count, unsigned int *small,
				       int *err)
{
	u64 bytes = 0, max_bytes;
	unsigned int n;

	max_bytes = max_t(u64, (u64)mb->max_msgs * mb->max_msgsize,
			  MSGQ_MAX_MSGSIZE_LIMIT);
	*small = 0;
	for (n = 0; n < count; n++) {
		const struct msgq_mmsg *m = &mmsgs[n];

		*err = -EINVAL;
		if (m->prio >= MSGQ_PRIO_MAX || m->pid || m->uid ||
		    m->sent_ns || m->__reserved)
			break;
		*err = -EMSGSIZE;
		if (m->len > mb->max_msgsize)
			break;
		bytes += m->len;
		if (n && bytes > max_bytes)
			break;
		if (m->len <= mb->slot_payload)
			(*small)++;
	}
	return n;
}

static long mailbox_send_batch(struct file *file,
			       struct msgq_batch __user *uargs)
{
	struct msgq_mailbox *mb = file->private_data;
	unsigned int n, k, small, nslots;
	struct msgq_msg **msgs, **slots;
	struct msgq_mmsg *mmsgs;
	struct msgq_batch args;
	struct iov_iter from;
	struct msgq_wait w;
	int ret, err = 0;
	u64 now;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (!mb->max_msgs)
		return -EINVAL;
	mmsgs = batch_begin(file, &args, uargs, &w);
	if (IS_ERR(mmsgs))
		return PTR_ERR(mmsgs);
	n = batch_send_entries(mb, mmsgs, args.count, &small, &err);
	ret = err;
	if (!n)
		goto out_free_mmsgs;
	msgs = kvmalloc_array(n + small, sizeof(*msgs), GFP_KERNEL);
	ret = -ENOMEM;
	if (!msgs)
		goto out_free_mmsgs;

	/* Copy every payload in first; a fault ends the batch there. */
	slots = msgs + n;
	nslots = msgq_mailbox_take_slots(mb, slots, small);
	now = msgq_msg_clock();
	for (k = 0; k < n; k++) {
		struct msgq_mmsg *m = &mmsgs[k];
		struct msgq_msg *msg;

		if (m->len <= mb->slot_payload && nslots)
			msg = slots[--nslots];
		else
			msg = msgq_msg_alloc(mb, m->len);
		err = -ENOMEM;
		if (!msg)
			break;
		iov_iter_ubuf(&from, ITER_SOURCE, u64_to_user_ptr(m->buf),
			      m->len);
		err = msgq_msg_copy_in(msg, &from, m->len);
		if (err) {
			msgq_msg_discard(msg);
			break;
		}
		msgq_msg_stamp(msg, m->len, m->prio, now);
		msgs[k] = msg;
	}
	if (nslots)
		msgq_mailbox_return_slots(mb, slots, nslots);

	ret = err;
	if (k) {
		ret = msgq_mailbox_send_batch(mb, msgs, k, &w);
		for (n = max(ret, 0); n < k; n++)
			msgq_msg_put(msgs[n]);
	}
	kvfree(msgs);
out_free_mmsgs:
	kvfree(mmsgs);
	return ret;
}

struct recv_batch_ioctl {
	struct msgq_receiver rcv;
	struct msgq_mmsg *mmsgs;
	struct msgq_mmsg __user *umsgs;
};

static int deliver_recv_batch(struct msgq_receiver *rcv, unsigned int k,
			      const struct msgq_msg *msg)
{
	struct recv_batch_ioctl *rb =
		container_of(rcv, struct recv_batch_ioctl, rcv);
	struct msgq_mmsg __user *um = &rb->umsgs[k];
	pid_t pid = msgq_msg_sender_vnr(msg);
	uid_t uid = msgq_msg_uid(msg);
	struct iov_iter to;

	iov_iter_ubuf(&to, ITER_DEST, u64_to_user_ptr(rb->mmsgs[k].buf),
		      msg->len);
	if (msgq_msg_copy_out(msg, &to))
		return -EFAULT;
	/* The out fields, one move each (see get_mmsgs()). */
	if (!user_access_begin(um, sizeof(*um)))
		return -EFAULT;
	unsafe_put_user(msg->len, &um->len, efault);
	unsafe_put_user((u32)msg->prio, &um->prio, efault);
	unsafe_put_user(pid, &um->pid, efault);
	unsafe_put_user(uid, &um->uid, efault);
	unsafe_put_user(msg->sent_ns, &um->sent_ns, efault);
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

/* Entry @k's payload (zeroes written), then its out fields (kept). */
static int fault_in_recv_batch(struct msgq_receiver *rcv, unsigned int k,
			       u32 len)
{
	struct recv_batch_ioctl *rb =
		container_of(rcv, struct recv_batch_ioctl, rcv);

	if (clear_user(u64_to_user_ptr(rb->mmsgs[k].buf), len) ||
	    fault_in_safe_writeable((const char __user *)&rb->umsgs[k],
				    sizeof(rb->umsgs[k])))
		return -EFAULT;
	return 0;
}

static long mailbox_recv_batch(struct file *file,
			       struct msgq_batch __user *uargs)
{
	struct recv_batch_ioctl rb = {
		.rcv.deliver = deliver_recv_batch,
		.rcv.fault_in = fault_in_recv_batch,
	};
	struct msgq_batch args;
	unsigned int k;
	struct msgq_wait w;
	u32 *caps;
	int ret;

	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	rb.mmsgs = batch_begin(file, &args, uargs, &w);
	if (IS_ERR(rb.mmsgs))
		return PTR_ERR(rb.mmsgs);
	rb.umsgs = u64_to_user_ptr(args.msgs);

	/* One allocation for the taken messages and the capacities. */
	ret = -ENOMEM;
	rb.rcv.taken = kvmalloc_array(args.count,
				      sizeof(*rb.rcv.taken) + sizeof(*caps),
				      GFP_KERNEL);
	if (!rb.rcv.taken)
		goto out_free_mmsgs;
	caps = (u32 *)(rb.rcv.taken + args.count);
	ret = -EINVAL;
	for (k = 0; k < args.count; k++) {
		if (rb.mmsgs[k].__reserved)
			goto out_free_taken;
		caps[k] = rb.mmsgs[k].len;
	}
	rb.rcv.caps = caps;

	ret = msgq_mailbox_recv_batch(file->private_data, &rb.rcv, args.count,
				      &w);
	if (ret == -EMSGSIZE &&
	    put_user(rb.rcv.len, &rb.umsgs[0].len))
		ret = -EFAULT;
out_free_taken:
	kvfree(rb.rcv.taken);
out_free_mmsgs:
	kvfree(rb.mmsgs);
	return ret;
}

long msgq_mailbox_ioctl(struct file *file, unsigned int cmd,
			unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case MSGQ_IOC_SEND:
		return mailbox_send(file, argp);
	case MSGQ_IOC_RECV:
		return mailbox_recv(file, argp);
	case MSGQ_IOC_GETATTR:
		return mailbox_getattr(file, argp);
	case MSGQ_IOC_SEND_BATCH:
		return mailbox_send_batch(file, argp);
	case MSGQ_IOC_RECV_BATCH:
		return mailbox_recv_batch(file, argp);
	case MSGQ_IOC_SEND_RECV:
		return mailbox_send_recv(file, argp);
	default:
		return -ENOTTY;
	}
}
