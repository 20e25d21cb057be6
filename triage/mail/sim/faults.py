"""Fault injection: the failures the docs warn about, on demand and reproducible.

State is in memory only (a restart clears it, like a network that heals), and
every random choice comes from one seedable ``random.Random`` so that a failing
test can be replayed with the same seed.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

from pydantic import BaseModel, ConfigDict, Field


@dataclass
class FaultState:
    half_open: bool = False
    duplicate_probability: float = 0.0
    rest_failure_rate: float = 0.0
    rest_failure_status: int = 500
    retry_after: float = 1.0
    latency_ms: int = 0


class FaultPatch(BaseModel):
    """Body of ``POST /_sim/faults``: only the fields given change.

    Unknown fields are refused so that a typo does not silently leave a fault off.
    """

    model_config = ConfigDict(extra="forbid")

    drop_sockets: bool = False
    half_open: bool | None = None
    duplicate_probability: float | None = Field(None, ge=0.0, le=1.0)
    rest_failure_rate: float | None = Field(None, ge=0.0, le=1.0)
    rest_failure_status: int | None = Field(None, ge=400, le=599)
    retry_after: float | None = Field(None, ge=0.0)
    latency_ms: int | None = Field(None, ge=0, le=60_000)
    seed: int | None = None


_ERROR_CODES = {
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    502: "SMTP_RELAY_ERROR",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}


@dataclass(frozen=True)
class InjectedFailure:
    status: int
    code: str
    headers: dict[str, str]


class Faults:
    """The current faults and the dice they are rolled with."""

    def __init__(self, seed: int | None = None) -> None:
        self.state = FaultState()
        self._rng = random.Random(seed)

    def as_dict(self) -> dict[str, object]:
        return asdict(self.state)

    def apply(self, patch: FaultPatch) -> None:
        """Merges the settings in ``patch``; actions (drop, half-open) are the hub's job."""
        if patch.seed is not None:
            self._rng.seed(patch.seed)
        for name in FaultState.__dataclass_fields__:
            value = getattr(patch, name)
            if value is not None:
                setattr(self.state, name, value)

    def reset(self) -> None:
        self.state = FaultState()

    def duplicate(self) -> bool:
        """Whether this event goes out twice (at-least-once delivery, made visible)."""
        p = self.state.duplicate_probability
        return p > 0 and self._rng.random() < p

    def rest_failure(self) -> InjectedFailure | None:
        """The failure this REST call suffers, if any; decided before the call is applied."""
        rate = self.state.rest_failure_rate
        if rate <= 0 or self._rng.random() >= rate:
            return None
        status = self.state.rest_failure_status
        code = _ERROR_CODES.get(status, "INJECTED_FAULT")
        headers = {}
        if status in (429, 503):
            seconds = self.state.retry_after
            headers["Retry-After"] = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
        return InjectedFailure(status, code, headers)

    @property
    def latency_seconds(self) -> float:
        return self.state.latency_ms / 1000
