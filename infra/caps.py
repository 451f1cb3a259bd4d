"""Caps on cloud sources, derived from what the single-function stages can hold.

The chunk encodes spread over the Distributed Map and are sized by the plan
(`mpr.core.encode_budget`); they also write the HLS segments, thumbnails and sprite tiles.
What still runs in one invocation over the whole source (`functions/mpr/stages.py`):

- encode_audio encodes every carried track once per audio encoding of the job
  (`mpr.core.audio_budget`: `audio_cpu_per_second` of the calibration a track, one thread)
  within its planned share of the timeout, and keeps each encoding's file and the HLS
  segments in /tmp. Its work grows with the job's tracks and encodings, so the plan checks
  each job against the function (`audio_track_seconds` lists it for one to four tracks); the
  probe's cap takes one track of the built-in AAC and its HLS segments (twice the audio);
- package copies segments and MP4s server-side and writes playlists; it downloads only the
  sprite tiles and writes the sheets beside them: twice a tile per sprite interval, each at
  most its raw RGB size (a 9:16 frame at the tile width);
- stitch joins one MP4 rendition (`mpr.core.stitch_budget`): only a job with an MP4 preset
  has one, so the plan checks it against the job's presets; `stitch_seconds` lists it for
  the built-in ones;
- probe reads the container index through ranged GETs: flat in the source's length.

The probe's cap is the smaller of audio (one track) and package, taken at the built-in
presets' audio bitrate and sprite settings, and never above the settings' own default.
"""

from __future__ import annotations

from infra.config import DeployConfig
from mpr.core.audio_budget import AudioBudget, AudioLoad, audio_load
from mpr.core.models import JobSpec
from mpr.core.presets import builtin_presets
from mpr.core.stitch_budget import (
    MB,
    TMP_FREE_SHARE,
    StitchBudget,
    stitch_kbps,
)
from mpr.media.calibration import load_calibration
from mpr.settings import Settings

_RGB_BYTES = 3
_PORTRAIT = 16 / 9  # a tile's height over its width, at the tallest common frame


def _tmp_bytes(config: DeployConfig, function: str) -> float:
    return config.sizes[function].ephemeral_mb * MB * TMP_FREE_SHARE


def audio_budget(config: DeployConfig) -> AudioBudget:
    """What the deployed encode_audio function has."""
    size = config.sizes["encode_audio"]
    cpu = load_calibration().audio_cpu_per_second
    return AudioBudget(size.ephemeral_mb, size.timeout_seconds, cpu)


def audio_seconds(config: DeployConfig) -> int:
    """The longest source whose one track encode_audio encodes to the built-in AAC and
    holds with its HLS segments."""
    presets = builtin_presets().values()
    kbps = max(r.audio_bitrate_kbps for p in presets for r in p.renditions)
    return int(audio_budget(config).longest_seconds(AudioLoad(1, 2 * kbps)))


def audio_track_seconds(config: DeployConfig, preset: str, tracks: range) -> dict[int, int]:
    """The longest source the plan admits for a job of one built-in preset, by the number
    of tracks it carries."""
    spec = JobSpec(source="source", presets=[builtin_presets()[preset]])
    budget = audio_budget(config)
    return {n: int(budget.longest_seconds(audio_load(spec, n))) for n in tracks}


def package_seconds(config: DeployConfig) -> int:
    """The longest source whose sprite tiles and sheets package holds in /tmp."""
    specs = [p.thumbnails for p in builtin_presets().values() if p.thumbnails is not None]
    per_second = max(
        2 * _RGB_BYTES * s.sprite_tile_width**2 * _PORTRAIT / s.sprite_interval_seconds
        for s in specs
    )
    return int(_tmp_bytes(config, "package") / per_second)


def stitch_seconds(config: DeployConfig) -> dict[str, int]:
    """The longest source each built-in MP4 preset's stitch holds, by preset name."""
    size = config.sizes["stitch"]
    budget = StitchBudget(size.ephemeral_mb, size.timeout_seconds)
    return {
        p.name: int(budget.longest_seconds(stitch_kbps(p.renditions[0])))
        for p in builtin_presets().values()
        if p.kind == "mp4"
    }


def max_source_seconds(config: DeployConfig) -> int:
    """The longest source every job can take through the single-function stages (probe's
    cap; a job's MP4 stitch is checked at plan time)."""
    default = Settings.model_fields["max_duration_seconds"].default
    return int(min(audio_seconds(config), package_seconds(config), default))
