"""ffmpeg command lines, built with ffmpeg-python. Pure: builds argument lists, runs nothing.

Every command that reads user input restricts ffmpeg's protocols (see `input_options`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import ffmpeg

from mpr.core import sprites
from mpr.core.models import Chunk, MediaInfo, PictureTarget, SizedRendition, ThumbnailSpec

LOCAL_PROTOCOLS = "file"
REMOTE_PROTOCOLS = "http,https,tcp,tls,crypto"
# A presigned URL read for minutes can lose its connection (S3 closes idle or long ones,
# answers 503 SlowDown): ffmpeg reconnects and goes on with a ranged request from where it
# stopped, for up to `reconnect_delay_max` seconds between attempts.
RECONNECT_OPTIONS = {
    "reconnect": 1,
    "reconnect_on_network_error": 1,
    "reconnect_on_http_error": "5xx",
    "reconnect_delay_max": 10,
    "reconnect_max_retries": 5,
}
GLOBAL = ("-hide_banner", "-nostdin", "-y", "-loglevel", "error")
HEADER_DESCRIBED = frozenset({"mov,mp4,m4a,3gp,3g2,mj2"})
THUMBNAIL_QUALITY = 3
SPRITE_QUALITY = 4
X264_MAX_THREADS = 8
"""With more frame threads x264 spends its `maxrate` worse. The first 10 s of the 1080p30
benchmark clip (re-encoded at 3 Mb/s) at the 1080p rung's options: 39.52-39.56 dB PSNR
with 1 to 8 threads, 39.32 dB with 12, 37.19 dB with 16 and 37.03 dB with 24 (ffmpeg's
default on 16 cores)."""


def input_options(source: str) -> dict[str, Any]:
    """Options that keep ffmpeg from opening anything but the source itself.

    A protocol whitelist (`file` for paths, HTTP(S) for presigned URLs) stops playlists and
    concat lists inside user files from reaching other files or hosts. A URL is read with
    reconnects (`RECONNECT_OPTIONS`).
    """
    if source.startswith(("http://", "https://")):
        return {"protocol_whitelist": REMOTE_PROTOCOLS, **RECONNECT_OPTIONS}
    return {"protocol_whitelist": LOCAL_PROTOCOLS}


def header_start(media: MediaInfo) -> float | None:
    """The source's start time if its container header describes every stream (MP4/MOV),
    else None (containers whose streams ffmpeg finds by reading packets).

    Commands that read such a source skip ffmpeg's stream analysis (`-nofind_stream_info`),
    which decodes the first frames with a decoder of its own: about 50 ms of CPU time in
    every chunk encode of a 1080p source. The source has been probed by then.
    """
    return media.start_time if media.format_name in HEADER_DESCRIBED else None


def _source(source: str, seek: float, start: float | None, **options: Any) -> Any:
    """The source as an input, seeking `seek` seconds after its start (see `header_start`).

    Without the stream analysis ffmpeg does not know the container's start time, which it
    adds to `-ss`; so `start` is added here, and both ways read the same frames.
    """
    if start is not None:
        seek += start
        options["nofind_stream_info"] = None
    return ffmpeg.input(source, ss=f"{seek:.6f}", **options, **input_options(source))


def gop_frames(media: MediaInfo, gop_seconds: float) -> int:
    """Fixed GOP length in frames (an IDR every `gop_seconds`)."""
    return max(1, round(media.video.fps * gop_seconds))


def track_timescale(media: MediaInfo) -> int:
    """MP4 video timescale that represents every source timestamp exactly."""
    denominator = Fraction(media.video.time_base).denominator
    return denominator if 1 <= denominator <= 1_000_000 else 90000


def x264_threads(cores: int) -> int:
    """x264 threads for an encode with `cores` cores to itself: at least two (with one,
    x264's VBV control spends about 1.5 % fewer bits than the frame-threaded single pass a
    chunked encode is measured against, about 0.2 dB less on short chunks), at most
    `X264_MAX_THREADS`."""
    return min(X264_MAX_THREADS, max(2, cores))


Filter = tuple[str, tuple[object, ...], dict[str, object]]


def rendition_filters(sized: SizedRendition) -> list[Filter]:
    """A rendition's filter chain after the frames are selected: scaled to its size, square
    pixels, 4:2:0 (rotation is applied by ffmpeg itself). Every command that makes or
    measures a rendition uses this one chain."""
    return [
        ("scale", (sized.width, sized.height), {"flags": "bicubic"}),
        ("setsar", (1,), {}),
        ("format", ("yuv420p",), {}),
    ]


def picture_filters(width: int, height: int) -> list[Filter]:
    """The filter chain of a JPEG picture (thumbnail or sprite tile): scaled, full range."""
    return [
        ("scale", (width, height), {"flags": "bicubic", "out_range": "full"}),
        ("format", ("yuvj420p",), {}),
    ]


def video_filter(sized: SizedRendition) -> str:
    """`rendition_filters` as the text of a `-vf` option."""
    return ",".join(_filter_text(f) for f in rendition_filters(sized))


def _filter_text(step: Filter) -> str:
    name, args, kwargs = step
    values = [str(a) for a in args] + [f"{k}={v}" for k, v in kwargs.items()]
    return f"{name}={':'.join(values)}" if values else name


def _apply(stream: Any, chain: Sequence[Filter]) -> Any:
    for name, args, kwargs in chain:
        stream = stream.filter(name, *args, **kwargs)
    return stream


def video_codec_options(sized: SizedRendition, gop: int, b_frames: bool = True) -> dict[str, Any]:
    """H.264 options: capped CRF (chunk-independent rate control), fixed closed GOP, IDR at 0.

    `fps_mode vfr` keeps every frame's time and drops only frames that repeat a timestamp,
    as the frame index does. Without `b_frames` (variable frame rate sources) decode order
    equals presentation order, so fMP4 segmenting never guesses decode times.
    """
    r = sized.rendition
    options: dict[str, Any] = {
        "c:v": "libx264",
        "preset": r.x264_preset,
        "profile:v": r.profile,
        "crf": r.crf,
        "maxrate": f"{r.max_bitrate_kbps}k",
        "bufsize": f"{r.buffer_kbps or 2 * r.max_bitrate_kbps}k",
        "g": gop,
        "keyint_min": gop,
        "sc_threshold": 0,
        "flags": "+cgop",
        "forced-idr": 1,
        "fps_mode": "vfr",
    }
    if not b_frames:
        options["bf"] = 0
    return options


def encoder_args(
    sized: SizedRendition,
    gop: int,
    *,
    trim_filter: str | None = None,
    b_frames: bool = True,
    chunk_starts: Sequence[float] = (),
) -> list[str]:
    """Video filter and codec options as plain ffmpeg arguments.

    `ffmpeg -i SOURCE <these> -c:a aac out.mp4` makes the single-pass equivalent of the
    chunked encode, with IDR frames forced where chunks start (output times), so that both
    have the same GOP structure (recorded in the manifest for reproduction and benchmarks).
    """
    chain = video_filter(sized) if trim_filter is None else f"{trim_filter},{video_filter(sized)}"
    args = ["-vf", chain, *_flatten(video_codec_options(sized, gop, b_frames))]
    later = [t for t in chunk_starts if t > 0]
    if later:
        args += ["-force_key_frames", ",".join(f"{t:.6f}" for t in later)]
    return args


def trim_filter(start: float, end: float) -> str:
    """Filter selecting frames with times in [start, end) and restarting the clock at 0."""
    return f"trim=start={start:.6f}:end={end:.6f},setpts=PTS-STARTPTS"


def _chunk_frames(source: str, chunk: Chunk, decode_threads: int, start: float | None) -> Any:
    """The chunk's frames, decoded from the keyframe before it, first frame at time 0.

    The input seek is not accurate (it lands on the keyframe at or before `seek`), and the
    trim filter then selects the chunk's frames by time, so open GOPs, B-frames and
    mid-GOP trim points all give exactly `chunk.frames` frames.
    """
    begin = chunk.select_from - chunk.seek
    end = chunk.select_to - chunk.seek
    return (
        _source(source, chunk.seek, start, noaccurate_seek=None, threads=decode_threads)
        .video.filter("trim", start=f"{begin:.6f}", end=f"{end:.6f}")
        .filter("setpts", "PTS-STARTPTS")
    )


def exact_frame_times(timescale: int) -> dict[str, str]:
    """Encoder options that keep every frame at its own time, in the output's timescale.

    An encoder's default time base is one frame interval; frames closer together than that
    (a timestamp glitch: three frames within two ticks) would share a time, and `fps_mode
    vfr` would drop all but one of them.
    """
    return {"fps_mode": "vfr", "enc_time_base": f"1/{timescale}"}


def _x264_output(
    frames: Any,
    output: str,
    sized: SizedRendition,
    chunk: Chunk,
    gop: int,
    timescale: int,
    b_frames: bool,
    threads: int,
    stats_file: str | None,
) -> Any:
    measure = {"flags": "+cgop+psnr", "vstats_file": stats_file} if stats_file else {}
    return ffmpeg.output(
        frames,
        output,
        **{**video_codec_options(sized, gop, b_frames), **measure, **exact_frame_times(timescale)},
        **{"frames:v": chunk.frames, "threads": threads, "an": None, "sn": None, "dn": None},
        video_track_timescale=timescale,
        map_metadata=-1,
    )


def chunk_encode(
    source: str,
    output: str,
    chunk: Chunk,
    sized: SizedRendition,
    gop: int,
    timescale: int,
    b_frames: bool = True,
    ffmpeg_bin: str = "ffmpeg",
    threads: int = 1,
    stats_file: str | None = None,
    decode_threads: int = 0,
    piped: Sequence[tuple[SizedRendition, str]] = (),
    source_start: float | None = None,
    pictures: Sequence[tuple[PictureTarget, str]] = (),
) -> list[str]:
    """Encode one chunk to one rendition in one ffmpeg: exactly the chunk's frames.

    With `stats_file`, x264 also writes the luma PSNR of every frame it encoded against
    the scaled source frame (`-flags +psnr -vstats_file`). `threads` is x264's thread
    count and `decode_threads` the source decoder's (0: ffmpeg picks by the cores).
    `source_start` is `header_start` of the source.

    `piped` (rendition, pipe) pairs make the same ffmpeg also write the chunk's frames,
    scaled to each of those renditions, as raw video in NUT (which keeps every frame's
    time) to the pipe, for `frames_encode`: the chunk is decoded once for a whole ladder.
    Those renditions get encoding ffmpegs of their own: a process has one vstats file, its
    encoder threads write their lines to it in pieces that mix, and only with a single
    x264 encoder is every PSNR in it that encoder's.

    `pictures` (target, output) pairs make the same decode write the chosen frames as
    pictures: JPEGs numbered from the target's first number (`output` a `%05d` pattern) or,
    for sprite tiles, raw frames in one NUT file that the package stage tiles into sheets.
    """
    frames = _chunk_frames(source, chunk, decode_threads, source_start)
    extra = []
    branches = len(piped) + len(pictures)
    if branches:
        copies = frames.filter_multi_output("split", branches + 1)
        frames = copies.stream(0)
        extra = [
            ffmpeg.output(
                _apply(copies.stream(i + 1), rendition_filters(other)),
                pipe,
                c="rawvideo",
                f="nut",
                **exact_frame_times(timescale),
            )
            for i, (other, pipe) in enumerate(piped)
        ]
        extra += [
            _picture_output(copies.stream(len(piped) + i + 1), target, output)
            for i, (target, output) in enumerate(pictures)
        ]
    out = _x264_output(
        _apply(frames, rendition_filters(sized)),
        output,
        sized,
        chunk,
        gop,
        timescale,
        b_frames,
        threads,
        stats_file,
    )
    return _compile(ffmpeg.merge_outputs(out, *extra) if extra else out, ffmpeg_bin)


def chunk_pictures(
    source: str,
    chunk: Chunk,
    pictures: Sequence[tuple[PictureTarget, str]],
    ffmpeg_bin: str = "ffmpeg",
    decode_threads: int = 0,
    source_start: float | None = None,
) -> list[str]:
    """Decode one chunk only for its pictures (a job with no video output); see
    `chunk_encode`."""
    frames = _chunk_frames(source, chunk, decode_threads, source_start)
    copies = frames.filter_multi_output("split", len(pictures))
    outs = [
        _picture_output(copies.stream(i), target, output)
        for i, (target, output) in enumerate(pictures)
    ]
    return _compile(ffmpeg.merge_outputs(*outs), ffmpeg_bin)


def _picture_output(frames: Any, target: PictureTarget, output: str) -> Any:
    """The target's frames of a chunk (offsets after the trim), as JPEGs or raw tiles."""
    chosen = "+".join(f"eq(n,{n})" for n in target.frames)
    pictures = _apply(frames.filter("select", chosen), picture_filters(target.width, target.height))
    common = {"fps_mode": "passthrough", "map_metadata": -1}
    if target.kind == "tiles":
        return ffmpeg.output(pictures, output, c="rawvideo", f="nut", **common)
    return ffmpeg.output(
        pictures,
        output,
        **{"q:v": THUMBNAIL_QUALITY},
        start_number=target.first_number,
        **common,
    )


