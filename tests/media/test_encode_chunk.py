"""Encoding one chunk of a real clip to one or several renditions (mpr.media.encode)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from mpr.core.errors import MediaProcessingError
from mpr.core.models import Chunk, ChunkTask, SizedRendition
from mpr.core.presets import builtin_presets, renditions_for
from mpr.media.encode import encode_chunk
from mpr.media.probe import probe, stream_facts
from mpr.media.tools import Tools
from tests.support.processes import child_processes

# bikes.mp4: 640x272, 25 fps, 250 frames; frames 50-99 are 2.0 s to 4.0 s
SECOND_CHUNK = Chunk(
    index=1,
    first_frame=50,
    frames=50,
    start=2.0,
    end=4.0,
    seek=2.02,
    select_from=1.98,
    select_to=3.98,
)
PAST_THE_END = SECOND_CHUNK.model_copy(
    update={"start": 20.0, "end": 22.0, "seek": 20.02, "select_from": 19.98, "select_to": 21.98}
)


def task(tools: Tools, clip: Path, chunk: Chunk, presets: list[str]) -> ChunkTask:
    media, _ = probe(tools, str(clip))
    sized = [s for name in presets for s in renditions_for(builtin_presets()[name], media)]
    return ChunkTask(
        job_id="j",
        source=str(clip),
        chunk=chunk,
        renditions=list({s.id: s for s in sized}.values()),
        gop_frames=50,
        timescale=12800,
    )


@pytest.mark.parametrize("presets", [["mp4-720p"], ["hls-ladder"]], ids=["one", "ladder"])
def test_each_rendition_gets_exactly_the_chunks_frames(
    tools: Tools, bikes_clip: Path, tmp_path: Path, presets: list[str]
) -> None:
    # When the second chunk is encoded to one rendition, or to every rung of the ladder
    chunk_task = task(tools, bikes_clip, SECOND_CHUNK, presets)
    encoded = encode_chunk(tools, str(bikes_clip), chunk_task, tmp_path, threads=2)
    # Then every rendition has its own file of exactly 50 frames at its own size
    assert set(encoded) == {s.id for s in chunk_task.renditions}
    for sized in chunk_task.renditions:
        path, psnr_db = encoded[sized.id]
        video = stream_facts(tools, str(path), count_packets=True)["video"]
        assert video["nb_read_packets"] == "50"
        assert (video["width"], video["height"]) == (sized.width, sized.height)
        assert psnr_db > 30


@pytest.mark.parametrize("presets", [["mp4-720p"], ["hls-ladder"]], ids=["one", "ladder"])
def test_a_chunk_that_yields_no_frames_fails_with_the_count(
    tools: Tools, bikes_clip: Path, tmp_path: Path, presets: list[str]
) -> None:
    # When a chunk lies past the end of the source
    chunk_task = task(tools, bikes_clip, PAST_THE_END, presets)
    with pytest.raises(
        MediaProcessingError, match=r"^chunk 1 \(\w+-\w+\) has 0 frames, planned 50$"
    ):
        encode_chunk(tools, str(bikes_clip), chunk_task, tmp_path, threads=2)


WHOLE_CLIP = Chunk(
    index=0,
    first_frame=0,
    frames=250,
    start=0.0,
    end=10.0,
    seek=0.0,
    select_from=-0.02,
    select_to=9.98,
)


@pytest.mark.slow
@pytest.mark.parametrize("renditions", [1, 2], ids=["one", "ladder"])
def test_an_ffmpeg_killed_mid_encode_is_named_with_its_signal(
    tools: Tools, bikes_clip: Path, tmp_path: Path, renditions: int
) -> None:
    # Given a chunk encode of the whole clip (slow x264 settings, so it runs a while), to
    # one rendition (one ffmpeg) or two (the decoding ffmpeg piping to an encoding one)
    chunk_task = task(tools, bikes_clip, WHOLE_CLIP, ["mp4-720p"])
    top = chunk_task.renditions[0]
    slow = top.rendition.model_copy(update={"x264_preset": "slow"})
    small = SizedRendition(rendition=slow.model_copy(update={"height": 136}), width=320, height=136)
    sized = [top.model_copy(update={"rendition": slow}), small][:renditions]
    chunk_task = chunk_task.model_copy(update={"renditions": sized})
    stats = tmp_path / f"{sized[0].id}.vstats"
    failure: list[BaseException] = []

    def encode() -> None:
        try:
            encode_chunk(tools, str(bikes_clip), chunk_task, tmp_path, threads=1)
        except MediaProcessingError as exc:
            failure.append(exc)

    worker = threading.Thread(target=encode)
    worker.start()
    # When the ffmpeg that reads the source is killed once it has encoded a frame
    deadline = time.monotonic() + 30
    while not (stats.exists() and stats.stat().st_size) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stats.exists(), "the encode wrote no frame statistics"
    reader = next(pid for pid, cmd in child_processes() if str(bikes_clip) in cmd)
    os.kill(reader, signal.SIGKILL)
    worker.join(timeout=60)

    # Then the encode fails naming that process and the signal, before any other error
    assert len(failure) == 1
    program = Path(tools.ffmpeg).name + (" reading the source" if renditions > 1 else "")
    assert str(failure[0]).startswith(
        f"encoding chunk 0 failed: {program} (pid {reader}) was killed by SIGKILL"
    ), failure[0]
