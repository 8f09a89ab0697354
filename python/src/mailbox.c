// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * msgq._msgq.Mailbox: a mailbox handle and every call on it. The msgq
 * package subclasses it (msgq.Mailbox) for asyncio.
 *
 * Receive buffers are sized from the mailbox: max_msgsize, read once with
 * MSGQ_IOC_GETATTR when the object is made (it never changes), so a
 * receive cannot fail with EMSGSIZE and the caller never names a size.
 */
#include "msgqpy.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* A receive batch gets at most this much buffer (and at least one entry). */
#define RECV_MANY_BYTES		(4U << 20)

typedef struct {
	PyObject_HEAD
	int fd;			/* -1 once closed */
	__u32 max_msgs;
	__u32 max_msgsize;
} Mailbox;

/*
 * One system call on the handle, made by blocking() without the GIL. The
 * call structs keep their input apart from what the kernel writes, so that
 * a retry after EINTR passes the same input again.
 */
typedef long (*call_fn)(int fd, void *arg);

struct send_call {
	const void *buf;
	size_t len;
	int fast;		/* write(2): priority 0, no flags */
	struct msgq_send args;
};

static long do_send(int fd, void *arg)
{
	struct send_call *c = arg;

	if (c->fast)
		return msgq_send(fd, c->buf, c->len, 0);
	return msgq_send_args(fd, &c->args);
}

struct recv_call {
	struct msgq_recv in, out;
};

static long do_recv(int fd, void *arg)
{
	struct recv_call *c = arg;

	c->out = c->in;
	return msgq_recv_args(fd, &c->out);
}

static long do_send_batch(int fd, void *arg)
{
	return msgq_send_batch_args(fd, arg);
}

struct recv_batch_call {
	struct msgq_batch args;
	struct msgq_mmsg *msgs;
	char *buf;
	__u32 size;		/* each entry's capacity */
};

static long do_recv_batch(int fd, void *arg)
{
	struct recv_batch_call *c = arg;
	__u32 i;

	memset(c->msgs, 0, c->args.count * sizeof(*c->msgs));
	for (i = 0; i < c->args.count; i++) {
		c->msgs[i].buf = (uintptr_t)(c->buf + (size_t)i * c->size);
		c->msgs[i].len = c->size;
	}
	return msgq_recv_batch_args(fd, &c->args);
}

struct sendrecv_call {
	struct msgq_recv recv_in;
	struct msgq_send_recv args;
};

static long do_sendrecv(int fd, void *arg)
{
	struct sendrecv_call *c = arg;

	/* The send half and MSGQ_SR_SENT stay: a retry only receives. */
	c->args.recv = c->recv_in;
	return msgq_sendrecv_args(fd, &c->args);
}

static int check_open(Mailbox *self)
{
	if (self->fd >= 0)
		return 0;
	PyErr_SetString(PyExc_ValueError, "I/O operation on closed mailbox");
	return -1;
}

/*
 * fn(fd, arg) with the GIL released; on EINTR the signal handlers run
 * (PEP 475) and, unless one raised, the call is made again. Returns fn's
 * result, or -1 with an exception set; *@err is then the call's errno, or
 * 0 when the exception came from a signal handler or a closed mailbox.
 */
static long blocking(Mailbox *self, call_fn fn, void *arg, int *err)
{
	long r;
	int fd;

	*err = 0;
	for (;;) {
		if (check_open(self) < 0)
			return -1;
		fd = self->fd;
		Py_BEGIN_ALLOW_THREADS
		r = fn(fd, arg);
		*err = errno;
		Py_END_ALLOW_THREADS
		if (r >= 0) {
			*err = 0;
			return r;
		}
		if (*err != EINTR) {
			msgqpy_error(*err);
			return -1;
		}
		*err = 0;
		if (PyErr_CheckSignals() < 0)
			return -1;
	}
}

static int check_prio(int prio)
{
	if (prio >= 0 && prio < MSGQ_PRIO_MAX)
		return 0;
	PyErr_Format(PyExc_ValueError, "prio must be 0..%d", MSGQ_PRIO_MAX - 1);
	return -1;
}

