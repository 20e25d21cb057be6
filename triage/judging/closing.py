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

from triage.domain.languages import Closing, alternatives, packs, shared
from triage.domain.text import normalize_body, split_sentences
from triage.judging.situation import plain, read_situation

# The words: each language pack's closing.toml, and those of languages without a pack
# (triage/languages/closing.toml). Every pattern below is anchored or only tested for a
# match, so the order of the alternatives changes nothing.
_WORDS = [Closing.model_validate(shared("closing")), *(found.closing for found in packs())]


def _any(name: str) -> str:
    return alternatives(_WORDS, name)


_THANKS = _any("thanks")
_DONE = _any("done")
_SIGNOFF = _any("signoff")
_FOR = rf"(?:{_any('determiners')})?(?:{_any('thanked_for')})"
_PART = re.compile(
    rf"^(?:{_THANKS}|{_DONE})(?: (?:{_THANKS}|{_DONE}))*(?: (?:{_any('thanks_for')}) {_FOR})?$"
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


_ASKS = re.compile(rf"\?|\b(?:{_any('asks')})\b")
_MAX_WORDS = 25  # a closing is short: a long message has something to say


def _clean(sentence: str) -> str:
    return " ".join(re.sub(r"[^\w\s'?]", " ", sentence).split())


_WAITS = re.compile(rf"\b(?:{_any('waits')})\b")


def awaits_reply(body: str) -> bool:
    """The customer says they wait for the answer: "Thanks, I'll wait for your reply", "j'attends"."""
    return bool(_WAITS.search(plain(normalize_body(body or ""))))


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
