"""The CMAF ladder end to end: one set of fMP4 segments per rung, served by a DASH manifest
(read with `mpegdash`) and an HLS master playlist (read with `m3u8`), every segment decoded
on its own with ffprobe as the oracle for the manifest's times."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import m3u8
import pysubs2
import pytest
from mutagen.mp4 import Atoms

from tests.support.cli import mpr_transcode, transcoded
from tests.support.dash import DashRepresentation, parse_mpd, representations, seconds
from tests.support.media import Facts, facts, ffmpeg, ffprobe, hls_rungs, streams

pytestmark = pytest.mark.slow

SOURCE_SRT = (
    "1\n00:00:01,000 --> 00:00:02,500\nsource cue\n\n2\n00:00:07,000 --> 00:00:08,000\nlate\n"
)
ATTACHED_SRT = "1\n00:00:00,500 --> 00:00:03,000\nattached cue\n"
SECONDS, RATE = 12, "30000/1001"
FRAMES = 360  # what testsrc2 makes of 12 s at 29.97 fps


@dataclass(frozen=True)
class Ladder:
    source: Path
    out: Path
    manifest: dict[str, object]

    @property
    def folder(self) -> Path:
        return self.out / "cmaf-ladder"


@pytest.fixture(scope="module")
def ladder(tmp_path_factory: pytest.TempPathFactory) -> Ladder:
    """A 12 s 854x480 29.97 fps source (B-frames, 1 s GOPs, AAC, a mov_text stream) with an
    SRT attached, made into the CMAF ladder in two chunks of two segments each."""
    folder = tmp_path_factory.mktemp("cmaf")
    subtitles = folder / "source.srt"
    subtitles.write_text(SOURCE_SRT)
    source = folder / "source.mp4"
    ffmpeg(
        *("-f", "lavfi", "-i", f"testsrc2=s=854x480:r={RATE}:d={SECONDS}"),
        *("-f", "lavfi", "-i", f"sine=f=440:r=48000:d={SECONDS}", "-i", str(subtitles)),
        *("-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p"),
        *("-g", "30", "-bf", "3", "-c:a", "aac", "-ac", "2", "-c:s", "mov_text"),
        *("-metadata:s:s:0", "language=eng", str(source)),
    )
    assert [s["codec_name"] for s in streams(source)] == ["h264", "aac", "mov_text"]
    attached = folder / "french.srt"
    attached.write_text(ATTACHED_SRT)
    out = folder / "out"
    manifest = transcode(
        source,
        out,
        *("--chunk-seconds", "7", "--caption", f"{attached},language=fr,label=Français,default"),
    )
    return Ladder(source, out, manifest)


def transcode(source: Path, out: Path, *args: str) -> dict[str, object]:
    """`mpr transcode` of the source to the CMAF ladder in two workers; the manifest."""
    return transcoded(source, out, "--preset", "cmaf-ladder", "--workers", "2", *args)


def _alone(init: Path, segment: Path, scratch: Path) -> Path:
    joined = scratch / f"{init.parent.name}-{segment.stem}.mp4"
    joined.write_bytes(init.read_bytes() + segment.read_bytes())
    return joined


def _packets(path: Path, stream: str) -> list[tuple[float, float, float]]:
    """(pts, dts, duration) of each packet of a stream, in seconds, decode order."""
    found = ffprobe(
        "-select_streams", stream, "-show_entries", "packet=pts_time,dts_time,duration_time",
        str(path),
    )["packets"]  # fmt: skip
    return [
        (float(p["pts_time"]), float(p["dts_time"]), float(p["duration_time"]))
        for p in found  # type: ignore[union-attr]
    ]


def _by_kind(ladder: Ladder, kind: str) -> list[DashRepresentation]:
    return [r for r in representations(ladder.folder / "manifest.mpd") if r.content_type == kind]


def _check_segment_list(rep: DashRepresentation, scratch: Path) -> None:
    """The Representation lists exactly the init and media segments in its folder (beside
    the folder's HLS playlist), and each segment, decoded on its own with the init, starts at
    its timeline start (its first presentation time) and lasts its timeline duration, to the
    tick, the segments following each other without a gap."""
    assert rep.init is not None
    assert rep.init.parent == rep.segments[0].parent
    on_disk = {p for p in rep.init.parent.iterdir() if p.suffix != ".m3u8"}
    assert on_disk == {rep.init, *rep.segments}
    assert len(rep.segments) == len(rep.timeline)
    assert rep.timescale is not None
    tick = 1 / rep.timescale
    for segment, (start, duration) in zip(rep.segments, rep.timeline, strict=True):
        packets = _packets(_alone(rep.init, segment, scratch), f"{rep.content_type[0]}:0")
        first = min(pts for pts, _, _ in packets)
        decoded = packets[-1][1] + packets[-1][2] - packets[0][1]
        assert abs(first - start * tick) < tick / 2, (segment.name, first, start)
        assert abs(decoded - duration * tick) < tick / 2, (segment.name, decoded, duration)
    assert all(a[0] + a[1] == b[0] for a, b in pairwise(rep.timeline))


def _frames(rep: DashRepresentation, scratch: Path) -> Facts:
    """The video of a Representation, its init and segments joined, measured by ffprobe."""
    assert rep.init is not None
    whole = scratch / f"{rep.id}.mp4"
    whole.write_bytes(b"".join(p.read_bytes() for p in [rep.init, *rep.segments]))
    return facts(whole)


def test_every_segment_list_matches_the_files_and_their_times(
    ladder: Ladder, tmp_path: Path
) -> None:
    # Given the manifest's video and audio Representations, each of several segments
    media = [*_by_kind(ladder, "video"), *_by_kind(ladder, "audio")]
    assert [r.content_type for r in media] == ["video", "video", "audio"]
    assert all(len(r.segments) >= 2 for r in media)
    # Then each lists its files, with their exact times
    for rep in media:
        _check_segment_list(rep, tmp_path)
    # and the rungs' segments are aligned (segmentAlignment)
    (first, *others) = [r for r in media if r.content_type == "video"]
    assert all(r.timeline == first.timeline and r.timescale == first.timescale for r in others)


def test_segments_are_cmaf_fragments(ladder: Ladder) -> None:
    # Every track has an init segment of its own: one track, no samples, fragments announced
    for rep in [*_by_kind(ladder, "video"), *_by_kind(ladder, "audio")]:
        assert rep.init is not None
        with rep.init.open("rb") as file:
            init = Atoms(file)
        assert [a.name for a in init.atoms] == [b"ftyp", b"moov"]
        assert [a.name for a in init.path(b"moov")[0].children].count(b"trak") == 1
        assert init.path(b"moov", b"trak", b"mdia", b"minf", b"stbl")
        assert b"mvex" in [a.name for a in init.path(b"moov")[0].children]
        # and every media segment (read by mutagen) is one fragment of that track: styp,
        # its index (sidx), a moof whose traf states its decode time (tfdt) with data offsets
        # from the moof (tfhd default-base-is-moof), and the mdat
        for segment in rep.segments:
            data = segment.read_bytes()
            with segment.open("rb") as file:
                atoms = Atoms(file)
            assert [a.name for a in atoms.atoms] == [b"styp", b"sidx", b"moof", b"mdat"]
            (traf,) = [a for a in atoms.path(b"moof")[0].children if a.name == b"traf"]
            children = {a.name: a for a in traf.children}
            assert {b"tfhd", b"tfdt", b"trun"} <= set(children)
            tfhd = children[b"tfhd"]
            flags = int.from_bytes(data[tfhd.offset + 9 : tfhd.offset + 12], "big")
            assert flags & 0x020000, segment.name


HARD_CASES = {
    "vfr": ("vfr", None),
    "open_gop_b_frames": ("open_gop", None),
    "one_keyframe": ("one_keyframe", None),
    "rotated": ("rotated", None),
    "late_start": ("late_start", None),
    "late_audio": ("late_audio", None),
    "late_video": ("late_video", None),
    "long_audio": ("long_audio", None),
    "no_audio": ("no_audio", None),
    "odd_size": ("odd_size", None),
    "crowded_times": ("crowded_times", None),
    "trimmed": ("cfr", (1.3, 4.7)),
}


@pytest.mark.parametrize("name", list(HARD_CASES))
def test_timelines_stay_exact_on_the_hard_cases(
    name: str, clip: Callable[[str], Path], tmp_path: Path
) -> None:
    # Given a source with one known difficulty, made into a CMAF ladder in chunks
    recipe, trim = HARD_CASES[name]
    source = clip(recipe)
    args = ["--chunk-seconds", "1" if trim else "3"]
    if trim:
        args += ["--trim-start", str(trim[0]), "--trim-end", str(trim[1])]
    out = tmp_path / "out"
    transcode(source, out, *args)
    # Then every segment list is exact, and every rung has the selected frames at the
    # source's size as displayed, for as long as the presentation lasts
    times = facts(source).frame_times
    selected = [t for t in times if not trim or trim[0] - 1e-6 <= t < trim[1] - 1e-6]
    mpd = out / "cmaf-ladder" / "manifest.mpd"
    duration = seconds(parse_mpd(mpd).media_presentation_duration)
    reps = [r for r in representations(mpd) if r.content_type in ("video", "audio")]
    for rep in reps:
        _check_segment_list(rep, tmp_path)
    for rep in (r for r in reps if r.content_type == "video"):
        rung = _frames(rep, tmp_path)
        assert len(rung.frame_times) == len(selected)
        assert (rep.width, rep.height) == (rung.width, rung.height)
        assert abs(rung.video_duration - duration) < 1e-6


def test_rungs_are_frame_exact_and_described_right(ladder: Ladder, tmp_path: Path) -> None:
    source = facts(ladder.source)
    rate = Fraction(str(ffprobe("-show_streams", "-select_streams", "v:0", str(ladder.source))[
        "streams"][0]["avg_frame_rate"]))  # type: ignore[index]  # fmt: skip
    mpd = parse_mpd(ladder.folder / "manifest.mpd")
    assert mpd.type == "static"
    presented = seconds(mpd.media_presentation_duration)
    videos = _by_kind(ladder, "video")
    # The ladder has the rungs at or below the source's height
    assert [(v.width, v.height) for v in videos] == [(854, 480), (640, 360)]
    for rep in videos:
        assert rep.init is not None
        assert rep.timescale is not None
        rung = _frames(rep, tmp_path)
        # Every rung has exactly the source's frames, and the timeline and the presentation
        # duration are its duration, to the tick
        assert len(rung.frame_times) == len(source.frame_times) == FRAMES
        timeline = sum(d for _, d in rep.timeline) / rep.timescale
        assert abs(timeline - rung.video_duration) < 1 / rep.timescale
        assert abs(presented - rung.video_duration) < 1e-6
        # and the Representation states its size, frame rate, MIME type and codec as the
        # media has them (the codec from the init's avcC: profile, constraints, level)
        assert (rep.width, rep.height) == (rung.width, rung.height)
        assert Fraction(rep.frame_rate or "0") == rate
        assert rep.mime_type == "video/mp4"
        init = rep.init.read_bytes()
        avcc = init[init.index(b"avcC") + 4 :]
        assert rep.codecs == f"avc1.{avcc[1]:02x}{avcc[2]:02x}{avcc[3]:02x}"
        # and its bandwidth is the peak bit rate of its segments
        rates = [
            8 * p.stat().st_size * rep.timescale / d
            for p, (_, d) in zip(rep.segments, rep.timeline, strict=True)
        ]
        assert abs(rep.bandwidth - max(rates)) <= 1
    # The pipeline's own QC agrees
    outputs: list[dict[str, object]] = ladder.manifest["outputs"]  # type: ignore[assignment]
    rungs = [o for o in outputs if o["kind"] == "cmaf" and o["rendition"]]
    assert [o["frames"] for o in rungs] == [FRAMES] * 2
    assert all(o["qc"]["passed"] for o in outputs if o["kind"] == "cmaf")  # type: ignore[index]


def test_audio_adaptation_set(ladder: Ladder, tmp_path: Path) -> None:
    (audio,) = _by_kind(ladder, "audio")
    assert audio.init is not None
    assert audio.timescale is not None
    whole = tmp_path / "audio.mp4"
    whole.write_bytes(b"".join(p.read_bytes() for p in [audio.init, *audio.segments]))
    (stream,) = ffprobe("-show_streams", str(whole))["streams"]  # type: ignore[misc]
    # The audio states its codec, MIME type and sampling rate as the media has them
    assert (stream["codec_name"], stream["profile"]) == ("aac", "LC")
    assert audio.codecs == "mp4a.40.2"
    assert audio.mime_type == "audio/mp4"
    assert audio.timescale == int(stream["sample_rate"]) == 48000
    root = ET.parse(ladder.folder / "manifest.mpd").getroot()
    ns = {"d": "urn:mpeg:dash:schema:mpd:2011"}
    (audio_set,) = root.findall(".//d:AdaptationSet[@contentType='audio']", ns)
    rep = audio_set.find("d:Representation", ns)
    assert rep is not None
    assert rep.get("audioSamplingRate") == "48000"
    channels = rep.find("d:AudioChannelConfiguration", ns)
    assert channels is not None
    assert channels.get("value") == str(stream["channels"]) == "2"
    # and its timeline covers it, from 0 (the source's 12 s of sound, to the AAC frame)
    assert audio.timeline[0][0] == 0
    assert sum(d for _, d in audio.timeline) == round(float(stream["duration"]) * 48000)
    assert abs(float(stream["duration"]) - SECONDS) < 1024 / 48000


def test_text_adaptation_sets_point_at_the_captions(ladder: Ladder) -> None:
    texts = _by_kind(ladder, "text")
    # One text AdaptationSet per captions track: the source's stream, then the attached file
    assert [(t.lang, t.mime_type, t.roles) for t in texts] == [
        ("en", "text/vtt", ["subtitle"]),
        ("fr", "text/vtt", ["subtitle", "main"]),
    ]
    for text, srt in zip(texts, [SOURCE_SRT, ATTACHED_SRT], strict=True):
        # each a WebVTT file there, with the cues of its source (read by pysubs2)
        assert text.base_url is not None
        assert text.base_url.suffix == ".vtt"
        assert text.base_url.is_file()
        cues = pysubs2.load(str(text.base_url))
        assert [(e.start, e.end, e.plaintext) for e in cues] == [
            (e.start, e.end, e.plaintext) for e in pysubs2.SSAFile.from_string(srt)
        ]
        assert text.bandwidth >= 1
    labels = [
        label.text
        for label in ET.parse(ladder.folder / "manifest.mpd")
        .getroot()
        .iterfind(
            ".//{urn:mpeg:dash:schema:mpd:2011}AdaptationSet[@contentType='text']/"
            "{urn:mpeg:dash:schema:mpd:2011}Label"
        )
    ]
    assert labels == ["en", "Français"]


def test_master_playlist_plays_the_same_segments(ladder: Ladder, tmp_path: Path) -> None:
    master = ladder.folder / "master.m3u8"
    parsed = m3u8.load(str(master))
    dash = {(r.width, r.height): r for r in _by_kind(ladder, "video")}
    # Every HLS variant is a DASH Representation of the same size, playing the same files
    assert len(parsed.playlists) == len(dash)
    for variant in parsed.playlists:
        rep = dash[variant.stream_info.resolution]
        playlist_path = ladder.folder / variant.uri
        playlist = m3u8.load(str(playlist_path))
        assert playlist_path.parent / playlist.segment_map[0].uri == rep.init
        assert [playlist_path.parent / s.uri for s in playlist.segments] == rep.segments
        assert variant.stream_info.codecs.split(",")[0] == rep.codecs
        # with the same durations
        assert rep.timescale is not None
        for segment, (_, d) in zip(playlist.segments, rep.timeline, strict=True):
            assert abs(segment.duration - d / rep.timescale) < 1e-5
    (audio,) = _by_kind(ladder, "audio")
    (hls_audio,) = [m for m in parsed.media if m.type == "AUDIO"]
    audio_playlist = m3u8.load(str(ladder.folder / hls_audio.uri))
    folder = (ladder.folder / hls_audio.uri).parent
    assert [folder / s.uri for s in audio_playlist.segments] == audio.segments
    # and the subtitle renditions play the WebVTT files the text AdaptationSets name
    vtts = []
    for media in (m for m in parsed.media if m.type == "SUBTITLES"):
        (cue_file,) = m3u8.load(str(ladder.folder / media.uri)).segments
        vtts.append((ladder.folder / media.uri).parent / cue_file.uri)
    assert vtts == [t.base_url for t in _by_kind(ladder, "text")]
    # and the HLS rungs keep the frames as the HLS ladder's do
    for rung in hls_rungs(master, tmp_path):
        assert rung.discontinuities == 0
        assert all(segment.starts_with_key for segment in rung.segments)
        assert len(rung.facts.frame_times) == FRAMES


@pytest.mark.parametrize(
    ("preset", "reason"),
    [
        ('{"name": "c", "kind": "cmaf"}', "a cmaf preset needs at least one rendition"),
        ('{"name": "c", "kind": "cmaf", "renditions": []}', "needs at least one rendition"),
        ('{"name": "c", "kind": "dash", "renditions": []}', "kind: Input should be"),
    ],
    ids=["no-renditions", "empty-renditions", "unknown-kind"],
)
def test_bad_cmaf_preset_file_exits_2_with_the_reason(
    preset: str, reason: str, tmp_path: Path, bikes_clip: Path
) -> None:
    bad = tmp_path / "preset.json"
    bad.write_text(preset)
    out = tmp_path / "out"
    done = mpr_transcode(
        str(bikes_clip), "--out", str(out), "--preset-file", str(bad), "--preset", "c"
    )
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: ")
    assert reason in line
    assert not out.exists() or list(out.iterdir()) == []
