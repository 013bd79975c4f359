from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from csq_common.http.auth import ReadScope
from csq_common.http.dependencies import ReadSessionDep, reject_unknown_query_parameters
from csq_common.types import CursorStr, StorableStr
from feedback_svc.messages import service
from feedback_svc.messages.schemas import MessagePage

# Registered before the tickets router, whose /{ticket_id:path} would otherwise take ".../messages".
router = APIRouter(prefix="/v1/tickets", tags=["messages"], dependencies=[Depends(reject_unknown_query_parameters)])


@router.get(
    "/{ticket_id:path}/messages",
    response_model=MessagePage,
    responses={404: {"description": "Unknown ticket id", "content": {"application/problem+json": {}}}},
)
async def list_messages(
    ticket_id: Annotated[StorableStr, Path()],
    _: ReadScope,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[CursorStr | None, Query()] = None,
) -> service.Page:
    """The ticket's conversation, oldest first: public replies and private notes alike."""
    return await service.list_messages(session, ticket_id, limit=limit, cursor=cursor)
