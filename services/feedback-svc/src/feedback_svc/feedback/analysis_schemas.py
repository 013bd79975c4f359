"""The shape of GET /v1/feedback/analysis."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, Field


class Share(BaseModel):
    key: str
    count: int
    pct: float | None  # 100 × count / all counted; None when nothing was counted


class ComplaintResolution(BaseModel):
    resolved: int  # complaints resolved in the window (by resolved_at)
    avg_seconds: float | None  # mean resolved_at − received_at


class SeriesPoint(BaseModel):
    start: str  # the bucket's local start, RFC 3339 with the zone's offset
    total: int
    complaint: int
    suggestion: int
    praise: int
    enquiry: int


class Term(BaseModel):
    term: str
    count: int


class CategoryTerms(BaseModel):
    category: str
    terms: list[Term]


class Analysis(BaseModel):
    start: AwareDatetime = Field(alias="from")
    end: AwareDatetime = Field(alias="to")
    tz: str
    interval: str
    total: int
    by_kind: list[Share]
    by_category: list[Share]
    by_channel: list[Share]
    praise_pct: float | None  # 100 × praise / (praise + complaints)
    complaints: int
    complaint_share_by_category: list[Share]
    complaint_resolution: ComplaintResolution
    series: list[SeriesPoint]
    top_terms: list[CategoryTerms]
    terms_sampled_items: int  # the top terms count the newest this many items of the window
