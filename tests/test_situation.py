"""Problem reports, repeat contacts, disputes and data-protection requests are
recognised however politely they are phrased; questions that merely mention a
problem word stay routine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from triage.domain.models import GuardFlag
from triage.judging.guards import inspect_message
from triage.judging.situation import Situation, read_situation

F, R, D, P = Situation.FAILURE, Situation.REPEAT, Situation.DISPUTE, Situation.PRIVACY
T = Situation.TAKEOVER

REPORTS = [
    # text, the situation it must raise
    (
        "How do I invite teammates? I sent three invitations yesterday and none of them arrived, even in spam.",
        F,
    ),
    ("Which browsers do you support? In Firefox 128 the editor toolbar is gone since this morning.", F),
    (
        "How can I change the email on my account? I changed it on Monday and now I can't log in with either address.",
        F,
    ),
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
    # Sent back where they started, a dead or unreachable page, what the screen is saying.
    ("How do I log in with Microsoft? After I approve, it drops me straight back on the start page.", F),
    ("Do you have a status page? Your API has been unreachable from our servers since lunch.", F),
    ("How do I confirm my email? The link opens a page saying the code is no longer valid.", F),
    ("How do I export contacts? Names with accents come out as random symbols in the file.", F),
    ("How do I sign up? The form claims my address is already in use.", F),
    ("How do I pin a message? The pinned message disappears after a reload.", F),
    ("Where do I enter a promo code? The checkout only accepts codes in capital letters.", F),
    ("Can I choose a delivery slot? I picked Tuesday morning and no one showed up.", F),
    # Someone else saw it fail; the customer asks us to find out why.
    ("How do I share a project? Our customer reported that the shared link asks her for a password.", F),
    ("I'm wondering why our team page lists people who left months ago.", F),
    ("Could you look into why my weekly summary email now comes on Sundays?", F),
    # Something done, then a contrast: a report, not a question.
    ("How do I turn on dark mode? I switched it on in settings, but the editor stays white.", R),
    ("How do I stop the renewal? We cancelled in March and there is a new invoice for April.", D),
    ("Please wipe everything you hold on me, including old orders.", P),
    ("How do I change my password? Someone else signed in to my account this morning and sent messages.", T),
    ("Wie ändere ich die Sprache? Ich habe sie umgestellt, aber die Menüs sind englisch.", F),
    ("Wo sehe ich den Versandstatus? Das Paket hätte gestern zugestellt werden sollen.", F),
    ("Können Sie nachschauen, warum mein Abo pausiert ist?", F),
    ("Welche Angaben haben Sie zu mir gespeichert? Bitte löschen Sie alle.", P),
    ("Comment changer la langue ? Je l'ai modifiée mais les menus sont en anglais.", F),
    ("Où suivre mon colis ? Il aurait dû arriver samedi.", F),
    ("Pourriez-vous regarder pourquoi mon abonnement est suspendu ?", F),
    ("Comment configurer les notifications ? L'application ne m'envoie plus rien.", F),
    ("¿Cómo entro con Apple? Después de aceptar me redirige siempre al formulario.", F),
    ("¿Cuándo llega mi paquete? Debería haber llegado el viernes.", F),
    ("¿Pueden mirar por qué mi suscripción aparece pausada?", F),
    ("¿Cómo activo las notificaciones? La app dejó de avisarme hace una semana.", F),
    ("¿Qué información tienen sobre mí? Quiero que la borren.", P),
    ("Alguien accedió a mi cuenta anoche, ¿cómo cierro las sesiones?", T),
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
    # Words the report tables use, in questions and requests that report nothing.
    "Can I loop in a colleague on a ticket?",
    "Does the importer only accept CSV files?",
    "My manager told me to ask how to add a second admin.",
    "Can you tell me why annual billing is cheaper?",
    "Can I pay for 24 months up front?",
    "What should I do if I'm sent back to the login screen?",
    "What if nobody answers the invitation?",
    "Kann ich nur die offenen Rechnungen anzeigen?",
    "Est-ce que l'import ne prend que des fichiers CSV ?",
    "Je ne trouve pas où modifier mon adresse, pouvez-vous m'aider ?",
    "¿Qué pasa si dejo de usar la cuenta un año?",
    "¿Puedo descargar solo las facturas de marzo?",
]


@pytest.mark.parametrize(("text", "situation"), REPORTS)
def test_reports_are_recognised(text, situation):
    found = {f.situation for f in read_situation("", text)}
    assert situation in found, found


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Re: How do I export my invoices?", "Thanks! And how do I change the plan?"),
        ("AW: Re: Tarif", "Wir möchten doch lieber jährlich zahlen."),
        (
            "Re: Password",
            "Thanks!\n\nOn Tue, 3 Nov 2026, Acme wrote:\n> If the email never arrives, check your spam.",
        ),
    ],
)
def test_a_reply_is_not_a_report_because_it_is_a_reply(subject, body):
    # What a follow-up does is read from its words (and by the act classifier), not from "Re:".
    assert read_situation(subject, body) == []


@pytest.mark.parametrize("text", ROUTINE)
def test_routine_questions_are_not_reports(text):
    assert read_situation("", text) == []


def test_evidence_names_the_words_and_nothing_else():
    inspection = inspect_message("", "How do I invite people? None of them arrived <script>x</script>!")
    assert GuardFlag.PROBLEM_REPORT in inspection.flags
    (evidence,) = inspection.evidence
    assert "none of them arrived" in evidence and "<" not in evidence


HUMAN = {
    GuardFlag.PROBLEM_REPORT,
    GuardFlag.PRIVACY,
    GuardFlag.SECURITY,
    GuardFlag.LEGAL,
    GuardFlag.MONEY,
    GuardFlag.DATA_LOSS,
    GuardFlag.NEGATIVE_SENTIMENT,
}
TABLE = [json.loads(line) for line in (Path(__file__).parent / "data" / "situations_table.jsonl").open()]


def test_an_independent_table_in_six_languages():
    """220 messages written by another author as minimal pairs (same topic, one
    routine, one a report) in en, de, fr, es, it and pt."""
    missed = [
        r["text"] for r in TABLE if r["problem"] and not HUMAN & set(inspect_message("", r["text"]).flags)
    ]
    routine = [r for r in TABLE if not r["problem"]]
    raised = [
        r["text"]
        for r in routine
        if {GuardFlag.PROBLEM_REPORT, GuardFlag.PRIVACY} & set(inspect_message("", r["text"]).flags)
    ]
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
    "How do I add a teammate? Oh wait, I see the button now.",
    "Where are the API docs? Please ignore, just found them.",
    "Can I change the currency? Thanks anyway, our accountant already did it.",
    "Wie lade ich Kollegen ein? Hab es inzwischen gefunden, danke!",
    "¿Cómo descargo la factura? Ya la encontré, gracias igualmente.",
]
NOT_WITHDRAWALS = [
    "I found it confusing to reset my password. How do I do it?",
    "Can I turn off the reminder emails?",
    "How do I ignore notifications from one project?",
    "Where did you find the bug I reported?",
    "I found your article about webhooks helpful. How do I test one locally?",
]


@pytest.mark.parametrize("text", WITHDRAWALS)
def test_a_withdrawn_question_waits_for_a_human(text):
    """An answer to a question the customer already took back is a wrong reply."""
    findings = read_situation("", text)
    assert any(f.flag is GuardFlag.WITHDRAWN for f in findings), findings


@pytest.mark.parametrize("text", NOT_WITHDRAWALS)
def test_words_near_a_withdrawal_are_not_one(text):
    assert not any(f.flag is GuardFlag.WITHDRAWN for f in read_situation("", text))


# Good news after a fix reads as no report; the same words with the trouble still there do.
GOOD_NEWS = [
    "Got everything working after the upgrade, cheers.",
    "After the restart it works, thank you.",
    "The crash message is gone now, thanks.",
    "No more timeouts since the fix!",
    "It doesn't freeze anymore.",
    "Nach dem Neustart läuft jetzt alles wieder, danke.",
    "Danke, das Update hat den Fehler behoben.",
    "Die App friert nicht mehr ein.",
    "Merci, le souci est résolu.",
    "Ça remarche, merci !",
    "L'appli ne se ferme plus.",
    "Gracias, ya funciona de nuevo.",
    "Ya vuelve a funcionar.",
    "Ya no sale ningún error.",
    "Thanks again for the help!",
    "Nochmals vielen Dank!",
    "Encore merci pour tout.",
    "Gracias de nuevo.",
    "Thank you for resolving the billing error so quickly.",
    "Danke, dass ihr den Fehler so schnell behoben habt.",
    "Merci d'avoir corrigé le bug !",
    "Gracias por arreglar el error.",
    "Thanks, the problem was on my side.",
    # nothing more to ask, and back in after doing what was advised
    "Thanks, I don't have any other questions.",
    "Vielen Dank, keine weiteren Fragen mehr.",
    "Merci, nous n'avons plus d'autres questions.",
    "Gracias, no tenemos más dudas.",
    "We restarted the app as suggested and now it's working.",
    "I cleared the cookies, waited a minute and I'm back in.",
    "Nach dem Neustart bin ich endlich wieder eingeloggt.",
    "Am Abend konnte ich mich problemlos wieder anmelden.",
    "Ce soir j'ai enfin pu me connecter.",
    "Por la tarde ya pude iniciar sesión de nuevo.",
    "The calendar syncs again, thanks.",
    "Die Kontakte synchronisieren wieder.",
    "Le calendrier se synchronise à nouveau.",
    "El calendario sincroniza de nuevo.",
    "Waited a bit and I'm in again.",
    "Danke, wir brauchen sonst nichts mehr.",
    "Merci, je n'ai besoin de rien d'autre.",
    "Gracias, no necesito saber nada más.",
    "Lo volví a probar después de reiniciar y ahora funciona.",
]
STILL_TROUBLE = [
    "It stopped working after the upgrade.",
    "The crash message is gone but the export is empty.",
    "It doesn't load anymore.",
    "Läuft wieder nicht, danke.",
    "Das Problem ist nicht behoben.",
    "Le souci n'est pas résolu.",
    "L'appli ne charge plus.",
    "El problema no está resuelto.",
    "Ya no funciona.",
    "Thanks again, but it fails again.",
    "You have not resolved the billing error.",
    "Nobody fixed the billing error.",
    "Ihr habt den Fehler noch nicht behoben.",
    "Vous n'avez pas corrigé le bug.",
    "No han arreglado el error.",
    "No other questions, but the export still fails.",
    "Keine weiteren Fragen, aber die Seite lädt nicht.",
    "Pas d'autre question, mais le code n'arrive pas.",
    "I waited the hour and I'm still locked out.",
    "We restarted it as suggested but it's not working.",
    "Ich kann mich nicht wieder anmelden.",
    "Wir sind schon wieder ausgesperrt.",
    "Je n'ai pas pu me connecter.",
    "Todavía no pude entrar.",
    "The calendar crashes again.",
    "Le calendrier ne se synchronise pas à nouveau.",
    "Ça plante à nouveau.",
    "Die Kontakte synchronisieren wieder nicht.",
    "El calendario falla de nuevo.",
    "Es geht gar nichts mehr.",
    "Je n'ai rien reçu.",
    "No recibí nada más.",
    "Lo volví a intentar y no funciona.",
    "Lo volví a intentar, pero sigue sin entrar.",
]


@pytest.mark.parametrize("text", GOOD_NEWS)
def test_good_news_after_a_fix_is_no_report(text):
    assert not [f for f in read_situation("Re: your question", text) if f.flag is GuardFlag.PROBLEM_REPORT]


@pytest.mark.parametrize("text", STILL_TROUBLE)
def test_trouble_that_stays_is_still_a_report(text):
    assert [f for f in read_situation("Re: your question", text) if f.flag is GuardFlag.PROBLEM_REPORT]
