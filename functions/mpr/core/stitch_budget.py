"""How long a source one MP4 stitch can join, so that a job whose MP4 could never be
stitched fails at plan time, before any encode is paid for.

The stitch of a progressive MP4 runs in one invocation per rendition: it downloads every
chunk of the rendition and the audio into /tmp, joins them into a new file beside them, and
uploads that. So /tmp holds two copies of the rendition (at its `max_bitrate_kbps`, plus
the audio), and both copies pass through S3 once (down, then up) at `s3_mb_per_s`, within
`share` of the timeout (the join itself and the QC read follow). HLS rungs, thumbnails and
sprites need no stitch: the chunk tasks write them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mpr.core.errors import LimitExceededError
from mpr.core.estimate import S3_MB_PER_S
from mpr.core.models import MediaInfo, Preset, VideoRendition
from mpr.core.presets import renditions_for

TMP_FREE_SHARE = 0.9
"""The share of /tmp a stage plans to fill (the rest: the runtime's own files, headroom)."""
TIMEOUT_SHARE = 0.5
"""The share of its timeout a single-function stage plans for (as the encode budget does)."""
MB = 1024**2
COPIES = 2  # the chunks and the joined file


def stream_bytes_per_second(kbps: float) -> float:
    return kbps * 1000 / 8


@dataclass(frozen=True)
class StitchBudget:
    """What one stitch invocation has: its /tmp and its timeout."""

    tmp_mb: int
    timeout_seconds: float
    s3_mb_per_s: float = S3_MB_PER_S
    share: float = TIMEOUT_SHARE

    def tmp_seconds(self, kbps: float) -> float:
        """The longest source at `kbps` whose stitch fits /tmp."""
        room = self.tmp_mb * MB * TMP_FREE_SHARE
        return room / (COPIES * stream_bytes_per_second(kbps))

    def timeout_seconds_at(self, kbps: float) -> float:
        """The longest source at `kbps` whose stitch moves through S3 in time."""
        per_second = COPIES * stream_bytes_per_second(kbps) / (self.s3_mb_per_s * 1e6)
        return self.timeout_seconds * self.share / per_second

    def longest_seconds(self, kbps: float) -> float:
        return min(self.tmp_seconds(kbps), self.timeout_seconds_at(kbps))


def stitch_kbps(rendition: VideoRendition, *, audio_tracks: int = 1) -> float:
    """The bitrate a stitch of `rendition` moves: its video at the cap, and each audio track."""
    return rendition.max_bitrate_kbps + audio_tracks * rendition.audio_bitrate_kbps


def check_stitches(
    budget: StitchBudget, presets: Sequence[Preset], media: MediaInfo, duration: float
) -> None:
    """LimitExceededError naming the first MP4 preset whose stitch cannot hold `duration`
    seconds (the planned output: trim applied)."""
    for preset in presets:
        if preset.kind != "mp4":
            continue
        rendition = renditions_for(preset, media)[0].rendition
        tracks = len(media.audio_tracks)
        kbps = stitch_kbps(rendition, audio_tracks=tracks)
        longest = budget.longest_seconds(kbps)
        if duration > longest:
            bound = (
                f"ephemeral storage (/tmp) of {budget.tmp_mb} MB"
                if budget.tmp_seconds(kbps) <= longest
                else f"timeout of {budget.timeout_seconds:g} s"
            )
            raise LimitExceededError(
                f"preset '{preset.name}': its MP4 ({rendition.name}, {kbps:g} kb/s"
                f"{_audio_words(tracks)}) is "
                f"stitched by one function, whose {bound} holds at most {int(longest)} s; "
                f"the output lasts {duration:.1f} s (trim the source or choose an HLS preset)"
            )


def _audio_words(tracks: int) -> str:
    return "" if tracks == 0 else " with audio" if tracks == 1 else f" with {tracks} audio tracks"
