"""The cost model on fixed inputs, every expectation computed by hand in the comments."""

from __future__ import annotations

from typing import get_args

import pytest
from pydantic import ValidationError

from mpr.core.estimate import Calibration, Platform, X264Preset, estimate
from mpr.core.models import AudioInfo, JobSpec, MediaInfo, SizedRendition, VideoRendition
from mpr.core.planning import plan_chunks
from mpr.core.presets import builtin_presets
from mpr.media.calibration import load_calibration
from mpr.stages import job_estimate
from tests.unit.factories import cfr_index, make_media

CALIBRATION = Calibration(
    machine="test",
    ffmpeg="test",
    # per pixel-frame; at 25 fps: 1e-6 and 5e-7 CPU-s per pixel-second
    encode_cpu_per_pixel_frame={720: 4e-8, 1080: 2e-8},
    preset_factor={p: 1.0 for p in get_args(X264Preset)} | {"medium": 2.0},
    # 1e-7 per pixel-second at 25 fps
    decode_cpu_per_pixel_frame=4e-9,
    audio_cpu_per_second=0.05,
    probe_seconds=0.5,
)
# 3538 MB is exactly 2 vCPUs; 85 % of them busy: 1.7 CPU-seconds per second
PLATFORM = Platform(lambdas=3, memory_mb=3538, cold_start_s=2.0, s3_mb_per_s=100.0)
RUNG_720 = SizedRendition(
    rendition=VideoRendition(name="720p", height=720, max_bitrate_kbps=4000),
    width=1280,
    height=720,
)
AUDIO = AudioInfo(codec="aac", sample_rate=48000, channels=2, duration=60.0)


def source(seconds: float, audio: AudioInfo | None = AUDIO) -> MediaInfo:
    """1080p25 at 8 Mb/s (1 MB of source a second)."""
    media = make_media(duration=seconds, audio=audio)
    return media.model_copy(update={"bit_rate": 8_000_000})


def test_a_one_minute_source_on_three_lambdas() -> None:
    # Given 60 s of 1080p25 with 2 s GOPs in six 10 s chunks, one 720p rung at 4 Mb/s
    media, index = source(60), cfr_index(1500, 25.0, keyframe_every=50)
    plan = plan_chunks(index, target_seconds=10, min_seconds=2)
    assert len(plan.chunks) == 6
    # When it is estimated on three 2-vCPU Lambdas
    result = estimate(media, index, plan, [RUNG_720], CALIBRATION, PLATFORM)
    # Then a chunk task is 2 s cold start + (10 MB in + 5 MB out) / 100 MB/s
    # + (250 frames * 2,073,600 px * 4e-9 decode + 250 * 921,600 * 4e-8 encode) / 1.7
    # = 2 + 0.15 + (2.0736 + 9.216) / 1.7 = 8.7909 s
    chunk = 2 + 0.15 + (2.0736 + 9.216) / 1.7
    assert result.longest_chunk_seconds == pytest.approx(chunk, abs=0.01)
    stages = {s.stage: s for s in result.stages}
    # and six of them on three Lambdas take two rounds; the audio (2 s + 60 MB / 100 MB/s
    # + 60 * 0.05 = 5.6 s) runs beside them
    assert stages["encode"].seconds == pytest.approx(2 * chunk, abs=0.01)
    assert "audio 5.6 s beside" in stages["encode"].note
    assert "holds" not in stages["encode"].note
    # and the stitch moves 30 MB of output in and out (2 s + 0.6 s), the package copies it
    # once (2 s + 0.3 s)
    assert stages["stitch"].seconds == pytest.approx(2.6)
    assert stages["package"].seconds == pytest.approx(2.3)
    assert stages["probe"].seconds == pytest.approx(2.5)
    assert result.wall_seconds == pytest.approx(2.5 + 2.2 + 2 * chunk + 2.6 + 2.3 + 2.3, abs=0.1)
    assert result.slowest_stage == "encode"
    # and the encode stage bills six chunk tasks and the audio at 3538 / 1024 GB
    billed = (6 * chunk + 5.6) * (3538 / 1024) * 0.0000166667 + 7 * 0.20e-6
    assert stages["encode"].cost_usd == pytest.approx(billed, rel=1e-3)
    assert stages["encode"].invocations == 7
    # and MediaConvert charges one HD output minute at $0.015
    assert result.mediaconvert_usd == pytest.approx(0.015)
    assert result.output_minutes == pytest.approx(1.0)


