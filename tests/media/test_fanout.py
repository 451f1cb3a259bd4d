"""One ffmpeg writing to several others through pipes, as a ladder chunk encode runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from mpr.core.errors import MediaProcessingError
from mpr.media.probe import stream_facts
from mpr.media.tools import Tools
from tests.support.processes import child_processes


def producer(tools: Tools, frames: int) -> Callable[[Sequence[str]], list[str]]:
    def args(pipes: Sequence[str]) -> list[str]:
        cmd = [tools.ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25"]
        for pipe in pipes:
            cmd += ["-map", "0:v", "-frames:v", str(frames), "-c:v", "rawvideo", "-f", "nut"]
            cmd.append(pipe)
        return cmd

    return args


def consumer(tools: Tools, out: Path, *extra: str) -> list[str]:
    return [tools.ffmpeg, "-v", "error", "-y", "-f", "nut", "-i", "pipe:0", *extra, str(out)]


def test_every_consumer_gets_every_frame(tools: Tools, tmp_path: Path) -> None:
    # When one ffmpeg writes 30 frames to each of three encoding ffmpegs
    outs = [tmp_path / f"{i}.mp4" for i in range(3)]
    tools.run_fanout(
        producer(tools, 30),
        [consumer(tools, out, "-c:v", "libx264", "-preset", "ultrafast") for out in outs],
        "fanning out",
    )
    # Then each output holds all 30 frames
    for out in outs:
        assert stream_facts(tools, str(out), count_packets=True)["video"]["nb_read_packets"] == "30"


def test_a_failing_consumer_fails_the_run_with_its_reason(tools: Tools, tmp_path: Path) -> None:
    # When one of two consumers cannot encode (an unknown encoder)
    good = consumer(tools, tmp_path / "good.mp4", "-c:v", "libx264", "-preset", "ultrafast")
    bad = consumer(tools, tmp_path / "bad.mp4", "-c:v", "no-such-encoder")
    with pytest.raises(MediaProcessingError) as failure:
        tools.run_fanout(producer(tools, 250), [good, bad], "encoding chunk 7")
    # Then the run fails, naming the step and the consumer's own error
    message = str(failure.value)
    assert message.startswith("encoding chunk 7 failed: ")
    assert "Encoder not found" in message


def test_a_run_past_the_time_limit_is_stopped(tools: Tools, tmp_path: Path) -> None:
    # Given a producer that never ends and a one-second limit
    quick = Tools(ffmpeg=tools.ffmpeg, ffprobe=tools.ffprobe, timeout_seconds=1)

    def endless(pipes: Sequence[str]) -> list[str]:
        cmd = [tools.ffmpeg, "-v", "error", "-re", "-f", "lavfi", "-i", "testsrc2=s=64x64:r=25"]
        return [*cmd, "-c:v", "rawvideo", "-f", "nut", pipes[0]]

    # When it runs, Then it fails naming the limit
    with pytest.raises(MediaProcessingError, match=r"^encoding chunk 0 timed out after 1 s$"):
        quick.run_fanout(
            endless, [consumer(tools, tmp_path / "o.nut", "-c", "copy")], "encoding chunk 0"
        )
    # And neither ffmpeg is left running (or unreaped)
    assert not [c for _, c in child_processes() if "testsrc2=s=64x64" in c or "o.nut" in c]
