"""Replies customers can read: every shipped article in every language drafts a
clean plain part and a safe HTML part; the knowledge-base check and reload."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.cli_in_process import run_triage
from tests.helpers import assert_clean, unsafe
from triage.domain.models import Category, Classification, DraftRequest, InboundMessage
from triage.domain.render import markdown_to_html, markdown_to_text, sanitize_html, text_to_html
from triage.judging.kb import KnowledgeBase, LiveKnowledgeBase
from triage.judging.kb_check import check_folder
from triage.judging.kb_words import content_words
from triage.judging.offline import OfflineProvider

KB = KnowledgeBase.load()
SHIPPED = Path(__file__).resolve().parent.parent / "triage" / "kb"


@pytest.fixture(scope="module")
def provider() -> OfflineProvider:
    return OfflineProvider(KB)


@pytest.mark.parametrize("article", KB.versions(), ids=lambda a: f"{a.language}/{a.id}")
async def test_every_shipped_article_drafts_clean_plain_text_and_safe_html(provider, article):
    question = max(article.questions, key=lambda q: len(content_words(q).split()))
    request = DraftRequest(
        message=InboundMessage(
            message_id="m", inbox_id="i", from_address="a@example.org", plain_body=question
        ),
        classification=Classification(category=Category.FAQ, confidence=0.95, language=article.language),
    )
    reply = await provider.draft(request)
    assert [c.article_id for c in reply.citations] == [article.id]
    assert reply.article_language == article.language
    assert reply.html_body is not None
    assert_clean(reply.body, reply.html_body)
    if article.url:
        assert f"{article.title}: {article.url}" in reply.body  # links as "title: URL"


def test_lists_links_and_headings_become_text():
    source = "# Steps\n\n- open **Settings**\n- click __Save__\n\n1. one\n2. two\n\nSee [the guide](https://x.test/g)."
    plain = markdown_to_text(source)
    assert (
        plain
        == "Steps\n\n• open Settings\n• click Save\n\n1. one\n2. two\n\nSee the guide: https://x.test/g."
    )
    assert_clean(plain, markdown_to_html(source))


def test_the_sanitiser_keeps_no_script_style_or_event_attribute():
    hostile = (
        '<p onclick="steal()" style="color:red">hi</p><script>alert(1)</script><style>p{}</style>'
        '<a href="javascript:alert(1)" onmouseover="x()">l</a><img src=x onerror=alert(1)><iframe src="//e"></iframe>'
    )
    cleaned = sanitize_html(hostile)
    assert unsafe(cleaned) == [] and "hi" in cleaned
    assert unsafe(hostile)  # the checker does see them


async def test_hostile_article_text_is_escaped_in_the_html(tmp_path):
    (tmp_path / "evil.md").write_text(
        "---\nid: evil\ntitle: Reset <script>alert(1)</script> [x](javascript:alert(2))\nurl: javascript:alert(3)\n"
        "language: en\nquestions:\n  - How do I reset my password?\n---\n"
        'Click <a href="javascript:alert(4)" onclick="x()">here</a> <img src=x onerror=alert(5)> '
        "[me](javascript:alert(6)) <style>body{}</style> **bold**\n",
        encoding="utf-8",
    )
    reply = await OfflineProvider(KnowledgeBase.load(tmp_path)).draft(
        DraftRequest(
            message=InboundMessage(
                message_id="m",
                inbox_id="i",
                from_address="a@example.org",
                plain_body="How do I reset my password?",
            ),
            classification=Classification(category=Category.FAQ, confidence=0.95),
        )
    )
    assert reply.html_body is not None and "<strong>bold</strong>" in reply.html_body
    assert unsafe(reply.html_body) == [], reply.html_body
    assert "**" not in reply.body


def test_an_edited_text_is_its_own_html():
    html = text_to_html("Hello <b>Ann</b>,\n\nline one\nline two\n\n\n— us")
    assert html == "<p>Hello &lt;b&gt;Ann&lt;/b&gt;,</p>\n<p>line one<br>\nline two</p>\n<p>— us</p>"


def test_the_shipped_knowledge_base_is_clean():
    assert check_folder(SHIPPED) == []
    assert {a.language for a in KB.versions()} == {"en", "de", "fr", "es"}
    assert all(len(KB.languages(a.id)) == 4 for a in KB.articles)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def broken_folder(root: Path) -> Path:
    write(
        root / "reset.md",
        "---\nid: reset\ntitle: Reset\nurl: https://x.test/reset\nlanguage: en\n"
        "questions:\n  - How do I reset my password?\n  - How can I change my password?\n---\nText.\n",
    )
    write(
        root / "de" / "reset.md",
        "---\nid: reset\ntitle: Zurücksetzen\nurl: https://x.test/reset?lang=de\n"
        "language: de\nquestions:\n  - Wie setze ich mein Passwort zurück?\n---\nText.\n",
    )
    write(
        root / "no-url.md",
        "---\nid: no-url\ntitle: No url\nlanguage: en\nquestions:\n"
        "  - How do I export my invoices?\n---\nText.\n",
    )
    write(
        root / "twin.md",
        "---\nid: reset\ntitle: Twin\nurl: https://x.test/t\nlanguage: en\n"
        "questions:\n  - How do I delete my workspace?\n---\nText.\n",
    )
    write(root / "bad.md", "---\nid: bad\ntitle: [unclosed\n---\nText.\n")
    write(
        root / "copy.md",
        "---\nid: copy\ntitle: Copy\nurl: https://x.test/c\nlanguage: en\n"
        "questions:\n  - How do I reset my password?\n---\nText.\n",
    )
    return root


def test_a_broken_folder_names_every_problem_with_file_and_line(tmp_path):
    root = broken_folder(tmp_path)
    problems = [str(p) for p in check_folder(root)]
    expected = [
        f"{root / 'bad.md'}:3: front matter is not valid YAML",
        f"{root / 'copy.md'}:2: 'copy' has no translation in 'de'",
        # The same question in two articles: one of them can never be reached by it.
        f'{root / "copy.md"}:7: question "How do I reset my password?" is unreachable: its best match is '
        "\"How do I reset my password?\" of article 'reset'",
        f"{root / 'no-url.md'}:1: missing field 'url'",
        f"{root / 'no-url.md'}:2: 'no-url' has no translation in 'de'",
        f"{root / 'twin.md'}:2: duplicate id 'reset' in language 'en' (also in {root / 'reset.md'})",
    ]
    assert len(problems) == len(expected), "\n".join(problems)
    for line, start in zip(problems, expected, strict=True):
        assert line.startswith(start), (line, start)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``triage ARGS`` in this process (``tests/cli_in_process.py``): a process of its own cost 2 s of CPU."""
    return run_triage(args, os.environ, Path.cwd())


