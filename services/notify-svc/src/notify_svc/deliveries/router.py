from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from csq_common.http.dependencies import ReadSessionDep, SessionDep
from csq_common.http.auth import ReadScope, WriteScope
from notify_svc.deliveries import service
from notify_svc.deliveries.schemas import DeliveryCreate, DeliveryPage, DeliveryRead

router = APIRouter(prefix="/v1/deliveries", tags=["deliveries"])


@router.post(
    "",
    status_code=202,
    response_model=DeliveryRead,
    responses={200: {"model": DeliveryRead, "description": "The idempotency key was known: the existing delivery"}},
)
async def create_delivery(body: DeliveryCreate, _: WriteScope, session: SessionDep, request: Request, response: Response) -> DeliveryRead:
    accepted = await service.create_delivery(session, body, mail_from=request.app.state.settings.mail_from)
    if not accepted.created:
        response.status_code = 200
    return DeliveryRead.from_row(accepted.delivery)


@router.get("", response_model=DeliveryPage)
async def list_deliveries(
    _: ReadScope,
    session: ReadSessionDep,
    status: Literal["queued", "sending", "delivered", "failed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> DeliveryPage:
    page = await service.list_deliveries(session, status=status, limit=limit, cursor=cursor)
    return DeliveryPage(items=[DeliveryRead.from_row(row) for row in page.items], next_cursor=page.next_cursor)


@router.get("/{delivery_id}", response_model=DeliveryRead, responses={404: {"description": "Unknown delivery id"}})
async def get_delivery(delivery_id: str, _: ReadScope, session: ReadSessionDep) -> DeliveryRead:
    return DeliveryRead.from_row(await service.get_delivery(session, delivery_id))
