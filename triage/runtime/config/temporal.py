"""Temporal settings: where workflows run, the task queues, TLS and payload encryption, the dev server."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr

from triage.domain.contracts import coordination_queue_for, judge_queue_for
from triage.runtime.config.fields import env_var


class TemporalSettings(BaseModel):
    temporal_address: str = Field(
        "localhost:7233",
        description="where workflows run: the Temporal frontend",
        validation_alias=env_var("TEMPORAL_ADDRESS"),
    )
    temporal_namespace: str = Field(
        "default", description="the Temporal namespace", validation_alias=env_var("TEMPORAL_NAMESPACE")
    )
    temporal_task_queue: str = Field(
        "support-triage",
        description="the task queue of the workers",
        validation_alias=env_var("TEMPORAL_TASK_QUEUE"),
    )
    judge_task_queue: str | None = Field(
        None,
        min_length=1,
        description="the judge worker's queue (classify, draft, retrain); unset: "
        "`<TEMPORAL_TASK_QUEUE>-judge`",
        validation_alias=env_var("TRIAGE_JUDGE_TASK_QUEUE"),
    )
    temporal_api_key: SecretStr | None = Field(
        None,
        description="Temporal Cloud API key (TLS is implied)",
        validation_alias=env_var("TEMPORAL_API_KEY"),
    )
    temporal_tls: bool = Field(
        False,
        description="TLS to the frontend; `false` turns it off even with an API key",
        validation_alias=env_var("TEMPORAL_TLS"),
    )
    encryption_key: SecretStr | None = Field(
        None,
        description="encrypts email text in Temporal's history: a base64 AES key, or "
        "`id1:key1,id2:key2` to rotate (README, [Operations](../README.md#operations))",
        validation_alias=env_var("TRIAGE_ENCRYPTION_KEY"),
    )
    temporal_db: Path = Field(
        Path(".data/temporal.db"),
        description="the dev server's SQLite file (`triage server`, `triage up`)",
        validation_alias=env_var("TRIAGE_TEMPORAL_DB"),
    )
    # The dev server's SQLite in write-ahead mode: with its default rollback journal, a burst
    # of 150 messages at once saw workflow-task completions fail to persist ("Update workflow
    # execution operation failed") and time out after 10 s, and the no-op floor ran 3x slower
    # (docs/performance.md, "The burst"). The sync setting is SQLite's: no commit is less durable.
    temporal_sqlite_pragmas: list[str] = Field(
        ["journal_mode=wal"],
        description="SQLite pragmas for the dev server's database (`triage server`, `triage up`), "
        'as JSON: `["journal_mode=wal"]`; `[]` for SQLite\'s defaults',
        validation_alias=env_var("TRIAGE_TEMPORAL_SQLITE_PRAGMAS"),
    )
    temporal_ui_port: int = Field(
        8233, description="the dev server's Web UI port", validation_alias=env_var("TRIAGE_TEMPORAL_UI_PORT")
    )

    @property
    def judge_queue(self) -> str:
        return self.judge_task_queue or judge_queue_for(self.temporal_task_queue)

    @property
    def coordination_queue(self) -> str:
        """The conversations' and sender counters' queue: the workflow worker polls it too."""
        return coordination_queue_for(self.temporal_task_queue)
