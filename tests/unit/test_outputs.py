"""What each chunk task writes towards the outputs: which encodes are stitched, which HLS
rungs are segmented, and which of a chunk's frames become pictures."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mpr.core.models import JobSpec, Trim
from mpr.core.outputs import PictureSchedule, segment_targets, stitched_renditions
from mpr.core.planning import plan_chunks
from mpr.core.presets import resolve_presets
from tests.unit.factories import cfr_index, make_media


def spec(*presets: str, trim: Trim | None = None) -> JobSpec:
    return JobSpec(source="in.mp4", presets=resolve_presets(presets), trim=trim)


def test_only_mp4_outputs_are_stitched_and_each_hls_rung_is_segmented() -> None:
    # Given a 720p source, an MP4 and the ladder (whose 720p rung is the MP4's encode)
    media = make_media(1280, 720)
    job = spec("mp4-720p", "hls-ladder")
    # Then only the 720p encode is stitched
    (stitched,) = stitched_renditions(job, media)
    assert stitched.startswith("720p-")
    # and every rung that fits the source is segmented into the ladder's folders
    targets = segment_targets(job, media)
    assert [(t.preset, t.name, t.segment_seconds) for t in targets] == [
        ("hls-ladder", "720p", 4.0),
        ("hls-ladder", "480p", 4.0),
        ("hls-ladder", "360p", 4.0),
    ]
    assert targets[0].rendition == stitched
    assert stitched_renditions(spec("hls-ladder"), media) == []


def test_a_chunk_pictures_the_first_frame_of_each_interval_it_holds() -> None:
    # Given 30 s at 25 fps in chunks of 10 s, thumbnails every 10 s and tiles every 2 s
    media = make_media(1280, 720, duration=30.0)
    index = cfr_index(750, 25.0, 50)
    plan = plan_chunks(index, target_seconds=10, min_seconds=2)
    schedule = PictureSchedule(spec("thumbnails"), media, index, plan)
    # Then the second chunk holds thumbnail 1 (its first frame) and tiles 5 to 9
    thumbs, tiles = schedule.for_chunk(plan.chunks[1])
    assert (thumbs.kind, thumbs.frames, thumbs.first_number) == ("thumbs", [0], 1)
    assert (thumbs.width, thumbs.height) == (640, -2)
    assert (tiles.kind, tiles.frames, tiles.first_number) == ("tiles", [0, 50, 100, 150, 200], 5)
    assert (tiles.width, tiles.height) == (160, 90)


@given(
    frames=st.integers(20, 600),
    every=st.integers(1, 60),
    chunk_seconds=st.floats(1.0, 12.0),
    start=st.floats(0.0, 3.0),
)
def test_chunks_share_out_every_picture_once_in_order(
    frames: int, every: int, chunk_seconds: float, start: float
) -> None:
    # Given any trimmed range cut into chunks
    index = cfr_index(frames, 25.0, every)
    media = make_media(640, 360, duration=frames / 25)
    trim = Trim(start=min(start, (frames - 1) / 25 - 0.01))
    plan = plan_chunks(index, target_seconds=chunk_seconds, min_seconds=1, trim=trim)
    schedule = PictureSchedule(spec("thumbnails", trim=trim), media, index, plan)
    # Then the chunks' pictures, in order, are numbered 0, 1, 2, ... and each is the first
    # frame of its own sprite interval, counted from the range start
    for kind, interval in (("thumbs", 10.0), ("tiles", 2.0)):
        numbers, shown = [], []
        for chunk in plan.chunks:
            for target in schedule.for_chunk(chunk):
                if target.kind == kind:
                    numbers += range(target.first_number, target.first_number + len(target.frames))
                    shown += [index.times[chunk.first_frame + f] for f in target.frames]
        assert numbers == list(range(len(numbers)))
        buckets = [int((t - plan.start + 1e-9) // interval) for t in shown]
        assert buckets == sorted(set(buckets))
        expected = {
            int((t - plan.start + 1e-9) // interval)
            for t in index.times
            if plan.start <= t < plan.end
        }
        assert set(buckets) == expected
