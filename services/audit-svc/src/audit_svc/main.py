from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from csq_common.runtime import create_service_app
from csq_common.settings import load_settings
from audit_svc.consumers import consumers
from audit_svc.settings import Settings

SERVICE_ROOT = Path(__file__).resolve().parents[2]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings(Settings)
    return create_service_app(settings, title="CSQ audit-svc", service_root=SERVICE_ROOT, routers=[], consumers=consumers(settings))
