"""How the stack wires the functions to each other: webhooks from the pipeline, the fan-out
width of the jobs it starts, and the web UI's origin on the API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from infra_support import Synthesized

# the session's one in-process synth (with cdk-nag): ~10 s
pytestmark = [pytest.mark.infra, pytest.mark.slow]

# the callback secret signs the output URLs a webhook carries: the API must accept them
WEBHOOK_VARIABLES = (
    "MPR_WEBHOOK_SECRET",
    "MPR_API_BASE_URL",
    "MPR_OUTPUT_BUCKET",
    "MPR_CALLBACK_SECRET",
)


def variables(synth: Synthesized, function: str) -> dict[str, Any]:
    found: dict[str, Any] = synth.functions()[function]["Environment"]["Variables"]
    return found


@pytest.mark.parametrize("function", ["finalize", "fail"])
def test_functions_that_end_jobs_sign_and_link_webhooks_like_the_api(
    synthesized: Synthesized, function: str
) -> None:
    # Given the API function's webhook secret, public URL and records bucket
    api = variables(synthesized, "api")
    # Then the function that ends a job has the very same values
    ends = variables(synthesized, function)
    for name in WEBHOOK_VARIABLES:
        assert ends[name] == api[name], name
    # a Secrets Manager reference to the one generated webhook secret, not a literal
    parts = ends["MPR_WEBHOOK_SECRET"]["Fn::Join"][1]
    assert parts[0] == "{{resolve:secretsmanager:"
    assert parts[1]["Ref"] in synthesized.resources("AWS::SecretsManager::Secret")
    # and it may read the job's manifest and record its deliveries in the output bucket
    output_id = synthesized.template["Outputs"]["OutputBucketName"]["Value"]["Ref"]
    role = synthesized.functions()[function]["Role"]["Fn::GetAtt"][0]
    writes = [
        statement
        for policy in synthesized.resources("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if {"s3:PutObject", "s3:GetObject*"} <= set(statement["Action"])
        and output_id in json.dumps(statement["Resource"])
    ]
    assert writes


def test_jobs_spread_over_the_distributed_map_width(synthesized: Synthesized) -> None:
    (machine,) = synthesized.resources("AWS::StepFunctions::StateMachine").values()
    width = machine["Properties"]["DefinitionSubstitutions"]["MaxConcurrency"]
    assert width == "100"
    starters = {"s3_trigger", "api", "process_upload"}  # the functions that start jobs
    for function in starters:
        assert variables(synthesized, function)["MPR_WORKERS"] == width, function
    for function in set(synthesized.functions()) - starters:
        assert "MPR_WORKERS" not in variables(synthesized, function), function


def test_the_api_answers_the_web_ui_origin(synthesized: Synthesized) -> None:
    (distribution_id,) = synthesized.resources("AWS::CloudFront::Distribution")
    origins = variables(synthesized, "api")["MPR_CORS_ORIGINS"]
    assert origins == {
        "Fn::Join": ["", ['["https://', {"Fn::GetAtt": [distribution_id, "DomainName"]}, '"]']]
    }
    assert synthesized.template["Outputs"]["WebUrl"]["Value"] == {
        "Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}]]
    }
