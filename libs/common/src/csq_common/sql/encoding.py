"""Values as a driver takes them for a column's type, converted column by column."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import orjson

_MISSING = object()
#: Converts one column's values (a list of the same length back; None stays None).
ColumnConverter = Callable[[Sequence[Any]], list[Any]]
Converters = list[tuple[int, ColumnConverter]]


def json_text(value: Any) -> str:
    """``value`` as JSON text; datetimes as RFC 3339 (orjson), values orjson refuses (integers
    beyond 64 bits, non-string keys) by the standard library."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def converted(rows: Sequence[Sequence[Any]], converters: Converters) -> list[Sequence[Any]]:
    """``rows`` with each ``(index, convert)`` applied to the column at ``index``."""
    rows = rows if isinstance(rows, list) else list(rows)
    if not converters or not rows:
        return rows
    columns = list(zip(*rows))
    for index, convert in converters:
        columns[index] = convert(columns[index])
    return list(zip(*columns))


def json_texts(values: Sequence[Any]) -> list[str | None]:
    """A JSON column's values as their text (None stays None)."""
    return [None if value is None else json_text(value) for value in values]


def each_distinct(convert: Callable[[Any], Any]) -> ColumnConverter:
    """A column converter applying ``convert`` to each value (None stays None). A batch repeats
    values (a flag, a bucket start shared by many rows), so each distinct one is converted once,
    keyed by type too so that 1 and True stay apart."""
    return lambda values: _converted_distinct(values, convert)


def _converted_distinct(values: Sequence[Any], convert: Callable[[Any], Any]) -> list[Any]:
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