static int check_len(Mailbox *self, Py_ssize_t len)
{
	PyObject *args;

	if ((size_t)len <= self->max_msgsize)
		return 0;
	args = Py_BuildValue("(is)", EMSGSIZE, "Message too long");
	if (args) {
		PyErr_SetObject(msgqpy_too_large, args);
		Py_DECREF(args);
	}
	return -1;
}

/* ---------------------------------------------------------------- new */

static PyObject *mb_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "fd", NULL };
	struct msgq_attr attr;
	Mailbox *self;
	int fd;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "i:Mailbox", kwlist, &fd))
		return NULL;
	if (fd < 0) {
		PyErr_SetString(PyExc_ValueError, "fd must be >= 0");
		return NULL;
	}
	if (msgq_getattr(fd, &attr) < 0)
		return msgqpy_error(errno);
	self = (Mailbox *)type->tp_alloc(type, 0);
	if (!self)
		return NULL;
	self->fd = fd;
	self->max_msgs = attr.max_msgs;
	self->max_msgsize = attr.max_msgsize;
	return (PyObject *)self;
}

static void mb_dealloc(Mailbox *self)
{
	if (self->fd >= 0)
		close(self->fd);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

/* --------------------------------------------------------------- send */

PyDoc_STRVAR(send_doc,
"send(data, prio=0, *, timeout=None, sync=False, block=True) -> None\n\n"
"Send one message (any bytes-like object, 0..max_msgsize bytes) at\n"
"priority prio (0..PRIO_MAX - 1; higher is received first). Waits while\n"
"the mailbox is full: without limit (timeout None) or for timeout\n"
"seconds (then TimeoutError); block=False raises BlockingIOError instead.\n"
"sync=True returns only once a receiver has taken the message.\n"
"MessageTooLarge if data is longer than max_msgsize.");

static PyObject *mb_send(Mailbox *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "data", "prio", "timeout", "sync", "block",
				  NULL };
	PyObject *timeout = Py_None, *ret = NULL;
	struct send_call c = { 0 };
	int prio = 0, sync = 0, block = 1, err;
	Py_buffer data;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "y*|i$Opp:send", kwlist,
					 &data, &prio, &timeout, &sync, &block))
		return NULL;
	if (check_prio(prio) < 0 || check_len(self, data.len) < 0)
		goto out;
	c.buf = data.buf;
	c.len = data.len;
	c.args.buf = (uintptr_t)data.buf;
	c.args.len = (__u32)data.len;
	c.args.prio = prio;
	c.args.flags = sync ? MSGQ_F_SYNC : 0;
	if (msgqpy_deadline(timeout, block, &c.args.flags, &c.args.clockid,
			    &c.args.timeout) < 0)
		goto out;
	c.fast = c.args.flags == 0 && prio == 0;
	if (blocking(self, do_send, &c, &err) < 0)
		goto out;
	ret = Py_NewRef(Py_None);
out:
	PyBuffer_Release(&data);
	return ret;
}

/* --------------------------------------------------------- recv, peek */

static PyObject *recv_common(Mailbox *self, PyObject *args, PyObject *kw,
			     __u32 flags, const char *fmt)
{
	static char *kwlist[] = { "timeout", "block", NULL };
	PyObject *timeout = Py_None, *data;
	struct recv_call c = { 0 };
	int block = 1, err;

	if (!PyArg_ParseTupleAndKeywords(args, kw, fmt, kwlist, &timeout,
					 &block))
		return NULL;
	if (check_open(self) < 0)
		return NULL;
	c.in.flags = flags;
	if (msgqpy_deadline(timeout, block, &c.in.flags, &c.in.clockid,
			    &c.in.timeout) < 0)
		return NULL;
	data = PyBytes_FromStringAndSize(NULL, self->max_msgsize);
	if (!data)
		return NULL;
	c.in.buf = (uintptr_t)PyBytes_AS_STRING(data);
	c.in.cap = self->max_msgsize;
	if (blocking(self, do_recv, &c, &err) < 0) {
		Py_DECREF(data);
		return NULL;
	}
	if (_PyBytes_Resize(&data, c.out.len) < 0)
		return NULL;
	return msgqpy_message(data, c.out.prio, c.out.pid, c.out.uid,
			      c.out.sent_ns);
}

