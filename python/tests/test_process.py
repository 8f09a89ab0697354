# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Processes, signals and threads: fork(), SIGALRM and Ctrl-C during a
blocked call (PEP 475), and the GIL released while a call waits."""
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import msgq


def test_fork_both_processes_use_the_handle(name):
    with msgq.create(name, max_msgs=4, max_msgsize=32) as mb:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                got = mb.recv(timeout=10)        # waits for the parent
                mb.send(b"child got " + got.data, 5)
                code = 0
            finally:
                os._exit(code)
        time.sleep(0.2)
        mb.send(b"hi", 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        m = mb.recv(timeout=10)
        assert (m.data, m.prio, m.pid) == (b"child got hi", 5, pid)


def test_fork_child_opens_by_name(mb, name):
    pid = os.fork()
    if pid == 0:
        try:
            with msgq.open(name, recv=False) as tx:
                tx.send(b"by name")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    m = mb.recv(timeout=10)
    assert (m.data, m.pid) == (b"by name", pid)


@pytest.fixture
def alarm_handler():
    """Install a SIGALRM handler for the test; restores the old one."""
    old = signal.getsignal(signal.SIGALRM)
    yield lambda h: signal.signal(signal.SIGALRM, h)
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, old)


def test_sigalrm_handler_returns_recv_goes_on(mb, alarm_handler):
    seen = []
    alarm_handler(lambda s, f: seen.append(s))
    t0 = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    threading.Timer(0.6, mb.send, (b"after the alarm",)).start()
    m = mb.recv(timeout=10)
    assert seen == [signal.SIGALRM]
    assert m.data == b"after the alarm" and time.monotonic() - t0 >= 0.6


def test_sigalrm_keeps_the_timeout(mb, alarm_handler):
    alarm_handler(lambda s, f: None)
    signal.setitimer(signal.ITIMER_REAL, 0.1, 0.1)  # every 0.1 s
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        mb.recv(timeout=0.5)
    assert 0.5 <= time.monotonic() - t0 < 3


class Alarm(Exception):
    pass


def test_sigalrm_handler_raises_nothing_lost(mb, alarm_handler):
    def handler(s, f):
        raise Alarm()
    alarm_handler(handler)
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    with pytest.raises(Alarm):
        mb.recv()
    mb.send(b"later")
    assert mb.recv(block=False).data == b"later"


def test_sigalrm_during_sendrecv_sends_once(name, alarm_handler):
    seen = []
    alarm_handler(lambda s, f: seen.append(s))
    with msgq.create(name, max_msgs=4, max_msgsize=32) as server, \
            msgq.create(name + "-r", max_msgs=4, max_msgsize=32, owned=True) as client:
        def serve():
            time.sleep(0.6)
            reqs = server.recv_many(10, block=False)
            client.send(b"%d requests" % len(reqs))
        t = threading.Thread(target=serve)
        t.start()
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        reply = client.sendrecv(b"req", to=server, timeout=10)
        t.join()
        assert seen == [signal.SIGALRM]
        assert reply.data == b"1 requests"
        assert server.attr.total_sent == 1


def test_sigalrm_during_send_many(name, alarm_handler):
    seen = []
    alarm_handler(lambda s, f: seen.append(s))
    with msgq.create(name, max_msgs=2, max_msgsize=8) as mb:
        threading.Timer(0.6, lambda: [mb.recv() for _ in range(2)]).start()
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        assert mb.send_many([b"1", b"2", b"3", b"4"], timeout=10) == 4
        assert seen == [signal.SIGALRM]
        assert [m.data for m in mb.recv_many(4)] == [b"3", b"4"]


CTRL_C = r"""
import msgq, sys
mb = msgq.open(sys.argv[1])
print("waiting", flush=True)
try:
    mb.recv()
except KeyboardInterrupt:
    print("KeyboardInterrupt", flush=True)
    sys.exit(3)
"""


def test_ctrl_c_interrupts_a_blocked_recv(mb, name):
    p = subprocess.Popen([sys.executable, "-c", CTRL_C, name],
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline() == "waiting\n"
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=10)
    assert (p.returncode, out) == (3, "KeyboardInterrupt\n")
    mb.send(b"kept")
    assert mb.recv(block=False).data == b"kept"


def test_blocked_recv_releases_the_gil(mb):
    """While one thread waits in recv(), the others run Python code."""
    got = []

    def waiter():
        got.append(mb.recv(timeout=4))
    t0 = time.monotonic()
    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.1)
    n = 0
    while time.monotonic() - t0 < 0.5:
        n += sum(range(1000)) and 1
    elapsed = time.monotonic() - t0
    assert t.is_alive() and not got, "the waiter should still be waiting"
    assert n > 10 and elapsed < 2, "the main thread was held up %.1f s" % elapsed
    mb.send(b"wake")
    t.join()
    assert got[0].data == b"wake"


@pytest.mark.parametrize("call", ["send", "send_many", "recv_many", "peek",
                                  "sendrecv"])
def test_every_wait_releases_the_gil(name, call):
    with msgq.create(name, max_msgs=1, max_msgsize=8) as mb:
        if call in ("send", "send_many"):
            mb.send(b"full")
        fn = {"send": lambda: mb.send(b"x", timeout=4),
              "send_many": lambda: mb.send_many([b"x"], timeout=4),
              "recv_many": lambda: mb.recv_many(2, timeout=4),
              "peek": lambda: mb.peek(timeout=4),
              "sendrecv": lambda: mb.sendrecv(b"x", sync=True, timeout=4)}[call]
        t0 = time.monotonic()
        t = threading.Thread(target=lambda: pytest.raises(OSError, fn))
        t.start()
        time.sleep(0.1)
        sum(range(10000))
        assert time.monotonic() - t0 < 2 and t.is_alive()
        t.join()
