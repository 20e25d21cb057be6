"""The offline path's judgement end to end, without Temporal: what the customer
asked, whether an article answers it, what is drafted, and whether it may go
out alone. (The workflow runs the same steps; tests/test_workflow.py drives them
through Temporal and the emulator.)"""

from __future__ import annotations

import pytest
from temporalio.exceptions import ApplicationError

from triage.domain.models import (
    Category,
    Classification,
    DraftRequest,
    GuardFlag,
    InboundMessage,
    PolicySettings,
)
from triage.domain.replies import ACKNOWLEDGEMENT, ACKNOWLEDGEMENTS, reply_text
from triage.judging.kb import KnowledgeBase
from triage.judging.offline import OfflineProvider
from triage.judging.training.evaluation import EvalRow, judge

POLICY = PolicySettings()


def row(text: str, subject: str = "", label: str = "general") -> EvalRow:
    return EvalRow(id="t", subject=subject, body=text, label=label)


def message(text: str, subject: str = "") -> InboundMessage:
    return InboundMessage(
        message_id="m", inbox_id="i", from_address="a@example.org", subject=subject, plain_body=text
    )


@pytest.mark.parametrize(
    ("text", "article"),
    [
        ("How do I reset my password?", "password-reset"),
        ("i forgot my password", "password-reset"),
        ("Which browsers do you support?", "supported-browsers"),
        ("How do I invite a teammate to my workspace?", "invite-teammates"),
        ("Wie setze ich mein Passwort zurück?", "password-reset"),
        ("¿Cómo restablezco mi contraseña?", "password-reset"),
    ],
)
async def test_routine_questions_go_out_citing_the_article_that_answers(offline, text, article):
    verdict = await judge(row(text), offline, POLICY)
    assert verdict.decision.auto_send, verdict.decision.reasons
    assert verdict.decision.answer is not None and verdict.decision.answer.article_id == article
    assert [c.article_id for c in verdict.reply.citations] == [article]


@pytest.mark.parametrize(
    "text",
    [
        # The four wrong automatic replies that started this work.
        "How do I invite teammates? I sent three invitations yesterday and none of them arrived, even in spam.",
        "Which browsers do you support? In Firefox 128 the editor toolbar is gone since this morning.",
        "How can I change the email on my account? I changed it on Monday and now I can't log in with either address.",
        "I asked for a password reset twice. The email never arrives, and I checked my spam folder.",
        "Delete my account and all my personal data.",
        "Wie lade ich Teammitglieder ein? Ich habe gestern drei Einladungen verschickt, aber keine ist angekommen.",
        "¿Qué navegadores soportan? Desde esta mañana la barra de herramientas no aparece en Firefox.",
        "Comment réinitialiser mon mot de passe ? J'ai déjà essayé trois fois, je ne reçois jamais l'e-mail.",
    ],
)
async def test_problem_reports_never_get_a_canned_answer(offline, text):
    verdict = await judge(row(text), offline, POLICY)
    assert not verdict.decision.auto_send
    assert any("problem_report" in r or "privacy" in r for r in verdict.decision.reasons), (
        verdict.decision.reasons
    )
    # The draft acknowledges, in the customer's language; it does not re-send the how-to.
    # "Sorry for the trouble" is for trouble: a data request gets the plain holding reply.
    texts = reply_text(verdict.classification.language)
    trouble = GuardFlag.PROBLEM_REPORT in verdict.classification.guard_flags
    assert (texts.acknowledgement if trouble else texts.holding) in verdict.reply.body
    assert not verdict.reply.citations


async def test_a_question_no_article_answers_waits_and_says_so(offline):
    verdict = await judge(row("Can I host the product on my own Raspberry Pi cluster?"), offline, POLICY)
    assert not verdict.decision.auto_send
    assert any(r.startswith("no article answers this question") for r in verdict.decision.reasons)


async def test_a_second_question_the_article_does_not_answer_waits(offline):
    text = "How do I reset my password? Also, can I move my whole workspace to a data centre in Australia?"
    verdict = await judge(row(text), offline, POLICY)
    assert not verdict.decision.auto_send
    assert any("more question" in r for r in verdict.decision.reasons), verdict.decision.reasons


async def test_a_language_without_checks_waits(offline):
    verdict = await judge(row("Come posso reimpostare la mia password?"), offline, POLICY)
    assert not verdict.decision.auto_send


def test_the_answer_is_matched_question_by_question():
    kb = KnowledgeBase.load()
    answer = kb.answer("", "Hi team,\n\nHow can I reset my password?\n\nThanks,\nSam")
    assert answer is not None and answer.article_id == "password-reset" and answer.score >= 0.7
    # A signature's "<name>" or a lone word is not a question.
    assert kb.answer("", "<name>") is None