PyDoc_STRVAR(recv_doc,
"recv(*, timeout=None, block=True) -> Message\n\n"
"Receive the oldest message of the highest priority present, with its\n"
"priority and sender. Waits while the mailbox is empty: without limit\n"
"(timeout None) or for timeout seconds (then TimeoutError); block=False\n"
"raises BlockingIOError instead. MailboxGone once an owned mailbox's\n"
"owner is gone.");

static PyObject *mb_recv(Mailbox *self, PyObject *args, PyObject *kw)
{
	return recv_common(self, args, kw, 0, "|$Op:recv");
}

PyDoc_STRVAR(peek_doc,
"peek(*, timeout=None, block=True) -> Message\n\n"
"The message recv() would return, left in the mailbox. Waits like recv().");

static PyObject *mb_peek(Mailbox *self, PyObject *args, PyObject *kw)
{
	return recv_common(self, args, kw, MSGQ_F_PEEK, "|$Op:peek");
}

/* ---------------------------------------------------------- send_many */

/* The items of @seq as buffers and batch entries; -1 with an exception. */
static int fill_batch(Mailbox *self, PyObject *seq, int dprio,
		      Py_buffer *views, struct msgq_mmsg *msgs,
		      Py_ssize_t *nviews)
{
	Py_ssize_t i, n = PySequence_Fast_GET_SIZE(seq);
	PyObject *item, *data;
	int prio;

	for (i = 0; i < n; i++) {
		item = PySequence_Fast_GET_ITEM(seq, i);
		data = item;
		prio = dprio;
		if (PyTuple_Check(item)) {
			if (!PyArg_ParseTuple(item, "Oi;send_many: an item is "
					      "data or (data, prio)",
					      &data, &prio))
				return -1;
		}
		if (PyObject_GetBuffer(data, &views[i], PyBUF_SIMPLE) < 0)
			return -1;
		*nviews = i + 1;
		if (check_prio(prio) < 0 || check_len(self, views[i].len) < 0)
			return -1;
		msgs[i].buf = (uintptr_t)views[i].buf;
		msgs[i].len = (__u32)views[i].len;
		msgs[i].prio = prio;
	}
	return 0;
}

PyDoc_STRVAR(send_many_doc,
"send_many(messages, prio=0, *, timeout=None, block=True) -> int\n\n"
"Send every message of an iterable, in order, in batches of up to\n"
"BATCH_MAX per system call (msgq_send_batch(3)). An item is a bytes-like\n"
"object (sent at prio) or a (data, prio) tuple; all are checked before\n"
"any is sent. Waits for room as send() does. Returns the number sent:\n"
"all, or fewer when the mailbox stayed full past the timeout or with\n"
"block=False, in which case the error is raised only if none was sent.\n"
"Not for a rendezvous mailbox (max_msgs 0): OSError(EINVAL).");

static PyObject *mb_send_many(Mailbox *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "messages", "prio", "timeout", "block",
				  NULL };
	PyObject *messages, *timeout = Py_None, *seq, *ret = NULL;
	Py_ssize_t n, sent = 0, nviews = 0, i;
	struct msgq_mmsg *msgs = NULL;
	Py_buffer *views = NULL;
	struct msgq_batch b;
	int prio = 0, block = 1, err;
	long r;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|i$Op:send_many", kwlist,
					 &messages, &prio, &timeout, &block))
		return NULL;
	if (check_prio(prio) < 0)
		return NULL;
	seq = PySequence_Fast(messages, "send_many: messages must be iterable");
	if (!seq)
		return NULL;
	n = PySequence_Fast_GET_SIZE(seq);
	views = PyMem_Calloc(n ? n : 1, sizeof(*views));
	msgs = PyMem_Calloc(n ? n : 1, sizeof(*msgs));
	if (!views || !msgs) {
		PyErr_NoMemory();
		goto out;
	}
	if (fill_batch(self, seq, prio, views, msgs, &nviews) < 0)
		goto out;
	memset(&b, 0, sizeof(b));
	if (msgqpy_deadline(timeout, block, &b.flags, &b.clockid,
			    &b.timeout) < 0)
		goto out;
	while (sent < n) {
		b.msgs = (uintptr_t)&msgs[sent];
		b.count = n - sent < MSGQ_BATCH_MAX ? n - sent : MSGQ_BATCH_MAX;
		r = blocking(self, do_send_batch, &b, &err);
		if (r < 0) {
			if (sent && (err == EAGAIN || err == ETIMEDOUT)) {
				PyErr_Clear();
				break;
			}
			goto out;
		}
		sent += r;
		/* A short batch may hide a signal: run its handler now. */
		if ((__u32)r < b.count && PyErr_CheckSignals() < 0)
			goto out;
	}
	ret = PyLong_FromSsize_t(sent);
