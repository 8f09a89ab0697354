// SPDX-License-Identifier: GPL-2.0
/*
 * msgq registry: mailbox names, one table per IPC namespace, how many each
 * creator uid holds there (limits.c bounds both), and who may open or
 * unlink what.
 *
 * A namespace gets a table (struct msgq_ns) with its first name and loses it
 * with its last. The table pins its IPC namespace. A module cannot hook the
 * teardown of a namespace, but it does not need to: once the table holds the
 * only reference left, no task, mount or nsfs file can ever reach the
 * namespace again, and the reaper unlinks its names and lets it go. The
 * reaper runs before every create and every reap_interval_ms while any table
 * exists.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/ipc_namespace.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nsproxy.h>
#include <linux/proc_ns.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
#include <linux/workqueue.h>

#include "limits.h"
#include "registry.h"
#include "trace.h"

#define MSGQ_NS_HASH_BITS	7

/**
 * struct msgq_ns - the names of one IPC namespace
 * @node:   in msgq_namespaces
 * @ipc_ns: the namespace, pinned
 * @count:  names linked
 * @users:  names linked per creator uid: kuid -> count (msgq_count_get())
 * @names:  mailboxes by name
 *
 * Every field is protected by msgq_registry_lock.
 */
struct msgq_ns {
	struct list_head node;
	struct ipc_namespace *ipc_ns;
	u32 count;
	struct xarray users;
	DECLARE_HASHTABLE(names, MSGQ_NS_HASH_BITS);
};

/*
 * msgq_registry_lock protects msgq_namespaces, every struct msgq_ns, and the
 * ns and name_node fields of every mailbox. It nests outside mailbox->lock.
 */
static DEFINE_MUTEX(msgq_registry_lock);
static LIST_HEAD(msgq_namespaces);

#ifndef CONFIG_IPC_NS
#error "msgq keeps names per IPC namespace: it needs CONFIG_IPC_NS"
#endif

static void msgq_reap_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(msgq_reap_work, msgq_reap_fn);

static unsigned int reap_interval_ms = 1000;

/* A new interval takes effect at once; 0 reaps only before each create. */
static int reap_interval_set(const char *val, const struct kernel_param *kp)
{
	int err = param_set_uint(val, kp);

	/*
	 * Under the lock, against msgq_registry_exit(): it empties the list
	 * before it cancels the work, so no work is queued after that.
	 */
	mutex_lock(&msgq_registry_lock);
	if (!err && !list_empty(&msgq_namespaces))
		mod_delayed_work(system_wq, &msgq_reap_work, 0);
	mutex_unlock(&msgq_registry_lock);
	return err;
}

static const struct kernel_param_ops reap_interval_ops = {
	.set = reap_interval_set,
	.get = param_get_uint,
};
module_param_cb(reap_interval_ms, &reap_interval_ops, &reap_interval_ms, 0644);
MODULE_PARM_DESC(reap_interval_ms,
		 "How often the names of dead IPC namespaces are freed (ms)");

struct ipc_namespace *msgq_ipc_ns_get_current(void)
{
	return get_ipc_ns(current->nsproxy->ipc_ns);
}

/* put_ipc_ns() is not exported; the namespace's own operations are. */
void msgq_ipc_ns_put(struct ipc_namespace *ipc_ns)
{
	ipc_ns->ns.ops->put(&ipc_ns->ns);
}

static struct msgq_ns *ns_find(struct ipc_namespace *ipc_ns)
{
	struct msgq_ns *ns;

	lockdep_assert_held(&msgq_registry_lock);
	list_for_each_entry(ns, &msgq_namespaces, node)
		if (ns->ipc_ns == ipc_ns)
			return ns;
	return NULL;
}

static struct msgq_ns *ns_create(struct ipc_namespace *ipc_ns)
{
	struct msgq_ns *ns;

	lockdep_assert_held(&msgq_registry_lock);
	ns = kzalloc(sizeof(*ns), GFP_KERNEL_ACCOUNT);
	if (!ns)
		return NULL;
	ns->ipc_ns = get_ipc_ns(ipc_ns);
	xa_init(&ns->users);
	hash_init(ns->names);
	list_add(&ns->node, &msgq_namespaces);
	if (READ_ONCE(reap_interval_ms))
		mod_delayed_work(system_wq, &msgq_reap_work,
				 msecs_to_jiffies(READ_ONCE(reap_interval_ms)));
	return ns;
}

