"""Captions end to end: a source's mov_text stream and an attached SRT, through a trim, into
sidecar WebVTT and HLS subtitle renditions, read back with pysubs2 and m3u8."""

from __future__ import annotations

import json
from pathlib import Path

import m3u8
import pysubs2
import pytest

from mpr import stages
from mpr.adapters.local_storage import LocalStorage
from mpr.core import keys
from mpr.core.captions import CaptionError
from mpr.core.models import CaptionSpec
from mpr.core.payloads import ProbeRequest
from mpr.core.presets import resolve_presets
from mpr.media.tools import Tools
from mpr.settings import get_settings
from mpr.stages import StageContext
from tests.support.cli import mpr_transcode, transcoded
from tests.support.media import facts, ffmpeg, streams

# The source's own subtitles (eng) and the file attached to the job (fr), in ms.
SOURCE_SRT = """1
00:00:00,200 --> 00:00:00,900
before

2
00:00:01,200 --> 00:00:02,100
during

3
00:00:02,400 --> 00:00:02,900
across out
"""
ATTACHED_SRT = """1
00:00:00,500 --> 00:00:01,500
across in

2
00:00:01,800 --> 00:00:02,300
later

3
00:00:02,700 --> 00:00:02,950
after out
"""
FORCED_VTT = """WEBVTT

signs
00:00:00.900 --> 00:00:01.100 align:start
sign across in

00:00:02.500 --> 00:00:03.000
sign across out
"""
TRIM = (1.0, 2.6)  # frame times of the 25 fps source: the output starts and ends there


def _cues(srt: str) -> list[tuple[int, int, str]]:
    return [(e.start, e.end, e.plaintext) for e in pysubs2.SSAFile.from_string(srt)]


def _expected(srt: str) -> list[tuple[int, int, str]]:
    """The cues an output of the trimmed range shows: cut at the range, timed from its start."""
    start, end = (round(t * 1000) for t in TRIM)
    return [
        (max(s, start) - start, min(e, end) - start, text)
        for s, e, text in _cues(srt)
        if min(e, end) > max(s, start)
    ]


@pytest.fixture(scope="module")
def captioned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Outputs of a 3 s 320x240 source with a mov_text stream and an attached SRT, trimmed
    to 1.0-2.6 s, as an MP4 and an HLS ladder."""
    folder = tmp_path_factory.mktemp("captions")
    subtitles = folder / "source.srt"
    subtitles.write_text(SOURCE_SRT)
    source = folder / "source.mp4"
    ffmpeg(
        *("-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3"),
        *("-f", "lavfi", "-i", "sine=f=440:d=3", "-i", str(subtitles)),
        *("-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p"),
        *("-c:a", "aac", "-c:s", "mov_text", "-metadata:s:s:0", "language=eng"),
        str(source),
    )
    assert [s["codec_name"] for s in streams(source)] == ["h264", "aac", "mov_text"]
    assert _cues(_read_stream(source)) == _cues(SOURCE_SRT)
    attached = folder / "attached" / "french.srt"
    attached.parent.mkdir()
    attached.write_text(ATTACHED_SRT)
    forced = attached.with_name("signs.vtt")
    forced.write_text(FORCED_VTT)
    out = folder / "out"
    transcoded(
        source,
        out,
        *("--preset", "mp4-720p", "--preset", "hls-ladder"),
        *("--trim-start", str(TRIM[0]), "--trim-end", str(TRIM[1])),
        *("--caption", f"{attached},language=fr,label=Français,default"),
        *("--caption", f"{forced},language=fr,label=Français,forced"),
    )
    return out


def _read_stream(path: Path) -> str:
    """The first subtitle stream of a file as SRT, read by the test's own ffmpeg run."""
    out = path.with_suffix(".check.srt")
    ffmpeg("-i", str(path), "-map", "0:s:0", "-f", "srt", str(out))
    return out.read_text()


