"""One function per pipeline stage: payload in, payload out.

The Lambda handlers and the local worker pool call these same functions with the same
payloads; storage is reached only through the ports, media only through `mpr.media`.
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, TypeAdapter

from mpr import caption_outputs
from mpr.core import ffmpeg_args, hls, keys
from mpr.core.encode_budget import EncodeBudget, plan_within_budget
from mpr.core.errors import InvalidInputError, NotFoundError, QualityCheckError
from mpr.core.estimate import JobEstimate, Platform, estimate
from mpr.core.models import (
    ChunkPlan,
    ChunkTask,
    FrameIndex,
    JobSpec,
    Manifest,
    MediaInfo,
    OutputRecord,
    Preset,
    QCCheck,
    QCResult,
    SizedRendition,
)
from mpr.core.payloads import (
    EncodeAudioRequest,
    EncodeAudioResult,
    EncodeChunkResult,
    FailRequest,
    FailResult,
    FinalizeResult,
    JobRef,
    PackageResult,
    PlanRequest,
    PlanResult,
    ProbeRequest,
    ProbeResult,
    RenditionChunk,
    StitchRequest,
    StitchResult,
)
from mpr.core.presets import renditions_for
from mpr.core.qc import Expectation, combined_psnr, expectation, judge
from mpr.core.safety import check_header
from mpr.core.sprites import frame_buckets, sprite_layout
from mpr.core.validation import Limits, check_media, check_size, check_trim
from mpr.media import encode as media_encode
from mpr.media import hls as media_hls
from mpr.media import probe as media_probe
from mpr.media import qc as media_qc
from mpr.media import stitch as media_stitch
from mpr.media import thumbnails as media_thumbnails
from mpr.media.calibration import load_calibration
from mpr.media.tools import Tools
from mpr.ports import Storage

M = TypeVar("M", bound=BaseModel)
TASKS = TypeAdapter(list[ChunkTask])
OUTPUTS = TypeAdapter(list[OutputRecord])
HEADER_BYTES = 1024


@dataclass(frozen=True)
class StageContext:
    """The ports and tools every stage works with.

    `encode_threads` and `decode_threads` are the x264 and source decoder threads of each
    chunk encode; 0 lets ffmpeg use every core (a Lambda runs one encode at a time).
    """

    inputs: Storage
    work: Storage
    outputs: Storage
    tools: Tools
    limits: Limits
    output_prefix: str = "{job_id}/"
    encode_threads: int = 0
    decode_threads: int = 0
    # the cloud encode function's limits: every chunk's estimated encode must fit them
    encode_budget: EncodeBudget | None = None

    def out_prefix(self, job_id: str) -> str:
        return self.output_prefix.format(job_id=job_id)


def submit(ctx: StageContext, job_id: str, spec: JobSpec) -> None:
    """Store a job's spec in the work area, where every stage finds it."""
    _save(ctx.work, keys.spec(job_id), spec)


def probe(ctx: StageContext, req: ProbeRequest) -> ProbeResult:
    """Check the source's size, header and streams against the limits; index its frames."""
    try:
        size = ctx.inputs.size(req.source)
        check_size(size, ctx.limits)
        check_header(ctx.inputs.head(req.source, HEADER_BYTES))
    except NotFoundError as exc:
        raise InvalidInputError(f"source '{req.source}' does not exist") from exc
    media, index = media_probe.probe(ctx.tools, ctx.inputs.read_url(req.source))
    check_media(media, ctx.limits)
    spec = _load(ctx.work, keys.spec(req.job_id), JobSpec)
    check_trim(spec.trim, media)
    caption_outputs.check_attached(ctx.inputs, spec)
    _save(ctx.work, keys.media(req.job_id), media)
    _save(ctx.work, keys.frames(req.job_id), index)
    return ProbeResult(
        job_id=req.job_id,
        source=req.source,
        media_key=keys.media(req.job_id),
        frames_key=keys.frames(req.job_id),
        has_audio=media.audio is not None,
    )


