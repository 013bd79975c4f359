"""Editable classification and severity rules, reviewers' corrections, the quality report."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from csq_common.db import utcnow
from csq_common.http.auth import AdminScope, ReadScope, WriteScope
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.types import IdStr
from feedback_svc.classification import service
from feedback_svc.classification.schemas import (
    ClassificationCorrection, ClassificationReport, ClassificationRules, ClassificationRulesRead, SeverityRules,
    SeverityRulesRead,
)
from feedback_svc.feedback.models import FeedbackItem
from feedback_svc.feedback.schemas import FeedbackRead
from feedback_svc.settings import SettingsDep

router = APIRouter(prefix="/v1/feedback", tags=["feedback classification"], dependencies=[Depends(reject_unknown_query_parameters)])

_PROBLEM = {"content": {"application/problem+json": {}}}


@router.get("/categories", response_model=ClassificationRulesRead)
async def get_categories(_: AdminScope, session: ReadSessionDep) -> dict:
    """The categories (with their keywords per language) and the kind keywords in force."""
    return (await service.classification_rules(session)).read()


@router.put("/categories", response_model=ClassificationRulesRead)
async def put_categories(body: ClassificationRules, principal: AdminScope, session: SessionDep) -> dict:
    """Replace the categories and kind keywords; items received from now on use them."""
    return (await service.replace_classification_rules(session, body, by=principal.name, now=utcnow())).read()


@router.get("/severity-rules", response_model=SeverityRulesRead)
async def get_severity_rules(_: AdminScope, session: ReadSessionDep) -> dict:
    return (await service.severity_rules(session)).read()


@router.put("/severity-rules", response_model=SeverityRulesRead)
async def put_severity_rules(body: SeverityRules, principal: AdminScope, session: SessionDep) -> dict:
    """Replace the severity rules; items received from now on are rated by them."""
    return (await service.replace_severity_rules(session, body, by=principal.name, now=utcnow())).read()


@router.get("/classification-report", response_model=ClassificationReport)
async def classification_report(_: ReadScope, session: ReadSessionDep) -> ClassificationReport:
    """Precision and recall of the category rules per category against the reviewed items."""
    return await service.report(session)


@router.post(
    "/{feedback_id}/classification",
    response_model=FeedbackRead,
    responses={404: {"description": "Unknown feedback id", **_PROBLEM}},
)
async def correct_classification(
    feedback_id: IdStr, body: ClassificationCorrection, _: WriteScope, session: SessionDep, settings: SettingsDep
) -> FeedbackItem:
    """A reviewer's kind and category for the item; kept, and counted in the report. A change
    publishes ``feedback.reclassified``."""
    return await service.correct(session, feedback_id, body, now=utcnow(), topic=settings.topic("feedback"))
