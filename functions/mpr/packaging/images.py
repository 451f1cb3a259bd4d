"""Thumbnails and the scrubbing sprite, from the frames the chunk tasks already decode.

Each chunk task writes its share of the pictures (planned by `core.outputs`): thumbnails
as numbered JPEGs, sprite tiles as raw frames. Packaging publishes the thumbnails, tiles
the sheets and writes `sprite.vtt`. The pictures are those a decode of the selected range
gives: the first frame of each interval, scaled the same way.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from mpr.core import keys
from mpr.core.errors import MediaProcessingError
from mpr.core.models import (
    ChunkTask,
    FrameIndex,
    OutputRecord,
    PictureTarget,
    Preset,
    QCCheck,
    QCResult,
)
from mpr.core.sprites import frame_buckets, sprite_layout, sprite_vtt
from mpr.media.probe import stream_facts
from mpr.media.thumbnails import SHEET_NAME, make_tile_sheets
from mpr.media.tools import Tools
from mpr.packaging.job import PackagingJob
from mpr.ports import Storage

THUMB_NAME = "thumb_{:05d}.jpg"
VTT_NAME = "sprite.vtt"


def chunk_outputs(task: ChunkTask, folder: Path) -> list[tuple[PictureTarget, str]]:
    """Where the chunk's decode writes each of its picture targets."""
    outputs = []
    for target in task.pictures:
        place = folder / target.preset / target.kind
        place.mkdir(parents=True, exist_ok=True)
        name = "thumb_%05d.jpg" if target.kind == "thumbs" else f"{task.chunk.index:05d}.nut"
        outputs.append((target, str(place / name)))
    return outputs


def store_chunk_pictures(tools: Tools, work: Storage, task: ChunkTask, folder: Path) -> None:
    """Put the pictures the chunk's decode wrote into the work area; every planned
    thumbnail and tile must be there."""
    for target in task.pictures:
        place = folder / target.preset / target.kind
        files = sorted(place.iterdir())
        if target.kind == "thumbs":
            made = len(files)
            planned = [
                THUMB_NAME.format(target.first_number + i) for i in range(len(target.frames))
            ]
            complete = [f.name for f in files] == planned
        else:
            tiles = stream_facts(tools, str(files[0]), count_packets=True).get("video", {})
            made = int(str(tiles.get("nb_read_packets") or 0))
            complete = made == len(target.frames)
        if not complete:
            raise MediaProcessingError(
                f"chunk {task.chunk.index} made {made} {target.kind}, planned {len(target.frames)}"
            )
        for file in files:
            key = keys.pictures(task.job_id, target.preset, target.kind) + file.name
            work.put_file(key, file, "image/jpeg" if target.kind == "thumbs" else None)


def package(job: PackagingJob, preset: Preset, tmp: Path) -> list[OutputRecord]:
    """Publish the thumbnails, make the sprite sheets and their WebVTT, count both."""
    spec = preset.thumbnails
    assert spec is not None  # guaranteed by Preset validation
    plan, video = job.plan, job.media.video
    times = job.load(keys.frames(job.job_id), FrameIndex).times
    thumb_buckets = frame_buckets(times, plan.start, plan.end, spec.interval_seconds)
    sprite_buckets = frame_buckets(times, plan.start, plan.end, spec.sprite_interval_seconds)
    layout = sprite_layout(spec, len(sprite_buckets), video.display_width, video.display_height)

    thumbs = list(job.work.list(keys.pictures(job.job_id, preset.name, "thumbs")))
    thumb_files = job.publish(
        (key, f"{preset.name}/thumbs/{PurePosixPath(key).name}") for key in thumbs
    )

    folder = tmp / preset.name
    tile_keys = list(job.work.list(keys.pictures(job.job_id, preset.name, "tiles")))
    tiles = [folder / "tiles" / PurePosixPath(key).name for key in tile_keys]
    tiles[0].parent.mkdir(parents=True, exist_ok=True)
    job.map(lambda pair: job.work.download(*pair), zip(tile_keys, tiles, strict=True))
    sheets = make_tile_sheets(job.tools, tiles, folder / "sprite", layout)
    vtt = sprite_vtt(
        layout, sprite_buckets, spec.sprite_interval_seconds, plan.duration, SHEET_NAME
    )
    (folder / "sprite" / VTT_NAME).write_text(vtt)
    sprite_files = job.upload_folder(folder / "sprite", f"{preset.name}/sprite")
    return [
        OutputRecord(
            preset=preset.name,
            kind="thumbnails",
            path=thumb_files[0],
            width=spec.width,
            files=thumb_files,
            qc=_count("thumbnail_count", len(thumb_buckets), len(thumb_files)),
        ),
        OutputRecord(
            preset=preset.name,
            kind="sprite",
            path=f"{preset.name}/sprite/{VTT_NAME}",
            width=layout.tile_width,
            height=layout.tile_height,
            files=sprite_files,
            qc=_count("sprite_sheets", layout.sheets, len(sheets)),
        ),
    ]


def _count(name: str, expected: int, actual: int) -> QCResult:
    check = QCCheck(name=name, passed=expected == actual, expected=expected, actual=actual)
    return QCResult(passed=check.passed, checks=[check])
