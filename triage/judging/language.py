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
from collections import Counter
from functools import lru_cache

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
    # Each distinct character once, in the order of its first use (a tie goes to the script
    # seen first): a long email has thousands of characters and a few dozen distinct ones.
    for ch, times in Counter(text).items():
        if ch.isalpha():
            letters += times
            lang = _script_of(ch)
            if lang:
                counts[lang] = counts.get(lang, 0) + times
    if not counts or sum(counts.values()) * 3 < letters:
        return None
    if "ja" in counts:  # Japanese mixes kana with CJK ideographs
        return "ja"
    return max(counts, key=counts.__getitem__)


@lru_cache(maxsize=4096)
def _script_of(letter: str) -> str | None:
    return SCRIPTS.get(unicodedata.name(letter, "LATIN").split(" ", 1)[0])


def detect_language(text: str) -> str:
    """ISO 639-1 code of the language ``text`` is most likely written in ("en" if unsure)."""
    script = _script(text)
    if script:
        return script
    lowered = text.lower()
    words = Counter(_WORD.findall(lowered)).items()
    scores = {lang: sum(n for w, n in words if w in stop) for lang, stop in FUNCTION_WORDS.items()}
    characters = Counter(lowered).items()
    for lang, letters in DISTINCTIVE.items():
        scores[lang] += sum(n for ch, n in characters if ch in letters)
    best = max(scores, key=scores.__getitem__)
    return best if scores[best] > 0 else "en"