def plan(ctx: StageContext, req: PlanRequest) -> PlanResult:
    """Cut the source into chunks and write the task list: one task a chunk."""
    spec = _load(ctx.work, keys.spec(req.job_id), JobSpec)
    media = _load(ctx.work, req.media_key, MediaInfo)
    index = _load(ctx.work, req.frames_key, FrameIndex)
    sized = job_renditions(spec, media)
    chunk_plan = plan_within_budget(
        index,
        target_seconds=spec.chunk_seconds,
        min_seconds=spec.min_chunk_seconds,
        workers=spec.workers,
        trim=spec.trim,
        renditions=sized,
        fps=media.video.fps,
        budget=ctx.encode_budget,
    )
    gop = ffmpeg_args.gop_frames(media, spec.gop_seconds)
    timescale = ffmpeg_args.track_timescale(media)
    tasks = [
        ChunkTask(
            job_id=req.job_id,
            source=req.source,
            chunk=chunk,
            renditions=sized,
            gop_frames=gop,
            timescale=timescale,
            b_frames=not media.video.variable_frame_rate,
            source_start=ffmpeg_args.header_start(media),
        )
        for chunk in (chunk_plan.chunks if sized else [])
    ]
    _save(ctx.work, keys.plan(req.job_id), chunk_plan)
    ctx.work.put_bytes(keys.tasks(req.job_id), TASKS.dump_json(tasks), "application/json")
    return PlanResult(
        job_id=req.job_id,
        source=req.source,
        tasks_key=keys.tasks(req.job_id),
        chunk_count=len(chunk_plan.chunks),
        task_count=len(tasks),
        renditions=[s.id for s in sized],
        has_audio=media.audio is not None,
    )


def load_tasks(ctx: StageContext, job_id: str) -> list[ChunkTask]:
    """The task list `plan` wrote (what the Distributed Map's ItemReader reads)."""
    return TASKS.validate_json(ctx.work.get_bytes(keys.tasks(job_id)))


def encode_chunk(ctx: StageContext, task: ChunkTask) -> EncodeChunkResult:
    """Encode one chunk to every rendition; each starts with an IDR frame."""
    done: list[RenditionChunk] = []
    with _scratch() as tmp:
        encoded = media_encode.encode_chunk(
            ctx.tools,
            ctx.inputs.read_url(task.source),
            task,
            tmp,
            ctx.encode_threads,
            ctx.decode_threads,
        )
        for rendition, (path, psnr_db) in encoded.items():
            key = keys.chunk(task.job_id, rendition, task.chunk.index)
            ctx.work.put_file(key, path, "video/mp4")
            part = RenditionChunk(
                job_id=task.job_id,
                rendition=rendition,
                chunk=task.chunk.index,
                key=key,
                frames=task.chunk.frames,
                psnr_db=psnr_db,
            )
            _save(ctx.work, keys.chunk_result(task.job_id, rendition, task.chunk.index), part)
            done.append(part)
    return EncodeChunkResult(job_id=task.job_id, chunk=task.chunk.index, renditions=done)


def encode_audio(ctx: StageContext, req: EncodeAudioRequest) -> EncodeAudioResult:
    """Encode the audio of the selected range once, or report that there is none."""
    media = _load(ctx.work, keys.media(req.job_id), MediaInfo)
    if media.audio is None:
        return EncodeAudioResult(job_id=req.job_id, key=None)
    spec = _load(ctx.work, keys.spec(req.job_id), JobSpec)
    chunk_plan = _load(ctx.work, keys.plan(req.job_id), ChunkPlan)
    bitrate = max((r.audio_bitrate_kbps for p in spec.presets for r in p.renditions), default=128)
    with _scratch() as tmp:
        out = tmp / "audio.m4a"
        media_encode.encode_audio(
            ctx.tools,
            ctx.inputs.read_url(req.source),
            media.audio,
            chunk_plan.start,
            chunk_plan.duration,
            bitrate,
            out,
            ffmpeg_args.header_start(media),
        )
        ctx.work.put_file(keys.audio(req.job_id), out, "audio/mp4")
    return EncodeAudioResult(job_id=req.job_id, key=keys.audio(req.job_id))


