"""A draft saved for review and the reviewers told of it, as one request.

The triage workflow (``workflows/versions.py``, ``REVIEW_NOTICE_WITH_DRAFT``)
saves the draft a reviewer will read and sends the "review needed" notice in
one activity (``activities/review_draft.py``): one activity task, one workflow
task and three events instead of two of each. A notice that could not go out
there is sent again by the notice's own activity, with its retries.
"""

from __future__ import annotations

from pydantic import BaseModel

from triage.domain.models import Notification, SaveDraftRequest


class SaveForReview(BaseModel):
    """Save ``draft``, then tell the reviewers (``notification``)."""

    draft: SaveDraftRequest
    notification: Notification


class SavedForReview(BaseModel):
    draft_id: str
    notified: bool  # False: the notice failed or was slow, and is the workflow's to send again
