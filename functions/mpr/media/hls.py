"""Packaging a stitched rendition as fMP4 HLS and describing it for the master playlist."""

from __future__ import annotations

from pathlib import Path

from mpr.core import ffmpeg_args, hls
from mpr.media.probe import stream_facts
from mpr.media.tools import Tools


def package_rendition(tools: Tools, stitched: Path, out_dir: Path, segment_seconds: float) -> Path:
    """Write `index.m3u8`, `init.mp4` and `seg_NNNNN.m4s` into `out_dir`; return the playlist."""
    out_dir.mkdir(parents=True, exist_ok=True)
    playlist = out_dir / "index.m3u8"
    args = ffmpeg_args.hls_package(
        str(stitched),
        str(playlist),
        str(out_dir / "seg_%05d.m4s"),
        segment_seconds,
        ffmpeg_bin=tools.ffmpeg,
    )
    tools.run(args, f"packaging HLS for {stitched.name}")
    return playlist


def describe_variant(
    tools: Tools, playlist: Path, stitched: Path, uri: str, width: int, height: int
) -> hls.Variant:
    """Bandwidth (peak and average over segments), codecs and frame rate of one variant."""
    sized = [
        (duration, (playlist.parent / name).stat().st_size)
        for duration, name in hls.segments(playlist.read_text())
    ]
    peak, average = hls.bandwidths(sized)
    facts = stream_facts(tools, str(stitched), count_packets=False)
    video = facts.get("video", {})
    codecs = [hls.avc1_codec(str(video.get("profile", "High")), int(str(video.get("level", 40))))]
    if "audio" in facts:
        codecs.append("mp4a.40.2")
    num, _, den = str(video.get("avg_frame_rate", "0/1")).partition("/")
    rate = float(num) / float(den) if den and float(den) else 0.0
    return hls.Variant(
        uri=uri,
        bandwidth=peak,
        average_bandwidth=average,
        width=width,
        height=height,
        codecs=",".join(codecs),
        frame_rate=rate,
    )
