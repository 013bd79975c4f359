"""ticket.closed / ticket.reopened → invitations, through the service functions the consumer
calls, on a real database (both backends)."""

from datetime import timedelta
from decimal import Decimal

from prometheus_client import REGISTRY
from sqlalchemy import select

from csq_common.sealing import DEVELOPMENT_PRIVATE_KEY, open_sealed
from survey_svc.campaigns import invite
from survey_svc.campaigns.models import CustomerContact, Invitation
from tests.campaigns.factories import CUSTOMER, T0, campaign, closed, published_survey, reopened


async def invitations(sessions, **where) -> list[Invitation]:
    async with sessions() as session:
        statement = select(Invitation).order_by(Invitation.created_at, Invitation.id)
        for name, value in where.items():
            statement = statement.where(getattr(Invitation, name) == value)
        return list((await session.execute(statement)).scalars())


async def setup(sessions, **campaign_fields):
    async with sessions() as session:
        survey_id = await published_survey(session)
        created = await campaign(session, survey_id, **campaign_fields)
        await session.commit()
    return survey_id, created


async def close(sessions, settings, event, *, now=None):
    async with sessions() as session:
        outcomes = await invite.on_ticket_closed(session, settings, event, now=now or event.occurred_at)
        await session.commit()
    return outcomes


def test_pure_rules():
    assert invite.normalise_locale("zh", ["zh-CN", "en"], "en") == "zh-CN"
    assert invite.normalise_locale("zh-Hans", ["zh-CN", "en"], "en") == "zh-CN"
    assert invite.normalise_locale("zh_cn", ["zh-CN", "en"], "en") == "zh-CN"
    assert invite.normalise_locale("en-GB", ["zh-CN", "en"], "zh-CN") == "en"
    assert invite.normalise_locale("EN", ["zh-CN", "en"], "zh-CN") == "en"
    assert invite.normalise_locale("en-US", ["zh-CN"], "zh-CN") == "zh-CN"  # not declared
    assert invite.normalise_locale("fr-FR", ["zh-CN", "en"], "en") == "en"
    assert invite.normalise_locale(None, ["zh-CN", "en"], "zh-CN") == "zh-CN"
    by_id = invite.customer_key("s", "C-9", "A@x.com")
    assert by_id == invite.customer_key("s", "C-9") and len(by_id) == 64
    assert invite.customer_key("s", None, " A@X.com") == invite.customer_key("s", None, "a@x.com")
    assert invite.customer_key("other", "C-9") != by_id
    assert invite.customer_key("s", None) is None


def test_sampling_lands_near_the_rate_and_replays_decide_the_same():
    for rate in (Decimal("0.1"), Decimal("0.3333"), Decimal("0.75")):
        decisions = [invite.sampled_in("camp-1", f"T-{n}", T0 + timedelta(minutes=n), rate) for n in range(2000)]
        assert abs(sum(decisions) / 2000 - float(rate)) < 0.04, rate
        again = [invite.sampled_in("camp-1", f"T-{n}", T0 + timedelta(minutes=n), rate) for n in range(2000)]
        assert again == decisions
    # Another campaign samples independently; rate 1 takes everything.
    first = [invite.sampled_in("camp-1", f"T-{n}", T0, Decimal("0.5")) for n in range(500)]
    other = [invite.sampled_in("camp-2", f"T-{n}", T0, Decimal("0.5")) for n in range(500)]
    assert first != other
    assert all(invite.sampled_in("c", f"T-{n}", T0, Decimal(1)) for n in range(200))


