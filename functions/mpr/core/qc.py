"""Quality control rules: what an output must measure against the source (pure)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from mpr.core.audio import TrackExpectation
from mpr.core.models import DEFAULT_MIN_PSNR_DB, ChunkPlan, MediaInfo, QCCheck, QCResult


class Expectation(BaseModel):
    """What every video output of a job must show."""

    model_config = ConfigDict(frozen=True)

    frames: int
    duration: float
    frame_duration: float
    duration_tolerance: float
    has_audio: bool
    av_offset: float = 0.0
    min_psnr_db: float = DEFAULT_MIN_PSNR_DB


class Measurement(BaseModel):
    """What probing an output found."""

    model_config = ConfigDict(frozen=True)

    frames: int
    duration: float
    has_audio: bool
    video_start: float = 0.0
    audio_start: float | None = None
    psnr_db: float | None = None


JOIN_TOLERANCE = 0.0005
"""Seconds a chunk's first frame may sit off the end of the segments before it (ffmpeg
states segment times to the microsecond)."""

_VSTATS_PSNR = re.compile(r"PSNR=\s*(inf|[0-9.]+)")


def vstats_psnrs(text: str) -> list[float]:
    """The luma PSNR of every frame, in order, from the `-vstats_file` of an ffmpeg whose
    one x264 encoder measures it (`-flags +psnr`).

    ffmpeg writes a line per encoded frame of every video output, in several pieces, from
    each encoder's thread, so the lines of different outputs can mix; each `PSNR=` piece is
    written whole, and only the measuring encoder writes one.
    """
    return [math.inf if db == "inf" else float(db) for db in _VSTATS_PSNR.findall(text)]


def mean_psnr(frame_psnrs: list[float]) -> float:
    """PSNR of the mean squared error of frames given by their PSNRs (frames weigh equally,
    as in ffmpeg's psnr filter; x264's own summary weighs them by duration)."""
    mse = sum(10 ** (-db / 10) for db in frame_psnrs) / len(frame_psnrs)
    return math.inf if mse == 0 else -10 * math.log10(mse)


def combined_psnr(parts: list[tuple[int, float]]) -> float:
    """Mean PSNR of a whole output from (frames, mean PSNR) of each of its chunks."""
    return mean_psnr([db for frames, db in parts for _ in range(frames)])


def expectation(
    media: MediaInfo, plan: ChunkPlan, min_psnr_db: float = DEFAULT_MIN_PSNR_DB
) -> Expectation:
    """Outputs keep every selected frame, last as long, and keep A/V where the source had it.

    Durations may differ by one frame; with a variable frame rate, by the longest frame
    interval (encoders assign the last frame a duration of their own).

    Audio before the first selected frame is cut, and audio starting after it is preceded
    by silence (`ffmpeg_args.audio_encode`), so every output's audio starts with its video.
    """
    return Expectation(
        frames=plan.total_frames,
        duration=plan.duration,
        frame_duration=plan.duration / plan.total_frames,
        duration_tolerance=max(plan.duration / plan.total_frames, media.video.max_frame_interval),
        has_audio=media.audio is not None,
        min_psnr_db=min_psnr_db,
    )


def judge(expected: Expectation, measured: Measurement) -> QCResult:
    """Compare a measured output with the expectation; every check is reported."""
    tolerance = expected.frame_duration
    checks = [
        QCCheck(
            name="frame_count",
            passed=measured.frames == expected.frames,
            expected=expected.frames,
            actual=measured.frames,
        ),
        QCCheck(
            name="duration",
            passed=abs(measured.duration - expected.duration) <= expected.duration_tolerance + 1e-6,
            expected=round(expected.duration, 6),
            actual=round(measured.duration, 6),
            detail=f"within one frame ({expected.duration_tolerance * 1000:.1f} ms)",
        ),
        QCCheck(
            name="audio_present",
            passed=measured.has_audio == expected.has_audio,
            expected=str(expected.has_audio).lower(),
            actual=str(measured.has_audio).lower(),
        ),
    ]
    if expected.has_audio and measured.audio_start is not None:
        offset = measured.audio_start - measured.video_start
        checks.append(
            QCCheck(
                name="av_offset",
                passed=abs(offset - expected.av_offset) < tolerance,
                expected=round(expected.av_offset, 6),
                actual=round(offset, 6),
                detail="audio start minus video start, under one frame of the source's",
            )
        )
    if measured.psnr_db is not None:
        checks.append(
            QCCheck(
                name="psnr",
                passed=measured.psnr_db >= expected.min_psnr_db,
                expected=expected.min_psnr_db,
                actual=round(measured.psnr_db, 3),
                detail="mean luma PSNR (dB) of every frame vs the scaled source, by the encoder",
            )
        )
    return QCResult(passed=all(c.passed for c in checks), checks=checks)


def chunk_joins(starts: Sequence[float], durations: Sequence[float]) -> QCCheck:
    """Each chunk's first frame (as read back from its segments) where the chunks before it
    end, by their segments' durations, within `JOIN_TOLERANCE`."""
    off, elapsed = 0, 0.0
    for start, duration in zip(starts, durations, strict=True):
        if abs(start - starts[0] - elapsed) > JOIN_TOLERANCE:
            off += 1
        elapsed += duration
    return QCCheck(
        name="chunk_joins",
        passed=off == 0,
        expected=0,
        actual=off,
        detail="chunks whose first frame is not where the segments before them end",
    )


