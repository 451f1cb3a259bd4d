"""Storage keys of each stage's files."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mpr.core import keys

JOB = "job-2f9c"


def test_work_files_live_under_the_job_work_prefix() -> None:
    # Given every work key of a job
    work = [
        keys.spec(JOB),
        keys.media(JOB),
        keys.frames(JOB),
        keys.plan(JOB),
        keys.tasks(JOB),
        keys.chunk(JOB, "720p-1a2b3c4d", 7),
        keys.audio(JOB, "aac-128k"),
        keys.stitched(JOB, "720p-1a2b3c4d"),
        keys.outputs(JOB),
    ]
    # Then they are distinct and all under work/<job>/, so one delete_prefix removes them
    assert keys.work_prefix(JOB) == "work/job-2f9c/"
    assert all(k.startswith("work/job-2f9c/") for k in work)
    assert len(set(work)) == len(work)


def test_work_prefixes_of_jobs_do_not_overlap() -> None:
    assert not keys.spec("job-10").startswith(keys.work_prefix("job-1"))


def test_chunk_keys() -> None:
    assert keys.chunk(JOB, "720p-1a2b3c4d", 7) == "work/job-2f9c/chunks/720p-1a2b3c4d/00007.mp4"
    assert keys.stitched(JOB, "720p-1a2b3c4d") == "work/job-2f9c/stitched/720p-1a2b3c4d.mp4"


@given(st.lists(st.integers(0, 99_999), min_size=2, max_size=50, unique=True))
def test_chunk_keys_sort_in_chunk_order(indexes: list[int]) -> None:
    # Given chunk keys listed from storage (lexical order), Then they are in chunk order
    by_key = sorted(indexes, key=lambda i: keys.chunk(JOB, "r", i))
    assert by_key == sorted(indexes)


def test_manifest_goes_with_the_outputs() -> None:
    assert keys.manifest("out/job-2f9c/") == "out/job-2f9c/manifest.json"
