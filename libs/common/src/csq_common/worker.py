"""A background worker that polls, can be woken early, and backs off while its dependencies are
away: the shape shared by the outbox relay and notify-svc's delivery sender; and the bounded
stop every part of a service uses, so a stop never waits on a broker or database that is gone."""

from __future__ import annotations

import asyncio
import time

import structlog

log = structlog.get_logger(__name__)

#: How long a part's ``stop()`` may take when its caller gives no time (a service's grace period
#: is shared out by the runtime instead).
DEFAULT_STOP_SECONDS = 10.0


class Deadline:
    """A stop's time budget: ``until(share)`` is the seconds left until ``share`` of it is used up,
    so the parts stopped first cannot eat the time of those stopped last."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._started = time.monotonic()

    def until(self, share: float = 1.0) -> float:
        return max(self._started + self.seconds * share - time.monotonic(), 0.0)


def _retrieve(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("shutdown.task_failed", task=task.get_name(), error=repr(task.exception()))


async def settle(task: asyncio.Task, seconds: float, *, cancel: bool) -> bool:
    """Let ``task`` end within ``seconds`` (cancelled first if ``cancel``); True if it did.

    A task still running then is cancelled and left behind, never awaited: awaiting a cancelled
    task (or ``asyncio.wait_for`` on it) waits for as long as its own clean-up takes, and library
    code that suppresses the cancellation or closes a socket the peer never drains takes for ever.
    """
    if cancel:
        task.cancel()
    if not task.done():
        await asyncio.wait({task}, timeout=max(seconds, 0.0))
    if task.done():
        _retrieve(task)
        return True
    task.cancel()
    task.add_done_callback(_retrieve)
    log.warning("shutdown.abandoned", task=task.get_name(), seconds=round(seconds, 3))
    return False


async def within(awaitable, seconds: float, *, name: str) -> bool:
    """Run ``awaitable`` (a clean-up such as a client's ``stop()``) for at most ``seconds``."""
    task = asyncio.ensure_future(awaitable)
    task.set_name(name)
    return await settle(task, seconds, cancel=False)


class WakeSignal:
    """Wakes every started worker of one kind (e.g. all outbox relays of this process).

    A hint only: the workers also poll, so a wake-up before a commit costs one empty round."""

    def __init__(self) -> None:
        self._events: set[asyncio.Event] = set()

    def register(self, event: asyncio.Event) -> None:
        self._events.add(event)

    def unregister(self, event: asyncio.Event) -> None:
        self._events.discard(event)

    def __call__(self) -> None:
        for event in self._events:
            event.set()


class PollingWorker:
    """Subclasses implement :meth:`work_once`, returning True when more work is already waiting
    (then it runs again at once). Otherwise the worker sleeps until ``poll_seconds`` pass or
    ``wake_signal`` fires (then lingers ``linger_seconds`` to gather a batch). An exception is
    logged and retried with exponential backoff, capped at ``max_backoff_seconds``."""

    name = "worker"

    def __init__(
        self,
        *,
        poll_seconds: float,
        wake_signal: WakeSignal | None = None,
        linger_seconds: float = 0.0,
        max_backoff_seconds: float = 5.0,
    ) -> None:
        self._poll_seconds = poll_seconds
        self._wake_signal = wake_signal
        self._linger_seconds = linger_seconds
        self._max_backoff_seconds = max_backoff_seconds
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stopping = False

    async def work_once(self) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def start(self) -> None:
        if self._wake_signal is not None:
            self._wake_signal.register(self._wakeup)
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self, timeout: float = DEFAULT_STOP_SECONDS) -> bool:
        """Cancel the worker; True if it ended within ``timeout`` seconds (else it is left behind)."""
        # The flag as well as the cancel: asyncio.wait_for (Python 3.11) swallows a cancellation
        # that arrives just as what it waits for completes (the wake-up event being set, say),
        # and the loop would go on forever with stop() awaiting it.
        self._stopping = True
        if self._wake_signal is not None:
            self._wake_signal.unregister(self._wakeup)
        if self._task is None:
            return True
        return await settle(self._task, timeout, cancel=True)

    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                more = await self.work_once()
                failures = 0
                if more:
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a dependency is away: back off, the work stays in the database
                failures += 1
                log.warning(f"{self.name}.failed", error=repr(exc), attempt=failures)
                await asyncio.sleep(min(0.2 * 2**failures, self._max_backoff_seconds))
                continue
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._poll_seconds)
                if self._linger_seconds:
                    await asyncio.sleep(self._linger_seconds)
            except TimeoutError:
                pass
            self._wakeup.clear()