/* Destroy a table without names, so without per-user counts either. */
static void ns_destroy(struct msgq_ns *ns)
{
	lockdep_assert_held(&msgq_registry_lock);
	WARN_ON_ONCE(ns->count || !xa_empty(&ns->users));
	list_del(&ns->node);
	msgq_ipc_ns_put(ns->ipc_ns);
	kfree(ns);
}

static u32 name_hash(const char *name)
{
	return full_name_hash(NULL, name, strlen(name));
}

static struct msgq_mailbox *name_find(struct msgq_ns *ns, const char *name)
{
	struct msgq_mailbox *mb;

	lockdep_assert_held(&msgq_registry_lock);
	hash_for_each_possible(ns->names, mb, name_node, name_hash(name))
		if (!strcmp(mb->name, name))
			return mb;
	return NULL;
}

/* Names of @uid's mailboxes in @ns. */
static u32 user_names(struct msgq_ns *ns, kuid_t uid)
{
	lockdep_assert_held(&msgq_registry_lock);
	return msgq_count_get(&ns->users, __kuid_val(uid));
}

/*
 * Give @mb its name in @ns, the name holding the allocation's reference.
 * Fails (-ENOMEM) only on the first name of a uid in @ns.
 */
static int name_link(struct msgq_ns *ns, struct msgq_mailbox *mb)
{
	int err;

	lockdep_assert_held(&msgq_registry_lock);
	err = msgq_count_set(&ns->users, __kuid_val(mb->uid),
			     user_names(ns, mb->uid) + 1, GFP_KERNEL_ACCOUNT);
	if (err)
		return err;
	hash_add(ns->names, &mb->name_node, name_hash(mb->name));
	ns->count++;
	mb->ns = ns;
	return 0;
}

/*
 * Drop @mb's name and the name's reference. Returns true when that was the
 * last name of its table, which the caller then destroys.
 */
static bool name_unlink(struct msgq_mailbox *mb)
{
	struct msgq_ns *ns = mb->ns;

	lockdep_assert_held(&msgq_registry_lock);
	hash_del(&mb->name_node);
	msgq_count_set(&ns->users, __kuid_val(mb->uid),
		       user_names(ns, mb->uid) - 1, GFP_KERNEL);
	WRITE_ONCE(mb->ns, NULL);
	msgq_mailbox_put(mb);
	return !--ns->count;
}

/* Unlink every name of @ns, then destroy it. */
static void ns_clear(struct msgq_ns *ns)
{
	struct msgq_mailbox *mb;
	struct hlist_node *tmp;
	int bkt;

	lockdep_assert_held(&msgq_registry_lock);
	hash_for_each_safe(ns->names, bkt, tmp, mb, name_node)
		name_unlink(mb);
	ns_destroy(ns);
}

/* Free the tables of namespaces that nothing but their table can reach. */
static void reap_locked(void)
{
	struct msgq_ns *ns, *next;

	lockdep_assert_held(&msgq_registry_lock);
	list_for_each_entry_safe(ns, next, &msgq_namespaces, node)
		if (refcount_read(&ns->ipc_ns->ns.count) == 1)
			ns_clear(ns);
}

static void msgq_reap_fn(struct work_struct *work)
{
	mutex_lock(&msgq_registry_lock);
	reap_locked();
	if (!list_empty(&msgq_namespaces) && READ_ONCE(reap_interval_ms))
		mod_delayed_work(system_wq, &msgq_reap_work,
				 msecs_to_jiffies(READ_ONCE(reap_interval_ms)));
	mutex_unlock(&msgq_registry_lock);
}

/*
 * Receiving (MAY_READ) needs read permission, sending (MAY_WRITE) write
 * permission, as with mq_open(3); CAP_IPC_OWNER in the namespace's user
 * namespace overrides.
 */
static int mailbox_permission(struct ipc_namespace *ipc_ns,
			      struct msgq_mailbox *mb, int may)
{
	umode_t granted = mb->mode;
	umode_t need = 0;

	if (may & MAY_READ)
		need |= 04;
	if (may & MAY_WRITE)
		need |= 02;

	if (uid_eq(current_fsuid(), mb->uid))
		granted >>= 6;
	else if (in_group_p(mb->gid))
		granted >>= 3;
	if (!(need & ~granted & 07))
		return 0;
	if (ns_capable(ipc_ns->user_ns, CAP_IPC_OWNER))
		return 0;
	return -EACCES;
}

