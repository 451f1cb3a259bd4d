"""The transcode state machine, loaded from `statemachines/transcode.asl.json`."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import DeployConfig
from infra.constructs.functions import REPO_ROOT, pascal_case
from mpr.core import keys

ASL_PATH = REPO_ROOT / "statemachines" / "transcode.asl.json"
# the Distributed Map's `Label`: child executions are named `<machine>/<label>:<id>`
ENCODE_MAP_LABEL = "EncodeChunks"


def state_machine_name(config: DeployConfig) -> str:
    """A fixed name, so that the machine's own ARNs are known before it exists."""
    return f"mpr-{config.stage}-transcode"


def definition_substitutions(
    functions: Mapping[str, lambda_.IFunction],
    work_bucket: s3.IBucket,
    jobs_table: dynamodb.ITable,
    max_concurrency: int,
) -> dict[str, str]:
    """Values for every `${Placeholder}` of the ASL file."""
    arns = {f"{pascal_case(name)}FunctionArn": fn.function_arn for name, fn in functions.items()}
    return {
        **arns,
        "WorkBucketName": work_bucket.bucket_name,
        "JobsTableName": jobs_table.table_name,
        "MaxConcurrency": str(max_concurrency),
    }


class Pipeline(Construct):
    """Step Functions orchestration of the stage functions, logged and traced."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        functions: Mapping[str, lambda_.IFunction],
        work_bucket: s3.IBucket,
        jobs_table: dynamodb.ITable,
    ) -> None:
        super().__init__(scope, construct_id)
        self.name = state_machine_name(config)
        log_group = logs.LogGroup(
            self,
            "Logs",
            # the vended-logs prefix keeps CloudWatch's resource policy small
            log_group_name=f"/aws/vendedlogs/states/mpr-{config.stage}-transcode",
            retention=config.retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=self.name,
            definition_body=sfn.DefinitionBody.from_file(str(ASL_PATH)),
            definition_substitutions=definition_substitutions(
                functions, work_bucket, jobs_table, config.max_concurrency
            ),
            state_machine_type=sfn.StateMachineType.STANDARD,
            timeout=Duration.hours(12),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True
            ),
        )
        for function in functions.values():
            function.grant_invoke(self.state_machine)
        # a failing chunk writes its own error onto the job (`RecordChunkError`)
        self.state_machine.add_to_role_policy(
            iam.PolicyStatement(actions=["dynamodb:UpdateItem"], resources=[jobs_table.table_arn])
        )
        self.distributed_map_policy = self._grant_distributed_map(work_bucket)

    def _grant_distributed_map(self, work_bucket: s3.IBucket) -> iam.Policy:
        """What AWS's least-privilege example for a Distributed Map grants: start child
        executions of this machine, describe, stop and redrive them, read the task list.

        A separate policy: the state machine's own ARN in its default policy would be a cycle.
        """
        stack = Stack.of(self)
        name = self.name

        def arn(resource: str, resource_name: str) -> str:
            return stack.format_arn(
                service="states",
                resource=resource,
                resource_name=resource_name,
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )

        return iam.Policy(
            self,
            "DistributedMapPolicy",
            roles=[self.state_machine.role],
            statements=[
                iam.PolicyStatement(
                    actions=["states:StartExecution"], resources=[arn("stateMachine", name)]
                ),
                iam.PolicyStatement(
                    actions=["states:DescribeExecution", "states:StopExecution"],
                    resources=[arn("execution", f"{name}/*")],
                ),
                iam.PolicyStatement(
                    actions=["states:RedriveExecution"],
                    resources=[arn("execution", f"{name}/{ENCODE_MAP_LABEL}:*")],
                ),
                iam.PolicyStatement(
                    actions=["s3:GetObject"],
                    resources=[work_bucket.arn_for_objects(keys.tasks("*"))],
                ),
            ],
        )
