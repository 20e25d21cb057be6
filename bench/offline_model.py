"""Offline model: classifications per second on one core, and load time.

Project: ``OfflineProvider`` through its public API only (the constructor
loads the model; ``await provider.classify(message)``), so the benchmark
holds across rewrites of triage/judging/offline.py. Messages are the demo's
sample emails, cycled, each made unique.
Baselines, same run: a plain TF-IDF (word 1-2-grams) ``transform`` of the
same texts one at a time, and ``json.loads`` of the same messages; for load
time, importing scikit-learn and fitting that plain TF-IDF.
Every measurement runs in a fresh child process pinned to one CPU (BLAS
threads off), so that load times are cold and rates are one core's.

    python -m bench.offline_model [--size short|full] [--messages 2000]
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bench.harness import Comparison, Report, cli
from bench.processes import REPO

if TYPE_CHECKING:
    from triage.domain.models import InboundMessage

NAME = "offline_model"
SIZES = {"short": {"messages": 2000}, "full": {"messages": 10000}}
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


# ---- in the child process -------------------------------------------------------------


def pin_to_one_cpu() -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def sample_messages(n: int) -> list[dict[str, Any]]:
    from starter.demo import demo_samples

    samples = demo_samples()
    return [
        {**samples[i % len(samples)], "plain_body": f"{samples[i % len(samples)]['plain_body']} (ref {i})"}
        for i in range(n)
    ]


def text_of(sample: dict[str, Any]) -> str:
    return f"{sample.get('subject', '')}\n{sample.get('plain_body', '')}"


def per_second(action: Callable[[Any], Any], items: list[Any]) -> float:
    began = time.perf_counter()
    for item in items:
        action(item)
    return len(items) / (time.perf_counter() - began)


def measure_project_load() -> dict[str, float]:
    began = time.perf_counter()
    from triage.judging.offline import OfflineProvider

    OfflineProvider()
    return {"seconds": time.perf_counter() - began}


def measure_baseline_load(n: int) -> dict[str, float]:
    texts = [text_of(s) for s in sample_messages(n)]
    began = time.perf_counter()
    from sklearn.feature_extraction.text import TfidfVectorizer

    TfidfVectorizer(ngram_range=(1, 2)).fit(texts)
    return {"seconds": time.perf_counter() - began}


def inbound_messages(samples: list[dict[str, Any]], prefix: str) -> list[InboundMessage]:
    """The samples as the workflow receives them, with ids ``prefix-N``."""
    from triage.domain.models import InboundMessage

    return [
        InboundMessage(
            message_id=f"{prefix}-{i}",
            inbox_id="support",
            from_address=s["from"],
            subject=s.get("subject", ""),
            plain_body=s.get("plain_body", ""),
            html_body=s.get("html_body"),
            body_chars=len(s.get("plain_body", "")),
        )
        for i, s in enumerate(samples)
    ]


def measure_rates(n: int) -> dict[str, Any]:
    """Baselines before and after the project (their mean), against drift."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from triage.judging.offline import OfflineProvider

    samples = sample_messages(n)
    texts = [text_of(s) for s in samples]
    encoded = [json.dumps(s) for s in samples]
    tfidf = TfidfVectorizer(ngram_range=(1, 2)).fit(texts)
    provider = OfflineProvider()
    messages = inbound_messages(samples, "bench")
    loop = asyncio.new_event_loop()
    classify = lambda m: loop.run_until_complete(provider.classify(m))  # noqa: E731
    transform = lambda t: tfidf.transform([t])  # noqa: E731
    classify(messages[0])  # warm-up: first calls pay lazy initialisation
    before = {"tfidf": per_second(transform, texts), "json": per_second(json.loads, encoded)}
    project = per_second(classify, messages)
    after = {"tfidf": per_second(transform, texts), "json": per_second(json.loads, encoded)}
    loop.close()
    return {
        "classify": project,
        "tfidf": (before["tfidf"] + after["tfidf"]) / 2,
        "json": (before["json"] + after["json"]) / 2,
        "drift": {"before": before, "after": after},
    }


