from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from csq_common.retention import RetentionRule, chain_lifespans, inbox_rule, retention_lifespan
from csq_common.runtime import create_service_app
from csq_common.settings import load_settings
from feedback_svc.calls.models import CallRecord
from feedback_svc.calls.router import calls_router, webhook_router as call_webhook_router
from feedback_svc.classification.router import router as classification_router
from feedback_svc.connectors.batcher import vendor_intake
from feedback_svc.connectors.router import router as connectors_router
from feedback_svc.consumers import consumers
from feedback_svc.customers.router import router as customers_router
from feedback_svc.feedback.analysis_router import router as feedback_analysis_router
from feedback_svc.feedback.confirmation_page import router as feedback_confirmation_page_router
from feedback_svc.feedback.retention import feedback_text_rule
from feedback_svc.feedback.router import router as feedback_router, webhook_router as feedback_webhook_router
from feedback_svc.feedback.warmup import warm_up_classifiers
from feedback_svc.feedback.workflow_router import public_router as feedback_public_router, router as feedback_workflow_router
from feedback_svc.messages.models import TicketMessage
from feedback_svc.messages.router import router as messages_router
from feedback_svc.rejections.models import WebhookRejection
from feedback_svc.rejections.router import router as rejections_router
from feedback_svc.settings import Settings
from feedback_svc.suggestions.router import router as suggestions_router
from feedback_svc.tickets.router import router as tickets_router
from feedback_svc.webhooks.batcher import WebhookBatcher, batcher_lifespan
from feedback_svc.webhooks.models import WebhookReceipt
from feedback_svc.webhooks.router import router as webhooks_router

SERVICE_ROOT = Path(__file__).resolve().parents[2]


#: The generic ticket webhook's group-commit batcher (``app.state.webhook_batcher``).
webhook_intake = batcher_lifespan(WebhookBatcher, "webhook_batcher")


def retention_rules(app: FastAPI) -> list[RetentionRule]:
    """What grows with traffic here: the inbox, the webhook receipts (the duplicate check), the
    vendor payloads kept because they could not be mapped, the ticket messages, the call records
    and the feedback texts."""
    settings: Settings = app.state.settings
    return [
        inbox_rule(settings.retention_inbox_days),
        RetentionRule(WebhookReceipt.__table__, "received_at", timedelta(days=settings.retention_webhook_receipt_days)),
        RetentionRule(WebhookRejection.__table__, "created_at", timedelta(days=settings.retention_webhook_rejection_days)),
        RetentionRule(TicketMessage.__table__, "sent_at", timedelta(days=settings.retention_message_days)),
        RetentionRule(CallRecord.__table__, "ended_at", timedelta(days=settings.retention_call_days)),
        feedback_text_rule(timedelta(days=settings.retention_feedback_text_days)),
    ]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings(Settings)
    app = create_service_app(
        settings,
        title="CSQ feedback-svc",
        service_root=SERVICE_ROOT,
        # messages_router before tickets_router: /v1/tickets/{id:path} would take ".../messages".
        # Fixed paths (/v1/feedback/categories, /analysis …) before /v1/feedback/{id}.
        routers=[
            webhooks_router, call_webhook_router, connectors_router, rejections_router, messages_router, tickets_router,
            calls_router, customers_router, classification_router, feedback_analysis_router, feedback_router,
            feedback_workflow_router, feedback_webhook_router, feedback_public_router, feedback_confirmation_page_router, suggestions_router,
        ],
        consumers=consumers(settings),
        extra_lifespan=chain_lifespans(webhook_intake, vendor_intake, retention_lifespan(retention_rules), warm_up_classifiers),
    )
    return app
