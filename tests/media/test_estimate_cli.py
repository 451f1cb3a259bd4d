"""`mpr estimate` on real clips, by path and by presigned URL, and the manifest's estimate."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.media.test_transcode_cases import transcode
from tests.support.seaweed import S3Server, seaweed_s3

__all__ = ["seaweed_s3"]

pytestmark = pytest.mark.slow

STAGES = ["probe", "plan", "encode", "stitch", "package", "finalize"]


def estimate(source: str, *args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "mpr", "estimate", source, "--json", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_estimate_by_path_and_by_url_agree(
    seaweed_s3: S3Server, clip: Callable[[str], Path]
) -> None:
    # Given the 6 s 640x360 clip (1 s GOPs) on disk and on the S3 server
    source = clip("cfr")
    seaweed_s3.client().upload_file(str(source), seaweed_s3.bucket, "cfr.mp4")
    url = seaweed_s3.client().generate_presigned_url(
        "get_object", Params={"Bucket": seaweed_s3.bucket, "Key": "cfr.mp4"}, ExpiresIn=600
    )
    # When both are estimated with 3 s chunks on two Lambdas
    local = estimate(str(source), "--lambdas", "2", "--chunk-seconds", "3")
    remote = estimate(url, "--lambdas", "2", "--chunk-seconds", "3")
    # Then two chunks, every stage in order, and one SD output of 0.1 min ($0.0075 a min)
    assert local["chunks"] == 2
    stages = local["stages"]
    assert isinstance(stages, list)
    assert [s["stage"] for s in stages] == STAGES
    assert local["output_minutes"] == pytest.approx(0.1)
    assert local["mediaconvert_usd"] == pytest.approx(0.1 * 0.0075)
    # And the URL gives the same figures
    assert remote == local


def test_a_bad_source_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video" * 100)
    done = subprocess.run(
        [sys.executable, "-m", "mpr", "estimate", str(junk)], capture_output=True, text=True
    )
    assert done.returncode != 0
    assert done.stderr.startswith("error: ")
    assert "not a readable media file" in done.stderr


def test_the_manifest_shows_predicted_and_measured_seconds(
    clip: Callable[[str], Path], tmp_path: Path
) -> None:
    # When a job runs
    manifest = transcode(clip("cfr"), tmp_path, "--workers", "2", "--chunk-seconds", "3")
    # Then its estimate names every stage with the seconds this run measured beside (all
    # but finalize, which is still running when it writes the manifest)
    timings = manifest["timings"]
    predicted = manifest["estimate"]
    assert isinstance(timings, dict)
    assert isinstance(predicted, dict)
    assert [s["stage"] for s in predicted["stages"]] == STAGES
    measured = {s["stage"]: s["measured_seconds"] for s in predicted["stages"]}
    assert measured == {**timings, "finalize": None}
    assert predicted["chunks"] == manifest["chunk_count"]