def frames_encode(
    output: str,
    chunk: Chunk,
    sized: SizedRendition,
    gop: int,
    timescale: int,
    b_frames: bool = True,
    ffmpeg_bin: str = "ffmpeg",
    threads: int = 1,
    stats_file: str | None = None,
) -> list[str]:
    """Encode the scaled raw frames a `chunk_encode` with `piped` writes to this ffmpeg's
    standard input, with the options and statistics of `chunk_encode`."""
    frames = ffmpeg.input("pipe:0", f="nut", protocol_whitelist="pipe").video
    out = _x264_output(frames, output, sized, chunk, gop, timescale, b_frames, threads, stats_file)
    return _compile(out, ffmpeg_bin)


@dataclass(frozen=True)
class TrackTags:
    """What an output states about one audio track: its language (ISO 639-2, MP4's field)
    and whether it is the default track."""

    language: str | None
    default: bool


@dataclass(frozen=True)
class AudioTrackEncode:
    """One source audio stream (by its index) as a track of an audio encode."""

    index: int
    sample_rate: int
    channels: int
    tags: TrackTags


ENCODERS = {"aac": "aac", "opus": "libopus"}


def audio_encode(
    source: str,
    output: str,
    start: float,
    duration: float,
    tracks: Sequence[AudioTrackEncode],
    codec: str,
    bitrate_kbps: int,
    ffmpeg_bin: str = "ffmpeg",
    source_start: float | None = None,
) -> list[str]:
    """Encode audio streams once for the whole selected range (`codec` aac: AAC-LC, or
    opus), into one MP4 with a track each, tagged. `source_start` is `header_start` of the
    source.

    Audio that starts after the range's first frame is preceded by silence (`aresample`
    fills from time 0 to the first sample), so the track starts with the video in every
    output and its sound stays where it was. An empty edit list would keep the offset only
    where players honour it: in fMP4 HLS the audio would leave a gap at the start of the
    buffered range, which players skip (losing the first seconds of video) or stall on.
    Gaps inside the stream are filled the same way, so later audio never moves earlier;
    the output stops at the range's end, which the filled silence would otherwise pass.
    """
    source_input = _source(source, start, source_start, t=f"{duration:.6f}")
    streams = [
        source_input[str(t.index)].filter("aresample", **{"async": 1, "first_pts": 0})
        for t in tracks
    ]
    options: dict[str, object] = {}
    for i, track in enumerate(tracks):
        options |= {
            f"c:a:{i}": ENCODERS[codec],
            f"b:a:{i}": f"{bitrate_kbps}k",
            f"ar:a:{i}": track.sample_rate,
            f"ac:a:{i}": track.channels,
        }
    out = ffmpeg.output(
        *streams,
        output,
        **options,
        **track_tags([t.tags for t in tracks]),
        f="mp4",  # an .m4a name would pick the ipod muxer, which has no Opus
        vn=None,
        sn=None,
        dn=None,
        map_metadata=-1,
        t=f"{duration:.6f}",
    )
    return _compile(out, ffmpeg_bin)


