"""Job records for the job store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mpr.core.models import JobRecord, JobSpec, Preset, VideoRendition

T0 = datetime(2026, 1, 31, 12, 0, 0, 250_000, tzinfo=UTC)
SPEC = JobSpec(
    source="input/clip.mp4",
    presets=[
        Preset(
            name="mp4-720",
            kind="mp4",
            renditions=[VideoRendition(name="720p", height=720, max_bitrate_kbps=3000)],
        )
    ],
)


def make_job(
    job_id: str, seconds: int = 0, idempotency_key: str | None = None, owner: str = "alice"
) -> JobRecord:
    moment = T0 + timedelta(seconds=seconds)
    return JobRecord(
        job_id=job_id,
        spec=SPEC,
        callback_url="https://example.com/hook",
        metadata={"team": "video"},
        idempotency_key=idempotency_key,
        owner=owner,
        created_at=moment,
        updated_at=moment,
    )
