"""Progressive MP4 outputs: the stitched rendition, checked against the source where it
lies and copied into the outputs (a faststart MP4 is measured from its index, so neither
step reads the media through this process where the store copies server-side)."""

from __future__ import annotations

from mpr.core import keys
from mpr.core.audio import expectations
from mpr.core.models import AudioEncoding, OutputRecord, Preset, QCResult
from mpr.core.presets import renditions_for
from mpr.core.qc import audio_checks, judge
from mpr.media import qc as media_qc
from mpr.packaging.job import PackagingJob


def package(job: PackagingJob, preset: Preset) -> list[OutputRecord]:
    """The preset's one rendition as `<preset>.mp4` with every carried audio track, with
    its QC (each audio track's start and duration too)."""
    sized = renditions_for(preset, job.media)[0]
    stitched = keys.stitched(job.job_id, sized.id)
    url = job.work.read_url(stitched)
    measured = media_qc.measure(job.tools, url)
    judged = judge(job.expect, measured.model_copy(update={"psnr_db": job.psnr(sized)}))
    tracks = audio_checks(
        expectations(job.media, job.plan, AudioEncoding(codec="aac")),
        media_qc.measure_audio(job.tools, url, count_samples=False),
    )
    qc = QCResult(
        passed=judged.passed and all(c.passed for c in tracks), checks=[*judged.checks, *tracks]
    )
    path = f"{preset.name}.mp4"
    job.publish([(stitched, path)])
    record = job.video_record(
        preset,
        "mp4",
        path,
        sized,
        qc,
        [path],
        frames=measured.frames,
        duration=measured.duration,
    )
    return [record]
