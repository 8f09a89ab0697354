# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""asyncio: asend, arecv, async for, on loop.add_reader/add_writer; 100
concurrent tasks, no thread per wait, cancellation that loses nothing."""
import asyncio
import threading
import time

import pytest

import msgq


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_asend_arecv(mb):
    async def main():
        await mb.asend(b"a", 3)
        m = await mb.arecv()
        return m.data, m.prio
    assert run(main()) == (b"a", 3)


def test_arecv_waits_without_blocking_the_loop(mb):
    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1
        tick = asyncio.create_task(ticker())
        asyncio.get_running_loop().call_later(0.3, mb.send, b"late")
        m = await mb.arecv()
        tick.cancel()
        return m.data, ticks
    data, ticks = run(main())
    assert data == b"late" and ticks >= 3  # a blocked loop ticks 0 times


def test_100_tasks_each_message_once(name):
    n = 100
    with msgq.create(name, max_msgs=5, max_msgsize=16) as mb:
        async def main():
            threads = threading.active_count()
            receivers = [asyncio.create_task(mb.arecv()) for _ in range(n)]
            senders = [asyncio.create_task(mb.asend(b"%d" % i, i % 3))
                       for i in range(n)]
            await asyncio.sleep(0.05)
            assert threading.active_count() == threads  # no thread per wait
            await asyncio.gather(*senders)
            return await asyncio.gather(*receivers)
        got = run(main())
    assert sorted(int(m.data) for m in got) == list(range(n))


def test_async_for(mb):
    async def main():
        for i in range(5):
            mb.send(b"%d" % i)
        out = []
        async for m in mb:
            out.append(m.data)
            if len(out) == 5:
                break
        return out
    assert run(main()) == [b"0", b"1", b"2", b"3", b"4"]


def test_async_for_ends_when_the_mailbox_is_gone(name):
    owner = msgq.create(name, owned=True)
    other = msgq.open(name)

    async def main():
        asyncio.get_running_loop().call_later(0.2, owner.close)
        return [m async for m in other]
    assert run(main()) == []
    other.close()


def test_asend_waits_for_room(name):
    with msgq.create(name, max_msgs=1, max_msgsize=8) as mb:
        async def main():
            mb.send(b"1")
            t0 = time.monotonic()
            asyncio.get_running_loop().call_later(0.2, mb.recv)
            await mb.asend(b"2")
            return time.monotonic() - t0
        assert run(main()) >= 0.2
        assert mb.recv(block=False).data == b"2"


def test_timeouts(name):
    with msgq.create(name, max_msgs=1, max_msgsize=8) as mb:
        async def main():
            loop = asyncio.get_running_loop()
            with pytest.raises(TimeoutError):
                await mb.arecv(timeout=0.1)
            assert loop.remove_reader(mb.fileno()) is False
            mb.send(b"1")
            with pytest.raises(TimeoutError):
                await mb.asend(b"2", timeout=0.1)
            assert loop.remove_writer(mb.fileno()) is False
        run(main())
        assert mb.recv(block=False).data == b"1"
        assert mb.attr.cur_msgs == 0


def test_cancelled_arecv_removes_its_reader(mb):
    async def main():
        loop = asyncio.get_running_loop()
        task = asyncio.create_task(mb.arecv())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert loop.remove_reader(mb.fileno()) is False, "reader left behind"
        mb.send(b"kept")
        await asyncio.sleep(0.05)
    run(main())
    assert mb.recv(block=False).data == b"kept"


def test_cancel_after_the_message_arrived_loses_nothing(mb):
    async def main():
        loop = asyncio.get_running_loop()
        tasks = [asyncio.create_task(mb.arecv()) for _ in range(3)]
        await asyncio.sleep(0.05)
        mb.send(b"m")               # the waiters are woken...
        await asyncio.sleep(0)      # ...by the reader callback, maybe
        for t in tasks:             # ...and cancelled before they run
            t.cancel()
        res = await asyncio.gather(*tasks, return_exceptions=True)
        assert loop.remove_reader(mb.fileno()) is False
        return [r for r in res if not isinstance(r, asyncio.CancelledError)]
    taken = run(main())
    left = [mb.recv(block=False)] if mb.attr.cur_msgs else []
    assert [m.data for m in taken + left] == [b"m"]


def test_cancel_one_of_many_waiters(mb):
    async def main():
        loop = asyncio.get_running_loop()
        a = asyncio.create_task(mb.arecv())
        b = asyncio.create_task(mb.arecv())
        await asyncio.sleep(0.05)
        a.cancel()
        await asyncio.sleep(0.05)
        mb.send(b"for b")
        m = await b
        assert loop.remove_reader(mb.fileno()) is False
        return m.data, a.cancelled()
    assert run(main()) == (b"for b", True)


def test_a_loop_in_another_thread(mb):
    out = []
    t = threading.Thread(target=lambda: out.append(run(mb.arecv())))
    t.start()
    time.sleep(0.2)
    mb.send(b"x")
    t.join(10)
    assert out[0].data == b"x"
