"""FastAPI dependencies every router uses: the request's transactional session, the read-only
session, the service's settings, and the refusal of query parameters a route does not take."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from csq_common.db import transactional_session
from csq_common.errors import InvalidInput
from csq_common.settings import BaseServiceSettings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async for session in transactional_session(request.app.state.sessions):
        yield session


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for endpoints that only read: on SQLite it does not take the write lock."""
    async with request.app.state.read_sessions() as session:
        yield session


def get_read_sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    """The factory of read sessions, for a response that outlives the request's own session (a
    streamed export opens its own)."""
    return request.app.state.read_sessions


# scope="function": commit before the response is sent, so a failed commit is an error response
# and never a 2xx for data that was not stored.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]
ReadSessionsDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_read_sessions)]


def get_settings(request: Request) -> BaseServiceSettings:
    """The running service's settings; a service narrows the type with its own alias
    (``Annotated[Settings, Depends(get_settings)]``)."""
    return request.app.state.settings


def _query_parameters(request: Request) -> frozenset[str]:
    """The query parameter names the request's route declares, its dependencies' included
    (computed once per route and kept in the app's state: the app holds its routes, so their ids
    stay unique while it lives)."""
    route = request.scope["route"]
    declared = getattr(request.app.state, "declared_query_parameters", None)
    if declared is None:
        declared = request.app.state.declared_query_parameters = {}
    known = declared.get(id(route))
    if known is not None:
        return known
    names: set[str] = set()
    dependants = [route.dependant]
    while dependants:
        dependant = dependants.pop()
        names.update(field.alias for field in dependant.query_params)
        dependants.extend(dependant.dependencies)
    known = declared[id(route)] = frozenset(names)
    return known


def reject_unknown_query_parameters(request: Request) -> None:
    """A 422 naming every query parameter the route does not take: a misspelt filter
    (``?chanel=chat``) would otherwise be ignored and answer for everything. Add it to a router
    with ``APIRouter(dependencies=[Depends(reject_unknown_query_parameters)])``."""
    known = _query_parameters(request)
    unknown = sorted({name for name in request.query_params if name not in known})
    if unknown:
        raise InvalidInput(errors=[{"field": name, "message": "is not a parameter of this endpoint"} for name in unknown])