def track_tags(tags: Sequence[TrackTags]) -> dict[str, str]:
    """Output options giving each audio track its language and one the default disposition."""
    options: dict[str, str] = {}
    for i, tag in enumerate(tags):
        if tag.language:
            options[f"metadata:s:a:{i}"] = f"language={tag.language}"
        options[f"disposition:a:{i}"] = "default" if tag.default else "0"
    return options


def concat_list(files: Sequence[str], durations: Sequence[float] | None = None) -> str:
    """A concat demuxer script giving each chunk its exact planned duration (without
    `durations`, each file lasts as long as its packets say)."""
    lines = ["ffconcat version 1.0"]
    given: Sequence[float | None] = [None] * len(files) if durations is None else durations
    for name, duration in zip(files, given, strict=True):
        lines.append(f"file '{name}'")
        if duration is not None:
            lines.append(f"duration {duration:.6f}")
    return "\n".join(lines) + "\n"


def stitch(
    concat_script: str,
    audio: str | None,
    output: str,
    ffmpeg_bin: str = "ffmpeg",
    tags: Sequence[TrackTags] = (),
) -> list[str]:
    """Join chunk files (stream copy) and mux every audio track of `audio` (an
    `audio_encode` output, its tracks tagged with `tags`), MP4 with faststart.

    The concat demuxer analyses each chunk file as it opens it; ffmpeg's own analysis of
    the joined stream on top (`-nofind_stream_info` skips it) would decode its first
    frames once more."""
    video = ffmpeg.input(
        concat_script, f="concat", safe=1, protocol_whitelist="file", nofind_stream_info=None
    ).video
    streams = [video]
    if audio is not None:
        streams.append(ffmpeg.input(audio, protocol_whitelist="file").audio)
    out = ffmpeg.output(
        *streams,
        output,
        c="copy",
        movflags="+faststart",
        map_metadata=-1,
        **track_tags(tags),
    )
    return _compile(out, ffmpeg_bin)


