"""Shared paths and the synthesized-template view of the infra tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
ASL_PATH = REPO_ROOT / "statemachines" / "transcode.asl.json"


def cdk_context() -> dict[str, Any]:
    """The context `npx cdk synth` would pass, from cdk.json."""
    context: dict[str, Any] = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return context


@dataclass(frozen=True)
class Synthesized:
    template: dict[str, Any]
    outdir: Path

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == kind}

    def functions(self) -> dict[str, dict[str, Any]]:
        """Handler name (from the image CMD) -> function properties, for MPR's functions."""
        found = {}
        for resource in self.resources("AWS::Lambda::Function").values():
            props = resource["Properties"]
            command = props.get("ImageConfig", {}).get("Command")
            if command:
                (cmd,) = command
                found[cmd.removeprefix("mpr.handlers.").removesuffix(".handler")] = props
        return found

    def logical_id(self, handler: str) -> str:
        for logical_id, resource in self.resources("AWS::Lambda::Function").items():
            command = resource["Properties"].get("ImageConfig", {}).get("Command")
            if command == [f"mpr.handlers.{handler}.handler"]:
                return logical_id
        raise KeyError(handler)
