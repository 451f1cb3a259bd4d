"""Audio-only outputs: the job's audio in the preset's encoding (an MP4 with every carried
track, made by the audio encode) published as `<preset>.m4a`, each track checked against
the source: start, duration and decoded samples, read back by ffprobe."""

from __future__ import annotations

from mpr.core import keys
from mpr.core.audio import expectations
from mpr.core.models import OutputRecord, Preset, QCResult
from mpr.core.qc import audio_checks
from mpr.media import qc as media_qc
from mpr.packaging.job import PackagingJob


def package(job: PackagingJob, preset: Preset) -> list[OutputRecord]:
    """`<preset>.m4a`, with its QC."""
    assert preset.audio is not None  # an audio preset has its encoding (Preset validates it)
    encoded = keys.audio(job.job_id, preset.audio.id)
    expected = expectations(job.media, job.plan, preset.audio)
    measured = media_qc.measure_audio(job.tools, job.work.read_url(encoded), count_samples=True)
    checks = audio_checks(expected, measured)
    path = f"{preset.name}.m4a"
    job.publish([(encoded, path)])
    return [
        OutputRecord(
            preset=preset.name,
            kind="audio",
            path=path,
            duration=max((m.duration for m in measured), default=0.0),
            files=[path],
            qc=QCResult(passed=all(c.passed for c in checks), checks=checks),
        )
    ]
