"""End to end through Temporal and the emulator with the shipped offline model:
German, French and Spanish routine questions go out in their language with an
HTML part; Italian waits ("no article in it"), and a reviewer's edit
regenerates the HTML part of the draft."""

from __future__ import annotations

from starter.api.views import draft_document
from starter.review import decide_current, get_state
from tests.conftest import running_worker, sent_mail
from tests.helpers import assert_clean, start_for, wait_for_status
from triage.domain.models import ReviewAction, TriageStatus
from triage.domain.render import text_to_html
from triage.mail.myagentmail.client import MailClient

QUESTIONS = {
    "de": (
        "Passwort vergessen",
        "Wie setze ich mein Passwort zurück?",
        "Hallo,",
        "Ihr Passwort zurücksetzen: ",
    ),
    "fr": ("Clé API", "Comment créer une clé API ?", "Bonjour,", "Créer et gérer des clés API: "),
    "es": ("Exportar", "¿Cómo exporto mis datos?", "Hola,", "Exportar sus datos: "),
}


async def test_replies_go_out_in_the_customers_language_with_an_html_part(
    dev_env, settings, control, offline
):
    async with running_worker(dev_env.client, settings, offline):
        handles = {
            lang: await start_for(dev_env.client, settings, control, subject=subj, plain_body=text)
            for lang, (subj, text, _, _) in QUESTIONS.items()
        }
        italian = await start_for(
            dev_env.client,
            settings,
            control,
            subject="Password",
            plain_body="Come posso reimpostare la mia password?",
        )
        results = {lang: await handle.result() for lang, handle in handles.items()}
        held = await wait_for_status(italian, TriageStatus.AWAITING_REVIEW)
        edited = "Ciao,\n\nper reimpostare la password scegli <Password dimenticata?> nella pagina di accesso.\n\n— Acme"
        _, outcome = await decide_current(dev_env.client, italian.id, ReviewAction.EDIT, "alice", body=edited)
        after_edit = await get_state(dev_env.client, italian.id)

    assert all(r.status is TriageStatus.AUTO_SENT for r in results.values()), results
    sent = {s["in_reply_to"]: s for s in await sent_mail(control)}
    async with MailClient(settings.mail_base_url, settings.mail_api_key.get_secret_value()) as mail:
        for lang, handle in handles.items():
            _, _, greeting, link = QUESTIONS[lang]
            reply = sent[handle.id.removeprefix("triage-")]
            message = await mail.get_message(settings.inbox_id, reply["message_id"])
            assert reply["plain_body"].startswith(greeting) and link in reply["plain_body"], reply[
                "plain_body"
            ]
            assert f"?lang={lang}" in reply["plain_body"]
            assert (
                message.html_body
                and "<strong>" in message.html_body
                and f'?lang={lang}"' in message.html_body
            )
            assert_clean(reply["plain_body"], message.html_body)
        # Italian: held, nothing sent; the edit's HTML part is the edited text, escaped.
        assert "no article in it" in held.policy_decision.reasons
        assert italian.id.removeprefix("triage-") not in sent
        assert outcome.status is TriageStatus.AWAITING_REVIEW and after_edit.draft_body == edited
        assert after_edit.draft_html is None
        draft = await mail.get_draft(settings.inbox_id, after_edit.draft_id)
        assert draft.plain_body == edited and draft.html_body == text_to_html(edited)
        assert "&lt;Password dimenticata?&gt;" in (draft_document(after_edit) or "")
