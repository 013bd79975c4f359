"""SQLite engines (aiosqlite): WAL, an explicit BEGIN, and writers that take turns in the event loop.

A writer engine's transactions begin with ``BEGIN IMMEDIATE`` (they take the database's write
lock at once, so two writers never deadlock on a lock upgrade). Within one process they also
take turns on an asyncio lock before that BEGIN: without it a second writer (the outbox relay
marking rows sent while the webhook batcher commits, say) meets the lock inside SQLite, whose
busy handler *sleeps* between retries with the event loop idle meanwhile. Queued on the lock, it
starts the moment the other commits. Writers in other processes still meet SQLite's busy handler (30 s timeout).

Commits do not checkpoint the write-ahead log: SQLite's automatic checkpoint runs inside the
commit that crosses 1,000 WAL pages and fsyncs the database file there, so an unlucky commit
pays for everyone's (docs/benchmarks.md has the figures). A :class:`WalCheckpointer`, which every service runs, copies the log into the
database from a worker thread instead; the automatic checkpoint stays as a backstop at 10,000
pages (see the class), and for an engine that runs without one (a script, a benchmark).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from prometheus_client import Gauge
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util.concurrency import await_

from csq_common.worker import PollingWorker

BUSY_TIMEOUT_SECONDS = 30
#: The automatic checkpoint's threshold (pages of the WAL): a backstop, see the module docstring.
BACKSTOP_CHECKPOINT_PAGES = 10_000
#: The WAL file is truncated back to this size once the log restarts (it never shrinks otherwise).
WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024


class WriterTurns:
    """One write transaction at a time per engine, queued in the event loop (FIFO)."""

    def __init__(self, timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self._lock = asyncio.Lock()
        self._holder: object | None = None
        self._timeout = timeout

    async def take(self, owner: object) -> None:
        if self._holder is owner:
            return
        try:
            await asyncio.wait_for(self._lock.acquire(), self._timeout)
        except TimeoutError:
            # What SQLite itself says after its busy timeout (and database_unavailable knows).
            raise OperationalError(
                "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked (no write turn within the busy timeout)")
            ) from None
        self._holder = owner

    def give_back(self, owner: object) -> None:
        if self._holder is owner:
            self._holder = None
            self._lock.release()

    @property
    def holder(self) -> object | None:
        return self._holder


def database_file(url) -> str | None:
    """The file of a SQLite URL; None for an in-memory database (or another backend)."""
    url = make_url(url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return url.database


def create_sqlite_engine(url: str, *, read_only: bool = False) -> AsyncEngine:
    """``read_only``: a plain deferred BEGIN (WAL readers never wait for writers) and no turns."""
    database = database_file(url)
    if database:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # No rollback on return to the pool unless a transaction is still open (see below); no bound
    # values in error text (see db.create_engine).
    engine = create_async_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS}, pool_reset_on_return=None, hide_parameters=True)
    turns = None if read_only else WriterTurns()

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - driver hook
        # WAL lets readers run while the consumer writes; the driver's own BEGIN handling is
        # replaced by the explicit BEGIN below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_CHECKPOINT_PAGES}")
        cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT_BYTES}")
        cursor.close()
        if turns is not None:
            _give_back_turn_when_it_ends(dbapi_connection.driver_connection, turns)

    begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"

    @event.listens_for(engine.sync_engine, "begin")
    def _sqlite_begin(connection):  # pragma: no cover - driver hook
        driver = connection.connection.driver_connection
        if turns is not None:
            await_(turns.take(driver))
        try:
            # Straight to aiosqlite: one hop to its thread (exec_driver_sql would take three:
            # cursor, execute, close).
            await_(driver.execute(begin))
        except BaseException:
            if turns is not None:
                turns.give_back(driver)
            raise

    @event.listens_for(engine.sync_engine, "reset")
    def _rollback_if_open(dbapi_connection, _record, reset_state):  # pragma: no cover - driver hook
        # SQLAlchemy rolls a connection back on its return to the pool even right after a
        # commit; on aiosqlite that is one more hop to the connection's thread, a third of
        # what a short transaction costs. Only a transaction still open needs it.
        if reset_state.asyncio_safe and dbapi_connection.driver_connection.in_transaction:
            dbapi_connection.rollback()

    if turns is not None:

        @event.listens_for(engine.sync_engine, "close")
        @event.listens_for(engine.sync_engine, "invalidate")
        def _give_back_on_close(dbapi_connection, _record, *_exception):  # pragma: no cover - driver hook
            # A connection closed or thrown away mid-transaction (SQLite rolls it back).
            turns.give_back(dbapi_connection.driver_connection)

    return engine


def _give_back_turn_when_it_ends(driver, turns: WriterTurns) -> None:
    """Wrap the aiosqlite connection's commit and rollback: the turn passes on once SQLite has
    ended the transaction (SQLAlchemy's commit event fires before the COMMIT is sent)."""
    for name in ("commit", "rollback"):
        ends = getattr(driver, name)

        async def ended(ends=ends) -> None:
            try:
                await ends()
            finally:
                turns.give_back(driver)

        setattr(driver, name, ended)


WAL_PAGES = Gauge("csq_sqlite_wal_pages", "Pages in the SQLite write-ahead log at the last background checkpoint")


class WalCheckpointer(PollingWorker):
    """Checkpoints a SQLite database's WAL every ``poll_seconds``, from a worker thread.

    A ``PASSIVE`` checkpoint waits for nobody: it copies what the log holds into the database
    file and fsyncs it while writers go on appending. The log restarts from its beginning when a
    write transaction begins after a checkpoint that copied all of it, which a pause in the
    writes gives. Under writes without a pause the log grows until the backstop's automatic
    checkpoint restarts it; by then nearly all of it has been copied here. The gain, and why a
    second pass holding the writer turn was dropped, are in docs/benchmarks.md.
    """

    name = "sqlite-checkpointer"

    def __init__(self, path: str, *, poll_seconds: float = 0.1) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self._path = path
        self._connection: sqlite3.Connection | None = None
        # Used by one worker thread at a time, not always the same one; a checkpoint still running
        # in its thread when the worker is cancelled ends before the connection is closed.
        self._connection_lock = threading.Lock()

    def _checkpoint(self) -> int:
        """One PASSIVE checkpoint (in a worker thread); the pages in the log."""
        with self._connection_lock:
            if self._connection is None:
                self._connection = sqlite3.connect(self._path, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False)
            _busy, log_pages, _copied = self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            return log_pages

    def _close(self) -> None:
        with self._connection_lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    async def work_once(self) -> bool:
        pages = await asyncio.to_thread(self._checkpoint)
        WAL_PAGES.set(max(pages, 0))  # -1 when the database is not in WAL mode (yet)
        return False

    async def stop(self) -> None:
        await super().stop()
        await asyncio.to_thread(self._close)


def wal_checkpointer(engine: AsyncEngine) -> WalCheckpointer | None:
    """The checkpointer a service runs beside ``engine``: None unless it is a SQLite file."""
    path = database_file(engine.url)
    return WalCheckpointer(path) if path else None
