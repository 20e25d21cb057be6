"""Does the message need a reply at all?

"Thanks, that worked!", "danke!", "ok, got it", a thumbs-up: a closing needs
no answer, and answering it is how two auto-responders start trading mail.
Precision matters more than recall: a message is a closing only when every
one of its sentences is a thanks, an acknowledgement, a sign-off or an emoji,
and none asks or reports anything. "Thanks! One more question: ..." is not.
"""

from __future__ import annotations

import re
import unicodedata

from triage.domain.text import normalize_body, split_sentences
from triage.judging.situation import plain, read_situation

_THANKS = (
    r"(?:many |a lot of |big )?thanks?(?: you)?(?: (?:so|very) much| a lot| again| a million| heaps| kindly)?"
    r"|thx|ty|cheers|much appreciated|appreciate it|(?:vielen |herzlichen )?dank(?:e)?(?: schon| sehr| dir| ihnen)?"
    r"|merci(?: beaucoup| bien)?|(?:muchas )?gracias|grazie(?: mille)?|obrigad[oa]|bedankt|dankjewel"
)
_DONE = (
    r"(?:that |it |this |everything )?(?:worked|works(?: now)?|did the trick|solved it|fixed it|helped|is working(?: again| now)?)"
    r"|(?:all )?(?:sorted|solved|fixed|resolved|good|set|clear)(?: now)?|problem solved|perfect|great|awesome|excellent|brilliant"
    r"|ok(?:ay)?|k|got it|understood|noted|will do|sounds good|(?:all )?good now|no worries|no problem"
    r"|hat (?:geklappt|funktioniert)|funktioniert(?: jetzt| wieder)?|passt|alles klar|super|perfekt|verstanden"
    r"|ca marche|ca fonctionne|c'est bon|parfait|compris|d'accord|entendu|genial"
    r"|funciona(?: ya)?|ya funciona|listo|perfecto|entendido|de acuerdo|vale|genial|resuelto"
    # Nothing more to ask: "no further questions", "keine weiteren Fragen", "pas d'autre question".
    r"|(?:i have |we have )?no (?:further|other|more) questions?(?: for now)?|(?:i |we )?(?:don't|do not) have any (?:other|more|further) questions?"
    r"|that'?s all|nothing else|keine (?:weiteren |anderen )?fragen(?: mehr)?|(?:ich habe |wir haben )?sonst keine fragen"
    r"|(?:je |nous )?n'(?:ai|avons) (?:pas|plus) d'autres? questions?|pas d'autres? questions?|plus de questions?"
    r"|no (?:tengo|tenemos) (?:mas|otras) (?:preguntas|dudas)|sin mas (?:preguntas|dudas)|ninguna (?:pregunta|duda) mas"
)
_SIGNOFF = (
    r"(?:best|kind|warm)?(?: regards| wishes)?|regards|best|cheers|have a (?:nice|good|great) (?:day|weekend)"
    r"|viele grusse|gruss|lg|mfg|bonne journee|cordialement|bises|saludos|un saludo|buen dia"
    r"|hi|hello|hey|hallo|bonjour|hola|dear \w+"
)
_FOR = r"(?:your |the |all (?:the |your )?|this |that )?(?:help|reply|answer|quick (?:reply|answer|response)|response|support|fix|assistance|info|information|everything|getting back(?: to me)?|explanation|hilfe|antwort|aide|reponse|ayuda|respuesta)"
_PART = re.compile(
    rf"^(?:{_THANKS}|{_DONE})(?: (?:{_THANKS}|{_DONE}))*(?: (?:for|fur|pour|por|per) {_FOR})?$"
)
_NAME = re.compile(r"^[a-z][a-z'-]{1,20}$")  # a first name alone, as the last line
_SIGNOFF_LINE = re.compile(rf"^(?:{_SIGNOFF})$")
_EMOJI_ONLY = re.compile(r"^[\W_]*$")
# Emoji that thank or approve; any other ("😡", "👎", "🤔") is not a closing.
_ACK_EMOJI = frozenset("👍👌🙏✅✔☑🙂😊☺😀😃😄😁😉🙌👏🎉🥳❤♥💙💚💜🧡💛💯🤝💪😍🥰🤗✨🆗👋🫶⭐🌟")
_EMOJI_PARTS = frozenset("\ufe0f\u200d\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")


def _emoji(sentence: str) -> list[str]:
    return [ch for ch in sentence if unicodedata.category(ch) == "So" and ch not in _EMOJI_PARTS]


def acknowledging_emoji(sentence: str) -> bool:
    """Only emoji that thank or approve (and punctuation): "👍", "🙏🙏", "✅!"."""
    marks = _emoji(sentence)
    return bool(marks) and all(ch in _ACK_EMOJI for ch in marks)


_ASKS = re.compile(
    r"\?|\b(?:but|however|aber|mais|pero|still|again|can you|could you|please|bitte|s'il vous plait|por favor)\b"
)
_MAX_WORDS = 25  # a closing is short: a long message has something to say


def _clean(sentence: str) -> str:
    return " ".join(re.sub(r"[^\w\s'?]", " ", sentence).split())


def is_closing(subject: str, body: str) -> bool:
    """True when the customer's own words only thank, acknowledge or sign off."""
    written = normalize_body(body or "")
    own = plain(written)
    lines = [line.strip() for line in written.splitlines() if line.strip()]
    # A first name alone on the last line, as written ("Anna"), signs the message.
    signed = bool(lines) and re.fullmatch(r"[A-ZÀ-Ý][a-zà-ÿ'-]{1,20}", lines[-1]) is not None
    if not own.strip():
        return False  # an empty message is not a thank-you: it goes to a human
    if len(own.split()) > _MAX_WORDS or _ASKS.search(own):
        return False
    if read_situation("", written):
        return False  # "thanks, but it is still broken" (a reply's "Re:" and quotes are no report here)
    saw_closing = False
    parts: list[str] = []
    for sentence in split_sentences(own):
        if any(ch not in _ACK_EMOJI for ch in _emoji(sentence)):
            return False  # "thanks 😡"
        if _EMOJI_ONLY.match(sentence):
            if not acknowledging_emoji(sentence):
                return False
            saw_closing = True
            continue
        parts += [t for t in (_clean(p) for p in re.split(r"[,;!.]", sentence)) if t]
    for number, text in enumerate(parts, 1):
        if _PART.match(text):
            saw_closing = True
        elif not (_SIGNOFF_LINE.match(text) or (number == len(parts) and signed and _NAME.match(text))):
            return False
    return saw_closing
