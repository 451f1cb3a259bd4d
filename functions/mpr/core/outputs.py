"""What each chunk task writes towards the job's outputs, decided when the job is planned.

An HLS or CMAF rung is segmented by the chunk tasks (its chunks start on keyframes, so each chunk
is a run of whole segments); thumbnails and sprite tiles are the chunk's own frames, taken
from the decode that feeds its encodes. Only progressive MP4 outputs are stitched.
"""

from __future__ import annotations

from bisect import bisect_left

from mpr.core.models import (
    Chunk,
    ChunkPlan,
    FrameIndex,
    JobSpec,
    MediaInfo,
    PictureTarget,
    Preset,
    SegmentTarget,
)
from mpr.core.presets import renditions_for
from mpr.core.sprites import picture_frames, sprite_layout


def stitched_renditions(spec: JobSpec, media: MediaInfo) -> list[str]:
    """Ids of the renditions an MP4 preset needs stitched, in preset order."""
    found: dict[str, None] = {}
    for preset in spec.presets:
        if preset.kind == "mp4":
            found.update((s.id, None) for s in renditions_for(preset, media))
    return list(found)


def segment_targets(spec: JobSpec, media: MediaInfo) -> list[SegmentTarget]:
    """Every HLS and CMAF rung of the job: the rendition it segments and where."""
    return [
        SegmentTarget(
            preset=preset.name,
            rendition=sized.id,
            name=sized.rendition.name,
            segment_seconds=preset.segment_seconds,
        )
        for preset in spec.presets
        if preset.segmented
        for sized in renditions_for(preset, media)
    ]


class PictureSchedule:
    """The frames of the selected range that each thumbnails preset pictures, numbered in
    time order, from which each chunk gets its share."""

    def __init__(self, spec: JobSpec, media: MediaInfo, index: FrameIndex, plan: ChunkPlan):
        self._plans: list[tuple[Preset, str, int, int, list[int]]] = []
        for preset in spec.presets:
            thumbs = preset.thumbnails
            if preset.kind != "thumbnails" or thumbs is None:
                continue
            video = media.video
            for kind, interval, width, height in (
                ("thumbs", thumbs.interval_seconds, thumbs.width, -2),
                (
                    "tiles",
                    thumbs.sprite_interval_seconds,
                    thumbs.sprite_tile_width,
                    sprite_layout(thumbs, 1, video.display_width, video.display_height).tile_height,
                ),
            ):
                frames = picture_frames(index.times, plan.start, plan.end, interval)
                self._plans.append((preset, kind, width, height, frames))

    def for_chunk(self, chunk: Chunk) -> list[PictureTarget]:
        """The pictures among `chunk`'s frames, as offsets into them."""
        targets = []
        for preset, kind, width, height, frames in self._plans:
            first = bisect_left(frames, chunk.first_frame)
            stop = bisect_left(frames, chunk.first_frame + chunk.frames)
            if first < stop:
                targets.append(
                    PictureTarget(
                        preset=preset.name,
                        kind=kind,
                        width=width,
                        height=height,
                        frames=[f - chunk.first_frame for f in frames[first:stop]],
                        first_number=first,
                    )
                )
        return targets


def chunks_to_run(plan: ChunkPlan, encodes_video: bool, pictures: PictureSchedule) -> list[Chunk]:
    """The chunks that get a chunk task: every one where the job encodes video, else those
    holding a picture (a job of audio presets only runs none)."""
    return [c for c in plan.chunks if encodes_video or pictures.for_chunk(c)]
