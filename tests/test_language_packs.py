"""Language packs: a language is one folder of data (triage/languages/<code>/).

A toy Italian pack, written into a folder of its own and named by
TRIAGE_LANGUAGE_DIRS (what a user who installed the package does), with no edit
anywhere else: `triage lang check it` passes, detection finds Italian, a routine
question is answered from the pack's article in Italian, a problem report waits
for review. The same question without the pack waits for a human. The phrase
tables compile when their modules load, so each run is a fresh process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from triage.domain import languages
from triage.domain.models import PolicySettings
from triage.domain.replies import REPLY_TEXT, ReplyText
from triage.judging.offline import OfflineProvider
from triage.judging.training.evaluation import EvalRow, judge
from triage.runtime.config import Settings

TRIAGE = Path(sys.executable).parent / "triage"
ROUTINE = "Come posso reimpostare la mia password?"
PROBLEM = "Ho reimpostato la password due volte ma l'email non arriva mai."

TOY_PACK = {
    "pack.toml": """\
name = "Italiano (toy)"

[detection]
words = "il di che non sono mio mia la ma mai dove ciao grazie buongiorno come posso ho gli della per una"
letters = "ìò"
""",
    "replies.toml": """\
greeting = "Ciao"
thanks = "Grazie per averci scritto."
more = "Maggiori informazioni nel nostro centro assistenza:"
closing = "Se questo non risponde alla sua domanda, risponda semplicemente a questa e-mail."
holding = "Grazie per il suo messaggio. Una persona del nostro team le risponderà personalmente."
acknowledgement = "Grazie per la segnalazione, e ci scusi per il disagio. Una persona del nostro team se ne occupa."
update = "Grazie per averci comunicato la modifica alla sua richiesta."
update_holding = "Grazie per averci comunicato la modifica. Una persona del nostro team ne terrà conto."
withdrawal = "Grazie per averci avvisato, siamo contenti che sia risolto."
signature = "— Il supporto {brand}"
no_subject = "il suo messaggio"
""",
    "situation.toml": """\
failure = ['\\bnon (?:\\w+ )?(?:funziona|arriva|arrivata|ricevuto|riesco)\\b', '\\b(?:errore|bloccat[oa])\\b']
repeat = ['\\b(?:due|tre) volte\\b|\\bancora\\b']
dispute = ['\\baddebitat[oa] (?:due volte|di nuovo)\\b']
hypothetical = '\\b(?:se|cosa succede se)\\b'
""",
    "closing.toml": "thanks = ['grazie(?: mille)?']\ndone = ['funziona', 'perfetto', 'risolto']\n",
    "kb/password-reset.md": f"""\
---
id: password-reset
title: Reimpostare la password
url: https://help.acme-help.test/articles/password-reset?lang=it
questions:
  - {ROUTINE}
  - Ho dimenticato la password
---
Se ha dimenticato la password, apra la pagina di accesso e scelga **Password dimenticata?**. Le
invieremo un link per reimpostarla, valido 60 minuti.
""",
}

# What `triage eval` runs on each labelled row (triage.judging.training.evaluation.judge):
# classification with every check, the draft, the send decision.
JUDGE = """\
import asyncio, json, sys
from triage.judging.offline import OfflineProvider
from triage.judging.training.evaluation import EvalRow, judge
from triage.runtime.config import get_settings

async def main():
    policy, provider = get_settings().policy_settings(), OfflineProvider()
    for body in sys.argv[1:]:
        v = await judge(EvalRow(id="row", body=body, label="general"), provider, policy)
        print(json.dumps({"language": v.classification.language, "auto_send": v.decision.auto_send,
                          "reasons": v.decision.reasons, "article_language": v.reply.article_language,
                          "reply": v.reply.body}, ensure_ascii=False))

