"""What every output kind's packaging shares: the job's facts, its stores, one bounded pool
for the many small reads and copies, and the output record of a video rendition."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel

from mpr.core import ffmpeg_args, keys
from mpr.core.models import (
    ChunkPlan,
    JobSpec,
    MediaInfo,
    OutputRecord,
    Preset,
    QCResult,
    SizedRendition,
)
from mpr.core.payloads import RenditionChunk
from mpr.core.qc import Expectation, combined_psnr, expectation
from mpr.media.tools import Tools
from mpr.ports import Storage

T = TypeVar("T")
R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)

IO_THREADS_PER_CORE = 4
"""Copies and small reads wait on storage, not on a core: a few per core keep it busy."""

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mpd": "application/dash+xml",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".jpg": "image/jpeg",
    ".vtt": "text/vtt",
}


def content_type(name: str) -> str | None:
    return CONTENT_TYPES.get(Path(name).suffix)


@dataclass
class PackagingJob:
    """One job's packaging. `pool` is the only pool: output kinds run one after another
    and hand it their independent reads, copies and uploads."""

    work: Storage
    outputs: Storage
    tools: Tools
    job_id: str
    spec: JobSpec
    media: MediaInfo
    plan: ChunkPlan
    prefix: str
    pool: ThreadPoolExecutor
    _chunks: dict[str, list[RenditionChunk]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def expect(self) -> Expectation:
        return expectation(self.media, self.plan, self.spec.min_psnr_db)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        return list(self.pool.map(fn, items))

    def load(self, key: str, model: type[M]) -> M:
        return model.model_validate_json(self.work.get_bytes(key))

    def chunk_results(self, sized: SizedRendition) -> list[RenditionChunk]:
        """What each chunk task reported for a rendition, read once for every output."""
        with self._lock:
            if sized.id in self._chunks:
                return self._chunks[sized.id]
        results = self.map(
            lambda c: self.load(keys.chunk_result(self.job_id, sized.id, c.index), RenditionChunk),
            self.plan.chunks,
        )
        with self._lock:
            self._chunks[sized.id] = results
        return results

    def psnr(self, sized: SizedRendition) -> float:
        """Mean luma PSNR of a rendition, from every frame as its chunk encodes measured it."""
        return combined_psnr([(r.frames, r.psnr_db) for r in self.chunk_results(sized)])

    def publish(self, pairs: Iterable[tuple[str, str]]) -> list[str]:
        """Copy work files to output paths (relative to the job's output prefix), side by
        side; return the paths."""
        items = list(pairs)
        self.map(
            lambda p: self.work.copy_to(p[0], self.outputs, self.prefix + p[1], content_type(p[1])),
            items,
        )
        return [path for _, path in items]

    def upload_folder(self, folder: Path, path: str) -> list[str]:
        """Upload every file of a local folder under an output path; return the paths."""
        files = sorted(folder.iterdir())
        self.map(
            lambda f: self.outputs.put_file(
                f"{self.prefix}{path}/{f.name}", f, content_type(f.name)
            ),
            files,
        )
        return [f"{path}/{f.name}" for f in files]

    def put_text(self, path: str, text: str) -> None:
        self.outputs.put_bytes(self.prefix + path, text.encode(), content_type(path))

    def video_record(
        self,
        preset: Preset,
        kind: Literal["mp4", "hls", "cmaf"],
        path: str,
        sized: SizedRendition,
        qc: QCResult,
        files: list[str],
        *,
        frames: int,
        duration: float,
        bandwidth: int | None = None,
    ) -> OutputRecord:
        """The record of one video rendition, with the single-pass ffmpeg arguments that
        make its equivalent."""
        plan = self.plan
        trim = None
        if self.spec.trim is not None:
            trim = ffmpeg_args.trim_filter(plan.chunks[0].select_from, plan.chunks[-1].select_to)
        return OutputRecord(
            preset=preset.name,
            kind=kind,
            path=path,
            rendition=sized.rendition.name,
            width=sized.width,
            height=sized.height,
            duration=duration,
            frames=frames,
            bandwidth=bandwidth,
            encoder_args=ffmpeg_args.encoder_args(
                sized,
                ffmpeg_args.gop_frames(self.media, self.spec.gop_seconds),
                trim_filter=trim,
                b_frames=not self.media.video.variable_frame_rate,
                chunk_starts=[c.start - plan.start for c in plan.chunks],
            ),
            files=files,
            qc=qc,
        )


def pool_size() -> int:
    return IO_THREADS_PER_CORE * (os.cpu_count() or 1)