async def test_a_closure_schedules_one_invitation_with_attribution_locale_and_a_sealed_message(sessions, svc_settings):
    survey_id, created = await setup(sessions, delay_seconds=1800)
    assert await close(sessions, svc_settings, closed()) == {created.id: "scheduled"}
    # The CRM reports the same close again (another event id): nothing new.
    assert await close(sessions, svc_settings, closed(), now=T0 + timedelta(minutes=5)) == {created.id: "duplicate"}
    [row] = await invitations(sessions)
    assert (row.status, row.campaign_id, row.survey_id, row.survey_version) == ("scheduled", created.id, survey_id, 1)
    assert (row.ticket_id, row.ticket_closed_at, row.team_id, row.agent_id, row.channel) == ("T-1001", T0, "billing", "A-7", "email")
    assert row.send_at == T0 + timedelta(seconds=1800) and row.invited_at is None and row.expires_at is None
    assert row.locale == "zh-CN"  # zh-Hans, declared by the survey
    assert row.customer_id == "C-9" and not hasattr(row, "customer_email")
    # No token yet: it is minted when the invitation is sent; the row holds the contact feedback-svc
    # sealed for notify-svc, as it came.
    assert row.token_hash is None
    message = open_sealed(row.sealed_message, DEVELOPMENT_PRIVATE_KEY)
    assert message["to"] == {"email": "li.lei@example.com", "name": "李雷"} and message["customer_id"] == "C-9"
    assert "survey_link" not in message

    # A reclose of the same ticket later is a new closure (after the throttle window here).
    later = T0 + timedelta(days=31)
    assert await close(sessions, svc_settings, closed(closed_at=later, customer={**CUSTOMER, "locale": "en-US"})) == {created.id: "scheduled"}
    rows = await invitations(sessions)
    assert len(rows) == 2 and rows[1].locale == "en" and rows[1].ticket_closed_at == later


async def test_a_closure_older_than_the_campaigns_maximum_age_is_not_invited(sessions, svc_settings):
    """Replayed CRM history must not invite customers whose tickets closed long ago."""
    async with sessions() as session:
        survey_id = await published_survey(session)
        default_age = await campaign(session, survey_id, throttle_days=0)
        one_day = await campaign(session, survey_id, throttle_days=0, max_ticket_age_seconds=86_400)
        await session.commit()
    before = REGISTRY.get_sample_value("csq_survey_invitation_decisions_total", {"outcome": "too_old"}) or 0
    week = timedelta(days=7)
    assert await close(sessions, svc_settings, closed("T-1"), now=T0 + week) == {default_age.id: "scheduled", one_day.id: "too_old"}
    assert await close(sessions, svc_settings, closed("T-2"), now=T0 + week + timedelta(seconds=1)) == {default_age.id: "too_old", one_day.id: "too_old"}
    assert await close(sessions, svc_settings, closed("T-3"), now=T0 + timedelta(days=1)) == {default_age.id: "scheduled", one_day.id: "scheduled"}
    assert sorted((row.ticket_id, row.campaign_id == one_day.id) for row in await invitations(sessions)) == [
        ("T-1", False), ("T-3", False), ("T-3", True)
    ]
    assert REGISTRY.get_sample_value("csq_survey_invitation_decisions_total", {"outcome": "too_old"}) == before + 3


async def test_filters_match_every_non_empty_list_and_any_tag(sessions, svc_settings):
    _, created = await setup(
        sessions, throttle_days=0, filters={"team_ids": ["billing", "vip"], "channels": ["email", "chat"], "priorities": [], "tags": ["refund", "delivery"]}
    )
    cases = [
        (closed("T-1"), "scheduled"),
        (closed("T-2", team_id="sales"), "filtered"),
        (closed("T-3", channel="phone"), "filtered"),
        (closed("T-4", tags=["other", "delivery"]), "scheduled"),
        (closed("T-5", tags=[]), "filtered"),
        (closed("T-6", team_id=None), "filtered"),
        (closed("T-7", priority="urgent", channel="chat", team_id="vip"), "scheduled"),
    ]
    for event, outcome in cases:
        assert await close(sessions, svc_settings, event) == {created.id: outcome}, event.ticket.id
    assert sorted(row.ticket_id for row in await invitations(sessions)) == ["T-1", "T-4", "T-7"]


async def test_email_delivery_needs_an_address_and_link_delivery_does_not(sessions, svc_settings):
    async with sessions() as session:
        survey_id = await published_survey(session)
        by_email = await campaign(session, survey_id, throttle_days=0)
        by_link = await campaign(session, survey_id, delivery="link", throttle_days=0)
        await session.commit()
    outcomes = await close(sessions, svc_settings, closed(customer={"id": "C-1", "name": "No Mail"}))
    assert outcomes == {by_email.id: "no_email", by_link.id: "scheduled"}
    [row] = await invitations(sessions)
    assert row.delivery == "link" and row.sealed_message is None and row.token_hash