def stitch(ctx: StageContext, req: StitchRequest) -> StitchResult:
    """Join one rendition's chunks with their planned durations and mux the audio."""
    chunk_plan = _load(ctx.work, keys.plan(req.job_id), ChunkPlan)
    key = keys.stitched(req.job_id, req.rendition)
    with _scratch() as tmp:
        files = []
        for chunk in chunk_plan.chunks:
            local = tmp / f"{chunk.index:05d}.mp4"
            ctx.work.download(keys.chunk(req.job_id, req.rendition, chunk.index), local)
            files.append(local)
        audio = None
        if ctx.work.exists(keys.audio(req.job_id)):
            audio = tmp / "audio.m4a"
            ctx.work.download(keys.audio(req.job_id), audio)
        out = tmp / "stitched.mp4"
        media_stitch.stitch(ctx.tools, files, [c.duration for c in chunk_plan.chunks], audio, out)
        ctx.work.put_file(key, out, "video/mp4")
    return StitchResult(job_id=req.job_id, rendition=req.rendition, key=key)


def package(ctx: StageContext, req: JobRef) -> PackageResult:
    """Make every output (MP4, HLS, thumbnails, sprite), check each against the source.
    The presets, and the renditions of an HLS preset, are made side by side: each is an
    ffmpeg stream copy, probe or decode of its own."""
    spec = _load(ctx.work, keys.spec(req.job_id), JobSpec)
    media = _load(ctx.work, keys.media(req.job_id), MediaInfo)
    chunk_plan = _load(ctx.work, keys.plan(req.job_id), ChunkPlan)
    with _scratch() as tmp:
        captions = caption_outputs.caption_tracks(
            ctx.inputs, ctx.tools, spec, media, chunk_plan, tmp
        )
        packager = _Packager(ctx, req.job_id, spec, media, chunk_plan, captions)
        with ThreadPoolExecutor(len(spec.presets)) as pool:
            made = pool.map(lambda preset: packager.make(preset, tmp), spec.presets)
            records = [r for preset_records in made for r in preset_records]
    ctx.work.put_bytes(keys.outputs(req.job_id), OUTPUTS.dump_json(records), "application/json")
    return PackageResult(job_id=req.job_id, outputs_key=keys.outputs(req.job_id))


def finalize(
    ctx: StageContext, req: JobRef, timings: dict[str, float] | None = None
) -> FinalizeResult:
    """Fail on any failed QC check; otherwise write the manifest and drop the work files."""
    records = OUTPUTS.validate_json(ctx.work.get_bytes(keys.outputs(req.job_id)))
    failed = [
        f"{r.path}: {c.name} expected {c.expected}, got {c.actual}"
        for r in records
        if r.qc is not None
        for c in r.qc.checks
        if not c.passed
    ]
    if failed:
        raise QualityCheckError("quality control failed: " + "; ".join(failed))
    spec = _load(ctx.work, keys.spec(req.job_id), JobSpec)
    chunk_plan = _load(ctx.work, keys.plan(req.job_id), ChunkPlan)
    media = _load(ctx.work, keys.media(req.job_id), MediaInfo)
    index = _load(ctx.work, keys.frames(req.job_id), FrameIndex)
    manifest = Manifest(
        job_id=req.job_id,
        source=spec.source,
        media=media,
        trim=spec.trim,
        chunk_count=len(chunk_plan.chunks),
        outputs=records,
        timings=timings or {},
        estimate=job_estimate(
            spec, media, index, chunk_plan, Platform(lambdas=spec.workers), timings
        ),
    )
    key = keys.manifest(ctx.out_prefix(req.job_id))
    _save(ctx.outputs, key, manifest)
    ctx.work.delete_prefix(keys.work_prefix(req.job_id))
    return FinalizeResult(job_id=req.job_id, manifest_key=key, status="SUCCEEDED")


