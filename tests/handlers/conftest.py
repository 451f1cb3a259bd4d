"""Fixtures of the handler tests: moto's AWS in-process, its S3 also served on a loopback
port (ffmpeg, a subprocess, reads the source through presigned URLs), the buckets and tables
the stack creates, a tiny LambdaContext and the real sample clip."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from mpr.adapters import dynamo_uploads
from mpr.adapters.dynamo_jobs import DynamoJobStore, create_table
from mpr.handlers import runtime, s3_trigger
from mpr.settings import get_settings

REGION = "us-east-1"
EVENTS = Path(__file__).resolve().parents[1] / "events"
BUCKETS = {
    "MPR_INPUT_BUCKET": "mpr-in",
    "MPR_WORK_BUCKET": "mpr-work",
    "MPR_OUTPUT_BUCKET": "mpr-out",
}
TABLES = {
    "MPR_JOBS_TABLE": "mpr-jobs",
    "MPR_UPLOADS_TABLE": "mpr-uploads",
    "MPR_IDEMPOTENCY_TABLE": "mpr-idempotency",
}
WEBHOOK_SECRET = "whsec-handlers-0123456789"
API_BASE_URL = "https://abc123.execute-api.us-east-1.amazonaws.com/dev"


@dataclass
class LambdaContext:
    function_name: str = "mpr-test"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    log_group_name: str = "/aws/lambda/mpr-test"
    log_stream_name: str = "test"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@pytest.fixture
def context() -> LambdaContext:
    return LambdaContext()


def sample_event(name: str) -> dict[str, Any]:
    """A sample event of tests/events/ (the same ones local/events/ documents)."""
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return event


@pytest.fixture(scope="session")
def clips(sample_clips: Path) -> Path:
    """The folder of real sample clips (see tests/conftest.py)."""
    return sample_clips


def _clear_caches() -> None:
    get_settings.cache_clear()
    runtime.adapters.cache_clear()
    runtime.notifier.cache_clear()
    s3_trigger._starter.cache_clear()


@pytest.fixture
def moto_config() -> dict[str, Any] | None:
    """moto's configuration; by default executions of state machines do not run."""
    return None


@pytest.fixture
def aws(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, moto_config: dict[str, Any] | None
) -> Iterator[str]:
    """moto in-process, with its S3 also on a loopback port; every `MPR_*` variable the stack
    sets; yields the S3 endpoint URL. Nothing can reach a real account."""
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "MPR")
    with mock_aws(config=moto_config):
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        for name, value in {
            **BUCKETS,
            **TABLES,
            "MPR_S3_ENDPOINT_URL": endpoint,
            "MPR_S3_FORCE_PATH_STYLE": "true",
            "MPR_S3_REGION": REGION,
            "MPR_DATA_DIR": str(tmp_path / "data"),
            "MPR_INPUT_PREFIX": "input/",
            "MPR_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "MPR_CALLBACK_SECRET": "callback-handlers-0123456789",
            "MPR_API_BASE_URL": API_BASE_URL,
        }.items():
            monkeypatch.setenv(name, value)
        _clear_caches()
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in BUCKETS.values():
            s3.create_bucket(Bucket=bucket)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_table(dynamodb, TABLES["MPR_JOBS_TABLE"])
        dynamo_uploads.create_table(dynamodb, TABLES["MPR_UPLOADS_TABLE"])
        dynamodb.create_table(
            TableName=TABLES["MPR_IDEMPOTENCY_TABLE"],
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        )
        try:
            yield endpoint
        finally:
            server.stop()
            _clear_caches()


@pytest.fixture
def jobs(aws: str) -> DynamoJobStore:
    return DynamoJobStore(boto3.client("dynamodb", region_name=REGION), TABLES["MPR_JOBS_TABLE"])


@pytest.fixture
def s3(aws: str) -> Any:
    return boto3.client("s3", region_name=REGION)


def keys_under(s3: Any, bucket: str, prefix: str = "") -> list[str]:
    response = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for item in response.get("Contents", [])]
