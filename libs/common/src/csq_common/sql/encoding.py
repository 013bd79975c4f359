"""Values as a driver takes them for a column's type, converted once per distinct value in a batch."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

_MISSING = object()
Converters = list[tuple[int, Callable[[Any], Any]]]


def json_text(value: Any) -> str:
    return json.dumps(value)


def converted(rows: Sequence[Sequence[Any]], converters: Converters) -> list[Sequence[Any]]:
    """``rows`` with each ``(index, convert)`` applied to the value at ``index`` (None stays None).

    A batch repeats values (its own clock, a bucket start shared by many rows), so each distinct
    one is converted once; keyed by type too, so that 1 and True stay apart.
    """
    if not converters:
        return rows if isinstance(rows, list) else list(rows)
    done: dict[tuple[Any, type, Callable], Any] = {}
    last: dict[int, tuple[Any, Any]] = {}  # per column: the previous value and its result (rows often share one object)
    out = []
    for row in rows:
        values = list(row)
        for index, convert in converters:
            value = values[index]
            if value is None:
                continue
            previous = last.get(index)
            if previous is not None and previous[0] is value:
                values[index] = previous[1]
                continue
            try:
                key = (value, type(value), convert)
                result = done.get(key, _MISSING)
            except TypeError:  # unhashable (a JSON list): convert it every time
                values[index] = convert(value)
                continue
            if result is _MISSING:
                result = done[key] = convert(value)
            values[index] = result
            last[index] = (value, result)
        out.append(values)
    return out


def converted_column(values: Sequence[Any], convert: Callable[[Any], Any]) -> list[Any]:
    """One column's values converted (None stays None), each distinct value once (keyed by type
    too, as in :func:`converted`)."""
    done: dict[tuple[Any, type], Any] = {}
    out = []
    for value in values:
        if value is None:
            out.append(None)
            continue
        try:
            key = (value, type(value))
            result = done.get(key, _MISSING)
        except TypeError:  # unhashable (a JSON list)
            out.append(convert(value))
            continue
        if result is _MISSING:
            result = done[key] = convert(value)
        out.append(result)
    return out
