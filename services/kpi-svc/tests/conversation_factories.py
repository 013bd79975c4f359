"""Generated tickets with customers, calendars and message threads, as CloudEvents in delivery
order (time order, with redeliveries under new event ids later on), and the facts
``conversation_oracle`` expects from the generator's own records."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from csq_common.events import (
    CloudEvent,
    CustomerErased,
    TicketAssigned,
    TicketClosed,
    TicketCreated,
    TicketFirstResponded,
    TicketMessageAdded,
    TicketResolved,
    make_event,
)
from tests import conversation_oracle as co
from tests.factories import Closure, FirstResponse, History, NextResponse, event, ms, snapshot

UTC = timezone.utc
#: Three weeks around China's National Day holidays (2026-10-01…07, make-up days 09-27 and 10-10).
ORIGIN = datetime(2026, 9, 24, 0, 0, tzinfo=UTC)
SPAN_MS = 21 * 86_400_000
TEAMS = ["billing", "tech", "sales", None]
AGENTS = {"billing": ["A-1", "A-2"], "tech": ["A-3", "A-4"], "sales": ["A-5"], None: ["A-6"]}
CHANNELS = ["email", "chat", "wechat"]
CUSTOMERS = [f"crm:C-{n}" for n in range(12)]

CALENDARS = [
    co.CalendarSpec(
        name="客服中心工作日历", tz="Asia/Shanghai",
        hours={day: ["09:00-12:00", "13:30-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
        holidays=[date(2026, 10, day) for day in range(1, 8)], extra_working_days=[date(2026, 9, 27), date(2026, 10, 10)],
        team_ids=["billing"],
    ),
    co.CalendarSpec(
        name="技术支持 (Kolkata)", tz="Asia/Kolkata",
        hours={day: ["10:00-19:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat")}, team_ids=["tech"],
    ),
    co.CalendarSpec(
        name="默认日历", tz="Europe/London", hours={day: ["08:00-20:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
        holidays=[date(2026, 10, 5)], default=True,
    ),
]

REPLIES = ["您好，您的问题我们已经收到，正在为您处理。", "退款已经原路退回，预计 1-3 个工作日到账。", "Thanks, the replacement ships tomorrow."]
QUESTIONS = ["请问我的订单什么时候发货？", "还没收到退款，麻烦再帮我查一下。", "Is there any update on my ticket?", "在吗？"]


@dataclass
class ConversationHistory:
    history: History = field(default_factory=History)
    events: list[CloudEvent] = field(default_factory=list)  # in delivery order
    customers: dict[str, str | None] = field(default_factory=dict)  # ticket id → customer id


def message_event(message: co.Message, channel: str | None, text: str) -> CloudEvent:
    data = TicketMessageAdded(
        ticket_id=message.ticket_id, message_id=message.message_id, author_role=message.role, author_id=message.author,
        public=message.public, sent_at=message.at, channel=channel, text=text, language="zh-CN",
    )
    return make_event(data, source="test/crm", subject=message.ticket_id, time=message.at)


def erased_event(customer_id: str, at: datetime) -> CloudEvent:
    return make_event(CustomerErased(customer_id=customer_id, requested_at=at), source="feedback-svc", subject=customer_id, time=at)


def _thread(rng: random.Random, tid: str, created: datetime, agent: str | None, until: datetime) -> list[co.Message]:
    """A conversation: rounds of customer messages (several before one reply), bot answers and
    private notes in between, public agent replies; sometimes two replies at one instant or a
    customer message at a reply's instant; may end unanswered."""
    out: list[co.Message] = []
    number = 0

    def add(role, author, public, at):
        nonlocal number
        number += 1
        out.append(co.Message(tid, f"{tid}-M{number}", role, author, public, at))

    at = created
    for _ in range(rng.randrange(1, 5)):
        for _ in range(rng.choice([1, 1, 2, 3])):
            add("customer", None, True, at)
            at += ms(rng.randrange(1000, 3 * 3600_000))
        if rng.random() < 0.4:
            add("bot", "bot-1", True, at)  # a bot's answer is no agent reply
            at += ms(rng.randrange(1000, 600_000))
        if rng.random() < 0.3:
            add("agent", agent, False, at)  # a private note is no reply
            at += ms(rng.randrange(1000, 3600_000))
        if rng.random() < 0.15:
            break  # left unanswered
        at += ms(rng.randrange(0, 2 * 86_400_000))
        replier = agent if rng.random() < 0.8 else "A-9"
        add("agent", replier, True, at)
        if rng.random() < 0.1:
            add("agent", agent, True, at)  # a second reply at the same instant
        if rng.random() < 0.1:
            add("customer", None, True, at)  # a customer message at the reply's instant: answered by it
        at += ms(rng.randrange(1000, 86_400_000))
        if at >= until:
            break
    return [m for m in out if m.at < until]