def test_an_hls_only_job_is_not_stitched_and_its_package_moves_no_media() -> None:
    # Given the same minute made into HLS only: no rendition is stitched
    media, index = source(60), cfr_index(1500, 25.0, keyframe_every=50)
    plan = plan_chunks(index, target_seconds=10, min_seconds=2)
    result = estimate(media, index, plan, [RUNG_720], CALIBRATION, PLATFORM, stitched=[])
    stages = {s.stage: s for s in result.stages}
    # Then no stitch runs, and the package is its cold start only
    assert (stages["stitch"].seconds, stages["stitch"].invocations) == (0.0, 0)
    assert stages["stitch"].cost_usd == 0.0
    assert stages["package"].seconds == pytest.approx(2.0)


def test_arm64_bills_the_arm_rate() -> None:
    media, index = source(60), cfr_index(1500, 25.0, keyframe_every=50)
    plan = plan_chunks(index, target_seconds=10, min_seconds=2)
    arm = PLATFORM.model_copy(update={"arch": "arm64"})
    x86 = estimate(media, index, plan, [RUNG_720], CALIBRATION, PLATFORM)
    graviton = estimate(media, index, plan, [RUNG_720], CALIBRATION, arm)
    # Then the same seconds at $0.0000133334 instead of $0.0000166667 per GB-second
    assert graviton.wall_seconds == x86.wall_seconds
    ratio = graviton.stages[2].cost_usd / x86.stages[2].cost_usd
    assert ratio == pytest.approx(0.0000133334 / 0.0000166667, rel=1e-3)


def test_more_than_a_thousand_lambdas_start_in_steps_of_ten_seconds() -> None:
    # Given 5,000 s without audio in 2,500 chunks of 2 s, and 2,500 Lambdas allowed
    media, index = source(5000, audio=None), cfr_index(125_000, 25.0, keyframe_every=50)
    plan = plan_chunks(index, target_seconds=2, min_seconds=2)
    assert len(plan.chunks) == 2500
    many = PLATFORM.model_copy(update={"lambdas": 2500, "account_concurrency": 3000})
    # When estimated
    result = estimate(media, index, plan, [RUNG_720], CALIBRATION, many)
    # Then only 1,000 environments exist before 10 s; each task takes
    # 2 + 0.03 + (0.41472 + 1.8432) / 1.7 = 3.3582 s, so the first 1,000 environments run
    # three rounds (done at 10.07 s) before the ones allowed at 10 s could help
    chunk = 2 + 0.03 + (0.41472 + 1.8432) / 1.7
    assert result.stages[2].seconds == pytest.approx(3 * chunk, abs=0.01)
    # And with 1,000 Lambdas allowed it is the same: the scaling rate, not the limit, binds
    capped = PLATFORM.model_copy(update={"lambdas": 1000})
    same = estimate(media, index, plan, [RUNG_720], CALIBRATION, capped)
    assert same.stages[2].seconds == result.stages[2].seconds


def test_a_chunk_cut_inside_a_gop_pays_for_decoding_from_its_keyframe() -> None:
    # Given 20 s with a single keyframe, cut into two 10 s chunks
    media, index = source(20, audio=None), cfr_index(500, 25.0, keyframe_every=500)
    plan = plan_chunks(index, target_seconds=10, min_seconds=2)
    assert [c.first_frame for c in plan.chunks] == [0, 250]
    # When estimated on one Lambda
    one = PLATFORM.model_copy(update={"lambdas": 1})
    result = estimate(media, index, plan, [RUNG_720], CALIBRATION, one)
    # Then the second chunk decodes 20 s (20 MB read): 2 + (20 + 5) / 100 +
    # (20 * 0.20736 + 9.216) / 1.7 = 10.1107 s, and the first 8.7909 s, one after the other
    second = 2 + 0.25 + (4.1472 + 9.216) / 1.7
    first = 2 + 0.15 + (2.0736 + 9.216) / 1.7
    assert result.longest_chunk_seconds == pytest.approx(second, abs=0.01)
    assert result.stages[2].seconds == pytest.approx(first + second, abs=0.01)


