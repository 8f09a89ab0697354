# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Every Mailbox method and module function, on their success paths."""
import os
import pydoc
import select
import selectors
import threading
import time

import pytest

import msgq


def test_send_recv_message_fields(mb):
    before = time.time_ns()
    mb.send(b"hello")
    m = mb.recv()
    assert isinstance(m, msgq.Message)
    assert m.data == b"hello" and type(m.data) is bytes
    assert m.prio == 0
    assert m.pid == os.getpid()
    assert m.uid == os.geteuid()
    assert before <= m.sent_ns <= time.time_ns()
    assert tuple(m)[:2] == (b"hello", 0)


def test_priority_order_and_fifo(mb):
    for data, prio in [(b"a", 0), (b"b", 9), (b"c", 5), (b"d", 9),
                       (b"e", msgq.PRIO_MAX - 1)]:
        mb.send(data, prio)
    got = [(m.data, m.prio) for m in (mb.recv() for _ in range(5))]
    assert got == [(b"e", msgq.PRIO_MAX - 1), (b"b", 9), (b"d", 9),
                   (b"c", 5), (b"a", 0)]


def test_empty_and_largest_message(mb):
    mb.send(b"")
    mb.send(b"x" * 256, prio=1)
    assert mb.recv().data == b"x" * 256
    assert mb.recv().data == b""


def test_bytes_like_payloads(mb):
    mb.send(bytearray(b"ba"))
    mb.send(memoryview(b"__mv__")[2:4])
    assert [mb.recv().data, mb.recv().data] == [b"ba", b"mv"]


def test_peek_leaves_the_message(mb):
    mb.send(b"p", 3)
    assert mb.peek() == mb.peek()
    assert mb.peek().data == b"p" and mb.attr.cur_msgs == 1
    assert mb.recv().data == b"p" and mb.attr.cur_msgs == 0


def test_send_many_recv_many_across_batches(name):
    n = 2500  # more than two batches of BATCH_MAX
    with msgq.create(name, max_msgs=n, max_msgsize=16) as mb:
        items = [b"%d" % i if i % 2 else (b"%d" % i, 1) for i in range(n)]
        assert mb.send_many(items) == n
        assert mb.attr.cur_msgs == n
        got = []
        while len(got) < n:
            batch = mb.recv_many(n)
            assert 1 <= len(batch) <= msgq.BATCH_MAX
            got += batch
    # Priority 1 (even numbers) first, each priority in order.
    want = [b"%d" % i for i in range(0, n, 2)] + [b"%d" % i for i in range(1, n, 2)]
    assert [m.data for m in got] == want
    assert {m.pid for m in got} == {os.getpid()}


def test_send_many_default_prio_and_generator(mb):
    assert mb.send_many((b"g%d" % i for i in range(3)), 7) == 3
    assert [(m.data, m.prio) for m in mb.recv_many(10)] == \
        [(b"g0", 7), (b"g1", 7), (b"g2", 7)]


def test_send_many_stops_when_full_without_blocking(name):
    with msgq.create(name, max_msgs=3, max_msgsize=8) as mb:
        assert mb.send_many([b"1", b"2", b"3", b"4", b"5"], block=False) == 3
        with pytest.raises(BlockingIOError):
            mb.send_many([b"6"], block=False)
        assert [m.data for m in mb.recv_many(5)] == [b"1", b"2", b"3"]


def test_send_many_times_out_after_some(name):
    with msgq.create(name, max_msgs=2, max_msgsize=8) as mb:
        assert mb.send_many([b"1", b"2", b"3"], timeout=0.1) == 2
        with pytest.raises(TimeoutError):
            mb.send_many([b"4"], timeout=0.05)


def test_recv_many_takes_what_is_there(mb):
    mb.send(b"only")
    assert [m.data for m in mb.recv_many(10)] == [b"only"]


def test_sendrecv_request_reply(name):
    with msgq.create(name, max_msgs=4, max_msgsize=64) as server, \
            msgq.create(name + "-reply", max_msgs=4, max_msgsize=64, owned=True) as client:
        def serve():
            req = server.recv(timeout=10)
            client.send(b"re: " + req.data, 2)
        t = threading.Thread(target=serve)
        t.start()
        reply = client.sendrecv(b"ping", 4, to=server, timeout=10)
        t.join()
        assert (reply.data, reply.prio) == (b"re: ping", 2)
        assert server.attr.total_sent == 1


