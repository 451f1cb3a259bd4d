"""`sam local invoke` on the synthesized template: SAM's own template reader (aws-sam-cli,
installed by this test into a virtualenv of its own, pinned) resolves every function id that
local/README.md documents to an image function it can build, and `sam validate --lint`
passes. No container engine runs here, so the invoke itself is not run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from infra_support import REPO_ROOT, Synthesized

pytestmark = [pytest.mark.infra, pytest.mark.slow]

SAM_CLI = "aws-sam-cli==1.170.0"
SAM_VENV = Path("/tmp") / f"mpr-{SAM_CLI.replace('==', '-')}"
RULE = re.compile(r"\[([EWI]\d{4}):")  # how `sam validate --lint` prints a match
INVOKE = re.compile(r"sam local invoke .* -e local/events/(\w+)\.json (\w+)$", re.MULTILINE)
READER = """
import json, sys
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider
stacks, _ = SamLocalStackProvider.get_stacks(sys.argv[1])
provider = SamFunctionProvider(stacks)
found = {}
for name in sys.argv[2:]:
    f = provider.get(name)
    found[name] = f and {"type": f.packagetype, "command": (f.imageconfig or {}).get("Command"),
                         "dockerfile": f.metadata.get("Dockerfile"),
                         "context": f.metadata.get("DockerContext")}
print(json.dumps(found))
"""


@pytest.fixture(scope="session")
def sam_python() -> Path:
    python = SAM_VENV / "bin" / "python"
    if not (SAM_VENV / "bin" / "sam").exists():
        subprocess.run([sys.executable, "-m", "venv", str(SAM_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", SAM_CLI], check=True, timeout=900
        )
    return python


def test_sam_resolves_every_documented_function_to_an_image_it_can_build(
    synthesized: Synthesized, sam_python: Path
) -> None:
    # Given the ids local/README.md tells people to invoke, with the event of each stage
    documented = dict(INVOKE.findall((REPO_ROOT / "local" / "README.md").read_text()))
    assert len(documented) == 9
    template = synthesized.outdir / "Mpr-dev.template.json"

    # When SAM reads the template as `sam local invoke -t` does
    done = subprocess.run(
        [str(sam_python), "-c", READER, str(template), *documented.values()],
        capture_output=True,
        text=True,
        check=True,
        cwd=synthesized.outdir,
    )
    found = json.loads(done.stdout.splitlines()[-1])

    # Then each is an image function built from the Dockerfile in its asset, running the
    # handler of the stage whose event the page pairs it with
    for stage, name in documented.items():
        function = found[name]
        assert function is not None, name
        assert function["type"] == "Image", name
        assert function["command"] == [f"mpr.handlers.{stage}.handler"], name
        assert function["dockerfile"] == "layers/ffmpeg/Dockerfile", name
        context = synthesized.outdir / Path(function["context"]).name
        assert (context / function["dockerfile"]).is_file(), name


def sam_validate(sam_python: Path, template: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(sam_python.parent / "sam"), "validate", "--lint", "-t", str(template)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
        timeout=300,
    )


def test_sam_validate_lint_passes_with_only_cdks_redundant_depends_on_ignored(
    synthesized: Synthesized, sam_python: Path
) -> None:
    template = synthesized.outdir / "Mpr-dev.template.json"
    # Given the project's cfn-lint settings ignore one rule, W3005 (CDK's own DependsOn)
    settings = yaml.safe_load((REPO_ROOT / ".cfnlintrc.yaml").read_text())
    assert settings == {"ignore_checks": ["W3005"]}

    # When SAM lints the template from the repository root, then it passes
    linted = sam_validate(sam_python, template, REPO_ROOT)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert f"{template} is a valid SAM Template" in linted.stdout

    # and from elsewhere (no settings), W3005 is all it finds
    bare = sam_validate(sam_python, template, synthesized.outdir)
    assert bare.returncode != 0
    assert set(RULE.findall(bare.stdout)) == {"W3005"}, bare.stdout
