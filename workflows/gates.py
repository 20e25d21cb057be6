"""The lean path's gate (``versions.LEAN_PATH``): asked first in every triage run.

A run that takes it takes the new side of every older triage gate without
asking each one: a gate asked in a new run writes a marker and a
search-attribute upsert (``TemporalChangeVersion``: a visibility write), and a
routine message asked seven. Runs started before it find no marker for it
when replayed, so they ask each gate as they did. The answer is the SDK's,
memoized for the run: any module may ask.
"""

from __future__ import annotations

from temporalio import workflow

from workflows import versions


def lean() -> bool:
    """Did this run start on the lean path (one marker for every older gate)?"""
    return workflow.patched(versions.LEAN_PATH)
