from __future__ import annotations

from csq_common.errors import InvalidInput


class UnknownCategory(InvalidInput):
    def __init__(self, category: str, known: list[str]) -> None:
        super().__init__("category", f"{category!r} is not a configured category ({', '.join(known)})")