def test_sendrecv_on_itself(mb):
    assert mb.sendrecv(b"echo", 1).data == b"echo"


def test_sync_send_returns_once_received(mb):
    got = []

    def receiver():
        time.sleep(0.3)
        got.append(mb.recv())
    t0 = time.monotonic()
    t = threading.Thread(target=receiver)
    t.start()
    mb.send(b"sync", sync=True)
    assert time.monotonic() - t0 >= 0.3
    t.join()
    assert got[0].data == b"sync"


def test_rendezvous_mailbox(name):
    with msgq.create(name, max_msgs=0, max_msgsize=8) as mb:
        t = threading.Thread(target=lambda: mb.send(b"hand", timeout=10))
        t.start()
        assert mb.recv(timeout=10).data == b"hand"
        t.join()


def test_attr(name):
    with msgq.create(name, max_msgs=5, max_msgsize=100, mode=0o640, owned=True) as mb:
        mb.send(b"12345")
        a = mb.attr
        assert isinstance(a, msgq.Attr)
        assert (a.max_msgs, a.max_msgsize, a.cur_msgs, a.cur_bytes) == (5, 100, 1, 5)
        assert (a.total_sent, a.total_received) == (1, 0)
        assert a.mode & 0o777 == 0o640 & ~current_umask()
        assert a.uid == os.geteuid() and a.gid == os.getegid()
        assert a.flags & msgq.ATTR_OWNED
        assert a.handle_flags & (msgq.O_SEND | msgq.O_RECV) == msgq.O_SEND | msgq.O_RECV
        assert mb.max_msgsize == 100


def current_umask():
    m = os.umask(0)
    os.umask(m)
    return m


def test_open_rights(mb, name):
    with msgq.open(name, recv=False) as tx, msgq.open(name, send=False) as rx:
        assert tx.attr.handle_flags & msgq.O_RECV == 0
        tx.send(b"via tx")
        assert rx.recv().data == b"via tx"


def test_create_without_exclusive_opens_existing(mb, name):
    with msgq.create(name, max_msgs=1, max_msgsize=1) as again:
        assert again.attr.max_msgs == 16  # the existing mailbox's
        again.send(b"x" * 200)
    assert mb.recv().data == b"x" * 200


def test_unlink_keeps_open_handles(mb, name):
    msgq.unlink(name)
    with pytest.raises(FileNotFoundError):
        msgq.open(name)
    mb.send(b"still")
    assert mb.recv().data == b"still"
    assert mb.attr.flags & msgq.ATTR_UNLINKED


def test_list(name):
    with msgq.create(name, max_msgs=7, max_msgsize=33, owned=True) as mb, \
            msgq.create(name + "-b", max_msgs=2, max_msgsize=3):
        mb.send(b"abc")
        info = {i.name: i for i in msgq.list()}
        a, b = info[name], info[name + "-b"]
        assert isinstance(a, msgq.MailboxInfo)
        assert (a.max_msgs, a.max_msgsize, a.cur_msgs, a.cur_bytes) == (7, 33, 1, 3)
        assert (a.total_sent, a.total_received, a.owned) == (1, 0, True)
        assert a.uid == os.geteuid() and a.mode == 0o600 & ~current_umask()
        assert (b.max_msgs, b.owned) == (2, False)
        msgq.unlink(name + "-b")
    assert name not in {i.name for i in msgq.list()}


