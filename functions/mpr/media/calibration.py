"""The CPU calibration of the pinned ffmpeg shipped in the package (bench/calibrate.py
writes it)."""

from __future__ import annotations

from importlib import resources

from mpr.core.estimate import Calibration

CALIBRATION_FILE = "calibration.json"


def load_calibration() -> Calibration:
    """The calibration in `mpr/media/calibration.json`."""
    text = resources.files("mpr.media").joinpath(CALIBRATION_FILE).read_text()
    return Calibration.model_validate_json(text)
