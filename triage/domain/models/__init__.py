"""Data shared by the watcher, workflows, activities, API and CLI, by domain.

Everything here crosses Temporal's data converter (pydantic, JSON without type
paths), so models hold plain data only and may move between modules without
breaking saved histories. Timestamps are always passed in explicitly
(``workflow.now()`` inside workflows): a ``default_factory=datetime.now`` would
read wall-clock time inside the sandbox.

Which module owns what (import from ``triage.domain.models``; the modules are its layout):

- ``mail``: the inbound message, its thread, draft and send requests (the mail seam)
- ``judgement``: categories, guard flags, acts, the classification, KB answers, drafts (``triage/judging/``, ``triage/judging/kb.py``)
- ``conversation``: joining a thread's conversation and its signals (``workflows/conversation.py``)
- ``autonomy``: policy settings and decision, the per-sender quota, autonomy modes (``triage/domain/policy.py``, ``triage/domain/autonomy/``)
- ``review``: the triage workflow's status, input, state, result and reviewers' decisions (``workflows/triage.py``, ``starter/review.py``)
"""

from triage.domain.models.autonomy import (
    DEFAULT_BRAND_NAME,
    AutonomyMode,
    AutoReplyAllowance,
    MessageContext,
    ModeInForce,
    ModeSource,
    PolicyDecision,
    PolicySettings,
    ReserveAutoReply,
)
from triage.domain.models.conversation import (
    ConversationTurn,
    JoinConversation,
    NewParticipant,
    Supersede,
)
from triage.domain.models.judgement import (
    CATEGORY_DESCRIPTIONS,
    DEFAULT_AUTO_SEND_CATEGORIES,
    MAX_REASON_CHARS,
    SAME_ANSWER,
    Category,
    Classification,
    DraftReply,
    DraftRequest,
    GuardFlag,
    Judgement,
    JudgeRequest,
    KbAnswer,
    KbCitation,
    LlmUsage,
    MessageAct,
    answer_label,
)
from triage.domain.models.mail import (
    DiscardDraftRequest,
    InboundMessage,
    SaveDraftRequest,
    SendDraftRequest,
    SentReply,
    ThreadEntry,
    ThreadRequest,
    ThreadView,
)
from triage.domain.models.review import (
    Correction,
    DecisionRecord,
    Notification,
    ReviewAction,
    ReviewDecision,
    ReviewOutcome,
    ReviewSettings,
    Role,
    TriageInput,
    TriageResult,
    TriageState,
    TriageStatus,
)

__all__ = [
    "CATEGORY_DESCRIPTIONS",
    "DEFAULT_AUTO_SEND_CATEGORIES",
    "DEFAULT_BRAND_NAME",
    "MAX_REASON_CHARS",
    "SAME_ANSWER",
    "AutoReplyAllowance",
    "AutonomyMode",
    "Category",
    "Classification",
    "ConversationTurn",
    "Correction",
    "DecisionRecord",
    "DiscardDraftRequest",
    "DraftReply",
    "DraftRequest",
    "GuardFlag",
    "InboundMessage",
    "JoinConversation",
    "JudgeRequest",
    "Judgement",
    "KbAnswer",
    "KbCitation",
    "LlmUsage",
    "MessageAct",
    "MessageContext",
    "ModeInForce",
    "ModeSource",
    "NewParticipant",
    "Notification",
    "PolicyDecision",
    "PolicySettings",
    "ReserveAutoReply",
    "ReviewAction",
    "ReviewDecision",
    "ReviewOutcome",
    "ReviewSettings",
    "Role",
    "SaveDraftRequest",
    "SendDraftRequest",
    "SentReply",
    "Supersede",
    "ThreadEntry",
    "ThreadRequest",
    "ThreadView",
    "TriageInput",
    "TriageResult",
    "TriageState",
    "TriageStatus",
    "answer_label",
]