def one_codec_config(configs: Sequence[str]) -> QCCheck:
    """Every chunk made with the decoder configuration (SPS/PPS) of the first, whose init
    segment serves them all."""
    off = sum(1 for config in configs if config != configs[0])
    return QCCheck(
        name="codec_config",
        passed=off == 0,
        expected=0,
        actual=off,
        detail="chunks whose decoder configuration differs from the init segment's",
    )


AUDIO_START_TOLERANCE = 0.001
"""Seconds an audio track's first sample may sit off its expected start (segment and MP4
times are stated to the microsecond; an encoder's priming is hidden, never played)."""


class AudioMeasurement(BaseModel):
    """What probing one audio track of an output found; `samples` where they were counted."""

    model_config = ConfigDict(frozen=True)

    start: float
    duration: float
    samples: int | None = None


def audio_checks(
    expected: Sequence[TrackExpectation], measured: Sequence[AudioMeasurement]
) -> list[QCCheck]:
    """Every carried track present, each starting where expected and lasting as long as the
    source's track does in the range (within one codec frame), its samples as many."""
    checks = [
        QCCheck(
            name="audio_tracks",
            passed=len(measured) == len(expected),
            expected=len(expected),
            actual=len(measured),
        )
    ]
    for i, (want, got) in enumerate(zip(expected, measured, strict=False)):
        checks += [
            QCCheck(
                name=f"audio.{i}.start",
                passed=abs(got.start - want.start) <= AUDIO_START_TOLERANCE,
                expected=round(want.start, 6),
                actual=round(got.start, 6),
            ),
            QCCheck(
                name=f"audio.{i}.duration",
                passed=abs(got.duration - want.duration) <= want.tolerance,
                expected=round(want.duration, 6),
                actual=round(got.duration, 6),
                detail=f"within one codec frame ({want.tolerance * 1000:.1f} ms)",
            ),
        ]
        if got.samples is not None:
            samples = round(want.duration * want.sample_rate)
            checks.append(
                QCCheck(
                    name=f"audio.{i}.samples",
                    passed=abs(got.samples - samples) <= round(want.tolerance * want.sample_rate),
                    expected=samples,
                    actual=got.samples,
                    detail=f"decoded samples at {want.sample_rate} Hz, within one codec frame",
                )
            )
    return checks
