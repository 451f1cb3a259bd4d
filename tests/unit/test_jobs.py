"""Job status rules and progress."""

from __future__ import annotations

import itertools

import pytest

from mpr.core.errors import JobStateError
from mpr.core.jobs import ALLOWED, TERMINAL, check_transition, sources_for
from mpr.core.models import JobRecord, JobSpec, JobStatus
from mpr.core.presets import builtin_presets

Q, R, S, F, C = (
    JobStatus.QUEUED,
    JobStatus.RUNNING,
    JobStatus.SUCCEEDED,
    JobStatus.FAILED,
    JobStatus.CANCELLED,
)

# The business rule, written out: a job runs once, ends once, and only a failed job is retried
LEGAL = {(Q, R), (Q, F), (Q, C), (R, S), (R, F), (R, C), (F, Q)}


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL))
def test_allowed_transitions(current: JobStatus, target: JobStatus) -> None:
    check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    sorted(set(itertools.product(JobStatus, repeat=2)) - LEGAL),
)
def test_every_other_transition_is_refused(current: JobStatus, target: JobStatus) -> None:
    with pytest.raises(JobStateError) as caught:
        check_transition(current, target)
    assert current.value in str(caught.value)
    assert target.value in str(caught.value)


def test_terminal_statuses_have_no_way_out() -> None:
    assert {S, F, C} == TERMINAL
    assert all(ALLOWED[s] <= {Q} for s in TERMINAL)
    assert ALLOWED[S] == ALLOWED[C] == frozenset()


def test_sources_for_is_what_a_conditional_write_checks() -> None:
    assert sources_for(R) == {Q}
    assert sources_for(Q) == {F}
    assert sources_for(S) == {R}
    assert sources_for(F) == {Q, R}
    assert sources_for(C) == {Q, R}


def job(status: JobStatus, total: int, done: int) -> JobRecord:
    spec = JobSpec(source="in/a.mp4", presets=[builtin_presets()["mp4-720p"]])
    return JobRecord(job_id="j1", status=status, spec=spec, chunks_total=total, chunks_done=done)


@pytest.mark.parametrize(
    ("status", "total", "done", "progress"),
    [
        (Q, 0, 0, 0.0),
        (R, 0, 0, 0.0),
        (R, 3, 1, 33.3),
        (R, 8, 8, 99.0),  # every chunk encoded, still stitching and packaging
        (R, 8, 9, 99.0),  # a retried chunk counted twice never shows more
        (S, 8, 8, 100.0),
        (S, 0, 0, 100.0),
        (F, 4, 2, 50.0),
    ],
)
def test_progress_counts_chunks_and_reaches_100_only_when_done(
    status: JobStatus, total: int, done: int, progress: float
) -> None:
    assert job(status, total, done).progress == progress
