"""An independent reading of docs/architecture.md "Audit scoring", in exact fractions, for the tests to
compare the service against. Written from the docs' words, not from the service's code."""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

LANGUAGES = ["zh-CN", "en"]
ROOT_CAUSES = ["流程不熟", "系统故障", "态度问题"]


def bounds(scale: Any) -> tuple[Fraction, Fraction]:
    """binary: 0 or 1; "3", "4", "5": 1…N; points: min…max as declared."""
    if scale == "binary":
        return Fraction(0), Fraction(1)
    if scale in ("3", "4", "5"):
        return Fraction(1), Fraction(int(scale))
    return Fraction(scale["min"]), Fraction(scale["max"])


def category_score(answer: Any, scale: Any) -> Fraction | None:
    """(answer − min) / (max − min) × 100; None for N/A."""
    if answer == "na":
        return None
    low, high = bounds(scale)
    return (Fraction(answer) - low) / (high - low) * 100


def categories(definition: dict) -> list[dict]:
    return [category for section in definition["sections"] for category in section["categories"]]


def expected(definition: dict, answers: dict) -> tuple[Fraction | None, bool, dict[str, Fraction | None]]:
    """(review score, failed_critical, category scores) of ``answers``."""
    scores = {c["key"]: category_score(answers[c["key"]], c["scale"]) for c in categories(definition)}
    answered = [c for c in categories(definition) if scores[c["key"]] is not None]
    if any(c.get("critical") and scores[c["key"]] < 50 for c in answered):
        return Fraction(0), True, scores
    standard = [c for c in answered if not c.get("bonus")]
    bonus = [c for c in answered if c.get("bonus")]
    denominator = sum(Fraction(c["weight"]) for c in standard)
    if denominator == 0:
        return None, False, scores
    numerator = sum(scores[c["key"]] * Fraction(c["weight"]) for c in standard) + sum(scores[c["key"]] * Fraction(c["weight"]) for c in bonus)
    return numerator / denominator, False, scores


def alignment(definition: dict, review: dict, benchmark: dict) -> Fraction | None:
    """docs/architecture.md "Audit scoring", calibration: per category 1 − |score − benchmark| / 100 (0 for a critical
    category on the other side of 50 from the benchmark); the weight-weighted mean over the
    categories both answered; None if there are none."""
    total, weights = Fraction(0), Fraction(0)
    for c in categories(definition):
        mine = category_score(review[c["key"]], c["scale"])
        theirs = category_score(benchmark[c["key"]], c["scale"])
        if mine is None or theirs is None:
            continue
        if c.get("critical") and (mine < 50) != (theirs < 50):
            agreement = Fraction(0)
        else:
            agreement = 1 - abs(mine - theirs) / 100
        total += agreement * Fraction(c["weight"])
        weights += Fraction(c["weight"])
    return None if weights == 0 else total / weights


# ---- generated scorecards and answers -------------------------------------------------------


def random_scale(rng: random.Random) -> Any:
    kind = rng.choice(["binary", "3", "4", "5", "points"])
    if kind != "points":
        return kind
    low = rng.randint(-5, 5)
    return {"min": low, "max": low + rng.randint(1, 12)}


def random_definition(rng: random.Random, *, all_na_allowed: bool = False) -> dict:
    sections = []
    number = 0
    for s in range(rng.randint(1, 3)):
        items = []
        for _ in range(rng.randint(1, 4)):
            number += 1
            bonus = rng.random() < 0.2
            items.append({
                "key": f"c{number}",
                "titles": {"zh-CN": f"评分项{number}", "en": f"Criterion {number}"},
                "weight": rng.choice([0.5, 1, 1, 2, 3, 5, 2.5]),
                "scale": random_scale(rng),
                "critical": (not bonus) and rng.random() < 0.25,
                "allow_na": all_na_allowed or rng.random() < 0.4,
                "bonus": bonus,
                "root_causes": ROOT_CAUSES,
            })
        sections.append({"key": f"s{s}", "titles": {"zh-CN": f"第{s + 1}部分", "en": f"Part {s + 1}"}, "categories": items})
    if all(c["bonus"] for section in sections for c in section["categories"]):
        sections[0]["categories"][0]["bonus"] = False
    return {"name": f"随机评分表 {rng.randint(1, 10**6)}", "languages": LANGUAGES, "sections": sections}


def random_answer(rng: random.Random, category: dict, *, na_rate: float = 0.25) -> Any:
    if category["allow_na"] and rng.random() < na_rate:
        return "na"
    low, high = bounds(category["scale"])
    if isinstance(category["scale"], dict) and rng.random() < 0.3:
        return float(rng.randint(int(low) * 2, int(high) * 2)) / 2  # half points
    return rng.randint(int(low), int(high))


def random_answers(rng: random.Random, definition: dict, *, all_na: bool = False) -> dict:
    if all_na:
        return {c["key"]: "na" for c in categories(definition)}
    return {c["key"]: random_answer(rng, c) for c in categories(definition)}
