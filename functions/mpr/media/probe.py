"""Probing a source: container and streams, and the time of every video frame."""

from __future__ import annotations

from typing import Any

from mpr.core.errors import MediaProcessingError, UnsupportedMediaError
from mpr.core.ffmpeg_args import HEADER_DESCRIBED, input_options
from mpr.core.models import FrameIndex, MediaInfo
from mpr.core.probing import frame_index, parse_media
from mpr.core.safety import FORMAT_WHITELIST, check_demuxer
from mpr.core.validation import check_frame_times
from mpr.media.mp4_index import Mp4IndexError, index_rows, open_source
from mpr.media.tools import Tools


def safe_input_args(source: str) -> list[str]:
    """ffprobe/ffmpeg input options: protocol and demuxer allow-lists, reconnects of URLs."""
    options = [arg for k, v in input_options(source).items() for arg in (f"-{k}", str(v))]
    return [*options, "-format_whitelist", FORMAT_WHITELIST]


def probe(tools: Tools, source: str) -> tuple[MediaInfo, FrameIndex]:
    """Probe a local path or presigned URL; UnsupportedMediaError if it is not usable media.

    An MP4/MOV source's frame times come from its index (`mp4_index`), any other from a
    scan of every video packet; both give the same rows.
    """
    guard = safe_input_args(source)
    try:
        info = tools.probe_json([*guard, "-show_format", "-show_streams", source], "ffprobe")
        fmt = info.get("format") or {}
        demuxer = str(fmt.get("format_name", ""))
        check_demuxer(demuxer)
        if not any(s.get("codec_type") == "video" for s in info.get("streams") or []):
            raise UnsupportedMediaError("source has no video stream")
        packets = index_packets(source) if demuxer in HEADER_DESCRIBED else None
        if packets is None:
            packets = scan_packets(tools, source, demuxer)
    except MediaProcessingError as exc:
        raise UnsupportedMediaError(f"source is not a readable media file ({exc})") from exc
    index = frame_index(packets, float(fmt.get("start_time") or 0.0))
    media = parse_media(info, index)
    check_frame_times(index, media.video)
    return media, index


def index_packets(source: str) -> list[dict[str, str]] | None:
    """The video packet rows from an MP4/MOV index; None where only a scan can tell."""
    try:
        with open_source(source) as reader:
            return index_rows(reader)
    except Mp4IndexError:
        return None


def scan_packets(tools: Tools, source: str, demuxer: str) -> list[dict[str, Any]]:
    """The video packet rows (pts_time, duration_time, flags) read packet by packet."""
    # a header that describes every stream makes ffprobe's stream analysis (decoding the
    # first frames) needless here
    analysis = ["-nofind_stream_info"] if demuxer in HEADER_DESCRIBED else []
    packets: list[dict[str, Any]] = tools.probe_json(
        [
            *safe_input_args(source),
            *analysis,
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pts_time,duration_time,flags",
            source,
        ],
        "ffprobe frame index",
    ).get("packets", [])
    return packets


def stream_facts(tools: Tools, path: str, *, count_packets: bool) -> dict[str, dict[str, object]]:
    """Facts about an output file: per stream type, frame count, duration, start, codec
    (with a hash of its decoder configuration, `extradata_hash`), time base, and an audio
    stream's sample rate and channels.

        Frames are counted by reading every packet (`nb_read_packets`) with `count_packets`;
        an MP4 file's index also states them (`nb_frames`) without reading the file, so a
        faststart MP4 is measured from its first bytes (a presigned URL for S3 reads only them).
    """
    info = tools.probe_json(
        [
            "-protocol_whitelist",
            input_options(path)["protocol_whitelist"],
            *(["-count_packets"] if count_packets else []),
            "-show_data_hash",
            "SHA256",
            "-show_entries",
            "stream=codec_type,codec_name,profile,level,width,height,nb_read_packets,nb_frames,"
            "duration,start_time,avg_frame_rate,bit_rate,extradata_hash,time_base,sample_rate,"
            "channels:format=duration,bit_rate",
            path,
        ],
        "ffprobe output",
    )
    facts: dict[str, dict[str, object]] = {"format": dict(info.get("format") or {})}
    for stream in info.get("streams") or []:
        facts.setdefault(str(stream.get("codec_type")), dict(stream))
    return facts
