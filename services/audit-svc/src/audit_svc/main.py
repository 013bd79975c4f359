"""audit-svc's app: scorecards, reviews, disputes and calibration over HTTP, and the consumers of
ticket and survey events (see consumers.py)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from csq_common.runtime import create_service_app
from csq_common.settings import load_settings
from audit_svc.consumers import CONSUMERS
from audit_svc.calibration.router import router as calibration_router
from audit_svc.disputes.router import router as disputes_router
from audit_svc.reviews.router import router as reviews_router
from audit_svc.scorecards.router import router as scorecards_router
from audit_svc.settings import Settings

SERVICE_ROOT = Path(__file__).resolve().parents[2]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings(Settings)
    return create_service_app(
        settings, title="CSQ audit-svc", service_root=SERVICE_ROOT, routers=[scorecards_router, reviews_router, disputes_router, calibration_router], consumers=CONSUMERS
    )
