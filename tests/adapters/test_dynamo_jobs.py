"""What only the DynamoDB store promises: the table layout the CDK stack mirrors, the
idempotency items with their TTL, and SDK errors mapped to MPR's errors."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config

from mpr.adapters.dynamo_jobs import DynamoJobStore, create_table
from mpr.core.errors import InvalidInputError, MprError, RetryableError
from mpr.core.models import JobStatus
from mpr.settings import Settings
from tests.adapters.job_factory import make_job

TABLE = "mpr-jobs"


@pytest.fixture
def store(dynamodb_client: Any) -> DynamoJobStore:
    create_table(dynamodb_client, TABLE)
    return DynamoJobStore(dynamodb_client, TABLE, ttl_days=7)


def test_the_table_has_the_documented_keys_indexes_and_ttl(dynamodb_client: Any) -> None:
    create_table(dynamodb_client, TABLE)

    table = dynamodb_client.describe_table(TableName=TABLE)["Table"]
    ttl = dynamodb_client.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]

    assert table["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    indexes = {
        index["IndexName"]: (index["KeySchema"], index["Projection"]["ProjectionType"])
        for index in table["GlobalSecondaryIndexes"]
    }
    assert indexes == {
        "by_status": (
            [
                {"AttributeName": "status", "KeyType": "HASH"},
                {"AttributeName": "created_at", "KeyType": "RANGE"},
            ],
            "ALL",
        ),
        "by_created": (
            [
                {"AttributeName": "type", "KeyType": "HASH"},
                {"AttributeName": "created_at", "KeyType": "RANGE"},
            ],
            "ALL",
        ),
    }
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "ttl")


def test_items_are_laid_out_as_documented(store: DynamoJobStore, dynamodb_client: Any) -> None:
    store.create(make_job("j1", idempotency_key="upload-7"))
    store.transition("j1", JobStatus.RUNNING)
    store.record_timing("j1", "probe", 0.75)

    job = dynamodb_client.get_item(TableName=TABLE, Key={"PK": {"S": "JOB#j1"}, "SK": {"S": "JOB"}})
    key = dynamodb_client.get_item(
        TableName=TABLE, Key={"PK": {"S": "IDEM#upload-7"}, "SK": {"S": "IDEM"}}
    )

    item = job["Item"]
    assert (item["type"], item["job_id"], item["status"]) == (
        {"S": "JOB"},
        {"S": "j1"},
        {"S": "RUNNING"},
    )
    assert item["created_at"] == {"S": "2026-01-31T12:00:00.250000Z"}
    assert item["timings"] == {"M": {"probe": {"N": "0.75"}}}
    assert json.loads(item["document"]["S"])["spec"]["source"] == "input/clip.mp4"
    assert "ttl" not in item
    assert key["Item"]["job_id"] == {"S": "j1"}
    expires = int(key["Item"]["ttl"]["N"])
    assert abs(expires - (time.time() + 7 * 86400)) < 60


def test_a_cursor_belongs_to_its_listing(store: DynamoJobStore) -> None:
    for i in range(3):
        store.create(make_job(f"j{i}", seconds=i))
        store.transition(f"j{i}", JobStatus.RUNNING)
    _, running_cursor = store.list(status=JobStatus.RUNNING, limit=1)
    assert running_cursor is not None

    with pytest.raises(InvalidInputError):
        store.list(limit=1, cursor=running_cursor)
    with pytest.raises(InvalidInputError):
        store.list(status=JobStatus.QUEUED, limit=1, cursor=running_cursor)
    assert [job.job_id for job in store.list(JobStatus.RUNNING, 5, running_cursor)[0]] == [
        "j1",
        "j0",
    ]


def test_from_settings_needs_a_table_name() -> None:
    with pytest.raises(InvalidInputError, match="MPR_JOBS_TABLE"):
        DynamoJobStore.from_settings(Settings(jobs_table=None))


def test_from_settings_uses_the_table_and_ttl(aws: None) -> None:
    store = DynamoJobStore.from_settings(Settings(jobs_table="jobs-x", work_item_ttl_days=3))

    assert (store.table, store.ttl_days) == ("jobs-x", 3)


def failing_store(endpoint: str) -> DynamoJobStore:
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=2),
    )
    return DynamoJobStore(client, TABLE)


def dynamo_error(kind: str) -> bytes:
    return json.dumps(
        {"__type": f"com.amazonaws.dynamodb.v20120810#{kind}", "message": "canned"}
    ).encode()


@pytest.mark.parametrize(
    ("status", "kind", "expected"),
    [
        (400, "ProvisionedThroughputExceededException", RetryableError),
        (500, "InternalServerError", RetryableError),
        (400, "AccessDeniedException", MprError),
    ],
)
@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.get("j1"),
        lambda s: s.create(make_job("j1", idempotency_key="k")),
        lambda s: s.transition("j1", JobStatus.RUNNING),
    ],
    ids=["get", "create_idempotent", "transition"],
)
def test_sdk_errors_become_mpr_errors(
    canned_endpoint: Callable[[int, bytes, str], str],
    status: int,
    kind: str,
    expected: type[MprError],
    call: Callable[[DynamoJobStore], object],
) -> None:
    store = failing_store(canned_endpoint(status, dynamo_error(kind), "application/x-amz-json-1.0"))

    with pytest.raises(expected) as raised:
        call(store)

    assert type(raised.value) is expected
    assert kind in str(raised.value)


def test_an_unreachable_endpoint_is_retryable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = failing_store(f"http://127.0.0.1:{port}")

    with pytest.raises(RetryableError):
        store.get("j1")
