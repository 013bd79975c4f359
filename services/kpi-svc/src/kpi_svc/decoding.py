"""Fast decoding for consumers that must keep up with a whole topic: msgspec mirrors of the
pydantic event models.

The pydantic models in ``csq_common.events`` stay the contract. :func:`mirror` builds, from such a
model, a msgspec ``Struct`` with the same fields, defaults and constraints (string lengths and
patterns, numeric bounds, aware datetimes, nested models, lists), so the JSON is parsed and checked
in one pass without a pydantic object per event, several times cheaper (docs/benchmarks.md). A model with rules msgspec cannot express (validators, string transformations, unknown
annotations) is refused when its mirror is built, so no consumer silently checks less than the
contract. kpi-svc's ``tests/test_decoding.py`` feeds both the same valid and broken payloads.

``Envelope`` is the CloudEvent envelope with ``data`` left as raw JSON, decoded by the payload's
own mirror once the type is known (``decode_envelope`` / ``decode_payload``).
"""

from __future__ import annotations

import types
import typing
from datetime import datetime, timezone
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, Literal

import annotated_types
import msgspec
from pydantic import AwareDatetime, BaseModel, StringConstraints

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
Aware = Annotated[datetime, msgspec.Meta(tz=True)]



class InvalidPayload(ValueError):
    """A payload that its model's mirror refuses; the message names the model and the field
    (``validation error for TicketClosed: Expected `str` of length <= 200 - at `$.ticket.id```)."""


# gc=False: decoded events are trees (no reference cycles), so the garbage collector need not
# track them; a batch of 10,000 events otherwise triggers full collections over all of them.
class Envelope(msgspec.Struct, kw_only=True, gc=False):
    """CloudEvents 1.0 structured mode, as ``events.CloudEvent`` validates it; ``data`` unparsed."""

    specversion: Literal["1.0"] = "1.0"
    id: Id
    source: NonEmpty
    type: NonEmpty
    time: Aware
    subject: str | None = None
    datacontenttype: str = "application/json"
    data: msgspec.Raw = msgspec.Raw(b"{}")


_ENVELOPE = msgspec.json.Decoder(Envelope)


def decode_envelope(raw: bytes) -> Envelope:
    """The envelope of a CloudEvent's bytes, ``time`` in UTC; raises ``InvalidPayload`` for poison."""
    try:
        envelope = _ENVELOPE.decode(raw)
    except msgspec.DecodeError as exc:
        raise InvalidPayload(f"validation error for CloudEvent: {exc}") from None
    if envelope.time.tzinfo is not timezone.utc:
        envelope.time = envelope.time.astimezone(timezone.utc)
    return envelope


def envelope_decoder(model: type[BaseModel], types: set[str] | frozenset[str]) -> Callable[[bytes], Envelope]:
    """A record decoder for a consumer whose events are mostly of ``types``, all with ``model``'s
    payload (e.g. every ticket event): those are decoded with their payload in one pass (the JSON
    is read once); anything else — another type, or a payload the mirror refuses — falls back to
    :func:`decode_envelope`, its payload left raw for its own model to check (and refuse) later."""
    typed = _typed_envelope(model)

    def decode(raw: bytes) -> Envelope:
        try:
            envelope = typed.decode(raw)
        except msgspec.DecodeError:
            return decode_envelope(raw)
        if envelope.type not in types:
            return decode_envelope(raw)
        if envelope.time.tzinfo is not timezone.utc:
            envelope.time = envelope.time.astimezone(timezone.utc)
        return envelope

    return decode


@cache
def _typed_envelope(model: type[BaseModel]) -> msgspec.json.Decoder:
    struct = msgspec.defstruct(
        f"{model.__name__}Envelope", [("data", mirror(model))], bases=(Envelope,), kw_only=True, gc=False
    )
    return msgspec.json.Decoder(struct, strict=False)


@cache
def decoder(model: type[BaseModel]) -> msgspec.json.Decoder:
    """A JSON decoder into ``model``'s mirror; lax like pydantic (``"5"`` for an int is accepted)."""
    return msgspec.json.Decoder(mirror(model), strict=False)


