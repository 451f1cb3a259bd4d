"""Reading a deployed stack's capacity: its outputs (CloudFormation) and its state machine's
deployed definition on moto; Lambda's GetAccountSettings, which moto does not implement,
answered by botocore's Stubber with responses checked against Lambda's service model."""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
from botocore.stub import Stubber

from infra.constructs.pipeline import ASL_PATH
from mpr.adapters.aws_capacity import read_capacity
from mpr.core.capacity import FunctionCapacity, throttling_report
from tests.adapters.conftest import REGION

NAMES = {"encode_chunk": "mpr-dev-encode", "api": "mpr-dev-api", "s3_trigger": "mpr-dev-trigger"}


def deployed_definition(width: int) -> str:
    """The real ASL with its placeholders as CloudFormation substitutes them."""
    text = ASL_PATH.read_text().replace("${MaxConcurrency}", str(width))
    for name in ("WorkBucketName", "JobsTableName"):
        text = text.replace("${" + name + "}", "mpr-dev-x")
    return re.sub(
        r"\$\{(\w+)FunctionArn\}", r"arn:aws:lambda:us-east-1:123456789012:function:\1", text
    )


def stack(aws: None, width: int) -> None:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.create_state_machine(
        name="mpr-dev-transcode",
        definition=deployed_definition(width),
        roleArn="arn:aws:iam::123456789012:role/mpr",
    )["stateMachineArn"]
    template = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {
            "StateMachineArn": {"Value": arn},
            "FunctionNames": {"Value": json.dumps(NAMES)},
        },
    }
    cfn = boto3.client("cloudformation", region_name=REGION)
    cfn.create_stack(StackName="Mpr-dev", TemplateBody=json.dumps(template))


def lambda_answers(stubber: Stubber, concurrency: int, reserved: dict[str, int]) -> None:
    stubber.add_response(
        "get_account_settings",
        {
            "AccountLimit": {
                "ConcurrentExecutions": concurrency,
                "UnreservedConcurrentExecutions": concurrency - sum(reserved.values()),
            }
        },
    )
    for name in NAMES.values():
        stubber.add_response(
            "get_function_configuration",
            {"FunctionName": name, "MemorySize": 10_240 if "encode" in name else 1024},
            {"FunctionName": name},
        )
        answer: dict[str, Any] = (
            {"ReservedConcurrentExecutions": reserved[name]} if name in reserved else {}
        )
        stubber.add_response("get_function_concurrency", answer, {"FunctionName": name})


def test_a_new_account_with_the_default_width_is_reported_throttled(aws: None) -> None:
    # Given the stack deployed with the default width into an account of 10 executions
    stack(aws, width=100)
    client = boto3.client("lambda", region_name=REGION)
    with Stubber(client) as stubber:
        lambda_answers(stubber, concurrency=10, reserved={})

        # When its capacity is read
        capacity = read_capacity(
            boto3.client("cloudformation", region_name=REGION),
            client,
            boto3.client("stepfunctions", region_name=REGION),
            "Mpr-dev",
        )
        stubber.assert_no_pending_responses()

    # Then the deployed width, the pool and the functions are what was deployed
    assert (capacity.account_concurrency, capacity.unreserved, capacity.map_width) == (10, 10, 100)
    assert capacity.encode == FunctionCapacity("mpr-dev-encode", 10_240, None)
    assert {f.name for f in capacity.others} == {"mpr-dev-api", "mpr-dev-trigger"}
    # And the report says the map is throttled to a tenth
    assert "90 at a time are throttled" in throttling_report(capacity)[0]


def test_a_reserved_encode_pool_is_read_from_the_function(aws: None) -> None:
    stack(aws, width=8)
    client = boto3.client("lambda", region_name=REGION)
    with Stubber(client) as stubber:
        lambda_answers(stubber, concurrency=1000, reserved={"mpr-dev-encode": 8})
        capacity = read_capacity(
            boto3.client("cloudformation", region_name=REGION),
            client,
            boto3.client("stepfunctions", region_name=REGION),
            "Mpr-dev",
        )

    assert capacity.map_width == 8
    assert capacity.encode.reserved == 8
    assert throttling_report(capacity)[0].startswith("Nothing will be throttled")
