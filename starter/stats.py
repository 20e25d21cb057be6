"""``triage stats``: the product's figures for a time window, from visibility alone."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from temporalio.client import Client

from starter.review import summarize, visibility_query
from triage.domain.models import TriageStatus


class Stats(BaseModel):
    hours: float
    messages: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    auto_send_rate: float
    pending_reviews: int
    rejected: int
    expired: int
    median_seconds_to_close_sent: float | None


async def collect_stats(client: Client, hours: float, limit: int = 50_000) -> Stats:
    since = (datetime.now(UTC) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    query = f'{visibility_query(status=None)} AND StartTime > "{since}"'
    by_status: Counter[str] = Counter()
    by_category: Counter[str] = Counter()
    closing: list[float] = []
    count = 0
    async for execution in client.list_workflows(query, limit=limit):
        review = summarize(execution)
        count += 1
        by_status[review.status.value if review.status else "unknown"] += 1
        by_category[review.category.value if review.category else "unclassified"] += 1
        if review.status is TriageStatus.SENT and review.closed_at and review.started_at:
            closing.append((review.closed_at - review.started_at).total_seconds())
    return Stats(
        hours=hours,
        messages=count,
        by_status=dict(by_status),
        by_category=dict(by_category),
        auto_send_rate=by_status[TriageStatus.AUTO_SENT.value] / count if count else 0.0,
        pending_reviews=by_status[TriageStatus.AWAITING_REVIEW.value],
        rejected=by_status[TriageStatus.REJECTED.value],
        expired=by_status[TriageStatus.EXPIRED.value],
        median_seconds_to_close_sent=statistics.median(closing) if closing else None,
    )