def fail(ctx: StageContext, req: FailRequest) -> FailResult:
    """Remove a failed job's work files (and its partial outputs when they have their own
    prefix); report the reason in words."""
    ctx.work.delete_prefix(keys.work_prefix(req.job_id))
    prefix = ctx.out_prefix(req.job_id)
    if prefix:
        ctx.outputs.delete_prefix(prefix)
    return FailResult(job_id=req.job_id, status="FAILED", error=failure_reason(req))


def failure_reason(req: FailRequest) -> str:
    """`Error: message`, taking the message out of a Lambda error cause when it is JSON."""
    message = req.cause
    try:
        parsed = json.loads(req.cause)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and parsed.get("errorMessage"):
        message = str(parsed["errorMessage"])
    return f"{req.error}: {message}" if message else req.error


def job_estimate(
    spec: JobSpec,
    media: MediaInfo,
    index: FrameIndex,
    chunk_plan: ChunkPlan,
    platform: Platform,
    measured: dict[str, float] | None = None,
) -> JobEstimate:
    """The cost model's prediction for this job on `platform` (measured seconds beside)."""
    return estimate(
        media,
        index,
        chunk_plan,
        job_renditions(spec, media),
        load_calibration(),
        platform,
        thumbnails=any(p.kind == "thumbnails" for p in spec.presets),
        measured=measured,
    )


def job_renditions(spec: JobSpec, media: MediaInfo) -> list[SizedRendition]:
    """The distinct video encodes all presets of a job need (shared rungs encoded once)."""
    found: dict[str, SizedRendition] = {}
    for preset in spec.presets:
        for sized in renditions_for(preset, media):
            found.setdefault(sized.id, sized)
    return list(found.values())


