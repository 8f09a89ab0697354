// SPDX-License-Identifier: GPL-2.0
/*
 * msgq file descriptors carried by a message: SCM_RIGHTS for mailboxes.
 *
 * Send: the descriptors are looked up (fget()) once, before anything is
 * queued; a message then holds a reference to each open file in one
 * struct msgq_fds behind msg->fds, and drops them when it is retired, on
 * every path that ends a message (receive, withdrawal of a synchronous
 * send, the owner's death, the mailbox's end): msgq_msg_retire().
 *
 * Cycles: a file queued in a mailbox it keeps alive would never be freed,
 * and msgq has no garbage collector (AF_UNIX has one for its own sockets;
 * io_uring refuses to register its own ring). So the files that can keep a
 * mailbox alive are refused with EBADF: mailbox handles, /dev/msgq handles
 * (they hold the IPC namespace that holds the names), AF_UNIX sockets (a
 * msgq handle in flight in one would close the cycle through the socket)
 * and io_uring instances (registered files). An io_uring file is known by
 * its anonymous inode's name, "[io_uring]", as io_is_uring_fops() is not
 * exported to modules.
 *
 * In flight: a file in a message is open while its sender may have closed
 * every descriptor of it, so the sender's RLIMIT_NOFILE no longer bounds
 * it. As AF_UNIX counts a user's files in flight (unix_inflight) and
 * refuses more than RLIMIT_NOFILE with ETOOMANYREFS, msgq counts the files
 * each user (the sender's real uid) has in messages, in @inflight, and
 * refuses a send that would take them past the sender's RLIMIT_NOFILE,
 * unless it has CAP_SYS_RESOURCE or CAP_SYS_ADMIN. The count goes down
 * when the message is retired, which may be under a mailbox lock: the
 * table has a spinlock, and a new user's entry is allocated before it.
 *
 * Receive: installing may sleep (the descriptor table grows) and may fail
 * (EMFILE), and a receive must not lose the message when it fails. So the
 * receive reserves descriptor numbers (get_unused_fd_flags()) before it
 * takes a message, in the deliver callback. That runs either with page
 * faults allowed, and then unlocked (struct msgq_receiver says so): it may
 * sleep, and reserves at once; or with page faults disabled (under the
 * mailbox lock, or holding a message its sender waits for): it then gives
 * the message back as a fault does, and the fault_in callback reserves,
 * holding no message, before the receive starts over. A failed
 * reservation ends the receive with the message first in line. Once the
 * message is taken, the reserved numbers are released and receive_fd()
 * installs the files: the only
 * exported way through security_file_receive() (the LSM hook AF_UNIX and
 * binder call) and __receive_sock(). It takes its own reference, so a
 * message keeps its files for the next receiver of the same message. A
 * descriptor that receive_fd() still fails to install (the LSM refuses the
 * file, or another thread of the receiver took the room freed a moment
 * before) is reported as -1 with MSGQ_FD_CTRUNC, as AF_UNIX reports a
 * failed install with MSG_CTRUNC.
 */

#include <linux/cred.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/minmax.h>
#include <linux/net.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <net/sock.h>

#include "dev.h"
#include "fds.h"
#include "handle.h"
#include "message.h"

/**
 * struct inflight - one user's files in messages
 * @node:  in @inflight, under @inflight_lock
 * @uid:   the user (a sender's real uid)
 * @files: files in messages, under @inflight_lock; the entry goes at 0
 */
struct inflight {
	struct hlist_node node;
	kuid_t uid;
	unsigned long files;
};

static DEFINE_HASHTABLE(inflight, 6);
static DEFINE_SPINLOCK(inflight_lock);	/* guards @inflight and its entries */

static struct inflight *inflight_find(kuid_t uid)
{
	struct inflight *in;

	lockdep_assert_held(&inflight_lock);
	hash_for_each_possible(inflight, in, node, __kuid_val(uid))
		if (uid_eq(in->uid, uid))
			return in;
	return NULL;
}

