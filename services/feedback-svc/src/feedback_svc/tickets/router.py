from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from csq_common.http.auth import ReadScope
from csq_common.http.dependencies import ReadSessionDep, reject_unknown_query_parameters
from csq_common.types import CursorStr, StorableStr
from feedback_svc.tickets import service
from feedback_svc.tickets.models import Ticket
from feedback_svc.tickets.schemas import TicketPage, TicketRead

router = APIRouter(prefix="/v1/tickets", tags=["tickets"], dependencies=[Depends(reject_unknown_query_parameters)])


@router.get("", response_model=TicketPage)
async def list_tickets(
    _: ReadScope,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[CursorStr | None, Query()] = None,
) -> service.Page:
    return await service.list_tickets(session, limit=limit, cursor=cursor)


@router.get("/{ticket_id:path}", response_model=TicketRead, responses={404: {"description": "Unknown ticket id"}})
async def get_ticket(ticket_id: Annotated[StorableStr, Path()], _: ReadScope, session: ReadSessionDep) -> Ticket:
    return await service.get_ticket(session, ticket_id)
