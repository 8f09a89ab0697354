#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""python/bench.py: msgq from Python against multiprocessing.Queue and
sysv_ipc (Debian's python3-sysv-ipc), two processes on one machine.

    python3 python/bench.py [--rounds N] [--scale X]

Three cases, each a parent and a child made with os.fork():
  pingpong-64   64-byte request, 64-byte reply: round trips per second
  oneway-16     the child sends N 16-byte messages, the parent receives
                them: messages per second, from "go" to the last one
  oneway-4096   the same with 4 KiB messages
Mechanisms: msgq (send + recv: one system call each), msgq-batch (oneway:
send_many/recv_many, 64 a call; pingpong: sendrecv, one system call per
side per round trip), mp.Queue (multiprocessing.Queue, a pipe and a feeder
thread, pickling), sysv_ipc (a SysV message queue, with message types for
the two directions of the ping-pong). Capacity: msgq and sysv_ipc 64
messages (sysv_ipc's msg_qbytes raised to it, as root), mp.Queue a pipe
(64 KiB) and its feeder thread's buffer.
Each case runs with both processes pinned to one CPU, then free on all
the CPUs there are. Each figure is the median of --rounds runs, the
rounds interleaving the mechanisms. Prints a table, between
MSGQ-BENCH-PY-BEGIN and MSGQ-BENCH-PY-END lines (make bench-python takes
it from the guest's console there), with the ratios msgq / mp.Queue and
msgq / sysv_ipc.
"""
import argparse
import multiprocessing
import os
import statistics
import sys
import time

# The installed package, not python/msgq/ beside this script (sys.path[0]),
# which has no extension built in it.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
import msgq  # noqa: E402

try:
    import sysv_ipc
except ImportError:  # the table says "-" for it
    sysv_ipc = None

CAP = 64


def fork(child):
    """Run child() in a forked process; returns its pid."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            child()
            code = 0
        finally:
            os._exit(code)
    return pid


def reap(pid):
    _, st = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(st) != 0:
        raise RuntimeError("bench child failed")


class Msgq:
    name = "msgq"

    def __init__(self, size):
        tag = "bench-%d" % os.getpid()
        self.a = msgq.create(tag + "-a", CAP, max(size, 64), owned=True)
        self.b = msgq.create(tag + "-b", CAP, max(size, 64), owned=True)

    def close(self):
        self.a.close()
        self.b.close()

    # a: parent -> child, b: child -> parent
    def ping(self, p):
        self.a.send(p)
        return self.b.recv().data

    def pong_loop(self, n):
        for _ in range(n):
            self.b.send(self.a.recv().data)

    def produce(self, p, n):
        for _ in range(n):
            self.b.send(p)

    def consume(self, n):
        for _ in range(n):
            self.b.recv()


class MsgqBatch(Msgq):
    name = "msgq-batch"

    def ping(self, p):
        return self.b.sendrecv(p, to=self.a).data

    def pong_loop(self, n):
        req = self.a.recv().data
        for _ in range(n - 1):
            req = self.a.sendrecv(req, to=self.b).data
        self.b.send(req)

    def produce(self, p, n):
        while n:
            k = min(n, CAP)
            n -= self.b.send_many([p] * k)

    def consume(self, n):
        while n:
            n -= len(self.b.recv_many(min(n, CAP)))


class MpQueue:
    name = "mp.Queue"

    def __init__(self, size):
        ctx = multiprocessing.get_context("fork")
        self.a, self.b = ctx.Queue(), ctx.Queue()

    def close(self):
        for q in (self.a, self.b):
            q.close()
            q.join_thread()

    def ping(self, p):
        self.a.put(p)
        return self.b.get()

    def pong_loop(self, n):
        for _ in range(n):
            self.b.put(self.a.get())
        self.close()

    def produce(self, p, n):
        for _ in range(n):
            self.b.put(p)
        self.close()

    def consume(self, n):
        for _ in range(n):
            self.b.get()


class Sysv:
    name = "sysv_ipc"

    def __init__(self, size):
        # Receives sized for the message (the default is 2048 bytes), and
        # room for CAP of them as msgq has (raising msg_qbytes past the
        # system's msgmnb takes root, as make bench-python runs).
        self.q = sysv_ipc.MessageQueue(None, sysv_ipc.IPC_CREX,
                                       max_message_size=max(size, 64))
        try:
            self.q.max_size = CAP * max(size, 64)
        except (sysv_ipc.PermissionsError, ValueError, OSError):
            pass

    def close(self):
        try:
            self.q.remove()
        except sysv_ipc.ExistentialError:
            pass

    # type 1: parent -> child, type 2: child -> parent
    def ping(self, p):
        self.q.send(p, type=1)
        return self.q.receive(type=2)[0]

    def pong_loop(self, n):
        for _ in range(n):
            self.q.send(self.q.receive(type=1)[0], type=2)

    def produce(self, p, n):
        for _ in range(n):
            self.q.send(p, type=2)

    def consume(self, n):
        for _ in range(n):
            self.q.receive(type=2)


def one_run(mech, case, n):
    """Seconds for n round trips or n messages of one mechanism."""
    size = {"pingpong-64": 64, "oneway-16": 16, "oneway-4096": 4096}[case]
    payload = b"x" * size
    m = mech(size)
    go_r, go_w = os.pipe()
    try:
        if case.startswith("pingpong"):
            pid = fork(lambda: (os.read(go_r, 1), m.pong_loop(n)))
            os.write(go_w, b"g")
            t0 = time.perf_counter()
            for _ in range(n):
                m.ping(payload)
        else:
            pid = fork(lambda: (os.read(go_r, 1), m.produce(payload, n)))
            os.write(go_w, b"g")
            t0 = time.perf_counter()
            m.consume(n)
        elapsed = time.perf_counter() - t0
        reap(pid)
    finally:
        os.close(go_r)
        os.close(go_w)
        m.close()
    return elapsed


def main():
    ap = argparse.ArgumentParser(
        description="msgq from Python against multiprocessing.Queue and "
        "sysv_ipc (python/bench.py's top comment)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply the message counts (default 1)")
    args = ap.parse_args()
    counts = {"pingpong-64": 3000, "oneway-16": 20000, "oneway-4096": 10000}
    mechs = [Msgq, MsgqBatch, MpQueue] + ([Sysv] if sysv_ipc else [])
    names = [m.name for m in mechs]
    cpus = sorted(os.sched_getaffinity(0))
    # "1 CPU": both processes pinned to one (a switch per wakeup, as make
    # bench's one-vCPU figures); "N CPUs": free to run side by side.
    places = [("1 CPU", {cpus[0]})]
    if len(cpus) > 1:
        places.append(("%d CPUs" % len(cpus), set(cpus)))
    rate = {}
    for place, mask in places:
        os.sched_setaffinity(0, mask)
        for case, n in counts.items():
            n = max(10, int(n * args.scale))
            # Rounds interleave the mechanisms, so that a change in the
            # machine's load falls on all of them alike.
            runs = {m.name: [] for m in mechs}
            for _ in range(args.rounds):
                for mech in mechs:
                    runs[mech.name].append(one_run(mech, case, n))
            for x in names:
                rate[place, case, x] = n / statistics.median(runs[x])
                print("bench: %-7s %-12s %-10s %10.0f /s" % (
                    place, case, x, rate[place, case, x]),
                    file=sys.stderr, flush=True)
    os.sched_setaffinity(0, set(cpus))
    print("MSGQ-BENCH-PY-BEGIN")
    print("Python %s, %d CPUs, median of %d rounds; messages/s (pingpong: "
          "round trips/s)" % (sys.version.split()[0], len(cpus), args.rounds))
    print()
    print("| CPUs | case | " + " | ".join(names) +
          " | msgq / mp.Queue | msgq / sysv_ipc |")
    print("|" + "---|" * (len(names) + 4))
    for place, _ in places:
        for case in counts:
            r = [rate[place, case, x] for x in names]
            m = rate[place, case, "msgq"]
            sysv = rate.get((place, case, "sysv_ipc"))
            print("| %s | %s | %s | %.1f× | %s |" % (
                place.split()[0], case, " | ".join("%.0f" % x for x in r),
                m / rate[place, case, "mp.Queue"],
                "%.2f×" % (m / sysv) if sysv else "-"))
    print("MSGQ-BENCH-PY-END")


if __name__ == "__main__":
    main()
