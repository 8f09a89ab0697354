/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * msgq._msgq: the C part of the msgq Python package, over libmsgq.
 *
 *   module.c   the module: create/open/unlink, the Message and Attr
 *              types, errno -> exception, timeouts
 *   mailbox.c  the Mailbox type: every call on a mailbox handle
 *
 * Every call that can wait releases the GIL around its one system call and
 * follows PEP 475: on EINTR it runs the signal handlers
 * (PyErr_CheckSignals()) and, unless one raised, calls again with the same
 * absolute deadline. The kernel never dequeues a message for a call that
 * fails, so no error, EINTR included, loses one.
 */
#ifndef MSGQPY_H
#define MSGQPY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <msgq.h>

/* The module's types and exceptions (module.c). */
extern PyTypeObject *msgqpy_message_type;
extern PyTypeObject *msgqpy_attr_type;
extern PyObject *msgqpy_too_large;	/* msgq.MessageTooLarge: EMSGSIZE */
extern PyObject *msgqpy_gone;		/* msgq.MailboxGone: EIDRM */
extern PyTypeObject msgqpy_mailbox_type;

/* Raise the exception for errno @err; returns NULL. */
PyObject *msgqpy_error(int err);

/*
 * A timeout argument (None or seconds, an int or float >= 0) as the flags
 * and absolute CLOCK_MONOTONIC deadline of the UAPI structs, so that a
 * call retried after EINTR keeps its deadline. @block false adds
 * MSGQ_F_NONBLOCK. Returns 0, or -1 with an exception.
 */
int msgqpy_deadline(PyObject *timeout, int block, __u32 *flags,
		    __u32 *clockid, struct msgq_timespec *ts);

/* A Message from a receive's out fields; steals @data. */
PyObject *msgqpy_message(PyObject *data, __u32 prio, __s32 pid, __u32 uid,
			 __u64 sent_ns);

/* Module init for the Mailbox type (mailbox.c). */
int msgqpy_mailbox_init(PyObject *module);

#endif /* MSGQPY_H */
