"""In the cloud wiring, an upload is probed by its own function, never inside the API call.

`build_cloud` runs against moto (S3 also served on a loopback port, so that ffprobe reads
the presigned URL over HTTP); moto's Lambda hands the asynchronous invocation to the real
`process_upload` handler on a thread of its own, which the test holds until the API call
has returned.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import boto3
import httpx
import pytest
from mangum.types import LambdaContext
from moto import mock_aws
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from mpr.adapters import dynamo_uploads
from mpr.adapters.api_keys import create_key
from mpr.adapters.dynamo_jobs import create_table
from mpr.api.schemas import UploadStatus
from mpr.api.uploads_service import UploadRecord
from mpr.handlers import process_upload
from mpr.handlers.api import make_handler
from mpr.services import build_cloud
from mpr.settings import get_settings
from tests.unit.factories import make_media

from .api_helpers import FakeLambdaContext, rest_api_event

REGION = "us-east-1"
WAIT = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 600, "End": True}}}
ROLE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


class UploadFunction:
    """moto's Lambda for `mpr-upload`: each async invocation runs the real handler on its own
    thread, once `release` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.invocations: list[dict[str, Any]] = []
        self.results: list[dict[str, Any]] = []
        self.threads: list[threading.Thread] = []

    def invoke(self, function_name: str, body: Any) -> bytes:
        event = json.loads(body)
        self.invocations.append({"function": function_name, "event": event})

        def run() -> None:
            self.release.wait(timeout=60)
            context = cast(LambdaContext, FakeLambdaContext(function_name="mpr-upload"))
            self.results.append(process_upload.handler(event, context))

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self.threads.append(thread)
        return b""


