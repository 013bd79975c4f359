"""Structured JSON logs (structlog) with the request id bound per request.

Every line goes through the standard library's root handler, so the records of uvicorn and the
libraries come out as the same JSON lines, and every line passes ``redact`` before it is written:
one-time survey tokens in paths and links, and values a database driver or a validator copies
into its error text (bound parameters, PostgreSQL's ``DETAIL``, pydantic's ``input_value``), are
replaced. Request bodies are never logged.
"""

from __future__ import annotations

import logging
import re
import sys

import structlog

REDACTED = "<redacted>"

# The one-time token is the credential of the answer page and of the public response API, and is
# the last segment of every invitation link.
_TOKEN_IN_PATH = re.compile(r"(/s/|/v1/public/responses/)[^/?#\s\"'<>]+")
# What a driver or a validator copies from the values it was given into its error text.
_VALUES_IN_ERRORS = (
    (re.compile(r"^(\s*)DETAIL:.*$", re.MULTILINE), rf"\1DETAIL:  {REDACTED}"),
    (re.compile(r"^(\s*)\[parameters: .*$", re.MULTILINE), rf"\1[parameters: {REDACTED}]"),
    (re.compile(r"(invalid input for query argument \$\d+):.*$", re.MULTILINE), rf"\1: {REDACTED}"),
    (re.compile(r"(invalid input (?:syntax|value) for [^:\n]+): \"[^\n]*\"", re.MULTILINE), rf"\1: {REDACTED}"),
    (re.compile(r"input_value=.*?, input_type="), f"input_value={REDACTED}, input_type="),
)


def redact(text: str) -> str:
    """``text`` without survey tokens and without the values an error message copied."""
    text = _TOKEN_IN_PATH.sub(rf"\1{REDACTED}", text)
    for pattern, replacement in _VALUES_IN_ERRORS:
        text = pattern.sub(replacement, text)
    return text


def _redact_values(_logger, _method: str, event_dict: dict) -> dict:
    for name, value in event_dict.items():
        if isinstance(value, str):
            event_dict[name] = redact(value)
    return event_dict


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is when a record is emitted (a test may capture it)."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure(level: str = "INFO", *, service: str) -> None:
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    handler = _StdoutHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                _redact_values,
                structlog.processors.EventRenamer("message"),
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    logging.basicConfig(handlers=[handler], level=level, force=True)
    # uvicorn installs its own plain-text handlers; its records go through the JSON handler too.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    for noisy in ("aiokafka", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
