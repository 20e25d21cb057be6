"""Problem reports, repeat contacts, disputes and data-protection requests are
recognised however politely they are phrased; questions that merely mention a
problem word stay routine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from triage.llm.guards import inspect_message
from triage.llm.situation import Situation, read_situation
from triage.models import GuardFlag

F, R, D, P = Situation.FAILURE, Situation.REPEAT, Situation.DISPUTE, Situation.PRIVACY

REPORTS = [
    # text, the situation it must raise
    ("How do I invite teammates? I sent three invitations yesterday and none of them arrived, even in spam.", F),
    ("Which browsers do you support? In Firefox 128 the editor toolbar is gone since this morning.", F),
    ("How can I change the email on my account? I changed it on Monday and now I can't log in with either address.", F),
    ("I requested a password reset but the email never arrives. I already checked my spam folder.", F),
    ("Could you tell me how to export my data? The export is empty every time.", F),
    ("The download link in your email returns a 404.", F),
    ("I was charged after cancelling my subscription last month.", D),
    ("This is the third time I write about this.", R),
    ("The fix you suggested didn't hold, it happened again this morning.", R),
    ("I did what the article said and it still doesn't work.", R),
    ("Any update on my ticket from last week?", R),
    ("I never ordered this and I did not authorise the payment.", D),
    ("Please delete my account and all my personal data.", P),
    ("Under GDPR I request a copy of all the personal data you hold about me.", P),
    ("Ich habe das Passwort zurückgesetzt, aber die E-Mail kommt nicht an.", F),
    ("Trotz Kündigung wurde mir der Betrag wieder abgebucht.", D),
    ("Zum dritten Mal: der Export ist immer noch leer.", R),
    ("Bitte löschen Sie alle meine Daten gemäß DSGVO.", P),
    ("Je n'ai jamais reçu l'e-mail de réinitialisation, même dans les spams.", F),
    ("J'ai été débité deux fois après la résiliation.", D),
    ("C'est la troisième fois que je vous écris, toujours rien.", R),
    ("Merci de supprimer toutes mes données personnelles.", P),
    ("El enlace de restablecimiento no funciona, ya lo intenté tres veces.", F),
    ("Me han cobrado de nuevo después de cancelar.", D),
    ("Sigo sin poder entrar en mi cuenta.", R),
    ("Quiero que borren todos mis datos personales.", P),
    ("Re: How do I export my invoices?", R),  # a reply to an earlier message
    ("I forgot my password, and the reset email never arrives.", F),
    # "none (of them) arrived": the quantifier carries the negation, in every language read.
    ("How do I invite teammates? I sent three invitations and none arrived.", F),
    ("¿Cómo invito a compañeros? Envié tres invitaciones ayer y ninguna llegó.", F),
    ("Comment inviter des coéquipiers ? J'ai envoyé trois invitations hier, aucune n'est arrivée.", F),
    ("Come invito i colleghi? Ho mandato tre inviti ieri e nessuno è arrivato.", F),
    ("Como convido colegas? Enviei três convites ontem e nenhum chegou.", F),
    # How-to questions followed by what went wrong, in words the first tables did not hold.
    ('How do I reset my password? The link takes me to a page that says "token already used".', F),
    ("How do I export my data? The CSV I get has only the headers.", F),
    ("How do I set up two-factor authentication? The QR code does not scan on my phone.", F),
    ("Do you have a mobile app? The Android app logs me out every few minutes.", F),
    ("¿Cómo restablezco mi contraseña? El enlace me lleva a una página en blanco.", F),
    ("¿Cómo cambio mi contraseña? La nueva contraseña no la acepta.", F),
    ("Welche Browser unterstützt ihr? In Safari bleibt die Seite weiß.", F),
    ("Où trouver mes factures ? Depuis la mise à jour, la page reste blanche.", F),
]

ROUTINE = [
    "What happens if a payment fails?",
    "What should I do if the reset email doesn't arrive?",
    "How do I report a bug?",
    "How do I reset my password?",
    "How do I delete my account?",
    "I can't find the invoices page, where is it?",
    "I don't know how to download my invoice.",
    "Will I be logged out of other devices if I change my password?",
    "Can I get a refund if I cancel within 14 days?",
    "Is there a way to recover deleted files?",
    "Which browsers do you support?",
    "I forgot my password and can't log in. How do I reset it?",  # the reason, not a failure
    "Ich habe mein Passwort vergessen und kann mich nicht mehr anmelden. Wie kann ich es zurücksetzen?",
    "Was passiert, wenn eine Zahlung fehlschlägt?",
    "Wie kann ich mein Passwort zurücksetzen?",
    "Que se passe-t-il si le lien a expiré ?",
    "Comment puis-je télécharger mes factures ?",
    "¿Qué pasa si no me llega el correo de confirmación?",
    "¿Cómo cambio mi dirección de envío?",
    "¿Qué pasa si ninguna factura llega a tiempo?",
    "How do I log out of the mobile app?",
    "Can I export only the invoices from last year?",
    "Where do I scan the QR code for two-factor authentication?",
]


@pytest.mark.parametrize(("text", "situation"), REPORTS)
def test_reports_are_recognised(text, situation):
    subject, _, body = text.partition(": ") if text.startswith("Re:") else ("", "", text)
    found = {f.situation for f in read_situation(subject if subject else "", body)}
    if text.startswith("Re:"):
        found = {f.situation for f in read_situation(text, "")}
    assert situation in found, found


@pytest.mark.parametrize("text", ROUTINE)
def test_routine_questions_are_not_reports(text):
    assert read_situation("", text) == []


def test_evidence_names_the_words_and_nothing_else():
    inspection = inspect_message("", "How do I invite people? None of them arrived <script>x</script>!")
    assert GuardFlag.PROBLEM_REPORT in inspection.flags
    (evidence,) = inspection.evidence
    assert "none of them arrived" in evidence and "<" not in evidence


def test_quoted_history_is_a_follow_up_but_not_read_as_the_customers_words():
    body = "Thanks!\n\nOn Tue, 3 Nov 2026, Acme wrote:\n> If the email never arrives, check your spam."
    (finding,) = read_situation("", body)
    assert finding.situation is Situation.REPEAT and "quotes" in finding.evidence


HUMAN = {
    GuardFlag.PROBLEM_REPORT, GuardFlag.PRIVACY, GuardFlag.SECURITY, GuardFlag.LEGAL,
    GuardFlag.MONEY, GuardFlag.DATA_LOSS, GuardFlag.NEGATIVE_SENTIMENT,
}
TABLE = [json.loads(line) for line in (Path(__file__).parent / "data" / "situations_table.jsonl").open()]


def test_an_independent_table_in_six_languages():
    """220 messages written by another author as minimal pairs (same topic, one
    routine, one a report) in en, de, fr, es, it and pt."""
    missed = [r["text"] for r in TABLE if r["problem"] and not HUMAN & set(inspect_message("", r["text"]).flags)]
    routine = [r for r in TABLE if not r["problem"]]
    raised = [r["text"] for r in routine if {GuardFlag.PROBLEM_REPORT, GuardFlag.PRIVACY} & set(inspect_message("", r["text"]).flags)]
    assert len(missed) <= len(TABLE) // 100, missed
    assert len(raised) <= len(routine) // 20, raised


WITHDRAWALS = [
    "How do I reset my password? Never mind, I found it.",
    "How do I reset my password? Edit: figured it out, thanks!",
    "Which browsers do you support? Actually, scratch that, our IT found the list.",
    "Please ignore my last email, the export works.",
    "Wie setze ich mein Passwort zurück? Hat sich erledigt, danke!",
    "Comment réinitialiser mon mot de passe ? Laissez tomber, j'ai trouvé.",
    "¿Cómo restablezco mi contraseña? Olvídalo, ya lo encontré.",
    "Come reimposto la password? Lascia perdere, ho risolto.",
    "Como redefino a senha? Deixa pra lá, já resolvi.",
]
NOT_WITHDRAWALS = [
    "I found it confusing to reset my password. How do I do it?",
    "Can I turn off the reminder emails?",
    "How do I ignore notifications from one project?",
    "Where did you find the bug I reported?",
]


@pytest.mark.parametrize("text", WITHDRAWALS)
def test_a_withdrawn_question_waits_for_a_human(text):
    """An answer to a question the customer already took back is a wrong reply."""
    findings = read_situation("", text)
    assert any(f.flag is GuardFlag.WITHDRAWN for f in findings), findings


@pytest.mark.parametrize("text", NOT_WITHDRAWALS)
def test_words_near_a_withdrawal_are_not_one(text):
    assert not any(f.flag is GuardFlag.WITHDRAWN for f in read_situation("", text))
