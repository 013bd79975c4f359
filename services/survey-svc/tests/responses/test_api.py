"""The JSON response API (public, by token) and the internal phone API, through HTTP on both
backends. Each test starts the service, so each covers a whole journey."""

import asyncio
from datetime import timedelta

from csq_common.db import utcnow
from csq_common.events import SurveyAnswered, parse_data
from tests.responses.factories import CSAT_PROMPT_EN, FOLLOW_UP_ZH, good_answers, more_invitations, setup
from tests.responses.helpers import PROBLEM, READER, WRITER, answered_events, invitation_row, nothing_recorded, responses_of
from tests.surveys.factories import CSAT_PROMPT_ZH


async def test_get_shows_the_survey_in_the_invitation_language_or_the_asked_one(client):
    invitation, token, version = await setup(client.app, locale="zh-CN")
    zh = await client.get(f"/v1/public/responses/{token}")
    assert zh.status_code == 200, zh.text
    assert zh.headers["cache-control"] == "no-store" and zh.headers["referrer-policy"] == "no-referrer"
    body = zh.json()
    assert body["survey_id"] == version.survey_id and body["survey_version"] == 1
    assert body["language"] == "zh-CN" and body["languages"] == ["zh-CN", "en"]
    q1, q2, q3, q4, q5, q6, q7 = body["questions"]
    assert q1 == {
        "key": "q1", "type": "csat", "prompt": CSAT_PROMPT_ZH, "low_label": "非常不满意", "high_label": "非常满意",
        "scale": {"min": 1, "max": 5}, "choices": None, "required": True, "show_if": None,
    }
    assert q2["prompt"] == FOLLOW_UP_ZH and q2["show_if"] == {"question": "q1", "at_most": 3} and q2["required"]
    assert q3["scale"] == {"min": 0, "max": 10} and q5["scale"] == {"min": 1, "max": 10} and q7["scale"] == {"min": 1, "max": 7}
    assert q4["choices"] == [{"key": "fast", "label": "很快"}, {"key": "slow", "label": "太慢"}] and q4["scale"] is None
    assert q6["type"] == "multiple_choice" and not q6["required"]
    # Nothing about the customer or the ticket is shown to whoever holds the link.
    assert not {"customer_id", "ticket_id", "agent_id", "team_id", "invitation_id"} & set(body)

    en = (await client.get(f"/v1/public/responses/{token}", params={"lang": "en"})).json()
    assert en["language"] == "en" and en["questions"][0]["prompt"] == CSAT_PROMPT_EN
    assert en["questions"][3]["choices"][1] == {"key": "slow", "label": "Too slow"}
    [(_, en_token)] = await more_invitations(client.app, version, {"locale": "en"})
    assert (await client.get(f"/v1/public/responses/{en_token}")).json()["questions"][0]["prompt"] == CSAT_PROMPT_EN
    assert (await client.get(f"/v1/public/responses/{token}", params={"lang": "fr"})).status_code == 422
    # Reading records nothing.
    assert await nothing_recorded(client.app, invitation.id)