@pytest.fixture
def upload_function(monkeypatch: pytest.MonkeyPatch) -> UploadFunction:
    function = UploadFunction()

    def invoke(self: LambdaSimpleBackend, name: str, qualifier: Any, body: Any, *_: Any) -> bytes:
        return function.invoke(name, body)

    monkeypatch.setattr(LambdaSimpleBackend, "invoke", invoke)
    return function


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """moto with S3 on a loopback port and every `MPR_*` variable of the API; yields the ARN
    of the pipeline's state machine (a long Wait: executions stay RUNNING)."""
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws(config={"lambda": {"use_docker": False}}):
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in ("mpr-in", "mpr-out"):
            s3.create_bucket(Bucket=bucket)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_table(dynamodb, "mpr-jobs")
        dynamo_uploads.create_table(dynamodb, "mpr-uploads")
        dynamodb.create_table(
            TableName="mpr-keys",
            KeySchema=[{"AttributeName": "key_hash", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "key_hash", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        role = boto3.client("iam", region_name=REGION).create_role(
            RoleName="mpr-upload", AssumeRolePolicyDocument=json.dumps(ROLE_POLICY)
        )["Role"]["Arn"]
        boto3.client("lambda", region_name=REGION).create_function(
            FunctionName="mpr-upload",
            Runtime="python3.11",
            Role=role,
            Handler="mpr.handlers.process_upload.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18},  # an empty zip: moto never runs it
        )
        sfn: Any = boto3.client("stepfunctions", region_name=REGION)
        arn = sfn.create_state_machine(name="mpr", definition=json.dumps(WAIT), roleArn=role)[
            "stateMachineArn"
        ]
        for name, value in {
            "MPR_S3_ENDPOINT_URL": f"http://{host}:{port}",
            "MPR_S3_FORCE_PATH_STYLE": "true",
            "MPR_S3_REGION": REGION,
            "MPR_DATA_DIR": str(tmp_path / "data"),
            "MPR_INPUT_BUCKET": "mpr-in",
            "MPR_OUTPUT_BUCKET": "mpr-out",
            "MPR_JOBS_TABLE": "mpr-jobs",
            "MPR_UPLOADS_TABLE": "mpr-uploads",
            "MPR_API_KEYS_TABLE": "mpr-keys",
            "MPR_STATE_MACHINE_ARN": arn,
            "MPR_UPLOAD_FUNCTION_NAME": "mpr-upload",
            "MPR_CALLBACK_SECRET": "cb",
            "MPR_WEBHOOK_SECRET": "wh",
            "MPR_API_BASE_URL": "https://abc123.execute-api.us-east-1.amazonaws.com/prod",
        }.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        process_upload._services.cache_clear()
        try:
            yield arn
        finally:
            server.stop()
            get_settings.cache_clear()
            process_upload._services.cache_clear()


def test_completing_an_upload_returns_at_once_and_its_own_function_probes_it(
    cloud: str, upload_function: UploadFunction, bunny_clip: Path
) -> None:
    services = build_cloud(get_settings())
    _, key = create_key(services.keys, "cloud")
    api = make_handler(services)

    def call(method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        body = json.dumps(payload).encode() if payload is not None else b""
        headers = {"x-api-key": key, "content-type": "application/json"}
        response = api(
            rest_api_event(method, path, headers=headers, body=body), FakeLambdaContext()
        )
        return response["statusCode"], json.loads(response["body"])

    # Given a source sent to its presigned URL
    status, ticket = call(
        "POST", "/v1/uploads", {"filename": "bunny.mp4", "size": bunny_clip.stat().st_size}
    )
    assert status == 201, ticket
    upload_id = ticket["upload_id"]
    sent = httpx.put(ticket["url"], content=bunny_clip.read_bytes(), headers=ticket["headers"])
    assert sent.status_code == 200, sent.text

    # When the client completes it, and posts a job on it straight away
    status, completed = call("POST", f"/v1/uploads/{upload_id}/complete", {})
    job_status, job = call(
        "POST", "/v1/jobs", {"source": {"upload_id": upload_id}, "presets": ["mp4-720p"]}
    )

    # Then the API answered while the upload function had not run: no probe in the request
    assert status == 200, completed
    assert completed["status"] == "UPLOADED"
    assert upload_function.invocations == [
        {"function": "mpr-upload", "event": {"upload_id": upload_id}}
    ]
    assert job_status == 202, job
    assert (job["status"], job["stage"]) == ("QUEUED", "waiting for upload")
    sfn: Any = boto3.client("stepfunctions", region_name=REGION)
    assert sfn.list_executions(stateMachineArn=cloud)["executions"] == []

    # and once the upload function runs, the upload is READY and the job's execution started
    upload_function.release.set()
    for thread in upload_function.threads:
        thread.join(timeout=120)
    assert upload_function.results == [{"upload_id": upload_id, "status": "READY"}]
    status, view = call("GET", f"/v1/uploads/{upload_id}")
    assert view["status"] == "READY", view
    assert view["media"]["video"]["frame_count"] == 132  # bigbuckbunny.mp4, by ffprobe
    [execution] = sfn.list_executions(stateMachineArn=cloud)["executions"]
    assert execution["name"].startswith(job["id"])


def test_an_update_of_the_upload_function_landing_during_the_apis_is_kept(cloud: str) -> None:
    # Given the wiring of the API and of the upload function: two processes, two stores
    api, function = build_cloud(get_settings()), build_cloud(get_settings())
    uploaded_at = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    api.uploads.create(
        UploadRecord(
            upload_id="0123456789abcdef0123456789abcdef",
            owner="alice",
            filename="clip.mp4",
            size=1_000_000,
            content_type="video/mp4",
            status=UploadStatus.UPLOADED,
            created_at=uploaded_at,
            expires_at=uploaded_at + timedelta(hours=1),
            uploaded_at=uploaded_at,
        )
    )
    media = make_media(1280, 720, duration=12.5)

    def probed(current: UploadRecord) -> UploadRecord:
        return current.model_copy(update={"status": UploadStatus.READY, "media": media})

    def wait_for_it(current: UploadRecord) -> UploadRecord:
        # the function's probe is written after the API read the record, before it writes
        if current.status is UploadStatus.UPLOADED:
            function.uploads.update(current.upload_id, probed)
        return current.model_copy(update={"job_id": "job-1"})

    # When the API records a waiting job while the probe's result lands
    api.uploads.update("0123456789abcdef0123456789abcdef", wait_for_it)

    # Then neither change is lost, whichever process reads it
    for services in (api, function):
        stored = services.uploads.get("0123456789abcdef0123456789abcdef")
        assert (stored.status, stored.media, stored.job_id) == (UploadStatus.READY, media, "job-1")


def test_an_upload_whose_record_exceeds_dynamodbs_item_limit_is_refused(cloud: str) -> None:
    services = build_cloud(get_settings())
    _, key = create_key(services.keys, "cloud")
    # Given job options of ~450 KB (within the API's 1 MiB body limit)
    metadata = {f"k{i}": "x" * 9000 for i in range(50)}
    body = {
        "filename": "a.mp4",
        "size": 5,
        "start_job": {"presets": ["mp4-720p"], "metadata": metadata},
    }
    headers = {"x-api-key": key, "content-type": "application/json"}
    event = rest_api_event("POST", "/v1/uploads", headers=headers, body=json.dumps(body).encode())
    # When a client asks for an upload with them
    response = make_handler(services)(event, FakeLambdaContext())
    # Then it is told why it cannot have one
    assert response["statusCode"] == 422, response["body"]
    assert "Item size has exceeded the maximum allowed size of 400 KB" in response["body"]
