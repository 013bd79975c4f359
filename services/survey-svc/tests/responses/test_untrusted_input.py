"""What a client can send that must end as a 4xx naming the field and never reach a handler
or the database: oversized bodies, pathological answers, unstorable text (both backends)."""

import json

import pytest

from tests.responses.factories import good_answers, setup
from tests.responses.helpers import PROBLEM, READER, WRITER, nothing_recorded
from tests.responses.test_page import GOOD_FORM, csrf_of
from tests.surveys.factories import definition

BIG = 300 * 1024


def _chunked(body: bytes):
    async def stream():
        for start in range(0, len(body), 16 * 1024):
            yield body[start : start + 16 * 1024]

    return stream()


def _json(payload) -> tuple[bytes, dict[str, str]]:
    """ASCII-escaped JSON, as a client may send a lone surrogate (``"\\ud800"``)."""
    return json.dumps(payload).encode(), {"Content-Type": "application/json"}


async def test_a_300_kib_body_is_413_before_any_handler_runs(client):
    invitation, token, _ = await setup(client.app)
    surveys_before = (await client.get("/v1/surveys", headers=READER)).json()["items"]
    answers = json.dumps({"answers": good_answers(q1=2, q2="x" * BIG)}).encode()
    survey = json.dumps(definition(name="n" * BIG)).encode()
    for url, body, headers in [
        (f"/v1/public/responses/{token}", answers, {}),  # public: the link token is the credential
        ("/v1/surveys", survey, WRITER),  # authenticated
        ("/v1/surveys", survey, {}),  # no credential at all: the body is still never read
    ]:
        for content in (body, _chunked(body)):
            response = await client.post(url, content=content, headers={**headers, "Content-Type": "application/json"})
            assert response.status_code == 413, (url, response.text)
            assert response.headers["content-type"] == PROBLEM and response.json()["status"] == 413
            assert "262144" in response.json()["detail"]
    assert await nothing_recorded(client.app, invitation.id)
    assert (await client.get("/v1/surveys", headers=READER)).json()["items"] == surveys_before


async def test_a_huge_duplicate_laden_multiple_choice_answer_is_a_422_naming_it(client):
    invitation, token, _ = await setup(client.app)
    body, headers = _json({"answers": good_answers(q6=["quick"] * 20_000)})
    response = await client.post(f"/v1/public/responses/{token}", content=body, headers=headers)
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    assert response.json()["errors"] == [{"field": "answers.q6", "message": "lists 20000 choices; there are only 3"}]
    assert await nothing_recorded(client.app, invitation.id)


async def test_an_answer_to_a_follow_up_not_shown_is_a_422_naming_it(client):
    invitation, token, _ = await setup(client.app)
    body, headers = _json({"answers": good_answers(q1=5, q2="not shown: q1 is above 3")})
    response = await client.post(f"/v1/public/responses/{token}", content=body, headers=headers)
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["answers.q2"]
    assert await nothing_recorded(client.app, invitation.id)


@pytest.mark.parametrize("text", ["NUL\x00inside", "lone \ud800 surrogate"])
async def test_unstorable_text_answers_are_422s_by_api_and_by_form(client, text):
    invitation, token, _ = await setup(client.app)
    body, headers = _json({"answers": good_answers(q1=2, q2=text)})
    response = await client.post(f"/v1/public/responses/{token}", content=body, headers=headers)
    assert response.status_code == 422 and [error["field"] for error in response.json()["errors"]] == ["answers.q2"]
    phone = await client.post(f"/v1/invitations/{invitation.id}/responses", content=body, headers={**headers, **WRITER})
    assert phone.status_code == 422 and [error["field"] for error in phone.json()["errors"]] == ["answers.q2"]
    if "\x00" in text:  # a form field is percent-decoded UTF-8: a NUL can arrive, a surrogate cannot
        field = csrf_of((await client.get(f"/s/{token}")).text)
        page = await client.post(f"/s/{token}", data={**GOOD_FORM, "csrf": field, "q1": "2", "q2": text})
        assert page.status_code == 422 and 'id="err-q2"' in page.text
    assert await nothing_recorded(client.app, invitation.id)


@pytest.mark.parametrize("bad", ["NUL\x00inside", "lone \udc00 surrogate"])
async def test_unstorable_survey_and_campaign_texts_ids_and_cursors_are_422s_naming_them(client, bad):
    cases = [
        ("POST", "/v1/surveys", definition(name=bad), "name"),
        ("POST", "/v1/campaigns", {"name": bad, "survey_id": "s", "trigger": "explicit", "delivery": "link"}, "name"),
        ("POST", "/v1/campaigns", {"name": "n", "survey_id": bad, "trigger": "explicit", "delivery": "link"}, "survey_id"),
    ]
    question = definition()["questions"][0]
    prompt = {**question, "texts": {**question["texts"], "en": {**question["texts"]["en"], "prompt": bad}}}
    cases.append(("POST", "/v1/surveys", definition(questions=[prompt]), "questions[0].texts.en.prompt"))
    for method, url, payload, field in cases:
        body, headers = _json(payload)
        response = await client.request(method, url, content=body, headers={**headers, **WRITER})
        assert response.status_code == 422, (url, field, response.text)
        assert field in [error["field"] for error in response.json()["errors"]], (field, response.json())
    if "\x00" in bad:  # query strings and paths are percent-decoded UTF-8: NUL can arrive, surrogates not
        for url, field in [
            ("/v1/surveys?cursor=a%00", "cursor"),
            ("/v1/invitations?campaign_id=a%00", "campaign_id"),
            ("/v1/campaigns/c%00", "campaign_id"),
            ("/v1/invitations/i%00", "invitation_id"),
            ("/v1/surveys/s%00", "survey_id"),
        ]:
            response = await client.get(url, headers=READER)
            assert response.status_code == 422, (url, response.text)
            assert [error["field"] for error in response.json()["errors"]] == [field]


async def test_unknown_query_parameters_are_422s_naming_them(client):
    response = await client.get("/v1/invitations", params={"campaign": "c-1", "limit": 5}, headers=READER)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "campaign", "message": "is not a parameter of this endpoint"}]
