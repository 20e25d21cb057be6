"""Which language a message is written in: cheap, offline, good enough to route.

Common function words per language (the commonest words of a language are
the best evidence on short texts), and the writing system for scripts other
than Latin. It decides one thing that matters: whether the problem-report
checks, which read English, German, French and Spanish, can read the message;
a message in any other language waits for a human. A language identifier
library (py3langid) was measured: 50-75 MB of resident memory in every worker
for a decision this one makes as well on the languages that count.
"""

from __future__ import annotations

import re
import unicodedata

FUNCTION_WORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "i my the and is please how to a with for hello thanks you can do what where it of in on",
        "de": "ich und nicht ist mein meine bitte wie das der die mit hallo für kann ein eine es wir sie zu",
        "fr": "je et est mon ma pas bonjour pour avec une les des merci comment le la vous nous puis mes",
        "es": "yo mi es por favor hola para con una los las cómo gracias el mis qué puedo tengo no y del pero muy también ya",
        "it": "il di che non sono mio mia miei mie dove ciao grazie buongiorno come posso ho gli della per è una",
        "pt": "eu minha meu minhas meus onde não olá obrigado obrigada com uma os como fui ao você tenho não é",
        "nl": "ik en het een niet mijn hoe kan je wij bedankt hallo voor met is dat van",
        "pl": "jest nie się mój moja jak dzień dobry dziękuję proszę czy mam i w na",
        "sv": "jag och inte är min mitt mig hur kan hej tack för med det att en",
        "da": "jeg og ikke mit hvordan hej tak med det virker",
        "cs": "je se na mám můj moje jak nefunguje prosím děkuji dobrý den a v",
        "tr": "ve bir bu için nasıl merhaba teşekkürler benim değil mi",
    }.items()
}
# Letters and marks only one language of the list writes (short texts often have few
# function words, and a subject in English must not outvote a body in Spanish).
DISTINCTIVE: dict[str, frozenset[str]] = {
    "es": frozenset("ñ¿¡"),
    "pt": frozenset("ãõ"),
    "fr": frozenset("êâîôûœ"),
    "it": frozenset("ìò"),
    "pl": frozenset("ąćęłńśźż"),
    "cs": frozenset("ěčřů"),
    "da": frozenset("æø"),
    # Umlauts are German, and also Swedish and Turkish: they count for each, the
    # function words decide between them.
    "de": frozenset("äöüß"),
    "sv": frozenset("åäö"),
    "tr": frozenset("ğışöü"),
}
# Letters of other writing systems, by the Unicode name's first word.
SCRIPTS = {
    "CYRILLIC": "ru",
    "GREEK": "el",
    "ARABIC": "ar",
    "HEBREW": "he",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "HANGUL": "ko",
    "CJK": "zh",
    "THAI": "th",
    "DEVANAGARI": "hi",
}
_WORD = re.compile(r"\w+")


def _script(text: str) -> str | None:
    counts: dict[str, int] = {}
    letters = 0
    for ch in text:
        if ch.isalpha():
            letters += 1
            lang = SCRIPTS.get(unicodedata.name(ch, "LATIN").split(" ", 1)[0])
            if lang:
                counts[lang] = counts.get(lang, 0) + 1
    if not counts or sum(counts.values()) * 3 < letters:
        return None
    if "ja" in counts:  # Japanese mixes kana with CJK ideographs
        return "ja"
    return max(counts, key=counts.__getitem__)


def detect_language(text: str) -> str:
    """ISO 639-1 code of the language ``text`` is most likely written in ("en" if unsure)."""
    script = _script(text)
    if script:
        return script
    lowered = text.lower()
    words = _WORD.findall(lowered)
    scores = {lang: sum(w in stop for w in words) for lang, stop in FUNCTION_WORDS.items()}
    for lang, letters in DISTINCTIVE.items():
        scores[lang] += sum(ch in letters for ch in lowered)
    best = max(scores, key=scores.__getitem__)
    return best if scores[best] > 0 else "en"
