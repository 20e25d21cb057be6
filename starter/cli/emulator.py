"""The mail emulator: run it, and put a customer's message into its inbox."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from starter.cli.errors import EXIT_REFUSED, EXIT_UNREACHABLE, EXIT_USAGE, CliError, one_line
from starter.cli.foreground import run_until_interrupted, setup_logging
from triage.runtime.config import get_settings


def mailsim(
    port: Annotated[int, typer.Option(help="HTTP + WebSocket port.")] = 8725,
    host: str = "127.0.0.1",
    db_file: Annotated[Path, typer.Option(help="SQLite file.")] = Path(".data/mailsim.db"),
    api_key: Annotated[str | None, typer.Option(help="API key (default MYAGENTMAIL_API_KEY).")] = None,
    inbox_id: Annotated[str | None, typer.Option(help="Inbox id (default SUPPORT_INBOX_ID).")] = None,
    inbox_email: str = "support@acme-help.test",
    ping_interval: float = 15.0,
) -> None:
    """Run the local myagentmail emulator (REST + WebSocket + /_sim control API)."""
    from triage.mail.sim.runner import serve_mailsim

    settings = get_settings()
    setup_logging("WARNING", settings.secret_values())
    db_file.parent.mkdir(parents=True, exist_ok=True)
    run_until_interrupted(
        serve_mailsim(
            host=host,
            port=port,
            db_path=db_file,
            api_key=api_key or settings.mail_api_key.get_secret_value(),
            inbox_id=inbox_id or settings.inbox_id,
            inbox_email=inbox_email,
            ping_interval=ping_interval,
        )
    )


def send(
    sender: Annotated[str, typer.Option("--from", help="The sender, e.g. 'Ann <ann@example.org>'.")],
    subject: Annotated[str, typer.Option(help="The subject.")],
    body: Annotated[str | None, typer.Option(help="The plain-text body.")] = None,
    body_file: Annotated[
        Path | None,
        typer.Option("--body-file", exists=True, dir_okay=False, help="Read the body from a file."),
    ] = None,
    thread: Annotated[str | None, typer.Option(help="Continue this thread (a follow-up).")] = None,
) -> None:
    """Put a message into the emulator's inbox, as if a customer had written it."""
    import httpx

    if (body is None) == (body_file is None):
        raise CliError("give exactly one of --body and --body-file", EXIT_USAGE)
    settings = get_settings()
    text = body_file.read_text(encoding="utf-8") if body_file is not None else body
    control = settings.mail_base_url.rstrip("/").removesuffix("/v1")
    payload = {"inbox_id": settings.inbox_id, "from": sender, "subject": subject, "plain_body": text}
    if thread:
        payload["thread_id"] = thread
    try:
        response = httpx.post(f"{control}/_sim/inbound", json=payload, timeout=10)
    except httpx.HTTPError as err:
        raise CliError(
            f"the mail emulator at {control} is unreachable ({one_line(str(err))})", EXIT_UNREACHABLE
        ) from None
    if not response.is_success:
        raise CliError(
            f"the emulator refused the message ({response.status_code}): {one_line(response.text[:300])}",
            EXIT_REFUSED,
        )
    created = response.json()
    print(
        f"message {created['message_id']} in thread {created['thread_id']}: workflow triage-{created['message_id']}"
    )
