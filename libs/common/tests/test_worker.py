"""PollingWorker: runs its rounds, backs off on errors and always stops."""

import asyncio

from csq_common.worker import PollingWorker, WakeSignal


class Counting(PollingWorker):
    name = "counting"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rounds = 0
        self.fail_next = 0

    async def work_once(self) -> bool:
        self.rounds += 1
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("dependency away")
        return False


async def test_a_wake_up_arriving_with_the_stop_starts_no_further_round():
    wake = WakeSignal()
    worker = Counting(poll_seconds=3600, wake_signal=wake)
    worker.start()
    await asyncio.sleep(0.05)  # idle, waiting for a wake-up
    assert worker.rounds == 1
    wake()  # lands in the same turn as the cancellation below (asyncio.wait_for would swallow it)
    await asyncio.wait_for(worker.stop(), 5)
    assert worker.rounds == 1  # stopped: no further round (it used to loop on, and stop() to wait)


async def test_a_woken_worker_runs_again_and_a_failing_round_is_retried():
    wake = WakeSignal()
    worker = Counting(poll_seconds=3600, wake_signal=wake, max_backoff_seconds=0.01)
    worker.start()
    try:
        await asyncio.sleep(0.05)
        worker.fail_next = 1
        wake()
        for _ in range(200):
            if worker.rounds >= 3:  # woken round failed, retried after the backoff
                break
            await asyncio.sleep(0.01)
        assert worker.rounds == 3 and worker.fail_next == 0
    finally:
        await asyncio.wait_for(worker.stop(), 5)


class Stubborn(PollingWorker):
    """A round that, like some library clean-up code, swallows its cancellation and then waits on
    something that never happens (a peer that never answers)."""

    name = "stubborn"

    async def work_once(self) -> bool:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            await asyncio.Event().wait()
        return False


async def test_a_worker_that_ignores_its_cancellation_is_left_behind_when_its_stop_time_is_up():
    worker = Stubborn(poll_seconds=3600)
    worker.start()
    await asyncio.sleep(0.05)
    loop = asyncio.get_running_loop()
    started = loop.time()
    ended = await asyncio.wait_for(worker.stop(timeout=0.5), 5)  # it used to wait for ever
    assert ended is False and loop.time() - started < 1.0
