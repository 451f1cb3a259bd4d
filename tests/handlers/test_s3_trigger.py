"""The upload trigger: an S3 `ObjectCreated` notification creates a job and starts the state
machine once per object version, whatever the number of deliveries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.awslambda_simple.models import LambdaSimpleBackend

from mpr.adapters.aws_capacity import redrive
from mpr.adapters.dynamo_jobs import DynamoJobStore
from mpr.core.errors import InvalidInputError, UnknownPresetError
from mpr.core.models import JobStatus
from mpr.handlers import s3_trigger
from mpr.settings import Settings
from tests.handlers.conftest import BUCKETS, REGION, TABLES, LambdaContext, sample_event

KEY = "input/big buck bunny.mp4"  # the sample event carries it URL-encoded


@pytest.fixture
def machine(aws: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A state machine to start (moto does not run it here)."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
    arn: str = sfn.create_state_machine(
        name="mpr-transcode",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/mpr-test",
    )["stateMachineArn"]
    monkeypatch.setenv("MPR_STATE_MACHINE_ARN", arn)
    return arn


@pytest.fixture
def upload(machine: str, s3: Any, clips: Path) -> dict[str, Any]:
    """The clip uploaded to the versioned input bucket; its notification event."""
    bucket = BUCKETS["MPR_INPUT_BUCKET"]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket=bucket, Key=KEY, Body=(clips / "bikes.mp4").read_bytes())
    return event_for(version["VersionId"])


def event_for(version_id: str, key: str = "input/big+buck+bunny.mp4") -> dict[str, Any]:
    event = sample_event("s3_trigger")
    event["Records"][0]["s3"]["object"].update({"key": key, "versionId": version_id})
    return event


def executions(arn: str) -> list[dict[str, Any]]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    found: list[dict[str, Any]] = sfn.list_executions(stateMachineArn=arn)["executions"]
    return found


def test_an_upload_creates_a_job_and_starts_it(
    upload: dict[str, Any], machine: str, jobs: DynamoJobStore, context: LambdaContext
) -> None:
    # When the notification arrives
    result = s3_trigger.handler(upload, context)

    # Then one queued job with the default presets is started with the probe payload
    (started,) = result["jobs"]
    assert started["source"] == KEY
    job = jobs.get(started["job_id"])
    assert job.status is JobStatus.QUEUED
    assert job.spec.source == KEY
    assert [p.name for p in job.spec.presets] == Settings().default_presets
    (execution,) = executions(machine)
    assert execution["name"].startswith(f"{job.job_id}-")
    sfn = boto3.client("stepfunctions", region_name=REGION)
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"]) == {"job_id": job.job_id, "source": KEY}


def test_a_duplicate_event_starts_nothing(
    upload: dict[str, Any], machine: str, jobs: DynamoJobStore, context: LambdaContext
) -> None:
    first = s3_trigger.handler(upload, context)
    again = s3_trigger.handler(upload, context)
    assert again == first
    assert len(executions(machine)) == 1
    assert len(jobs.list()[0]) == 1
    # the idempotency table holds one completed record for the object version
    table = boto3.client("dynamodb", region_name=REGION)
    (record,) = table.scan(TableName=TABLES["MPR_IDEMPOTENCY_TABLE"])["Items"]
    assert record["status"] == {"S": "COMPLETED"}


def test_a_duplicate_after_the_idempotency_record_expired_starts_nothing(
    upload: dict[str, Any], machine: str, jobs: DynamoJobStore, context: LambdaContext
) -> None:
    first = s3_trigger.handler(upload, context)
    table = boto3.client("dynamodb", region_name=REGION)
    name = TABLES["MPR_IDEMPOTENCY_TABLE"]
    for item in table.scan(TableName=name)["Items"]:
        table.delete_item(TableName=name, Key={"id": item["id"]})
    assert s3_trigger.handler(upload, context) == first
    assert len(executions(machine)) == 1
    assert len(jobs.list()[0]) == 1


def test_a_new_version_of_the_object_is_a_new_job(
    upload: dict[str, Any],
    machine: str,
    s3: Any,
    clips: Path,
    jobs: DynamoJobStore,
    context: LambdaContext,
) -> None:
    first = s3_trigger.handler(upload, context)
    body = (clips / "bikes.mp4").read_bytes()
    version = s3.put_object(Bucket=BUCKETS["MPR_INPUT_BUCKET"], Key=KEY, Body=body)
    second = s3_trigger.handler(event_for(version["VersionId"]), context)
    assert second["jobs"][0]["job_id"] != first["jobs"][0]["job_id"]
    assert len(executions(machine)) == 2


@pytest.mark.parametrize("key", ["elsewhere/clip.mp4", "input/folder/"])
def test_objects_outside_the_input_prefix_and_folders_are_ignored(
    machine: str, jobs: DynamoJobStore, context: LambdaContext, key: str
) -> None:
    assert s3_trigger.handler(event_for("v1", key), context) == {"jobs": []}
    assert executions(machine) == []
    assert jobs.list()[0] == []


def test_without_a_state_machine_the_trigger_says_what_is_missing(
    upload: dict[str, Any], monkeypatch: pytest.MonkeyPatch, context: LambdaContext
) -> None:
    monkeypatch.delenv("MPR_STATE_MACHINE_ARN")
    with pytest.raises(InvalidInputError, match="MPR_STATE_MACHINE_ARN"):
        s3_trigger.handler(upload, context)


def test_the_job_takes_the_configured_presets_and_fan_out_width(
    upload: dict[str, Any],
    machine: str,
    jobs: DynamoJobStore,
    context: LambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the presets and the Distributed Map width the stack configures
    monkeypatch.setenv("MPR_DEFAULT_PRESETS", '["thumbnails", "mp4-720p"]')
    monkeypatch.setenv("MPR_WORKERS", "100")
    # When an upload arrives
    (started,) = s3_trigger.handler(upload, context)["jobs"]
    # Then its job uses them, not the built-in list or this machine's CPU count
    spec = jobs.get(started["job_id"]).spec
    assert [p.name for p in spec.presets] == ["thumbnails", "mp4-720p"]
    assert spec.workers == 100


def test_an_unknown_default_preset_stops_the_trigger_at_cold_start(
    upload: dict[str, Any],
    machine: str,
    jobs: DynamoJobStore,
    context: LambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MPR_DEFAULT_PRESETS", '["mp4-720p", "nope"]')
    with pytest.raises(UnknownPresetError, match="nope"):
        s3_trigger.handler(upload, context)
    assert jobs.list()[0] == []


def unversioned_event(s3: Any, body: bytes) -> dict[str, Any]:
    """The key written into the unversioned input bucket, and its notification (no version,
    the object's ETag, as S3 sends it)."""
    etag = s3.put_object(Bucket=BUCKETS["MPR_INPUT_BUCKET"], Key=KEY, Body=body)["ETag"]
    event = sample_event("s3_trigger")
    obj = event["Records"][0]["s3"]["object"]
    del obj["versionId"]
    obj["eTag"] = etag.strip('"')
    return event


def test_an_overwritten_object_in_an_unversioned_bucket_is_a_new_job(
    machine: str, s3: Any, clips: Path, jobs: DynamoJobStore, context: LambdaContext
) -> None:
    # Given an upload to a bucket without versioning, processed
    first = s3_trigger.handler(unversioned_event(s3, (clips / "bikes.mp4").read_bytes()), context)

    # When the same key is overwritten with other bytes, and the same bytes come again
    other = (clips / "bigbuckbunny.mp4").read_bytes()
    second = s3_trigger.handler(unversioned_event(s3, other), context)
    again = s3_trigger.handler(unversioned_event(s3, other), context)

    # Then the overwrite is a second job, started; the repeat of the same bytes is not
    assert second["jobs"][0]["job_id"] != first["jobs"][0]["job_id"]
    assert again == second
    assert len(executions(machine)) == 2
    assert len(jobs.list()[0]) == 2


FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:mpr-s3-trigger"


def failure_record(event: dict[str, Any]) -> str:
    """What Lambda sends to an on-failure destination once its retries of an asynchronous
    invocation are exhausted (the record's documented fields)."""
    return json.dumps(
        {
            "version": "1.0",
            "timestamp": "2026-01-31T12:03:00.000Z",
            "requestContext": {
                "requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
                "functionArn": f"{FUNCTION_ARN}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 3,
            },
            "requestPayload": event,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": {"errorType": "RetryableError", "errorMessage": "throttled"},
        }
    )


@pytest.mark.parametrize("moto_config", [{"lambda": {"use_docker": False}}])
def test_redrive_hands_failed_uploads_back_to_the_trigger(
    upload: dict[str, Any],
    machine: str,
    jobs: DynamoJobStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the trigger deployed, and an upload whose event it gave up on, in the queue
    invoked: list[dict[str, Any]] = []

    def run_trigger(self: Any, name: str, qualifier: Any, body: Any, *_: Any) -> bytes:
        invoked.append(json.loads(body))
        return json.dumps(s3_trigger.handler(invoked[-1], LambdaContext())).encode()

    monkeypatch.setattr(LambdaSimpleBackend, "invoke", run_trigger)
    boto3.client("iam", region_name=REGION).create_role(
        RoleName="mpr-test", AssumeRolePolicyDocument="{}"
    )
    lambda_ = boto3.client("lambda", region_name=REGION)
    lambda_.create_function(
        FunctionName="mpr-s3-trigger",
        Runtime="python3.11",
        Role="arn:aws:iam::123456789012:role/mpr-test",
        Handler="mpr.handlers.s3_trigger.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
    )
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="mpr-failed-uploads")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody=failure_record(upload))
    assert executions(machine) == []

    # When the queue is redriven
    count = redrive(sqs, lambda_, queue, "mpr-s3-trigger")

    # Then the trigger got the original event, the job started, and the queue is empty
    assert count == 1
    assert invoked == [upload]
    (job,) = jobs.list()[0]
    assert job.spec.source == KEY
    assert len(executions(machine)) == 1
    assert "Messages" not in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0)
