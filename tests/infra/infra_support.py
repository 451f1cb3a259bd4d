"""Shared paths and the synthesized-template view of the infra tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
ASL_PATH = REPO_ROOT / "statemachines" / "transcode.asl.json"


SMALL_ACCOUNT = {
    "mpr:architecture": "arm64",
    "mpr:maxConcurrency": 8,
    "mpr:encodeReservedConcurrency": 8,
    "mpr:functions": {"encode_chunk": {"memoryMb": 3008}},
}


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

    def output_ref(self, output: str) -> str:
        """The logical id that stack output `output` refers to."""
        ref: str = self.template["Outputs"][output]["Value"]["Ref"]
        return ref

    def logical_id(self, handler: str) -> str:
        for logical_id, resource in self.resources("AWS::Lambda::Function").items():
            command = resource["Properties"].get("ImageConfig", {}).get("Command")
            if command == [f"mpr.handlers.{handler}.handler"]:
                return logical_id
        raise KeyError(handler)


PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": "eu-west-1",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com",
}


def resolve(value: Any) -> Any:
    """A template value as CloudFormation would evaluate it in account 123456789012 of
    eu-west-1: pseudo parameters, `Fn::Join`; a resource's `Ref` becomes `<LogicalId>` and
    its `Fn::GetAtt` `<LogicalId>.<Attribute>`."""
    if isinstance(value, list):
        return [resolve(v) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return PSEUDO.get(value["Ref"], f"<{value['Ref']}>")
    if set(value) == {"Fn::GetAtt"}:
        logical_id, attribute = value["Fn::GetAtt"]
        return f"<{logical_id}.{attribute}>"
    if set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return separator.join(str(resolve(p)) for p in parts)
    return {k: resolve(v) for k, v in value.items()}
