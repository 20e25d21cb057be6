"""Every version gate (``workflow.patched`` id) of our workflows, in one place.

A gate lets a workflow started by older code replay the path it took then,
while new runs take the new one. Each constant is named for what it protects;
its string is the marker written in histories, so it never changes. Below
each, what it protects, the day it went in (``git log -S '<id>'``) and the day
after which it can be removed: when no workflow started before it can still
be running or be replayed, that is the longest such a workflow runs (a review
waits at most ``TRIAGE_REVIEW_EXPIRY``, 72 hours by default) plus the time a
closed workflow is kept and answers queries (the namespace's retention, taken
here as at most ``RETENTION``). A deployment with a longer expiry or retention
waits the difference more. To remove a gate: keep the new path only, delete
the constant, and refresh the saved histories (``tests/test_replay.py``).
``tests/test_versions.py`` checks that every ``patched`` call names a constant
listed here, that every constant is used, and the dates.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from triage.domain.models import ReviewSettings

# How long a closed workflow is kept (and replayed for queries): we assume at most this.
RETENTION = timedelta(days=30)
# The longest a triage run lasts: its review's expiry, by default.
TRIAGE_RUN = ReviewSettings().expire_after
# The longest an automatic-reply counter's run lasts, assumed: it ends a budget window (a day)
# after its last request and continues as new when Temporal suggests it (a busy counter: hours).
COUNTER_RUN = timedelta(days=7)
# The longest a retraining run lasts: four steps of at most 30 minutes, three attempts each.
RETRAIN_RUN = timedelta(hours=6)

# ---- SupportTriageWorkflow ------------------------------------------------------

ANSWER_AND_LANGUAGE_CHECKS = "answerability-and-language-checks"
"""Runs started before the answer threshold and checked languages decide without them.
Added 2026-12-04; removable after 2027-01-06 (TRIAGE_RUN)."""

CONVERSATIONS = "conversations"
"""Runs started before conversations neither read the thread, join its conversation nor close a thank-you.
Added 2026-12-04; removable after 2027-01-06 (TRIAGE_RUN)."""

EARNED_AUTONOMY = "earned-autonomy"
"""Runs started before earned autonomy neither read the mode in force nor report a verdict.
Added 2026-12-04; removable after 2027-01-06 (TRIAGE_RUN)."""

JUDGE_QUEUE = "judge-queue"
"""Classify and draft (and every retraining step) run on the judge workers' queue, not the workflow's own.
Added 2026-12-07; removable after 2027-01-09 (TRIAGE_RUN)."""

JUDGE_QUEUE_REDRAFTS = "judge-queue-redraft"
"""A review that waited across the judge-queue upgrade has its redrafts judged on the judge queue too.
Added 2026-12-07; removable after 2027-01-09 (TRIAGE_RUN)."""

THREAD_BELONGS_TO_SENDER = "thread-belongs-to-sender"
"""Runs started before it read the whole thread, not only this customer's part of it.
Added 2026-12-07; removable after 2027-01-09 (TRIAGE_RUN)."""

ANSWERED_HOW_TO_IS_ROUTINE = "answered-how-to-is-routine"
"""Runs started before it send a how-to question an article answers only at the category's confidence.
Added 2026-12-07; removable after 2027-01-09 (TRIAGE_RUN)."""

ACKNOWLEDGEMENT_LEAVES_REVIEW_OPEN = "acknowledgement-leaves-review-open"
"""Runs started before it let a thank-you that waits for the answer ("I'll wait") close the thread's open review.
Added 2026-12-07; removable after 2027-01-09 (TRIAGE_RUN)."""

COORDINATION_ACTIVITIES = "coordination-activities"
"""Runs started before it join their conversation, reserve an automatic reply and report a verdict
in local activities, which held the workflow task open while the other workflow answered.
Added 2026-12-07; removable after 2027-01-09 (TRIAGE_RUN)."""

LEAN_PATH = "lean-path"
"""Runs started before it ask each triage gate above (a marker and a visibility write each), save
the draft before the send decision, and reserve, send and report an automatic reply in three
activities. Runs after it take every older triage gate with this one marker, upsert the category
with the next status (not the redundant first status nor drafting), and, when the policy would
send, reserve, save, send and report in one activity (``workflows/gates.py``).
Added 2026-12-07; removable after 2027-01-09 (TRIAGE_RUN)."""

REVIEW_NOTICE_WITH_DRAFT = "review-notice-with-draft"
"""Runs started before it save the draft for review, then notify the reviewers in an activity of its
own (an activity task, a workflow task and six events more per review). Runs after it save and
notify in one activity (``save_for_review``), and send the notice on its own only when that one
could not. Asked first, it implies the lean path: a run after it writes this one marker.
Added 2026-12-07; removable after 2027-01-09 (TRIAGE_RUN)."""

# ---- AutoReplyCounterWorkflow ------------------------------------------------------

INBOX_BUDGET_SHARES = "inbox-budget-shares"
"""A counter holds a share of the inbox budget: when it is full the reply is counted and the pool decides.
Only requests of the sharing activity reach the gate; a counter run that answered one without
the gate (an older worker, during an upgrade) keeps treating the share as a hard limit (stricter).
Added 2026-12-07; removable after 2027-01-13 (COUNTER_RUN)."""

# ---- RetrainWorkflow --------------------------------------------------------------

RETRAIN_NEEDS_TWO_REVIEWERS = "retrain-needs-two-reviewers"
"""Runs started before the reviewer rule replay the gate without it (corrections from one reviewer passed).
Added 2026-12-07; removable after 2027-01-07 (RETRAIN_RUN)."""