def test_triage_kb_check_exit_codes(tmp_path):
    broken = run_cli("kb", "check", str(broken_folder(tmp_path)))
    assert broken.returncode == 1
    assert len(broken.stdout.splitlines()) == 6 and all(".md:" in line for line in broken.stdout.splitlines())
    assert broken.stderr.strip() == f"triage: 6 problem(s) in {tmp_path}"
    shipped = run_cli("kb", "check", str(SHIPPED))
    assert shipped.returncode == 0, shipped.stderr
    assert "35 articles in de, en, es, fr" in shipped.stdout and "no problems" in shipped.stdout
    assert run_cli("kb", "check", str(tmp_path / "missing")).returncode == 2
    search = run_cli("kb", "search", "¿Cómo restablezco mi contraseña?", "--dir", str(SHIPPED))
    assert (
        search.returncode == 0
        and "password-reset" in search.stdout
        and "Restablecer su contraseña [es]" in search.stdout
    )


def test_a_knowledge_base_folder_reloads_when_it_changes(tmp_path):
    write(
        tmp_path / "a.md",
        "---\nid: a\ntitle: A\nurl: https://x.test/a\nquestions:\n  - How do I frobnicate widgets?\n---\nOld.\n",
    )
    live = LiveKnowledgeBase(tmp_path, interval=0.0)
    assert live.article("a").body == "Old."
    time.sleep(0.01)
    write(
        tmp_path / "a.md",
        "---\nid: a\ntitle: A\nurl: https://x.test/a\nquestions:\n  - How do I frobnicate widgets?\n---\nNew text.\n",
    )
    write(
        tmp_path / "de" / "a.md",
        "---\nid: a\nlanguage: de\ntitle: A\nurl: https://x.test/a?lang=de\n"
        "questions:\n  - Wie frobniziere ich Widgets?\n---\nNeu.\n",
    )
    assert live.article("a").body == "New text."
    assert live.version("a", "de") is not None
    write(tmp_path / "a.md", "---\nid: [broken\n---\n")  # half-saved: the last good one stays
    assert live.article("a").body == "New text."


def test_the_dashboard_previews_the_draft_html_sandboxed_and_sanitised():
    from datetime import UTC, datetime

    from starter.api.views import draft_document
    from triage.domain.models import TriageState, TriageStatus

    state = TriageState(
        workflow_id="triage-m",
        status=TriageStatus.AWAITING_REVIEW,
        started_at=datetime.now(UTC),
        message=InboundMessage(message_id="m", inbox_id="i", from_address="a@example.org"),
        draft_body="Hello",
        draft_html='<p onclick="x()">Hello <strong>you</strong></p><script>alert(1)</script>',
    )
    document = draft_document(state)
    assert document is not None and "<strong>you</strong>" in document
    assert unsafe(document.split("<body>", 1)[1]) == []  # the frame itself only links our stylesheet
    edited = state.model_copy(update={"draft_html": None, "draft_body": "Hi <b>\n\nbye"})
    assert "<p>Hi &lt;b&gt;</p>" in (draft_document(edited) or "")


def test_front_matter_reads_the_same_with_libyaml_and_pure_python():
    # The knowledge base parses front matter with libyaml's safe loader where PyYAML has it:
    # every shipped article (and the packs' translations) must read exactly as safe_load reads it.
    from importlib import resources

    import yaml

    from triage.judging.kb_articles import FRONT_MATTER, all_article_files, load_yaml

    root = resources.files("triage").joinpath("kb")
    fronts = [FRONT_MATTER.match(entry.read_text(encoding="utf-8")) for entry, _ in all_article_files(root)]
    assert len(fronts) > 20 and all(fronts)
    assert [load_yaml(f.group(1)) for f in fronts if f] == [yaml.safe_load(f.group(1)) for f in fronts if f]
