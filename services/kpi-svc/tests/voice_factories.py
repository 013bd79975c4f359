"""Generated feedback, QA review, automatic QA and call events, and the facts voice_oracle.py
computes from.

The facts are what the generator decided each item finally is (a review's last version, a
ticket's newest automatic score, a complaint's last resolution unless the customer said it was not
resolved), recorded from its own choices, never read back from the events. The events include
every earlier version, redeliveries under new event ids, calibration reviews and outbound calls,
which must not change the KPIs.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from csq_common.events import (
    AuditAutoScored,
    AuditCompleted,
    CallCompleted,
    CloudEvent,
    FeedbackReceived,
    FeedbackReclassified,
    FeedbackResolved,
    make_event,
)
from tests.factories import AGENTS, ORIGIN, TEAMS

FEEDBACK_CHANNELS = ["hotline", "ecommerce_review", "chat", "email", "social"]
REVIEW_CHANNELS = ["chat", "email", "phone", None]
KINDS = ["complaint", "praise", "suggestion", "enquiry"]
CHECKS = ["greeting", "identity_verified", "no-forbidden-words", "closing"]


@dataclass(frozen=True)
class Opinion:
    kind: str  # complaint / praise
    at: datetime
    team: str | None
    agent: str | None
    channel: str | None


@dataclass(frozen=True)
class Resolution:
    at: datetime  # resolved_at
    took: timedelta
    team: str | None
    agent: str | None
    channel: str | None  # the complaint's own channel


@dataclass(frozen=True)
class Review:
    at: datetime
    team: str | None
    agent: str | None
    channel: str | None
    score: float | None
    failed: bool


@dataclass(frozen=True)
class AutoScore:
    at: datetime  # the ticket's closed_at
    team: str | None
    agent: str | None
    channel: str | None
    score: float
    checks: tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class Call:
    at: datetime  # offered_at
    team: str | None
    agent: str | None
    wait: timedelta | None  # None: abandoned
    channel: str = "phone"


@dataclass
class VoiceHistory:
    events: list[CloudEvent] = field(default_factory=list)
    opinions: list[Opinion] = field(default_factory=list)
    resolutions: list[Resolution] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    autoqa: list[AutoScore] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)


def voice_event(payload, at: datetime, subject: str) -> CloudEvent:
    return make_event(payload, source="test/voice", subject=subject, time=at, event_id=str(uuid.uuid4()))


def redelivered(event: CloudEvent) -> CloudEvent:
    """The same payload again under a new event id (a producer retry)."""
    return event.model_copy(update={"id": str(uuid.uuid4())})


def _moment(rng: random.Random, origin: datetime) -> datetime:
    return origin + timedelta(microseconds=rng.randrange(0, 26 * 3600 * 10**6))


def _who(rng: random.Random) -> tuple[str | None, str | None]:
    team = rng.choice(TEAMS)
    return team, rng.choice(AGENTS[team])


def received(feedback_id, kind, at, team, agent, channel) -> CloudEvent:
    return voice_event(FeedbackReceived(
        feedback_id=feedback_id, kind=kind, channel=channel, source="tmall" if channel == "ecommerce_review" else "crm",
        category="物流延误" if kind == "complaint" else "服务态度", severity=2, priority="normal", received_at=at,
        team_id=team, agent_id=agent, language="zh-CN",
    ), at, feedback_id)


def resolved(feedback_id, received_at, resolved_at, team, agent, confirmed=None, kind="complaint") -> CloudEvent:
    return voice_event(FeedbackResolved(
        feedback_id=feedback_id, kind=kind, category="物流延误", severity=2, team_id=team, agent_id=agent,
        received_at=received_at, resolved_at=resolved_at, customer_confirmed=confirmed,
    ), resolved_at, feedback_id)


def reclassified(feedback_id, kind, previous, at, team, agent, channel, corrected_at, resolved_at=None) -> CloudEvent:
    return voice_event(FeedbackReclassified(
        feedback_id=feedback_id, kind=kind, category="物流延误" if kind == "complaint" else "产品建议", previous_kind=previous,
        previous_category="服务态度", channel=channel, source="crm", severity=3 if kind == "complaint" else 1,
        priority="normal", previous_severity=2, previous_priority="normal", received_at=at, resolved_at=resolved_at,
        team_id=team, agent_id=agent, reviewer_id="QA-3", corrected_at=corrected_at,
    ), corrected_at, feedback_id)


def review(review_id, version, at, team, agent, channel, score, failed, counts=True) -> CloudEvent:
    return voice_event(AuditCompleted(
        review_id=review_id, version=version, method="internal" if counts else "calibration", agent_id=agent,
        team_id=team, channel=channel, scorecard_id="SC-1", scorecard_version=1, score=score, failed_critical=failed,
        reviewer_id="QA-7", reviewed_at=at, counts_for_agent=counts,
    ), at, review_id)


def auto_scored(ticket_id, ruleset, at, team, agent, channel, score, checks) -> CloudEvent:
    return voice_event(AuditAutoScored(
        ticket_id=ticket_id, agent_id=agent, team_id=team, channel=channel, closed_at=at, score=score,
        checks=[{"check": name, "passed": passed, "detail": "未使用标准问候语" if not passed else None} for name, passed in checks],
        ruleset_version=ruleset,
    ), at, ticket_id)


def call(call_id, offered_at, team, agent, wait, direction="inbound") -> CloudEvent:
    answered_at = None if wait is None else offered_at + wait
    ended_at = (answered_at or offered_at) + timedelta(seconds=90)
    return voice_event(CallCompleted(
        call_id=call_id, direction=direction, queue="售后热线", team_id=team, agent_id=agent if wait is not None else None,
        offered_at=offered_at, answered_at=answered_at, ended_at=ended_at,
        wait_seconds=(wait or ended_at - offered_at).total_seconds(), talk_seconds=60, hold_seconds=0,
    ), offered_at, call_id)


def _corrections(rng: random.Random, kind: str) -> list[str]:
    """A reviewer's successive kinds for an item first classified ``kind``: one correction, two,
    or one and back to the original."""
    other = rng.choice([k for k in KINDS if k != kind])
    shape = rng.choice(["once", "twice", "back"])
    if shape == "once":
        return [other]
    if shape == "back":
        return [other, kind]
    return [other, rng.choice([k for k in KINDS if k != other])]


def generate_voice(rng: random.Random, items: int, *, origin: datetime = ORIGIN, reclassify: float = 0.0) -> VoiceHistory:
    """About ``items`` of each family over the 26 hours from ``origin``, events in generation
    order (shuffle them to deliver out of order). ``reclassify``: the share of feedback items a
    reviewer corrects (``feedback.reclassified``) after their other events; the facts hold the
    settled kind."""
    h = VoiceHistory()
    for n in range(items):
        # feedback: complaints (most resolved, some re-resolved or withdrawn), praise, others
        team, agent = _who(rng)
        channel = rng.choice(FEEDBACK_CHANNELS)
        kind = rng.choices(["complaint", "praise", "suggestion", "enquiry"], [5, 3, 1, 1])[0]
        at, fid = _moment(rng, origin), f"F-{n}"
        h.events.append(received(fid, kind, at, team, agent, channel))
        corrections = _corrections(rng, kind) if reclassify and rng.random() < reclassify else []
        settled = corrections[-1] if corrections else kind
        if settled in ("complaint", "praise"):
            h.opinions.append(Opinion(settled, at, team, agent, channel))
        solved: datetime | None = None  # the item's resolved_at when corrected
        if kind != "complaint" and corrections and rng.random() < 0.5:  # resolved as it was, counted once a complaint
            solved = at + timedelta(microseconds=rng.randrange(1, 30 * 3600 * 10**6))
            h.events.append(resolved(fid, at, solved, team, agent, kind=kind))
            if settled == "complaint":
                h.resolutions.append(Resolution(solved, solved - at, team, agent, channel))
        if kind == "complaint" and rng.random() < 0.8:
            first = at + timedelta(microseconds=rng.randrange(1, 30 * 3600 * 10**6))
            shape = rng.choice(["once", "confirmed", "reopened", "withdrawn"])
            h.events.append(resolved(fid, at, first, team, agent))
            final = first
            if shape == "confirmed":
                h.events.append(resolved(fid, at, first, team, agent, True))
            if shape in ("reopened", "withdrawn"):
                h.events.append(resolved(fid, at, first, team, agent, False))
            if shape == "reopened":
                final = first + timedelta(microseconds=rng.randrange(1, 8 * 3600 * 10**6))
                h.events.append(resolved(fid, at, final, team, agent))
            if shape != "withdrawn":
                solved = final
                if settled == "complaint":
                    h.resolutions.append(Resolution(final, final - at, team, agent, channel))
        previous, corrected_at = kind, at + timedelta(hours=40)  # after the item's other events
        for new in corrections:
            corrected_at += timedelta(microseconds=rng.randrange(1, 3600 * 10**6))
            h.events.append(reclassified(fid, new, previous, at, team, agent, channel, corrected_at, solved))
            previous = new
        # a QA review, re-scored after a dispute in some cases; calibration reviews do not count
        team, agent = _who(rng)
        agent = agent or "A-9"
        versions = rng.choice([1, 1, 2, 3])
        counts = rng.random() < 0.9
        rid = f"R-{n}"
        for version in range(1, versions + 1):
            at = _moment(rng, origin)
            rchannel = rng.choice(REVIEW_CHANNELS)
            score = None if rng.random() < 0.08 else round(rng.uniform(35, 105), 2)
            failed = rng.random() < 0.15
            h.events.append(review(rid, version, at, team, agent, rchannel, score, failed, counts))
        if counts:
            h.reviews.append(Review(at, team, agent, rchannel, score, failed))
        # automatic QA of a ticket, sometimes re-scored under a newer ruleset
        team, agent = _who(rng)
        closed_at, achannel, tid = _moment(rng, origin), rng.choice(REVIEW_CHANNELS), f"T-{n}"
        for ruleset in range(1, rng.choice([1, 1, 2]) + 1):
            score = round(rng.uniform(0, 100), 1)
            checks = tuple((name, rng.random() < 0.75) for name in rng.sample(CHECKS, rng.randrange(1, len(CHECKS) + 1)))
            h.events.append(auto_scored(tid, ruleset, closed_at, team, agent, achannel, score, checks))
        h.autoqa.append(AutoScore(closed_at, team, agent, achannel, score, checks))
        # a call: inbound (answered or abandoned) or outbound (not offered)
        team, agent = _who(rng)
        offered_at, cid = _moment(rng, origin), f"C-{n}"
        wait = None if rng.random() < 0.2 else timedelta(microseconds=rng.randrange(0, 60 * 10**6))
        if rng.random() < 0.1:
            h.events.append(call(cid, offered_at, team, agent, timedelta(seconds=3), direction="outbound"))
        else:
            h.events.append(call(cid, offered_at, team, agent, wait))
            h.calls.append(Call(offered_at, team, agent if wait is not None else None, wait))
    h.events += [redelivered(event) for event in rng.sample(h.events, len(h.events) // 8)]
    return h
