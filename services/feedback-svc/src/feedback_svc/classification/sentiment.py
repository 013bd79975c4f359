"""Sentiment score −1 (negative) … 1 (positive) from offline libraries: SnowNLP's bundled
Chinese model, VADER's bundled English lexicon. Both load once per process."""

from __future__ import annotations

import threading
from functools import lru_cache

from feedback_svc.classification.text import ZH

_load_lock = threading.Lock()


@lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    with _load_lock:
        return SentimentIntensityAnalyzer()


@lru_cache(maxsize=1)
def _snownlp():
    with _load_lock:
        from snownlp import SnowNLP

        return SnowNLP


def sentiment(text: str, language: str) -> float | None:
    """The text's sentiment rounded to 3 places; None for text with nothing to judge."""
    if not text.strip():
        return None
    if language == ZH:
        # SnowNLP gives the probability that the text is positive: map [0, 1] onto [−1, 1].
        score = 2 * _snownlp()(text).sentiments - 1
    else:
        score = _vader().polarity_scores(text)["compound"]
    return round(max(-1.0, min(1.0, score)), 3)


def warm_up() -> None:
    sentiment("预热", ZH)
    sentiment("warm up", "en")
