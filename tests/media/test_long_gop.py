"""A source with one keyframe still fans out: chunks cut inside its GOP, output frame-exact."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.media.test_transcode_cases import transcode
from tests.support.media import facts, psnr

pytestmark = pytest.mark.slow


def test_one_keyframe_source_splits_into_frame_exact_chunks(
    clip: Callable[[str], Path], tmp_path: Path
) -> None:
    # Given 6 s at 25 fps whose only keyframe is the first frame (ffprobe: one K packet)
    source = clip("one_keyframe")
    src = facts(source)
    assert len(src.keyframe_times) == 1
    assert len(src.frame_times) == 150
    # When it is transcoded with 2 s chunks on two workers
    manifest = transcode(
        source, tmp_path, "--preset", "mp4-720p", "--workers", "2", "--chunk-seconds", "2"
    )
    # Then it is three chunks, each decoding from the one keyframe, not one chunk
    assert manifest["chunk_count"] == 3
    # And the output holds every source frame once, at the source's times
    outputs = manifest["outputs"]
    assert isinstance(outputs, list)
    output = next(o for o in outputs if o["kind"] == "mp4")
    out = facts(tmp_path / output["path"])
    assert len(out.frame_times) == 150
    assert max(abs(a - b) for a, b in zip(out.frame_times, src.frame_times, strict=True)) < 1e-3
    # And its pictures are the source's (no frame repeated or skipped at a cut)
    assert psnr(tmp_path / output["path"], source, output["width"], output["height"]) > 35
