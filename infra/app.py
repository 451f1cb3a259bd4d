"""CDK entry point: `npx cdk synth` runs `python3 -m infra.app` (see cdk.json)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, App, CfnElement, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

from infra.config import DeployConfig
from infra.constructs.pipeline import ENCODE_MAP_LABEL
from infra.stack import MprStack
from mpr.core import keys

# Actions of CDK's bucket grants (grant_read / grant_read_write), always on one bucket's ARN.
_S3_GRANT_ACTIONS = ("s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:DeleteObject*", "s3:Abort*")


def build(context: dict[str, Any] | None = None, outdir: str | None = None) -> tuple[App, MprStack]:
    """The app with its one stack, checked by cdk-nag's AWS Solutions rules at synth."""
    app = App(context=context, outdir=outdir)
    config = DeployConfig.from_context(app.node)
    stack = MprStack(
        app,
        f"Mpr-{config.stage}",
        config=config,
        description="MPR: chunked, parallel FFmpeg transcoding on Lambda and Step Functions",
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    acknowledge_findings(stack)
    return app, stack


def acknowledge_findings(stack: MprStack) -> None:
    """Each accepted cdk-nag finding, with the reason it is accepted."""
    _ack(
        stack,
        "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        "The AWS managed basic execution policy only lets a function write its own CloudWatch "
        "logs; a copy of it would add nothing.",
    )
    _ack(
        stack,
        "IAM5[Resource::*]",
        "X-Ray (PutTraceSegments, PutTelemetryRecords) and the Step Functions log delivery "
        "actions have no resource-level permissions; tests/infra checks that no other action "
        "is granted on '*'.",
    )
    for action in _S3_GRANT_ACTIONS:
        _ack(
            stack,
            f"IAM5[Action::{action}]",
            "Action group of CDK's bucket grants (object read/write/delete, multipart abort); "
            "each statement is scoped to one bucket that the function is configured with.",
        )
    for bucket in (stack.storage.input, stack.storage.output, stack.storage.work):
        _ack(
            stack,
            f"IAM5[Resource::<{_logical_id(bucket)}.Arn>/*]",
            "Functions read and write objects under job-specific keys that exist only at run "
            "time; the grant is limited to this one bucket.",
        )
    _ack(
        stack,
        f"IAM5[Resource::<{_logical_id(stack.tables.jobs)}.Arn>/index/*]",
        "Queries on the jobs table's own secondary indexes (by_status, by_created).",
    )
    for function in stack.stages.functions.values():
        _ack(
            stack.pipeline.state_machine,
            f"IAM5[Resource::<{_logical_id(function)}.Arn>:*]",
            "CDK grant_invoke: the state machine may invoke this stage function and its "
            "versions/aliases, nothing else.",
        )
    _ack(
        stack.trigger.failed_uploads,
        "SQS3",
        "This queue is itself the dead letter of the trigger: the on-failure destination of "
        "S3's asynchronous invocations; `mpr cloud redrive` empties it.",
    )
    policy = stack.pipeline.distributed_map_policy
    name = stack.pipeline.name
    _ack(
        policy,
        f"IAM5[Resource::<{_logical_id(stack.storage.work)}.Arn>/{keys.tasks('*')}]",
        "The Distributed Map's ItemReader reads a job's chunk task list, named by job id.",
    )
    executions = f"arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{name}"
    _ack(
        policy,
        f"IAM5[Resource::{executions}/*]",
        "AWS's least-privilege policy for a Distributed Map: describe and stop the child "
        "executions of this state machine, whose names Step Functions generates.",
    )
    _ack(
        policy,
        f"IAM5[Resource::{executions}/{ENCODE_MAP_LABEL}:*]",
        "AWS's least-privilege policy for a Distributed Map: redrive the failed child "
        "executions of this map run (label EncodeChunks) of this state machine.",
    )


def _ack(scope: IConstruct, finding: str, reason: str) -> None:
    Validations.of(scope).acknowledge(Acknowledgment(id=f"AwsSolutions-{finding}", reason=reason))


def _logical_id(construct: IConstruct) -> str:
    element = construct.node.default_child
    assert isinstance(element, CfnElement)
    stack = Stack.of(construct)
    return str(stack.resolve(stack.get_logical_id(element)))


if __name__ == "__main__":
    build()[0].synth()
