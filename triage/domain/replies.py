"""The fixed replies, per language: the template around a knowledge-base article,
and the holding reply that promises a person will answer.

Every one is signed with the brand from configuration (``TRIAGE_BRAND_NAME``).
They are written in Markdown without markup, so the source is also the plain
text: the offline drafts render it twice (``triage.domain.render``); the fallback when
drafting fails uses it as is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from triage.domain.models import DEFAULT_BRAND_NAME


@dataclass(frozen=True)
class ReplyText:
    """The fixed parts of a template reply, in one language."""

    greeting: str
    thanks: str
    more: str
    closing: str
    holding: str
    acknowledgement: str  # "sorry for the trouble": only to a customer reporting a problem
    update: str  # opens a reply to a changed request
    update_holding: str  # the same, when a person will answer it
    withdrawal: str  # to a customer who took the question back
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
        update="Thanks for letting us know about the change to your request.",
        update_holding="Thanks for letting us know about the change to your request. A member of our support "
        "team will take it into account and get back to you personally.",
        withdrawal="Thanks for letting us know, we are glad it is sorted. If there is anything else we can help "
        "with, just reply to this email.",
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
        update="Danke, dass Sie uns über die Änderung Ihrer Anfrage informieren.",
        update_holding="Danke, dass Sie uns über die Änderung Ihrer Anfrage informieren. Ein Mitglied unseres "
        "Support-Teams berücksichtigt sie und meldet sich persönlich bei Ihnen.",
        withdrawal="Danke für Ihre Rückmeldung, schön, dass es sich erledigt hat. Wenn wir sonst noch helfen "
        "können, antworten Sie einfach auf diese E-Mail.",
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
        update="Merci de nous avoir indiqué la modification de votre demande.",
        update_holding="Merci de nous avoir indiqué la modification de votre demande. Un membre de notre équipe "
        "support en tiendra compte et vous répondra personnellement.",
        withdrawal="Merci de nous avoir prévenus, ravis que ce soit réglé. Si nous pouvons vous aider pour autre "
        "chose, répondez simplement à cet e-mail.",
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
        update="Gracias por avisarnos del cambio en su solicitud.",
        update_holding="Gracias por avisarnos del cambio en su solicitud. Una persona de nuestro equipo de "
        "soporte lo tendrá en cuenta y le responderá personalmente.",
        withdrawal="Gracias por avisarnos, nos alegra que ya esté resuelto. Si podemos ayudarle en algo más, "
        "basta con responder a este correo.",
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
    return replace(
        template, signature=template.signature.format(brand=brand, brand_joined="-".join(brand.split()))
    )


class Holding(StrEnum):
    """Which reply a person will follow up: what the customer did decides its words."""

    QUESTION = "holding"  # a question or request: a person will answer
    PROBLEM = "acknowledgement"  # a problem report: sorry for the trouble, a person is on it
    CHANGE = "update_holding"  # a changed request: noted, a person will take it into account
    WITHDRAWAL = "withdrawal"  # the question was taken back: glad it is sorted


def holding_reply(
    brand: str = DEFAULT_BRAND_NAME,
    language: str = "en",
    *,
    acknowledge: bool = False,
    kind: Holding | None = None,
) -> str:
    """The reply that answers nothing yet: a person will. To a customer reporting
    trouble (``acknowledge``, or ``kind=Holding.PROBLEM``), it says sorry for the trouble first."""
    text = reply_text(language, brand)
    kind = kind or (Holding.PROBLEM if acknowledge else Holding.QUESTION)
    return f"{text.greeting},\n\n{getattr(text, kind.value)}\n\n{text.signature}"
