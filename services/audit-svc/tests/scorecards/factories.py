"""Scorecard definitions as a client sends them, with real-looking Chinese texts."""

from __future__ import annotations

import copy
from typing import Any

WRITER = {"Authorization": "Bearer writer-key"}
READER = {"Authorization": "Bearer reader-key"}
PROBLEM = "application/problem+json"
GREETING_ZH = "开场问候"


def titles(zh: str, en: str) -> dict[str, str]:
    return {"zh-CN": zh, "en": en}


def definition(**overrides: Any) -> dict[str, Any]:
    """A bilingual phone/chat scorecard: two sections, every scale, a critical, an N/A-able and a
    bonus category."""
    body: dict[str, Any] = {
        "name": "客服通话质检 / Call quality",
        "languages": ["zh-CN", "en"],
        "titles": titles("客服通话质检", "Call quality"),
        "sections": [
            {
                "key": "opening",
                "titles": titles("开场", "Opening"),
                "categories": [
                    {
                        "key": "greeting", "titles": titles(GREETING_ZH, "Greeting"), "weight": 1, "scale": "binary",
                        "answers": [
                            {"value": 0, "texts": {"zh-CN": {"description": "未使用标准问候语", "examples": ["喂？"]}}},
                            {"value": 1, "texts": {"zh-CN": {"description": "使用标准问候语并报工号", "examples": ["您好，工号 1024 为您服务"]}}},
                        ],
                        "root_causes": ["未报工号", "语气生硬"],
                    },
                    {"key": "verify_identity", "titles": titles("核实身份", "Identity check"), "weight": 3, "scale": "binary", "critical": True, "root_causes": ["未核实身份"]},
                ],
            },
            {
                "key": "solution",
                "titles": titles("问题解决", "Solving the problem"),
                "categories": [
                    {"key": "accuracy", "titles": titles("信息准确", "Accuracy"), "weight": 4, "scale": "5", "root_causes": ["知识库过期", "培训不足"]},
                    {"key": "empathy", "titles": titles("同理心", "Empathy"), "weight": 2, "scale": "3", "allow_na": True},
                    {"key": "upsell", "titles": titles("主动推荐", "Proactive offer"), "weight": 1, "scale": {"min": 0, "max": 10}, "bonus": True, "allow_na": True},
                ],
            },
        ],
    }
    body.update(overrides)
    return copy.deepcopy(body)


async def create(client, body: dict | None = None) -> dict:
    response = await client.post("/v1/scorecards", json=body or definition(), headers=WRITER)
    assert response.status_code == 201, response.text
    return response.json()


async def published(client, body: dict | None = None) -> dict:
    """A scorecard created and published (version 1)."""
    created = await create(client, body)
    response = await client.post(f"/v1/scorecards/{created['id']}/publish", headers=WRITER)
    assert response.status_code == 201, response.text
    return response.json()
