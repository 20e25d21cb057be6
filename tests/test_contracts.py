"""Contracts defined once, and every place that uses them.

Each group of tests ties one contract to the places that depend on it, so a
second spelling somewhere cannot drift from the source.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from starter.api import create_app
from starter.api.dashboard import CONFLICT_HELP
from starter.api.errors import ApiError, ApiErrorKind
from starter.api.gateway import CONFLICT_KINDS, TemporalLink
from starter.review import ReviewRejected
from triage.domain.contracts import ReviewErrorKind
from triage.runtime.config import Settings

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("triage", "workflows", "activities", "starter", "worker", "bench")


def _python_sources() -> list[Path]:
    return [path for folder in SOURCE_DIRS for path in sorted((ROOT / folder).rglob("*.py"))]


# ---- review error kinds --------------------------------------------------------------


def test_review_error_kinds_keep_their_wire_values():
    # The workflow's values are in saved histories and in API answers: they never change.
    assert {kind.name: kind.value for kind in ReviewErrorKind} == {
        "REVIEW_CLOSED": "ReviewClosed",
        "REVIEW_BUSY": "ReviewBusy",
        "STALE_REVISION": "StaleRevision",
        "DECISION_FAILED": "DecisionFailed",
        "UPDATE_FAILED": "UpdateFailed",
    }


def test_review_error_kinds_are_spelled_only_in_contracts():
    values = {kind.value for kind in ReviewErrorKind}
    retyped = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
        for path in _python_sources()
        if path != ROOT / "triage" / "domain" / "contracts.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Constant) and node.value in values
    ]
    assert not retyped, "use triage.domain.contracts.ReviewErrorKind instead of:\n" + "\n".join(retyped)


def test_review_error_kinds_the_workflow_raises():
    """Every kind but the client's own is raised by the review Update (the workflow and its
    review's state machine), as ``ReviewErrorKind.X``."""
    raised = {
        keyword.value.attr
        for path in [*(ROOT / "workflows").glob("*.py"), ROOT / "triage" / "domain" / "review_state.py"]
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ApplicationError"
        for keyword in node.keywords
        if keyword.arg == "type"
        and isinstance(keyword.value, ast.Attribute)
        and getattr(keyword.value.value, "id", None) == "ReviewErrorKind"
    }
    assert raised == {kind.name for kind in ReviewErrorKind} - {ReviewErrorKind.UPDATE_FAILED.name}


def test_review_error_kinds_in_the_api_schema():
    spec = create_app(Settings()).openapi()
    schemas = spec["components"]["schemas"]
    assert schemas["ReviewErrorKind"]["enum"] == [kind.value for kind in ReviewErrorKind]
    assert schemas["ApiErrorKind"]["enum"] == [kind.value for kind in ApiErrorKind]
    assert not {k.value for k in ReviewErrorKind} & {k.value for k in ApiErrorKind}
    kind_options = schemas["ErrorBody"]["properties"]["kind"]["anyOf"]
    kind_refs = {option.get("$ref", "").rsplit("/", 1)[-1] for option in kind_options}
    assert {"ReviewErrorKind", "ApiErrorKind"} <= kind_refs
    for action in ("approve", "reject", "redraft"):
        responses = spec["paths"][f"/api/reviews/{{workflow_id}}/{action}"]["post"]["responses"]
        for code in ("409", "502"):
            schema = responses[code]["content"]["application/json"]["schema"]
            assert schema["$ref"].endswith("/ErrorBody"), (action, code)


def test_review_error_kinds_every_conflict_has_dashboard_help():
    assert set(CONFLICT_HELP) == CONFLICT_KINDS
    assert set(CONFLICT_KINDS) < set(ReviewErrorKind)


@pytest.mark.parametrize("kind", list(ReviewErrorKind))
async def test_review_error_kinds_map_to_http_statuses(kind: ReviewErrorKind):
    link = TemporalLink(Settings())
    with pytest.raises(ApiError) as raised:
        async with link.errors("triage-msg_1"):
            raise ReviewRejected(kind, "refused")
    assert raised.value.kind is kind
    assert raised.value.status_code == (409 if kind in CONFLICT_KINDS else 502)


# ---- categories ------------------------------------------------------------------------


def test_categories_each_described_once():
    from triage.domain.models import CATEGORY_DESCRIPTIONS, Category

    assert sorted(CATEGORY_DESCRIPTIONS) == sorted(Category)


def test_categories_the_prompt_lists_every_category_once():
    from triage.domain.models import CATEGORY_DESCRIPTIONS, Category
    from triage.judging.prompts import CLASSIFY_SYSTEM

    for category in Category:
        line = f"\n- {category.value}: {CATEGORY_DESCRIPTIONS[category]}\n"
        assert CLASSIFY_SYSTEM.count(f"\n- {category.value}:") == 1, category
        assert line in CLASSIFY_SYSTEM, category


