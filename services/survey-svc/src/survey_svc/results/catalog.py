"""Which questions a results report shows, from the survey's published versions (pure).

A question is identified by (key, type) across versions: the same key asked with the same type
in versions 1 and 2 is one question whose answers are added up; its definition (texts, choices,
dimension, scale) is taken from the newest version that has it. Questions of the base version
(the requested ``version``, else the latest) come first in their order; questions only older
versions asked follow, and are shown only when they got answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FIXED_SCALES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}
NUMERIC = frozenset({"csat", "nps", "ces", "rating"})
CHOICE = frozenset({"single_choice", "multiple_choice"})


@dataclass
class CatalogQuestion:
    key: str
    type: str
    definition: dict[str, Any]
    definition_version: int
    in_base: bool
    versions: set[int] = field(default_factory=set)  # versions whose answers were counted

    @property
    def dimension(self) -> str:
        return self.definition.get("dimension", "overall")

    @property
    def scale(self) -> tuple[int, int] | None:
        if self.type in FIXED_SCALES:
            return FIXED_SCALES[self.type]
        if self.type == "rating":
            return (1, int((self.definition.get("scale") or {}).get("max", 5)))
        return None

    @property
    def prompt(self) -> dict[str, str]:
        return {language: texts["prompt"] for language, texts in (self.definition.get("texts") or {}).items()}

    def choice_labels(self) -> dict[str, dict[str, str]]:
        return {choice["key"]: choice["labels"] for choice in self.definition.get("choices") or []}


class Catalog:
    def __init__(self, versions: dict[int, dict[str, Any]], base_version: int | None) -> None:
        """``versions``: version number -> published definition; ``base_version`` first."""
        self.questions: dict[tuple[str, str], CatalogQuestion] = {}
        order = sorted(versions, reverse=True)
        if base_version is not None:
            order = [base_version] + [v for v in order if v < base_version]
        self._all_labels: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
        for number in order:
            for question in versions[number].get("questions", []):
                identity = (question["key"], question["type"])
                if identity not in self.questions:
                    self.questions[identity] = CatalogQuestion(
                        question["key"], question["type"], question, number, in_base=number == base_version
                    )
                labels = self._all_labels.setdefault(identity, {})
                for choice in question.get("choices") or []:
                    labels.setdefault(choice["key"], choice["labels"])

    def get(self, key: str, question_type: str) -> CatalogQuestion | None:
        return self.questions.get((key, question_type))

    def labels(self, question: CatalogQuestion) -> dict[str, dict[str, str]]:
        """Choice key -> labels, newest definition first, then keys only older versions had."""
        return {**self._all_labels.get((question.key, question.type), {}), **question.choice_labels()}

    def shown(self) -> list[CatalogQuestion]:
        return [q for q in self.questions.values() if q.in_base or q.versions]

    def column_keys(self) -> list[str]:
        """One CSV column per question key, in catalog order."""
        return list(dict.fromkeys(key for key, _ in self.questions))
