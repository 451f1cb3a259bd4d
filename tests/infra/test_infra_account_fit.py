"""The context values that fit the stack to an account: fan-out width, encode memory,
reserved concurrency and architecture, as they arrive in the synthesized template."""

from __future__ import annotations

import json
from typing import Any

import pytest
from infra_support import SMALL_ACCOUNT, Synthesized

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
