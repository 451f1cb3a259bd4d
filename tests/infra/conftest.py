"""Synthesize the MPR app once per session (in-process) for template assertions."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from infra_support import ASL_PATH, SMALL_ACCOUNT, Synthesized, cdk_context

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    from infra.app import build

    outdir = tmp_path_factory.mktemp("cdk.out")
    app, stack = build(cdk_context(), outdir=str(outdir))
    assembly = app.synth()
    template = assembly.get_stack_by_name(stack.stack_name).template
    return Synthesized(template=template, outdir=outdir)


@pytest.fixture(scope="session")
def synthesized_small_account(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The stack for a new account on Graviton: arm64, 10 encodes at most, reserved."""
    from infra.app import build

    outdir = tmp_path_factory.mktemp("cdk.out.small")
    context = cdk_context() | SMALL_ACCOUNT
    app, stack = build(context, outdir=str(outdir))
    template = app.synth().get_stack_by_name(stack.stack_name).template
    return Synthesized(template=template, outdir=outdir)


@pytest.fixture(scope="session")
def asl() -> dict[str, Any]:
    definition: dict[str, Any] = json.loads(ASL_PATH.read_text())
    return definition
