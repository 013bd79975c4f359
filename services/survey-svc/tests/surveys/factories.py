"""Survey definitions as a client sends them."""

from __future__ import annotations

import copy
from typing import Any

CSAT_PROMPT_ZH = "您对本次服务满意吗？"


def texts(zh: str, en: str, **extra: Any) -> dict[str, Any]:
    return {"zh-CN": {"prompt": zh, **extra}, "en": {"prompt": en, **extra}}


def definition(**overrides: Any) -> dict[str, Any]:
    """A valid bilingual survey: CSAT, a follow-up after a low CSAT, NPS, a choice and a rating."""
    body: dict[str, Any] = {
        "name": "售后满意度 / After-sales satisfaction",
        "default_language": "zh-CN",
        "languages": ["zh-CN", "en"],
        "questions": [
            {
                "key": "q1", "type": "csat", "dimension": "overall", "required": True,
                "texts": {
                    "zh-CN": {"prompt": CSAT_PROMPT_ZH, "low_label": "非常不满意", "high_label": "非常满意"},
                    "en": {"prompt": "How satisfied are you with our service?", "low_label": "Very dissatisfied", "high_label": "Very satisfied"},
                },
            },
            {
                "key": "q2", "type": "text", "dimension": "overall", "required": False,
                "texts": texts("我们哪里可以做得更好？", "What could we have done better?"),
                "show_if": {"question": "q1", "at_most": 3},
            },
            {"key": "q3", "type": "nps", "dimension": "overall", "texts": texts("您向朋友推荐我们的可能性有多大？", "How likely are you to recommend us?")},
            {
                "key": "q4", "type": "single_choice", "dimension": "response_speed",
                "texts": texts("回复速度如何？", "How fast did we reply?"),
                "choices": [
                    {"key": "fast", "labels": {"zh-CN": "很快", "en": "Fast"}},
                    {"key": "slow", "labels": {"zh-CN": "太慢", "en": "Too slow"}},
                ],
            },
            {"key": "q5", "type": "rating", "dimension": "professionalism", "scale": {"max": 10}, "texts": texts("专业程度", "Professionalism")},
        ],
    }
    body.update(overrides)
    return copy.deepcopy(body)
