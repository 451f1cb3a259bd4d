"""S3 `ObjectCreated` under the input prefix starts a transcode (idempotently).

S3 invokes the trigger asynchronously: Lambda retries a failed invocation twice, then sends
the event, with the error, to the `FailedUploads` queue (on-failure destination), where it
waits 14 days for `mpr cloud redrive` (infra/README.md).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import DeployConfig
from infra.constructs.functions import HandlerImage, grant_data_access
from infra.constructs.storage import Storage
from infra.constructs.tables import JobTables

TRIGGER_FUNCTION = "s3_trigger"
# Lambda's own retries of an asynchronous invocation (0..2), and how long an event may wait
TRIGGER_RETRY_ATTEMPTS = 2
TRIGGER_MAX_EVENT_AGE = Duration.hours(6)


class UploadTrigger(Construct):
    """The trigger function, subscribed to uploads in the input bucket's input prefix."""

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
        self.function = image.function(self, TRIGGER_FUNCTION, config=config, values=values)
        self.failed_uploads = sqs.Queue(
            self,
            "FailedUploads",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.function.configure_async_invoke(
            on_failure=destinations.SqsDestination(self.failed_uploads),
            retry_attempts=TRIGGER_RETRY_ATTEMPTS,
            max_event_age=TRIGGER_MAX_EVENT_AGE,
        )
        grant_data_access(self.function, TRIGGER_FUNCTION, storage, tables)
        state_machine.grant_start_execution(self.function)
        storage.input.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3n.LambdaDestination(self.function),
            s3.NotificationKeyFilter(prefix=config.input_prefix),
        )