/* Count @n more files in flight for the caller: 0, -ETOOMANYREFS, -ENOMEM. */
static int inflight_charge(kuid_t uid, unsigned int n)
{
	struct inflight *new, *in;
	unsigned long limit = rlimit(RLIMIT_NOFILE);
	int err = 0;

	new = kmalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	spin_lock(&inflight_lock);
	in = inflight_find(uid);
	if (!in) {
		swap(in, new);
		in->uid = uid;
		in->files = 0;
		hash_add(inflight, &in->node, __kuid_val(uid));
	}
	if (in->files + n > limit && !capable(CAP_SYS_RESOURCE) &&
	    !capable(CAP_SYS_ADMIN))
		err = -ETOOMANYREFS;
	else
		in->files += n;
	if (!in->files) {
		hash_del(&in->node);
		swap(in, new);
	}
	spin_unlock(&inflight_lock);
	kfree(new);
	return err;
}

/* @n files of @uid's are no longer in flight; any context. */
static void inflight_uncharge(kuid_t uid, unsigned int n)
{
	struct inflight *in;

	spin_lock(&inflight_lock);
	in = inflight_find(uid);
	if (!WARN_ON_ONCE(!in || in->files < n)) {
		in->files -= n;
		if (!in->files)
			hash_del(&in->node);
		else
			in = NULL;
	} else {
		in = NULL;
	}
	spin_unlock(&inflight_lock);
	kfree(in);
}

/* Every file is back, at module exit. */
void msgq_fds_exit(void)
{
	WARN_ON_ONCE(!hash_empty(inflight));
}

/* receive_fd() gained a user pointer for the number in 6.7; Kbuild tells. */
#ifdef MSGQ_RECEIVE_FD_UFD
#define install_fd(file, o_flags)	receive_fd(file, NULL, o_flags)
#else
#define install_fd(file, o_flags)	receive_fd(file, o_flags)
#endif

static bool is_io_uring(const struct file *file)
{
	return file_inode(file)->i_sb->s_magic == ANON_INODE_FS_MAGIC &&
	       !strcmp(file->f_path.dentry->d_name.name, "[io_uring]");
}

/* May @file travel in a message? See "Cycles" above. */
static bool can_carry(struct file *file)
{
	struct socket *sock;

	if (file->f_op == &msgq_dev_fops || msgq_handle_is(file))
		return false;
	sock = sock_from_file(file);
	if (sock && sock->sk && sock->sk->sk_family == AF_UNIX)
		return false;
	return !is_io_uring(file);
}

void msgq_fds_put(struct msgq_fds *fds)
{
	unsigned int i;

	if (fds->charged)
		inflight_uncharge(fds->uid, fds->count);
	for (i = 0; i < fds->count; i++)
		fput(fds->files[i]);
	kfree(fds);
}

/**
 * msgq_fds_get - the files of @n descriptors, for a message to carry
 * @ufds: the descriptors' numbers in user memory
 * @n:    how many, 1..MSGQ_FDS_MAX
 *
 * Returns them referenced, or ERR_PTR(-EFAULT, -ENOMEM, -EBADF for a
 * descriptor that is not open or may not be carried, or -ETOOMANYREFS past
 * the caller's files in flight: see "In flight" above).
 */
struct msgq_fds *msgq_fds_get(const int __user *ufds, u32 n)
{
	int nums[MSGQ_FDS_MAX];
	struct msgq_fds *fds;
	struct file *file;
	int err;

	if (copy_from_user(nums, ufds, n * sizeof(*nums)))
		return ERR_PTR(-EFAULT);
	fds = kmalloc(struct_size(fds, files, n), GFP_KERNEL_ACCOUNT);
	if (!fds)
		return ERR_PTR(-ENOMEM);
	fds->uid = current_uid();
	fds->charged = false;
	for (fds->count = 0; fds->count < n; fds->count++) {
		/* A negative number is a huge unsigned one: not open. */
		file = fget(nums[fds->count]);
		if (!file) {
			err = -EBADF;
			goto err_put;
		}
		if (!can_carry(file)) {
			fput(file);
			err = -EBADF;
			goto err_put;
		}
		fds->files[fds->count] = file;
	}
	err = inflight_charge(fds->uid, fds->count);
	if (err)
		goto err_put;
	fds->charged = true;
	return fds;

err_put:
	msgq_fds_put(fds);
	return ERR_PTR(err);
}

