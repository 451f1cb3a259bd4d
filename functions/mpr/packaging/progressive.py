"""Progressive MP4 outputs: the stitched rendition, checked against the source where it
lies and copied into the outputs (a faststart MP4 is measured from its index, so neither
step reads the media through this process where the store copies server-side)."""

from __future__ import annotations

from mpr.core import keys
from mpr.core.models import OutputRecord, Preset
from mpr.core.presets import renditions_for
from mpr.core.qc import judge
from mpr.media import qc as media_qc
from mpr.packaging.job import PackagingJob


def package(job: PackagingJob, preset: Preset) -> list[OutputRecord]:
    """The preset's one rendition as `<preset>.mp4`, with its QC."""
    sized = renditions_for(preset, job.media)[0]
    stitched = keys.stitched(job.job_id, sized.id)
    measured = media_qc.measure(job.tools, job.work.read_url(stitched))
    qc = judge(job.expect, measured.model_copy(update={"psnr_db": job.psnr(sized)}))
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
