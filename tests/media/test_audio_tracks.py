"""Every audio track of the source, chosen by language, in HLS and MP4 outputs; audio-only
outputs. Each expectation is measured from the source with ffprobe; playlists are read
with the `m3u8` package."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import m3u8
import pytest

from tests.media.test_transcode_cases import transcode
from tests.support.cli import mpr_transcode
from tests.support.dash import representations
from tests.support.media import audio_tracks, facts, ffmpeg, hls_audio, hls_rungs

pytestmark = pytest.mark.slow

AAC_FRAME = 1024
OPUS_FRAME = 960
# the fixed names the outputs give the source's ISO 639-2 tags (BCP 47's shortest form)
BCP47 = {"eng": "en", "spa": "es"}


@pytest.fixture(scope="module")
def two_audio(clip: Callable[[str], Path]) -> Path:
    return clip("two_audio")


def source_tracks(source: Path) -> list[dict[str, object]]:
    tracks = audio_tracks(source)
    # the clip as made: eng 6 s at 48 kHz, spa 4.5 s at 44.1 kHz and the default
    assert [(t["language"], t["duration"], t["default"]) for t in tracks] == [
        ("eng", 6.0, False),
        ("spa", 4.5, True),
    ]
    return tracks


def within_a_frame(out: dict[str, object], src: dict[str, object], frame: int) -> bool:
    rate = int(str(src["sample_rate"]))
    gap = abs(float(str(out["duration"])) - float(str(src["duration"])))
    return gap <= frame / rate + 1e-3


def test_every_audio_track_becomes_a_rendition_and_an_mp4_track(
    two_audio: Path, tmp_path: Path
) -> None:
    # Given a video with two audio tracks of different lengths, the second the default
    src = facts(two_audio)
    tracks = source_tracks(two_audio)

    # When it is transcoded to the HLS ladder and an MP4
    args = ["--preset", "hls-ladder", "--preset", "mp4-720p", "--chunk-seconds", "2"]
    manifest = transcode(two_audio, tmp_path, *args, "--workers", "2")

    # Then the master offers both tracks in one group, with their languages, the one the
    # source marks as default the default, and every variant plays that group
    master = tmp_path / "hls-ladder" / "master.m3u8"
    parsed = m3u8.load(str(master))
    assert [(m.type, m.group_id, m.language, m.default, m.autoselect) for m in parsed.media] == [
        ("AUDIO", "audio", BCP47["eng"], "NO", "YES"),
        ("AUDIO", "audio", BCP47["spa"], "YES", "YES"),
    ]
    assert [m.name for m in parsed.media] == [BCP47["eng"], "Español"]  # else its language
    assert len(parsed.playlists) == 2  # 480p and 360p
    assert {p.stream_info.audio for p in parsed.playlists} == {"audio"}
    # and each rendition starts with the video and lasts as long as its source track
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    renditions = hls_audio(master, scratch)
    for rendition, track in zip(renditions, tracks, strict=True):
        assert abs(rendition.start - src.video_start) < 1e-3, rendition.playlist
        assert within_a_frame(vars(rendition), track, AAC_FRAME), (rendition, track)
    # and every rung holds exactly the source's frames at their times
    for rung in hls_rungs(master, scratch):
        assert len(rung.facts.frame_times) == len(src.frame_times), rung.uri
        shifted = [t - rung.facts.frame_times[0] for t in rung.facts.frame_times]
        assert max(abs(a - b) for a, b in zip(shifted, src.frame_times, strict=True)) < 1e-3

    # and the MP4 keeps both tracks, tagged, the default flag where the source has it
    mp4 = tmp_path / "mp4-720p.mp4"
    assert len(facts(mp4).frame_times) == len(src.frame_times)
    kept = audio_tracks(mp4)
    assert [(t["language"], t["default"]) for t in kept] == [("eng", False), ("spa", True)]
    for out, track in zip(kept, tracks, strict=True):
        assert abs(float(str(out["start"]))) < 1e-3
        assert within_a_frame(out, track, AAC_FRAME), (out, track)

    # and the manifest lists every audio rendition, with nothing left out, every QC passed
    outputs = manifest["outputs"]
    assert isinstance(outputs, list)
    audio = [o for o in outputs if o["kind"] == "audio"]
    assert [(o["language"], o["path"]) for o in audio] == [
        (BCP47["eng"], "hls-ladder/_audio-0/index.m3u8"),
        (BCP47["spa"], "hls-ladder/_audio-1/index.m3u8"),
    ]
    assert all(o["qc"]["passed"] for o in outputs)
    assert manifest["media"]["not_carried"] == []  # type: ignore[index]


def test_a_language_picks_its_track_and_an_audio_only_variant_joins_the_ladder(
    two_audio: Path, tmp_path: Path
) -> None:
    # Given a ladder preset that also offers the audio alone
    preset = {
        "name": "ladder",
        "kind": "hls",
        "audio_only_variant": True,
        "renditions": [{"name": "360p", "height": 360, "max_bitrate_kbps": 900}],
    }
    preset_file = tmp_path / "ladder.json"
    preset_file.write_text(json.dumps(preset))
    spa = source_tracks(two_audio)[1]

    # When the Spanish track only is asked for
    out = tmp_path / "out"
    args = ["--preset-file", str(preset_file), "--preset", "ladder", "--preset", "mp4-720p"]
    manifest = transcode(two_audio, out, *args, "--audio-language", "spa")

    # Then the MP4 carries that track alone
    assert [t["language"] for t in audio_tracks(out / "mp4-720p.mp4")] == ["spa"]
    # and the master offers it alone, as the default, to the video variant and to an
    # audio-only variant with the audio codec only
    master = out / "ladder" / "master.m3u8"
    parsed = m3u8.load(str(master))
    assert [(m.language, m.default) for m in parsed.media] == [(BCP47["spa"], "YES")]
    video, alone = parsed.playlists
    assert video.stream_info.resolution is not None
    assert alone.stream_info.codecs == "mp4a.40.2"
    assert alone.stream_info.resolution is None
    assert alone.uri == parsed.media[0].uri
    assert alone.stream_info.bandwidth < video.stream_info.bandwidth
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (rendition,) = hls_audio(master, scratch)
    assert within_a_frame(vars(rendition), spa, AAC_FRAME)
    # and the English track is named as not carried
    not_carried = manifest["media"]["not_carried"]  # type: ignore[index]
    assert [(s["index"], s["type"], s["language"]) for s in not_carried] == [(1, "audio", "eng")]


@pytest.mark.parametrize(
    ("language", "reason"),
    [
        ("fr", "audio language 'fr': the source has no audio track in it"),
        ("x!", "is not a BCP 47 language tag"),
    ],
)
def test_a_language_the_source_lacks_fails_with_the_reason(
    two_audio: Path, tmp_path: Path, language: str, reason: str
) -> None:
    # When a language is asked for that no track has (or that is no language tag)
    done = mpr_transcode(str(two_audio), "--out", str(tmp_path), "--audio-language", language)
    # Then the command fails as bad input, says why, and writes nothing
    assert done.returncode == 2, done.stderr
    assert reason in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_audio_only_presets_make_m4a_files_without_encoding_video(
    two_audio: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an ffmpeg that records every command it runs
    real = subprocess.run(
        [
            sys.executable,
            "-c",
            "from mpr.settings import get_settings; print(get_settings().ffmpeg)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    log = tmp_path / "commands.log"
    recording = tmp_path / "ffmpeg"
    recording.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {real} "$@"\n')
    recording.chmod(0o755)
    monkeypatch.setenv("MPR_FFMPEG_PATH", str(recording))
    tracks = source_tracks(two_audio)

    # When a job asks for the AAC and the Opus audio presets only
    out = tmp_path / "out"
    manifest = transcode(two_audio, out, "--preset", "audio-aac", "--preset", "audio-opus")

    # Then no command encoded (or decoded for encoding) any video
    commands = log.read_text().splitlines()
    assert commands
    assert not [c for c in commands if "libx264" in c or "-c:v" in c]
    # and each M4A holds both tracks in its codec, starting at 0, as long as the source's
    # and as many samples, within one codec frame
    for name, codec, frame in (("audio-aac", "aac", AAC_FRAME), ("audio-opus", "opus", OPUS_FRAME)):
        made = audio_tracks(out / f"{name}.m4a")
        assert [(t["codec"], t["language"], t["default"]) for t in made] == [
            (codec, "eng", False),
            (codec, "spa", True),
        ]
        for got, want in zip(made, tracks, strict=True):
            rate = int(str(got["sample_rate"]))
            assert rate == (48000 if codec == "opus" else want["sample_rate"])
            assert abs(float(str(got["start"]))) < 1e-3
            assert within_a_frame(got, want | {"sample_rate": rate}, frame), (got, want)
            expected = float(str(want["duration"])) * rate
            assert abs(int(str(got["samples"])) - expected) <= frame, (got, want)
    # and the manifest records both with their QC passed
    outputs = manifest["outputs"]
    assert isinstance(outputs, list)
    assert [(o["kind"], o["path"], o["qc"]["passed"]) for o in outputs] == [
        ("audio", "audio-aac.m4a", True),
        ("audio", "audio-opus.m4a", True),
    ]
    checks = {c["name"] for c in outputs[0]["qc"]["checks"]}
    assert {"audio.0.duration", "audio.0.samples", "audio.1.start"} <= checks


@pytest.mark.parametrize(
    ("name", "loops"),
    [
        # Matroska streams state their length only as a tag (ffprobe reads it from the MP4)
        ("two_audio.mkv", 1),
        # the clip 5 times in a row by stream copy, as joining tools make long files: each
        # loop's audio starts after a gap (the longer video's end), which is filled
        ("looped.mp4", 5),
    ],
)
def test_remuxed_tracks_keep_their_own_lengths(
    two_audio: Path, tmp_path: Path, name: str, loops: int
) -> None:
    # Given the two tracks remuxed by stream copy
    source = tmp_path / name
    ffmpeg(
        "-stream_loop", str(loops - 1), "-i", str(two_audio), "-map", "0", "-c", "copy", str(source)
    )
    tracks = audio_tracks(source if loops > 1 else two_audio)
    # When they are made into AAC audio only
    manifest = transcode(source, tmp_path / "out", "--preset", "audio-aac")
    # Then each lasts as long as the source's track says (the job's QC agreeing)
    made = audio_tracks(tmp_path / "out" / "audio-aac.m4a")
    for got, want in zip(made, tracks, strict=True):
        assert within_a_frame(got, want, AAC_FRAME), (got, want)
    outputs = manifest["outputs"]
    assert isinstance(outputs, list)
    assert outputs[0]["qc"]["passed"] is True


def test_a_cmaf_ladder_gives_every_track_an_adaptation_set(two_audio: Path, tmp_path: Path) -> None:
    # Given the two tracks, When they are made into a CMAF ladder
    tracks = source_tracks(two_audio)
    transcode(two_audio, tmp_path, "--preset", "cmaf-ladder", "--chunk-seconds", "2")
    # Then the DASH manifest (read by mpegdash) has an audio set per track, in its language,
    # the default track with the main role and the other alternate, each segment list as long
    # as its source track
    audio = [
        r
        for r in representations(tmp_path / "cmaf-ladder" / "manifest.mpd")
        if r.content_type == "audio"
    ]
    assert [(r.lang, r.roles) for r in audio] == [
        (BCP47["eng"], ["alternate"]),
        (BCP47["spa"], ["main"]),
    ]
    for representation, track in zip(audio, tracks, strict=True):
        assert representation.timescale == track["sample_rate"]
        ticks = sum(d for _, d in representation.timeline)
        assert within_a_frame(
            {"duration": ticks / int(str(track["sample_rate"]))}, track, AAC_FRAME
        )
        assert all(s.exists() for s in representation.segments)
    # and its HLS master offers the same two tracks
    master = m3u8.load(str(tmp_path / "cmaf-ladder" / "master.m3u8"))
    assert [(m.language, m.default) for m in master.media if m.type == "AUDIO"] == [
        (BCP47["eng"], "NO"),
        (BCP47["spa"], "YES"),
    ]