/* Only the mailbox's owner uid, or CAP_IPC_OWNER, may remove its name. */
static int unlink_permission(struct ipc_namespace *ipc_ns,
			     struct msgq_mailbox *mb, int may)
{
	if (uid_eq(current_fsuid(), mb->uid) ||
	    ns_capable(ipc_ns->user_ns, CAP_IPC_OWNER))
		return 0;
	return -EACCES;
}

/**
 * msgq_registry_create - create a named mailbox, or open an existing one
 * @ipc_ns:  the namespace of the names
 * @spec:    the mailbox, and what the caller's handle will do with it
 * @created: out: true if the mailbox is new, false if it existed
 *
 * Returns the mailbox with a reference for the caller's handle.
 */
struct msgq_mailbox *msgq_registry_create(struct ipc_namespace *ipc_ns,
					  const struct msgq_mailbox_spec *spec,
					  bool *created)
{
	u32 max_msgs = spec->max_msgs, max_msgsize = spec->max_msgsize;
	const char *name = spec->name;
	struct msgq_mailbox *mb, *found;
	struct msgq_ns *ns;
	int err;

	mb = msgq_mailbox_alloc(name, max_msgs, max_msgsize, spec->mode,
				spec->owned, spec->fanout);
	if (!mb)
		return ERR_PTR(-ENOMEM);
	*created = false;

	mutex_lock(&msgq_registry_lock);
	reap_locked();
	ns = ns_find(ipc_ns);
	found = ns ? name_find(ns, name) : NULL;
	if (found) {
		err = -EEXIST;
		if (spec->excl || spec->owned)
			goto err_unlock;
		err = mailbox_permission(ipc_ns, found, spec->may);
		if (err)
			goto err_unlock;
		kref_get(&found->ref);
		trace_msgq_open(found);
		mutex_unlock(&msgq_registry_lock);
		msgq_mailbox_put(mb);
		return found;
	}

	err = -EINVAL;
	if (max_msgs > msgq_limit_max_msgs() ||
	    max_msgsize > msgq_limit_max_msgsize())
		goto err_unlock;
	err = msgq_limit_names(ipc_ns, ns ? ns->count : 0,
			       ns ? user_names(ns, mb->uid) : 0);
	if (err)
		goto err_unlock;
	/* Returned by the mailbox's release, on every path from here. */
	err = msgq_quota_charge(mb);
	if (err)
		goto err_unlock;
	err = -ENOMEM;
	if (!ns) {
		ns = ns_create(ipc_ns);
		if (!ns)
			goto err_unlock;
	}
	err = name_link(ns, mb);
	if (err)
		goto err_destroy_empty_ns;
	/* The allocation's reference is the name's; this one is the handle's. */
	kref_get(&mb->ref);
	trace_msgq_create(mb);
	mutex_unlock(&msgq_registry_lock);
	*created = true;
	return mb;

err_destroy_empty_ns:
	if (!ns->count)
		ns_destroy(ns);
err_unlock:
	mutex_unlock(&msgq_registry_lock);
	msgq_mailbox_put(mb);
	return ERR_PTR(err);
}

/*
 * The mailbox named @name in @ipc_ns, and its table in *@ns, or NULL;
 * the @check of the caller's permission on it passed, else an error.
 */
static struct msgq_mailbox *
name_lookup(struct ipc_namespace *ipc_ns, const char *name,
	    int (*check)(struct ipc_namespace *, struct msgq_mailbox *, int),
	    int may, struct msgq_ns **ns)
{
	struct msgq_mailbox *mb;
	int err;

	lockdep_assert_held(&msgq_registry_lock);
	*ns = ns_find(ipc_ns);
	mb = *ns ? name_find(*ns, name) : NULL;
	if (!mb)
		return ERR_PTR(-ENOENT);
	err = check(ipc_ns, mb, may);
	return err ? ERR_PTR(err) : mb;
}

/* Open an existing mailbox; returns it with a reference for the handle. */
struct msgq_mailbox *msgq_registry_open(struct ipc_namespace *ipc_ns,
					const char *name, int may)
{
	struct msgq_mailbox *mb;
	struct msgq_ns *ns;

	mutex_lock(&msgq_registry_lock);
	mb = name_lookup(ipc_ns, name, mailbox_permission, may, &ns);
	if (!IS_ERR(mb)) {
		kref_get(&mb->ref);
		trace_msgq_open(mb);
	}
	mutex_unlock(&msgq_registry_lock);
	return mb;
}

