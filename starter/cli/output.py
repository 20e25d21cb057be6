"""Where the commands print: stdout for results, stderr for errors and notes."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # one line, whatever its length

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
