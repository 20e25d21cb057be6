"""Text normalisation for untrusted email: HTML to text, quoted history and
signatures trimmed, invisible characters removed, size bounded."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

from triage.domain.signature import sentences_below_a_delimiter, speaks_to_an_assistant, split_signature

_ZERO_WIDTH = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")
_QUOTE_HEADER = re.compile(
    r"^\s*(On .{0,200} wrote:|Am .{0,200} schrieb .{0,200}:|Le .{0,200} a écrit ?:|El .{0,200} escribió:|"
    r"-{2,} ?Original Message ?-{2,}|-{2,} ?Ursprüngliche Nachricht ?-{2,}|From: .+)\s*$",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"^(-- ?|__+|Sent from my \w+.*|Von meinem .*gesendet)\s*$", re.IGNORECASE)
_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre"}
_SKIP_TAGS = {"script", "style", "head", "title", "noscript", "template"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and self._skipping:
            self._skipping -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:
        pass
    text = "".join(parser.parts)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def clean_invisible(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return _ZERO_WIDTH.sub("", text)


def normalize_body(text: str, limit: int | None = None) -> str:
    """The customer's own words: no quoted history, no signature (``triage.domain.signature``), bounded."""
    kept: list[str] = []
    below_delimiter: list[str] | None = None  # the lines after a "-- " line, until quoted history
    lines = clean_invisible(text or "").splitlines()
    for number, line in enumerate(lines):
        if line.lstrip().startswith(">") or _QUOTE_HEADER.match(line):
            if kept:
                break
            continue
        if below_delimiter is not None:
            below_delimiter.append(line)
        elif _SIGNATURE.match(line.strip()) and not speaks_to_an_assistant("\n".join(lines[number:])):
            below_delimiter = []  # (an instruction to the assistant below a "-- " line is read whole)
        else:
            kept.append(line.rstrip())
    if below_delimiter:
        kept.extend(sentences_below_a_delimiter(below_delimiter))
    result, _ = split_signature("\n".join(kept).strip())
    return result if limit is None else result[:limit]


def has_quoted_history(text: str) -> bool:
    """Does the message quote an earlier one ("> ...", "On ... wrote:")?"""
    return any(
        line.lstrip().startswith(">") or _QUOTE_HEADER.match(line) for line in (text or "").splitlines()
    )


MODEL_INPUT_CHARS = 4000


def model_input(subject: str, body: str) -> str:
    """What the classifiers and retrieval read: subject plus the customer's own words."""
    return f"{clean_invisible(subject or '')}\n{normalize_body(body, limit=MODEL_INPUT_CHARS)}".strip()


_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+|(?=[¿¡])")


def split_sentences(text: str) -> list[str]:
    """Sentences and lines, as written (the situation and answer checks read them one by one)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]
