"""One function per pipeline stage: payload in, payload out.

The Lambda handlers and the local worker pool call these same functions with the same
payloads; storage is reached only through the ports, media only through `mpr.media`, and
the outputs are made by `mpr.packaging`.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, TypeAdapter

from mpr import caption_outputs
from mpr.core import audio, ffmpeg_args, keys, outputs
from mpr.core.audio_budget import AudioBudget, check_audio
from mpr.core.encode_budget import EncodeBudget, EncodeWork, plan_within_budget
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
from mpr.core.safety import check_header
from mpr.core.stitch_budget import StitchBudget, check_stitches
from mpr.core.validation import Limits, check_media, check_size, check_trim
from mpr.media import encode as media_encode
from mpr.media import probe as media_probe
from mpr.media import stitch as media_stitch
from mpr.media.calibration import load_calibration
from mpr.media.tools import Tools
from mpr.packaging import audio_only, images, progressive, segmented
from mpr.packaging import job as packaging_job
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
    stitch_budget: StitchBudget | None = None  # None: a stitch has the room it needs
    audio_budget: AudioBudget | None = None  # None: the audio task has the room it needs
    scratch_dir: Path | None = None  # where stages write temporary files; None: the system's

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
    found, index = media_probe.probe(ctx.tools, ctx.inputs.read_url(req.source))
    check_media(found, ctx.limits)
    spec = _load(ctx.work, keys.spec(req.job_id), JobSpec)
    check_trim(spec.trim, found)
    media = audio.select_tracks(found, spec.audio_languages)
    audio.check_audio_presets(spec.presets, media)
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
        work=EncodeWork(media.video, sized, load_calibration()),
        budget=ctx.encode_budget,
    )
    if ctx.stitch_budget is not None:
        check_stitches(ctx.stitch_budget, spec.presets, media, chunk_plan.duration)
    if ctx.audio_budget is not None:
        check_audio(ctx.audio_budget, spec, len(media.audio_tracks), chunk_plan.duration)
    gop = ffmpeg_args.gop_frames(media, spec.gop_seconds)
    timescale = ffmpeg_args.track_timescale(media)
    stitched = outputs.stitched_renditions(spec, media)
    segments = outputs.segment_targets(spec, media)
    pictures = outputs.PictureSchedule(spec, media, index, chunk_plan)
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
            offset=chunk.start - chunk_plan.start,
            stitched=stitched,
            segments=segments,
            pictures=pictures.for_chunk(chunk),
        )
        for chunk in outputs.chunks_to_run(chunk_plan, bool(sized), pictures)
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
        stitched=stitched if sized else [],
    )


def load_tasks(ctx: StageContext, job_id: str) -> list[ChunkTask]:
    """The task list `plan` wrote (what the Distributed Map's ItemReader reads)."""
    return TASKS.validate_json(ctx.work.get_bytes(keys.tasks(job_id)))


def encode_chunk(ctx: StageContext, task: ChunkTask) -> EncodeChunkResult:
    """Encode one chunk to every rendition (each starts with an IDR frame) and, from the
    same decode, its pictures; segment each HLS rung; keep what an MP4 output stitches."""
    done: list[RenditionChunk] = []
    with _scratch(ctx) as tmp:
        pictures = images.chunk_outputs(task, tmp / "pictures")
        encoded = media_encode.encode_chunk(
            ctx.tools,
            ctx.inputs.read_url(task.source),
            task,
            tmp,
            ctx.encode_threads,
            ctx.decode_threads,
            pictures,
        )
        images.store_chunk_pictures(ctx.tools, ctx.work, task, tmp / "pictures")
        for rendition, (path, psnr_db) in encoded.items():
            key = keys.chunk(task.job_id, rendition, task.chunk.index)
            if task.stitched is None or rendition in task.stitched:
                ctx.work.put_file(key, path, "video/mp4")
            part = RenditionChunk(
                job_id=task.job_id,
                rendition=rendition,
                chunk=task.chunk.index,
                key=key,
                frames=task.chunk.frames,
                psnr_db=psnr_db,
                hls={
                    target.preset: segmented.segment_chunk(
                        ctx.tools, ctx.work, task, target, path, tmp / "hls" / target.key
                    )
                    for target in task.segments
                    if target.rendition == rendition
                },
            )
            _save(ctx.work, keys.chunk_result(task.job_id, rendition, task.chunk.index), part)
            done.append(part)
    return EncodeChunkResult(job_id=task.job_id, chunk=task.chunk.index, renditions=done)


def encode_audio(ctx: StageContext, req: EncodeAudioRequest) -> EncodeAudioResult:
    """Encode every carried audio track of the selected range once per audio encoding of
    the job (one task for all tracks: the source is read once an encoding, and a stereo
    AAC track costs about 1/95 of its length in CPU time), segment each track for each HLS
    and CMAF preset, or report that there is none (no track, or no output that plays
    audio)."""
    media = _load(ctx.work, keys.media(req.job_id), MediaInfo)
    spec = _load(ctx.work, keys.spec(req.job_id), JobSpec)
    wanted = audio.encodings(spec)
    if not media.audio_tracks or not wanted:
        return EncodeAudioResult(job_id=req.job_id, key=None)
    chunk_plan = _load(ctx.work, keys.plan(req.job_id), ChunkPlan)
    tags = track_tags(media)
    with _scratch(ctx) as tmp:
        for encoding in wanted:
            out = tmp / f"{encoding.id}.mp4"
            tracks = [
                ffmpeg_args.AudioTrackEncode(
                    index=track.index,
                    sample_rate=audio.sample_rate(encoding, track),
                    channels=audio.channels(track),
                    tags=tag,
                )
                for track, tag in zip(media.audio_tracks, tags, strict=True)
            ]
            media_encode.encode_audio(
                ctx.tools,
                ctx.inputs.read_url(req.source),
                tracks,
                encoding,
                chunk_plan.start,
                chunk_plan.duration,
                out,
                ffmpeg_args.header_start(media),
            )
            ctx.work.put_file(keys.audio(req.job_id, encoding.id), out, "audio/mp4")
        played = audio.video_encoding(spec)
        for preset in spec.presets:
            if preset.segmented and played is not None:
                segmented.segment_audio(
                    ctx.tools, ctx.work, req.job_id, preset, tmp / f"{played.id}.mp4", media, tmp
                )
    return EncodeAudioResult(job_id=req.job_id, key=keys.audio(req.job_id, wanted[0].id))


def track_tags(media: MediaInfo) -> list[ffmpeg_args.TrackTags]:
    """The language and default disposition of each carried audio track in an MP4."""
    return [
        ffmpeg_args.TrackTags(language=label.mp4_language, default=label.default)
        for label in audio.labels(media.audio_tracks)
    ]


def stitch(ctx: StageContext, req: StitchRequest) -> StitchResult:
    """Join one rendition's chunks with their planned durations and mux every audio track. The
    chunks are fetched side by side (a store's latency, not its bandwidth, bounds many small
    sequential downloads)."""
    chunk_plan = _load(ctx.work, keys.plan(req.job_id), ChunkPlan)
    key = keys.stitched(req.job_id, req.rendition)
    with _scratch(ctx) as tmp, ThreadPoolExecutor(packaging_job.pool_size()) as pool:
        files = [tmp / f"{chunk.index:05d}.mp4" for chunk in chunk_plan.chunks]
        fetched = pool.map(
            lambda chunk, local: ctx.work.download(
                keys.chunk(req.job_id, req.rendition, chunk.index), local
            ),
            chunk_plan.chunks,
            files,
        )
        list(fetched)  # raises the first failed download
        media = _load(ctx.work, keys.media(req.job_id), MediaInfo)
        encoding = audio.video_encoding(_load(ctx.work, keys.spec(req.job_id), JobSpec))
        sound = None
        if encoding is not None and media.audio_tracks:
            sound = tmp / "audio.mp4"
            ctx.work.download(keys.audio(req.job_id, encoding.id), sound)
        out = tmp / "stitched.mp4"
        media_stitch.stitch(
            ctx.tools,
            files,
            [c.duration for c in chunk_plan.chunks],
            sound,
            out,
            track_tags(media),
        )
        ctx.work.put_file(key, out, "video/mp4")
    return StitchResult(job_id=req.job_id, rendition=req.rendition, key=key)


def package(ctx: StageContext, req: JobRef) -> PackageResult:
    """Make every output from what the chunk tasks and the stitch wrote, each checked
    against the source: playlists (and DASH manifests) over the chunks' segments, the
    stitched MP4s, the thumbnails and sprite sheets. One bounded pool does the copies and
    small reads."""
    spec = _load(ctx.work, keys.spec(req.job_id), JobSpec)
    records: list[OutputRecord] = []
    with _scratch(ctx) as tmp, ThreadPoolExecutor(packaging_job.pool_size()) as pool:
        job = packaging_job.PackagingJob(
            work=ctx.work,
            outputs=ctx.outputs,
            tools=ctx.tools,
            job_id=req.job_id,
            spec=spec,
            media=_load(ctx.work, keys.media(req.job_id), MediaInfo),
            plan=_load(ctx.work, keys.plan(req.job_id), ChunkPlan),
            prefix=ctx.out_prefix(req.job_id),
            pool=pool,
        )
        captions = caption_outputs.caption_tracks(
            ctx.inputs, ctx.tools, spec, job.media, job.plan, tmp
        )
        for preset in spec.presets:
            if preset.kind == "mp4":
                records += progressive.package(job, preset)
                records += caption_outputs.write_sidecars(
                    ctx.outputs, job.prefix, preset.name, captions
                )
            elif preset.kind == "audio":
                records += audio_only.package(job, preset)
            elif preset.segmented:
                subtitle_records, subtitles = caption_outputs.write_hls(
                    ctx.outputs, job.prefix, preset.name, captions, job.plan.duration
                )
                records += segmented.package(job, preset, subtitles)
                records += subtitle_records
            else:
                records += images.package(job, preset, tmp)
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
    """The cost model's prediction for this job on `platform` (measured seconds beside): the
    chunk tasks `plan` writes and the audio task's encodings."""
    sized = job_renditions(spec, media)
    stitched_ids = set(outputs.stitched_renditions(spec, media))
    pictures = outputs.PictureSchedule(spec, media, index, chunk_plan)
    return estimate(
        media,
        index,
        chunk_plan,
        sized,
        load_calibration(),
        platform,
        stitched=[r for r in sized if r.id in stitched_ids],
        tasks=outputs.chunks_to_run(chunk_plan, bool(sized), pictures),
        audio_encodings=len(audio.encodings(spec)),
        measured=measured,
    )


def job_renditions(spec: JobSpec, media: MediaInfo) -> list[SizedRendition]:
    """The distinct video encodes all presets of a job need (shared rungs encoded once)."""
    found: dict[str, SizedRendition] = {}
    for preset in spec.presets:
        for sized in renditions_for(preset, media):
            found.setdefault(sized.id, sized)
    return list(found.values())


def _save(storage: Storage, key: str, model: BaseModel) -> None:
    storage.put_bytes(key, model.model_dump_json().encode(), "application/json")


def _load(storage: Storage, key: str, model: type[M]) -> M:
    return model.model_validate_json(storage.get_bytes(key))


@contextmanager
def _scratch(ctx: StageContext) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="mpr-", dir=ctx.scratch_dir) as tmp:
        yield Path(tmp)
