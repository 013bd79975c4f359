from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from csq_common.http.auth import ReadScope, WriteScope
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.types import CursorStr, StorableStr
from notify_svc.deliveries import service
from notify_svc.deliveries.schemas import DeliveryCreate, DeliveryPage, DeliveryRead
from notify_svc.settings import SettingsDep

router = APIRouter(prefix="/v1/deliveries", tags=["deliveries"], dependencies=[Depends(reject_unknown_query_parameters)])


@router.post(
    "",
    status_code=202,
    response_model=DeliveryRead,
    responses={200: {"model": DeliveryRead, "description": "The idempotency key was known: the existing delivery"}},
)
async def create_delivery(body: DeliveryCreate, _: WriteScope, session: SessionDep, settings: SettingsDep, response: Response) -> DeliveryRead:
    accepted = await service.create_delivery(session, body, mail_from=settings.mail_from)
    if not accepted.created:
        response.status_code = 200
    return DeliveryRead.from_row(accepted.delivery)


@router.get("", response_model=DeliveryPage)
async def list_deliveries(
    _: ReadScope,
    session: ReadSessionDep,
    status: Literal["queued", "sending", "delivered", "failed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[CursorStr | None, Query()] = None,
) -> DeliveryPage:
    page = await service.list_deliveries(session, status=status, limit=limit, cursor=cursor)
    return DeliveryPage(items=[DeliveryRead.from_row(row) for row in page.items], next_cursor=page.next_cursor)


@router.get("/{delivery_id}", response_model=DeliveryRead, responses={404: {"description": "Unknown delivery id"}})
async def get_delivery(delivery_id: Annotated[StorableStr, Path()], _: ReadScope, session: ReadSessionDep) -> DeliveryRead:
    return DeliveryRead.from_row(await service.get_delivery(session, delivery_id))