def test_fanout_every_subscriber_gets_every_message(name):
    with msgq.create(name, max_msgs=4, max_msgsize=16, exclusive=True,
                     owned=True, recv=False, fanout="drop") as tx, \
            msgq.open(name, send=False) as a, msgq.open(name, send=False) as b:
        tx.send(b"lo", 1)
        tx.send(b"hi", 5)
        assert [a.recv().data, a.recv().data] == [b"hi", b"lo"]
        assert [b.recv().data, b.recv().data] == [b"hi", b"lo"]
        attr = tx.attr
        assert attr.flags & msgq.ATTR_FANOUT and attr.flags & msgq.ATTR_FANOUT_DROP
        assert (attr.subscribers, attr.max_backlog, a.attr.lost) == (2, 0, 0)
        info = {i.name: i for i in msgq.list()}[name]
        assert (info.owned, info.fanout, info.subscribers) == (True, "drop", 2)
    with pytest.raises(ValueError):
        msgq.create(name, fanout="sideways")


def test_context_manager_and_close(name):
    with msgq.create(name) as mb:
        assert not mb.closed
        fd = mb.fileno()
    assert mb.closed
    with pytest.raises(OSError):
        os.fstat(fd)
    mb.close()  # a second close does nothing
    for call in (mb.fileno, mb.recv, lambda: mb.send(b"x"), lambda: mb.attr):
        with pytest.raises(ValueError):
            call()
    assert "closed" in repr(mb)


def test_mailbox_adopts_fd(mb, name):
    fd = os.dup(mb.fileno())
    other = msgq.Mailbox(fd)
    assert other.name is None and other.max_msgsize == 256
    other.send(b"dup")
    other.close()
    assert mb.recv().data == b"dup"


def test_fileno_select_and_selectors(name):
    with msgq.create(name, max_msgs=1, max_msgsize=8) as mb:
        assert select.select([mb], [mb], [], 0) == ([], [mb], [])
        mb.send(b"x")
        assert select.select([mb], [mb], [], 0) == ([mb], [], [])
        with selectors.DefaultSelector() as sel:
            sel.register(mb, selectors.EVENT_READ)
            assert [k.fileobj for k, _ in sel.select(0)] == [mb]
            mb.recv()
            assert sel.select(0) == []


def test_nonblocking_handle(name):
    with msgq.create(name, max_msgs=1, max_msgsize=8, nonblock=True) as mb:
        with pytest.raises(BlockingIOError):
            mb.recv()
        mb.send(b"1")
        with pytest.raises(BlockingIOError):
            mb.send(b"2")
        assert mb.attr.handle_flags & msgq.O_NONBLOCK


def test_timeouts(name):
    with msgq.create(name, max_msgs=1, max_msgsize=8) as mb:
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            mb.recv(timeout=0.2)
        assert time.monotonic() - t0 >= 0.2
        with pytest.raises(TimeoutError):
            mb.peek(timeout=0)
        mb.send(b"1")
        with pytest.raises(TimeoutError):
            mb.send(b"2", timeout=0.1)
        assert mb.recv(timeout=0).data == b"1"


def test_repr_and_name(mb, name):
    assert mb.name == name
    assert repr(mb) == "<msgq.Mailbox %r fd=%d>" % (name, mb.fileno())


def test_help_reads_well():
    text = pydoc.render_doc(msgq, renderer=pydoc.plaintext)
    for word in ("create(", "open(", "unlink(", "list(", "send(", "recv(",
                 "peek(", "send_many(", "recv_many(", "sendrecv(", "asend(",
                 "arecv(", "fileno(", "MessageTooLarge", "MailboxGone"):
        assert word in text, word
    for f in (msgq.create, msgq.open, msgq.unlink, msgq.list,
              msgq.Mailbox.send, msgq.Mailbox.recv, msgq.Mailbox.peek,
              msgq.Mailbox.send_many, msgq.Mailbox.recv_many,
              msgq.Mailbox.sendrecv, msgq.Mailbox.asend, msgq.Mailbox.arecv,
              msgq.Mailbox.fileno, msgq.Mailbox.close):
        assert f.__doc__ and len(f.__doc__) > 40, f


def test_stub_covers_the_api():
    stub = os.path.join(os.path.dirname(msgq.__file__), "__init__.pyi")
    with open(stub) as f:
        text = f.read()
    for n in msgq.__all__:
        assert n in text, n
    for n in ("send", "recv", "peek", "send_many", "recv_many", "sendrecv",
              "attr", "fileno", "close", "asend", "arecv", "__aiter__"):
        assert "def %s(" % n in text, n
