# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Fixtures of the msgq tests, and --tap FILE: one TAP line per test,
"ok N NAME", "not ok N NAME" or "ok N NAME # SKIP WHY", written to FILE as
each test ends (make check's Debian rig nests them in its KTAP output,
where scripts/scan-log.sh counts them)."""
import itertools
import os

import pytest

import msgq

_names = itertools.count()


@pytest.fixture
def name():
    """A mailbox name of this test alone, unlinked at its end."""
    n = "pytest-%d-%d" % (os.getpid(), next(_names))
    yield n
    try:
        msgq.unlink(n)
    except FileNotFoundError:
        pass


@pytest.fixture
def mb(name):
    """A fresh mailbox: 16 messages of up to 256 bytes."""
    with msgq.create(name, max_msgs=16, max_msgsize=256) as m:
        yield m


def pytest_addoption(parser):
    parser.addoption("--tap", metavar="FILE",
                     help="write one TAP line per test to FILE")


class _Tap:
    def __init__(self, path):
        self.f = open(path, "w", buffering=1)
        self.n = 0
        self.state = {}

    def pytest_runtest_logreport(self, report):
        st = self.state.setdefault(report.nodeid, ["ok", ""])
        if report.failed:
            st[0] = "not ok"
        elif report.skipped and st[0] == "ok":
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
            st[1] = " # SKIP " + str(reason).replace("\n", " ")

    def pytest_runtest_logfinish(self, nodeid, location):
        self.n += 1
        st = self.state.pop(nodeid, ["not ok", " # no report"])
        self.f.write("%s %d %s%s\n" % (st[0], self.n, nodeid, st[1]))

    def pytest_sessionfinish(self, session):
        self.f.write("1..%d\n" % self.n)
        self.f.close()


def pytest_configure(config):
    path = config.getoption("--tap")
    if path:
        config.pluginmanager.register(_Tap(path), "msgq-tap")