def generate(rng: random.Random, tickets: int) -> ConversationHistory:
    result = ConversationHistory()
    timed: list[tuple[datetime, int, CloudEvent]] = []  # (delivery time, tiebreak, event)
    created_of: dict[str, tuple[str | None, datetime]] = {}
    closures = []
    for number in range(tickets):
        tid = f"T-{number}"
        team = rng.choice(TEAMS)
        agent = rng.choice(AGENTS[team])
        channel = rng.choice(CHANNELS)
        customer = rng.choice(CUSTOMERS) if rng.random() < 0.9 else None
        created = ORIGIN + ms(rng.randrange(0, SPAN_MS))
        created_of[tid] = (customer, created)
        result.customers[tid] = customer
        spec = co.calendar_for(CALENDARS, team)

        def snap(**fields):
            data = snapshot(tid, team, agent, channel, created, **fields)
            data["customer"] = {"id": customer, "locale": "zh-CN"} if customer else None
            return data

        def add(model, at, **fields):
            timed.append((at, len(timed), event(model, snap(**fields), at)))

        add(TicketCreated, created)
        add(TicketAssigned, created + ms(1000))
        offset = -rng.randrange(1, 600_000) if rng.random() < 0.05 else rng.randrange(0, 3 * 86_400_000)
        responded = created + ms(offset)
        add(TicketFirstResponded, max(responded, created), first_response_at=responded)
        result.history.first_responses.append(
            FirstResponse(tid, responded, team, agent, channel, max(offset, 0), co.business_ms(spec, created, responded))
        )
        closed = None
        if rng.random() < 0.85:
            closed = created + ms(rng.randrange(3600_000, 6 * 86_400_000))
            resolved = closed - ms(rng.randrange(0, 3_600_000)) if rng.random() < 0.6 else None
            fields = dict(first_response_at=responded, resolved_at=resolved, closed_at=closed, contact_count=1)
            if resolved is not None:
                add(TicketResolved, resolved, **{**fields, "closed_at": None})
            add(TicketClosed, closed, **fields)
            end = resolved or closed
            closures.append(
                (tid, Closure(tid, closed, team, agent, channel, max((end - created) // ms(1), 0), None, True,
                              co.business_ms(spec, created, end)))
            )
        thread = _thread(rng, tid, created, agent, closed or ORIGIN + ms(SPAN_MS + 86_400_000))
        texts = REPLIES + QUESTIONS
        for message in thread:
            timed.append((message.at, len(timed), message_event(message, channel, rng.choice(texts))))
        for reply, wait in co.answered_waits(thread):
            result.history.next_responses.append(NextResponse(tid, reply.at, team, reply.author, channel, wait))
    for tid, closure in closures:
        repeat = co.is_repeat(created_of, tid, closure.closed_at)
        result.history.closures.append(
            Closure(closure.ticket_id, closure.closed_at, closure.team, closure.agent, closure.channel, closure.resolution_ms,
                    closure.handle_seconds, closure.fcr, closure.resolution_bh_ms, repeat)
        )
    timed.sort(key=lambda item: (item[0], item[1]))
    delivered = [item[2] for item in timed]
    # redelivery: a fifth of the events again under new event ids, somewhere later in the stream
    for index in sorted(rng.sample(range(len(delivered)), len(delivered) // 5), reverse=True):
        again = delivered[index].model_copy(update={"id": str(uuid.uuid4())})
        delivered.insert(rng.randrange(index + 1, len(delivered) + 1), again)
    result.events = delivered
    return result
