"""Databases for tests: a fresh empty one, or a fresh one already at a service's alembic head.

A database at head is a copy of a template that is migrated once per test process and service
(a SQLite file copied with the backup API, a PostgreSQL ``CREATE DATABASE … TEMPLATE``), because
running every migration again for every test was a large share of a suite's time. The copy is the
migrations' own result, so a test of the schema sees exactly what ``alembic upgrade head`` builds;
tests of the migrations themselves take an empty database instead.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from pathlib import Path

POSTGRES_ADMIN_URL = os.environ.get("CSQ_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

#: (backend, service root) → the template: a SQLite file's path, or a PostgreSQL database's name.
_templates: dict[tuple[str, Path], str] = {}
_template_dir: Path | None = None


async def _pg_admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _postgres_url(name: str) -> str:
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


async def create_postgres_database(name: str | None = None, *, template: str | None = None) -> str:
    """A new PostgreSQL database (a copy of ``template`` if given); its SQLAlchemy URL."""
    name = name or f"csq_test_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return _postgres_url(name)


async def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def _postgres_database(template: str | None = None) -> AsyncIterator[str]:
    url = await create_postgres_database(template=template)
    try:
        yield url
    finally:
        await drop_postgres_database(url)


@asynccontextmanager
async def fresh_database(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A new empty database URL for ``backend``; dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / f'db-{uuid.uuid4().hex[:8]}.sqlite'}"
        return
    if backend != "postgres":
        raise ValueError(f"unknown test backend {backend!r}")
    async with _postgres_database() as url:
        yield url


async def _migrate(url: str, service_root: Path) -> None:
    from csq_common.bus.migration import upgrade_to_head
    from csq_common.db import create_engine

    engine = create_engine(url)
    try:
        await upgrade_to_head(engine, service_root)
    finally:
        await engine.dispose()  # a PostgreSQL template may have no other session when it is copied


async def _template(backend: str, service_root: Path) -> str:
    global _template_dir
    key = (backend, service_root)
    if key in _templates:
        return _templates[key]
    if backend == "sqlite":
        if _template_dir is None:
            _template_dir = Path(tempfile.mkdtemp(prefix="csq-templates-"))
        template = str(_template_dir / f"{service_root.name}-{uuid.uuid4().hex[:8]}.sqlite")
        await _migrate(f"sqlite+aiosqlite:///{template}", service_root)
    elif backend == "postgres":
        template = f"csq_template_{uuid.uuid4().hex[:12]}"
        await _migrate(await create_postgres_database(template), service_root)
    else:
        raise ValueError(f"unknown test backend {backend!r}")
    _templates[key] = template
    return template


def _copy_sqlite(source: str, target: Path) -> None:
    # the backup API copies what the write-ahead log holds too, where a file copy might not
    with closing(sqlite3.connect(source)) as original, closing(sqlite3.connect(target)) as copy:
        original.backup(copy)


@asynccontextmanager
async def migrated_database(backend: str, tmp_path: Path, service_root: Path) -> AsyncIterator[str]:
    """A new database URL for ``backend`` at the alembic head of the service at ``service_root``
    (a copy of its template); dropped afterwards."""
    template = await _template(backend, service_root)
    if backend == "sqlite":
        path = tmp_path / f"db-{uuid.uuid4().hex[:8]}.sqlite"
        await asyncio.to_thread(_copy_sqlite, template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    async with _postgres_database(template) as url:
        yield url


def drop_templates() -> None:
    """Remove this process's templates (at the end of the test session)."""
    global _template_dir
    postgres = [name for (backend, _), name in _templates.items() if backend == "postgres"]
    _templates.clear()
    if postgres:
        async def drop() -> None:
            for name in postgres:
                await drop_postgres_database(_postgres_url(name))

        asyncio.run(drop())
    if _template_dir is not None:
        shutil.rmtree(_template_dir, ignore_errors=True)
        _template_dir = None
