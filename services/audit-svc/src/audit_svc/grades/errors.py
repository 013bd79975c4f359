from __future__ import annotations

from csq_common.errors import Conflict


class NotGradable(Conflict):
    type = "https://csq.dev/problems/review-not-gradable"
    title = "Review not gradable"
