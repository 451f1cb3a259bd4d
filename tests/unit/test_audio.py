"""Audio track rules: choosing tracks by language, naming and tagging them, the encodes a
job needs, and what each output track must measure."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mpr.core import audio
from mpr.core.errors import InvalidInputError
from mpr.core.models import AudioEncoding, AudioInfo, JobSpec, Preset, Trim, VideoRendition
from mpr.core.planning import plan_chunks
from mpr.core.presets import builtin_presets
from mpr.core.qc import AudioMeasurement, audio_checks
from tests.unit.factories import cfr_index, make_media


def track(index: int, language: str | None, **fields: object) -> AudioInfo:
    values: dict[str, object] = {
        "codec": "aac",
        "sample_rate": 48000,
        "channels": 2,
        "duration": 10.0,
        "index": index,
        "language": language,
    }
    return AudioInfo.model_validate(values | fields)


ENG, SPA, FRA = track(1, "eng"), track(2, "spa", default=True), track(3, "fra")
MEDIA = make_media().model_copy(update={"audio": ENG, "other_audio": [SPA, FRA]})


def test_every_track_is_carried_without_a_language_choice() -> None:
    assert audio.select_tracks(MEDIA, None) is MEDIA
    assert MEDIA.audio_tracks == [ENG, SPA, FRA]


@pytest.mark.parametrize("languages", [["es"], ["spa"], ["es", "spa"]])
def test_a_language_keeps_its_tracks_and_lists_the_others_as_not_carried(
    languages: list[str],
) -> None:
    # When Spanish is asked for, in BCP 47's or ISO 639-2's form
    chosen = audio.select_tracks(MEDIA, languages)
    # Then only the Spanish track is carried, and the others are named as left out
    assert chosen.audio_tracks == [SPA]
    assert [(s.index, s.type, s.language) for s in chosen.not_carried] == [
        (1, "audio", "eng"),
        (3, "audio", "fra"),
    ]


def test_languages_keep_the_source_order() -> None:
    chosen = audio.select_tracks(MEDIA, ["fr", "en"])
    assert chosen.audio_tracks == [ENG, FRA]


def test_a_language_no_track_has_is_refused_naming_the_tracks() -> None:
    with pytest.raises(InvalidInputError) as raised:
        audio.select_tracks(MEDIA, ["en", "de"])
    assert str(raised.value) == (
        "audio language 'de': the source has no audio track in it "
        "(its audio tracks: eng (stream 1), spa (stream 2), fra (stream 3))"
    )


def test_an_audio_preset_needs_a_carried_track() -> None:
    silent = make_media(audio=None)
    presets = [builtin_presets()["audio-aac"]]
    with pytest.raises(InvalidInputError, match="'audio-aac' makes audio only"):
        audio.check_audio_presets(presets, silent)
    audio.check_audio_presets(presets, MEDIA)  # a track to carry: accepted
    audio.check_audio_presets([builtin_presets()["mp4-720p"]], silent)  # no audio preset


def test_labels_name_each_track_once_and_mark_one_default() -> None:
    # Given tracks the source marks default (the second and the third), two untagged
    tracks = [
        track(1, "eng"),
        track(2, "spa", default=True, title="Español"),
        track(3, None, default=True),
        track(4, "und"),
    ]
    # Then languages take BCP 47's shortest form (ISO 639-2 for MP4), names are unique,
    # and the first marked track is the default
    assert [(t.language, t.mp4_language, t.name, t.default) for t in audio.labels(tracks)] == [
        ("en", "eng", "en", False),
        ("es", "spa", "Español", True),
        (None, None, "audio", False),
        (None, None, "audio 2", False),
    ]


def test_without_a_marked_track_the_first_is_the_default() -> None:
    assert [t.default for t in audio.labels([track(1, "eng"), track(2, "spa")])] == [True, False]


def test_a_job_encodes_its_audio_once_per_distinct_encoding() -> None:
    # Given two video presets (128 and 96 kb/s audio), the AAC audio preset (128 kb/s) and
    # a custom Opus one
    low = VideoRendition(name="low", height=360, max_bitrate_kbps=800, audio_bitrate_kbps=96)
    opus = Preset(name="voice", kind="audio", audio=AudioEncoding(codec="opus", bitrate_kbps=64))
    presets = builtin_presets()
    spec = JobSpec(
        source="in.mp4",
        presets=[
            presets["mp4-720p"],
            Preset(name="small", kind="mp4", renditions=[low]),
            presets["audio-aac"],
            opus,
        ],
    )
    # Then the video outputs share the highest audio bitrate, which the AAC preset shares
    assert [e.id for e in audio.encodings(spec)] == ["aac-128k", "opus-64k"]
    assert audio.video_encoding(spec) == AudioEncoding(codec="aac", bitrate_kbps=128)
    # and a job of audio presets only has no video encoding
    alone = JobSpec(source="in.mp4", presets=[opus])
    assert audio.video_encoding(alone) is None
    assert [e.id for e in audio.encodings(alone)] == ["opus-64k"]


@pytest.mark.parametrize(
    ("codec", "source_rate", "rate"),
    [("aac", 44100, 44100), ("aac", 22050, 48000), ("opus", 44100, 48000), ("opus", 48000, 48000)],
)
def test_output_rates(codec: str, source_rate: int, rate: int) -> None:
    encoding = AudioEncoding.model_validate({"codec": codec})
    assert audio.sample_rate(encoding, track(1, "eng", sample_rate=source_rate)) == rate


def test_each_track_is_expected_to_last_as_long_as_it_does_in_the_range() -> None:
    # Given a 10 s range from 2 s on (trimmed), a track lasting the whole source, one
    # ending at 6 s and one starting at 3 s
    media = make_media().model_copy(
        update={
            "audio": track(1, "eng", duration=12.0),
            "other_audio": [track(2, "spa", duration=6.0), track(3, "fra", start_time=3.0)],
        }
    )
    plan = plan_chunks(
        cfr_index(300, 25.0, 25), target_seconds=10, min_seconds=2, trim=Trim(start=2.0)
    )
    # Then each starts at 0 on the output, lasting to its own end or the range's
    found = audio.expectations(media, plan, AudioEncoding())
    assert [(e.start, round(e.duration, 6)) for e in found] == [
        (0.0, 10.0),
        (0.0, 4.0),
        (0.0, 10.0),
    ]
    assert found[0].tolerance == pytest.approx(1024 / 48000 + 0.001)
    assert audio.expectations(media, plan, AudioEncoding(codec="opus"))[0].tolerance == (
        pytest.approx(960 / 48000 + 0.001)
    )


def test_audio_checks_hold_every_track_to_its_start_duration_and_samples() -> None:
    want = audio.TrackExpectation(start=0.0, duration=4.5, sample_rate=44100, tolerance=0.024)
    good = AudioMeasurement(start=0.0, duration=4.523, samples=198450 + 1000)
    checks = audio_checks([want], [good])
    assert [(c.name, c.passed) for c in checks] == [
        ("audio_tracks", True),
        ("audio.0.start", True),
        ("audio.0.duration", True),
        ("audio.0.samples", True),
    ]
    # a track missing, one starting late, one too short, samples missing: each fails
    assert not audio_checks([want, want], [good])[0].passed
    late = AudioMeasurement(start=0.0015, duration=4.5)
    assert [c.passed for c in audio_checks([want], [late])[1:]] == [False, True]
    short = AudioMeasurement(start=0.0, duration=4.475, samples=198450 - 1100)
    assert [c.passed for c in audio_checks([want], [short])[1:]] == [True, False, False]


def test_an_audio_preset_has_audio_settings_and_no_video() -> None:
    Preset(name="a", kind="audio", audio=AudioEncoding())
    with pytest.raises(ValidationError, match="only an audio preset, has audio settings"):
        Preset(name="a", kind="audio")
    with pytest.raises(ValidationError, match="only an audio preset, has audio settings"):
        Preset(name="a", kind="thumbnails", audio=AudioEncoding())
    rung = VideoRendition(name="r", height=360, max_bitrate_kbps=800)
    with pytest.raises(ValidationError, match="audio presets have no video renditions"):
        Preset(name="a", kind="audio", audio=AudioEncoding(), renditions=[rung])
    with pytest.raises(
        ValidationError, match="only an hls or cmaf preset has an audio-only variant"
    ):
        Preset(name="a", kind="mp4", renditions=[rung], audio_only_variant=True)


def test_audio_languages_must_be_bcp47() -> None:
    JobSpec(source="in.mp4", presets=[builtin_presets()["mp4-720p"]], audio_languages=["pt-BR"])
    with pytest.raises(ValidationError, match="not a BCP 47 language tag"):
        JobSpec(source="in.mp4", presets=[builtin_presets()["mp4-720p"]], audio_languages=["x!"])