def test_categories_the_eval_labels_are_the_enum_with_faq_as_general():
    from triage.domain.models import Category, answer_label
    from triage.judging.training.evaluation import LABELS, ROUTINE_LABEL

    assert LABELS == [c.value for c in Category if c is not Category.FAQ]
    assert {answer_label(c) for c in Category} == set(LABELS)
    assert answer_label(Category.FAQ) == ROUTINE_LABEL == Category.GENERAL.value


def test_categories_the_llm_schema_is_the_enum():
    from triage.domain.models import Category
    from triage.judging.openai_schema import ClassificationOutput

    schema = ClassificationOutput.model_json_schema()
    assert schema["$defs"]["Category"]["enum"] == [c.value for c in Category]


# ---- guard flags -----------------------------------------------------------------------


def test_guard_flags_the_llm_schema_allows_exactly_the_prompted_flags():
    from triage.domain.models import GuardFlag
    from triage.judging.openai_schema import ClassificationOutput
    from triage.judging.prompts import MODEL_FLAGS

    schema = ClassificationOutput.model_json_schema()["properties"]["guard_flags"]
    assert schema["items"]["enum"] == [flag.value for flag in MODEL_FLAGS]
    assert set(schema["items"]["enum"]) < {flag.value for flag in GuardFlag}
    # The flags our own code sets are not the model's to set.
    assert not {GuardFlag.INVALID_OUTPUT, GuardFlag.CLASSIFIER_ERROR, GuardFlag.NO_KB_SUPPORT} & set(
        MODEL_FLAGS
    )


def test_guard_flags_the_prompt_describes_each_model_flag_once():
    from triage.domain.models import GuardFlag
    from triage.judging.prompts import CLASSIFY_SYSTEM, MODEL_FLAGS

    for flag, meaning in MODEL_FLAGS.items():
        assert CLASSIFY_SYSTEM.count(f"\n- {flag.value}:") == 1, flag
        assert f"\n- {flag.value}: {meaning}\n" in CLASSIFY_SYSTEM, flag
    for flag in set(GuardFlag) - set(MODEL_FLAGS):
        assert f"\n- {flag.value}:" not in CLASSIFY_SYSTEM, flag


def test_guard_flags_and_categories_are_spelled_only_in_models():
    """A flag or category as a bare string in the pipeline is a second definition."""
    from triage.domain.models import Category, GuardFlag

    values = {flag.value for flag in GuardFlag} | {category.value for category in Category}
    pipeline = [
        path
        for folder in ("triage/judging", "triage/runtime/config", "activities", "workflows")
        for path in sorted((ROOT / folder).rglob("*.py"))
    ] + [
        # The pipeline's own steps that the regroup put in the domain (evaluation.py is in judging).
        ROOT / "triage" / "domain" / name
        for name in ("policy.py", "text.py", "replies.py", "signature.py")
    ]
    retyped = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
        for path in pipeline
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Constant)
        and node.value in values
        # The customer's situations have names of their own (one is "privacy").
        and path != ROOT / "triage" / "judging" / "situation.py"
    ]
    assert not retyped, "use triage.domain.models.GuardFlag / Category instead of:\n" + "\n".join(retyped)


# ---- the review-only classification ----------------------------------------------------


def test_review_only_classification_is_general_at_zero_with_the_flags():
    from triage.domain.models import MAX_REASON_CHARS, Category, Classification, GuardFlag

    result = Classification.for_review(
        "x" * 1000, [GuardFlag.URGENT, GuardFlag.INVALID_OUTPUT, GuardFlag.URGENT], closing=True
    )
    assert result.category is Category.GENERAL and result.confidence == 0.0
    assert result.guard_flags == sorted({GuardFlag.URGENT, GuardFlag.INVALID_OUTPUT})
    assert len(result.reason) == MAX_REASON_CHARS and result.closing


async def test_review_only_classification_for_unusable_output():
    from triage.domain.models import Classification, GuardFlag, InboundMessage
    from triage.judging.base import ProviderOutputError, TriageProvider
    from triage.judging.checked import classify_checked

    class Unusable(TriageProvider):
        name = "unusable"

        async def classify(self, message):
            raise ProviderOutputError("not JSON")

        async def draft(self, request):
            raise NotImplementedError

    message = InboundMessage(
        message_id="m",
        inbox_id="i",
        from_address="a@example.org",
        reply_address="a@example.org",
        subject="Hi",
        plain_body="How do I reset my password?",
        body_chars=27,
    )
    result = await classify_checked(Unusable(), message)
    assert result == Classification.for_review(
        "classifier output unusable: not JSON",
        [GuardFlag.INVALID_OUTPUT],
        closing=result.closing,
        act=result.act,
    )


