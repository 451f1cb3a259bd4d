"""The context values that fit the stack to an account: fan-out width, encode memory,
reserved concurrency and architecture, as they arrive in the synthesized template."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from infra_support import REPO_ROOT, SMALL_ACCOUNT, Synthesized

from infra import caps
from infra.config import DEFAULT_SIZES, DeployConfig
from mpr.settings import Settings

pytestmark = [pytest.mark.infra, pytest.mark.slow]
CALIBRATION = REPO_ROOT / "functions" / "mpr" / "media" / "calibration.json"


def map_width(synth: Synthesized) -> Any:
    (machine,) = synth.resources("AWS::StepFunctions::StateMachine").values()
    return machine["Properties"]["DefinitionSubstitutions"]["MaxConcurrency"]


def test_defaults_build_for_x86_without_reserving_concurrency(synthesized: Synthesized) -> None:
    functions = synthesized.functions()
    assert {tuple(f["Architectures"]) for f in functions.values()} == {("x86_64",)}
    assert all("ReservedConcurrentExecutions" not in f for f in functions.values())
    assert map_width(synthesized) == "100"
    assert functions["encode_chunk"]["MemorySize"] == 10_240


def test_a_small_account_gets_its_width_memory_reservation_and_graviton(
    synthesized_small_account: Synthesized,
) -> None:
    synth = synthesized_small_account
    functions = synth.functions()
    # every function, and the image they share, is built for arm64
    assert {tuple(f["Architectures"]) for f in functions.values()} == {("arm64",)}
    (asset,) = json.loads(next(synth.outdir.glob("*.assets.json")).read_text())[
        "dockerImages"
    ].values()
    assert asset["source"]["platform"] == "linux/arm64"
    # the map starts at most as many encodes as are reserved for the encode function
    width = SMALL_ACCOUNT["mpr:maxConcurrency"]
    assert map_width(synth) == str(width)
    assert functions["encode_chunk"]["ReservedConcurrentExecutions"] == width
    assert functions["encode_chunk"]["MemorySize"] == 3008
    others = {n: f for n, f in functions.items() if n != "encode_chunk"}
    assert all("ReservedConcurrentExecutions" not in f for f in others.values())
    # jobs spread their chunks over the map's width
    for name in ("s3_trigger", "api"):
        assert functions[name]["Environment"]["Variables"]["MPR_WORKERS"] == str(width)


def test_probe_refuses_sources_longer_than_audio_and_package_can_hold(
    synthesized: Synthesized,
) -> None:
    # encode_audio: half of 900 s at the calibration's audio CPU-seconds per source second;
    # its /tmp keeps the 128 kb/s AAC and its HLS segments: 0.9 x 4096 x 2^20 B / (2 x 16,000
    # B/s) = 120,795 s. package keeps sprite tiles and sheets: two raw 160 x 284 RGB tiles
    # every 2 s (2 x 3 x 160^2 x 16/9 / 2 = 136,533 B/s) in 0.9 x 10,240 x 2^20 B = 70,778 s
    calibration = json.loads(CALIBRATION.read_text())
    audio = int(450 / calibration["audio_cpu_per_second"])
    assert audio == 23_711
    assert (caps.audio_seconds(DeployConfig()), caps.package_seconds(DeployConfig())) == (
        audio,
        70_778,
    )
    # both are above the settings' own 6 h, which the probe keeps
    probe = synthesized.functions()["probe"]["Environment"]["Variables"]
    assert probe["MPR_MAX_DURATION_SECONDS"] == "21600.0"
    assert float(probe["MPR_MAX_DURATION_SECONDS"]) == Settings().max_duration_seconds


@pytest.mark.parametrize(
    ("function", "cap"),
    [
        ("encode_audio", 15_099),  # 0.9 x 512 x 2^20 B / 32,000 B/s
        ("package", 3_538),  # 0.9 x 512 x 2^20 B / 136,533 B/s
    ],
)
def test_a_smaller_tmp_lowers_the_probe_cap(function: str, cap: int) -> None:
    sizes = dict(DEFAULT_SIZES)
    sizes[function] = replace(sizes[function], ephemeral_mb=512)

    assert caps.max_source_seconds(DeployConfig(sizes=sizes)) == cap


def test_plan_refuses_mp4s_longer_than_the_deployed_stitch_can_join(
    synthesized: Synthesized,
) -> None:
    functions = synthesized.functions()
    plan = functions["plan"]["Environment"]["Variables"]
    stitch = functions["stitch"]
    assert plan["MPR_STITCH_TMP_MB"] == str(stitch["EphemeralStorage"]["Size"]) == "10240"
    assert plan["MPR_STITCH_TIMEOUT_SECONDS"] == str(stitch["Timeout"]) == "900"
    # two copies in 0.9 x 10,240 x 2^20 B: 1080p (6,000 + 128 kb/s) 6,307 s, 720p (3,500 +
    # 128 kb/s) 10,654 s; half of 900 s at 90 MB/s down and up would allow 26,436 s and more
    assert caps.stitch_seconds(DeployConfig()) == {"mp4-1080p": 6_307, "mp4-720p": 10_654}


def test_plan_refuses_audio_tracks_the_deployed_audio_function_cannot_encode(
    synthesized: Synthesized,
) -> None:
    functions = synthesized.functions()
    plan = functions["plan"]["Environment"]["Variables"]
    audio = functions["encode_audio"]
    assert plan["MPR_AUDIO_TMP_MB"] == str(audio["EphemeralStorage"]["Size"]) == "4096"
    assert plan["MPR_AUDIO_TIMEOUT_SECONDS"] == str(audio["Timeout"]) == "900"
    # the one audio task encodes every carried track: half of 900 s over n tracks at the
    # calibration's CPU-s a track-second; two tracks already fall under the probe's 21,600 s
    # (/tmp, 2 x 128 kb/s a track in 0.9 x 4,096 MiB, allows 120,795 s / n)
    rate = json.loads(CALIBRATION.read_text())["audio_cpu_per_second"]
    by_tracks = caps.audio_track_seconds(DeployConfig(), "hls-ladder", range(1, 5))
    assert by_tracks == {n: int(450 / (n * rate)) for n in range(1, 5)}
    assert by_tracks == {1: 23_711, 2: 11_855, 3: 7_903, 4: 5_927}
    assert by_tracks[1] == caps.audio_seconds(DeployConfig())


def test_plan_sizes_chunks_for_the_deployed_encode_function(synthesized: Synthesized) -> None:
    functions = synthesized.functions()
    plan = functions["plan"]["Environment"]["Variables"]
    encode = functions["encode_chunk"]
    assert plan["MPR_ENCODE_TIMEOUT_SECONDS"] == str(encode["Timeout"])
    assert plan["MPR_ENCODE_MEMORY_MB"] == str(encode["MemorySize"])


def test_child_executions_are_standard_so_no_five_minute_cap_applies(
    synthesized: Synthesized, asl: dict[str, Any]
) -> None:
    # EXPRESS children stop at 5 minutes, retries included; STANDARD children run up to a
    # year, so each encode attempt is bounded by the function's own timeout only
    chunk_map = asl["States"]["Encode"]["Branches"][0]["States"]["EncodeChunks"]
    assert chunk_map["ItemProcessor"]["ProcessorConfig"]["ExecutionType"] == "STANDARD"
    assert synthesized.functions()["encode_chunk"]["Timeout"] <= 900