async def test_sampling_through_the_service_follows_the_pure_decision(sessions, svc_settings):
    _, created = await setup(sessions, sampling_rate="0.5", throttle_days=0)
    outcomes = []
    for n in range(120):
        event = closed(f"T-{n}", customer={"id": f"C-{n}", "email": f"c{n}@example.com"})
        outcomes.append((await close(sessions, svc_settings, event))[created.id])
    expected = ["scheduled" if invite.sampled_in(created.id, f"T-{n}", T0, Decimal("0.5")) else "sampled_out" for n in range(120)]
    assert outcomes == expected and 35 < outcomes.count("scheduled") < 85


async def test_throttling_across_campaigns_and_after_the_window(sessions, svc_settings):
    async with sessions() as session:
        survey_id = await published_survey(session)
        first = await campaign(session, survey_id, throttle_days=30)
        second = await campaign(session, survey_id, throttle_days=7)
        await session.commit()
    # Two campaigns on the same closure: only the first invites.
    assert await close(sessions, svc_settings, closed("T-1")) == {first.id: "scheduled", second.id: "throttled"}
    # A customer the CRM reports without an id cannot be throttled: survey-svc never sees their
    # email (it travels sealed for notify-svc), so nothing identifies them here.
    later = T0 + timedelta(days=8)
    email_only = {"email": "LI.LEI@example.com", "name": "李雷"}
    assert await close(sessions, svc_settings, closed("T-2", closed_at=later, customer=email_only)) == {first.id: "scheduled", second.id: "scheduled"}
    # By id: 8 days later campaign 2 (7 days) may invite, campaign 1 (30 days) may not.
    outcomes = await close(sessions, svc_settings, closed("T-3", closed_at=later))
    assert outcomes == {first.id: "throttled", second.id: "scheduled"}
    # 31 days after that, campaign 1 may invite again.
    outcomes = await close(sessions, svc_settings, closed("T-4", closed_at=later + timedelta(days=31)))
    assert outcomes[first.id] == "scheduled" and outcomes[second.id] == "throttled"
    # A different customer is never throttled by another's invitations.
    other = await close(sessions, svc_settings, closed("T-5", closed_at=later, customer={"id": "C-other", "email": "x@example.com"}))
    assert other[first.id] == "scheduled"
    async with sessions() as session:
        contacts = (await session.execute(select(CustomerContact))).scalars().all()
    assert all(len(row.customer_key) == 64 for row in contacts)


async def test_a_reopen_before_the_send_cancels_and_gives_the_reservation_back(sessions, svc_settings):
    from survey_svc.campaigns import scheduler

    _, created = await setup(sessions, delay_seconds=3600)
    await close(sessions, svc_settings, closed())
    async with sessions() as session:
        assert await invite.on_ticket_reopened(session, svc_settings, reopened(at=T0 + timedelta(minutes=20)), now=T0 + timedelta(minutes=20)) == 1
        await session.commit()
    [row] = await invitations(sessions)
    assert (row.status, row.cancel_reason, row.sealed_message) == ("cancelled", "ticket reopened", None)
    async with sessions() as session:
        assert await scheduler.send_due(session, svc_settings, now=T0 + timedelta(hours=5), limit=100) == 0
        await session.commit()
    [row] = await invitations(sessions)
    assert row.status == "cancelled" and row.invited_at is None
    # Closed again: the customer is invited for the new closure (the cancelled one did not count).
    reclosed = T0 + timedelta(hours=2)
    assert await close(sessions, svc_settings, closed(closed_at=reclosed)) == {created.id: "scheduled"}
    # A reopen that precedes a closure leaves that closure's invitation alone.
    async with sessions() as session:
        assert await invite.on_ticket_reopened(session, svc_settings, reopened(at=reclosed - timedelta(minutes=1)), now=reclosed) == 0
        await session.commit()
    assert [row.status for row in await invitations(sessions)] == ["cancelled", "scheduled"]
