"""Which language a message is in: the problem-report checks and the articles depend on it."""

from __future__ import annotations

import pytest

from triage.judging.language import detect_language

CASES = [
    ("How do I reset my password?", "en"),
    ("Wie setze ich mein Passwort zurück?", "de"),
    ("Comment réinitialiser mon mot de passe ?", "fr"),
    ("¿Cómo restablezco mi contraseña?", "es"),
    # An English subject must not outvote a body in another language.
    ("Invite\n¿Cómo invito a compañeros? Envié tres invitaciones ayer y ninguna llegó.", "es"),
    ("Password\nOlá, como redefinir minha senha? Já tentei duas vezes e o link não funciona.", "pt"),
    ("Hej, hur återställer jag mitt lösenord?", "sv"),
    ("Jak mogę zresetować hasło?", "pl"),
    ("Merhaba, şifremi sıfırlamaya çalıştım ama e-posta hiç gelmedi.", "tr"),
    ("Здравствуйте, я не могу войти в аккаунт.", "ru"),
    ("パスワードをリセットできません。", "ja"),
    # Letters several languages write (è, ä, ö) are evidence for each of them, not for one.
    ("È possibile cambiare l'indirizzo? La pagina è vuota.", "it"),
    ("Onde vejo meus pedidos? A lista está vazia.", "pt"),
    ("Hej, hur ändrar jag mitt lösenord? Länken fungerar inte.", "sv"),
    ("Hej, hvordan ændrer jeg min adgangskode? Linket virker ikke.", "da"),
    ("Dobrý den, jak změním heslo? Odkaz nefunguje.", "cs"),
    # "at" in a stack trace is English, not Danish.
    ("TypeError: x is undefined\n  at render (app.js:10)\n  at update (app.js:22)\nHow do I fix this?", "en"),
    # A name written in another language does not make the message that language.
    ("Hi, my name is José Muñoz. How do I reset my password?", "en"),
    ("Müller GmbH: how do I download my invoice?", "en"),
]


@pytest.mark.parametrize(("text", "language"), CASES)
def test_the_language_of_the_customers_words(text, language):
    assert detect_language(text) == language
