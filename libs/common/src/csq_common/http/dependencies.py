"""FastAPI dependencies every router uses: the request's transactional session, the read-only
session, and the service's settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import transactional_session
from csq_common.settings import BaseServiceSettings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async for session in transactional_session(request.app.state.sessions):
        yield session


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for endpoints that only read: on SQLite it does not take the write lock."""
    async with request.app.state.read_sessions() as session:
        yield session


# scope="function": commit before the response is sent, so a failed commit is an error response
# and never a 2xx for data that was not stored.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]


def get_settings(request: Request) -> BaseServiceSettings:
    """The running service's settings; a service narrows the type with its own alias
    (``Annotated[Settings, Depends(get_settings)]``)."""
    return request.app.state.settings
