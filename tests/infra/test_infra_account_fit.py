"""The context values that fit the stack to an account: fan-out width, encode memory,
reserved concurrency and architecture, as they arrive in the synthesized template."""

from __future__ import annotations

import json
from typing import Any

import pytest
from infra_support import SMALL_ACCOUNT, Synthesized

from mpr.settings import Settings

pytestmark = [pytest.mark.infra, pytest.mark.slow]


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


def test_probe_refuses_sources_longer_than_stitch_and_package_can_hold(
    synthesized: Synthesized,
) -> None:
    # package keeps the HLS ladder (6000 + 3500 + 1500 + 900 kb/s, 128 kb/s audio each)
    # beside the 1080p MP4 (6128 kb/s) in 90 % of its 10,240 MB /tmp:
    # 0.9 x 10240 x 2^20 B / ((12412 + 6128) x 125 B/s) = 4169 s; stitch (two copies of the
    # 1080p rendition in 10,240 MB) would allow 6,311 s
    probe = synthesized.functions()["probe"]["Environment"]["Variables"]
    assert probe["MPR_MAX_DURATION_SECONDS"] == "4169.0"
    assert float(probe["MPR_MAX_DURATION_SECONDS"]) < Settings().max_duration_seconds


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
