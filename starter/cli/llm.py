"""``triage llm``: the model server the OpenAI provider talks to: a local one to serve, any one to check."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from starter.cli.errors import EXIT_USAGE, CliError
from starter.cli.output import JsonOption, console
from triage.runtime.config import get_settings

llm_app = typer.Typer(
    help="The LLM server: serve the local model, check any OpenAI-compatible server.", no_args_is_help=True
)


@llm_app.command()
def serve(
    port: Annotated[int, typer.Option(help="Loopback port.")] = 8780,  # local_server.DEFAULT_PORT
    parallel: Annotated[
        int, typer.Option(min=1, help="Requests answered at once (set TRIAGE_LLM_CONCURRENCY to it).")
    ] = 1,
    threads: Annotated[int | None, typer.Option(min=1, help="CPU threads (default: all cores).")] = None,
) -> None:
    """Serve the small local model (llama.cpp + SmolLM2-135M, from `make local-llm`) on 127.0.0.1, until Ctrl-C."""
    from triage.judging.local_server import LocalModelUnavailable, check_installed, provider_env, serve

    try:
        check_installed()
    except LocalModelUnavailable as err:
        raise CliError(str(err)) from None
    settings = " ".join(f"{k}={v}" for k, v in provider_env(f"http://127.0.0.1:{port}/v1", parallel).items())
    console.print(f"use it with: {settings}", highlight=False, soft_wrap=True)
    try:
        serve("127.0.0.1", port, parallel, threads)
    except KeyboardInterrupt:
        pass


@llm_app.command()
def check(
    base_url: Annotated[
        str | None, typer.Option(help="The server's OpenAI base URL (default OPENAI_BASE_URL).")
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="The model to try (default TRIAGE_CLASSIFY_MODEL).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List the server's models, do one structured-output round trip with our schema, report latency and json_schema support."""
    from triage.judging.server_check import Outcome, check_server

    settings = get_settings()
    url = base_url or settings.openai_base_url
    if not url:
        raise CliError("no server to check: pass --base-url or set OPENAI_BASE_URL", EXIT_USAGE)
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    report = asyncio.run(
        check_server(
            url,
            model or settings.classify_model,
            api_key=key,
            timeout=settings.llm_timeout_seconds,
            max_tokens=settings.llm_max_tokens,
        )
    )
    reached = report.outcome is not Outcome.UNREACHABLE or report.models
    if as_json:
        print(report.model_dump_json())
    elif reached:
        honoured = {True: "honoured", False: "NOT honoured", None: "not tried"}[report.json_schema]
        latency = f"{report.latency_seconds:.2f} s" if report.latency_seconds is not None else "-"
        for label, value in (
            ("server", report.base_url),
            ("models", ", ".join(report.models) or "(none listed)"),
            ("model", report.model),
            ("latency", f"{latency} for one classification"),
            ("json_schema", honoured),
            ("answer", f"category {report.category}" if report.category else "-"),
        ):
            console.print(f"{label:<12} {value}", highlight=False, soft_wrap=True)
    if report.outcome is not Outcome.OK:
        raise CliError(report.advice or "the check failed", int(report.outcome))
