"""One reply, two parts: clean plain text and sanitised HTML from the same source.

Drafts are written in Markdown (knowledge-base articles use ``**Settings →
…**``, links, lists). Mail clients show Markdown syntax in a ``plainBody`` as
asterisks, so the plain part is rendered from the parsed document (links as
"title: URL", lists as text), and the HTML part is rendered by markdown-it-py
(raw HTML in the source is escaped, never passed through) and then cleaned by
nh3 (an allow-list: no script, style, event attribute or dangerous URL
scheme). A reviewer's edited text is plain text: its HTML part is that text,
escaped, in paragraphs.
"""

from __future__ import annotations

from html import escape

import nh3
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "em",
        "b",
        "i",
        "code",
        "pre",
        "ul",
        "ol",
        "li",
        "a",
        "blockquote",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "s",
        "del",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

# html=False: "<script>" in an article is text, shown escaped; links go through
# markdown-it's validateLink (no javascript:, vbscript:, file:, data:).
_MD = MarkdownIt("commonmark", {"html": False, "breaks": True})
BULLET = "•"


def sanitize_html(html: str) -> str:
    """Keep only harmless markup: the allow-list above, http(s)/mailto links."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
    )


def markdown_to_html(source: str) -> str:
    return sanitize_html(_MD.render(source))


def text_to_html(text: str) -> str:
    """The HTML part of a plain-text body (a reviewer's edit): escaped, in paragraphs."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            paragraphs[-1].append(escape(line, quote=False))
        elif paragraphs[-1]:
            paragraphs.append([])
    html = "\n".join("<p>" + "<br>\n".join(p) + "</p>" for p in paragraphs if p)
    return sanitize_html(html)


def markdown_to_text(source: str) -> str:
    """Plain text with no Markdown syntax: emphasis dropped, links as "title: URL"."""
    root = SyntaxTreeNode(_MD.parse(source))
    return "\n\n".join(b for b in _blocks(root) if b.strip()).strip()


def _blocks(node: SyntaxTreeNode) -> list[str]:
    kind = node.type
    if kind in ("paragraph", "heading"):
        return [_inline(node)]
    if kind in ("fence", "code_block", "html_block"):
        return [node.content.rstrip("\n")]
    if kind == "hr":
        return []
    if kind in ("bullet_list", "ordered_list"):
        return [_list(node)]
    if kind == "blockquote":
        inner = "\n\n".join(b for child in node.children for b in _blocks(child))
        return ["\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))]
    return [b for child in node.children for b in _blocks(child)]


def _list(node: SyntaxTreeNode) -> str:
    ordered = node.type == "ordered_list"
    start = int(str(node.attrs.get("start", 1))) if ordered else 1
    items = []
    for number, item in enumerate(node.children, start):
        marker = f"{number}." if ordered else BULLET
        text = "\n".join(b for child in item.children for b in _blocks(child))
        indent = " " * (len(marker) + 1)
        items.append(f"{marker} " + text.replace("\n", "\n" + indent))
    return "\n".join(items)


def _inline(node: SyntaxTreeNode) -> str:
    parts: list[str] = []
    for child in node.children:
        kind = child.type
        if kind in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind == "link":
            label = _inline(child).strip()
            href = str(child.attrs.get("href", ""))
            shown = href.removeprefix("mailto:")
            parts.append(shown if not label or label in (href, shown) else f"{label}: {shown}")
        elif kind == "image":
            alt = _inline(child).strip()
            src = str(child.attrs.get("src", ""))
            parts.append(f"{alt}: {src}" if alt else src)
        else:  # inline, strong, em, s: their text
            parts.append(_inline(child))
    return "".join(parts)


def rendered(source: str) -> tuple[str, str]:
    """(plainBody, htmlBody) of a Markdown source."""
    return markdown_to_text(source), markdown_to_html(source)
