// SPDX-License-Identifier: GPL-2.0
/*
 * msgq /dev/msgq: a namespace handle. Open binds it to the opener's IPC
 * namespace (like a mount of the mqueue filesystem); its ioctls create,
 * open and unlink names there, and return mailbox handles (handle.c).
 * The UAPI structs of those three ioctls are decoded here and only here.
 */

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/ipc_namespace.h>
#include <linux/seq_file.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "dev.h"
#include "handle.h"
#include "registry.h"

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

/* What a handle opened with MSGQ_O_* @flags may do: MAY_READ, MAY_WRITE. */
static int may_from_flags(u32 flags)
{
	return (flags & MSGQ_O_RECV ? MAY_READ : 0) |
	       (flags & MSGQ_O_SEND ? MAY_WRITE : 0);
}

static long dev_create(struct file *file, struct msgq_create __user *uargs)
{
	char name[MSGQ_NAME_MAX + 1];
	struct msgq_mailbox_spec spec;
	struct msgq_create args;
	struct msgq_mailbox *mb;
	bool created;
	int err, fd;

	if (copy_from_user(&args, uargs, sizeof(args)))
		return -EFAULT;
	if ((args.flags & ~MSGQ_CREATE_FLAGS) || !(args.flags & MSGQ_O_RDWR) ||
	    msgq_any_set(args.__reserved, sizeof(args.__reserved)) ||
	    (args.mode & ~0777))
		return -EINVAL;
	/* The tunable limits apply only if a mailbox is created: registry. */
	if (args.max_msgs > MSGQ_MAX_MSGS_LIMIT || !args.max_msgsize ||
	    args.max_msgsize > MSGQ_MAX_MSGSIZE_LIMIT)
		return -EINVAL;
	/* A broadcast has no one receiver to meet: no rendezvous. */
	if ((args.flags & MSGQ_O_FANOUT_DROP && !(args.flags & MSGQ_O_FANOUT)) ||
	    (args.flags & MSGQ_O_FANOUT && !args.max_msgs))
		return -EINVAL;
	err = copy_name(name, args.name);
	if (err)
		return err;

	spec = (struct msgq_mailbox_spec) {
		.name = name,
		.max_msgs = args.max_msgs,
		.max_msgsize = args.max_msgsize,
		.mode = args.mode & ~current_umask(),
		.may = may_from_flags(args.flags),
		/* An owned mailbox is always a new one. */
		.excl = args.flags & (MSGQ_O_EXCL | MSGQ_O_OWNED),
		.owned = args.flags & MSGQ_O_OWNED,
		.fanout = !(args.flags & MSGQ_O_FANOUT) ? MSGQ_FANOUT_NONE :
			  args.flags & MSGQ_O_FANOUT_DROP ? MSGQ_FANOUT_DROP :
			  MSGQ_FANOUT_BLOCK,
	};
	mb = msgq_registry_create(file->private_data, &spec, &created);
	if (IS_ERR(mb))
		return PTR_ERR(mb);
	fd = msgq_handle_install(mb, args.flags, spec.owned);
	if (fd < 0) {
		/*
		 * A failed create leaves no name behind. (For a moment the name
		 * was visible; whoever opened it then keeps a working, unnamed
		 * mailbox, as after an unlink, or a dead one if it was owned.)
		 */
		if (created)
			msgq_registry_remove(mb);
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
	    args.__pad ||
	    msgq_any_set(args.__reserved, sizeof(args.__reserved)))
		return -EINVAL;
	err = copy_name(name, args.name);
	if (err)
		return err;

	mb = msgq_registry_open(file->private_data, name,
				may_from_flags(args.flags));
	if (IS_ERR(mb))
		return PTR_ERR(mb);
	fd = msgq_handle_install(mb, args.flags, false);
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

static long msgq_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
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

/* /proc/PID/fdinfo/FD: the IPC namespace whose names this handle reaches. */
static void msgq_dev_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct ipc_namespace *ipc_ns = file->private_data;

	seq_printf(m, "msgq-ipc-ns:\t%u\n", ipc_ns->ns.inum);
}

const struct file_operations msgq_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= msgq_dev_open,
	.release	= msgq_dev_release,
	.unlocked_ioctl	= msgq_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= msgq_dev_show_fdinfo,
};
