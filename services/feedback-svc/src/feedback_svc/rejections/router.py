from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from csq_common.http.auth import AdminScope
from csq_common.http.dependencies import ReadSessionDep, reject_unknown_query_parameters
from csq_common.types import CursorStr
from feedback_svc.rejections import service
from feedback_svc.rejections.schemas import RejectionPage

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], dependencies=[Depends(reject_unknown_query_parameters)])


@router.get("/rejections", response_model=RejectionPage)
async def list_rejections(
    _: AdminScope,
    session: ReadSessionDep,
    source: Annotated[Literal["zendesk", "freshdesk", "chatwoot"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[CursorStr | None, Query()] = None,
) -> service.Page:
    """Vendor payloads answered 422 (newest first), kept raw for the retention period."""
    return await service.list_rejections(session, source=source, limit=limit, cursor=cursor)