class _Packager:
    """Makes the outputs of each preset from the stitched renditions, with QC."""

    def __init__(
        self,
        ctx: StageContext,
        job_id: str,
        spec: JobSpec,
        media: MediaInfo,
        plan: ChunkPlan,
        captions: list[caption_outputs.CaptionTrack],
    ) -> None:
        self.ctx, self.job_id, self.spec, self.media, self.plan = ctx, job_id, spec, media, plan
        self.captions = captions
        self.source = ctx.inputs.read_url(spec.source)
        self.expect: Expectation = expectation(media, plan, spec.min_psnr_db)
        self.gop = ffmpeg_args.gop_frames(media, spec.gop_seconds)
        self.prefix = ctx.out_prefix(job_id)
        self._stitched: dict[str, Path] = {}
        self._stitching: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._psnr: dict[str, float] = {}

    def make(self, preset: Preset, tmp: Path) -> list[OutputRecord]:
        if preset.kind == "mp4":
            sidecars = caption_outputs.write_sidecars(
                self.ctx.outputs, self.prefix, preset.name, self.captions
            )
            return [self._mp4(preset, tmp), *sidecars]
        if preset.kind == "hls":
            return self._hls(preset, tmp)
        return self._thumbnails(preset, tmp)

    def _mp4(self, preset: Preset, tmp: Path) -> OutputRecord:
        sized = renditions_for(preset, self.media)[0]
        local = self._stitched_file(sized, tmp)
        path = f"{preset.name}.mp4"
        qc = self._qc(str(local), sized)
        self._upload(local, path, "video/mp4")
        return self._video_record(preset, "mp4", path, sized, qc, [path])

    def _hls(self, preset: Preset, tmp: Path) -> list[OutputRecord]:
        sizes = renditions_for(preset, self.media)
        with ThreadPoolExecutor(len(sizes)) as pool:
            made = list(pool.map(lambda sized: self._hls_rendition(preset, sized, tmp), sizes))
        records = [record for record, _ in made]
        variants = [variant for _, variant in made]
        master = f"{preset.name}/master.m3u8"
        subtitle_records, subtitles = caption_outputs.write_hls(
            self.ctx.outputs, self.prefix, preset.name, self.captions, self.plan.duration
        )
        self.ctx.outputs.put_bytes(
            self.prefix + master,
            hls.master_playlist(variants, subtitles).encode(),
            "application/vnd.apple.mpegurl",
        )
        combined = QCResult(
            passed=all(r.qc is not None and r.qc.passed for r in records),
            checks=[
                c.model_copy(update={"name": f"{r.rendition}.{c.name}"})
                for r in records
                if r.qc is not None
                for c in r.qc.checks
            ],
        )
        top = OutputRecord(
            preset=preset.name,
            kind="hls",
            path=master,
            duration=records[0].duration,
            frames=records[0].frames,
            files=[master, *(f for r in records for f in r.files)],
            qc=combined,
        )
        return [top, *records, *subtitle_records]

    def _hls_rendition(
        self, preset: Preset, sized: SizedRendition, tmp: Path
    ) -> tuple[OutputRecord, hls.Variant]:
        stitched = self._stitched_file(sized, tmp)
        folder = tmp / "out" / preset.name / sized.rendition.name
        playlist = media_hls.package_rendition(
            self.ctx.tools, stitched, folder, preset.segment_seconds
        )
        uri = f"{sized.rendition.name}/index.m3u8"
        variant = media_hls.describe_variant(
            self.ctx.tools, playlist, stitched, uri, sized.width, sized.height
        )
        files = self._upload_folder(folder, f"{preset.name}/{sized.rendition.name}")
        record = self._video_record(
            preset, "hls", f"{preset.name}/{uri}", sized, self._qc(str(playlist), sized), files
        )
        return record.model_copy(update={"bandwidth": variant.bandwidth}), variant

    def _thumbnails(self, preset: Preset, tmp: Path) -> list[OutputRecord]:
        spec = preset.thumbnails
        assert spec is not None  # guaranteed by Preset validation
        folder = tmp / "out" / preset.name
        video = self.media.video
        plan = self.plan
        times = _load(self.ctx.work, keys.frames(self.job_id), FrameIndex).times
        thumb_buckets = frame_buckets(times, plan.start, plan.end, spec.interval_seconds)
        sprite_buckets = frame_buckets(times, plan.start, plan.end, spec.sprite_interval_seconds)
        thumbs = media_thumbnails.make_thumbnails(
            self.ctx.tools, self.source, folder / "thumbs", spec, plan.start, plan.duration
        )
        sheets, vtt = media_thumbnails.make_sprite(
            self.ctx.tools,
            self.source,
            folder / "sprite",
            spec,
            plan.duration,
            width=video.display_width,
            height=video.display_height,
            buckets=sprite_buckets,
            start=plan.start,
        )
        layout = sprite_layout(spec, len(sprite_buckets), video.display_width, video.display_height)
        expected_thumbs = len(thumb_buckets)
        thumb_files = self._upload_folder(folder / "thumbs", f"{preset.name}/thumbs")
        sprite_files = self._upload_folder(folder / "sprite", f"{preset.name}/sprite")
        return [
            OutputRecord(
                preset=preset.name,
                kind="thumbnails",
                path=thumb_files[0],
                width=spec.width,
                files=thumb_files,
                qc=_count_check("thumbnail_count", expected_thumbs, len(thumbs)),
            ),
            OutputRecord(
                preset=preset.name,
                kind="sprite",
                path=f"{preset.name}/sprite/{vtt.name}",
                width=layout.tile_width,
                height=layout.tile_height,
                files=sprite_files,
                qc=_count_check("sprite_sheets", layout.sheets, len(sheets)),
            ),
        ]

    def _video_record(
        self,
        preset: Preset,
        kind: str,
        path: str,
        sized: SizedRendition,
        qc: QCResult,
        files: list[str],
    ) -> OutputRecord:
        trim = None
        if self.spec.trim is not None:
            trim = ffmpeg_args.trim_filter(
                self.plan.chunks[0].select_from, self.plan.chunks[-1].select_to
            )
        return OutputRecord.model_validate(
            {
                "preset": preset.name,
                "kind": kind,
                "path": path,
                "rendition": sized.rendition.name,
                "width": sized.width,
                "height": sized.height,
                "duration": _measured(qc, "duration"),
                "frames": int(_measured(qc, "frame_count")),
                "encoder_args": ffmpeg_args.encoder_args(
                    sized,
                    self.gop,
                    trim_filter=trim,
                    b_frames=not self.media.video.variable_frame_rate,
                    chunk_starts=[c.start - self.plan.start for c in self.plan.chunks],
                ),
                "files": files,
                "qc": qc,
            }
        )

    def _qc(self, path: str, sized: SizedRendition) -> QCResult:
        measured = media_qc.measure(self.ctx.tools, path)
        return judge(self.expect, measured.model_copy(update={"psnr_db": self._psnr_of(sized)}))

    def _psnr_of(self, sized: SizedRendition) -> float:
        """Mean luma PSNR of a rendition, from every frame as its chunk encodes measured it."""
        if sized.id not in self._psnr:
            results = [
                _load(
                    self.ctx.work,
                    keys.chunk_result(self.job_id, sized.id, c.index),
                    RenditionChunk,
                )
                for c in self.plan.chunks
            ]
            self._psnr[sized.id] = combined_psnr([(r.frames, r.psnr_db) for r in results])
        return self._psnr[sized.id]

    def _stitched_file(self, sized: SizedRendition, tmp: Path) -> Path:
        """The stitched rendition, downloaded once for every preset that uses it."""
        with self._lock:
            lock = self._stitching.setdefault(sized.id, threading.Lock())
        with lock:
            if sized.id not in self._stitched:
                local = tmp / "stitched" / f"{sized.id}.mp4"
                local.parent.mkdir(parents=True, exist_ok=True)
                self.ctx.work.download(keys.stitched(self.job_id, sized.id), local)
                self._stitched[sized.id] = local
            return self._stitched[sized.id]

    def _upload(self, local: Path, path: str, content_type: str | None = None) -> None:
        self.ctx.outputs.put_file(self.prefix + path, local, content_type)

    def _upload_folder(self, folder: Path, path: str) -> list[str]:
        names = []
        for file in sorted(folder.iterdir()):
            rel = f"{path}/{file.name}"
            self._upload(file, rel, _content_type(file.suffix))
            names.append(rel)
        return names


def _count_check(name: str, expected: int, actual: int) -> QCResult:
    check = QCCheck(name=name, passed=expected == actual, expected=expected, actual=actual)
    return QCResult(passed=check.passed, checks=[check])


def _measured(qc: QCResult, name: str) -> float:
    return next(float(str(c.actual)) for c in qc.checks if c.name == name)


def _content_type(suffix: str) -> str | None:
    return {
        ".m3u8": "application/vnd.apple.mpegurl",
        ".m4s": "video/iso.segment",
        ".mp4": "video/mp4",
        ".jpg": "image/jpeg",
        ".vtt": "text/vtt",
    }.get(suffix)


def _save(storage: Storage, key: str, model: BaseModel) -> None:
    storage.put_bytes(key, model.model_dump_json().encode(), "application/json")


def _load(storage: Storage, key: str, model: type[M]) -> M:
    return model.model_validate_json(storage.get_bytes(key))


@contextmanager
def _scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="mpr-") as tmp:
        yield Path(tmp)
