"""Values as a driver takes them for a column's type, converted column by column."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import orjson

_MISSING = object()
Converters = list[tuple[int, Callable[[Any], Any]]]


def json_text(value: Any) -> str:
    """``value`` as JSON text; datetimes as RFC 3339 (orjson), values orjson refuses (integers
    beyond 64 bits, non-string keys) by the standard library."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def converted(rows: Sequence[Sequence[Any]], converters: Converters) -> list[Sequence[Any]]:
    """``rows`` with each ``(index, convert)`` applied to the value at ``index`` (None stays None),
    column by column (:func:`converted_column`)."""
    rows = rows if isinstance(rows, list) else list(rows)
    if not converters or not rows:
        return rows
    columns = list(zip(*rows))
    for index, convert in converters:
        columns[index] = converted_column(columns[index], convert)
    return list(zip(*columns))


def converted_column(values: Sequence[Any], convert: Callable[[Any], Any]) -> list[Any]:
    """One column's values converted (None stays None). A batch repeats values (its own clock, a
    bucket start shared by many rows), so each distinct one is converted once, keyed by type too
    so that 1 and True stay apart; JSON (lists, mostly unhashable) is converted every time."""
    if convert is json_text:
        return [None if value is None else json_text(value) for value in values]
    done: dict[tuple[Any, type], Any] = {}
    out = []
    for value in values:
        if value is None:
            out.append(None)
            continue
        try:
            key = (value, type(value))
            result = done.get(key, _MISSING)
        except TypeError:  # unhashable
            out.append(convert(value))
            continue
        if result is _MISSING:
            result = done[key] = convert(value)
        out.append(result)
    return out
