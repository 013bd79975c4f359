"""/v1/findings, /v1/actions and /v1/coaching: thin handlers over the findings modules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from csq_common.db import utcnow
from csq_common.http.auth import ReadScope, WriteScope
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.types import CursorStr, IdStr
from audit_svc.findings import actions, coaching, service
from audit_svc.findings.models import CoachingItem, CorrectiveAction, Finding
from audit_svc.findings.schemas import (
    Acknowledgement,
    ActionCreate,
    ActionPatch,
    ActionRead,
    CoachingCreate,
    CoachingPage,
    CoachingRead,
    CoachingStatus,
    Evidence,
    FindingCreate,
    FindingDetail,
    FindingPage,
    FindingRead,
    FindingStatus,
    FollowUp,
    Source,
    Verification,
)
from audit_svc.settings import SettingsDep

router = APIRouter(tags=["findings"], dependencies=[Depends(reject_unknown_query_parameters)])

Id = Annotated[str, Path(max_length=100)]
Limit = Annotated[int, Query(ge=1, le=200)]
Severity = Annotated[int | None, Query(ge=1, le=4)]
FINDING_NOT_FOUND = {404: {"description": "Unknown finding"}}
ACTION_NOT_FOUND = {404: {"description": "Unknown corrective action"}}
COACHING_NOT_FOUND = {404: {"description": "Unknown coaching item"}}


@router.post("/v1/findings", status_code=201, response_model=FindingRead)
async def raise_finding(body: FindingCreate, principal: WriteScope, session: SessionDep, settings: SettingsDep) -> Finding:
    """Raise a finding; ``audit.finding_raised`` is published with it."""
    return await service.raise_finding(session, body, topic=settings.topic("audits"), author=principal.name, now=utcnow())


@router.get("/v1/findings", response_model=FindingPage)
async def list_findings(
    _: ReadScope, session: ReadSessionDep, limit: Limit = 50, cursor: CursorStr | None = None, status: FindingStatus | None = None,
    severity: Severity = None, agent_id: IdStr | None = None, team_id: IdStr | None = None, owner_id: IdStr | None = None,
    source: Source | None = None,
) -> service.Page:
    return await service.list_findings(
        session, limit=limit, cursor=cursor, status=status, severity=severity, agent_id=agent_id, team_id=team_id, owner_id=owner_id, source=source
    )


@router.get("/v1/findings/{finding_id}", response_model=FindingDetail, responses=FINDING_NOT_FOUND)
async def get_finding(finding_id: Id, _: ReadScope, session: ReadSessionDep) -> dict:
    return await service.finding_detail(session, finding_id)


@router.post("/v1/findings/{finding_id}/close", response_model=FindingRead, responses={**FINDING_NOT_FOUND, 409: {"description": "Actions not verified yet"}})
async def close_finding(finding_id: Id, _: WriteScope, session: SessionDep) -> Finding:
    return await service.close_finding(session, finding_id, now=utcnow())


@router.post("/v1/findings/{finding_id}/actions", status_code=201, response_model=ActionRead, responses={**FINDING_NOT_FOUND, 409: {"description": "The finding is closed"}})
async def create_action(finding_id: Id, body: ActionCreate, _: WriteScope, session: SessionDep) -> CorrectiveAction:
    return await actions.create_action(session, finding_id, body, now=utcnow())


@router.get("/v1/actions/{action_id}", response_model=ActionRead, responses=ACTION_NOT_FOUND)
async def get_action(action_id: Id, _: ReadScope, session: ReadSessionDep) -> CorrectiveAction:
    return await actions.get_action(session, action_id)


@router.patch("/v1/actions/{action_id}", response_model=ActionRead, responses={**ACTION_NOT_FOUND, 409: {"description": "The action is verified"}})
async def update_action(action_id: Id, body: ActionPatch, _: WriteScope, session: SessionDep) -> CorrectiveAction:
    """Change owner, plan or due date; a new due date that passes is reported overdue again."""
    return await actions.update_action(session, action_id, body, now=utcnow())


@router.post("/v1/actions/{action_id}/evidence", response_model=ActionRead, responses={**ACTION_NOT_FOUND, 409: {"description": "The action is verified"}})
async def record_evidence(action_id: Id, body: Evidence, _: WriteScope, session: SessionDep) -> CorrectiveAction:
    return await actions.record_evidence(session, action_id, body, now=utcnow())


@router.post("/v1/actions/{action_id}/verify", response_model=ActionRead, responses={**ACTION_NOT_FOUND, 409: {"description": "No evidence yet"}})
async def verify_action(action_id: Id, body: Verification, _: WriteScope, session: SessionDep) -> CorrectiveAction:
    """Verification by someone other than the owner (422 naming ``verifier_id`` otherwise)."""
    return await actions.verify(session, action_id, body, now=utcnow())


@router.post("/v1/findings/{finding_id}/coaching", status_code=201, response_model=CoachingRead, responses={**FINDING_NOT_FOUND, 409: {"description": "Closed, or about no agent"}})
async def open_coaching(finding_id: Id, body: CoachingCreate, principal: WriteScope, session: SessionDep) -> CoachingItem:
    return await coaching.open_coaching(session, finding_id, body, author=principal.name, now=utcnow())


@router.get("/v1/coaching", response_model=CoachingPage)
async def list_coaching(
    _: ReadScope, session: ReadSessionDep, limit: Limit = 50, cursor: CursorStr | None = None, agent_id: IdStr | None = None,
    status: CoachingStatus | None = None, finding_id: IdStr | None = None,
) -> service.Page:
    return await coaching.list_coaching(session, limit=limit, cursor=cursor, agent_id=agent_id, status=status, finding_id=finding_id)


@router.get("/v1/coaching/{item_id}", response_model=CoachingRead, responses=COACHING_NOT_FOUND)
async def get_coaching(item_id: Id, _: ReadScope, session: ReadSessionDep) -> CoachingItem:
    return await coaching.get_coaching(session, item_id)


@router.post("/v1/coaching/{item_id}/acknowledge", response_model=CoachingRead, responses=COACHING_NOT_FOUND)
async def acknowledge_coaching(item_id: Id, body: Acknowledgement, _: WriteScope, session: SessionDep) -> CoachingItem:
    return await coaching.acknowledge(session, item_id, body, now=utcnow())


@router.post("/v1/coaching/{item_id}/follow-up", response_model=CoachingRead, responses={**COACHING_NOT_FOUND, 409: {"description": "Not acknowledged yet"}})
async def follow_up_coaching(item_id: Id, body: FollowUp, _: WriteScope, session: SessionDep) -> CoachingItem:
    return await coaching.follow_up(session, item_id, body, now=utcnow())
