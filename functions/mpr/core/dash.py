"""The static DASH manifest (MPD) of a CMAF ladder, written from the exact segment records
the HLS playlists are written from.

Every Representation lists its segments (`SegmentList`: the chunk tasks name their segments
per chunk, so no `$Number$` template fits them) with a `SegmentTimeline` of exact durations
in the track's own timescale (`in_ticks`). Segment start times are the presentation times
the fragments carry (`tfdt` with the init segment's edit list, as their `sidx` states
them), from 0.

Why not Shaka Packager: it cannot write manifests over segments it did not write; it reads
every sample and writes every segment again. Repackaging one 10-minute 720p rung (261 MB,
150 segments) took it 5.9 s here (Shaka Packager v3.8.0, local disk, after joining the
segments into one file), and in the cloud every byte would be downloaded and uploaded once
more: packaging would grow with the source. This module writes the manifest of four such
rungs and their audio (750 segments) in about 25 ms.

Players: dash.js 5.2.1 and shaka-player 5.2.12 in Chromium play these manifests to the end,
the buffered range one piece from 0 to the presentation's end.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from fractions import Fraction
from itertools import accumulate

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mpr.core.hls import Segment, SubtitleRendition

NAMESPACE = "urn:mpeg:dash:schema:mpd:2011"
PROFILE = "urn:mpeg:dash:profile:isoff-main:2011"  # the profile that allows SegmentList
ROLE_SCHEME = "urn:mpeg:dash:role:2011"
CHANNELS_SCHEME = "urn:mpeg:mpegB:cicp:ChannelConfiguration"
MAX_FRAME_RATE_DENOMINATOR = 1001


class Track(BaseModel):
    """One segmented track: its init segment and media segments (each with its `ticks`),
    in `folder` beside the manifest, timed in `timescale` ticks per second."""

    model_config = ConfigDict(frozen=True)

    folder: str
    timescale: int = Field(ge=1)
    segments: list[Segment] = Field(min_length=1)
    init: str = "init.mp4"

    @model_validator(mode="after")
    def _timed(self) -> Track:
        if any(s.ticks is None for s in self.segments):
            raise ValueError("every segment of a DASH track needs its duration in ticks")
        return self


class VideoRepresentation(BaseModel):
    """One rung of the ladder."""

    model_config = ConfigDict(frozen=True)

    id: str
    track: Track
    bandwidth: int = Field(ge=1, description="peak bits per second over its segments")
    width: int
    height: int
    codecs: str
    frame_rate: float = Field(gt=0)


class AudioRendition(BaseModel):
    """One audio track: an AdaptationSet of its own (language, name, and its Role: `main`
    for the default, `alternate` for the others)."""

    model_config = ConfigDict(frozen=True)

    id: str
    track: Track
    bandwidth: int = Field(ge=1)
    codecs: str
    sample_rate: int = Field(gt=0)
    channels: int = Field(gt=0)
    name: str
    language: str | None = None
    default: bool = True


def manifest(
    duration: float,
    video: Sequence[VideoRepresentation],
    audio: Sequence[AudioRendition] = (),
    text: Sequence[SubtitleRendition] = (),
) -> str:
    """The static MPD of one Period `duration` seconds long: one video AdaptationSet of
    every rung, an AdaptationSet per audio track and per WebVTT captions track."""
    tracks = [*(v.track for v in video), *(a.track for a in audio)]
    longest = max(s.duration for t in tracks for s in t.segments)
    mpd = ET.Element(
        "MPD",
        {
            "xmlns": NAMESPACE,
            "profiles": PROFILE,
            "type": "static",
            "mediaPresentationDuration": iso_duration(duration),
            "minBufferTime": iso_duration(math.ceil(longest)),
        },
    )
    period = ET.SubElement(mpd, "Period", {"id": "0", "start": "PT0S"})
    _video_set(period, "0", video)
    for n, track in enumerate(audio, start=1):
        _audio_set(period, str(n), track)
    for n, captions in enumerate(text, start=1 + len(audio)):
        _text_set(period, str(n), captions, duration)
    ET.indent(mpd)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(mpd, "unicode") + "\n"


def iso_duration(seconds: float) -> str:
    """xs:duration in seconds to the microsecond, e.g. `PT6.016S`."""
    text = f"{seconds:.6f}".rstrip("0").rstrip(".")
    return f"PT{text}S"


def frame_rate(fps: float) -> str:
    """DASH FrameRateType: `30`, or a ratio such as `30000/1001`."""
    ratio = Fraction(fps).limit_denominator(MAX_FRAME_RATE_DENOMINATOR)
    return str(ratio.numerator) if ratio.denominator == 1 else str(ratio)


def in_ticks(
    segments: Sequence[Segment], timescale: int, total: int | None = None
) -> list[Segment]:
    """The segments with their exact durations in ticks. ffmpeg states a duration to the
    microsecond, within half a tick of a whole number of ticks for any timescale up to
    1,000,000, so rounding each one recovers it; the last one is the rest of `total` (the
    ticks of them all) where that is known, since its stated duration is what the others
    leave of the total and carries their rounding."""
    ticks = [round(s.duration * timescale) for s in segments]
    if total is not None:
        ticks[-1] = total - sum(ticks[:-1])
    return [s.model_copy(update={"ticks": t}) for s, t in zip(segments, ticks, strict=True)]


def timeline(segments: Sequence[Segment]) -> list[tuple[int, int]]:
    """(start, duration) of each segment in ticks, from 0, one after the other."""
    durations = [s.ticks or 0 for s in segments]
    starts = [0, *accumulate(durations[:-1])]
    return list(zip(starts, durations, strict=True))


def _video_set(period: ET.Element, set_id: str, video: Sequence[VideoRepresentation]) -> None:
    adaptation = ET.SubElement(
        period,
        "AdaptationSet",
        {
            "id": set_id,
            "contentType": "video",
            "segmentAlignment": "true",
            "startWithSAP": "1",
            "maxWidth": str(max(v.width for v in video)),
            "maxHeight": str(max(v.height for v in video)),
        },
    )
    for v in video:
        representation = ET.SubElement(
            adaptation,
            "Representation",
            {
                "id": v.id,
                "mimeType": "video/mp4",
                "bandwidth": str(v.bandwidth),
                "codecs": v.codecs,
                "width": str(v.width),
                "height": str(v.height),
                "frameRate": frame_rate(v.frame_rate),
                "sar": "1:1",
            },
        )
        _segment_list(representation, v.track)


def _audio_set(period: ET.Element, set_id: str, audio: AudioRendition) -> None:
    adaptation = ET.SubElement(
        period,
        "AdaptationSet",
        {
            "id": set_id,
            "contentType": "audio",
            **({"lang": audio.language} if audio.language else {}),
            "segmentAlignment": "true",
            "startWithSAP": "1",
        },
    )
    ET.SubElement(adaptation, "Label").text = audio.name
    role = "main" if audio.default else "alternate"
    ET.SubElement(adaptation, "Role", {"schemeIdUri": ROLE_SCHEME, "value": role})
    representation = ET.SubElement(
        adaptation,
        "Representation",
        {
            "id": audio.id,
            "mimeType": "audio/mp4",
            "bandwidth": str(audio.bandwidth),
            "codecs": audio.codecs,
            "audioSamplingRate": str(audio.sample_rate),
        },
    )
    ET.SubElement(
        representation,
        "AudioChannelConfiguration",
        {"schemeIdUri": CHANNELS_SCHEME, "value": str(audio.channels)},
    )
    _segment_list(representation, audio.track)


def _text_set(
    period: ET.Element, set_id: str, captions: SubtitleRendition, duration: float
) -> None:
    adaptation = ET.SubElement(
        period,
        "AdaptationSet",
        {
            "id": set_id,
            "contentType": "text",
            "mimeType": "text/vtt",
            **({"lang": captions.language} if captions.language else {}),
        },
    )
    ET.SubElement(adaptation, "Label").text = captions.name
    role = "forced-subtitle" if captions.forced else "subtitle"
    ET.SubElement(adaptation, "Role", {"schemeIdUri": ROLE_SCHEME, "value": role})
    if captions.default:
        ET.SubElement(adaptation, "Role", {"schemeIdUri": ROLE_SCHEME, "value": "main"})
    bandwidth = max(1, round(8 * captions.size / duration)) if duration > 0 else 1
    representation = ET.SubElement(
        adaptation, "Representation", {"id": f"text-{set_id}", "bandwidth": str(bandwidth)}
    )
    ET.SubElement(representation, "BaseURL").text = captions.file


def _segment_list(representation: ET.Element, track: Track) -> None:
    segments = ET.SubElement(representation, "SegmentList", {"timescale": str(track.timescale)})
    ET.SubElement(segments, "Initialization", {"sourceURL": f"{track.folder}/{track.init}"})
    times = ET.SubElement(segments, "SegmentTimeline")
    runs: list[tuple[int, int, int]] = []  # start, duration, repeats
    for start, ticks in timeline(track.segments):
        if runs and runs[-1][1] == ticks:
            runs[-1] = (runs[-1][0], ticks, runs[-1][2] + 1)
        else:
            runs.append((start, ticks, 0))
    for n, (start, ticks, repeats) in enumerate(runs):
        attributes = {"t": str(start)} if n == 0 else {}
        attributes["d"] = str(ticks)
        if repeats:
            attributes["r"] = str(repeats)
        ET.SubElement(times, "S", attributes)
    for segment in track.segments:
        ET.SubElement(segments, "SegmentURL", {"media": f"{track.folder}/{segment.uri}"})