def hls_segments(
    source: str,
    playlist: str,
    segment_pattern: str,
    segment_seconds: float,
    ffmpeg_bin: str = "ffmpeg",
    *,
    offset: float = 0.0,
    last_packet: int | None = None,
    end_ticks: int | None = None,
    from_zero: bool = False,
    stream: str | None = None,
) -> list[str]:
    """Segment an encoded file (or only its `stream`, e.g. `a:1`) into fMP4 HLS (stream
    copy, cuts on its keyframes), the playlist's folder getting `init.mp4` beside the
    segments.

    `offset` moves every timestamp (a chunk's start on the output timeline): with
    `frag_discont` each fragment states its own decode time (`tfdt`) and the init segment
    is the same for every chunk, so one init serves a rung's chunks with no discontinuity.
    With `last_packet` (the index of the last packet, decode order), that packet lasts
    until `end_ticks` (in the stream's time base, from its first decode time): the chunk's
    exact end, which the encoder only guessed.

    `from_zero` drops the packets before time 0: the AAC encoder's priming frame, which an
    MP4 hides with its edit list but a fragment of its own would play, 21 ms early for
    everything after it (the decoder then fades in over the first frame instead).
    """
    options: dict[str, Any] = {"ss": "0"} if from_zero else {}
    if offset or last_packet is not None:
        # the first fragment's decode time is its first presentation time (with the edit
        # list that every chunk shares), never shifted to make decode times positive
        options["avoid_negative_ts"] = "disabled"
    if last_packet is not None and end_ticks is not None:
        options["bsf:v"] = (
            "setts=pts=PTS:dts=DTS:duration="
            f"if(eq(N\\,{last_packet})\\,{end_ticks}+STARTDTS-DTS\\,DURATION)"
        )
    encoded = ffmpeg.input(source, protocol_whitelist="file")
    out = ffmpeg.output(
        encoded if stream is None else encoded[stream],
        playlist,
        c="copy",
        output_ts_offset=f"{offset:.6f}",
        f="hls",
        hls_time=f"{segment_seconds:g}",
        hls_playlist_type="vod",
        hls_segment_type="fmp4",
        hls_segment_options="movflags=+frag_discont",
        hls_fmp4_init_filename="init.mp4",
        hls_segment_filename=segment_pattern,
        map_metadata=-1,
        **options,
    )
    return _compile(out, ffmpeg_bin)


