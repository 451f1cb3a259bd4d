"""Model rules that every layer relies on."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mpr.core.models import FrameIndex, JobRecord, SizedRendition, Trim, VideoRendition


@pytest.mark.parametrize(
    ("times", "keyframes", "end"),
    [
        ([0.0, 0.04, 0.04], [0], 0.08),  # repeated time
        ([0.0, 0.08, 0.04], [0], 0.12),  # out of order
        ([0.0, 0.04], [0], 0.04),  # end not after the last frame
        ([0.0, 0.04], [2], 0.08),  # keyframe out of range
        ([0.0, 0.04], [-1], 0.08),
        ([], [0], 0.04),
        ([0.0], [], 0.04),
    ],
)
def test_inconsistent_frame_index_is_rejected(
    times: list[float], keyframes: list[int], end: float
) -> None:
    with pytest.raises(ValidationError):
        FrameIndex(times=times, keyframes=keyframes, end=end)


def test_trim_end_must_follow_its_start() -> None:
    assert Trim(start=1.0, end=1.5).end == 1.5
    assert Trim(start=3.0).end is None
    with pytest.raises(ValidationError):
        Trim(start=2.0, end=2.0)
    with pytest.raises(ValidationError):
        Trim(start=-1.0)


def test_models_are_frozen_and_strict() -> None:
    trim = Trim(start=1.0)
    with pytest.raises(ValidationError):
        trim.start = 2.0  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Trim.model_validate({"start": 1.0, "finish": 2.0})


@pytest.mark.parametrize("name", ["720p", "hls.v2", "a", "a" * 63, "x_y-z"])
def test_rendition_names(name: str) -> None:
    assert VideoRendition(name=name, height=720, max_bitrate_kbps=1000).name == name


@pytest.mark.parametrize("name", ["", "720P", "-720p", "a b", "a/b", "../x", "a" * 64])
def test_unsafe_rendition_names_are_rejected(name: str) -> None:
    # Rendition names become folder names in outputs: no case, spaces, slashes or dots first
    with pytest.raises(ValidationError):
        VideoRendition(name=name, height=720, max_bitrate_kbps=1000)


def test_sized_rendition_id_names_the_height_and_is_stable() -> None:
    rendition = VideoRendition(name="720p", height=720, max_bitrate_kbps=3500)
    sized = SizedRendition(rendition=rendition, width=1280, height=720)
    again = SizedRendition(rendition=rendition.model_copy(), width=1280, height=720)
    assert sized.id == again.id
    assert sized.id.startswith("720p-")
    assert len(sized.id) == len("720p-") + 8
    assert SizedRendition(rendition=rendition, width=1278, height=720).id != sized.id


def test_job_record_ignores_fields_it_does_not_know() -> None:
    # Stores written by a newer version may carry extra attributes
    record = JobRecord.model_validate(
        {
            "job_id": "j1",
            "spec": {
                "source": "in/a.mp4",
                "presets": [{"name": "thumbs", "kind": "thumbnails"}],
            },
            "ttl": 123,
        }
    )
    assert record.job_id == "j1"
