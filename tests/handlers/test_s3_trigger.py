"""The upload trigger: an S3 `ObjectCreated` notification creates a job and starts the state
machine once per object version, whatever the number of deliveries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

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
