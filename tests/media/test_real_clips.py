"""Real, non-synthetic clips through the whole pipeline, every output checked."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mpr.settings import get_settings
from tests.media.test_transcode_cases import transcode
from tests.support.media import facts, hls_rungs, psnr, top_level_boxes

pytestmark = pytest.mark.slow


def test_big_buck_bunny_full_package(bunny_clip: Path, tmp_path: Path) -> None:
    # Given a real 720p25 clip with 5.1 AAC audio whose only keyframe is the first frame
    src = facts(bunny_clip)
    assert len(src.frame_times) == 132
    assert len(src.keyframe_times) == 1

    # When transcoding it to every built-in preset
    manifest = transcode(
        bunny_clip,
        tmp_path,
        "--preset",
        "mp4-1080p",
        "--preset",
        "mp4-720p",
        "--preset",
        "hls-ladder",
        "--preset",
        "thumbnails",
        "--workers",
        "2",
    )

    # Then two chunks, one per worker, cut inside the single GOP (the second decodes from
    # the first frame), and every video output has all 132 frames, lasts 5.28 s, and
    # carries stereo AAC starting with the video
    assert manifest["chunk_count"] == 2
    media = manifest["media"]
    assert media["video"]["frame_count"] == 132
    assert media["audio"]["channels"] == 6
    outputs = manifest["outputs"]
    kinds = sorted({o["kind"] for o in outputs})
    assert kinds == ["audio", "hls", "mp4", "sprite", "thumbnails"]
    mp4s = [o for o in outputs if o["kind"] == "mp4"]
    # 1080p is capped at the 720p source: never upscaled
    assert {(o["preset"], o["width"], o["height"]) for o in mp4s} == {
        ("mp4-1080p", 1280, 720),
        ("mp4-720p", 1280, 720),
    }
    rungs = sorted(o["height"] for o in outputs if o["kind"] == "hls" and o["rendition"])
    assert rungs == [360, 480, 720]
    master = next(o for o in outputs if o["kind"] == "hls" and o["rendition"] is None)
    master_path = tmp_path / master["path"]
    (tmp_path / "scratch").mkdir()
    measured = {
        master_path.parent / r.uri: r.facts for r in hls_rungs(master_path, tmp_path / "scratch")
    }
    for o in outputs:
        if o["kind"] in ("mp4", "hls") and o["rendition"]:
            path = tmp_path / o["path"]
            out = measured[path] if o["kind"] == "hls" else facts(path)
            assert len(out.frame_times) == 132
            assert abs(out.video_duration - 5.28) <= 0.04 + 1e-6
            assert out.audio_start is not None
            assert abs(out.audio_start - out.video_start) < 0.04
            # and its QC PSNR (x264's per-frame figures of the one encode that made all five
            # renditions of the chunk) is the luma PSNR of that very output
            qc = next(c for c in o["qc"]["checks"] if c["name"] == "psnr")
            luma = psnr(tmp_path / o["path"], bunny_clip, o["width"], o["height"], plane="y")
            assert abs(qc["actual"] - luma) <= 0.02, (o["path"], qc["actual"], luma)
        assert o["qc"]["passed"], o["qc"]
    info = subprocess.run(
        [
            get_settings().ffprobe,
            "-v",
            "error",
            "-select_streams",
            "a:0",
            "-show_entries",
            "stream=channels,codec_name",
            "-of",
            "csv=p=0",
            str(tmp_path / "mp4-720p.mp4"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert info == "aac,2"
    # the MP4 is faststart: its index (moov) comes before the media data (mdat)
    boxes = top_level_boxes(tmp_path / "mp4-720p.mp4")
    assert boxes.count("moov") == boxes.count("mdat") == 1, boxes
    assert boxes.index("moov") < boxes.index("mdat"), boxes
    assert set(manifest["timings"]) >= {"probe", "plan", "encode", "stitch", "package"}


def test_bikes_in_chunks_matches_single_pass(bikes_clip: Path, tmp_path: Path) -> None:
    # Given real camera footage with six keyframes and no audio
    manifest = transcode(
        bikes_clip, tmp_path / "c", "--preset", "mp4-720p", "--workers", "2", "--chunk-seconds", "2"
    )
    out = next(o for o in manifest["outputs"] if o["kind"] == "mp4")
    single = tmp_path / "single.mp4"
    subprocess.run(
        [
            get_settings().ffmpeg,
            "-v",
            "error",
            "-i",
            str(bikes_clip),
            *out["encoder_args"],
            str(single),
        ],
        check=True,
    )
    # Then it was cut at keyframes into several chunks, keeps all 250 frames and 10 s,
    # and costs at most 0.2 dB against the single-pass encode
    assert manifest["chunk_count"] >= 3
    chunked = facts(tmp_path / "c" / out["path"])
    assert len(chunked.frame_times) == 250
    assert abs(chunked.video_duration - 10.0) <= 0.04 + 1e-6
    assert chunked.audio_start is None
    a = psnr(tmp_path / "c" / out["path"], bikes_clip, out["width"], out["height"])
    b = psnr(single, bikes_clip, out["width"], out["height"])
    assert a > 35
    assert abs(a - b) <= 0.2, (a, b)


def test_thumbnails_and_sprite_cover_the_range(bikes_clip: Path, tmp_path: Path) -> None:
    # Given a 10 s source, thumbnails every 3 s and sprite tiles every 1 s (custom preset)
    preset = tmp_path / "thumbs.json"
    preset.write_text(
        '{"name": "thumbs-3s", "kind": "thumbnails", "thumbnails": {"interval_seconds": 3,'
        ' "width": 320, "sprite_interval_seconds": 1, "sprite_tile_width": 128,'
        ' "sprite_columns": 4}}'
    )
    manifest = transcode(
        bikes_clip, tmp_path / "o", "--preset-file", str(preset), "--preset", "thumbs-3s"
    )
    root = tmp_path / "o"
    thumbs = next(o for o in manifest["outputs"] if o["kind"] == "thumbnails")
    sprite = next(o for o in manifest["outputs"] if o["kind"] == "sprite")
    # Then: thumbnails at 0, 3, 6, 9 s, 320 px wide
    assert len(thumbs["files"]) == 4
    assert facts(root / thumbs["files"][0]).width == 320
    # and 10 tiles of 128x54 on sheets of 4 columns (3 rows: 4 + 4 + 2 tiles)
    sheets = [f for f in sprite["files"] if f.endswith(".jpg")]
    assert len(sheets) == 1
    sheet = facts(root / sheets[0])
    assert (sheet.width, sheet.height) == (4 * 128, 3 * 54)
    vtt = (root / sprite["path"]).read_text().split("\n\n")
    cues = [c.splitlines() for c in vtt[1:] if c.strip()]
    assert len(cues) == 10
    assert cues[0][0] == "00:00:00.000 --> 00:00:01.000"
    assert cues[-1][0] == "00:00:09.000 --> 00:00:10.000"
    assert cues[5][1] == "sprite_000.jpg#xywh=128,54,128,54"