def test_measured_seconds_stand_beside_the_prediction() -> None:
    media, index = source(60), cfr_index(1500, 25.0, keyframe_every=50)
    plan = plan_chunks(index, target_seconds=10, min_seconds=2)
    result = estimate(
        media, index, plan, [RUNG_720], CALIBRATION, PLATFORM, measured={"encode": 12.5}
    )
    measured = {s.stage: s.measured_seconds for s in result.stages}
    assert measured == {
        "probe": None,
        "plan": None,
        "encode": 12.5,
        "stitch": None,
        "package": None,
        "finalize": None,
    }


def test_a_slower_x264_preset_scales_the_encode_by_its_factor() -> None:
    media, index = source(60), cfr_index(1500, 25.0, keyframe_every=50)
    plan = plan_chunks(index, target_seconds=10, min_seconds=2)
    medium = RUNG_720.rendition.model_copy(update={"x264_preset": "medium"})
    rung = RUNG_720.model_copy(update={"rendition": medium})
    result = estimate(media, index, plan, [rung], CALIBRATION, PLATFORM)
    # Then the 9.216 CPU-s encode of a chunk counts twice (factor 2), the decode once:
    # 2 + 0.15 + (2.0736 + 2 * 9.216) / 1.7 = 14.2121 s
    assert result.longest_chunk_seconds == pytest.approx(14.2121, abs=0.01)


def test_a_calibration_without_a_factor_for_every_preset_is_refused() -> None:
    fields = CALIBRATION.model_dump() | {"preset_factor": {"veryfast": 1.0}}
    with pytest.raises(ValidationError, match="preset_factor lacks fast, faster, medium"):
        Calibration.model_validate(fields)


def test_every_audio_track_is_encoded_by_the_one_audio_task() -> None:
    # Given the one-minute source with three audio tracks
    media, index = source(60), cfr_index(1500, 25.0, keyframe_every=50)
    three = media.model_copy(update={"other_audio": [AUDIO, AUDIO]})
    plan = plan_chunks(index, target_seconds=10, min_seconds=2)
    # When it is estimated, Then the audio task reads the source once and encodes each
    # track: 2 s + 60 MB / 100 MB/s + 3 * 60 * 0.05 = 11.6 s, still one invocation
    stages = {
        s.stage: s for s in estimate(three, index, plan, [RUNG_720], CALIBRATION, PLATFORM).stages
    }
    assert "audio 11.6 s beside" in stages["encode"].note
    assert stages["encode"].invocations == len(plan.chunks) + 1


def test_a_job_of_audio_presets_only_runs_no_chunk_task_and_no_stitch() -> None:
    # Given the one-minute source with two audio tracks, in six chunks, and a job of the
    # audio-aac and audio-opus presets only
    media, index = source(60), cfr_index(1500, 25.0, keyframe_every=50)
    two = media.model_copy(update={"other_audio": [AUDIO]})
    plan = plan_chunks(index, target_seconds=10, min_seconds=2)
    presets = builtin_presets()
    spec = JobSpec(source="in.mp4", presets=[presets["audio-aac"], presets["audio-opus"]])
    # When the job is estimated
    result = job_estimate(spec, two, index, plan, PLATFORM)
    stages = {s.stage: s for s in result.stages}
    # Then the encode stage is the audio task alone, and nothing is stitched
    assert stages["encode"].invocations == 1
    assert stages["encode"].note.startswith("0 chunk tasks")
    assert result.longest_chunk_seconds == 0
    assert (stages["stitch"].invocations, stages["stitch"].seconds) == (0, 0)
    # and the audio task reads the source once for each of the two encodings and encodes
    # both tracks in each: 2 s + 2 * (60 MB / 100 MB/s + 2 * 60 s * CPU-s per second)
    rate = load_calibration().audio_cpu_per_second
    assert stages["encode"].seconds == pytest.approx(2 + 2 * (0.6 + 2 * 60 * rate), abs=0.01)
