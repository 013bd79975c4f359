"""Kind, category and sentiment of real-looking Chinese and English feedback, by the default rules."""

import pytest

from feedback_svc.classification.classifier import classify
from feedback_svc.classification.defaults import DEFAULT_CATEGORIES, DEFAULT_KINDS
from feedback_svc.classification.schemas import ClassificationRules

RULES = ClassificationRules.model_validate({"categories": DEFAULT_CATEGORIES, "kinds": DEFAULT_KINDS})


@pytest.mark.parametrize(
    ("text", "language", "kind", "category"),
    [
        ("客服回复太慢了，等了三天都没人理", "zh-CN", "complaint", "response_speed"),
        ("The agent was rude and never solved my billing problem", "en", "complaint", "attitude"),
        ("非常感谢客服小王，态度很好，问题很快就解决了，给你们点赞！", "zh-CN", "praise", "attitude"),
        ("快递送错了地址还不给退款，再不处理我就打12315投诉，还要找媒体曝光", "zh-CN", "complaint", "delivery"),
        ("东西质量太差，用了两天就坏了", "zh-CN", "complaint", "product_quality"),
        ("请问你们的发票怎么开？", "zh-CN", "enquiry", "billing"),
        ("My parcel was never delivered and tracking shows nothing", "en", "complaint", "delivery"),
        ("建议你们增加晚上的人工客服时间", "zh-CN", "suggestion", "other"),
        ("Thanks a lot, the support team was very professional and helpful", "en", "praise", "professionalism"),
        ("退款申请提交一周了还没到账，客服只会说在处理", "zh-CN", "complaint", "billing"),
    ],
)
def test_default_rules_classify_real_feedback(text, language, kind, category):
    result = classify(text, language, RULES)
    assert (result.kind, result.category) == (kind, category)


def test_sentiment_comes_from_the_offline_models_on_a_minus_one_to_one_scale():
    negative = classify("The agent was rude and never solved my billing problem", "en", RULES).sentiment
    positive = classify("Thanks a lot, the support team was very professional and helpful", "en", RULES).sentiment
    zh_negative = classify("客服回复太慢了，等了三天都没人理", "zh-CN", RULES).sentiment
    zh_positive = classify("非常感谢客服小王，态度很好，问题很快就解决了", "zh-CN", RULES).sentiment
    assert -1 <= negative < -0.3 and 0.3 < positive <= 1
    assert -1 <= zh_negative < -0.3 and 0.3 < zh_positive <= 1


def test_low_stars_tip_a_neutral_review_towards_a_complaint():
    assert classify("收到了，包装一般", "zh-CN", RULES, rating=1).kind == "complaint"
    assert classify("收到了，包装一般", "zh-CN", RULES, rating=5).kind == "praise"
