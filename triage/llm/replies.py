"""The fixed replies, per language: the template around a knowledge-base article,
and the holding reply that promises a person will answer.

Every one is signed with the brand from configuration (``TRIAGE_BRAND_NAME``).
They are written in Markdown without markup, so the source is also the plain
text: the offline drafts render it twice (``triage.render``); the fallback when
drafting fails uses it as is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from triage.models import DEFAULT_BRAND_NAME


@dataclass(frozen=True)
class ReplyText:
    """The fixed parts of a template reply, in one language."""

    greeting: str
    thanks: str
    more: str
    closing: str
    holding: str
    acknowledgement: str
    # In REPLY_TEXT a template: ``{brand}`` the brand as configured, ``{brand_joined}``
    # its words joined by hyphens, as German compounds a name with a noun
    # ("Acme-Help-Support"); ``reply_text`` fills it in.
    signature: str = "— {brand} support"
    # What a reply's subject names when the customer's mail had none: "Re: your message".
    no_subject: str = "your message"


REPLY_TEXT: dict[str, ReplyText] = {
    "en": ReplyText(
        greeting="Hello",
        thanks="Thanks for getting in touch.",
        more="More in our help centre:",
        closing="If that does not answer your question, just reply to this email.",
        holding="Thank you for your message. A member of our support team will look into it "
        "and get back to you personally.",
        acknowledgement="Thank you for letting us know, and sorry for the trouble. A member of our support "
        "team is looking into it and will reply to you personally.",
    ),
    "de": ReplyText(
        greeting="Hallo",
        thanks="Danke für Ihre Nachricht.",
        more="Mehr dazu in unserem Hilfe-Center:",
        closing="Falls das Ihre Frage nicht beantwortet, antworten Sie einfach auf diese E-Mail.",
        holding="Vielen Dank für Ihre Nachricht. Ein Mitglied unseres Support-Teams kümmert sich darum "
        "und meldet sich persönlich bei Ihnen.",
        acknowledgement="Danke, dass Sie uns Bescheid geben, und entschuldigen Sie die Unannehmlichkeiten. "
        "Ein Mitglied unseres Support-Teams sieht sich das an und antwortet Ihnen persönlich.",
        signature="— Ihr {brand_joined}-Support",
        no_subject="Ihre Nachricht",
    ),
    "fr": ReplyText(
        greeting="Bonjour",
        thanks="Merci de nous avoir écrit.",
        more="Pour en savoir plus, consultez notre centre d'aide :",
        closing="Si cela ne répond pas à votre question, répondez simplement à cet e-mail.",
        holding="Merci pour votre message. Un membre de notre équipe support va l'examiner "
        "et vous répondra personnellement.",
        acknowledgement="Merci de nous l'avoir signalé, et désolés pour la gêne occasionnée. Un membre de "
        "notre équipe support s'en occupe et vous répondra personnellement.",
        signature="— Le support {brand}",
        no_subject="votre message",
    ),
    "es": ReplyText(
        greeting="Hola",
        thanks="Gracias por escribirnos.",
        more="Más información en nuestro centro de ayuda:",
        closing="Si esto no responde a su pregunta, basta con responder a este correo.",
        holding="Gracias por su mensaje. Una persona de nuestro equipo de soporte lo revisará "
        "y le responderá personalmente.",
        acknowledgement="Gracias por avisarnos y disculpe las molestias. Una persona de nuestro equipo de "
        "soporte lo está revisando y le responderá personalmente.",
        signature="— El soporte de {brand}",
        no_subject="su mensaje",
    ),
}
ACKNOWLEDGEMENT = REPLY_TEXT["en"].acknowledgement
ACKNOWLEDGEMENTS = frozenset(text.acknowledgement for text in REPLY_TEXT.values())


def reply_text(language: str, brand: str = DEFAULT_BRAND_NAME) -> ReplyText:
    """The texts in ``language``, signed by ``brand``; English where there is none
    (such a reply waits for review)."""
    template = REPLY_TEXT.get(language, REPLY_TEXT["en"])
    return replace(template, signature=template.signature.format(brand=brand, brand_joined="-".join(brand.split())))


def holding_reply(brand: str = DEFAULT_BRAND_NAME, language: str = "en", *, acknowledge: bool = False) -> str:
    """The reply that answers nothing yet: a person will. To a customer reporting
    trouble (``acknowledge``), it says sorry for the trouble first."""
    text = reply_text(language, brand)
    message = text.acknowledgement if acknowledge else text.holding
    return f"{text.greeting},\n\n{message}\n\n{text.signature}"
