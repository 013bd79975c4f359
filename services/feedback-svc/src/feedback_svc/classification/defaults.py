"""The rules feedback-svc starts with: categories and kinds with their keywords per language,
and the severity rules. Admins replace them through the API; these are the first version."""

from __future__ import annotations

DEFAULT_CATEGORIES: list[dict] = [
    {
        "key": "response_speed",
        "names": {"zh-CN": "响应速度", "en": "Response speed"},
        "keywords": {
            "zh-CN": ["太慢", "慢", "等了", "没人理", "没人回", "不回复", "回复慢", "迟迟", "排队", "半天", "久", "打不通"],
            "en": ["slow", "wait", "waited", "waiting", "no reply", "no response", "never replied", "hours", "days", "delay", "queue"],
        },
    },
    {
        "key": "attitude",
        "names": {"zh-CN": "服务态度", "en": "Attitude"},
        "keywords": {
            "zh-CN": ["态度", "不耐烦", "敷衍", "骂", "凶", "冷漠", "没礼貌", "热情", "耐心", "礼貌"],
            "en": ["rude", "impolite", "attitude", "unfriendly", "shouted", "dismissive", "friendly", "polite", "patient", "kind"],
        },
    },
    {
        "key": "problem_solving",
        "names": {"zh-CN": "问题解决", "en": "Problem solving"},
        "keywords": {
            "zh-CN": ["没解决", "没有解决", "解决", "处理", "推诿", "踢皮球", "问题还在", "重复"],
            "en": ["solve", "solved", "fix", "fixed", "resolve", "resolved", "unresolved", "still broken", "runaround"],
        },
    },
    {
        "key": "professionalism",
        "names": {"zh-CN": "专业程度", "en": "Professionalism"},
        "keywords": {
            "zh-CN": ["专业", "不专业", "一问三不知", "不懂", "答非所问", "业务不熟"],
            "en": ["professional", "unprofessional", "knowledge", "clueless", "incompetent", "expert"],
        },
    },
    {
        "key": "product_quality",
        "names": {"zh-CN": "产品质量", "en": "Product quality"},
        "keywords": {
            "zh-CN": ["质量", "坏了", "破损", "故障", "假货", "瑕疵", "用不了", "做工"],
            "en": ["quality", "broken", "defective", "faulty", "damaged", "fake", "stopped working"],
        },
    },
    {
        "key": "billing",
        "names": {"zh-CN": "计费与退款", "en": "Billing"},
        "keywords": {
            "zh-CN": ["退款", "扣费", "收费", "账单", "发票", "多扣", "价格", "退钱", "没到账"],
            "en": ["billing", "bill", "charge", "charged", "refund", "invoice", "payment", "price", "overcharged"],
        },
    },
    {
        "key": "delivery",
        "names": {"zh-CN": "物流配送", "en": "Delivery"},
        "keywords": {
            "zh-CN": ["快递", "物流", "发货", "配送", "送货", "送错", "包裹", "没收到"],
            "en": ["delivery", "delivered", "shipping", "shipment", "package", "parcel", "courier", "tracking"],
        },
    },
    {"key": "other", "names": {"zh-CN": "其他", "en": "Other"}, "keywords": {"zh-CN": [], "en": []}},
]

DEFAULT_KINDS: dict[str, dict[str, list[str]]] = {
    "complaint": {
        "zh-CN": ["投诉", "差评", "太差", "失望", "气死", "垃圾", "不满", "坑", "骗", "曝光", "没人理", "太慢", "没解决"],
        "en": ["complaint", "complain", "terrible", "awful", "worst", "disappointed", "unacceptable", "rude", "never solved", "never delivered", "never arrived", "scam"],
    },
    "suggestion": {
        "zh-CN": ["建议", "希望", "能不能", "可不可以", "最好", "如果能", "增加"],
        "en": ["suggest", "suggestion", "would be nice", "please add", "could you add", "it would be better", "wish", "feature request"],
    },
    "praise": {
        "zh-CN": ["感谢", "非常感谢", "谢谢", "满意", "好评", "点赞", "表扬", "给力", "很好", "非常好", "专业"],
        "en": ["thank", "thanks", "great", "excellent", "amazing", "helpful", "appreciate", "well done", "love"],
    },
    "enquiry": {
        "zh-CN": ["请问", "咨询", "怎么", "如何", "什么时候", "能否", "是否", "吗"],
        "en": ["how do", "how can", "when will", "where is", "can i", "is it possible", "question", "enquiry", "inquiry"],
    },
}

#: Severity rules (see classification/severity.py for what each type means).
DEFAULT_SEVERITY_RULES: dict = {
    "base": {"complaint": 2, "suggestion": 1, "praise": 1, "enquiry": 1},
    "priority_by_severity": {"1": "low", "2": "normal", "3": "high", "4": "urgent"},
    "rules": [
        {"id": "public-social-post", "type": "channel", "channels": ["social"], "kinds": ["complaint"], "severity": 3},
        {"id": "low-star-review", "type": "channel", "channels": ["ecommerce_review"], "max_rating": 2, "severity": 3},
        {"id": "repeat-complaint", "type": "repeat_complaint", "within_days": 30, "severity": 3},
        {
            "id": "escalation-words", "type": "words", "severity": 4,
            "words": ["投诉", "曝光", "12315", "律师", "媒体", "lawyer", "regulator", "sue", "legal action"],
        },
        {"id": "vip-customer", "type": "tag", "tags": ["vip"], "severity": 3},
    ],
}
