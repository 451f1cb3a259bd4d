"""The transcode state machine, loaded from `statemachines/transcode.asl.json`."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Arn, ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import DeployConfig
from infra.constructs.functions import REPO_ROOT, pascal_case
from infra.constructs.storage import WORK_PREFIX

ASL_PATH = REPO_ROOT / "statemachines" / "transcode.asl.json"


def definition_substitutions(
    functions: Mapping[str, lambda_.IFunction], work_bucket: s3.IBucket, max_concurrency: int
) -> dict[str, str]:
    """Values for every `${Placeholder}` of the ASL file."""
    arns = {f"{pascal_case(name)}FunctionArn": fn.function_arn for name, fn in functions.items()}
    return {
        **arns,
        "WorkBucketName": work_bucket.bucket_name,
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
    ) -> None:
        super().__init__(scope, construct_id)
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
            definition_body=sfn.DefinitionBody.from_file(str(ASL_PATH)),
            definition_substitutions=definition_substitutions(
                functions, work_bucket, config.max_concurrency
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
        self.distributed_map_policy = self._grant_distributed_map(work_bucket)

    def _grant_distributed_map(self, work_bucket: s3.IBucket) -> iam.Policy:
        """Child executions of the Distributed Map and its ItemReader on the work files.

        A separate policy: the state machine's own ARN in its default policy would be a cycle.
        """
        machine = self.state_machine
        executions = Arn.format(
            {
                "service": "states",
                "resource": "execution",
                "resource_name": f"{machine.state_machine_name}/*",
                "arn_format": ArnFormat.COLON_RESOURCE_NAME,
            },
            Stack.of(self),
        )
        return iam.Policy(
            self,
            "DistributedMapPolicy",
            roles=[machine.role],
            statements=[
                iam.PolicyStatement(
                    actions=["states:StartExecution"], resources=[machine.state_machine_arn]
                ),
                iam.PolicyStatement(
                    actions=["states:DescribeExecution", "states:StopExecution"],
                    resources=[executions],
                ),
                iam.PolicyStatement(
                    actions=["s3:GetObject"],
                    resources=[work_bucket.arn_for_objects(f"{WORK_PREFIX}*")],
                ),
            ],
        )
