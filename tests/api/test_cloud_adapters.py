"""The cloud side of the API at the SDK boundary (moto): Step Functions and the key table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast

import boto3
import pytest
from mangum.types import LambdaContext
from moto import mock_aws

from mpr.adapters import dynamo_uploads
from mpr.adapters.api_keys import DynamoApiKeyStore, authenticate, create_key
from mpr.adapters.dynamo_jobs import create_table
from mpr.adapters.s3_storage import S3Storage
from mpr.adapters.sfn_orchestrator import SfnOrchestrator
from mpr.api.files import serve
from mpr.core.errors import InvalidInputError, NotFoundError
from mpr.core.models import JobRecord, JobSpec, Preset
from mpr.handlers.api import make_handler
from mpr.services import build_cloud
from mpr.settings import Settings

from .api_helpers import FakeLambdaContext, rest_api_event

REGION = "us-east-1"
WAIT = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 600, "End": True}}}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


def job(job_id: str) -> JobRecord:
    preset = Preset(name="t", kind="thumbnails")
    return JobRecord(job_id=job_id, spec=JobSpec(source="input/a.mp4", presets=[preset]))


def test_start_and_stop_an_execution(aws: None) -> None:
    client: Any = boto3.client("stepfunctions", region_name=REGION)
    arn = client.create_state_machine(
        name="mpr", definition=json.dumps(WAIT), roleArn="arn:aws:iam::123456789012:role/sfn"
    )["stateMachineArn"]
    cancelled: list[str] = []
    orchestrator = SfnOrchestrator(client, arn, on_cancelled=cancelled.append)

    orchestrator.start(job("job-1"))
    orchestrator.start(job("job-1"))  # the same attempt again: no second execution
    orchestrator.start(job("job-2"))
    orchestrator.cancel("job-1")

    executions = client.list_executions(stateMachineArn=arn)["executions"]
    by_job = {e["name"].rsplit("-", 1)[0]: e for e in executions}
    assert len(executions) == 2
    assert cancelled == ["job-1"]
    assert by_job["job-1"]["status"] == "ABORTED"
    assert by_job["job-2"]["status"] == "RUNNING"
    described = client.describe_execution(executionArn=by_job["job-2"]["executionArn"])
    assert json.loads(described["input"]) == {"job_id": "job-2", "source": "input/a.mp4"}


def test_dynamo_key_store(aws: None) -> None:
    dynamo: Any = boto3.resource("dynamodb", region_name=REGION)
    table = dynamo.create_table(
        TableName="mpr-keys",
        KeySchema=[{"AttributeName": "key_hash", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "key_hash", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    store = DynamoApiKeyStore(table)
    record, key = create_key(store, "ci")

    assert authenticate(store, key) == record
    assert [k.key_id for k in store.list()] == [record.key_id]
    assert key not in json.dumps(table.scan()["Items"], default=str)
    store.revoke(record.key_id)
    assert authenticate(store, key) is None
    with pytest.raises(NotFoundError):
        store.revoke("nope")


def test_cloud_wiring_names_missing_settings() -> None:
    missing = r"MPR_JOBS_TABLE, MPR_UPLOADS_TABLE.*MPR_API_KEYS_TABLE"
    with pytest.raises(InvalidInputError, match=missing):
        build_cloud(Settings(input_bucket="in", output_bucket="out"))


def test_cloud_wiring_through_the_lambda_handler(aws: None) -> None:
    s3: Any = boto3.client("s3", region_name=REGION)
    for bucket in ("mpr-in", "mpr-out", "mpr-work"):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket="mpr-in", Key="input/a.mp4", Body=b"bytes")
    s3.put_object(Bucket="mpr-work", Key="work/leftover/x", Body=b"bytes")
    create_table(boto3.client("dynamodb", region_name=REGION), "mpr-jobs")
    dynamo_uploads.create_table(boto3.client("dynamodb", region_name=REGION), "mpr-uploads")
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="mpr-keys",
        KeySchema=[{"AttributeName": "key_hash", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "key_hash", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    sfn: Any = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.create_state_machine(
        name="mpr", definition=json.dumps(WAIT), roleArn="arn:aws:iam::123456789012:role/sfn"
    )["stateMachineArn"]
    base = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"
    settings = Settings(
        api_base_url=base,
        s3_multipart_threshold_bytes=5 * 1024 * 1024,
        input_bucket="mpr-in",
        output_bucket="mpr-out",
        work_bucket="mpr-work",
        jobs_table="mpr-jobs",
        uploads_table="mpr-uploads",
        state_machine_arn=arn,
        callback_secret="cb",
        webhook_secret="wh",
        api_keys_table="mpr-keys",
    )
    services = build_cloud(settings)
    _, key = create_key(services.keys, "cloud")
    handler = make_handler(services)

    def call(method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        body = json.dumps(payload).encode() if payload is not None else b""
        headers = {"x-api-key": key, "content-type": "application/json"}
        event = rest_api_event(method, path, headers=headers, body=body)
        return handler(event, cast(LambdaContext, FakeLambdaContext()))

    created = call("POST", "/v1/jobs", {"source": {"key": "input/a.mp4"}, "presets": ["mp4-720p"]})
    assert created["statusCode"] == 202, created["body"]
    job_id = json.loads(created["body"])["id"]
    [execution] = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert execution["name"].startswith(job_id)
    assert execution["status"] == "RUNNING"

    ticket = call("POST", "/v1/uploads", {"filename": "a.mp4", "size": 5})
    assert ticket["statusCode"] == 201
    assert "X-Amz-Signature=" in json.loads(ticket["body"])["url"]
    big = json.loads(call("POST", "/v1/uploads", {"filename": "b.mp4", "size": 6 << 20})["body"])
    assert big["multipart"]["complete_url"].startswith(f"{base}/v1/uploads/")
    assert all("partNumber=" in p["url"] for p in big["multipart"]["parts"])

    s3.put_object(Bucket="mpr-work", Key=f"work/{job_id}/spec.json", Body=b"{}")
    cancelled = call("DELETE", f"/v1/jobs/{job_id}")
    assert cancelled["statusCode"] == 202
    assert json.loads(cancelled["body"])["status"] == "CANCELLED"
    [execution] = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert execution["status"] == "ABORTED"
    left = s3.list_objects_v2(Bucket="mpr-work").get("Contents", [])
    assert [o["Key"] for o in left] == ["work/leftover/x"]


def test_manifests_are_answered_in_place_and_segments_by_redirect(aws: None) -> None:
    # Given a CMAF ladder's DASH manifest and a segment in S3
    s3: Any = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="out")
    storage = S3Storage(s3, "out")
    storage.put_bytes("j/cmaf/manifest.mpd", b"<MPD/>", "application/dash+xml")
    storage.put_bytes("j/cmaf/720p/seg_00000_000.m4s", b"segment", "video/iso.segment")
    # When both are served, Then the manifest's bytes come from the API, so that its
    # relative segment URLs resolve against it, and the segment is a presigned redirect
    manifest = serve(storage, "j/cmaf/manifest.mpd")
    assert (manifest.status_code, manifest.media_type, manifest.body) == (
        200,
        "application/dash+xml",
        b"<MPD/>",
    )
    segment = serve(storage, "j/cmaf/720p/seg_00000_000.m4s")
    assert segment.status_code == 307
    assert "seg_00000_000.m4s" in segment.headers["location"]
