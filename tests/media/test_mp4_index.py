"""The MP4/MOV index reader gives exactly the packet rows of a full packet scan.

The oracle is ffprobe reading every packet (`scan_packets`); the reader under test reads
only box headers and timing tables. Every synthetic hard case, every captured probe
fixture clip, fragmented and faststart variants, and a presigned URL on the real S3 server
(bytes counted by a proxy in front of it) are compared row for row.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mpr.core.probing import frame_index
from mpr.media.probe import index_packets, scan_packets
from mpr.media.tools import Tools
from mpr.settings import get_settings
from tests.media.conftest import RECIPES
from tests.support.counting_proxy import counting_proxy
from tests.support.seaweed import S3Server, seaweed_s3
from tests.unit.capture_probe_fixtures import clip_commands

__all__ = ["seaweed_s3"]

pytestmark = pytest.mark.slow

MOV = "mov,mp4,m4a,3gp,3g2,mj2"
VARIANTS = {
    "fragmented": ["-movflags", "frag_keyframe+empty_moov"],
    "fragmented_moof_base": ["-movflags", "frag_keyframe+empty_moov+default_base_moof"],
    "faststart": ["-movflags", "faststart"],
}


def ffmpeg(*args: str, cwd: Path | None = None) -> None:
    command = [get_settings().ffmpeg, "-hide_banner", "-loglevel", "error", "-y", *args]
    subprocess.run(command, check=True, cwd=cwd)


def format_start(tools: Tools, path: Path | str) -> float:
    info = tools.probe_json(["-show_format", str(path)], "ffprobe")
    return float(info["format"].get("start_time") or 0.0)


def assert_same_as_scan(tools: Tools, path: Path) -> None:
    scanned = scan_packets(tools, str(path), MOV)
    indexed = index_packets(str(path))
    assert indexed is not None
    # every row: presentation time, duration and flags (K keyframe, D outside the edit list)
    assert indexed == [
        {k: p[k] for k in ("pts_time", "duration_time", "flags") if k in p} for p in scanned
    ]
    start = format_start(tools, path)
    assert frame_index(indexed, start) == frame_index(scanned, start)


@pytest.mark.parametrize("name", [*RECIPES, "rotated", "late_start"])
def test_every_media_case(name: str, clip: Callable[[str], Path], tools: Tools) -> None:
    assert_same_as_scan(tools, clip(name))


@pytest.fixture(scope="module")
def fixture_clips(sample_clips: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clips behind tests/fixtures/probe, made again (edit lists, one GOP, VFR...)."""
    work = tmp_path_factory.mktemp("probe-clips")
    for name, commands in clip_commands(sample_clips).items():
        if name.endswith((".mp4", ".mov")):
            for command in commands:
                ffmpeg(*command, cwd=work)
    return work


@pytest.mark.parametrize(
    "name",
    ["bigbuckbunny", "bikes", "rotated", "anamorphic", "editlist", "editlist_one_gop", "vfr"],
)
def test_every_probe_fixture_clip(name: str, fixture_clips: Path, tools: Tools) -> None:
    assert_same_as_scan(tools, fixture_clips / f"{name}.mp4")


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", ["cfr", "vfr", "open_gop", "one_keyframe", "late_start"])
def test_fragmented_and_faststart_files(
    name: str, variant: str, clip: Callable[[str], Path], tools: Tools, tmp_path: Path
) -> None:
    out = tmp_path / f"{name}-{variant}.mp4"
    ffmpeg("-i", str(clip(name)), "-c", "copy", *VARIANTS[variant], str(out))
    rows = index_packets(str(out))
    if variant.startswith("fragmented") and rows is None:
        pytest.fail("a fragmented file without an edit list must be read from its index")
    assert_same_as_scan(tools, out)


def test_a_truncated_index_falls_back_to_the_scan(
    clip: Callable[[str], Path], tmp_path: Path
) -> None:
    # Given an MP4 whose moov (at the end) is cut off
    whole = clip("cfr").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole[: len(whole) - 2000])
    # Then the index reader declines rather than guessing
    assert index_packets(str(cut)) is None


def test_a_presigned_url_reads_a_few_hundred_kilobytes(
    seaweed_s3: S3Server, clip: Callable[[str], Path], tools: Tools, tmp_path: Path
) -> None:
    # Given a 60 s, multi-megabyte source on the S3 server, moov at the end
    big = tmp_path / "long.mp4"
    ffmpeg("-stream_loop", "9", "-i", str(clip("cfr")), "-c", "copy", str(big))
    seaweed_s3.client().upload_file(str(big), seaweed_s3.bucket, "long.mp4")
    with counting_proxy(seaweed_s3.endpoint_url) as (proxy, traffic):
        url = (
            S3Server(
                proxy, seaweed_s3.access_key_id, seaweed_s3.secret_access_key, seaweed_s3.bucket, 0
            )
            .client()
            .generate_presigned_url(
                "get_object", Params={"Bucket": seaweed_s3.bucket, "Key": "long.mp4"}, ExpiresIn=600
            )
        )
        # When the index is read through the URL
        rows = index_packets(url)
    # Then it equals the scan of the local file, and only a small part was downloaded
    assert rows == index_packets(str(big))
    assert rows is not None
    assert len(rows) == 1800
    assert traffic.requests
    assert all(r.startswith("bytes=") for r in traffic.requests)
    assert traffic.bytes_sent < 400_000 < big.stat().st_size
    assert_same_as_scan(tools, big)


def test_a_redirecting_url_is_not_followed(clip: Callable[[str], Path]) -> None:
    # Given a URL that redirects to another path of the same server, which serves the clip
    data = clip("cfr").read_bytes()
    hits: list[str] = []

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            if self.path != "/real.mp4":
                self.send_response(302)
                self.send_header("Location", "/real.mp4")
                self.end_headers()
                return
            first, last = self.headers["Range"].removeprefix("bytes=").split("-")
            part = data[int(first) : int(last) + 1]
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {first}-{last}/{len(data)}")
            self.send_header("Content-Length", str(len(part)))
            self.end_headers()
            self.wfile.write(part)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        # Then the index reader reads the real path, and declines the redirecting one
        assert index_packets(f"{base}/real.mp4") is not None
        hits.clear()
        assert index_packets(f"{base}/a.mp4") is None
    finally:
        server.shutdown()
        server.server_close()
    assert hits == ["/a.mp4"]