def test_review_only_classification_is_built_in_one_place():
    """Nobody else spells "general at confidence 0": they call ``Classification.for_review``."""
    built = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in _python_sources()
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "Classification"
        and any(
            keyword.arg == "confidence"
            and isinstance(keyword.value, ast.Constant)
            and keyword.value.value == 0
            for keyword in node.keywords
        )
    ]
    assert not built, "use Classification.for_review in:\n" + "\n".join(built)


# ---- the offline model's routine categories --------------------------------------------


def test_offline_routine_follows_the_auto_send_categories(monkeypatch):
    from triage.domain.models import DEFAULT_AUTO_SEND_CATEGORIES
    from triage.judging.factory import build_provider

    question = ("Password", "How do I reset my password?")
    category, summed, _ = build_provider(Settings(provider="offline")).predict(*question)
    assert category in DEFAULT_AUTO_SEND_CATEGORIES
    monkeypatch.setenv("TRIAGE_AUTO_SEND_CATEGORIES", f'["{category.value}"]')
    alone = build_provider(Settings(provider="offline"))
    # Routine beside another category, their probabilities add up; routine alone, not.
    assert alone.predict(*question)[0] == category
    assert alone.predict(*question)[1] < summed


def test_offline_routine_default_is_the_policy_default(monkeypatch):
    from triage.domain.models import DEFAULT_AUTO_SEND_CATEGORIES, PolicySettings

    for name in ("TRIAGE_AUTO_SEND_CATEGORIES", "triage_auto_send_categories"):
        monkeypatch.delenv(name, raising=False)
    assert PolicySettings().auto_send_categories == list(DEFAULT_AUTO_SEND_CATEGORIES)
    assert Settings().auto_send_categories == list(DEFAULT_AUTO_SEND_CATEGORIES)


# ---- the holding reply -----------------------------------------------------------------


def test_holding_reply_default_text_is_unchanged():
    from triage.domain.replies import holding_reply

    assert holding_reply() == (
        "Hello,\n\nThank you for your message. A member of our support team will look into it "
        "and get back to you personally.\n\n— Acme Help support"
    )
    assert holding_reply(language="de").endswith("— Ihr Acme-Help-Support")


async def test_holding_reply_carries_the_configured_brand(monkeypatch):
    from temporalio.testing import ActivityEnvironment

    from activities.llm import LlmActivities
    from triage.domain.models import Category, Classification, DraftRequest, InboundMessage
    from triage.domain.replies import REPLY_TEXT, holding_reply
    from triage.judging.base import ProviderOutputError, TriageProvider
    from triage.judging.factory import build_provider

    monkeypatch.setenv("TRIAGE_BRAND_NAME", "Globex Care")
    settings = Settings()
    assert settings.brand_name == settings.policy_settings().brand_name == "Globex Care"
    for language in REPLY_TEXT:
        reply = holding_reply(settings.brand_name, language)
        assert "Globex" in reply and "Acme" not in reply, language

    message = InboundMessage(
        message_id="m",
        inbox_id="i",
        from_address="a@example.org",
        subject="Partnership",
        plain_body="Would you like to sponsor our chess club's tournament?",
        body_chars=54,
    )
    request = DraftRequest(
        message=message, classification=Classification(category=Category.GENERAL, confidence=0.9)
    )
    offline = build_provider(settings, "offline")
    drafted = await offline.draft(request)
    assert "Globex Care" in drafted.body and "Acme" not in drafted.body

    class Unusable(TriageProvider):
        name = "unusable"

        async def classify(self, message):
            raise NotImplementedError

        async def draft(self, request):
            raise ProviderOutputError("not JSON")

    activities = LlmActivities(Unusable(), brand=settings.brand_name)
    fallback = await ActivityEnvironment().run(activities.draft_reply, request)
    assert fallback.body == holding_reply("Globex Care")


def test_holding_reply_the_workflow_signs_with_the_policy_brand():
    """The workflow cannot read configuration: its fallback reply is signed with the brand
    its input carries (``PolicySettings.brand_name``, from ``TRIAGE_BRAND_NAME``)."""
    source = (ROOT / "workflows" / "triage.py").read_text()
    assert "holding_reply(brand)" in source and "brand = self._input.policy.brand_name" in source
    brands = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for folder in ("activities", "workflows", "triage/judging")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path.name != "training_data.py"  # example customer mail, addressed to the demo brand
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "Acme" in node.value
    ]
    assert not brands, "sign with the configured brand (Settings.brand_name) in:\n" + "\n".join(brands)
