"""ffmpeg command lines: safe inputs, exact chunk selection, fixed GOPs (nothing is run)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from mpr.core import ffmpeg_args
from mpr.core.models import Chunk, PictureTarget, SizedRendition, ThumbnailSpec
from mpr.core.presets import builtin_presets, renditions_for
from tests.unit.factories import make_media

LOCAL_SOURCE = "/data/in/holiday.mp4"
REMOTE_SOURCE = "https://in-bucket.s3.amazonaws.com/holiday.mp4?X-Amz-Signature=abc"

CHUNK = Chunk(
    index=3,
    first_frame=150,
    frames=50,
    start=6.0,
    end=8.0,
    seek=6.02,
    select_from=5.98,
    select_to=7.98,
)


THUMBS = PictureTarget(
    preset="thumbnails", kind="thumbs", width=640, height=-2, frames=[0, 30], first_number=7
)
TILES = PictureTarget(
    preset="thumbnails", kind="tiles", width=160, height=90, frames=[0, 10, 20], first_number=21
)


def sized_720p() -> SizedRendition:
    return renditions_for(builtin_presets()["mp4-720p"], make_media(1920, 1080))[0]


def option(args: list[str], name: str) -> str:
    """The value following option `name` (which must occur once)."""
    assert args.count(name) == 1, f"{name} occurs {args.count(name)} times in {args}"
    return args[args.index(name) + 1]


def input_options(args: list[str]) -> dict[str, list[str]]:
    """Each input (the value after `-i`) with the arguments that precede it."""
    found: dict[str, list[str]] = {}
    begin = 1
    for i, arg in enumerate(args):
        if arg == "-i":
            found[args[i + 1]] = args[begin:i]
            begin = i + 2
    return found


UserCommand = Callable[[str], list[str]]

USER_SOURCE_COMMANDS: dict[str, UserCommand] = {
    "chunk_encode": lambda src: ffmpeg_args.chunk_encode(
        src, "chunk.mp4", CHUNK, sized_720p(), 50, 12800
    ),
    "audio_encode": lambda src: ffmpeg_args.audio_encode(
        src, "a.mp4", 0.0, 5.0, [audio_track(1, 48000, 2)], "aac", 128
    ),
    "chunk_encode_with_pictures": lambda src: ffmpeg_args.chunk_encode(
        src, "chunk.mp4", CHUNK, sized_720p(), 50, 12800, pictures=[(THUMBS, "t_%05d.jpg")]
    ),
    "chunk_pictures": lambda src: ffmpeg_args.chunk_pictures(src, CHUNK, [(TILES, "t.nut")]),
    "sprite_sheets": lambda src: ffmpeg_args.sprite_sheets(
        src, "s_%03d.jpg", ThumbnailSpec(), 90, 10, 2, 0.0, 5.0
    ),
    "poster": lambda src: ffmpeg_args.poster(src, "poster.jpg", 1.0, 640),
    "psnr": lambda src: ffmpeg_args.psnr("out.mp4", src, sized_720p(), 0.0, 5.0, 5),
}


@pytest.mark.parametrize("build", USER_SOURCE_COMMANDS.values(), ids=USER_SOURCE_COMMANDS.keys())
def test_local_user_source_is_read_with_the_file_protocol_only(build: UserCommand) -> None:
    # When a command reads a user file given as a path
    inputs = input_options(build(LOCAL_SOURCE))
    # Then ffmpeg may only open local files for it
    assert option(inputs[LOCAL_SOURCE], "-protocol_whitelist") == "file"


@pytest.mark.parametrize("build", USER_SOURCE_COMMANDS.values(), ids=USER_SOURCE_COMMANDS.keys())
def test_remote_user_source_is_read_over_https_only(build: UserCommand) -> None:
    # When a command reads a user file given as a presigned URL
    inputs = input_options(build(REMOTE_SOURCE))
    # Then ffmpeg may use HTTP(S) and its transports, but no local files or other protocols
    allowed = set(option(inputs[REMOTE_SOURCE], "-protocol_whitelist").split(","))
    assert {"http", "https"} <= allowed
    assert allowed <= {"http", "https", "tcp", "tls", "crypto"}


WORK_FILE_COMMANDS: dict[str, list[str]] = {
    "stitch": ffmpeg_args.stitch("list.ffconcat", "audio.m4a", "out.mp4"),
    "stitch-video-only": ffmpeg_args.stitch("list.ffconcat", None, "out.mp4"),
    "hls_segments": ffmpeg_args.hls_segments(
        "chunk.mp4",
        "c.m3u8",
        "seg_00003_%03d.m4s",
        4.0,
        offset=6.0,
        last_packet=49,
        end_ticks=25600,
    ),
    "hls_segments_audio": ffmpeg_args.hls_segments(
        "audio.m4a", "a.m3u8", "seg_%03d.m4s", 4.0, from_zero=True
    ),
    "tile_sheets": ffmpeg_args.tile_sheets("tiles.ffconcat", "sprite_%03d.jpg", 10, 2),
    "psnr": ffmpeg_args.psnr("out.mp4", LOCAL_SOURCE, sized_720p(), 1.0, 5.0, 5),
}


@pytest.mark.parametrize("args", WORK_FILE_COMMANDS.values(), ids=WORK_FILE_COMMANDS.keys())
def test_every_input_has_a_protocol_whitelist(args: list[str]) -> None:
    # Given a command over work files, Then each input is restricted to local files
    inputs = input_options(args)
    assert inputs
    for name, options in inputs.items():
        assert option(options, "-protocol_whitelist") == "file", name


def test_stitch_reads_the_concat_list_in_safe_mode() -> None:
    args = WORK_FILE_COMMANDS["stitch"]
    concat = input_options(args)["list.ffconcat"]
    assert option(concat, "-f") == "concat"
    assert option(concat, "-safe") == "1"
    assert option(args, "-c") == "copy"
    assert option(args, "-movflags") == "+faststart"
    assert "-nofind_stream_info" in concat  # the concat demuxer analyses every chunk file
    assert len(input_options(WORK_FILE_COMMANDS["stitch-video-only"])) == 1


def test_chunk_encode_seeks_before_the_chunk_and_keeps_exactly_its_frames() -> None:
    # When chunk 3 (frames 150-199, 6.0 s to 8.0 s) is encoded
    args = ffmpeg_args.chunk_encode(LOCAL_SOURCE, "chunk.mp4", CHUNK, sized_720p(), 50, 12800)
    source_options = input_options(args)[LOCAL_SOURCE]
    # Then the input is seeked (fast, keyframe-aligned) to the chunk's seek point
    assert option(source_options, "-ss") == "6.020000"
    assert "-noaccurate_seek" in source_options
    # And the trim window is the chunk's select bounds relative to the seek point
    graph = option(args, "-filter_complex")
    steps = ["trim=end=1.960000:start=-0.040000", "setpts=PTS-STARTPTS", "scale=1280:720"]
    assert all(step in graph for step in steps), graph
    assert [graph.index(step) for step in steps] == sorted(graph.index(step) for step in steps)
    # And exactly the chunk's frame count is written
    assert option(args, "-frames:v") == "50"
    # And each chunk opens a fixed, closed GOP (no scene-cut keyframes)
    assert option(args, "-g") == "50"
    assert option(args, "-keyint_min") == "50"
    assert option(args, "-sc_threshold") == "0"
    assert option(args, "-flags") == "+cgop"
    # And the MP4 time scale represents the source timestamps exactly
    assert option(args, "-video_track_timescale") == "12800"
    # And only video is written
    assert "-an" in args
    assert args[-1] == "chunk.mp4"


def test_only_a_container_whose_header_describes_every_stream_skips_stream_analysis() -> None:
    mp4 = make_media().model_copy(update={"start_time": 1.378})
    assert ffmpeg_args.header_start(mp4) == 1.378
    for demuxer in ("matroska,webm", "mpegts", "h264", "flv"):
        assert ffmpeg_args.header_start(mp4.model_copy(update={"format_name": demuxer})) is None


@pytest.mark.parametrize(
    "build",
    [
        lambda start: ffmpeg_args.chunk_encode(
            LOCAL_SOURCE, "chunk.mp4", CHUNK, sized_720p(), 50, 12800, source_start=start
        ),
        lambda start: ffmpeg_args.audio_encode(
            LOCAL_SOURCE,
            "a.mp4",
            6.02,
            2.0,
            [audio_track(1, 48000, 2)],
            "aac",
            128,
            source_start=start,
        ),
    ],
    ids=["chunk_encode", "audio_encode"],
)
def test_without_stream_analysis_the_seek_adds_the_container_start(
    build: Callable[[float | None], list[str]],
) -> None:
    # Given a source whose container starts at 1.378 s: ffmpeg adds that start to -ss
    # itself only when it analyses the streams
    analysed = input_options(build(None))[LOCAL_SOURCE]
    described = input_options(build(1.378))[LOCAL_SOURCE]
    # Then without the analysis the seek point includes it, so both read the same frames
    assert "-nofind_stream_info" not in analysed
    assert option(analysed, "-ss") == "6.020000"
    assert "-nofind_stream_info" in described
    assert option(described, "-ss") == "7.398000"


def test_a_ladder_chunk_is_decoded_once_and_piped_to_one_encoder_per_rendition() -> None:
    # When a chunk is encoded to 720p and piped for 480p and 360p
    small = sized_720p().model_copy(update={"width": 640, "height": 360})
    medium = sized_720p().model_copy(update={"width": 854, "height": 480})
    decode = ffmpeg_args.chunk_encode(
        LOCAL_SOURCE,
        "a.mp4",
        CHUNK,
        sized_720p(),
        50,
        12800,
        threads=2,
        stats_file="a.vstats",
        decode_threads=1,
        piped=[(medium, "pipe:5"), (small, "pipe:7")],
    )
    # Then the source is read once, seeked like a one-rendition chunk encode, and its
    # frames are split into the encoded 720p and one scaled raw copy (NUT) per pipe
    source_options = input_options(decode)[LOCAL_SOURCE]
    assert option(source_options, "-ss") == "6.020000"
    assert option(source_options, "-threads") == "1"
    graph = option(decode, "-filter_complex")
    assert "trim=end=1.960000:start=-0.040000" in graph
    assert "split=3" in graph
    assert all(f"scale={size}" in graph for size in ("1280:720", "854:480", "640:360"))
    assert decode.count("rawvideo") == decode.count("nut") == 2
    assert [a for a in decode if a.startswith("pipe:")] == ["pipe:5", "pipe:7"]
    # And x264 encodes only the 720p, with its PSNR measured in the one statistics file
    assert decode.count("libx264") == 1
    assert decode.count("-vstats_file") == 1
    x264 = decode[: decode.index("a.mp4") + 1]
    assert option(x264, "-flags") == "+cgop+psnr"
    assert option(x264, "-vstats_file") == "a.vstats"
    assert option(x264, "-frames:v") == "50"
    assert option(decode[decode.index("-i") :], "-threads") == "2"
    # And each encoder reads its pipe only and writes the chunk's frames with PSNR measured
    encode = ffmpeg_args.frames_encode(
        "b.mp4", CHUNK, small, 50, 12800, threads=2, stats_file="b.vstats"
    )
    (reads,) = input_options(encode).items()
    assert reads[0] == "pipe:0"
    assert option(reads[1], "-f") == "nut"
    assert option(reads[1], "-protocol_whitelist") == "pipe"
    assert option(encode, "-c:v") == "libx264"
    assert option(encode, "-frames:v") == "50"
    assert option(encode, "-flags") == "+cgop+psnr"
    assert option(encode, "-vstats_file") == "b.vstats"
    assert option(encode, "-threads") == "2"
    assert encode[-1] == "b.mp4"


def test_chunk_encode_runs_the_given_binary_quietly_with_the_given_threads() -> None:
    args = ffmpeg_args.chunk_encode(
        LOCAL_SOURCE,
        "c.mp4",
        CHUNK,
        sized_720p(),
        50,
        12800,
        ffmpeg_bin="/opt/ffmpeg",
        threads=2,
        decode_threads=1,
    )
    assert args[0] == "/opt/ffmpeg"
    # The decoder's thread count is an input option, x264's an output option
    source = args.index("-i")
    assert option(args[:source], "-threads") == "1"
    assert option(args[source:], "-threads") == "2"
    assert "-nostdin" in args
    assert option(args, "-loglevel") == "error"


def test_encoder_args_are_a_flat_list_of_strings_starting_with_the_filter() -> None:
    # When the single-pass equivalent of a chunked encode is recorded
    args = ffmpeg_args.encoder_args(sized_720p(), 50)
    # Then it is plain ffmpeg arguments: -vf first, then the codec options
    assert all(isinstance(a, str) for a in args)
    assert args[:2] == ["-vf", "scale=1280:720:flags=bicubic,setsar=1,format=yuv420p"]
    assert option(args, "-c:v") == "libx264"
    assert option(args, "-g") == "50"
    assert option(args, "-crf") == "21"
    assert option(args, "-maxrate") == "3500k"
    assert option(args, "-bufsize") == "7000k"


def test_encoder_args_put_a_trim_first_in_the_filter_chain() -> None:
    trim = ffmpeg_args.trim_filter(1.5, 4.25)
    args = ffmpeg_args.encoder_args(sized_720p(), 50, trim_filter=trim)
    assert trim == "trim=start=1.500000:end=4.250000,setpts=PTS-STARTPTS"
    assert args[1].startswith(trim + ",scale=1280:720")


def test_concat_list_gives_each_file_its_duration() -> None:
    # When three chunk files are listed with their planned durations
    script = ffmpeg_args.concat_list(["c0.mp4", "c1.mp4", "c2.mp4"], [10.0, 10.0, 3.52])
    # Then each file line is followed by its duration line
    assert script.splitlines() == [
        "ffconcat version 1.0",
        "file 'c0.mp4'",
        "duration 10.000000",
        "file 'c1.mp4'",
        "duration 10.000000",
        "file 'c2.mp4'",
        "duration 3.520000",
    ]
    assert script.endswith("\n")


def test_concat_list_needs_a_duration_per_file() -> None:
    with pytest.raises(ValueError, match="shorter"):
        ffmpeg_args.concat_list(["c0.mp4", "c1.mp4"], [10.0])


@pytest.mark.parametrize(
    ("fps", "gop_seconds", "frames"),
    [
        (25.0, 2.0, 50),
        (30000 / 1001, 2.0, 60),
        (24000 / 1001, 2.0, 48),
        (60.0, 0.5, 30),
        (1.0, 0.5, 1),
    ],
)
def test_gop_frames(fps: float, gop_seconds: float, frames: int) -> None:
    assert ffmpeg_args.gop_frames(make_media(fps=fps), gop_seconds) == frames


@pytest.mark.parametrize(
    ("time_base", "timescale"),
    [("1/12800", 12800), ("1/90000", 90000), ("1001/30000", 30000), ("1/1000000000", 90000)],
)
def test_track_timescale_follows_the_source_time_base(time_base: str, timescale: int) -> None:
    assert ffmpeg_args.track_timescale(make_media(time_base=time_base)) == timescale


def audio_track(
    index: int, rate: int, channels: int, language: str | None = None, default: bool = False
) -> ffmpeg_args.AudioTrackEncode:
    return ffmpeg_args.AudioTrackEncode(
        index=index,
        sample_rate=rate,
        channels=channels,
        tags=ffmpeg_args.TrackTags(language=language, default=default),
    )


@pytest.mark.parametrize("codec", ["aac", "opus"])
def test_every_audio_track_is_encoded_once_into_one_tagged_file(codec: str) -> None:
    # When two audio streams (source streams 1 and 3) of the range 2.5 s + 10 s are encoded
    tracks = [audio_track(1, 44100, 2, "eng"), audio_track(3, 48000, 2, "spa", default=True)]
    args = ffmpeg_args.audio_encode(LOCAL_SOURCE, "a.mp4", 2.5, 10.0, tracks, codec, 96)
    source_options = input_options(args)[LOCAL_SOURCE]
    # Then the source is read once for the range, and each stream is mapped, filled from 0
    assert option(source_options, "-ss") == "2.500000"
    assert option(source_options, "-t") == "10.000000"
    graph = option(args, "-filter_complex")
    assert "[0:1]aresample=async=1:first_pts=0" in graph
    assert "[0:3]aresample=async=1:first_pts=0" in graph
    # each track encoded with the codec at the bitrate and its own rate, tagged, one default
    encoder = {"aac": "aac", "opus": "libopus"}[codec]
    for i, (rate, language, default) in enumerate(
        [("44100", "eng", "0"), ("48000", "spa", "default")]
    ):
        assert option(args, f"-c:a:{i}") == encoder
        assert option(args, f"-b:a:{i}") == "96k"
        assert option(args, f"-ar:a:{i}") == rate
        assert option(args, f"-ac:a:{i}") == "2"
        assert option(args, f"-metadata:s:a:{i}") == f"language={language}"
        assert option(args, f"-disposition:a:{i}") == default
    # into MP4 (whatever the name), without video
    assert option(args, "-f") == "mp4"
    assert "-vn" in args


def test_the_stitch_keeps_every_audio_track_with_its_tags() -> None:
    tags = [ffmpeg_args.TrackTags("eng", False), ffmpeg_args.TrackTags("spa", True)]
    args = ffmpeg_args.stitch("list.ffconcat", "audio.mp4", "out.mp4", tags=tags)
    assert args.count("-map") == 2
    assert "1:a" in args
    assert option(args, "-metadata:s:a:1") == "language=spa"
    assert option(args, "-disposition:a:0") == "0"
    assert option(args, "-disposition:a:1") == "default"


def test_one_audio_track_is_segmented_from_a_file_of_several() -> None:
    args = ffmpeg_args.hls_segments("audio.mp4", "a.m3u8", "seg_%03d.m4s", 4.0, stream="a:1")
    assert option(args, "-map") == "0:a:1"


def test_a_chunk_is_segmented_on_the_output_timeline_with_its_exact_end() -> None:
    # When chunk 3 (starting 6 s into the output, 50 frames, 2 s at a 12800 timescale)
    # is segmented
    args = WORK_FILE_COMMANDS["hls_segments"]
    # Then it is a stream copy into fMP4 VOD segments named after the chunk
    assert option(args, "-f") == "hls"
    assert option(args, "-c") == "copy"
    assert option(args, "-hls_time") == "4"
    assert option(args, "-hls_segment_type") == "fmp4"
    assert option(args, "-hls_playlist_type") == "vod"
    assert option(args, "-hls_segment_filename") == "seg_00003_%03d.m4s"
    assert args[-1] == "c.m3u8"
    # with its timestamps at its place on the output, each fragment stating its own decode
    # time and none shifted to keep decode times positive
    assert option(args, "-output_ts_offset") == "6.000000"
    assert option(args, "-hls_segment_options") == "movflags=+frag_discont"
    assert option(args, "-avoid_negative_ts") == "disabled"
    # and its last packet (decode order) lasting until the chunk's end, pts and dts kept
    assert option(args, "-bsf:v") == (
        r"setts=pts=PTS:dts=DTS:duration=if(eq(N\,49)\,25600+STARTDTS-DTS\,DURATION)"
    )


def test_audio_is_segmented_from_its_first_sample() -> None:
    # the AAC priming frame (before time 0, hidden by the MP4's edit list) is left out
    args = WORK_FILE_COMMANDS["hls_segments_audio"]
    assert option(args[args.index("audio.m4a") :], "-ss") == "0"
    assert option(args, "-output_ts_offset") == "0.000000"
    assert "-bsf:v" not in args
    assert "-avoid_negative_ts" not in args


def test_variable_rate_sources_are_encoded_without_b_frames() -> None:
    # When a chunk of a VFR source is encoded, Then B-frames are off; otherwise x264 decides
    without = ffmpeg_args.chunk_encode(
        LOCAL_SOURCE, "c.mp4", CHUNK, sized_720p(), 50, 12800, b_frames=False
    )
    default = ffmpeg_args.chunk_encode(LOCAL_SOURCE, "c.mp4", CHUNK, sized_720p(), 50, 12800)
    assert option(without, "-bf") == "0"
    assert "-bf" not in default


def test_encoder_args_force_idr_frames_where_later_chunks_start() -> None:
    # Given chunks starting at 0 s, 10 s and 20.04 s of the output
    args = ffmpeg_args.encoder_args(sized_720p(), 50, chunk_starts=[0.0, 10.0, 20.04])
    # Then the single-pass equivalent forces a keyframe at each later start
    assert option(args, "-force_key_frames") == "10.000000,20.040000"
    assert "-force_key_frames" not in ffmpeg_args.encoder_args(sized_720p(), 50, chunk_starts=[0.0])


def test_the_chunk_decode_also_writes_its_planned_pictures() -> None:
    # When a chunk is encoded with thumbnails at two of its frames and tiles at three
    args = ffmpeg_args.chunk_encode(
        LOCAL_SOURCE,
        "a.mp4",
        CHUNK,
        sized_720p(),
        50,
        12800,
        pictures=[(THUMBS, "thumb_%05d.jpg"), (TILES, "00003.nut")],
    )
    # Then the one decode is split to the encode and to each picture output
    graph = option(args, "-filter_complex")
    assert "split=3" in graph
    assert "select=eq(n\\,0)+eq(n\\,30)" in graph
    assert "select=eq(n\\,0)+eq(n\\,10)+eq(n\\,20)" in graph
    assert "scale=640:-2:flags=bicubic:out_range=full" in graph
    assert "scale=160:90:flags=bicubic:out_range=full" in graph
    # thumbnails as JPEGs numbered in the job, tiles as raw frames for the sheets
    thumbs = args[args.index("a.mp4") + 1 : args.index("thumb_%05d.jpg") + 1]
    assert option(thumbs, "-start_number") == "7"
    assert option(thumbs, "-q:v") == "3"
    assert option(thumbs, "-fps_mode") == "passthrough"
    tiles = args[args.index("thumb_%05d.jpg") + 1 :]
    assert option(tiles, "-c") == "rawvideo"
    assert option(tiles, "-f") == "nut"
    # and x264 still measures only its own frames
    assert args.count("-vstats_file") == 0
    assert args.count("libx264") == 1


def test_sheets_tile_the_raw_tiles_in_full_range() -> None:
    args = WORK_FILE_COMMANDS["tile_sheets"]
    assert option(input_options(args)["tiles.ffconcat"], "-f") == "concat"
    graph = option(args, "-filter_complex")
    assert graph.index("setrange=full") < graph.index("tile=10x2")
    assert option(args, "-q:v") == "4"


def filter_steps(graph: str) -> list[str]:
    """The filters of a `-filter_complex` graph in order, link labels removed."""
    return [re.sub(r"\[[^\]]*\]", "", part) for part in graph.split(";")]


def test_a_rendition_s_filter_chain_is_the_same_wherever_it_is_built() -> None:
    # Given a rendition's chain as the single-pass equivalent states it
    sized = sized_720p()
    chain = ffmpeg_args.video_filter(sized).split(",")
    assert chain == ["scale=1280:720:flags=bicubic", "setsar=1", "format=yuv420p"]
    # Then a chunk encode and the PSNR reference apply exactly those steps, in order
    encode = ffmpeg_args.chunk_encode(LOCAL_SOURCE, "c.mp4", CHUNK, sized, 50, 12800)
    measure = ffmpeg_args.psnr("o.mp4", LOCAL_SOURCE, sized, 0.0, 5.0, 5)
    for args in (encode, measure):
        steps = filter_steps(option(args, "-filter_complex"))
        first = steps.index(chain[0])
        assert steps[first : first + len(chain)] == chain
