"""Kind, category and sentiment of a text, by keyword rules over its tokens (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from feedback_svc.classification.schemas import FALLBACK_CATEGORY, ClassificationRules
from feedback_svc.classification.sentiment import sentiment
from feedback_svc.classification.text import contains_phrase, phrase_tokens, tokens

#: A tie between kinds goes to the earlier one: a complaint is the costlier one to miss.
KIND_PRECEDENCE = ("complaint", "suggestion", "enquiry", "praise")


@dataclass(frozen=True)
class Classification:
    kind: str
    category: str
    sentiment: float | None
    category_hits: dict[str, list[str]]  # keywords that matched, per category


@lru_cache(maxsize=4096)
def _phrase(keyword: str, language: str) -> tuple[str, ...]:
    return phrase_tokens(keyword, language)


def matching_keywords(text_tokens: list[str], keywords: list[str], language: str) -> list[str]:
    """The keywords found in the text, one per stem ("solve" and "solved" are one hit)."""
    found, seen = [], set()
    for keyword in keywords:
        phrase = _phrase(keyword, language)
        if phrase not in seen and contains_phrase(text_tokens, phrase):
            seen.add(phrase)
            found.append(keyword)
    return found


def choose_category(text_tokens: list[str], language: str, rules: ClassificationRules) -> tuple[str, dict[str, list[str]]]:
    """The category with the most matching keywords (the earlier on a tie), else ``other``."""
    hits = {
        category.key: found
        for category in rules.categories
        if (found := matching_keywords(text_tokens, category.keywords.get(language, []), language))
    }
    if not hits:
        return FALLBACK_CATEGORY, hits
    best = max(len(found) for found in hits.values())
    return next(key for key in rules.category_keys() if len(hits.get(key, ())) == best), hits


def choose_kind(
    text: str, text_tokens: list[str], language: str, rules: ClassificationRules, *, score: float | None, rating: int | None
) -> str:
    """Keyword hits per kind, plus one vote from a clear sentiment, one or two from the stars and
    one for a question mark; an item with no vote at all is an enquiry."""
    votes = {kind: len(matching_keywords(text_tokens, rules.kinds.get(kind, {}).get(language, []), language)) for kind in KIND_PRECEDENCE}
    if score is not None and score <= -0.5:
        votes["complaint"] += 1
    elif score is not None and score >= 0.5:
        votes["praise"] += 1
    if rating is not None and rating <= 2:
        votes["complaint"] += 2
    elif rating is not None and rating >= 4:
        votes["praise"] += 1
    if "?" in text or "？" in text:
        votes["enquiry"] += 1
    best = max(votes.values())
    if best == 0:
        return "enquiry"
    return next(kind for kind in KIND_PRECEDENCE if votes[kind] == best)


def classify(text: str, language: str, rules: ClassificationRules, *, rating: int | None = None) -> Classification:
    text_tokens = tokens(text, language, keep_stop_words=True)
    score = sentiment(text, language)
    category, hits = choose_category(text_tokens, language, rules)
    kind = choose_kind(text, text_tokens, language, rules, score=score, rating=rating)
    return Classification(kind=kind, category=category, sentiment=score, category_hits=hits)