def test_sidecars_follow_the_trim(captioned: Path) -> None:
    # The MP4 covers the trimmed range
    video = facts(captioned / "mp4-720p.mp4")
    assert video.video_duration == pytest.approx(TRIM[1] - TRIM[0], abs=0.001)
    # and each caption track beside it shows the cues of that range, cut at its ends
    english = pysubs2.load(str(captioned / "mp4-720p.en.vtt"))
    french = pysubs2.load(str(captioned / "mp4-720p.fr.vtt"))
    assert [(e.start, e.end, e.plaintext) for e in english] == _expected(SOURCE_SRT)
    assert [(e.start, e.end, e.plaintext) for e in french] == _expected(ATTACHED_SRT)
    # which here means: the cue across the in point is shifted and cut, the one after the
    # out point dropped
    assert _expected(ATTACHED_SRT) == [(0, 500, "across in"), (800, 1300, "later")]
    assert _expected(SOURCE_SRT) == [(200, 1100, "during"), (1400, 1600, "across out")]
    forced = pysubs2.load(str(captioned / "mp4-720p.fr-2.vtt"))
    assert [(e.start, e.end, e.plaintext) for e in forced] == _expected(FORCED_VTT)
    assert _expected(FORCED_VTT) == [(0, 100, "sign across in"), (1500, 1600, "sign across out")]


def test_hls_master_offers_subtitle_renditions(captioned: Path) -> None:
    folder = captioned / "hls-ladder"
    master = m3u8.load(str(folder / "master.m3u8"))
    # Every rung refers to the subtitle group
    assert master.playlists
    assert {p.stream_info.subtitles for p in master.playlists} == {"subs"}
    # which holds the source's track and the attached ones, the attached one marked so the
    # default (the source's stream is marked default too), names unique in the group
    subtitles = [m for m in master.media if m.type == "SUBTITLES"]
    assert [(m.type, m.group_id, m.language, m.name, m.default, m.forced) for m in subtitles] == [
        ("SUBTITLES", "subs", "en", "en", "NO", "NO"),
        ("SUBTITLES", "subs", "fr", "Français", "YES", "NO"),
        ("SUBTITLES", "subs", "fr", "Français 2", "NO", "YES"),
    ]
    rung = m3u8.load(str(folder / master.playlists[0].uri))
    rung_seconds = sum(s.duration for s in rung.segments)
    for media, srt in zip(subtitles, [SOURCE_SRT, ATTACHED_SRT, FORCED_VTT], strict=True):
        playlist = m3u8.load(str(folder / media.uri))
        # each is one WebVTT file as long as the video rung
        assert playlist.is_endlist
        assert len(playlist.segments) == 1
        assert playlist.segments[0].duration == pytest.approx(rung_seconds, abs=0.001)
        vtt = folder / Path(media.uri).parent / playlist.segments[0].uri
        cues = pysubs2.load(str(vtt))
        assert [(e.start, e.end, e.plaintext) for e in cues] == _expected(srt)


def test_manifest_lists_the_captions_and_no_longer_the_subtitle_stream(captioned: Path) -> None:
    manifest = json.loads((captioned / "manifest.json").read_text())
    assert manifest["media"]["not_carried"] == []
    assert [(s["index"], s["codec"], s["language"]) for s in manifest["media"]["subtitles"]] == [
        (2, "mov_text", "eng")
    ]
    captions = [o for o in manifest["outputs"] if o["kind"] == "captions"]
    assert [(o["preset"], o["path"], o["language"], o["label"]) for o in captions] == [
        ("mp4-720p", "mp4-720p.en.vtt", "en", "en"),
        ("mp4-720p", "mp4-720p.fr.vtt", "fr", "Français"),
        ("mp4-720p", "mp4-720p.fr-2.vtt", "fr", "Français 2"),
        ("hls-ladder", "hls-ladder/_captions/en/index.m3u8", "en", "en"),
        ("hls-ladder", "hls-ladder/_captions/fr/index.m3u8", "fr", "Français"),
        ("hls-ladder", "hls-ladder/_captions/fr-2/index.m3u8", "fr", "Français 2"),
    ]
    for output in captions:
        assert all((captioned / f).is_file() for f in output["files"])


