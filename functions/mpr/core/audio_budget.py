"""How long a source the one audio task can encode with every carried track, so that a job
whose audio could never be encoded fails at plan time, before any encode is paid for.

encode_audio runs once a job: for each audio encoding of the job it reads the source and
encodes every carried track (`cpu_per_second` a track and source second, one thread),
within `share` of its timeout. Its /tmp keeps each encoding's file (every track) and, for
each HLS and CMAF preset, the segments of the encoding the video outputs play. Both grow
with the number of tracks, so the bound is the job's, not the source's.
"""

from __future__ import annotations

from dataclasses import dataclass

from mpr.core.audio import encodings, video_encoding
from mpr.core.errors import LimitExceededError
from mpr.core.models import JobSpec
from mpr.core.stitch_budget import MB, TIMEOUT_SHARE, TMP_FREE_SHARE, stream_bytes_per_second


@dataclass(frozen=True)
class AudioLoad:
    """What the audio task does a source second: track encodes, and kb/s kept in /tmp."""

    track_encodes: int
    held_kbps: float


def audio_load(spec: JobSpec, tracks: int) -> AudioLoad:
    """The audio task's work for `tracks` carried tracks under `spec`'s presets."""
    made = encodings(spec)
    played = video_encoding(spec)
    segments = 0 if played is None else played.bitrate_kbps * sum(p.segmented for p in spec.presets)
    per_track = sum(e.bitrate_kbps for e in made) + segments
    return AudioLoad(track_encodes=tracks * len(made), held_kbps=tracks * per_track)


@dataclass(frozen=True)
class AudioBudget:
    """What the one encode_audio invocation has: its /tmp, its timeout, and the calibrated
    CPU-seconds of one track's encode per source second."""

    tmp_mb: int
    timeout_seconds: float
    cpu_per_second: float
    share: float = TIMEOUT_SHARE

    def tmp_seconds(self, load: AudioLoad) -> float:
        """The longest source whose audio files fit /tmp."""
        room = self.tmp_mb * MB * TMP_FREE_SHARE
        return room / stream_bytes_per_second(load.held_kbps) if load.held_kbps else float("inf")

    def cpu_seconds(self, load: AudioLoad) -> float:
        """The longest source whose track encodes finish within the planned timeout share."""
        work = load.track_encodes * self.cpu_per_second
        return self.timeout_seconds * self.share / work if work else float("inf")

    def longest_seconds(self, load: AudioLoad) -> float:
        return min(self.tmp_seconds(load), self.cpu_seconds(load))


def check_audio(budget: AudioBudget, spec: JobSpec, tracks: int, duration: float) -> None:
    """LimitExceededError where the audio task cannot encode `tracks` tracks of `duration`
    seconds (the planned output: trim applied), naming the bound and the track count."""
    load = audio_load(spec, tracks)
    longest = budget.longest_seconds(load)
    if duration <= longest:
        return
    bound = (
        f"ephemeral storage (/tmp) of {budget.tmp_mb} MB"
        if budget.tmp_seconds(load) <= longest
        else f"timeout of {budget.timeout_seconds:g} s"
    )
    count = len(encodings(spec))
    raise LimitExceededError(
        f"the audio task encodes {tracks} audio track{'s' if tracks != 1 else ''} "
        f"({count} encoding{'s' if count != 1 else ''} each) in one function, whose {bound} "
        f"holds at most {int(longest)} s; the output lasts {duration:.1f} s (carry fewer "
        "tracks with audio_languages, or trim the source)"
    )