def decode_payload(model: type[BaseModel], data: msgspec.Raw | bytes | dict) -> Any:
    """``data`` (raw JSON, or an already parsed dict) checked against ``model``'s mirror; raises
    ``InvalidPayload`` naming the field. Data an :func:`envelope_decoder` already decoded into
    that mirror is returned as it is."""
    if isinstance(data, msgspec.Struct):
        if type(data) is not mirror(model):
            raise TypeError(f"payload decoded as {type(data).__name__}, not {model.__name__}'s mirror")
        return data
    try:
        if isinstance(data, dict):
            return msgspec.convert(data, mirror(model), strict=False)
        return decoder(model).decode(data)
    except msgspec.DecodeError as exc:  # ValidationError included
        raise InvalidPayload(f"validation error for {model.__name__}: {exc}") from None


@cache
def mirror(model: type[BaseModel]) -> type[msgspec.Struct]:
    """The msgspec Struct with ``model``'s fields, defaults and constraints (unknown fields ignored)."""
    decorators = model.__pydantic_decorators__
    if decorators.field_validators or decorators.model_validators or decorators.validators or decorators.root_validators:
        raise TypeError(f"{model.__name__} has validators: msgspec cannot mirror them")
    if model.model_config.get("extra") == "forbid":
        raise TypeError(f"{model.__name__} forbids extra fields: not mirrored")
    fields = []
    for name, info in model.model_fields.items():
        if info.alias and info.alias != name:
            raise TypeError(f"{model.__name__}.{name}: aliases are not mirrored")
        kind = _mirror_type(info.annotation, tuple(info.metadata), f"{model.__name__}.{name}")
        if info.is_required():
            fields.append((name, kind))
        elif info.default_factory is not None:
            fields.append((name, kind, msgspec.field(default_factory=info.default_factory)))
        else:
            fields.append((name, kind, info.default))
    return msgspec.defstruct(f"{model.__name__}Mirror", fields, kw_only=True, gc=False)  # see Envelope


_CONSTRAINTS = {
    annotated_types.MinLen: ("min_length",),
    annotated_types.MaxLen: ("max_length",),
    annotated_types.Ge: ("ge",),
    annotated_types.Gt: ("gt",),
    annotated_types.Le: ("le",),
    annotated_types.Lt: ("lt",),
}


def _meta(metadata: tuple, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in metadata:
        names = _CONSTRAINTS.get(type(item))
        if names:
            for name in names:
                out[name] = getattr(item, name)
        elif isinstance(item, StringConstraints):
            if item.strip_whitespace or item.to_upper or item.to_lower or item.strict or item.ascii_only:
                raise TypeError(f"{where}: string transformations are not mirrored")
            for name in ("min_length", "max_length", "pattern"):
                if getattr(item, name) is not None:
                    out[name] = getattr(item, name)
        else:
            raise TypeError(f"{where}: constraint {item!r} is not mirrored")
    return out


def _mirror_type(annotation: Any, metadata: tuple, where: str) -> Any:
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        inner, *extra = typing.get_args(annotation)
        return _mirror_type(inner, (*metadata, *extra), where)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        if type(None) not in args or len(args) != 2:
            raise TypeError(f"{where}: only Optional unions are mirrored")
        inner = next(arg for arg in args if arg is not type(None))
        return _mirror_type(inner, metadata, where) | None
    meta = _meta(metadata, where)
    if annotation is AwareDatetime:
        meta["tz"] = True
        annotation = datetime
    elif annotation is datetime:
        pass
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if meta:
            raise TypeError(f"{where}: constraints on a model are not mirrored")
        return mirror(annotation)
    elif origin is list:
        (item,) = typing.get_args(annotation)
        annotation = list[_mirror_type(item, (), where)]
    elif origin is dict:
        key, value = typing.get_args(annotation)
        if key is not str or value is not Any:
            raise TypeError(f"{where}: only dict[str, Any] is mirrored")
    elif origin is Literal or annotation in (str, int, float, bool) or annotation is Any:
        pass
    else:
        raise TypeError(f"{where}: {annotation!r} is not mirrored")
    return Annotated[annotation, msgspec.Meta(**meta)] if meta else annotation
