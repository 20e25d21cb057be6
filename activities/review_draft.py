"""The draft a reviewer will read, saved, and the reviewers told: one activity.

The triage workflow asks for both at once (``triage.domain.review_draft``).
The save is the mail adapter's (a retry finds the draft an earlier attempt
saved); the notice is tried once, for at most ``NOTICE_TIMEOUT_S``: a slow or
failing webhook never holds the review back nor fails the save, and the
workflow then sends the notice with its own activity and retries, as before.
A retry of this activity may notify twice, as a retried notice could.
"""

from __future__ import annotations

import asyncio

from temporalio import activity

from activities.mail import MailActivities
from activities.notify import NotifyActivities
from triage.domain.review_draft import SavedForReview, SaveForReview

NOTICE_TIMEOUT_S = 5.0


class ReviewDraftActivities:
    def __init__(self, mail: MailActivities, notify: NotifyActivities) -> None:
        self._mail = mail
        self._notify = notify

    @activity.defn
    async def save_for_review(self, request: SaveForReview) -> SavedForReview:
        draft_id = await self._mail.save_draft(request.draft)
        try:
            async with asyncio.timeout(NOTICE_TIMEOUT_S):
                await self._notify.notify_reviewer(request.notification)
        except Exception as err:  # the webhook's failure or slowness: the workflow sends it again
            activity.logger.info("review notice left to its own activity: %s", err)
            return SavedForReview(draft_id=draft_id, notified=False)
        return SavedForReview(draft_id=draft_id, notified=True)
