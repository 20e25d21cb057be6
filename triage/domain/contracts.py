"""Names that cross process boundaries: workflow, update and signal names that
activities and starters use without importing the workflow modules."""

from __future__ import annotations

import hashlib
from enum import StrEnum

# One message, one workflow: its id is derived from the message id.
WORKFLOW_ID_PREFIX = "triage-"

TRIAGE_WORKFLOW = "SupportTriageWorkflow"  # one per message
# Its handlers, by name: the reviewer client (CLI, API) then never imports the workflow's modules.
STATE_QUERY = "state"
REVIEW_UPDATE = "review"
REVIEW_SIGNAL = "review_signal"
SUPERSEDE_SIGNAL = "supersede"
NEW_PARTICIPANT_SIGNAL = "new_participant"  # another sender wrote into the thread
CONVERSATION_WORKFLOW = "ConversationWorkflow"
CONVERSATION_JOIN = "join"
AUTO_REPLY_COUNTER_WORKFLOW = "AutoReplyCounterWorkflow"
AUTO_REPLY_RESERVE = "reserve"


class ReviewErrorKind(StrEnum):
    """Why a reviewer's decision was refused: the ``type`` of the ApplicationError the
    review Update raises, carried as ``kind`` by the reviewer client, the API and the CLI.

    The values are in saved workflow histories: never change one.
    """

    REVIEW_CLOSED = "ReviewClosed"  # decided, expired, superseded, or not open yet
    REVIEW_BUSY = "ReviewBusy"  # another decision is being applied
    STALE_REVISION = "StaleRevision"  # the decision is for an older draft
    DECISION_FAILED = "DecisionFailed"  # the workflow could not carry the decision out
    # Never raised by the workflow: the reviewer client's kind for an Update that
    # failed without one of the types above.
    UPDATE_FAILED = "UpdateFailed"


def workflow_id_for(message_id: str) -> str:
    return f"{WORKFLOW_ID_PREFIX}{message_id}"


# The task queue is part of the ids: a conversation's workflow runs where its
# messages' workflows run, and a deployment on another queue starts afresh.


def judge_queue_for(task_queue: str) -> str:
    """The judge worker's task queue beside a workflow task queue (unless TRIAGE_JUDGE_TASK_QUEUE names another).

    Classifying, matching answers, drafting offline and fitting models are CPU-bound:
    they run in judge processes of their own, so a burst of judging never starves the
    workflow tasks of the workflow worker (one GIL, one event loop).
    """
    return f"{task_queue}-judge"


def coordination_queue_for(task_queue: str) -> str:
    """The queue of the conversations and sender counters beside a workflow task queue,
    and of the activities that ask them (``CoordinationActivity``).

    Their Updates answer a triage workflow's join and reservation: on a queue (and worker
    slots) of their own they never wait behind a burst of triage workflow tasks.
    """
    return f"{task_queue}-coordination"


class CoordinationActivity(StrEnum):
    """Activities of the coordination worker (worker/main.py), called by name: each waits on
    another workflow (a join's or a reservation's Update, a batch of verdicts' Signal), outside
    the triage workflow's task."""

    JOIN_CONVERSATION = "join_conversation"
    RESERVE_AUTO_REPLY = "reserve_auto_reply"
    REPORT_VERDICT = "report_verdict"


class JudgeActivity(StrEnum):
    """Activities the judge worker runs (worker/judge.py), called by name: the workflow
    worker's process never imports the modules that hold models."""

    CLASSIFY = "classify"
    DRAFT_REPLY = "draft_reply"
    JUDGE = "judge"  # classify, then draft: one activity (the triage workflow's lean path)
    EXPORT_CORRECTIONS = "export_corrections"
    FIT_CANDIDATE = "fit_candidate"
    MEASURE_MODELS = "measure_models"
    MODEL_IN_FORCE = "model_in_force"
    PROMOTE_MODEL = "promote_model"


def conversation_id(task_queue: str, inbox_id: str, thread_id: str, customer: str | None = None) -> str:
    """One conversation per thread and customer: another sender in the thread is another conversation.

    ``customer`` is a normalised mailbox; only a digest of it is in the id (ids are shown widely).
    """
    if customer is None:
        return f"conversation-{task_queue}-{inbox_id}-{thread_id}"
    digest = hashlib.sha256(customer.encode()).hexdigest()[:16]
    return f"conversation-{task_queue}-{inbox_id}-{thread_id}-{digest}"


# Senders are spread over this many counters per inbox: one counter per sender would
# start a workflow for every new sender, and one per inbox is a hot spot (Temporal
# takes at most 10 in-flight updates per workflow). A sender always maps to the same
# counter, so its count stays exact.
AUTO_REPLY_COUNTERS = 64


def auto_reply_counter_id(task_queue: str, inbox_id: str, sender: str) -> str:
    digest = hashlib.sha256(sender.strip().lower().encode()).digest()
    return _auto_reply_counter(task_queue, inbox_id, int.from_bytes(digest[:4], "big") % AUTO_REPLY_COUNTERS)


def auto_reply_counter_ids(task_queue: str, inbox_id: str) -> list[str]:
    """Every sender counter of an inbox, by number."""
    return [_auto_reply_counter(task_queue, inbox_id, n) for n in range(AUTO_REPLY_COUNTERS)]


def _auto_reply_counter(task_queue: str, inbox_id: str, n: int) -> str:
    return f"auto-replies-{task_queue}-{inbox_id}-{n}"


def inbox_reply_counter_id(task_queue: str, inbox_id: str) -> str:
    """The one counter of the inbox-wide budget (per hour: a hot spot only under a flood it stops)."""
    return f"auto-replies-{task_queue}-{inbox_id}-inbox"


# Access (starter.api): dashboard sessions and sign-in failures are workflow executions
# on "<task queue>-access", a queue no worker polls: no code runs, the server keeps them.
ACCESS_QUEUE_SUFFIX = "access"
DASHBOARD_SESSION_WORKFLOW = "DashboardSession"
SIGN_IN_FAILURES_WORKFLOW = "SignInFailures"
SIGN_IN_FAILED_SIGNAL = "failed"

# Earned autonomy: one workflow per inbox keeps the verdicts and the modes in force.
AUTONOMY_WORKFLOW = "AutonomyWorkflow"
AUTONOMY_VERDICT = "verdict"  # Signal (signal-with-start) from a closing triage workflow (before batching)
AUTONOMY_VERDICTS = (
    "verdicts"  # Signal (signal-with-start): the verdicts a worker's closing workflows reported together
)
AUTONOMY_CONFIGURE = "configure"  # Signal (signal-with-start) from a starting worker: its settings
AUTONOMY_FLAG = "flag"  # Update: "this should not have been sent"
AUTONOMY_SET_MODE = "set_mode"  # Update: a person sets a mode
TOO_MANY_SCOPES = "TooManyScopes"  # set_mode refused: the cap on scopes with a mode of their own
AUTONOMY_BOOK = "book"  # Query: the counts, the modes and their changes
# Memo of the autonomy workflow: every mode a change set, published for the mode lookup
# (a Describe, answered by the server alone: no worker task per message).
AUTONOMY_OVERRIDES_MEMO = "overrides"
RETRAIN_WORKFLOW = "RetrainWorkflow"
RETRAIN_SCHEDULE = "retrain-nightly"


def autonomy_id(task_queue: str, inbox_id: str) -> str:
    return f"autonomy-{task_queue}-{inbox_id}"
