from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from csq_common.http.dependencies import SessionDep
from csq_common.http.auth import ReadScope
from feedback_svc.tickets import service
from feedback_svc.tickets.models import Ticket
from feedback_svc.tickets.schemas import TicketPage, TicketRead

router = APIRouter(prefix="/v1/tickets", tags=["tickets"])


@router.get("", response_model=TicketPage)
async def list_tickets(
    _: ReadScope,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> service.Page:
    return await service.list_tickets(session, limit=limit, cursor=cursor)


@router.get("/{ticket_id:path}", response_model=TicketRead, responses={404: {"description": "Unknown ticket id"}})
async def get_ticket(ticket_id: str, _: ReadScope, session: SessionDep) -> Ticket:
    return await service.get_ticket(session, ticket_id)
