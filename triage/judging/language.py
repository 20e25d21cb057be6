"""Which language a message is written in: cheap, offline, good enough to route.

Common function words per language (the commonest words of a language are
the best evidence on short texts; each language pack lists its own), and the
writing system for scripts other than Latin. It decides one thing that matters:
whether the problem-report checks, which read the languages of the complete
language packs, can read the message; a message in any other language waits
for a human. A language identifier
library (py3langid) was measured: 50-75 MB of resident memory in every worker
for a decision this one makes as well on the languages that count.
"""

from __future__ import annotations

import re
import unicodedata

from triage.domain.languages import packs, shared

# Each language pack's detection words and letters (pack.toml), and those of the languages
# without a pack (triage/languages/detection.toml), in the detection order: a tie goes to
# the language listed first.
_DETECTION = shared("detection")
_WORDS: dict[str, str] = {**_DETECTION["words"], **{p.code: p.info.detection.words for p in packs()}}
_LETTERS: dict[str, str] = {**_DETECTION["letters"], **{p.code: p.info.detection.letters for p in packs()}}
_ORDER = [*_DETECTION["order"], *sorted(set(_WORDS) - set(_DETECTION["order"]))]
FUNCTION_WORDS: dict[str, frozenset[str]] = {
    code: frozenset(_WORDS[code].split()) for code in _ORDER if _WORDS.get(code, "").split()
}
# Letters and marks only one language of the list writes (short texts often have few
# function words, and a subject in English must not outvote a body in Spanish). Umlauts
# are German, and also Swedish and Turkish: they count for each, the function words decide.
DISTINCTIVE: dict[str, frozenset[str]] = {
    code: frozenset(letters) for code, letters in _LETTERS.items() if letters and code in FUNCTION_WORDS
}
# Letters of other writing systems, by the Unicode name's first word.
SCRIPTS: dict[str, str] = _DETECTION["scripts"]
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
