"""The cross-field rules of a scorecard definition and the scales (pure: no I/O, no session).

``validate_definition`` returns the definition or raises ``InvalidInput`` listing every problem
at once, each with the field it concerns, e.g. ``sections[1].categories[0].scale.max``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from csq_common.errors import InvalidInput
from audit_svc.scorecards.schemas import Category, PointsScale, ScorecardDefinition

# The answers of the fixed scales (docs/architecture.md "Audit scoring": binary 0 or 1; "3", "4", "5": 1…N).
FIXED_SCALES: Mapping[str, tuple[int, int]] = {"binary": (0, 1), "3": (1, 3), "4": (1, 4), "5": (1, 5)}


def scale_bounds(scale: Any) -> tuple[float, float]:
    """(min, max) of a scale as stored: "binary", "3", "4", "5" or {"min", "max"}."""
    if isinstance(scale, str):
        return FIXED_SCALES[scale]
    if isinstance(scale, PointsScale):
        return scale.min, scale.max
    return scale["min"], scale["max"]


def answer_error(answer: float, scale: Any) -> str | None:
    """Why ``answer`` is not on ``scale`` (outside it, or not a whole step of a fixed scale)."""
    low, high = scale_bounds(scale)
    if not low <= answer <= high:
        return f"{answer:g} is outside the scale {low:g}..{high:g}"
    if isinstance(scale, str) and answer != int(answer):
        return f"{answer:g} is not one of the answers {low}..{high} of the {scale!r} scale"
    return None


def iter_categories(definition: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every category of a stored definition, in order."""
    for section in definition["sections"]:
        yield from section["categories"]


def definition_errors(definition: ScorecardDefinition) -> list[dict[str, str]]:
    """Every rule the definition breaks, in field order, as ``{"field", "message"}``."""
    errors: list[dict[str, str]] = []

    def error(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    declared = list(dict.fromkeys(definition.languages))
    if len(declared) != len(definition.languages):
        error("languages", "lists a language more than once")
    _texts_errors(error, "titles", definition.titles, declared, "title", required=False)

    sections_seen: dict[str, int] = {}
    categories_seen: dict[str, str] = {}
    standard = 0
    for s, section in enumerate(definition.sections):
        at = f"sections[{s}]"
        if section.key in sections_seen:
            error(f"{at}.key", f"duplicates the key of sections[{sections_seen[section.key]}] ({section.key!r})")
        sections_seen.setdefault(section.key, s)
        _texts_errors(error, f"{at}.titles", section.titles, declared, "title")
        for c, category in enumerate(section.categories):
            where = f"{at}.categories[{c}]"
            if category.key in categories_seen:
                error(f"{where}.key", f"duplicates the key of {categories_seen[category.key]} ({category.key!r}); category keys are unique across sections")
            categories_seen.setdefault(category.key, where)
            standard += not category.bonus
            _category_errors(error, where, category, declared)
    if standard == 0:
        error("sections", "needs at least one standard (non-bonus) category: the review score is relative to their weight")
    return errors


def validate_definition(definition: ScorecardDefinition) -> ScorecardDefinition:
    errors = definition_errors(definition)
    if errors:
        raise InvalidInput(errors=errors)
    return definition


def _texts_errors(error, field: str, texts: Mapping[str, object], declared: list[str], what: str, *, required: bool = True) -> None:
    if required:
        for language in declared:
            if language not in texts:
                error(f"{field}.{language}", f"missing the {language} {what} (a declared language)")
    for language in texts:
        if language not in declared:
            error(f"{field}.{language}", f"{language} is not one of the scorecard's declared languages {declared}")


def _category_errors(error, at: str, category: Category, declared: list[str]) -> None:
    _texts_errors(error, f"{at}.titles", category.titles, declared, "title")
    _texts_errors(error, f"{at}.descriptions", category.descriptions, declared, "description", required=False)
    if isinstance(category.scale, PointsScale) and category.scale.min >= category.scale.max:
        error(f"{at}.scale.max", f"must be greater than min ({category.scale.max:g} ≤ {category.scale.min:g})")
        return
    if category.critical and category.bonus:
        error(f"{at}.critical", "a bonus category cannot be critical (a bonus only adds to the score)")
    values: dict[float, int] = {}
    for a, guide in enumerate(category.answers):
        problem = answer_error(guide.value, category.scale)
        if problem:
            error(f"{at}.answers[{a}].value", problem)
        if guide.value in values:
            error(f"{at}.answers[{a}].value", f"duplicates answers[{values[guide.value]}] ({guide.value:g})")
        values.setdefault(guide.value, a)
        _texts_errors(error, f"{at}.answers[{a}].texts", guide.texts, declared, "text", required=False)
    if len(set(category.root_causes)) != len(category.root_causes):
        error(f"{at}.root_causes", "lists a root cause more than once")
