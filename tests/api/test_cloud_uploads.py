"""In the cloud wiring, an upload is probed by its own function, never inside the API call;
a finished job's webhook links its outputs through the API to presigned S3 GETs.

`build_cloud` runs against moto (S3 also served on a loopback port, so that ffprobe reads
the presigned URL over HTTP); moto's Lambda hands the asynchronous invocation to the real
`process_upload` handler on a thread of its own, which the test holds until the API call
has returned.
"""

from __future__ import annotations

import hmac
import json
import subprocess
import threading
import uuid
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
from mpr.core.models import JobRecord, JobSpec, JobStatus
from mpr.core.presets import builtin_presets
from mpr.handlers import process_upload
from mpr.handlers.api import make_handler
from mpr.services import build_cloud, cloud_notifier
from mpr.settings import get_settings
from tests.support.serve import MPR
from tests.support.webhooks import Receiver
from tests.unit.factories import make_media

from .api_helpers import FAST_RENDITION, FakeLambdaContext, probe_video, rest_api_event

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


def test_a_finished_jobs_webhook_links_outputs_that_resolve_to_presigned_s3(
    cloud: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bunny_clip: Path
) -> None:
    monkeypatch.setenv("MPR_ALLOW_PRIVATE_WEBHOOKS", "true")
    get_settings.cache_clear()
    services = build_cloud(get_settings())
    owner, key = create_key(services.keys, "cloud")
    api = make_handler(services)
    base = get_settings().api_base_url

    # Given a job's outputs (made by `mpr transcode`) and manifest in the output bucket
    preset = tmp_path / "tiny.json"
    preset.write_text(json.dumps({"name": "tiny", "kind": "mp4", "renditions": [FAST_RENDITION]}))
    made = tmp_path / "made"
    command = [MPR, "transcode", str(bunny_clip), "--out", str(made), "--preset", "thumbnails"]
    subprocess.run(
        [*command, "--preset-file", str(preset)],
        check=True,
        capture_output=True,
    )
    job = services.jobs.create(
        JobRecord(
            job_id=uuid.uuid4().hex,
            spec=JobSpec(source="input/a.mp4", presets=[builtin_presets()["thumbnails"]]),
            owner=owner.key_id,
        )
    )
    for path in made.rglob("*"):
        if path.is_file():
            services.outputs.put_file(f"{job.job_id}/{path.relative_to(made)}", path)
    services.jobs.transition(job.job_id, JobStatus.RUNNING)
    services.jobs.transition(
        job.job_id, JobStatus.SUCCEEDED, manifest_key=f"{job.job_id}/manifest.json"
    )

    # When the pipeline's last function sends its webhook
    with Receiver(b"wh") as receiver:
        ended = services.jobs.get(job.job_id).model_copy(update={"callback_url": receiver.url})
        cloud_notifier(get_settings()).job_ended(ended)
    [(_, event, _)] = receiver.requests
    [headers], [body] = receiver.headers, receiver.bodies

    # Then it is signed by the documented scheme and lists every output of the manifest
    mac = hmac.new(b"wh", headers["X-MPR-Timestamp"].encode() + b"." + body, "sha256")
    assert headers["X-MPR-Signature"] == f"v1={mac.hexdigest()}"
    manifest = json.loads((made / "manifest.json").read_text())
    assert {(o["kind"], o["path"]) for o in event["outputs"]} == {
        (o["kind"], o["path"]) for o in manifest["outputs"]
    }
    # and each URL, through the API, redirects to a presigned GET of the bucket that answers
    # (playlists and WebVTT the API answers itself: their relative URLs keep the token)
    response = api(
        rest_api_event("GET", f"/v1/jobs/{job.job_id}", headers={"x-api-key": key}),
        FakeLambdaContext(),
    )
    view = json.loads(response["body"])
    assert {(o["kind"], o["path"]) for o in view["outputs"]} == {
        (o["kind"], o["path"]) for o in event["outputs"]
    }
    for out in [*event["outputs"], *view["outputs"]]:
        for url in [out["url"], *out["images"], *out["files"]]:
            assert url.startswith(f"{base}/v1/jobs/{job.job_id}/signed/")
            event_ = rest_api_event("GET", url.removeprefix(base), headers={})
            answer = api(event_, FakeLambdaContext())
            if url.endswith((".m3u8", ".vtt")):
                assert answer["statusCode"] == 200, answer
                assert answer["body"].startswith(("#EXTM3U", "WEBVTT"))
                continue
            assert answer["statusCode"] == 307, answer
            location = answer["headers"]["location"]
            assert "X-Amz-Signature=" in location
            fetched = httpx.get(location, timeout=30)
            assert fetched.status_code == 200, fetched.text
            if out["kind"] == "mp4":
                (tmp_path / "got.mp4").write_bytes(fetched.content)
                frames, _ = probe_video(get_settings().ffprobe, tmp_path / "got.mp4")
                assert frames == 132  # bigbuckbunny.mp4, by ffprobe


def test_the_upload_function_checks_a_caption_upload_as_text(
    cloud: str, upload_function: UploadFunction
) -> None:
    services = build_cloud(get_settings())
    _, key = create_key(services.keys, "cloud")
    api = make_handler(services)
    headers = {"x-api-key": key, "content-type": "application/json"}
    srt = b"1\n00:00:00,500 --> 00:00:01,500\nhello\n\n2\n00:00:03,000 --> 00:00:02,000\nback\n"

    def call(method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        body = json.dumps(payload).encode() if payload is not None else b""
        event = rest_api_event(method, path, headers=headers, body=body)
        response = api(event, FakeLambdaContext())
        return response["statusCode"], json.loads(response["body"])

    # Given a caption file with a cue that ends before it starts, sent as captions
    upload = {"filename": "talk.srt", "size": len(srt), "purpose": "captions"}
    status, ticket = call("POST", "/v1/uploads", upload)
    assert status == 201, ticket
    assert httpx.put(ticket["url"], content=srt, headers=ticket["headers"]).status_code == 200
    assert call("POST", f"/v1/uploads/{ticket['upload_id']}/complete", {})[0] == 200

    # When the upload function runs
    upload_function.release.set()
    for thread in upload_function.threads:
        thread.join(timeout=60)

    # Then it checked the text (no media probe) and names the line
    assert upload_function.results == [{"upload_id": ticket["upload_id"], "status": "INVALID"}]
    _, view = call("GET", f"/v1/uploads/{ticket['upload_id']}")
    assert (view["purpose"], view["media"]) == ("captions", None)
    assert view["error"] == (
        "talk.srt line 6: cue ends at 00:00:02.000, before its start 00:00:03.000"
    )