out:
	for (i = 0; i < nviews; i++)
		PyBuffer_Release(&views[i]);
	PyMem_Free(views);
	PyMem_Free(msgs);
	Py_DECREF(seq);
	return ret;
}

/* ---------------------------------------------------------- recv_many */

PyDoc_STRVAR(recv_many_doc,
"recv_many(n, *, timeout=None, block=True) -> list[Message]\n\n"
"Receive up to n messages in one system call (msgq_recv_batch(3)): waits\n"
"as recv() does for the first, then takes what is there, at most\n"
"BATCH_MAX, and fewer when their buffers would pass 4 MiB.");

static PyObject *mb_recv_many(Mailbox *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "n", "timeout", "block", NULL };
	struct recv_batch_call c = { 0 };
	PyObject *timeout = Py_None, *list = NULL, *data, *m;
	Py_ssize_t n, cap;
	int block = 1, err;
	long r, i;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "n|$Op:recv_many", kwlist,
					 &n, &timeout, &block))
		return NULL;
	if (n < 1) {
		PyErr_SetString(PyExc_ValueError, "n must be >= 1");
		return NULL;
	}
	if (check_open(self) < 0 ||
	    msgqpy_deadline(timeout, block, &c.args.flags, &c.args.clockid,
			    &c.args.timeout) < 0)
		return NULL;
	c.size = self->max_msgsize;
	cap = c.size ? RECV_MANY_BYTES / c.size : MSGQ_BATCH_MAX;
	if (n > MSGQ_BATCH_MAX)
		n = MSGQ_BATCH_MAX;
	if (n > cap)
		n = cap > 0 ? cap : 1;
	c.args.count = (__u32)n;
	c.msgs = PyMem_Calloc(n, sizeof(*c.msgs));
	c.buf = PyMem_Malloc(c.size ? (size_t)n * c.size : 1);
	if (!c.msgs || !c.buf) {
		PyErr_NoMemory();
		goto out;
	}
	c.args.msgs = (uintptr_t)c.msgs;
	r = blocking(self, do_recv_batch, &c, &err);
	if (r < 0)
		goto out;
	list = PyList_New(r);
	if (!list)
		goto out;
	for (i = 0; i < r; i++) {
		data = PyBytes_FromStringAndSize(c.buf + (size_t)i * c.size,
						 c.msgs[i].len);
		if (!data)
			goto err_list;
		m = msgqpy_message(data, c.msgs[i].prio, c.msgs[i].pid,
				   c.msgs[i].uid, c.msgs[i].sent_ns);
		if (!m)
			goto err_list;
		PyList_SET_ITEM(list, i, m);
	}
	goto out;

err_list:
	Py_CLEAR(list);
out:
	PyMem_Free(c.msgs);
	PyMem_Free(c.buf);
	return list;
}

/* ----------------------------------------------------------- sendrecv */

PyDoc_STRVAR(sendrecv_doc,
"sendrecv(data, prio=0, *, to=None, timeout=None, sync=False) -> Message\n\n"
"Send a message, then receive one on this mailbox, in one system call\n"
"(msgq_sendrecv(3)): a request and the wait for its reply. to is the\n"
"Mailbox to send to (default: this one); timeout bounds the whole call.\n"
"If the send fails nothing was sent. Once the message is sent it is\n"
"never sent again: after a signal whose handler returns, only the\n"
"receive is retried; if the receive half raises, the request went out,\n"
"and the reply is to be waited for with recv().");