/**
 * msgq_fds_rcv_init - a receive with room for @cap descriptors at @ufds
 * @r:       the receive's state
 * @ufds:    where the numbers go
 * @cap:     entries at @ufds; more than MSGQ_FDS_MAX are never used
 * @cloexec: the new descriptors get FD_CLOEXEC
 */
void msgq_fds_rcv_init(struct msgq_fds_rcv *r, int __user *ufds, u32 cap,
		       bool cloexec)
{
	r->ufds = ufds;
	r->cap = min_t(u32, cap, MSGQ_FDS_MAX);
	r->o_flags = cloexec ? O_CLOEXEC : 0;
	r->need = 0;
	r->reserved = 0;
	r->held = 0;
}

/* Reserve numbers up to r->need, holding no message: it may sleep. */
int msgq_fds_rcv_reserve(struct msgq_fds_rcv *r)
{
	int fd;

	while (r->reserved < r->need) {
		fd = get_unused_fd_flags(r->o_flags);
		if (fd < 0)
			return fd;
		r->fd[r->reserved++] = fd;
	}
	return 0;
}

/**
 * msgq_fds_rcv_prepare - make room for the descriptors of @msg
 * @r:     the receive's state
 * @msg:   the message about to be delivered
 * @want:  out: how many of its descriptors this receive installs
 * @trunc: out: it carries more than that
 *
 * Called by a deliver callback before it copies anything: 0, or -EFAULT
 * if numbers must be reserved and the caller may not sleep (page faults
 * disabled: under the mailbox lock, or holding a message a sender waits
 * for; the fault_in callback then reserves), or the reservation's error.
 */
int msgq_fds_rcv_prepare(struct msgq_fds_rcv *r, const struct msgq_msg *msg,
			 u32 *want, bool *trunc)
{
	const struct msgq_fds *fds = msgq_msg_fds(msg);
	u32 carried = fds ? fds->count : 0;

	*want = min(carried, r->cap);
	*trunc = carried > *want;
	r->need = *want;
	if (r->reserved >= *want)
		return 0;
	if (pagefault_disabled())
		return -EFAULT;
	return msgq_fds_rcv_reserve(r);
}

/* Write the @want reserved numbers to user memory: 0 or -EFAULT. */
int msgq_fds_rcv_write(struct msgq_fds_rcv *r, u32 want)
{
	if (!want)
		return 0;
	return copy_to_user(r->ufds, r->fd, want * sizeof(*r->fd)) ?
	       -EFAULT : 0;
}

/* Delivered: keep references to @want files of @msg to install. */
void msgq_fds_rcv_hold(struct msgq_fds_rcv *r, const struct msgq_msg *msg,
		       u32 want)
{
	const struct msgq_fds *fds = msgq_msg_fds(msg);
	u32 i;

	for (i = 0; i < want; i++)
		r->files[i] = get_file(fds->files[i]);
	r->held = want;
}

/**
 * msgq_fds_rcv_finish - end of a receive: install what it holds
 * @r: the receive's state
 *
 * Releases the reserved numbers, installs the files held (if the receive
 * delivered a message) and writes their numbers, -1 for one that could not
 * be installed. Returns how many could not, or -EFAULT if the numbers
 * could not be written (the descriptors are installed all the same).
 */
int msgq_fds_rcv_finish(struct msgq_fds_rcv *r)
{
	u32 i, lost = 0;
	int fd;

	/* The reservation proved the room: receive_fd() takes it now. */
	for (i = 0; i < r->reserved; i++)
		put_unused_fd(r->fd[i]);
	r->reserved = 0;
	if (!r->held)
		return 0;
	for (i = 0; i < r->held; i++) {
		fd = install_fd(r->files[i], r->o_flags);
		fput(r->files[i]);
		if (fd < 0)
			lost++;
		r->fd[i] = fd < 0 ? -1 : fd;
	}
	if (copy_to_user(r->ufds, r->fd, r->held * sizeof(*r->fd)))
		return -EFAULT;
	return lost;
}
