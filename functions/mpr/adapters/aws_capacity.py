"""Read a deployed stack's Lambda capacity, and redrive the uploads its trigger gave up on."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from mpr.adapters.aws_errors import translated
from mpr.core.capacity import Capacity, FunctionCapacity
from mpr.core.errors import InvalidInputError

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

_WIDTH = re.compile(r"States\.StringToJson\('(\d+)'\)")


def stack_outputs(cfn: CloudFormationClient, stack_name: str) -> dict[str, str]:
    with translated(f"describe stack {stack_name}"):
        (stack,) = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def _function(client: LambdaClient, name: str) -> FunctionCapacity:
    with translated(f"read function {name}"):
        config = client.get_function_configuration(FunctionName=name)
        reserved = client.get_function_concurrency(FunctionName=name)
    return FunctionCapacity(
        name=name,
        memory_mb=config["MemorySize"],
        reserved=reserved.get("ReservedConcurrentExecutions"),
    )


def map_width(sfn: SFNClient, state_machine_arn: str) -> int:
    """The encode map's MaxConcurrency, as deployed in the state machine's definition."""
    with translated(f"describe state machine {state_machine_arn}"):
        definition = json.loads(
            sfn.describe_state_machine(stateMachineArn=state_machine_arn)["definition"]
        )
    found = _WIDTH.search(definition["States"]["Encode"]["Parameters"]["max_concurrency.$"])
    if found is None:
        raise InvalidInputError(f"{state_machine_arn} has no encode map width")
    return int(found.group(1))


def read_capacity(
    cfn: CloudFormationClient, client: LambdaClient, sfn: SFNClient, stack_name: str
) -> Capacity:
    """The account's concurrency and what the stack's functions and map ask of it."""
    outputs = stack_outputs(cfn, stack_name)
    names = json.loads(outputs["FunctionNames"])
    with translated("read the account's Lambda settings"):
        limits = client.get_account_settings()["AccountLimit"]
    functions = {stage: _function(client, name) for stage, name in names.items()}
    encode = functions.pop("encode_chunk")
    return Capacity(
        account_concurrency=limits["ConcurrentExecutions"],
        unreserved=limits["UnreservedConcurrentExecutions"],
        map_width=map_width(sfn, outputs["StateMachineArn"]),
        encode=encode,
        others=tuple(functions.values()),
    )


def redrive(sqs: SQSClient, client: LambdaClient, queue_url: str, function_name: str) -> int:
    """Invoke `function_name` again, asynchronously, with the original event of each failure
    record in the queue (Lambda's on-failure destination record: `requestPayload`), deleting
    each record once its event is handed back. Returns how many were redriven."""
    count = 0
    while True:
        with translated(f"receive from {queue_url}"):
            messages = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
        if not messages:
            return count
        for message in messages:
            event = json.loads(message["Body"])["requestPayload"]
            with translated(f"redrive to {function_name}"):
                client.invoke(
                    FunctionName=function_name,
                    InvocationType="Event",
                    Payload=json.dumps(event).encode(),
                )
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            count += 1
