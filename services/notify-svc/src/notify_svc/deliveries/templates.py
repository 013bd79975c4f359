"""Message templates: the variables each one takes, and rendering in the recipient's locale.

Each template lives in ``mail_templates/<name>/`` as ``<locale>.subject.txt``, ``<locale>.body.txt``
and ``<locale>.body.html``; ``mail_templates/shared/`` holds the HTML layout and the one-click row.
HTML is rendered with autoescape, so every caller-provided value is escaped; plain text is not
HTML and is left as written. Rendering is pure: no I/O beyond reading the template files, no clock.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from csq_common.types import storable_str

Locale = Literal["zh-CN", "en"]
LOCALES: tuple[str, ...] = ("zh-CN", "en")
TEMPLATE_DIR = Path(__file__).parent / "mail_templates"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _no_control_characters(value: str | None) -> str | None:
    if value is not None and _CONTROL.search(value):
        raise ValueError("must not contain control characters (line breaks included)")
    return value


def _web_link(value: str) -> str:
    """An https URL; http only to a loopback host (a local `make run`)."""
    if _CONTROL.search(value) or " " in value:
        raise ValueError("must be a URL without spaces or control characters")
    parts = urlsplit(value)
    if not parts.hostname:
        raise ValueError("must be an absolute https URL")
    if parts.scheme == "http":
        host = parts.hostname
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise ValueError("must be an https URL (http only for a loopback host)")
    elif parts.scheme != "https":
        raise ValueError("must be an https URL")
    if parts.fragment:
        raise ValueError("must not have a #fragment")
    return value


def _known_time_zone(value: str | None) -> str | None:
    if value is not None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as Asia/Shanghai") from None
    return value


def with_query(url: str, **params: Any) -> str:
    """``url`` with ``params`` added to (or replacing the same names in) its query string."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


# ---- survey_invitation, survey_reminder ---------------------------------------------------------


class OneClick(BaseModel):
    """The first question's scale, each value a link to ``{survey_link}?answer=<value>``."""

    model_config = ConfigDict(extra="forbid")

    question_prompt: storable_str(min_length=1, max_length=500)
    min: int = Field(ge=0, le=10)
    max: int = Field(ge=1, le=10)
    low_label: storable_str(min_length=1, max_length=100) | None = None
    high_label: storable_str(min_length=1, max_length=100) | None = None

    @model_validator(mode="after")
    def _a_scale(self) -> "OneClick":
        if self.max <= self.min:
            raise ValueError("one_click.max must be greater than one_click.min")
        return self


class SurveyInvitation(BaseModel):
    """The variables of ``survey_invitation`` and of its single ``survey_reminder``."""

    model_config = ConfigDict(extra="forbid")

    customer_name: storable_str(max_length=200) | None = None
    survey_link: storable_str(max_length=2000)
    expires_at: AwareDatetime
    # IANA zone the expiry is shown in (default UTC, as the customer's zone is rarely known).
    time_zone: storable_str(max_length=64) | None = None
    one_click: OneClick | None = None

    _names = field_validator("customer_name")(_no_control_characters)
    _link = field_validator("survey_link")(_web_link)

    _zone = field_validator("time_zone")(_known_time_zone)


_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")


def format_time(moment: datetime, locale: str, zone: str | None) -> str:
    local = moment.astimezone(ZoneInfo(zone) if zone else timezone.utc)
    label = zone or "UTC"
    if locale == "zh-CN":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}（{label}）"
    return f"{local.day} {_EN_MONTHS[local.month - 1]} {local.year}, {local:%H:%M} ({label})"


def _survey_invitation_context(variables: SurveyInvitation, locale: str) -> dict[str, Any]:
    one_click = None
    if variables.one_click is not None:
        scale = variables.one_click
        choices = []
        for value in range(scale.min, scale.max + 1):
            label = scale.low_label if value == scale.min else scale.high_label if value == scale.max else None
            choices.append(
                {"value": value, "url": with_query(variables.survey_link, answer=value), "label": f"{value} {label}" if label else str(value)}
            )
        one_click = {**scale.model_dump(), "choices": choices}
    return {
        "customer_name": variables.customer_name,
        "survey_link": variables.survey_link,
        "expires": format_time(variables.expires_at, locale, variables.time_zone),
        "one_click": one_click,
    }


# ---- feedback.reply ------------------------------------------------------------------------------


class FeedbackReply(BaseModel):
    """The variables of ``feedback.reply``: staff's answer to a feedback item and the one-time
    link where the customer confirms the resolution or says it is not resolved."""

    model_config = ConfigDict(extra="forbid")

    customer_name: storable_str(max_length=200) | None = None
    reply_text: storable_str(min_length=1, max_length=10_000)
    confirm_link: storable_str(max_length=2000)
    expires_at: AwareDatetime
    time_zone: storable_str(max_length=64) | None = None

    _names = field_validator("customer_name")(_no_control_characters)
    _link = field_validator("confirm_link")(_web_link)
    _zone = field_validator("time_zone")(_known_time_zone)


def _feedback_reply_context(variables: FeedbackReply, locale: str) -> dict[str, Any]:
    """The reply as paragraphs (HTML escapes each line), and the confirmation page opened with
    the customer's answer preselected (``answer=resolved`` / ``not_resolved``); the page, not the
    link, records it, so a mail scanner following links changes nothing."""
    return {
        "customer_name": variables.customer_name,
        "reply_text": variables.reply_text,
        "reply_lines": variables.reply_text.splitlines(),
        "confirm_link": variables.confirm_link,
        "resolved_link": with_query(variables.confirm_link, answer="resolved"),
        "not_resolved_link": with_query(variables.confirm_link, answer="not_resolved"),
        "expires": format_time(variables.expires_at, locale, variables.time_zone),
    }


@dataclass(frozen=True)
class TemplateSpec:
    variables: type[BaseModel]
    context: Any  # (validated variables, locale) -> template context


TEMPLATES: dict[str, TemplateSpec] = {
    "survey_invitation": TemplateSpec(variables=SurveyInvitation, context=_survey_invitation_context),
    "survey_reminder": TemplateSpec(variables=SurveyInvitation, context=_survey_invitation_context),
    "feedback.reply": TemplateSpec(variables=FeedbackReply, context=_feedback_reply_context),
}
TemplateName = Literal["survey_invitation", "survey_reminder", "feedback.reply"]


# ---- rendering ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _environment(autoescape: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


_TEXT = _environment(autoescape=False)
_HTML = _environment(autoescape=True)


def validate_variables(template: str, variables: dict[str, Any]) -> BaseModel:
    """The template's typed variables; raises KeyError (unknown template) or ValidationError."""
    return TEMPLATES[template].variables.model_validate(variables)


def render(template: str, locale: str, variables: dict[str, Any] | BaseModel) -> Rendered:
    spec = TEMPLATES[template]
    if locale not in LOCALES:
        raise KeyError(locale)
    typed = variables if isinstance(variables, spec.variables) else spec.variables.model_validate(variables)
    context = spec.context(typed, locale)
    subject = " ".join(_TEXT.get_template(f"{template}/{locale}.subject.txt").render(context).split())
    text = _TEXT.get_template(f"{template}/{locale}.body.txt").render(context)
    html = _HTML.get_template(f"{template}/{locale}.body.html").render(
        {**context, "subject": subject, "html_lang": locale}
    )
    return Rendered(subject=subject, text=text, html=html)
