"""`sam local invoke` on the synthesized template: SAM's own template reader (aws-sam-cli,
installed by this test into a virtualenv of its own, pinned) resolves every function id that
local/README.md documents to an image function it can build. No container engine runs here,
so the invoke itself is not run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from infra_support import REPO_ROOT, Synthesized

pytestmark = [pytest.mark.infra, pytest.mark.slow]

SAM_CLI = "aws-sam-cli==1.170.0"
SAM_VENV = Path("/tmp") / f"mpr-{SAM_CLI.replace('==', '-')}"
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
