"""Email HTML made inert for the reviewer's browser: an allowlist sanitiser.

Email is hostile input. What comes out has no script, no event handler, no
``javascript:`` (or other non-web) link, no style and nothing remote; the
dashboard still shows it only inside a sandboxed ``srcdoc`` iframe under a
strict Content-Security-Policy (defence in depth, not a reason to relax this).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

_ALLOWED_TAGS = frozenset(
    "a abbr address b bdi bdo big blockquote br caption center cite code col colgroup dd del "
    "dfn div dl dt em font h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s samp small "
    "span strike strong sub sup table tbody td tfoot th thead tr tt u ul var".split()
)
_VOID_TAGS = frozenset({"br", "col", "hr", "img", "wbr"})
# Elements whose whole content goes, not only their tags.
_DROP_WITH_CONTENT = frozenset(
    "script style template iframe frame frameset object embed applet noscript noembed noframes "
    "svg math title textarea select xmp plaintext".split()
)
_GLOBAL_ATTRS = frozenset({"title", "dir", "lang", "align", "valign", "width", "height"})
_TAG_ATTRS = {
    "a": frozenset({"href"}),
    "img": frozenset({"src", "alt"}),
    "table": frozenset({"border", "cellpadding", "cellspacing", "bgcolor"}),
    "td": frozenset({"colspan", "rowspan", "bgcolor", "nowrap"}),
    "th": frozenset({"colspan", "rowspan", "bgcolor", "nowrap", "scope"}),
    "tr": frozenset({"bgcolor"}),
    "font": frozenset({"color", "size", "face"}),
    "ol": frozenset({"start", "type", "reversed"}),
    "ul": frozenset({"type"}),
    "li": frozenset({"value"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
}
_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
# Browsers ignore ASCII whitespace and control characters inside a scheme ("java\tscript:").
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")
_DATA_IMAGE = re.compile(r"^data:image/(png|gif|jpeg|webp);base64,[a-z0-9+/=\s]+$", re.IGNORECASE)


def url_scheme(url: str) -> str:
    """The scheme a browser sees, lower-case ("" for a relative URL)."""
    return urlsplit(_URL_NOISE.sub("", url)).scheme.lower()


def _link_ok(url: str) -> bool:
    return url_scheme(url) in _LINK_SCHEMES


class _Sanitizer(HTMLParser):
    """An allowlist rewriter: known-inert tags and attributes pass, the rest goes.

    No ``style`` (attribute or element) and no remote images: the first can
    hide or fake content, the second tells the sender that someone read the
    mail (tracking pixels). Only inline ``data:`` raster images remain.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._open: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skipping or tag in _DROP_WITH_CONTENT:
            if tag in _DROP_WITH_CONTENT and tag not in _VOID_TAGS:
                self._skipping.append(tag)
            return
        if tag not in _ALLOWED_TAGS:
            return
        kept = "".join(
            f' {name}="{html.escape(value, quote=True)}"' for name, value in self._attrs(tag, attrs)
        )
        self.out.append(f"<{tag}{kept}>")
        if tag not in _VOID_TAGS:
            self._open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skipping or tag in _DROP_WITH_CONTENT:
            return  # <script/> and friends: nothing to skip past
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS and self._open and self._open[-1] == tag:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skipping:
            if tag == self._skipping[-1]:
                self._skipping.pop()
            return
        if tag in self._open:
            # Close what the author left open inside it, so nesting stays sound.
            while self._open:
                top = self._open.pop()
                self.out.append(f"</{top}>")
                if top == tag:
                    break

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.out.append(html.escape(data, quote=False))

    def _attrs(self, tag: str, attrs: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
        allowed = _GLOBAL_ATTRS | _TAG_ATTRS.get(tag, frozenset())
        kept: list[tuple[str, str]] = []
        for name, value in attrs:
            if name not in allowed or value is None:
                continue
            if name == "href" and not _link_ok(value):
                continue
            if name == "src" and not _DATA_IMAGE.match(value.strip()):
                continue
            kept.append((name, value))
        if tag == "a":
            kept.append(("rel", "noopener noreferrer nofollow"))
        return kept

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{tag}>" for tag in reversed(self._open))


def sanitize_email_html(source: str) -> str:
    """Inert HTML for the sandboxed iframe: no script, handlers, javascript: or remote loads."""
    parser = _Sanitizer()
    parser.feed(source)
    return parser.result()
