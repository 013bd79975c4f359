from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from csq_common.db import utcnow
from csq_common.http.auth import AdminScope
from csq_common.http.dependencies import SessionDep, get_settings, reject_unknown_query_parameters
from feedback_svc.customers import service
from feedback_svc.customers.schemas import ErasureAccepted
from feedback_svc.settings import Settings

SettingsDep = Annotated[Settings, Depends(get_settings)]

router = APIRouter(prefix="/v1/customers", tags=["customers"], dependencies=[Depends(reject_unknown_query_parameters)])


@router.post(
    "/{customer_id:path}/erase",
    status_code=202,
    response_model=ErasureAccepted,
    responses={422: {"description": "customer_id too long or with NUL", "content": {"application/problem+json": {}}}},
)
async def erase_customer(customer_id: str, _: AdminScope, session: SessionDep, settings: SettingsDep) -> service.Erasure:
    """Erase the customer's identity here and publish ``customer.erased`` for the other services."""
    return await service.erase_customer(session, customer_id, now=utcnow(), topic=settings.topic("feedback"))
