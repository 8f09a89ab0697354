// SPDX-License-Identifier: GPL-2.0
/*
 * msgq files: /dev/msgq, and the mailbox handles its ioctls return.
 *
 * Why a new file per mailbox, rather than binding the /dev/msgq file to one
 * mailbox (TUNSETIFF-style): each handle then has its own access mode
 * (FMODE_READ is the right to receive, FMODE_WRITE to send, so read(2) and
 * write(2) get EBADF from the VFS), its own O_NONBLOCK and FD_CLOEXEC, its
 * own place in an epoll set and its own O_ASYNC owner, and one process holds
 * as many as it likes without reopening the device. /dev/msgq itself stays
 * a namespace handle, like a mount of the mqueue filesystem.
 */

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/uio.h>

#include "internal.h"

static int msgq_dev_open(struct inode *inode, struct file *file)
{
	file->private_data = msgq_ipc_ns_get_current();
	return stream_open(inode, file);
}

static int msgq_dev_release(struct inode *inode, struct file *file)
{
	msgq_ipc_ns_put(file->private_data);
	return 0;
}

const struct file_operations msgq_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= msgq_dev_open,
	.release	= msgq_dev_release,
	.unlocked_ioctl	= msgq_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

int msgq_deliver_to_iter(struct msgq_receiver *rcv, unsigned int k,
			 const struct msgq_msg *msg)
{
	struct msgq_iter_receiver *r =
		container_of(rcv, struct msgq_iter_receiver, rcv);

	return msgq_msg_copy_out(msg, r->iter);
}

/*
 * Write zeroes where the message will go, on a copy of the iterator: the
 * fault is taken as a plain user-copy fault, which a signal interrupts
 * (fault_in_iov_iter_writeable() would wait killably, in state D).
 */
int msgq_fault_in_iter(struct msgq_receiver *rcv, unsigned int k, u32 len)
{
	struct msgq_iter_receiver *r =
		container_of(rcv, struct msgq_iter_receiver, rcv);
	struct iov_iter probe = *r->iter;

	return iov_iter_zero(len, &probe) == len ? 0 : -EFAULT;
}

/* How a read or write may wait: IOCB_NOWAIT (RWF_NOWAIT, io_uring) never. */
static struct msgq_wait iocb_wait(const struct kiocb *iocb)
{
	return (struct msgq_wait) {
		.nonblock = (iocb->ki_filp->f_flags & O_NONBLOCK) ||
			    (iocb->ki_flags & IOCB_NOWAIT),
		.restartable = true,
	};
}

/*
 * read(2), readv(2), preadv2(2) without an offset: receive one whole
 * message at any priority, spread over the iovecs in order.
 */
static ssize_t msgq_handle_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct msgq_wait w = iocb_wait(iocb);
	struct msgq_iter_receiver r;
	int err;

	msgq_iter_receiver_init(&r, to);
	err = msgq_mailbox_recv(iocb->ki_filp->private_data, &r.rcv, false,
				&w);
	if (err)
		return err;
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
	struct msgq_wait w = iocb_wait(iocb);
	size_t len = iov_iter_count(from);
	int err;

	if (len > mb->max_msgsize)
		return -EMSGSIZE;
	err = msgq_mailbox_send(mb, from, 0, false, &w);
	if (err)
		return err;
	return len;
}

static __poll_t msgq_mailbox_file_poll(struct file *file, poll_table *pt)
{
	return msgq_mailbox_poll(file->private_data, file, pt);
}

static int msgq_mailbox_fasync(int fd, struct file *file, int on)
{
	struct msgq_mailbox *mb = file->private_data;

	return fasync_helper(fd, file, on, &mb->fasync);
}

static int msgq_mailbox_release(struct inode *inode, struct file *file)
{
	struct msgq_mailbox *mb = file->private_data;

	if (msgq_mailbox_owned_by(mb, file)) {
		msgq_registry_forget(mb);
		msgq_mailbox_kill(mb);
	}
	msgq_mailbox_put(mb);
	return 0;
}

/*
 * No .splice_read or .splice_write: a pipe keeps no message boundaries, so
 * splice(2), tee(2), sendfile(2) and copy_file_range(2) fail with EINVAL
 * (the VFS's answer for a file without them) rather than split or merge
 * messages. A handle is a stream (stream_open()): an offset is ESPIPE.
 */
static const struct file_operations msgq_mailbox_fops = {
	.owner		= THIS_MODULE,
	.read_iter	= msgq_handle_read_iter,
	.write_iter	= msgq_handle_write_iter,
	.poll		= msgq_mailbox_file_poll,
	.unlocked_ioctl	= msgq_mailbox_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.fasync		= msgq_mailbox_fasync,
	.release	= msgq_mailbox_release,
};

/* Is @file a mailbox handle (of this module)? */
bool msgq_is_handle(const struct file *file)
{
	return file->f_op == &msgq_mailbox_fops;
}

/**
 * msgq_handle_install - give the caller a handle on @mb
 * @mb:    the mailbox, with a reference that the handle takes over
 * @flags: MSGQ_O_* flags of the create or open
 *
 * Returns the new file descriptor, or an error and @mb's reference is still
 * the caller's.
 */
int msgq_handle_install(struct msgq_mailbox *mb, u32 flags)
{
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
	file = anon_inode_getfile("[msgq]", &msgq_mailbox_fops, mb, o_flags);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	/* A stream: no file position (ESPIPE for an offset, as before). */
	stream_open(file_inode(file), file);
	/* IOCB_NOWAIT is honoured: RWF_NOWAIT, and io_uring polls, not punts. */
	file->f_mode |= FMODE_NOWAIT;
	if (flags & MSGQ_O_OWNED) {
		spin_lock(&mb->lock);
		mb->owner = file;
		spin_unlock(&mb->lock);
	}
	fd_install(fd, file);
	return fd;
}
