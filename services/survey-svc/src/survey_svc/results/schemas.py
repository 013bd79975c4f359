"""What the results endpoints return. Figures are exact decimals rounded to 2 places, sent as
JSON numbers; a figure with no data behind it is null."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field, PlainSerializer

Figure = Annotated[Decimal | None, PlainSerializer(lambda v: None if v is None else float(v), return_type=float | None, when_used="json")]


class Filters(BaseModel):
    team_id: str | None
    agent_id: str | None
    channel: str | None
    campaign_id: str | None
    version: int | None


class DistributionItem(BaseModel):
    value: int | str  # a scale value, or a choice key
    labels: dict[str, str] | None  # choice labels per language
    count: int


class QuestionResult(BaseModel):
    key: str
    type: str
    dimension: str
    prompt: dict[str, str]
    definition_version: int  # the version whose definition (texts, choices, scale) is shown
    versions: list[int]  # the versions whose answers were counted
    answered: int
    distribution: list[DistributionItem] | None  # every scale value (even at 0) / every choice; null for text
    mean: Figure
    csat_pct: Figure
    nps: Figure
    ces_avg: Figure


class DimensionResult(BaseModel):
    dimension: str
    csat_answers: int
    csat_pct: Figure
    nps_answers: int
    nps: Figure
    ces_answers: int
    ces_avg: Figure
    rating_answers: int
    rating_pct: Figure  # mean of 100 × (answer − 1) / (max − 1)


class SeriesBucket(BaseModel):
    start: str  # RFC 3339 in the requested zone's offset
    end: str
    responses: int
    csat_pct: Figure
    nps: Figure
    ces_avg: Figure


class SurveyResults(BaseModel):
    survey_id: str
    from_: AwareDatetime = Field(alias="from")
    to: AwareDatetime
    tz: str
    interval: str | None
    filters: Filters
    invitations: int  # invited in the window (invited_at), not scheduled or cancelled
    responses: int  # ... of which answered
    response_rate_pct: Figure
    answers_in_window: int  # responses answered in the window: the base of every answer figure
    versions: list[int]
    questions: list[QuestionResult]
    dimensions: list[DimensionResult]
    series: list[SeriesBucket] | None


class TextItem(BaseModel):
    response_id: str
    question: str
    text: str
    answered_at: AwareDatetime
    survey_version: int
    locale: str
    ticket_id: str | None
    team_id: str | None
    agent_id: str | None
    channel: str | None
    anonymous: bool
    customer_id: str | None  # null for anonymous responses


class TextPage(BaseModel):
    items: list[TextItem]
    next_cursor: str | None
