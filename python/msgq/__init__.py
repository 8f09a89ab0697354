# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""msgq: named kernel mailboxes (the msgq kernel module) from Python.

A mailbox holds whole messages, each with a priority (0 to PRIO_MAX - 1,
higher first), and is found by name in the IPC namespace::

    import msgq

    with msgq.create("jobs", max_msgs=64, max_msgsize=4096) as mb:
        mb.send(b"rebuild index", prio=9)
        msg = mb.recv()            # Message(data, prio, pid, uid, sent_ns)

create() and open() return a Mailbox. Its calls wait like the C ones
(libmsgq(3)), with the GIL released, and take timeout= (seconds) and
block=False. Errors are the standard exceptions of their errno
(FileNotFoundError, FileExistsError, PermissionError, BlockingIOError,
TimeoutError, ...), plus MessageTooLarge (EMSGSIZE) and MailboxGone
(EIDRM); a call interrupted by a signal runs the handler and goes on
(PEP 475) unless the handler raises (KeyboardInterrupt on Ctrl-C). No
error loses a message. For asyncio: await mb.asend(...), await mb.arecv(),
async for msg in mb. The reference of each call is its libmsgq man page.
"""

import asyncio as _asyncio
import collections as _collections
import os as _os
from typing import NamedTuple as _NamedTuple

from . import _msgq
from ._msgq import (  # noqa: F401  (re-exported)
    Attr, Message, MessageTooLarge, MailboxGone,
    PRIO_MAX, NAME_MAX, MAX_MSGS_LIMIT, MAX_MSGSIZE_LIMIT, BATCH_MAX,
    ATTR_OWNED, ATTR_DEAD, ATTR_UNLINKED, ATTR_FANOUT, ATTR_FANOUT_DROP,
    O_SEND, O_RECV, O_NONBLOCK,
)

__all__ = [
    "create", "open", "unlink", "list", "Mailbox", "Message", "Attr",
    "MailboxInfo", "MessageTooLarge", "MailboxGone", "PRIO_MAX",
    "NAME_MAX", "MAX_MSGS_LIMIT", "MAX_MSGSIZE_LIMIT", "BATCH_MAX",
    "ATTR_OWNED", "ATTR_DEAD", "ATTR_UNLINKED", "ATTR_FANOUT",
    "ATTR_FANOUT_DROP", "O_SEND", "O_RECV", "O_NONBLOCK",
]

def _flags(send, recv, nonblock):
    f = _msgq.O_CLOEXEC  # PEP 446: not inherited across exec
    if send:
        f |= _msgq.O_SEND
    if recv:
        f |= _msgq.O_RECV
    if nonblock:
        f |= _msgq.O_NONBLOCK
    return f


def _adopt(fd, name):
    try:
        mb = Mailbox(fd)
    except BaseException:
        _os.close(fd)
        raise
    mb.name = name
    return mb


def create(name, max_msgs=10, max_msgsize=8192, mode=0o600, *,
           exclusive=False, owned=False, send=True, recv=True,
           nonblock=False, fanout=None):
    """Create the mailbox name and return a Mailbox for it (msgq_create(3)).

    max_msgs: capacity in messages (0: a rendezvous mailbox, where a send
    waits for a receiver); max_msgsize: the largest message in bytes;
    mode: permission bits, reduced by the umask. Without exclusive an
    existing mailbox of that name is opened instead (FileExistsError with
    it). owned=True: the mailbox is removed when this handle is closed;
    calls on other handles then raise MailboxGone. send/recv: the rights
    of the handle; nonblock: every call on it fails with BlockingIOError
    rather than wait. fanout="block" or "drop" makes a fan-out mailbox
    (msgq(4)): every handle opened to receive gets every message sent
    while it is open; one holding max_msgs messages blocks senders, or
    with "drop" loses its oldest message of the lowest priority, the new
    one included.
    """
    flags = _flags(send, recv, nonblock)
    if exclusive:
        flags |= _msgq.O_EXCL
    if owned:
        flags |= _msgq.O_OWNED
    if fanout == "drop":
        flags |= _msgq.O_FANOUT | _msgq.O_FANOUT_DROP
    elif fanout == "block":
        flags |= _msgq.O_FANOUT
    elif fanout is not None:
        raise ValueError("fanout: 'block', 'drop' or None")
    return _adopt(_msgq.create(name, flags, mode, max_msgs, max_msgsize),
                  name)


def open(name, send=True, recv=True, nonblock=False):
    """Open the existing mailbox name (msgq_open(3)); FileNotFoundError if
    there is none, PermissionError without the right (receiving needs read
    permission, sending write permission)."""
    return _adopt(_msgq.open(name, _flags(send, recv, nonblock)), name)


def unlink(name):
    """Remove the name of a mailbox (msgq_unlink(3)). Open handles keep
    working; the mailbox is freed with the last of them."""
    _msgq.unlink(name)


class MailboxInfo(_NamedTuple):
    """One mailbox of the IPC namespace, as /proc/msgq shows it (msgq(4))."""
    name: str
    max_msgs: int
    max_msgsize: int
    cur_msgs: int
    cur_bytes: int
    total_sent: int
    total_received: int
    mode: int
    uid: int
    gid: int
    owned: bool
    fanout: str = ""
    subscribers: int = 0


def list():
    """The mailboxes of the caller's IPC namespace, from /proc/msgq, as a
    list of MailboxInfo sorted by name. FileNotFoundError when msgq is not
    loaded."""
    out = []
    with _os.fdopen(_os.open("/proc/msgq", _os.O_RDONLY), "r") as f:
        header = next(f, "").split()
        for line in f:
            v = dict(zip(header, line.split()))
            if len(v) != len(header):
                continue
            flags = v["flags"].split(",")
            fanout = [x for x in flags if x.startswith("fanout")]
            out.append(MailboxInfo(
                v["name"], *(int(v[k]) for k in (
                    "max_msgs", "max_msgsize", "cur_msgs", "cur_bytes",
                    "total_sent", "total_received")),
                int(v["mode"], 8), int(v["uid"]), int(v["gid"]),
                "owned" in flags,
                "drop" if "fanout-drop" in fanout else
                "block" if fanout else "",
                int(v.get("subscribers", 0))))
    return sorted(out)


class _Waiters:
    """The tasks of one event loop waiting for one direction of a handle.

    One callback (loop.add_reader or add_writer) serves them all: it wakes
    every waiter and is removed; each then tries its call again without
    blocking, and waits again if another took the message or the room.
    The callback only wakes: the message is received by the task itself,
    after it resumes, so a task cancelled while waiting has taken nothing.
    The callback is removed once no task waits, cancelled ones included.
    """

    def __init__(self, loop, fd, add, remove):
        self.loop, self.fd = loop, fd
        self.add, self.remove = add, remove
        self.futures = _collections.deque()

    def _wake(self):
        self.remove(self.fd)
        while self.futures:
            fut = self.futures.popleft()
            if not fut.done():
                fut.set_result(None)

    async def wait(self):
        fut = self.loop.create_future()
        if not self.futures:
            self.add(self.fd, self._wake)
        self.futures.append(fut)
        try:
            await fut
        finally:
            if not fut.done():
                fut.cancel()
            try:
                self.futures.remove(fut)
            except ValueError:
                pass
            if not self.futures:
                self.remove(self.fd)


class Mailbox(_msgq.Mailbox):
    """A mailbox handle (msgq.create(), msgq.open()).

    Methods: send, recv, peek, send_many, recv_many, sendrecv (each waits,
    with the GIL released, unless block=False or until timeout seconds);
    attr, fileno, close; with-statement; asend, arecv and async iteration
    for asyncio. Usable after fork() in both processes (the handle is
    inherited). name is the name it was opened by (None for Mailbox(fd)).
    """

    name = None

    def __repr__(self):
        if self.closed:
            return "<msgq.Mailbox %r closed>" % (self.name,)
        return "<msgq.Mailbox %r fd=%d>" % (self.name, self.fileno())

    def _waiters(self, loop, write):
        key = "_wwait" if write else "_rwait"
        table = self.__dict__.setdefault(key, {})
        w = table.get(loop)
        if w is None or w.fd != self.fileno():
            if write:
                w = _Waiters(loop, self.fileno(), loop.add_writer,
                             loop.remove_writer)
            else:
                w = _Waiters(loop, self.fileno(), loop.add_reader,
                             loop.remove_reader)
            table[loop] = w
        return w

    async def asend(self, data, prio=0, *, timeout=None):
        """send() for asyncio: waits, without blocking the event loop or
        taking a thread, until the mailbox has room (loop.add_writer on
        the handle). timeout in seconds: TimeoutError."""
        async def attempt():
            loop = _asyncio.get_running_loop()
            while True:
                try:
                    return self.send(data, prio, block=False)
                except BlockingIOError:
                    pass
                await self._waiters(loop, True).wait()
        if timeout is None:
            return await attempt()
        return await _asyncio.wait_for(attempt(), timeout)

    async def arecv(self, *, timeout=None):
        """recv() for asyncio: waits, without blocking the event loop or
        taking a thread, for a message (loop.add_reader on the handle).
        A cancelled arecv() has taken no message. timeout in seconds:
        TimeoutError."""
        async def attempt():
            loop = _asyncio.get_running_loop()
            while True:
                try:
                    return self.recv(block=False)
                except BlockingIOError:
                    pass
                await self._waiters(loop, False).wait()
        if timeout is None:
            return await attempt()
        return await _asyncio.wait_for(attempt(), timeout)

    def __aiter__(self):
        return self

    async def __anext__(self):
        """async for msg in mb: arecv() until the mailbox is gone."""
        try:
            return await self.arecv()
        except MailboxGone:
            raise StopAsyncIteration from None