static PyObject *mb_sendrecv(Mailbox *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "data", "prio", "to", "timeout", "sync",
				  NULL };
	PyObject *timeout = Py_None, *to = Py_None, *out = NULL, *data;
	struct sendrecv_call c = { 0 };
	Mailbox *dst = self;
	int prio = 0, sync = 0, err;
	Py_buffer msg;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "y*|i$OOp:sendrecv", kwlist,
					 &msg, &prio, &to, &timeout, &sync))
		return NULL;
	if (to != Py_None) {
		if (!PyObject_TypeCheck(to, &msgqpy_mailbox_type)) {
			PyErr_SetString(PyExc_TypeError,
					"sendrecv: to must be a Mailbox");
			goto out;
		}
		dst = (Mailbox *)to;
	}
	if (check_open(self) < 0 || check_open(dst) < 0 ||
	    check_prio(prio) < 0 || check_len(dst, msg.len) < 0)
		goto out;
	c.args.send_fd = dst->fd;
	c.args.send.buf = (uintptr_t)msg.buf;
	c.args.send.len = (__u32)msg.len;
	c.args.send.prio = prio;
	c.args.send.flags = sync ? MSGQ_F_SYNC : 0;
	if (msgqpy_deadline(timeout, 1, &c.args.send.flags,
			    &c.args.send.clockid, &c.args.send.timeout) < 0 ||
	    msgqpy_deadline(timeout, 1, &c.recv_in.flags, &c.recv_in.clockid,
			    &c.recv_in.timeout) < 0)
		goto out;
	data = PyBytes_FromStringAndSize(NULL, self->max_msgsize);
	if (!data)
		goto out;
	c.recv_in.buf = (uintptr_t)PyBytes_AS_STRING(data);
	c.recv_in.cap = self->max_msgsize;
	if (blocking(self, do_sendrecv, &c, &err) < 0) {
		Py_DECREF(data);
		goto out;
	}
	if (_PyBytes_Resize(&data, c.args.recv.len) < 0)
		goto out;
	out = msgqpy_message(data, c.args.recv.prio, c.args.recv.pid,
			     c.args.recv.uid, c.args.recv.sent_ns);
out:
	PyBuffer_Release(&msg);
	return out;
}

/* ------------------------------------------------------ the rest */

static PyObject *mb_get_attr(Mailbox *self, void *closure)
{
	struct msgq_attr a;
	PyObject *t;
	int i = 0;

	if (check_open(self) < 0)
		return NULL;
	if (msgq_getattr(self->fd, &a) < 0)
		return msgqpy_error(errno);
	t = PyStructSequence_New(msgqpy_attr_type);
	if (!t)
		return NULL;
	PyStructSequence_SetItem(t, i++, PyLong_FromUnsignedLong(a.max_msgs));
	PyStructSequence_SetItem(t, i++, PyLong_FromUnsignedLong(a.max_msgsize));
	PyStructSequence_SetItem(t, i++, PyLong_FromUnsignedLong(a.cur_msgs));
	PyStructSequence_SetItem(t, i++, PyLong_FromUnsignedLong(a.flags));
	PyStructSequence_SetItem(t, i++, PyLong_FromUnsignedLongLong(a.cur_bytes));
	PyStructSequence_SetItem(t, i++, PyLong_FromUnsignedLongLong(a.total_sent));
	PyStructSequence_SetItem(t, i++,
				 PyLong_FromUnsignedLongLong(a.total_received));
	PyStructSequence_SetItem(t, i++, PyLong_FromUnsignedLong(a.mode));
	PyStructSequence_SetItem(t, i++, PyLong_FromUnsignedLong(a.uid));
	PyStructSequence_SetItem(t, i++, PyLong_FromUnsignedLong(a.gid));
	PyStructSequence_SetItem(t, i++, PyLong_FromUnsignedLong(a.handle_flags));
	PyStructSequence_SetItem(t, i++, PyLong_FromUnsignedLong(a.subscribers));
	PyStructSequence_SetItem(t, i++, PyLong_FromUnsignedLong(a.max_backlog));
	PyStructSequence_SetItem(t, i++, PyLong_FromUnsignedLongLong(a.lost));
	if (PyErr_Occurred()) {
		Py_DECREF(t);
		return NULL;
	}
	return t;
}

static PyObject *mb_get_closed(Mailbox *self, void *closure)
{
	return PyBool_FromLong(self->fd < 0);
}

static PyObject *mb_get_max_msgsize(Mailbox *self, void *closure)
{
	return PyLong_FromUnsignedLong(self->max_msgsize);
}

