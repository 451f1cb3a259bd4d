"""Reading a source's text subtitle streams as WebVTT."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mpr.media.probe import safe_input_args
from mpr.media.tools import Tools


def extract_webvtt(
    tools: Tools, source: str, streams: Sequence[int], out_dir: Path
) -> dict[int, str]:
    """The WebVTT text of each subtitle stream (by source stream index), read in one pass.

    Times are on the source's timeline with its start time subtracted, like every other
    time MPR keeps (ffmpeg's default output offset).
    """
    if not streams:
        return {}
    out_dir.mkdir(parents=True, exist_ok=True)
    args = [tools.ffmpeg, "-nostdin", "-v", "error", *safe_input_args(source), "-i", source]
    for index in streams:
        args += ["-map", f"0:{index}", "-c:s", "webvtt", "-f", "webvtt"]
        args.append(str(out_dir / f"stream-{index}.vtt"))
    tools.run(args, "reading subtitle streams")
    return {i: (out_dir / f"stream-{i}.vtt").read_text(encoding="utf-8") for i in streams}
