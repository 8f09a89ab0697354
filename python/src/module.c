// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * msgq._msgq: the module. The name calls (create, open, unlink), the
 * Message and Attr types, errno -> exception and timeouts. The public API
 * is the msgq package (msgq/__init__.py), which wraps these.
 */
#include "msgqpy.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

PyTypeObject *msgqpy_message_type;
PyTypeObject *msgqpy_attr_type;
PyObject *msgqpy_too_large;
PyObject *msgqpy_gone;

PyObject *msgqpy_error(int err)
{
	PyObject *exc = NULL, *args;

	if (err == EMSGSIZE)
		exc = msgqpy_too_large;
	else if (err == EIDRM)
		exc = msgqpy_gone;
	if (!exc) {
		/* OSError picks FileNotFoundError, TimeoutError, ... by errno. */
		errno = err;
		return PyErr_SetFromErrno(PyExc_OSError);
	}
	args = Py_BuildValue("(is)", err, strerror(err));
	if (args) {
		PyErr_SetObject(exc, args);
		Py_DECREF(args);
	}
	return NULL;
}

int msgqpy_deadline(PyObject *timeout, int block, __u32 *flags,
		    __u32 *clockid, struct msgq_timespec *ts)
{
	struct timespec now;
	double secs, whole;

	if (!block)
		*flags |= MSGQ_F_NONBLOCK;
	if (!timeout || timeout == Py_None)
		return 0;
	secs = PyFloat_AsDouble(timeout);
	if (secs == -1.0 && PyErr_Occurred())
		return -1;
	if (!(secs >= 0.0) || secs > 1e9) {
		PyErr_SetString(PyExc_ValueError,
				"timeout must be None or 0 to 1e9 seconds");
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	secs += (double)now.tv_nsec / 1e9;
	whole = floor(secs);
	ts->tv_sec = now.tv_sec + (__s64)whole;
	ts->tv_nsec = (__s64)((secs - whole) * 1e9);
	if (ts->tv_nsec > 999999999)
		ts->tv_nsec = 999999999;
	*flags |= MSGQ_F_TIMEOUT | MSGQ_F_ABSTIME;
	*clockid = CLOCK_MONOTONIC;
	return 0;
}

PyObject *msgqpy_message(PyObject *data, __u32 prio, __s32 pid, __u32 uid,
			 __u64 sent_ns)
{
	PyObject *m = PyStructSequence_New(msgqpy_message_type);

	if (!m) {
		Py_DECREF(data);
		return NULL;
	}
	PyStructSequence_SetItem(m, 0, data);
	PyStructSequence_SetItem(m, 1, PyLong_FromUnsignedLong(prio));
	PyStructSequence_SetItem(m, 2, PyLong_FromLong(pid));
	PyStructSequence_SetItem(m, 3, PyLong_FromUnsignedLong(uid));
	PyStructSequence_SetItem(m, 4, PyLong_FromUnsignedLongLong(sent_ns));
	if (PyErr_Occurred()) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}

PyDoc_STRVAR(create_doc,
"create(name, flags, mode, max_msgs, max_msgsize) -> int\n\n"
"msgq_create(3): a new mailbox handle (a file descriptor).");

static PyObject *mod_create(PyObject *self, PyObject *args)
{
	const char *name;
	unsigned int flags, mode, max_msgs;
	Py_ssize_t max_msgsize;
	int fd, err;

	if (!PyArg_ParseTuple(args, "sIIIn:create", &name, &flags, &mode,
			      &max_msgs, &max_msgsize))
		return NULL;
	if (max_msgsize < 0) {
		PyErr_SetString(PyExc_ValueError, "max_msgsize must be >= 0");
		return NULL;
	}
	Py_BEGIN_ALLOW_THREADS
	fd = msgq_create(name, flags, (mode_t)mode, max_msgs,
			 (size_t)max_msgsize);
	err = errno;
	Py_END_ALLOW_THREADS
	if (fd < 0)
		return msgqpy_error(err);
	return PyLong_FromLong(fd);
}

PyDoc_STRVAR(open_doc,
"open(name, flags) -> int\n\n"
"msgq_open(3): a new mailbox handle (a file descriptor).");

static PyObject *mod_open(PyObject *self, PyObject *args)
{
	const char *name;
	unsigned int flags;
	int fd, err;

	if (!PyArg_ParseTuple(args, "sI:open", &name, &flags))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	fd = msgq_open(name, flags);
	err = errno;
	Py_END_ALLOW_THREADS
	if (fd < 0)
		return msgqpy_error(err);
	return PyLong_FromLong(fd);
}

PyDoc_STRVAR(unlink_doc,
"unlink(name) -> None\n\n"
"msgq_unlink(3): remove a mailbox's name. Open handles keep working;\n"
"the mailbox is freed with the last of them.");

static PyObject *mod_unlink(PyObject *self, PyObject *args)
{
	const char *name;
	int r, err;

	if (!PyArg_ParseTuple(args, "s:unlink", &name))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	r = msgq_unlink(name);
	err = errno;
	Py_END_ALLOW_THREADS
	if (r < 0)
		return msgqpy_error(err);
	Py_RETURN_NONE;
}

static PyMethodDef mod_methods[] = {
	{ "create", mod_create, METH_VARARGS, create_doc },
	{ "open", mod_open, METH_VARARGS, open_doc },
	{ "unlink", mod_unlink, METH_VARARGS, unlink_doc },
	{ NULL, NULL, 0, NULL }
};

static PyStructSequence_Field message_fields[] = {
	{ "data", "the payload (bytes)" },
	{ "prio", "priority, 0..PRIO_MAX - 1 (higher is received first)" },
	{ "pid", "sender's process id in the receiver's pid namespace, "
		 "0 if not visible there" },
	{ "uid", "sender's effective uid in the receiver's user namespace" },
	{ "sent_ns", "CLOCK_REALTIME time of the send, in nanoseconds" },
	{ NULL, NULL }
};

static PyStructSequence_Desc message_desc = {
	"msgq.Message",
	"Message(data, prio, pid, uid, sent_ns): one received message.\n\n"
	"A named tuple; the sender's identity comes from the kernel.",
	message_fields, 5
};

static PyStructSequence_Field attr_fields[] = {
	{ "max_msgs", "capacity in messages (0: a rendezvous mailbox)" },
	{ "max_msgsize", "largest message in bytes" },
	{ "cur_msgs", "messages queued now" },
	{ "flags", "ATTR_OWNED | ATTR_DEAD | ATTR_UNLINKED | ATTR_FANOUT | "
		   "ATTR_FANOUT_DROP bits" },
	{ "cur_bytes", "bytes of payload queued now" },
	{ "total_sent", "messages ever enqueued" },
	{ "total_received", "messages ever dequeued by a receiver" },
	{ "mode", "permission bits" },
	{ "uid", "owner uid" },
	{ "gid", "owner gid" },
	{ "handle_flags", "this handle's O_SEND | O_RECV | O_NONBLOCK bits" },
	{ "subscribers", "fan-out: subscriptions open now" },
	{ "max_backlog", "fan-out: messages of the deepest subscription" },
	{ "lost", "fan-out: messages this handle's subscription lost" },
	{ NULL, NULL }
};

static PyStructSequence_Desc attr_desc = {
	"msgq.Attr",
	"Attr: limits and state of a mailbox (struct msgq_attr), a named "
	"tuple.",
	attr_fields, 14
};

PyDoc_STRVAR(module_doc,
"The C part of the msgq package (over libmsgq). Use the msgq package.");

static struct PyModuleDef msgq_module = {
	PyModuleDef_HEAD_INIT, "msgq._msgq", module_doc, -1, mod_methods,
	NULL, NULL, NULL, NULL
};

static int add_constants(PyObject *m)
{
	static const struct { const char *name; long value; } c[] = {
		{ "PRIO_MAX", MSGQ_PRIO_MAX },
		{ "NAME_MAX", MSGQ_NAME_MAX },
		{ "MAX_MSGS_LIMIT", MSGQ_MAX_MSGS_LIMIT },
		{ "MAX_MSGSIZE_LIMIT", MSGQ_MAX_MSGSIZE_LIMIT },
		{ "BATCH_MAX", MSGQ_BATCH_MAX },
		{ "O_SEND", MSGQ_O_SEND },
		{ "O_RECV", MSGQ_O_RECV },
		{ "O_NONBLOCK", MSGQ_O_NONBLOCK },
		{ "O_CLOEXEC", MSGQ_O_CLOEXEC },
		{ "O_EXCL", MSGQ_O_EXCL },
		{ "O_OWNED", MSGQ_O_OWNED },
		{ "O_FANOUT", MSGQ_O_FANOUT },
		{ "O_FANOUT_DROP", MSGQ_O_FANOUT_DROP },
		{ "ATTR_OWNED", MSGQ_ATTR_OWNED },
		{ "ATTR_DEAD", MSGQ_ATTR_DEAD },
		{ "ATTR_UNLINKED", MSGQ_ATTR_UNLINKED },
		{ "ATTR_FANOUT", MSGQ_ATTR_FANOUT },
		{ "ATTR_FANOUT_DROP", MSGQ_ATTR_FANOUT_DROP },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (PyModule_AddIntConstant(m, c[i].name, c[i].value) < 0)
			return -1;
	return 0;
}

/* An OSError subclass msgq.NAME, added to @m; NULL on error. */
static PyObject *add_error(PyObject *m, const char *name, const char *doc)
{
	char qual[64];
	PyObject *e;

	snprintf(qual, sizeof(qual), "msgq.%s", name);
	e = PyErr_NewExceptionWithDoc(qual, doc, PyExc_OSError, NULL);
	if (!e)
		return NULL;
	if (PyModule_AddObjectRef(m, name, e) < 0) {
		Py_DECREF(e);
		return NULL;
	}
	return e;
}

PyMODINIT_FUNC PyInit__msgq(void)
{
	PyObject *m = PyModule_Create(&msgq_module);

	if (!m)
		return NULL;
	msgqpy_message_type = PyStructSequence_NewType(&message_desc);
	if (!msgqpy_message_type ||
	    PyModule_AddObjectRef(m, "Message",
				  (PyObject *)msgqpy_message_type) < 0)
		goto err_module;
	msgqpy_attr_type = PyStructSequence_NewType(&attr_desc);
	if (!msgqpy_attr_type ||
	    PyModule_AddObjectRef(m, "Attr", (PyObject *)msgqpy_attr_type) < 0)
		goto err_module;
	msgqpy_too_large = add_error(m, "MessageTooLarge",
		"A message longer than the mailbox's max_msgsize (EMSGSIZE).");
	if (!msgqpy_too_large)
		goto err_module;
	msgqpy_gone = add_error(m, "MailboxGone",
		"The owned mailbox is gone: its owner closed it or died "
		"(EIDRM).");
	if (!msgqpy_gone)
		goto err_module;
	if (add_constants(m) < 0 || msgqpy_mailbox_init(m) < 0)
		goto err_module;
	return m;

err_module:
	Py_DECREF(m);
	return NULL;
}