PyDoc_STRVAR(fileno_doc,
"fileno() -> int\n\n"
"The mailbox handle, for select, selectors and asyncio: readable when a\n"
"message is waiting, writable when a send would not wait.");

static PyObject *mb_fileno(Mailbox *self, PyObject *unused)
{
	if (check_open(self) < 0)
		return NULL;
	return PyLong_FromLong(self->fd);
}

PyDoc_STRVAR(close_doc,
"close() -> None\n\n"
"Close the handle (a second close does nothing). Closing the handle\n"
"create(owned=True) returned removes the mailbox.");

static PyObject *mb_close(Mailbox *self, PyObject *unused)
{
	int fd = self->fd;

	self->fd = -1;
	if (fd >= 0 && close(fd) < 0 && errno != EINTR)
		return msgqpy_error(errno);
	Py_RETURN_NONE;
}

static PyObject *mb_enter(Mailbox *self, PyObject *unused)
{
	if (check_open(self) < 0)
		return NULL;
	return Py_NewRef(self);
}

static PyObject *mb_exit(Mailbox *self, PyObject *args)
{
	return PyObject_CallMethod((PyObject *)self, "close", NULL);
}

static PyObject *mb_repr(Mailbox *self)
{
	if (self->fd < 0)
		return PyUnicode_FromFormat("<%s closed>", Py_TYPE(self)->tp_name);
	return PyUnicode_FromFormat("<%s fd=%d>", Py_TYPE(self)->tp_name,
				    self->fd);
}

static PyMethodDef mb_methods[] = {
	{ "send", (PyCFunction)(void (*)(void))mb_send,
	  METH_VARARGS | METH_KEYWORDS, send_doc },
	{ "recv", (PyCFunction)(void (*)(void))mb_recv,
	  METH_VARARGS | METH_KEYWORDS, recv_doc },
	{ "peek", (PyCFunction)(void (*)(void))mb_peek,
	  METH_VARARGS | METH_KEYWORDS, peek_doc },
	{ "send_many", (PyCFunction)(void (*)(void))mb_send_many,
	  METH_VARARGS | METH_KEYWORDS, send_many_doc },
	{ "recv_many", (PyCFunction)(void (*)(void))mb_recv_many,
	  METH_VARARGS | METH_KEYWORDS, recv_many_doc },
	{ "sendrecv", (PyCFunction)(void (*)(void))mb_sendrecv,
	  METH_VARARGS | METH_KEYWORDS, sendrecv_doc },
	{ "fileno", (PyCFunction)mb_fileno, METH_NOARGS, fileno_doc },
	{ "close", (PyCFunction)mb_close, METH_NOARGS, close_doc },
	{ "__enter__", (PyCFunction)mb_enter, METH_NOARGS, NULL },
	{ "__exit__", (PyCFunction)mb_exit, METH_VARARGS, NULL },
	{ NULL, NULL, 0, NULL }
};

static PyGetSetDef mb_getset[] = {
	{ "attr", (getter)mb_get_attr, NULL,
	  "Limits and state of the mailbox now (an Attr).", NULL },
	{ "closed", (getter)mb_get_closed, NULL,
	  "True once close() was called.", NULL },
	{ "max_msgsize", (getter)mb_get_max_msgsize, NULL,
	  "The largest message, in bytes (fixed at creation).", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

PyDoc_STRVAR(mailbox_doc,
"Mailbox(fd): a mailbox handle; takes over the file descriptor fd\n"
"(msgq.create() and msgq.open() make one).");

PyTypeObject msgqpy_mailbox_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "msgq._msgq.Mailbox",
	.tp_basicsize = sizeof(Mailbox),
	.tp_dealloc = (destructor)mb_dealloc,
	.tp_repr = (reprfunc)mb_repr,
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
	.tp_doc = mailbox_doc,
	.tp_methods = mb_methods,
	.tp_getset = mb_getset,
	.tp_new = mb_new,
};

int msgqpy_mailbox_init(PyObject *module)
{
	if (PyType_Ready(&msgqpy_mailbox_type) < 0)
		return -1;
	return PyModule_AddObjectRef(module, "Mailbox",
				     (PyObject *)&msgqpy_mailbox_type);
}
