"""Loading jieba's dictionary and the sentiment models takes a moment: start it when the service
starts, in a daemon thread, so the first feedback item waits less and neither start nor stop
waits for it (the models load once per process; a request that comes first loads them itself)."""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager

from fastapi import FastAPI

from feedback_svc.classification import sentiment, text


def _warm_up() -> None:
    text.warm_up()
    sentiment.warm_up()


@asynccontextmanager
async def warm_up_classifiers(app: FastAPI):
    threading.Thread(target=_warm_up, name="warm-up-classifiers", daemon=True).start()
    yield
