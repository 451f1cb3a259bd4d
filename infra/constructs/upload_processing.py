"""The function that probes uploads, invoked asynchronously by the API (never in a request).

The API's `complete` answers at once and hands the upload id to this function (Lambda `Event`
invocation, retried twice by Lambda); it reads the source through a presigned URL, writes the
preview images under the API's records and starts or fails the jobs waiting for the upload.
An upload it never finishes becomes FAILED after `MPR_UPLOAD_PROCESSING_SECONDS`.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import DeployConfig
from infra.constructs.functions import HandlerImage
from infra.constructs.storage import Storage
from infra.constructs.tables import UPLOAD_ACTIONS, JobTables
from infra.constructs.web_hosting import logical_id
from mpr.services import CLOUD_STATE_PREFIX

UPLOAD_FUNCTION = "process_upload"


class UploadProcessing(Construct):
    """The `process_upload` function: reads uploads, writes the API's records, starts jobs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        image: HandlerImage,
        storage: Storage,
        tables: JobTables,
        state_machine: sfn.IStateMachine,
        values: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = image.function(self, UPLOAD_FUNCTION, config=config, values=values)
        storage.input.grant_read(self.function)
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                resources=[storage.output.arn_for_objects(f"{CLOUD_STATE_PREFIX}*")],
            )
        )
        self.function.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[storage.output.bucket_arn])
        )
        tables.jobs.grant_read_write_data(self.function)
        tables.uploads.grant(self.function, *UPLOAD_ACTIONS)
        state_machine.grant_start_execution(self.function)
        _acknowledge(
            self.function,
            f"IAM5[Resource::<{logical_id(storage.output)}.Arn>/{CLOUD_STATE_PREFIX}*]",
            "The function writes only the API's upload files (previews, waiting jobs) under _mpr/ "
            "in the output bucket; their keys exist only at run time.",
        )

    def invoked_by(self, caller: lambda_.Function) -> None:
        """Let `caller` (the API's function) invoke this function, and only this one."""
        self.function.grant_invoke(caller)
        _acknowledge(
            caller,
            f"IAM5[Resource::<{logical_id(self.function)}.Arn>:*]",
            "CDK grant_invoke: the API may invoke the upload function and its versions, "
            "nothing else.",
        )


def _acknowledge(scope: Construct, finding: str, reason: str) -> None:
    Validations.of(scope).acknowledge(Acknowledgment(id=f"AwsSolutions-{finding}", reason=reason))
