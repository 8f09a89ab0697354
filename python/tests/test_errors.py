# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Every error: the standard exception of its errno, or msgq's own, and no
message lost to any."""
import errno
import os
import threading
import time

import pytest

import msgq


def test_open_missing_is_file_not_found(name):
    with pytest.raises(FileNotFoundError) as e:
        msgq.open(name)
    assert e.value.errno == errno.ENOENT


def test_unlink_missing_is_file_not_found(name):
    with pytest.raises(FileNotFoundError):
        msgq.unlink(name)


def test_create_exclusive_existing_is_file_exists(mb, name):
    with pytest.raises(FileExistsError):
        msgq.create(name, exclusive=True)


@pytest.mark.skipif(os.geteuid() == 0, reason="root passes permission checks")
def test_no_right_is_permission_error(name):
    with msgq.create(name, mode=0o400):
        with pytest.raises(PermissionError):
            msgq.open(name, recv=False)          # sending needs write permission
        msgq.open(name, send=False).close()      # receiving needs read permission


def test_full_or_empty_without_blocking_is_blocking_io(name):
    with msgq.create(name, max_msgs=1, max_msgsize=8) as mb:
        with pytest.raises(BlockingIOError) as e:
            mb.recv(block=False)
        assert e.value.errno == errno.EAGAIN
        with pytest.raises(BlockingIOError):
            mb.peek(block=False)
        with pytest.raises(BlockingIOError):
            mb.recv_many(4, block=False)
        mb.send(b"1", block=False)
        with pytest.raises(BlockingIOError):
            mb.send(b"2", block=False)
        assert mb.recv().data == b"1"


def test_timeout_is_timeout_error(mb):
    with pytest.raises(TimeoutError) as e:
        mb.recv(timeout=0.05)
    assert e.value.errno == errno.ETIMEDOUT
    with pytest.raises(TimeoutError):
        mb.recv_many(3, timeout=0.05)
    with pytest.raises(TimeoutError):
        mb.sendrecv(b"x", timeout=0.05, sync=True)  # no other receiver
    assert mb.attr.cur_msgs == 0  # the synchronous send was withdrawn


def test_too_long_is_message_too_large(mb):
    with pytest.raises(msgq.MessageTooLarge) as e:
        mb.send(b"x" * 257)
    assert isinstance(e.value, OSError) and e.value.errno == errno.EMSGSIZE
    with pytest.raises(msgq.MessageTooLarge):
        mb.sendrecv(b"x" * 257)
    # send_many checks every item before sending any.
    with pytest.raises(msgq.MessageTooLarge):
        mb.send_many([b"ok", b"x" * 257, b"ok"])
    assert mb.attr.cur_msgs == 0


def test_owner_gone_is_mailbox_gone(name):
    owner = msgq.create(name, owned=True)
    other = msgq.open(name)
    owner.close()
    with pytest.raises(msgq.MailboxGone) as e:
        other.recv()
    assert isinstance(e.value, OSError) and e.value.errno == errno.EIDRM
    with pytest.raises(msgq.MailboxGone):
        other.send(b"x")
    assert other.attr.flags & msgq.ATTR_DEAD
    other.close()


def test_blocked_recv_sees_mailbox_gone(name):
    owner = msgq.create(name, owned=True)
    other = msgq.open(name)
    threading.Timer(0.2, owner.close).start()
    with pytest.raises(msgq.MailboxGone):
        other.recv(timeout=10)
    other.close()


def test_wrong_direction_is_ebadf(mb, name):
    with msgq.open(name, send=False) as rx, msgq.open(name, recv=False) as tx:
        with pytest.raises(OSError) as e:
            rx.send(b"x")
        assert e.value.errno == errno.EBADF
        with pytest.raises(OSError) as e:
            tx.recv()
        assert e.value.errno == errno.EBADF


def test_bad_names(name):
    with pytest.raises(OSError) as e:
        msgq.create("two words")
    assert e.value.errno == errno.EINVAL
    with pytest.raises(OSError) as e:
        msgq.create("n" * (msgq.NAME_MAX + 1))
    assert e.value.errno == errno.ENAMETOOLONG
    with pytest.raises(ValueError):
        msgq.create("nul\0byte")
    with pytest.raises(OSError) as e:
        msgq.create("caf\u00e9")  # printable ASCII only
    assert e.value.errno == errno.EINVAL


def test_bad_limits_are_einval(name):
    with pytest.raises(OSError) as e:
        msgq.create(name, max_msgsize=0)
    assert e.value.errno == errno.EINVAL
    with pytest.raises(OSError) as e:
        msgq.create(name, max_msgs=msgq.MAX_MSGS_LIMIT + 1)
    assert e.value.errno == errno.EINVAL


def test_rendezvous_send_many_is_einval(name):
    with msgq.create(name, max_msgs=0, max_msgsize=8) as mb:
        with pytest.raises(OSError) as e:
            mb.send_many([b"x"])
        assert e.value.errno == errno.EINVAL


def test_argument_errors(mb):
    for prio in (-1, msgq.PRIO_MAX):
        with pytest.raises(ValueError):
            mb.send(b"x", prio)
        with pytest.raises(ValueError):
            mb.send_many([(b"x", prio)])
    for timeout in (-1, float("nan")):
        with pytest.raises(ValueError):
            mb.recv(timeout=timeout)
    with pytest.raises(TypeError):
        mb.send("text is not bytes")
    with pytest.raises(TypeError):
        mb.send_many([(b"x",)])
    with pytest.raises(ValueError):
        mb.recv_many(0)
    with pytest.raises(TypeError):
        mb.sendrecv(b"x", to=3)
    with pytest.raises(ValueError):
        msgq.Mailbox(-1)
    with pytest.raises(OSError) as e:
        msgq.Mailbox(0)  # not a mailbox handle
    assert e.value.errno == errno.ENOTTY
    assert mb.attr.cur_msgs == 0


def test_no_message_lost_on_errors(name):
    with msgq.create(name, max_msgs=2, max_msgsize=8) as mb:
        mb.send(b"a", 1)
        mb.send(b"b", 2)
        for call in (lambda: mb.send(b"c", timeout=0.01),
                     lambda: mb.send(b"c", block=False),
                     lambda: mb.send(b"toolongtoolong")):
            with pytest.raises(OSError):
                call()
        assert mb.attr.cur_msgs == 2
        assert [m.data for m in mb.recv_many(2)] == [b"b", b"a"]
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            mb.recv(timeout=0.05)
        assert time.monotonic() - t0 < 5