async def test_offline_redraft_never_puts_the_instructions_in_the_reply(offline):
    """Reviewer instructions are input to drafting, never text of the draft."""
    instructions = "Acknowledge the CSV export bug, apologise, and do not explain how to export."
    first = await offline.draft(
        DraftRequest(
            message=message("How do I export my data as CSV?"),
            classification=Classification(category=Category.GENERAL, confidence=0.95),
        )
    )
    redraft = DraftRequest(
        message=message("How do I export my data as CSV?"),
        classification=Classification(category=Category.GENERAL, confidence=0.95),
        instructions=instructions,
        previous_body=first.body,
    )
    second = await offline.draft(redraft)
    assert (
        second.body != first.body and ACKNOWLEDGEMENT in second.body and ACKNOWLEDGEMENT in ACKNOWLEDGEMENTS
    )
    assert instructions[:20] not in second.body and "Revised" not in second.body
    with pytest.raises(ApplicationError, match=r"configure an LLM"):
        await offline.draft(redraft.model_copy(update={"previous_body": second.body}))


async def test_confidence_drops_on_text_unlike_the_training_mail(offline):
    familiar = await offline.classify(message("How do I reset my password?"))
    strange = await offline.classify(
        message(
            "Preheat the oven to 180 degrees. Whisk three eggs with sugar, fold in the flour and "
            "bake the sponge for twenty-five minutes until golden."
        )
    )
    assert familiar.confidence >= POLICY.confidence_threshold
    assert strange.confidence < POLICY.confidence_threshold


@pytest.mark.parametrize(
    ("text", "language", "article", "words"),
    [
        (
            "Wie setze ich mein Passwort zurück?",
            "de",
            "password-reset",
            ["Hallo,", "Passwort vergessen?", "?lang=de"],
        ),
        (
            "Comment créer une clé API ?",
            "fr",
            "api-keys",
            ["Bonjour,", "Paramètres → Développeurs", "?lang=fr"],
        ),
        (
            "¿Cómo exporto mis datos?",
            "es",
            "export-data",
            ["Hola,", "Configuración → Datos → Exportar", "?lang=es"],
        ),
    ],
)
async def test_routine_questions_are_answered_in_the_customers_language(
    offline, text, language, article, words
):
    verdict = await judge(row(text), offline, POLICY)
    assert verdict.classification.language == language
    assert verdict.decision.auto_send, verdict.decision.reasons
    assert verdict.reply.article_language == language
    [citation] = verdict.reply.citations
    kb = KnowledgeBase.load()
    translated = kb.version(article, language)
    assert translated is not None and citation.article_id == article and citation.title == translated.title
    body = verdict.reply.body
    assert body.startswith(reply_text(language).greeting) and body.rstrip().endswith(
        reply_text(language).signature
    )
    for word in words:
        assert word in body
    assert "English" not in body and "Thanks for getting in touch" not in body
    assert verdict.reply.html_body is not None and "<strong>" in verdict.reply.html_body


async def test_a_language_the_knowledge_base_does_not_cover_waits_with_its_reason(offline):
    verdict = await judge(row("Come posso reimpostare la mia password?"), offline, POLICY)
    assert not verdict.decision.auto_send
    assert "no article in it" in verdict.decision.reasons
    # Even with the language checks off, an English article is no reply to an Italian question.
    unchecked = await judge(
        row("Come posso reimpostare la mia password?"), offline, PolicySettings(checked_languages=None)
    )
    assert "no article in it" in unchecked.decision.reasons
    assert unchecked.decision.answer is not None and unchecked.decision.answer.article_id == "password-reset"
    assert "We answer in English" not in unchecked.reply.body


async def test_a_knowledge_base_without_the_customers_language_holds_the_reply(tmp_path):
    (tmp_path / "password-reset.md").write_text(
        "---\nid: password-reset\ntitle: Reset your password\nurl: https://help.example/pw\nlanguage: en\n"
        "questions:\n  - How do I reset my password?\n  - Wie setze ich mein Passwort zurück?\n---\n"
        "Choose **Forgot password?** on the sign-in page.\n",
        encoding="utf-8",
    )
    verdict = await judge(
        row("Wie setze ich mein Passwort zurück?"), OfflineProvider(KnowledgeBase.load(tmp_path)), POLICY
    )
    assert verdict.classification.language == "de"
    assert verdict.reply.article_language == "en"
    assert not verdict.decision.auto_send and "no article in de" in verdict.decision.reasons
