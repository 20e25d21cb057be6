"""The triage run's first gates: asked first in every run, each implying the ones before it.

``lean()``: the lean path (``versions.LEAN_PATH``). A run that takes it takes the
new side of every older triage gate without asking each one: a gate asked in a
new run writes a marker and a search-attribute upsert (``TemporalChangeVersion``:
a visibility write), and a routine message asked seven. Runs started before it
find no marker for it when replayed, so they ask each gate as they did.

``notice_with_draft()``: the draft for review saved and the reviewers notified in
one activity (``versions.REVIEW_NOTICE_WITH_DRAFT``). Asked before the lean path's
gate, it implies it, so a new run still writes one marker; a run started on the
lean path before it finds no marker for it and asks the lean path's as it did.

The answers are the SDK's, memoized for the run: any module may ask.
"""

from __future__ import annotations

from temporalio import workflow

from workflows import versions


def notice_with_draft() -> bool:
    """Did this run start saving the draft for review and notifying in one activity?"""
    return workflow.patched(versions.REVIEW_NOTICE_WITH_DRAFT)


def lean() -> bool:
    """Did this run start on the lean path (one marker for every older gate)?"""
    return notice_with_draft() or workflow.patched(versions.LEAN_PATH)
