"""A background worker that polls, can be woken early, and backs off while its dependencies are
away: the shape shared by the outbox relay and notify-svc's delivery sender."""

from __future__ import annotations

import asyncio
import contextlib

import structlog

log = structlog.get_logger(__name__)


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

    async def stop(self) -> None:
        # The flag as well as the cancel: asyncio.wait_for (Python 3.11) swallows a cancellation
        # that arrives just as what it waits for completes (the wake-up event being set, say),
        # and the loop would go on forever with stop() awaiting it.
        self._stopping = True
        if self._wake_signal is not None:
            self._wake_signal.unregister(self._wakeup)
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

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