asyncio.run(main())
"""


def write_pack(root: Path, files: dict[str, str]) -> Path:
    folder = root / "it"
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return root


def run(args: list[str], language_dirs: Path | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != languages.LANGUAGE_DIRS_VAR}
    if language_dirs is not None:
        env[languages.LANGUAGE_DIRS_VAR] = str(language_dirs)
    return subprocess.run(args, capture_output=True, text=True, timeout=300, env=env)


def judged(language_dirs: Path) -> list[dict]:
    done = run([sys.executable, "-c", JUDGE, ROUTINE, PROBLEM], language_dirs)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


async def test_a_toy_language_is_one_folder_end_to_end(tmp_path):
    packs = write_pack(tmp_path / "packs", TOY_PACK)

    check = run([str(TRIAGE), "lang", "check", "it"], packs)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.startswith("it (Italiano (toy), ") and "1 article, complete" in check.stdout
    assert check.stdout.rstrip().endswith("complete; checked")

    routine, problem = judged(packs)
    assert routine["language"] == "it" and routine["auto_send"], routine
    assert routine["article_language"] == "it" and routine["reply"].startswith(
        "Ciao,\n\nGrazie per averci scritto."
    )
    assert "Password dimenticata?" in routine["reply"] and routine["reply"].endswith(
        "— Il supporto Acme Help"
    )
    assert problem["language"] == "it" and not problem["auto_send"], problem
    assert any('failure: "non arriva"' in reason for reason in problem["reasons"]), problem["reasons"]
    assert "ci scusi per il disagio" in problem["reply"]

    # Without the folder (this process), the same question is in a language nobody checks: a human answers it.
    row = EvalRow(id="row", body=ROUTINE, label="general")
    unchecked = await judge(row, OfflineProvider(), Settings().policy_settings())
    assert unchecked.classification.language == "it" and not unchecked.decision.auto_send
    assert "no problem-report checks for language 'it'" in unchecked.decision.reasons


def test_lang_check_says_what_a_pack_lacks(tmp_path):
    half = {
        "pack.toml": 'name = "Italiano"\n[detection]\nwords = "il di che"\n',
        "situation.toml": "failure = ['\\\\bnon funziona\\\\b']\n",
        "replies.toml": 'greeting = "Ciao"\n',
    }
    done = run([str(TRIAGE), "lang", "check", "it"], write_pack(tmp_path, half))
    lines = done.stdout.splitlines()
    assert (
        done.returncode == 1 and done.stderr.strip() == "triage: 1 language pack(s) incomplete or unreadable"
    )
    assert lines[0].startswith("it (Italiano, ") and "0 articles" in lines[0]
    assert lines[0].endswith("lacks 15; not checked, its mail waits for a human")
    for lack in (
        "no repeat phrases (situation.toml repeat)",
        "no hypothetical phrases (situation.toml hypothetical)",
        "no thank-you words (closing.toml thanks)",
        "no reply text holding (replies.toml)",
        "no knowledge-base articles in it",
    ):
        assert any(line.startswith(f"it: {lack}") for line in lines), (lack, lines)
    assert not any("greeting" in line or "failure phrases" in line for line in lines)


def test_lang_check_passes_the_shipped_packs_and_refuses_an_unknown_one():
    shipped = run([str(TRIAGE), "lang", "check"], None)
    assert shipped.returncode == 0, shipped.stderr
    assert [line.split(" ", 1)[0] for line in shipped.stdout.splitlines()] == ["en", "de", "fr", "es"]
    unknown = run([str(TRIAGE), "lang", "check", "xx"], None)
    assert (
        unknown.returncode == 1
        and unknown.stderr.strip() == "triage: no language pack xx (packs: en, de, fr, es)"
    )


def test_the_checked_languages_are_the_complete_packs_and_the_setting_narrows_them(monkeypatch):
    assert languages.checked_languages() == ("en", "de", "fr", "es")
    assert PolicySettings().checked_languages == ["en", "de", "fr", "es"]
    assert Settings().policy_settings().checked_languages == ["en", "de", "fr", "es"]
    monkeypatch.setenv("TRIAGE_CHECKED_LANGUAGES", '["de"]')
    assert Settings().policy_settings().checked_languages == ["de"]
    monkeypatch.setenv("TRIAGE_CHECKED_LANGUAGES", '["de", "it"]')
    with pytest.raises(ValueError, match="no complete language pack for it"):
        Settings()


def test_a_pack_names_every_reply_and_every_pack_has_them():
    assert tuple(f.name for f in fields(ReplyText)) == languages.REPLY_FIELDS
    assert set(REPLY_TEXT) == {"en", "de", "fr", "es"}


def test_a_pack_outside_the_detection_order_comes_after_it_and_a_later_folder_wins(tmp_path, monkeypatch):
    first = write_pack(tmp_path / "one", {"pack.toml": 'name = "first"\n'})
    second = write_pack(tmp_path / "two", {"pack.toml": 'name = "second"\n'})
    toy = tmp_path / "one" / "tlh"
    toy.mkdir()
    (toy / "pack.toml").write_text('name = "tlhIngan Hol"\n', encoding="utf-8")
    monkeypatch.setenv(languages.LANGUAGE_DIRS_VAR, os.pathsep.join([str(first), str(second)]))
    languages.rescan()
    try:
        found = {p.code: p.info.name for p in languages.packs()}
        assert list(found) == ["en", "de", "fr", "es", "it", "tlh"] and found["it"] == "second"
    finally:
        monkeypatch.delenv(languages.LANGUAGE_DIRS_VAR)
        languages.rescan()


def test_a_broken_pack_is_left_out_and_named_with_its_file(tmp_path, monkeypatch):
    """A pack that does not read, or whose phrase is no regular expression, is left out (its
    mail waits for a human); every other language works on, and lang check says what is wrong."""
    folder = write_pack(tmp_path / "a", {"pack.toml": 'name = "Italiano"\ncolour = "green"\n'}) / "it"
    with pytest.raises(languages.LanguagePackError, match=r"pack.toml: colour: Extra inputs"):
        languages.read_pack(folder)
    write_pack(tmp_path / "b", {**TOY_PACK, "situation.toml": "failure = ['(unclosed']\nrepeat = ['x']\n"})
    monkeypatch.setenv(
        languages.LANGUAGE_DIRS_VAR, os.pathsep.join([str(tmp_path / "a"), str(tmp_path / "b")])
    )
    languages.rescan()
    try:
        assert [p.code for p in languages.packs()] == ["en", "de", "fr", "es"]
        problems = [b.problem for b in languages.broken_packs()]
        assert len(problems) == 2 and "pack.toml: colour: Extra inputs" in problems[0]
        assert "situation.toml failure #1 is no regular expression" in problems[1]
    finally:
        monkeypatch.delenv(languages.LANGUAGE_DIRS_VAR)
        languages.rescan()
    done = run([str(TRIAGE), "lang", "check", "it"], tmp_path / "a")
    assert done.returncode == 1 and "it: left out, " in done.stdout and "colour: Extra inputs" in done.stdout
