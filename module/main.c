// SPDX-License-Identifier: GPL-2.0
/*
 * msgq: module init and exit.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>

static const struct file_operations msgq_dev_fops = {
	.owner = THIS_MODULE,
};

static struct miscdevice msgq_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "msgq",
	.fops = &msgq_dev_fops,
	.mode = 0666,
};

static int __init msgq_init(void)
{
	return misc_register(&msgq_miscdev);
}

static void __exit msgq_exit(void)
{
	misc_deregister(&msgq_miscdev);
}

module_init(msgq_init);
module_exit(msgq_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Named kernel mailboxes with priorities and poll");
