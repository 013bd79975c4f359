"""The baseline for the webhook benchmark: a bare FastAPI endpoint with a 3-field pydantic body."""

from datetime import datetime

from fastapi import FastAPI
from pydantic import BaseModel


class Body(BaseModel):
    event_id: str
    type: str
    occurred_at: datetime


app = FastAPI()


@app.post("/v1/webhooks/tickets", status_code=202)
async def accept(body: Body) -> dict:
    return {"accepted": True, "event_id": body.event_id}
