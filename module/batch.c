// SPDX-License-Identifier: GPL-2.0
/*
 * msgq batch ioctls: MSGQ_IOC_SEND_BATCH and MSGQ_IOC_RECV_BATCH on a
 * mailbox handle, up to MSGQ_BATCH_MAX messages in one call. The array of
 * struct msgq_mmsg is read and written here, field by field: a field is one
 * move, where a bulk copy_from_user() is a byte-wise "rep movsb" on CPUs
 * with ERMS, which an emulator runs byte by byte.
 */

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "batch.h"
#include "handle.h"

/* Check a batch's header and how it may block; the array's length. */
static int batch_begin(struct file *file, struct msgq_batch *args,
		       struct msgq_batch __user *uargs,
		       struct msgq_blocking *b)
{
	if (copy_from_user(args, uargs, sizeof(*args)))
		return -EFAULT;
	if ((args->flags & ~MSGQ_BATCH_FLAGS) || args->__pad ||
	    msgq_any_set(args->__reserved, sizeof(args->__reserved)) ||
	    !args->count || args->count > MSGQ_BATCH_MAX)
		return -EINVAL;
	return msgq_blocking_from_args(b, file, args->flags, args->clockid,
				       &args->timeout);
}

/*
 * Read a send batch's entries, all of them (a fault anywhere fails the
 * batch: -EFAULT, 0 returned). Those that may go lead up to the first bad
 * one (*err says why), or the one past what the mailbox could hold, or
 * 1 MiB if more, so that a blocked batch pins no more memory than a full
 * mailbox or one largest message would. Returns how many may go.
 */
static unsigned int get_send_entries(struct msgq_mailbox *mb,
				     struct msgq_send_entry *e,
				     const struct msgq_mmsg __user *um,
				     unsigned int count, int *err)
{
	u64 bytes = 0, max_bytes, buf, sent_ns, reserved;
	unsigned int k, n = count;
	u32 pid, uid;

	max_bytes = max_t(u64, (u64)mb->max_msgs * mb->max_msgsize,
			  MSGQ_MAX_MSGSIZE_LIMIT);
	*err = -EFAULT;
	if (!user_access_begin(um, array_size(count, sizeof(*um))))
		return 0;
	for (k = 0; k < count; k++) {
		unsafe_get_user(buf, &um[k].buf, efault);
		unsafe_get_user(e[k].len, &um[k].len, efault);
		unsafe_get_user(e[k].prio, &um[k].prio, efault);
		unsafe_get_user(pid, &um[k].pid, efault);
		unsafe_get_user(uid, &um[k].uid, efault);
		unsafe_get_user(sent_ns, &um[k].sent_ns, efault);
		unsafe_get_user(reserved, &um[k].__reserved, efault);
		e[k].buf = u64_to_user_ptr(buf);
		if (k >= n)
			continue;
		if (e[k].prio >= MSGQ_PRIO_MAX || pid || uid || sent_ns ||
		    reserved) {
			*err = -EINVAL;
			n = k;
		} else if (e[k].len > mb->max_msgsize) {
			*err = -EMSGSIZE;
			n = k;
		} else {
			bytes += e[k].len;
			if (k && bytes > max_bytes)
				n = k;
		}
	}
	user_access_end();
	return n;
efault:
	user_access_end();
	return 0;
}

long msgq_handle_send_batch(struct file *file, struct msgq_batch __user *uargs)
{
	struct msgq_mailbox *mb = file->private_data;
	struct msgq_send_entry *e;
	struct msgq_batch args;
	struct msgq_blocking b;
	unsigned int n;
	int err, ret;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (!mb->max_msgs)
		return -EINVAL;
	err = batch_begin(file, &args, uargs, &b);
	if (err)
		return err;
	e = kvmalloc_array(args.count, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	n = get_send_entries(mb, e, u64_to_user_ptr(args.msgs), args.count,
			     &err);
	ret = n ? msgq_mailbox_send_batch(mb, e, n, &b) : err;
	kvfree(e);
	return ret;
}

/*
 * A batch receive: entry k's payload goes to bufs[k] (caps[k] bytes of
 * room), then its out fields into the caller's array.
 */
struct recv_batch {
	struct msgq_receiver rcv;
	void __user **bufs;
	struct msgq_mmsg __user *umsgs;
};

static struct recv_batch *to_recv_batch(struct msgq_receiver *rcv)
{
	return container_of(rcv, struct recv_batch, rcv);
}

static int deliver_recv_batch(struct msgq_receiver *rcv, unsigned int k,
			      const struct msgq_msg *msg)
{
	struct recv_batch *rb = to_recv_batch(rcv);
	struct msgq_mmsg __user *um = &rb->umsgs[k];
	pid_t pid = msgq_msg_sender_vnr(msg);
	uid_t uid = msgq_msg_uid(msg);
	struct iov_iter to;

	iov_iter_ubuf(&to, ITER_DEST, rb->bufs[k], msg->len);
	if (msgq_msg_copy_out(msg, &to))
		return -EFAULT;
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
	struct recv_batch *rb = to_recv_batch(rcv);

	if (clear_user(rb->bufs[k], len) ||
	    fault_in_safe_writeable((const char __user *)&rb->umsgs[k],
				    sizeof(rb->umsgs[k])))
		return -EFAULT;
	return 0;
}

/* Read a receive batch's buffers and capacities. */
static int get_recv_entries(struct recv_batch *rb, u32 *caps,
			    unsigned int count)
{
	const struct msgq_mmsg __user *um = rb->umsgs;
	u64 buf, reserved;
	unsigned int k;
	int err = -EINVAL;

	if (!user_access_begin(um, array_size(count, sizeof(*um))))
		return -EFAULT;
	for (k = 0; k < count; k++) {
		unsafe_get_user(buf, &um[k].buf, efault);
		unsafe_get_user(caps[k], &um[k].len, efault);
		unsafe_get_user(reserved, &um[k].__reserved, efault);
		if (reserved)
			goto out;
		rb->bufs[k] = u64_to_user_ptr(buf);
	}
	err = 0;
out:
	user_access_end();
	return err;
efault:
	user_access_end();
	return -EFAULT;
}

long msgq_handle_recv_batch(struct file *file, struct msgq_batch __user *uargs)
{
	struct recv_batch rb = {
		.rcv.deliver = deliver_recv_batch,
		.rcv.fault_in = fault_in_recv_batch,
	};
	struct msgq_batch args;
	struct msgq_blocking b;
	void *scratch;
	u32 *caps;
	int ret;

	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	ret = batch_begin(file, &args, uargs, &b);
	if (ret)
		return ret;
	rb.umsgs = u64_to_user_ptr(args.msgs);

	/* One allocation for the taken messages, buffers and capacities. */
	scratch = kvmalloc_array(args.count, sizeof(*rb.rcv.taken) +
				 sizeof(*rb.bufs) + sizeof(*caps), GFP_KERNEL);
	if (!scratch)
		return -ENOMEM;
	rb.rcv.taken = scratch;
	rb.bufs = (void __user **)(rb.rcv.taken + args.count);
	caps = (u32 *)(rb.bufs + args.count);
	rb.rcv.caps = caps;

	ret = get_recv_entries(&rb, caps, args.count);
	if (!ret)
		ret = msgq_mailbox_recv(file->private_data, &rb.rcv, args.count,
					false, &b);
	if (ret == -EMSGSIZE && put_user(rb.rcv.len, &rb.umsgs[0].len))
		ret = -EFAULT;
	kvfree(scratch);
	return ret;
}