@pytest.mark.parametrize(
    ("content", "option", "message"),
    [
        ("no cues here\n", "language=en", "subs.srt line 1: not SRT or WebVTT"),
        (
            "WEBVTT\n\n00:02.000 --> 00:01.000\nback\n",
            "language=en",
            "subs.srt line 3: cue ends at 00:00:01.000, before its start 00:00:02.000",
        ),
        (SOURCE_SRT, "language=english", "'english' is not a BCP 47 language tag"),
        (SOURCE_SRT, "label=x", "say its language=TAG"),
        (SOURCE_SRT, "language=en,loud", "unknown part 'loud'"),
    ],
    ids=["not-captions", "end-before-start", "not-bcp47", "no-language", "unknown-part"],
)
def test_a_bad_caption_file_exits_2_and_writes_nothing(
    tmp_path: Path, bikes_clip: Path, content: str, option: str, message: str
) -> None:
    # Given a caption file and a work folder that must stay as it is
    captions = tmp_path / "subs.srt"
    captions.write_text(content)
    out = tmp_path / "out"
    # When transcoding with it
    done = mpr_transcode(str(bikes_clip), "--out", str(out), "--caption", f"{captions},{option}")
    # Then: exit 2 with one error line that gives the reason, and no output folder
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    assert message in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["subs.srt"]


def test_the_probe_stage_fails_a_job_whose_caption_file_is_broken(
    tmp_path: Path, bikes_clip: Path
) -> None:
    # Given a job queued without the API's checks (as the storage trigger starts one), whose
    # caption file has a cue ending before it starts
    inputs = LocalStorage(tmp_path / "in")
    inputs.put_file("bikes.mp4", bikes_clip)
    inputs.put_bytes("late.srt", b"1\n00:00:01,000 --> 00:00:00,500\nback\n")
    ctx = StageContext(
        inputs=inputs,
        work=LocalStorage(tmp_path / "work"),
        outputs=LocalStorage(tmp_path / "out"),
        tools=Tools.from_settings(get_settings()),
        limits=get_settings().limits,
    )
    spec = get_settings().job_spec("bikes.mp4", resolve_presets(["mp4-720p"], {}))
    spec = spec.model_copy(update={"captions": [CaptionSpec(source="late.srt", language="en")]})
    stages.submit(ctx, "job", spec)
    # When the pipeline probes it, then it fails there with the reason, before any chunk
    with pytest.raises(CaptionError, match=r"late.srt line 2: cue ends at 00:00:00.500"):
        stages.probe(ctx, ProbeRequest(job_id="job", source="bikes.mp4"))
    assert not ctx.work.exists(keys.tasks("job"))


ASS = r"""[Script Info]
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.50,0:00:01.20,Default,,0,0,0,,{\i1}styled{\i0} line\Nsecond
"""  # noqa: E501


def test_subrip_and_ass_streams_of_a_matroska_source(tmp_path: Path) -> None:
    # Given a 2 s Matroska source with a SubRip (spa) and an ASS (ger, titled) stream
    (tmp_path / "s.srt").write_text(SOURCE_SRT)
    (tmp_path / "s.ass").write_text(ASS)
    source = tmp_path / "source.mkv"
    ffmpeg(
        *("-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2"),
        *("-i", str(tmp_path / "s.srt"), "-i", str(tmp_path / "s.ass")),
        *("-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p"),
        *("-c:s:0", "subrip", "-c:s:1", "ass", "-metadata:s:s:0", "language=spa"),
        *("-metadata:s:s:1", "language=ger", "-metadata:s:s:1", "title=Deutsch"),
        str(source),
    )
    assert [s["codec_name"] for s in streams(source)] == ["h264", "subrip", "ass"]
    # When it is transcoded to an MP4
    out = tmp_path / "out"
    transcoded(source, out)
    # Then both streams are sidecars named by language, with the source's cues (the last
    # SubRip cue cut at the end of the video) and the ASS text without its styling
    spanish = pysubs2.load(str(out / "mp4-720p.es.vtt"))
    german = pysubs2.load(str(out / "mp4-720p.de.vtt"))
    assert [(e.start, e.end, e.plaintext) for e in spanish] == [
        (200, 900, "before"),
        (1200, 2000, "during"),
    ]
    assert [(e.start, e.end, e.plaintext) for e in german] == [(500, 1200, "styled line\nsecond")]
    manifest = json.loads((out / "manifest.json").read_text())
    assert [
        (o["language"], o["label"]) for o in manifest["outputs"] if o["kind"] == "captions"
    ] == [
        ("es", "es"),
        ("de", "Deutsch"),
    ]
