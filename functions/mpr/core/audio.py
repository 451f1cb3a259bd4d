"""Audio tracks: which of the source's tracks a job carries, how the outputs name and tag
them, and the audio encodes a job's presets need (each made once for every carried track,
never per chunk)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import langcodes

from mpr.core.captions import standard_language
from mpr.core.errors import InvalidInputError
from mpr.core.models import (
    AudioEncoding,
    AudioInfo,
    ChunkPlan,
    JobSpec,
    MediaInfo,
    Preset,
    SourceStream,
)
from mpr.core.naming import unique_name

AAC_RATES = (32000, 44100, 48000)
OPUS_RATE = 48000
MAX_CHANNELS = 2
AAC_FRAME = 1024
OPUS_FRAME = 960


@dataclass(frozen=True)
class TrackLabel:
    """How the outputs present one carried track: `language` in BCP 47's shortest form
    (HLS, DASH), `mp4_language` as ISO 639-2 (MP4's own field), `name` unique in the job."""

    language: str | None
    mp4_language: str | None
    name: str
    default: bool


@dataclass(frozen=True)
class TrackExpectation:
    """Where an output's track must start (on the output timeline) and how long it lasts."""

    start: float
    duration: float
    sample_rate: int
    tolerance: float


def select_tracks(media: MediaInfo, languages: Sequence[str] | None) -> MediaInfo:
    """`media` carrying only the audio tracks in `languages` (BCP 47 or ISO 639-2 tags,
    matched in their shortest form: `es` and `spa` are one language); every track for None.
    The tracks left out are listed in `not_carried`. InvalidInputError names a language no
    audio track has."""
    if languages is None:
        return media
    tracks = media.audio_tracks
    wanted = [standard_language(tag) for tag in languages]
    have = [standard_language(t.language) for t in tracks]
    for tag, language in zip(languages, wanted, strict=True):
        if language is None or language not in have:
            found = ", ".join(f"{t.language or 'und'} (stream {t.index})" for t in tracks)
            raise InvalidInputError(
                f"audio language {tag!r}: the source has no audio track in it "
                f"(its audio tracks: {found or 'none'})"
            )
    kept = [t for t, language in zip(tracks, have, strict=True) if language in wanted]
    left = [
        SourceStream(
            index=t.index,
            type="audio",
            codec=t.codec,
            language=t.language,
            title=t.title,
            default=t.default,
        )
        for t in tracks
        if t not in kept
    ]
    return media.model_copy(
        update={
            "audio": kept[0] if kept else None,
            "other_audio": kept[1:],
            "not_carried": sorted([*media.not_carried, *left], key=lambda s: s.index),
        }
    )


def check_audio_presets(presets: Sequence[Preset], media: MediaInfo) -> None:
    """InvalidInputError where an audio preset would have no track to carry."""
    needing = [p.name for p in presets if p.kind == "audio"]
    if needing and not media.audio_tracks:
        raise InvalidInputError(
            f"preset {needing[0]!r} makes audio only, and the job carries no audio track"
        )


def labels(tracks: Sequence[AudioInfo]) -> list[TrackLabel]:
    """Each track's language, a unique name (its title, else its language, else `audio`)
    and whether it is the default: the first the source marks so, else the first."""
    chosen = next((i for i, t in enumerate(tracks) if t.default), 0)
    done: list[TrackLabel] = []
    for i, track in enumerate(tracks):
        language = standard_language(track.language)
        wanted = track.title or language or "audio"
        done.append(
            TrackLabel(
                language=language,
                mp4_language=_alpha3(language),
                name=unique_name(wanted, {t.name for t in done}, " {}"),
                default=i == chosen,
            )
        )
    return done


def _alpha3(language: str | None) -> str | None:
    if language is None:
        return None
    try:
        return str(langcodes.Language.get(language).to_alpha3())
    except LookupError:
        return None


def video_encoding(spec: JobSpec) -> AudioEncoding | None:
    """The AAC encoding MP4 and HLS outputs play (at the highest audio bitrate of their
    renditions); None when the job has no video output."""
    bitrates = [r.audio_bitrate_kbps for p in spec.presets for r in p.renditions]
    return AudioEncoding(codec="aac", bitrate_kbps=max(bitrates)) if bitrates else None


def encodings(spec: JobSpec) -> list[AudioEncoding]:
    """Every distinct audio encoding of the job: the video outputs' and each audio preset's."""
    found = [video_encoding(spec), *(p.audio for p in spec.presets if p.kind == "audio")]
    distinct: dict[str, AudioEncoding] = {}
    for encoding in found:
        if encoding is not None:
            distinct.setdefault(encoding.id, encoding)
    return list(distinct.values())


def sample_rate(encoding: AudioEncoding, track: AudioInfo) -> int:
    """The output rate: Opus is always 48 kHz; AAC keeps a common source rate."""
    if encoding.codec == "opus":
        return OPUS_RATE
    return track.sample_rate if track.sample_rate in AAC_RATES else 48000


def channels(track: AudioInfo) -> int:
    return min(MAX_CHANNELS, track.channels)


def expectations(
    media: MediaInfo, plan: ChunkPlan, encoding: AudioEncoding
) -> list[TrackExpectation]:
    """Each carried track on the output timeline: it starts at 0 (audio that starts late is
    preceded by silence) and lasts until it ends in the source or the range ends, whichever
    is first, within one frame of the codec (encoders end on whole frames)."""
    frame = OPUS_FRAME if encoding.codec == "opus" else AAC_FRAME
    found = []
    for track in media.audio_tracks:
        end = track.start_time + track.duration if track.duration > 0 else media.duration
        rate = sample_rate(encoding, track)
        found.append(
            TrackExpectation(
                start=0.0,
                duration=max(0.0, min(end, plan.end) - plan.start),
                sample_rate=rate,
                tolerance=frame / rate + 0.001,
            )
        )
    return found
