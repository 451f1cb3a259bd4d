"""Job status rules: which transitions are allowed. Stores enforce them atomically."""

from __future__ import annotations

from mpr.core.errors import JobStateError
from mpr.core.models import JobStatus

TERMINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})

ALLOWED: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.FAILED, JobStatus.CANCELLED}),
    JobStatus.RUNNING: frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}),
    JobStatus.FAILED: frozenset({JobStatus.QUEUED}),  # retry
    JobStatus.SUCCEEDED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}


def sources_for(target: JobStatus) -> frozenset[JobStatus]:
    """Statuses from which `target` may be entered (what a conditional write checks)."""
    return frozenset(s for s, nexts in ALLOWED.items() if target in nexts)


def check_transition(current: JobStatus, target: JobStatus) -> None:
    """Raise JobStateError unless `current -> target` is allowed."""
    if target not in ALLOWED[current]:
        raise JobStateError(f"job cannot go from {current.value} to {target.value}")
