"""Caps on cloud sources, derived from what the single-function stages can hold.

Probe, stitch and package each run in one Lambda invocation. The chunk encodes spread over
the Distributed Map and are sized by the plan (`mpr.core.encode_budget`); the rest is
bounded by /tmp, so a source is refused at probe when its outputs could not fit there,
before any encode is paid for:

- stitch downloads one rendition's chunks and writes the joined file: twice the
  rendition's size in /tmp;
- package holds the HLS ladder's segments beside the progressive MP4.

Sizes are taken at the highest bitrate (`max_bitrate_kbps`) of the built-in presets, plus
the audio, with a tenth of /tmp kept free.
"""

from __future__ import annotations

from infra.config import DeployConfig
from mpr.core.presets import builtin_presets

_FREE_SHARE = 0.9
_MB = 1024**2


def _bytes_per_second(kbps: float) -> float:
    return kbps * 1000 / 8


def max_source_seconds(config: DeployConfig) -> int:
    """The longest source every stage can process within its /tmp."""
    presets = builtin_presets().values()
    audio = max(r.audio_bitrate_kbps for p in presets for r in p.renditions)
    top = max(r.max_bitrate_kbps for p in presets for r in p.renditions) + audio
    ladder = max(sum(r.max_bitrate_kbps + audio for r in p.renditions) for p in presets)
    stitch_tmp = config.sizes["stitch"].ephemeral_mb * _MB * _FREE_SHARE
    package_tmp = config.sizes["package"].ephemeral_mb * _MB * _FREE_SHARE
    stitch = stitch_tmp / (2 * _bytes_per_second(top))
    package = package_tmp / _bytes_per_second(ladder + top)
    return int(min(stitch, package))
