"""The send policy, as a table: every row is one reason to send or not."""

from __future__ import annotations

import pytest

from triage.models import Category, Classification, GuardFlag, PolicySettings
from triage.policy import decide

DEFAULT = PolicySettings()
G, F, B, BUG, FR = Category.GENERAL, Category.FAQ, Category.BILLING, Category.BUG, Category.FEATURE_REQUEST

CASES = [
    # category, confidence, grounded, flags, settings, auto_send
    (G, 0.95, True, [], DEFAULT, True),
    (F, 0.90, True, [], DEFAULT, True),  # the threshold itself passes
    (F, 0.89, True, [], DEFAULT, False),
    (B, 0.99, True, [], DEFAULT, False),
    (BUG, 0.99, True, [], DEFAULT, False),
    (FR, 0.99, True, [], DEFAULT, False),
    (G, 0.95, False, [], DEFAULT, False),  # nothing in the KB supports the reply
    (G, 0.95, False, [], PolicySettings(require_kb_support=False), True),
    (G, 0.95, True, [GuardFlag.PROMPT_INJECTION], DEFAULT, False),
    (G, 0.95, True, [GuardFlag.MONEY], DEFAULT, False),
    (G, 0.95, True, [GuardFlag.LEGAL], DEFAULT, False),
    (G, 0.95, True, [GuardFlag.NEGATIVE_SENTIMENT], DEFAULT, False),
    (G, 0.95, True, [GuardFlag.SECURITY], DEFAULT, False),
    (G, 0.95, True, [GuardFlag.TOO_LONG], DEFAULT, False),
    (G, 0.95, True, [GuardFlag.EMPTY], DEFAULT, False),
    (G, 0.95, True, [GuardFlag.INVALID_OUTPUT], DEFAULT, False),
    (G, 0.95, True, [GuardFlag.TECHNICAL], DEFAULT, False),
    (G, 0.95, True, [GuardFlag.MODEL_DISAGREEMENT], DEFAULT, False),
    (G, 0.95, True, [GuardFlag.URGENT], PolicySettings(ignored_flags=[GuardFlag.URGENT]), True),
    (G, 0.95, True, [GuardFlag.URGENT, GuardFlag.MONEY], PolicySettings(ignored_flags=[GuardFlag.URGENT]), False),
    (B, 0.99, True, [], PolicySettings(auto_send_categories=[B]), True),
    (G, 0.99, True, [], PolicySettings(auto_send_categories=[]), False),
    (G, 0.50, True, [], PolicySettings(confidence_threshold=0.4), True),
]


@pytest.mark.parametrize(("category", "confidence", "grounded", "flags", "settings", "auto_send"), CASES)
def test_policy_table(category, confidence, grounded, flags, settings, auto_send):
    classification = Classification(category=category, confidence=confidence, guard_flags=flags)
    decision = decide(classification, grounded, settings)
    assert decision.auto_send is auto_send
    assert bool(decision.reasons) is not auto_send  # every refusal says why


def test_every_failed_condition_is_reported():
    classification = Classification(
        category=B, confidence=0.1, guard_flags=[GuardFlag.MONEY, GuardFlag.LEGAL]
    )
    reasons = decide(classification, False, DEFAULT).reasons
    assert len(reasons) == 4
    assert "guard flags: legal, money" in reasons
