"""The public answer page, ``/s/{token}``: server-rendered (Jinja2, autoescaped), no JavaScript.

GET shows the survey (``?lang`` switches language, ``?answer`` from the email's one-click links
pre-selects the first CSAT/NPS/CES question and records nothing); POST (form-encoded, CSRF
checked, see ``csrf.py``) records and redirects to ``/s/{token}/thanks`` (303), so a refresh never
submits twice. Link states render one page per state: 404, 409 "already answered", 410 expired.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

import jinja2
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from csq_common.db import utcnow
from csq_common.http.dependencies import ReadSessionDep, SessionDep
from survey_svc.campaigns.tokens import token_hash
from survey_svc.responses import csrf, service
from survey_svc.responses.errors import AlreadyAnswered, SurveyLinkExpired, SurveyLinkNotFound
from survey_svc.responses.public import PublicRoute
from survey_svc.responses.texts import LANGUAGE_NAMES, LANGUAGES, TEXTS, from_accept_language
from survey_svc.responses.validation import Problem, check_answers
from survey_svc.settings import Settings, SettingsDep
from survey_svc.surveys.definitions import NUMERIC_TYPES, scale_of
from survey_svc.surveys.schemas import SurveyDefinition

router = APIRouter(tags=["answer page"], route_class=PublicRoute, include_in_schema=False)
assets = APIRouter(include_in_schema=False)

Token = Annotated[str, Path(max_length=200)]
Lang = Annotated[str | None, Query(max_length=10)]
LINK_ERRORS = (SurveyLinkNotFound, AlreadyAnswered, SurveyLinkExpired)
STATE_OF = {SurveyLinkNotFound: "not_found", AlreadyAnswered: "answered", SurveyLinkExpired: "expired"}
ONE_CLICK_TYPES = ("csat", "nps", "ces")
_SMALL_INT = re.compile(r"^-?[0-9]{1,3}$")
_STATIC = FilePath(__file__).parent / "static"


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("survey_svc.responses", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.cache
def _stylesheet() -> bytes:
    return (_STATIC / "survey.css").read_bytes()


def _key(settings: Settings) -> bytes:
    return csrf.page_key(settings.customer_key_secret)


def _ui_language(request: Request, lang: str | None, known: str | None = None) -> str:
    """For pages without a survey: ``?lang``, else the invitation's locale when known, else the
    browser's Accept-Language, else English."""
    for language in (lang, known, from_accept_language(request.headers.get("accept-language"))):
        if language in LANGUAGES:
            return language
    return "en"


def _html(template: str, status: int, **context: Any) -> HTMLResponse:
    return HTMLResponse(_templates().get_template(template).render(**context), status_code=status)


def _switch(languages: list[str], current: str, **keep: Any) -> list[dict[str, Any]]:
    extra = {name: value for name, value in keep.items() if value is not None}
    return [
        {"lang": language, "name": LANGUAGE_NAMES[language], "href": "?" + urlencode({"lang": language, **extra}), "current": language == current}
        for language in languages
    ]


def _state_page(request: Request, error: Exception, lang: str | None, *, token: str | None = None) -> HTMLResponse:
    """The one page per link state. The 404 page depends only on the request's language choice,
    never on what the token matched."""
    state = STATE_OF.get(type(error), "forbidden")
    known = getattr(error, "locale", None) if state in ("answered", "expired") else None
    language = _ui_language(request, lang, known)
    t = TEXTS[language]
    status = {"not_found": 404, "answered": 409, "expired": 410, "forbidden": 403}[state]
    return _html(
        "state.html",
        status,
        lang=language,
        t=t,
        switch=_switch(list(LANGUAGES), language),
        title=t[f"{state}_title"],
        body=t[f"{state}_body"],
        reopen=f"/s/{token}?{urlencode({'lang': language})}" if state == "forbidden" and token else None,
    )


# ---- the form -----------------------------------------------------------------------------------


