/* SPDX-License-Identifier: GPL-2.0 */
/* msgq registry: names, namespaces, names per uid, permissions (registry.c). */
#ifndef _MSGQ_REGISTRY_H
#define _MSGQ_REGISTRY_H

#include <linux/types.h>

#include "mailbox.h"

struct ipc_namespace;

/**
 * struct msgq_mailbox_spec - a mailbox to create, or to open if it exists
 * @name:        a validated name
 * @max_msgs:    capacity, 0 for a rendezvous mailbox
 * @max_msgsize: largest message
 * @mode:        permission bits, umask applied
 * @may:         what the caller's handle will do: MAY_READ (receive) and
 *               MAY_WRITE (send), checked against an existing mailbox
 * @excl:        fail with EEXIST if the name exists
 * @owned:       the mailbox dies with the caller's handle (implies @excl)
 * @fanout:      enum msgq_fanout of a new mailbox
 */
struct msgq_mailbox_spec {
	const char *name;
	u32 max_msgs;
	u32 max_msgsize;
	umode_t mode;
	int may;
	bool excl;
	bool owned;
	u8 fanout;
};

struct ipc_namespace *msgq_ipc_ns_get_current(void);
void msgq_ipc_ns_put(struct ipc_namespace *ipc_ns);

struct msgq_mailbox *msgq_registry_create(struct ipc_namespace *ipc_ns,
					  const struct msgq_mailbox_spec *spec,
					  bool *created);
struct msgq_mailbox *msgq_registry_open(struct ipc_namespace *ipc_ns,
					const char *name, int may);
int msgq_registry_unlink(struct ipc_namespace *ipc_ns, const char *name);
void msgq_registry_remove(struct msgq_mailbox *mb);
bool msgq_registry_linked(struct msgq_mailbox *mb);
unsigned int msgq_registry_ns_inum(struct msgq_mailbox *mb);
void msgq_registry_for_each(struct ipc_namespace *ipc_ns,
			    void (*fn)(struct msgq_mailbox *mb, void *arg),
			    void *arg);
unsigned int msgq_registry_namespaces(void);
void msgq_registry_usage(struct ipc_namespace *ipc_ns, kuid_t uid,
			 u32 *names, u32 *uid_names);
unsigned long msgq_registry_user_names(void);
void msgq_registry_exit(void);

#endif /* _MSGQ_REGISTRY_H */
