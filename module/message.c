// SPDX-License-Identifier: GPL-2.0
/*
 * msgq messages: where a payload lives, how it is copied, who sent it.
 *
 * Three shapes, chosen by length when the message is made:
 *   slot    up to mb->slot_payload bytes (at most MSGQ_SLOT_PAYLOAD) after
 *           the header, in one kmalloc'ed buffer of a fixed size per
 *           mailbox. A received slot goes back to its mailbox's pool (up to
 *           mb->pool_max of them: MSGQ_POOL_MAX, or max_msgs if fewer)
 *           instead of to the allocator, so a mailbox in steady use sends
 *           small messages without allocating or charging memory per
 *           message.
 *   inline  up to MSGQ_INLINE_MAX bytes after the header, one kmalloc.
 *   paged   longer payloads in order-0 pages listed after the header: a
 *           64 KiB message is 16 cheap page allocations rather than one
 *           order-5 allocation (which kmalloc would round up to 128 KiB,
 *           and which fragmentation can make fail).
 *   shared  a header only, for one subscription of a fan-out mailbox; the
 *           payload is in a message of one of the shapes above, the body,
 *           which each sharer references, as skb_clone() shares a socket
 *           buffer's data: a message sent to N subscriptions is stored
 *           once, and freed with its last sharer.
 * All memory is charged to the memory cgroup of the sender that allocates
 * it (__GFP_ACCOUNT); a pooled slot stays charged to that first sender's
 * cgroup while later messages reuse it, until the mailbox is freed. The
 * pool's free slots, each no larger than a message's share of the quota of
 * limits.c, are at most as many as the messages the mailbox holds: it can
 * double the memory of a full mailbox, not more. A rendezvous mailbox
 * keeps none.
 *
 * The sender: a sender in the initial pid namespace is visible only to
 * receivers there, under the number it has there, so its message keeps
 * just that number and no reference; a sender in a child namespace pins
 * its struct pid for translation at receive, as SCM_CREDENTIALS does.
 */

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "message.h"

/* Payloads longer than this live in pages. */
#define MSGQ_INLINE_MAX		(PAGE_SIZE - sizeof(struct msgq_msg))

static unsigned int payload_pages(u32 len)
{
	return DIV_ROUND_UP(len, PAGE_SIZE);
}

/* Free a message's memory: one never stamped, or one retired already. */
void msgq_msg_free(struct msgq_msg *msg)
{
	unsigned int i;

	if (msg->shape == MSGQ_MSG_PAGED)
		for (i = 0; i < payload_pages(msg->len); i++)
			__free_page(msg->pages[i]);
	kfree(msg);
}

/**
 * msgq_msg_alloc - a message with room for @len bytes, not stamped
 * @len:          payload length
 * @slot_payload: the slot size of the mailbox it is meant for: a message
 *                up to that long gets a whole slot, so that it can go to
 *                the mailbox's pool once received
 */
struct msgq_msg *msgq_msg_alloc(u32 len, u32 slot_payload)
{
	struct msgq_msg *msg;
	unsigned int i, n;

	if (len <= slot_payload) {
		msg = kmalloc(struct_size(msg, data, slot_payload),
			      GFP_KERNEL_ACCOUNT);
		if (msg)
			msg->shape = MSGQ_MSG_SLOT;
		return msg;
	}
	if (len <= MSGQ_INLINE_MAX) {
		msg = kmalloc(struct_size(msg, data, len), GFP_KERNEL_ACCOUNT);
		if (msg)
			msg->shape = MSGQ_MSG_INLINE;
		return msg;
	}

	n = payload_pages(len);
	msg = kmalloc(struct_size(msg, pages, n), GFP_KERNEL_ACCOUNT);
	if (!msg)
		return NULL;
	msg->shape = MSGQ_MSG_PAGED;
	msg->len = len;
	for (i = 0; i < n; i++) {
		msg->pages[i] = alloc_page(GFP_KERNEL_ACCOUNT);
		if (!msg->pages[i]) {
			msg->len = i * PAGE_SIZE;
			msgq_msg_free(msg);
			return NULL;
		}
	}
	return msg;
}

/* Undo @copied bytes of a copy that fell short: see message.h. */
static int copy_failed(struct iov_iter *iter, size_t copied)
{
	iov_iter_revert(iter, copied);
	return -EFAULT;
}

int msgq_msg_copy_in(struct msgq_msg *msg, struct iov_iter *from, u32 len)
{
	size_t off, chunk, n;
	unsigned int i;

	if (msg->shape != MSGQ_MSG_PAGED)
		return copy_from_iter_full(msg->data, len, from) ? 0 : -EFAULT;
	for (i = 0, off = 0; off < len; i++, off += chunk) {
		chunk = min_t(size_t, len - off, PAGE_SIZE);
		n = copy_page_from_iter(msg->pages[i], 0, chunk, from);
		if (n != chunk)
			return copy_failed(from, off + n);
	}
	return 0;
}

int msgq_msg_copy_out(const struct msgq_msg *msg, struct iov_iter *to)
{
	size_t off, chunk, n;
	unsigned int i;

	if (msg->shape == MSGQ_MSG_SHARED)
		return msgq_msg_copy_out(msg->body[0], to);
	if (msg->shape != MSGQ_MSG_PAGED) {
		n = copy_to_iter(msg->data, msg->len, to);
		return n == msg->len ? 0 : copy_failed(to, n);
	}
	for (i = 0, off = 0; off < msg->len; i++, off += chunk) {
		chunk = min_t(size_t, msg->len - off, PAGE_SIZE);
		n = copy_page_to_iter(msg->pages[i], 0, chunk, to);
		if (n != chunk)
			return copy_failed(to, off + n);
	}
	return 0;
}

/* A header to share a body with: msgq_msg_share() fills it. */
struct msgq_msg *msgq_msg_alloc_shared(void)
{
	struct msgq_msg *msg;

	msg = kmalloc(struct_size(msg, body, 1), GFP_KERNEL_ACCOUNT);
	if (msg)
		msg->shape = MSGQ_MSG_SHARED;
	return msg;
}

/* Make @msg, from msgq_msg_alloc_shared(), a sharer of stamped @body. */
void msgq_msg_share(struct msgq_msg *msg, struct msgq_msg *body)
{
	refcount_set(&msg->ref, 1);
	msg->pinned = body->pinned;
	if (msg->pinned)
		msg->sender = get_pid(body->sender);
	else
		msg->tgid = body->tgid;
	msg->fds = NULL;		/* the body's: msgq_msg_fds() */
	msg->uid = body->uid;
	msg->sent_ns = body->sent_ns;
	msg->sync = NULL;
	msg->len = body->len;
	msg->prio = body->prio;
	refcount_inc(&body->ref);
	msg->body[0] = body;
}

void msgq_msg_put(struct msgq_msg *msg)
{
	if (refcount_dec_and_test(&msg->ref)) {
		msgq_msg_retire(msg);
		msgq_msg_free(msg);
	}
}

/* Free the slots of a pool nobody uses any more. */
void msgq_msg_free_list(struct list_head *list)
{
	struct msgq_msg *msg, *tmp;

	list_for_each_entry_safe(msg, tmp, list, link)
		msgq_msg_free(msg);
	INIT_LIST_HEAD(list);
}
