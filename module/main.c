// SPDX-License-Identifier: GPL-2.0
/*
 * msgq: module init and exit, and the /dev/msgq misc device.
 *
 * Init brings the parts up in order and exit takes them down in exactly
 * the reverse order. Exit runs only once every file is closed (each file
 * pins the module), so by then only names still hold mailboxes.
 */

#include <linux/miscdevice.h>
#include <linux/module.h>

#include "dev.h"
#include "fds.h"
#include "procfs.h"
#include "registry.h"
#include "stats.h"

static struct miscdevice msgq_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "msgq",
	.fops	= &msgq_dev_fops,
	.mode	= 0666,
};

static int __init msgq_init(void)
{
	int err;

	err = msgq_stats_init();
	if (err)
		return err;
	err = msgq_procfs_init();
	if (err)
		goto err_stats;
	err = misc_register(&msgq_miscdev);
	if (err)
		goto err_procfs;
	return 0;

err_procfs:
	msgq_procfs_exit();
err_stats:
	msgq_stats_exit();
	return err;
}

static void __exit msgq_exit(void)
{
	misc_deregister(&msgq_miscdev);
	msgq_procfs_exit();
	msgq_registry_exit();
	msgq_fds_exit();
	msgq_stats_exit();
}

module_init(msgq_init);
module_exit(msgq_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Named kernel mailboxes with priorities, blocking and poll");
MODULE_VERSION(MSGQ_VERSION);
