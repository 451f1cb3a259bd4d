"""`mpr transcode` end to end on the hard cases: exact frames, durations, A/V offsets, PSNR.

Every expectation here is measured from the source with ffprobe, independently of the
pipeline's own QC, and every output of every job is checked.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

from mpr.settings import get_settings
from tests.support.cli import transcoded
from tests.support.media import Facts, facts, hls_rungs, psnr, sound_start

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Case:
    clip: str
    trim: tuple[float, float] | None = None
    chunk_seconds: float = 3.0


CASES = {
    "cfr": Case("cfr"),
    "vfr": Case("vfr"),
    "open_gop_b_frames": Case("open_gop"),
    "one_keyframe": Case("one_keyframe"),
    "odd_size": Case("odd_size"),
    "rotated": Case("rotated"),
    "late_start": Case("late_start"),
    "no_audio": Case("no_audio"),
    "long_audio": Case("long_audio"),
    "late_audio": Case("late_audio"),
    "late_audio_trimmed": Case("late_audio", trim=(1.0, 4.0), chunk_seconds=1.0),
    "late_video": Case("late_video"),
    "crowded_times": Case("crowded_times"),
    "trimmed": Case("cfr", trim=(1.3, 4.7), chunk_seconds=1.0),
}


def transcode(source: Path, out: Path, *args: str) -> dict[str, object]:
    """Run the real CLI; return the manifest."""
    return transcoded(source, out, *args)


def selected(source: Facts, trim: tuple[float, float] | None) -> list[float]:
    """Source frame times inside the trim range."""
    if trim is None:
        return source.frame_times
    return [t for t in source.frame_times if trim[0] - 1e-6 <= t < trim[1] - 1e-6]


@pytest.mark.parametrize("name", list(CASES))
def test_every_output_keeps_frames_timing_and_sync(
    name: str, clip: Callable[[str], Path], tmp_path: Path
) -> None:
    # Given a source with one known difficulty
    case = CASES[name]
    source = clip(case.clip)
    src = facts(source)
    args = [
        "--preset",
        "mp4-720p",
        "--preset",
        "hls-ladder",
        "--workers",
        "2",
        "--chunk-seconds",
        str(case.chunk_seconds),
    ]
    if case.trim:
        args += ["--trim-start", str(case.trim[0]), "--trim-end", str(case.trim[1])]

    # When it is transcoded in chunks
    manifest = transcode(source, tmp_path, *args)

    # Then every video output holds exactly the selected frames at the source's times
    frames = selected(src, case.trim)
    first = frames[0]
    src_end = (
        src.frame_times[src.frame_times.index(frames[-1]) + 1]
        if (frames[-1] != src.frame_times[-1])
        else src.frame_times[0] + src.video_duration
    )
    expected_duration = src_end - first
    gaps = [b - a for a, b in pairwise(frames)]
    frame = max(gaps)
    outputs = manifest["outputs"]
    assert isinstance(outputs, list)
    videos = [o for o in outputs if o["kind"] in ("mp4", "hls") and o["rendition"]]
    assert videos, "no video outputs"
    master = next(o for o in outputs if o["kind"] == "hls" and o["rendition"] is None)
    master_path = tmp_path / master["path"]
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    rungs = {master_path.parent / r.uri: r for r in hls_rungs(master_path, scratch)}
    for output in videos:
        path = tmp_path / output["path"]
        out = rungs[path].facts if output["kind"] == "hls" else facts(path)
        assert len(out.frame_times) == len(frames), output["path"]
        assert output["frames"] == len(frames)
        shifted = [t - out.frame_times[0] for t in out.frame_times]
        assert max(abs(a - (b - first)) for a, b in zip(shifted, frames, strict=True)) < 1e-3
        assert abs(out.video_duration - expected_duration) <= frame + 1e-6, output["path"]
        # audio present iff the source has it, its track starting with the video and its
        # sound where the source's is (both within one frame)
        assert (out.audio_start is not None) == (src.audio_start is not None)
        if out.audio_start is not None and src.audio_start is not None:
            assert abs(out.audio_start - out.video_start) < min(gaps)
            expected_sound = max(0.0, sound_start(source) - first)
            if output["kind"] == "hls":  # the variant plays the audio rendition
                audio = rungs[path].audio
                assert audio is not None
                out_sound = sound_start(audio) + out.audio_start - out.video_start
            else:
                out_sound = sound_start(path) - out.video_start
            assert abs(out_sound - expected_sound) < min(gaps), (out_sound, expected_sound)
            assert out.audio_duration is not None
            src_audio_end = src.audio_start + (src.audio_duration or 0)
            assert out.audio_duration <= min(expected_duration, src_audio_end - first) + 0.05
        # the picture keeps the display aspect, even dimensions
        assert out.width % 2 == 0
        assert out.height % 2 == 0
        assert output["qc"]["passed"] is True
    # the HLS master names every variant with bandwidth, resolution and codecs
    variants = [o for o in videos if o["kind"] == "hls"]
    assert len(rungs) == len(variants)
    for v in variants:
        rung = rungs[tmp_path / v["path"]]
        assert rung.resolution == (v["width"], v["height"]) == (rung.facts.width, rung.facts.height)
        assert rung.bandwidth == v["bandwidth"]
        assert rung.codecs.startswith("avc1.")
        assert ("mp4a.40.2" in rung.codecs) == (src.audio_start is not None)
        # and its segments join with no discontinuity: each starts on a keyframe, decoded
        # on its own, exactly where the playlist's durations before it end
        assert rung.discontinuities == 0
        elapsed = 0.0
        for segment in rung.segments:
            assert segment.starts_with_key
            assert abs(segment.frame_times[0] - rung.facts.video_start - elapsed) < 1e-3
            elapsed += segment.duration
        assert abs(elapsed - expected_duration) < 1e-3
        # and each segment's samples last exactly until the next one's first decode time
        for before, after in pairwise(rung.segments):
            assert abs(before.decode_end - after.decode_start) < 1e-4, rung.uri


@pytest.mark.parametrize("name", ["cfr", "vfr", "trimmed", "rotated", "late_start"])
def test_chunked_mp4_matches_single_pass_quality(
    name: str, clip: Callable[[str], Path], tmp_path: Path
) -> None:
    # Given a chunked transcode (at least two chunks) and a plain single-pass ffmpeg with its
    # encoder_args (same settings, IDR frames forced where the chunks start)
    case = CASES[name]
    source = clip(case.clip)
    args = ["--preset", "mp4-720p", "--workers", "2", "--chunk-seconds", str(case.chunk_seconds)]
    if case.trim:
        args += ["--trim-start", str(case.trim[0]), "--trim-end", str(case.trim[1])]
    manifest = transcode(source, tmp_path / "chunked", *args)
    output = next(o for o in manifest["outputs"] if o["kind"] == "mp4")  # type: ignore[union-attr]
    single = tmp_path / "single.mp4"
    subprocess.run(
        [
            get_settings().ffmpeg,
            "-v",
            "error",
            "-y",
            "-i",
            str(source),
            *output["encoder_args"],
            "-an",
            str(single),
        ],
        check=True,
    )
    chunk_count = manifest["chunk_count"]
    assert isinstance(chunk_count, int)
    assert chunk_count >= 2

    # When both are measured against the source over every frame
    vf = output["encoder_args"][1].split(",scale=")[0] if case.trim else ""
    chunked_db = psnr(
        tmp_path / "chunked" / output["path"], source, output["width"], output["height"], vf
    )
    single_db = psnr(single, source, output["width"], output["height"], vf)

    # Then chunking costs at most 0.2 dB
    assert len(facts(single).frame_times) == output["frames"]
    assert chunked_db > 30
    assert abs(chunked_db - single_db) <= 0.2, (chunked_db, single_db)
    # and the QC figure (the encoder's per-frame luma PSNR, combined over chunks) is the luma
    # PSNR of the decoded output against the source
    qc = next(c for c in output["qc"]["checks"] if c["name"] == "psnr")
    luma = psnr(
        tmp_path / "chunked" / output["path"], source, output["width"], output["height"], vf, "y"
    )
    assert abs(qc["actual"] - luma) <= 0.02, (qc["actual"], luma)