async def test_submit_records_once_with_one_event_then_409(client):
    invitation, token, version = await setup(client.app)
    answers = good_answers(q1=2, q2="  等了三天才回复。 ", q6=["polite"])
    created = await client.post(f"/v1/public/responses/{token}", json={"answers": answers})
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"response_id", "answered_at"}

    stored = await invitation_row(client.app, invitation.id)
    assert stored.status == "answered" and stored.answered_at.isoformat().replace("+00:00", "Z") == body["answered_at"]
    [(response, rows)] = await responses_of(client.app, invitation.id)
    assert response.id == body["response_id"] and response.response_channel == "api" and response.locale == "zh-CN"
    assert (response.ticket_id, response.team_id, response.agent_id, response.channel) == ("T-1001", "billing", "A-7", "email")
    assert response.customer_id == "C-9" and not response.anonymous and response.campaign_id == invitation.campaign_id
    assert {key: (row.type, row.dimension, row.number, row.choices, row.text) for key, row in rows.items()} == {
        "q1": ("csat", "attitude", 2, None, None),
        "q2": ("text", "overall", None, None, "等了三天才回复。"),
        "q3": ("nps", "overall", 9, None, None),
        "q4": ("single_choice", "response_speed", None, ["fast"], None),
        "q5": ("rating", "professionalism", 8, None, None),
        "q6": ("multiple_choice", "overall", None, ["polite"], None),
        "q7": ("ces", "problem_solving", 6, None, None),
    }

    [(key, event)] = await answered_events(client.app)
    assert key == invitation.id and event.subject == invitation.id and event.source == "survey-svc"
    assert event.time == stored.answered_at
    data = parse_data(event)
    assert isinstance(data, SurveyAnswered)
    assert (data.invitation_id, data.survey_id, data.survey_version, data.campaign_id) == (invitation.id, version.survey_id, 1, invitation.campaign_id)
    assert (data.ticket_id, data.team_id, data.agent_id, data.channel) == ("T-1001", "billing", "A-7", "email")
    assert data.customer_id == "C-9" and data.anonymous is False and data.response_channel == "api"
    assert data.response_id == body["response_id"] and data.answered_at == stored.answered_at
    assert abs(data.invited_at - invitation.invited_at) < timedelta(milliseconds=1)
    assert [(a.question_id, a.type, a.dimension, a.value, a.scale_max) for a in data.answers] == [
        ("q1", "csat", "attitude", 2, 5), ("q3", "nps", "overall", 9, 10), ("q5", "rating", "professionalism", 8, 10),
        ("q7", "ces", "problem_solving", 6, 7),
    ]

    again = await client.post(f"/v1/public/responses/{token}", json={"answers": good_answers()})
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
    assert again.json()["type"] == "https://csq.dev/problems/already-answered"
    assert (await client.get(f"/v1/public/responses/{token}")).status_code == 409
    assert len(await responses_of(client.app, invitation.id)) == 1 and len(await answered_events(client.app)) == 1


async def test_concurrent_submissions_record_exactly_one(client):
    invitation, token, _ = await setup(client.app)
    results = await asyncio.gather(
        *(client.post(f"/v1/public/responses/{token}", json={"answers": good_answers(q3=n)}) for n in range(4))
    )
    assert sorted(result.status_code for result in results) == [201, 409, 409, 409]
    assert len(await responses_of(client.app, invitation.id)) == 1 and len(await answered_events(client.app)) == 1


async def test_link_states_404_409_410_reveal_nothing(client):
    invitation, token, version = await setup(client.app)
    now = utcnow()
    made = await more_invitations(
        client.app, version,
        {"status": "scheduled"}, {"status": "cancelled"},
        {"status": "expired"}, {"status": "sent", "expires_at": now - timedelta(seconds=1)},
    )
    (scheduled, scheduled_token), (cancelled, cancelled_token), (expired, expired_token), (lapsed, lapsed_token) = made
    unknown_token = "A" * 43

    bodies = []
    for link in (unknown_token, scheduled_token, cancelled_token, "x"):
        for method in ("GET", "POST"):
            response = await client.request(method, f"/v1/public/responses/{link}", json={"answers": good_answers()})
            assert response.status_code == 404 and response.headers["content-type"] == PROBLEM
            bodies.append(response.content)
    # Byte for byte the same: nothing token-specific (no instance path), nothing about the row.
    assert len(set(bodies)) == 1
    assert (await client.get(f"/v1/public/responses/{unknown_token}")).json() == {
        "type": "https://csq.dev/problems/survey-link-not-found", "title": "Survey link not found", "status": 404,
        "detail": "this survey link is not valid",
    }

    for link in (expired_token, lapsed_token):
        for method in ("GET", "POST"):
            response = await client.request(method, f"/v1/public/responses/{link}", json={"answers": good_answers()})
            assert response.status_code == 410 and response.json()["type"] == "https://csq.dev/problems/survey-link-expired"
    for row in (scheduled, cancelled, expired, lapsed):
        assert await responses_of(client.app, row.id) == []
    assert await answered_events(client.app) == []
    # The lapsed one was not answered in passing either (the scheduler may have expired it since).
    assert (await invitation_row(client.app, lapsed.id)).status in ("sent", "expired")