int msgq_registry_unlink(struct ipc_namespace *ipc_ns, const char *name)
{
	struct msgq_mailbox *mb;
	struct msgq_ns *ns;

	mutex_lock(&msgq_registry_lock);
	mb = name_lookup(ipc_ns, name, unlink_permission, 0, &ns);
	if (!IS_ERR(mb)) {
		trace_msgq_unlink(mb);
		if (name_unlink(mb))
			ns_destroy(ns);
	}
	mutex_unlock(&msgq_registry_lock);
	return PTR_ERR_OR_ZERO(mb);
}

/**
 * msgq_registry_remove - take @mb's name away, and an owned mailbox with it
 * @mb: an owned mailbox whose owner is gone, or a mailbox whose create
 *      failed after its name was made
 *
 * The one teardown of both: the name goes (if it is still there), then an
 * owned mailbox dies (msgq_mailbox_kill()); handles opened meanwhile on a
 * mailbox that is not owned keep a working, unnamed one.
 */
void msgq_registry_remove(struct msgq_mailbox *mb)
{
	struct msgq_ns *ns;

	mutex_lock(&msgq_registry_lock);
	ns = mb->ns;
	if (ns && name_unlink(mb))
		ns_destroy(ns);
	mutex_unlock(&msgq_registry_lock);
	if (mb->owned)
		msgq_mailbox_kill(mb);
}

/* The inode number of @mb's IPC namespace (as /proc/PID/ns/ipc), 0 if unlinked. */
unsigned int msgq_registry_ns_inum(struct msgq_mailbox *mb)
{
	unsigned int inum = 0;
	struct msgq_ns *ns;

	mutex_lock(&msgq_registry_lock);
	ns = mb->ns;
	if (ns)
		inum = ns->ipc_ns->ns.inum;
	mutex_unlock(&msgq_registry_lock);
	return inum;
}

bool msgq_registry_linked(struct msgq_mailbox *mb)
{
	return READ_ONCE(mb->ns);
}

/* Call @fn on every mailbox named in @ipc_ns, under the registry lock. */
void msgq_registry_for_each(struct ipc_namespace *ipc_ns,
			    void (*fn)(struct msgq_mailbox *mb, void *arg),
			    void *arg)
{
	struct msgq_mailbox *mb;
	struct msgq_ns *ns;
	int bkt;

	mutex_lock(&msgq_registry_lock);
	ns = ns_find(ipc_ns);
	if (ns)
		hash_for_each(ns->names, bkt, mb, name_node)
			fn(mb, arg);
	mutex_unlock(&msgq_registry_lock);
}

/* Names in @ipc_ns, and of those, names of @uid's mailboxes. */
void msgq_registry_usage(struct ipc_namespace *ipc_ns, kuid_t uid,
			 u32 *names, u32 *uid_names)
{
	struct msgq_ns *ns;

	mutex_lock(&msgq_registry_lock);
	ns = ns_find(ipc_ns);
	*names = ns ? ns->count : 0;
	*uid_names = ns ? user_names(ns, uid) : 0;
	mutex_unlock(&msgq_registry_lock);
}

/* Names counted per uid, over all namespaces: names, if the counts hold. */
unsigned long msgq_registry_user_names(void)
{
	unsigned long n = 0;
	struct msgq_ns *ns;

	mutex_lock(&msgq_registry_lock);
	list_for_each_entry(ns, &msgq_namespaces, node)
		n += msgq_count_sum(&ns->users);
	mutex_unlock(&msgq_registry_lock);
	return n;
}

unsigned int msgq_registry_namespaces(void)
{
	struct msgq_ns *ns;
	unsigned int n = 0;

	mutex_lock(&msgq_registry_lock);
	list_for_each_entry(ns, &msgq_namespaces, node)
		n++;
	mutex_unlock(&msgq_registry_lock);
	return n;
}

/* Every handle is closed: only names hold mailboxes now. */
void msgq_registry_exit(void)
{
	struct msgq_ns *ns, *next;

	mutex_lock(&msgq_registry_lock);
	list_for_each_entry_safe(ns, next, &msgq_namespaces, node)
		ns_clear(ns);
	mutex_unlock(&msgq_registry_lock);
	/* With the list empty, neither the work nor the parameter requeues. */
	cancel_delayed_work_sync(&msgq_reap_work);
}
