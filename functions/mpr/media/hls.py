"""Segmenting an encoded file into fMP4 HLS, and measuring what was written."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from mpr.core import ffmpeg_args, hls
from mpr.core.errors import MediaProcessingError
from mpr.media.probe import stream_facts
from mpr.media.tools import Tools

SEGMENTER_PLAYLIST = "segmenter.m3u8"


def segment(
    tools: Tools,
    source: Path,
    folder: Path,
    name: str,
    segment_seconds: float,
    *,
    offset: float = 0.0,
    last_packet: int | None = None,
    end_ticks: int | None = None,
    from_zero: bool = False,
    stream: str | None = None,
) -> list[hls.Segment]:
    """Write `init.mp4` and `<name>_NNN.m4s` into `folder` (see `ffmpeg_args.hls_segments`);
    return the segments with their sizes and the durations the segmenter measured."""
    folder.mkdir(parents=True, exist_ok=True)
    playlist = folder / SEGMENTER_PLAYLIST
    args = ffmpeg_args.hls_segments(
        str(source),
        str(playlist),
        str(folder / f"{name}_%03d.m4s"),
        segment_seconds,
        ffmpeg_bin=tools.ffmpeg,
        offset=offset,
        last_packet=last_packet,
        end_ticks=end_ticks,
        from_zero=from_zero,
        stream=stream,
    )
    tools.run(args, f"segmenting {source.name}")
    return [
        hls.Segment(uri=uri, duration=duration, size=(folder / uri).stat().st_size)
        for duration, uri in hls.segments(playlist.read_text())
    ]


def stream_start(tools: Tools, folder: Path, kind: str) -> tuple[float, dict[str, object]]:
    """The start time and facts of the `kind` stream (video or audio) of what `segment`
    wrote in `folder`, every packet counted."""
    facts = stream_facts(tools, str(folder / SEGMENTER_PLAYLIST), count_packets=True)
    stream = facts.get(kind)
    if stream is None:
        raise MediaProcessingError(f"the segments in {folder.name} have no {kind} stream")
    return float(str(stream.get("start_time") or 0.0)), stream


def timescale(stream: dict[str, object]) -> int:
    """Ticks per second of a segmented track, from its stream facts (`stream_start`)."""
    return Fraction(str(stream.get("time_base"))).denominator