def bucket_select(interval: float) -> str:
    """`select` expression keeping the first frame of each `interval` (see frame_buckets)."""
    early = sprites.BUCKET_EARLY
    return (
        f"isnan(prev_selected_t)+gte(floor((t+{early:g})/{interval:g}),"
        f"floor((prev_selected_t+{early:g})/{interval:g})+1)"
    )


def _jpegs(stream: Any, pattern: str, quality: int, ffmpeg_bin: str) -> list[str]:
    out = ffmpeg.output(
        stream,
        pattern,
        **{"q:v": quality},
        fps_mode="passthrough",
        start_number=0,
        map_metadata=-1,
    )
    return _compile(out, ffmpeg_bin)


def sprite_sheets(
    source: str,
    pattern: str,
    spec: ThumbnailSpec,
    tile_height: int,
    columns: int,
    rows: int,
    start: float,
    duration: float,
    ffmpeg_bin: str = "ffmpeg",
) -> list[str]:
    """Sheets of `rows` rows of small frames of a source, one per
    `spec.sprite_interval_seconds` (an upload's preview, before any job decodes it)."""
    frames = ffmpeg.input(
        source, ss=f"{start:.6f}", t=f"{duration:.6f}", **input_options(source)
    ).video.filter("select", bucket_select(spec.sprite_interval_seconds))
    tiles = _apply(frames, picture_filters(spec.sprite_tile_width, tile_height))
    return _jpegs(tiles.filter("tile", f"{columns}x{rows}"), pattern, SPRITE_QUALITY, ffmpeg_bin)


