"""Small builders of core models for unit tests (real models, sensible defaults)."""

from __future__ import annotations

from mpr.core.models import AudioInfo, FrameIndex, MediaInfo, VideoInfo


def make_media(
    width: int = 1920,
    height: int = 1080,
    *,
    display_width: int | None = None,
    display_height: int | None = None,
    fps: float = 25.0,
    duration: float = 10.0,
    time_base: str = "1/12800",
    audio: AudioInfo | None = None,
) -> MediaInfo:
    """MediaInfo of an H.264 source; display size defaults to the coded size."""
    video = VideoInfo(
        codec="h264",
        width=width,
        height=height,
        display_width=display_width or width,
        display_height=display_height or height,
        fps=fps,
        frame_rate=f"{fps:g}/1",
        time_base=time_base,
        frame_count=max(1, round(fps * duration)),
        duration=duration,
        keyframe_count=1,
    )
    return MediaInfo(
        format_name="mov,mp4,m4a,3gp,3g2,mj2",
        size_bytes=1_000_000,
        duration=duration,
        video=video,
        audio=audio,
    )


def cfr_index(frames: int, fps: float, keyframe_every: int) -> FrameIndex:
    """A constant-frame-rate index with a keyframe every `keyframe_every` frames."""
    times = [i / fps for i in range(frames)]
    return FrameIndex(
        times=times,
        keyframes=list(range(0, frames, keyframe_every)),
        end=frames / fps,
    )
