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

int msgq_deliver_to_buffer(struct msgq_receiver *rcv, unsigned int k,
			   const struct msgq_msg *msg)
{
	struct msgq_buffer_receiver *r =
		container_of(rcv, struct msgq_buffer_receiver, rcv);

	return msgq_msg_copy_out(msg, r->buf);
}

/* read(2): receive one whole message at any priority. */
static ssize_t msgq_mailbox_read(struct file *file, char __user *buf,
				 size_t count, loff_t *ppos)
{
	struct msgq_wait w = {
		.nonblock = file->f_flags & O_NONBLOCK,
		.restartable = true,
	};
	struct msgq_buffer_receiver r;
	int err;

	msgq_buffer_receiver_init(&r, buf, count);
	err = msgq_mailbox_recv(file->private_data, &r.rcv, false, &w);
	if (err)
		return err;
	return r.rcv.len;
}

/* write(2): send one whole message at priority 0. */
static ssize_t msgq_mailbox_write(struct file *file, const char __user *buf,
				  size_t count, loff_t *ppos)
{
	struct msgq_mailbox *mb = file->private_data;
	struct msgq_wait w = {
		.nonblock = file->f_flags & O_NONBLOCK,
		.restartable = true,
	};
	int err;

	if (count > mb->max_msgsize)
		return -EMSGSIZE;
	err = msgq_mailbox_send(mb, buf, count, 0, false, &w);
	if (err)
		return err;
	return count;
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

static const struct file_operations msgq_mailbox_fops = {
	.owner		= THIS_MODULE,
	.read		= msgq_mailbox_read,
	.write		= msgq_mailbox_write,
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
	if (flags & MSGQ_O_OWNED) {
		spin_lock(&mb->lock);
		mb->owner = file;
		spin_unlock(&mb->lock);
	}
	fd_install(fd, file);
	return fd;
}