async def _read_form(request: Request) -> dict[str, list[str]]:
    """The urlencoded body (capped for every route by csq_common.http.body_limit: 200 text
    answers of 5,000 characters would not fit, no survey has them); anything else reads as an
    empty form, which the CSRF check then refuses."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        return {}
    try:
        return parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=2000)
    except ValueError:
        return {}


def answers_from_form(definition: SurveyDefinition, form: Mapping[str, list[str]]) -> dict[str, Any]:
    """Form fields → the answers the API takes. Blank fields are unanswered; numbers that do not
    parse stay strings so validation names them; fields that are not questions are ignored."""
    answers: dict[str, Any] = {}
    for question in definition.questions:
        values = [value for value in form.get(question.key, []) if value.strip()]
        if not values:
            continue
        if question.type in NUMERIC_TYPES:
            raw = values[0].strip()
            answers[question.key] = int(raw) if _SMALL_INT.fullmatch(raw) else raw
        elif question.type == "multiple_choice":
            answers[question.key] = values
        else:
            answers[question.key] = values[0]
    return answers


def _one_click(definition: SurveyDefinition, answer: str | None) -> dict[str, list[str]]:
    """``?answer=v``: pre-select v in the first CSAT/NPS/CES question if it is on its scale."""
    if not answer or not _SMALL_INT.fullmatch(answer.strip()):
        return {}
    first = next((question for question in definition.questions if question.type in ONE_CLICK_TYPES), None)
    if first is None:
        return {}
    low, high = scale_of(first)
    value = int(answer.strip())
    return {first.key: [str(value)]} if low <= value <= high else {}


def _question_views(
    definition: SurveyDefinition, language: str, values: Mapping[str, list[str]], problems: list[Problem]
) -> list[dict[str, Any]]:
    t = TEXTS[language]
    number = {question.key: index for index, question in enumerate(definition.questions, start=1)}
    errors = {problem.question: problem.message(language) for problem in problems}
    views = []
    for question in definition.questions:
        texts = question.texts[language]
        chosen = {value.strip() for value in values.get(question.key, [])}
        note = None
        if question.show_if is not None:
            note = t["follow_up_required" if question.required else "follow_up"].format(at_most=question.show_if.at_most, number=number.get(question.show_if.question, "?"))
        options: list[dict[str, Any]] = []
        scale = scale_of(question)
        if scale is not None:
            for value in range(scale[0], scale[1] + 1):
                extra = texts.low_label if value == scale[0] else texts.high_label if value == scale[1] else None
                options.append({"value": str(value), "label": str(value), "extra": extra, "checked": str(value) in chosen})
        for choice in question.choices or []:
            options.append({"value": choice.key, "label": choice.labels[language], "extra": None, "checked": choice.key in chosen})
        key = question.key
        described = [f"note-{key}"] if note else []
        if scale is not None and (texts.low_label or texts.high_label):
            described.append(f"ends-{key}")
        if key in errors:
            described.insert(0, f"err-{key}")
        views.append(
            {
                "key": key,
                "number": number[key],
                "type": question.type,
                "kind": "scale" if scale is not None else "text" if question.type == "text" else "choice",
                "input": "checkbox" if question.type == "multiple_choice" else "radio",
                "prompt": texts.prompt,
                "low_label": texts.low_label,
                "high_label": texts.high_label,
                "low": scale[0] if scale else None,
                "high": scale[1] if scale else None,
                "required": question.required,
                "note": note,
                "error": errors.get(key),
                "describedby": " ".join(described) or None,
                "options": options,
                "text": next(iter(values.get(key, [])), "") if question.type == "text" else "",
            }
        )
    return views


def _survey_page(
    request: Request,
    settings: Settings,
    token: str,
    answerable: service.Answerable,
    language: str,
    nonce: str,
    *,
    values: Mapping[str, list[str]],
    problems: list[Problem],
    status: int,
    answer: str | None = None,
) -> HTMLResponse:
    definition = answerable.definition
    t = TEXTS[language]
    response = _html(
        "survey.html",
        status,
        lang=language,
        t=t,
        switch=_switch(definition.languages or [definition.default_language], language, answer=answer) if len(definition.languages or []) > 1 else [],
        name=definition.name,
        action=f"/s/{token}?{urlencode({'lang': language})}",
        csrf_field=csrf.FIELD,
        csrf_value=csrf.form_value(_key(settings), token_hash(token), nonce),
        questions=_question_views(definition, language, values, problems),
        has_errors=bool(problems),
    )
    response.set_cookie(
        csrf.COOKIE, nonce, path=csrf.COOKIE_PATH, httponly=True, samesite="strict", secure=settings.public_base_url.startswith("https://")
    )
    return response


# ---- routes -------------------------------------------------------------------------------------


@assets.get("/s/assets/survey.css")
async def stylesheet() -> Response:
    return Response(_stylesheet(), media_type="text/css", headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})


@router.get("/s/{token}", response_class=HTMLResponse)
async def show_survey(
    token: Token,
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
    lang: Lang = None,
    answer: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    try:
        answerable = await service.open_by_token(session, token, now=utcnow())
    except LINK_ERRORS as exc:
        return _state_page(request, exc, lang)
    language = service.pick_language(answerable.definition, lang, answerable.invitation.locale)
    nonce = csrf.usable_nonce(request.cookies.get(csrf.COOKIE)) or csrf.new_nonce()
    return _survey_page(
        request, settings, token, answerable, language, nonce,
        values=_one_click(answerable.definition, answer), problems=[], status=200, answer=answer,
    )


@router.post("/s/{token}", response_class=HTMLResponse)
async def submit_survey(token: Token, request: Request, session: SessionDep, settings: SettingsDep, lang: Lang = None) -> Response:
    form = await _read_form(request)
    nonce = request.cookies.get(csrf.COOKIE)
    if not csrf.verify(_key(settings), token_hash(token), nonce, next(iter(form.get(csrf.FIELD, [])), None)):
        return _state_page(request, PermissionError(), lang, token=token)
    now = utcnow()
    try:
        answerable = await service.open_by_token(session, token, now=now)
        language = service.pick_language(answerable.definition, lang, answerable.invitation.locale)
        # The form shows every follow-up with its condition: what was typed into a hidden one is ignored.
        checked = check_answers(answerable.definition, answers_from_form(answerable.definition, form), refuse_hidden=False)
        if checked.problems:
            return _survey_page(
                request, settings, token, answerable, language, nonce, values=form, problems=checked.problems, status=422
            )
        await service.record_response(
            session,
            answerable.invitation,
            checked.answers,
            "web",
            now,
            definition=answerable.definition,
            topic=settings.topic("surveys"),
            locale=language,
        )
    except LINK_ERRORS as exc:
        await session.rollback()  # e.g. a concurrent submission won: leave nothing half-done
        return _state_page(request, exc, lang)
    return RedirectResponse(f"/s/{token}/thanks?{urlencode({'lang': language})}", status_code=303)


@router.get("/s/{token}/thanks", response_class=HTMLResponse)
async def thanks(token: Token, request: Request, session: ReadSessionDep, lang: Lang = None) -> Response:
    invitation = await service.find_by_token(session, token)
    state = service.link_state(invitation, utcnow())
    if state == "open":  # not answered yet: back to the survey
        return RedirectResponse(f"/s/{token}?{urlencode({'lang': lang})}" if lang else f"/s/{token}", status_code=303)
    if state != "answered":
        try:
            service.raise_for_state(state, invitation)
        except LINK_ERRORS as exc:
            return _state_page(request, exc, lang)
    language = _ui_language(request, lang, invitation.locale)
    t = TEXTS[language]
    return _html("state.html", 200, lang=language, t=t, switch=_switch(list(LANGUAGES), language), title=t["thanks_title"], body=t["thanks_body"], reopen=None)
