"""The MPR stack: storage, tables, stage functions, pipeline, trigger, API, web UI, monitoring."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Aws, CfnOutput, Stack, Tags
from constructs import Construct

from infra.caps import max_source_seconds
from infra.config import DeployConfig
from infra.constructs.api import API_FUNCTION, HttpApi
from infra.constructs.functions import ENCODE_FUNCTION, HandlerImage, StageFunctions
from infra.constructs.monitoring import Monitoring
from infra.constructs.pipeline import Pipeline
from infra.constructs.storage import Storage
from infra.constructs.tables import JobTables
from infra.constructs.trigger import TRIGGER_FUNCTION, UploadTrigger
from infra.constructs.upload_processing import UPLOAD_FUNCTION, UploadProcessing
from infra.constructs.web_hosting import WebHosting

# Functions keep scratch files here: /tmp is the only writable path in Lambda.
LAMBDA_DATA_DIR = "/tmp/mpr"  # noqa: S108


class MprStack(Stack):
    """One stack of capability constructs."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeployConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        Tags.of(self).add("project", "mpr")
        Tags.of(self).add("stage", config.stage)
        self.storage = Storage(self, "Storage", config=config)
        self.tables = JobTables(self, "Tables", config=config)
        self.image = HandlerImage(self, "HandlerImage", config=config)
        encode = config.sizes[ENCODE_FUNCTION]
        stitch = config.sizes["stitch"]
        audio = config.sizes["encode_audio"]
        values = {
            "MPR_S3_REGION": Aws.REGION,
            "MPR_DATA_DIR": LAMBDA_DATA_DIR,
            "MPR_INPUT_BUCKET": self.storage.input.bucket_name,
            "MPR_INPUT_PREFIX": config.input_prefix,
            "MPR_OUTPUT_BUCKET": self.storage.output.bucket_name,
            "MPR_WORK_BUCKET": self.storage.work.bucket_name,
            "MPR_JOBS_TABLE": self.tables.jobs.table_name,
            "MPR_UPLOADS_TABLE": self.tables.uploads.table_name,
            "MPR_IDEMPOTENCY_TABLE": self.tables.idempotency.table_name,
            # what the single-function stages can hold (probe refuses longer sources), what
            # one chunk encode may take (the plan cuts chunks to fit) and what one MP4
            # stitch can join and the audio task encode (the plan refuses a job's MP4 or
            # audio tracks that they cannot)
            "MPR_MAX_DURATION_SECONDS": str(float(max_source_seconds(config))),
            "MPR_ENCODE_TIMEOUT_SECONDS": str(encode.timeout_seconds),
            "MPR_ENCODE_MEMORY_MB": str(encode.memory_mb),
            "MPR_STITCH_TMP_MB": str(stitch.ephemeral_mb),
            "MPR_STITCH_TIMEOUT_SECONDS": str(stitch.timeout_seconds),
            "MPR_AUDIO_TMP_MB": str(audio.ephemeral_mb),
            "MPR_AUDIO_TIMEOUT_SECONDS": str(audio.timeout_seconds),
        }
        # The UI's origin is known first (API CORS); the API's URL then goes into the UI.
        self.web = WebHosting(self, "Web", config=config, access_logs=self.storage.access_logs)
        self.web.allow_transfers(self.storage.input, self.storage.output)
        self.api = HttpApi(self, "Api", config=config, ui_origin=self.web.url)
        values.update(
            self.api.values,  # finalize and fail send webhooks that link to the API
            # a job spreads its chunks over the Distributed Map, not over one function's CPUs
            MPR_WORKERS=str(config.max_concurrency),
            # the API answers the UI's cross-origin calls
            MPR_CORS_ORIGINS=json.dumps([self.web.url]),
        )
        self.stages = StageFunctions(
            self,
            "Stages",
            config=config,
            image=self.image,
            storage=self.storage,
            tables=self.tables,
            values=values,
        )
        self.pipeline = Pipeline(
            self,
            "Pipeline",
            config=config,
            functions=self.stages.functions,
            work_bucket=self.storage.work,
            jobs_table=self.tables.jobs,
        )
        # Functions outside the state machine may know its ARN (no dependency cycle).
        values["MPR_STATE_MACHINE_ARN"] = self.pipeline.state_machine.state_machine_arn
        self.trigger = UploadTrigger(
            self,
            "Trigger",
            config=config,
            image=self.image,
            storage=self.storage,
            tables=self.tables,
            state_machine=self.pipeline.state_machine,
            values=values,
        )
        self.uploads = UploadProcessing(
            self,
            "Uploads",
            config=config,
            image=self.image,
            storage=self.storage,
            tables=self.tables,
            state_machine=self.pipeline.state_machine,
            values=values,
        )
        values["MPR_UPLOAD_FUNCTION_NAME"] = self.uploads.function.function_name
        self.api.serve(
            image=self.image,
            storage=self.storage,
            tables=self.tables,
            state_machine=self.pipeline.state_machine,
            values=values,
        )
        self.uploads.invoked_by(self.api.function)
        self.web.publish(self.api.url)
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            state_machine=self.pipeline.state_machine,
            functions={
                **self.stages.functions,
                TRIGGER_FUNCTION: self.trigger.function,
                API_FUNCTION: self.api.function,
                UPLOAD_FUNCTION: self.uploads.function,
            },
            failed_uploads=self.trigger.failed_uploads,
            rest_api=self.api.rest_api,
            tables={
                "Jobs": self.tables.jobs,
                "Uploads": self.tables.uploads,
                "Idempotency": self.tables.idempotency,
                "ApiKeys": self.api.keys_table,
            },
        )
        self._outputs()

    def _outputs(self) -> None:
        outputs = {
            "InputBucketName": self.storage.input.bucket_name,
            "OutputBucketName": self.storage.output.bucket_name,
            "WorkBucketName": self.storage.work.bucket_name,
            "JobsTableName": self.tables.jobs.table_name,
            "UploadsTableName": self.tables.uploads.table_name,
            "IdempotencyTableName": self.tables.idempotency.table_name,
            "StateMachineArn": self.pipeline.state_machine.state_machine_arn,
            "DashboardName": self.monitoring.dashboard.dashboard_name,
            "AlarmTopicArn": self.monitoring.topic.topic_arn,
            "ApiUrl": self.api.url,
            "ApiUsagePlanId": self.api.usage_plan.usage_plan_id,
            "ApiKeysTableName": self.api.keys_table.table_name,
            "WebUrl": self.web.url,
            "WebBucketName": self.web.bucket.bucket_name,
            "FailedUploadsQueueUrl": self.trigger.failed_uploads.queue_url,
            "TriggerFunctionName": self.trigger.function.function_name,
            # `mpr cloud check` reads each function's memory and reserved concurrency
            "FunctionNames": self.to_json_string(
                {name: f.function_name for name, f in self.monitoring.functions.items()}
            ),
        }
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)