async def test_bad_answers_are_422_naming_the_question_and_record_nothing(client):
    invitation, token, _ = await setup(client.app)
    cases = [
        (good_answers(q1=6), ["answers.q1"]),
        (good_answers(q3=None), ["answers.q3"]),
        (good_answers(q1=2), ["answers.q2"]),  # the follow-up is shown and required
        (good_answers(q9=1), ["answers.q9"]),
        (good_answers(q4="medium"), ["answers.q4"]),
        (good_answers(q6=["polite", "rude"]), ["answers.q6"]),
        ({"q1": 0, "q4": "x", "q5": "8"}, ["answers.q1", "answers.q3", "answers.q4", "answers.q5"]),
    ]
    for answers, fields in cases:
        response = await client.post(f"/v1/public/responses/{token}", json={"answers": answers})
        assert response.status_code == 422, (answers, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert [error["field"] for error in response.json()["errors"]] == fields
    shape = await client.post(f"/v1/public/responses/{token}", json={"answer": {}})
    assert shape.status_code == 422 and "answers" in shape.json()["detail"]
    assert await nothing_recorded(client.app, invitation.id)
    # Still answerable afterwards.
    assert (await client.post(f"/v1/public/responses/{token}", json={"answers": good_answers()})).status_code == 201


async def test_anonymous_answers_carry_no_customer_id(client):
    # Even if a customer id slipped into an anonymous invitation, it never leaves with the answer.
    invitation, token, _ = await setup(client.app, anonymous=True, customer_id="C-9")
    assert (await client.post(f"/v1/public/responses/{token}", json={"answers": good_answers()})).status_code == 201
    [(response, _)] = await responses_of(client.app, invitation.id)
    assert response.anonymous and response.customer_id is None
    [(_, event)] = await answered_events(client.app)
    assert event.data["anonymous"] is True and event.data["customer_id"] is None
    assert "C-9" not in event.to_bytes().decode()


async def test_phone_answers_need_a_write_key_and_follow_the_same_rules(client):
    invitation, token, version = await setup(client.app)
    path = f"/v1/invitations/{invitation.id}/responses"
    body = {"answers": good_answers(q1=4), "channel": "phone"}
    assert (await client.post(path, json=body)).status_code == 401
    assert (await client.post(path, json=body, headers={"Authorization": "Bearer nope"})).status_code == 401
    assert (await client.post(path, json=body, headers=READER)).status_code == 403
    bad = await client.post(path, json={"answers": good_answers(q5=0)}, headers=WRITER)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "answers.q5"
    assert await nothing_recorded(client.app, invitation.id)

    created = await client.post(path, json=body, headers=WRITER)
    assert created.status_code == 201, created.text
    [(response, rows)] = await responses_of(client.app, invitation.id)
    assert response.response_channel == "phone" and rows["q1"].number == 4
    [(_, event)] = await answered_events(client.app)
    assert event.data["response_channel"] == "phone" and event.data["invitation_id"] == invitation.id
    assert (await client.post(path, json=body, headers=WRITER)).status_code == 409
    # The customer's link is answered too.
    assert (await client.get(f"/v1/public/responses/{token}")).status_code == 409

    assert (await client.post("/v1/invitations/no-such-invitation/responses", json=body, headers=WRITER)).status_code == 404
    (scheduled, _), (expired, _) = await more_invitations(
        client.app, version, {"status": "scheduled"}, {"status": "sent", "expires_at": utcnow() - timedelta(minutes=1)}
    )
    not_sent = await client.post(f"/v1/invitations/{scheduled.id}/responses", json=body, headers=WRITER)
    assert not_sent.status_code == 409 and not_sent.json()["type"] == "https://csq.dev/problems/invitation-not-open"
    assert (await client.post(f"/v1/invitations/{expired.id}/responses", json=body, headers=WRITER)).status_code == 410


async def test_a_retired_survey_takes_no_more_answers(client):
    invitation, token, version = await setup(client.app)
    assert (await client.post(f"/v1/surveys/{version.survey_id}/retire", headers=WRITER)).status_code == 200
    assert (await client.get(f"/v1/public/responses/{token}")).status_code == 410
    assert (await client.post(f"/v1/public/responses/{token}", json={"answers": good_answers()})).status_code == 410
    assert (await client.get(f"/s/{token}")).status_code == 410
    assert await nothing_recorded(client.app, invitation.id)
