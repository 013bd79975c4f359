"""Severity and priority from the default rules: public posts, low-star reviews, repeated
complaints within 30 days, escalation words, VIP customers."""

from tests.feedback.factories import WRITER, ZH_ESCALATION, feedback_payload


async def post(client, **overrides):
    response = await client.post("/v1/feedback", json=feedback_payload(**overrides), headers=WRITER)
    assert response.status_code == 201, response.text
    return response.json()


def fired(item):
    return [rule["id"] for rule in item["fired_rules"]]


async def test_a_low_star_review_is_raised_and_a_three_star_one_is_not(client):
    review = {"source": "tmall", "channel": "ecommerce_review", "kind": "complaint", "text": "物流慢，包装也一般", "customer": None}
    low = await post(client, external_id="r-1", rating=2, **review)
    middling = await post(client, external_id="r-2", rating=3, **review)
    assert (low["severity"], low["priority"], fired(low)) == (3, "high", ["low-star-review"])
    assert (middling["severity"], middling["priority"], fired(middling)) == (2, "normal", [])


async def test_a_repeated_complaint_within_30_days_is_raised(client):
    common = {"channel": "hotline", "source": "cti", "text": "退款申请提交一周了还没到账，客服只会说在处理", "customer": {"id": "C-42"}}
    first = await post(client, external_id="h-1", received_at="2026-10-01T09:00:00Z", **common)
    second = await post(client, external_id="h-2", received_at="2026-10-30T09:00:00Z", **common)
    late = await post(client, external_id="h-3", received_at="2026-12-01T09:00:00Z", **common)
    other_customer = await post(client, external_id="h-4", received_at="2026-10-30T10:00:00Z", **{**common, "customer": {"id": "C-43"}})
    assert fired(first) == [] and first["severity"] == 2
    assert fired(second) == ["repeat-complaint"] and second["severity"] == 3
    assert second["fired_rules"][0]["detail"] == "1 earlier complaint(s) within 30 days"
    assert fired(late) == []  # the previous complaint is 32 days before
    assert fired(other_customer) == []


async def test_escalation_words_make_it_critical_in_either_language(client):
    chinese = await post(client, external_id="e-1", channel="hotline", source="cti", text=ZH_ESCALATION, customer=None)
    english = await post(
        client, external_id="e-2", channel="email", source="mail", customer=None,
        text="If this is not fixed by Friday my lawyer will contact the regulator.",
    )
    lawyerly = await post(client, external_id="e-3", channel="email", source="mail", customer=None, text="Our lawyers' office wants an invoice copy")
    assert (chinese["severity"], chinese["priority"]) == (4, "urgent")
    assert chinese["fired_rules"] == [{"id": "escalation-words", "type": "words", "severity": 4, "detail": "投诉, 曝光, 12315, 媒体"}]
    assert english["severity"] == 4 and english["fired_rules"][0]["detail"] == "lawyer, regulator"
    assert "escalation-words" not in fired(lawyerly)  # "lawyers'" is not the word "lawyer"


async def test_a_vip_tag_raises_the_severity(client):
    vip = await post(client, external_id="v-1", channel="chat", source="app-chat", text="请问会员积分怎么兑换？", tags=["VIP"], customer=None)
    assert (vip["severity"], fired(vip)) == (3, ["vip-customer"])