def long_emails(n: int) -> list[dict[str, Any]]:
    """Long formal emails from the project's own training data (greetings, signatures,
    placeholders), each made unique: the text the classifier must not choke on."""
    from triage.judging.training.training_data import load_examples

    long = [e for e in load_examples() if e.style == "email" and len(e.body) >= 600]
    return [
        {"from": "customer@example.org", "subject": e.subject, "plain_body": f"{e.body}\n(ref {i})"}
        for i, e in ((i, long[i % len(long)]) for i in range(n))
    ]


def measure_long_rates(n: int) -> dict[str, float]:
    """Long emails through everything the offline path does before the policy:
    classification, the guard and situation checks, the learned act, and the draft with its
    answer match."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from triage.domain.models import DraftRequest
    from triage.judging.checked import classify_checked
    from triage.judging.encoder import encoder
    from triage.judging.offline import OfflineProvider

    samples = long_emails(n)
    texts = [text_of(s) for s in samples]
    tfidf = TfidfVectorizer(ngram_range=(1, 2)).fit(texts)
    provider = OfflineProvider()
    messages = inbound_messages(samples, "long")
    loop = asyncio.new_event_loop()

    def judge(message: InboundMessage) -> None:
        # What the classify activity runs (checks, the learned act, the classifier), then the
        # draft; the encoder's cache is emptied first: the samples repeat, an inbox does not.
        encoder().forget()
        classification = loop.run_until_complete(classify_checked(provider, message))
        loop.run_until_complete(provider.draft(DraftRequest(message=message, classification=classification)))

    classify = lambda m: loop.run_until_complete(provider.classify(m))  # noqa: E731
    transform = lambda t: tfidf.transform([t])  # noqa: E731
    judge(messages[0])
    before = per_second(transform, texts)
    rates = {"classify": per_second(classify, messages), "judge": per_second(judge, messages)}
    after = per_second(transform, texts)
    loop.close()
    return {**rates, "tfidf": (before + after) / 2, "chars": sum(map(len, texts)) / len(texts)}


MEASURES = {
    "long-rates": measure_long_rates,
    "project-load": lambda n: measure_project_load(),
    "baseline-load": measure_baseline_load,
    "rates": measure_rates,
}


def child_main(measure: str, n: int) -> None:
    pin_to_one_cpu()
    print(json.dumps(MEASURES[measure](n)))


# ---- in the benchmark process ---------------------------------------------------------


def in_child(measure: str, n: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.offline_model", "--measure", measure, "--messages", str(n)],
        cwd=REPO,
        env={**os.environ, **ONE_THREAD},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{measure} failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


async def run(messages: int) -> Report:
    project_load = await asyncio.to_thread(in_child, "project-load", messages)
    baseline_load = await asyncio.to_thread(in_child, "baseline-load", messages)
    rates = await asyncio.to_thread(in_child, "rates", messages)
    long = await asyncio.to_thread(in_child, "long-rates", messages)
    return Report(
        NAME,
        {"messages": messages},
        [
            Comparison(
                "classifications, 1 core", "msg/s", rates["classify"], rates["tfidf"], "TF-IDF transform"
            ),
            Comparison("classifications, 1 core", "msg/s", rates["classify"], rates["json"], "json.loads"),
            Comparison(
                "long emails classified, 1 core", "msg/s", long["classify"], long["tfidf"], "TF-IDF transform"
            ),
            Comparison(
                "long emails judged (checks + classify + draft), 1 core",
                "msg/s",
                long["judge"],
                long["tfidf"],
                "TF-IDF transform",
            ),
            Comparison(
                "model load (cold)",
                "s",
                project_load["seconds"],
                baseline_load["seconds"],
                "sklearn + TF-IDF fit",
            ),
        ],
        {
            "rates_per_s": rates,
            "long_rates_per_s": long,
            "load_s": {"project": project_load, "baseline": baseline_load},
        },
    )


if __name__ == "__main__":
    if "--measure" in sys.argv:
        child_main(sys.argv[sys.argv.index("--measure") + 1], int(sys.argv[sys.argv.index("--messages") + 1]))
    else:
        cli(NAME, run, SIZES, __doc__)