def tile_sheets(
    tiles_script: str, pattern: str, columns: int, rows: int, ffmpeg_bin: str = "ffmpeg"
) -> list[str]:
    """JPEG sheets of `columns` x `rows` tiles from the raw tiles the chunk tasks wrote, in
    order (a concat script of their NUT files). NUT keeps the pixels but not their full
    range, which is restated (`setrange`) so the JPEG encoder gets them unconverted."""
    tiles = ffmpeg.input(tiles_script, f="concat", safe=1, protocol_whitelist="file").video
    sheets = tiles.filter("setrange", "full").filter("tile", f"{columns}x{rows}")
    return _jpegs(sheets, pattern, SPRITE_QUALITY, ffmpeg_bin)


def psnr(
    distorted: str,
    reference: str,
    sized: SizedRendition,
    select_from: float,
    select_to: float,
    step: int,
    ffmpeg_bin: str = "ffmpeg",
) -> list[str]:
    """Mean PSNR of every `step`-th frame of an output against the scaled source range.

    Frames are paired by index (both streams renumbered), so variable frame rates pair
    correctly. The result is on stderr as `PSNR ... average:<dB>`.
    """
    sample = f"not(mod(n,{step}))"
    ref = ffmpeg.input(reference, **input_options(reference)).video
    if select_from > 0:
        ref = ref.filter("trim", start=f"{select_from:.6f}", end=f"{select_to:.6f}")
    else:
        ref = ref.filter("trim", end=f"{select_to:.6f}")
    ref = (
        _apply(ref.filter("setpts", "PTS-STARTPTS"), rendition_filters(sized))
        .filter("select", sample)
        .filter("settb", "1")
        .filter("setpts", "N")
    )
    dis = (
        ffmpeg.input(distorted, protocol_whitelist="file")
        .video.filter("format", "yuv420p")
        .filter("select", sample)
        .filter("settb", "1")
        .filter("setpts", "N")
    )
    out = ffmpeg.filter([dis, ref], "psnr").output("-", f="null")
    args: list[str] = out.compile(cmd=ffmpeg_bin)
    return [args[0], "-hide_banner", "-nostdin", "-loglevel", "info", *args[1:]]


def poster(
    source: str, output: str, at_seconds: float, width: int, ffmpeg_bin: str = "ffmpeg"
) -> list[str]:
    """One JPEG frame at `at_seconds`, `width` pixels wide."""
    stream = ffmpeg.input(source, ss=f"{at_seconds:.3f}", **input_options(source)).video.filter(
        "scale", width, -2
    )
    out = ffmpeg.output(stream, output, vframes=1, **{"q:v": 3}, map_metadata=-1)
    return _compile(out, ffmpeg_bin)


def _flatten(options: Mapping[str, Any]) -> list[str]:
    args: list[str] = []
    for key, value in options.items():
        args.append(f"-{key}")
        if value is not None:
            args.append(str(value))
    return args


def _compile(out: Any, ffmpeg_bin: str) -> list[str]:
    args: list[str] = out.compile(cmd=ffmpeg_bin)
    return [args[0], *GLOBAL, *args[1:]]
