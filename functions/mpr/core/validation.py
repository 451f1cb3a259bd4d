"""Checks of probed media against the configured caps and what the pipeline can process."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from mpr.core.errors import LimitExceededError, UnsupportedMediaError
from mpr.core.models import FrameIndex, MediaInfo, Trim, VideoInfo


class Limits(BaseModel):
    """Caps on user input; built from settings."""

    model_config = ConfigDict(frozen=True)

    max_input_bytes: int
    max_duration_seconds: float
    max_width: int
    max_height: int
    max_frame_rate: float


def check_size(size_bytes: int, limits: Limits) -> None:
    """Reject empty sources and those above the byte cap before anything reads them."""
    if size_bytes == 0:
        raise UnsupportedMediaError("source is empty (0 bytes)")
    if size_bytes > limits.max_input_bytes:
        raise LimitExceededError(
            f"source is {size_bytes} bytes; the limit is {limits.max_input_bytes} bytes"
        )


def check_media(media: MediaInfo, limits: Limits) -> None:
    """Reject sources whose duration, dimensions or frame rate exceed the caps."""
    video = media.video
    if media.duration > limits.max_duration_seconds:
        raise LimitExceededError(
            f"source lasts {media.duration:.1f} s; the limit is {limits.max_duration_seconds:.0f} s"
        )
    if video.width > limits.max_width or video.height > limits.max_height:
        raise LimitExceededError(
            f"frame size {video.width}x{video.height} exceeds the limit "
            f"{limits.max_width}x{limits.max_height}"
        )
    if video.fps > limits.max_frame_rate:
        raise LimitExceededError(
            f"frame rate {video.fps:.2f} exceeds the limit {limits.max_frame_rate:.0f}"
        )


def check_trim(trim: Trim | None, media: MediaInfo) -> None:
    """Reject a trim that selects nothing of the source."""
    if trim is None:
        return
    if trim.start >= media.video.duration:
        raise UnsupportedMediaError(
            f"trim start {trim.start:g} s is at or after the end of the video "
            f"({media.video.duration:.3f} s)"
        )


def check_frame_times(index: FrameIndex, video: VideoInfo) -> None:
    """Reject a video whose presentation times repeat, or go backwards in decode order in a
    stream without B-frames (whose decoder shows frames in the order it decodes them).

    A decoder that meets such a time re-times every later frame from its decode time, so
    frames no longer land where the index puts them and chunks cannot be cut by time.
    """
    if index.repeated:
        raise UnsupportedMediaError(
            f"video timestamps are broken: {len(index.repeated)} frame(s) repeat the "
            f"presentation time of another (first at {index.repeated[0]:.6f} s); "
            "remux the source with corrected timestamps"
        )
    if index.first_backwards is not None and not video.has_b_frames:
        raise UnsupportedMediaError(
            "video timestamps are broken: presentation times go backwards in a stream "
            f"without B-frames (first at {index.first_backwards:.6f} s); "
            "remux the source with corrected timestamps"
        )
