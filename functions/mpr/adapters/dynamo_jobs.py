"""A JobStore on one DynamoDB table (the cloud engine).

Table schema (the CDK jobs table mirrors it; `create_table` below creates it):

| what | name | type / value |
|---|---|---|
| partition key | `PK` | S: `JOB#<job_id>` for a job, `IDEM#<idempotency key>` for a key |
| sort key | `SK` | S: `JOB` for a job, `IDEM` for an idempotency key |
| GSI `by_status` | hash `status` (S), range `created_at` (S) | projection ALL: jobs by status |
| GSI `by_created` | hash `type` (S, `JOB`), range `created_at` (S) | projection ALL: all jobs |
| TTL attribute | `ttl` | N, epoch seconds; set on idempotency items only |
| billing | PAY_PER_REQUEST | |

A job item also holds `job_id`, `owner` (when set), `document` (JSON of the fields fixed at
creation), and one attribute per changing field: `stage`, `chunks_total`, `chunks_done`,
`error`, `error_cause`, `manifest_key`, `timings` (map of seconds), `updated_at`.
`created_at` is a fixed-width UTC stamp (`2026-01-31T12:00:00.000000Z`) so both indexes
list newest first. An idempotency item
holds `job_id` and `ttl`. Transitions are conditional updates (`#status IN (...)` from
core.jobs.sources_for); progress is an atomic `ADD chunks_done :n`, or, per chunk, `ADD` of
the chunk's index to the number set `chunks_counted` on the condition that it is not there
yet, so a retried chunk counts once. The state machine's `RecordChunkError` state writes
`chunk_error` (map: `chunk` N, `error` S, `cause` S) once, when a chunk fails for good; a new
plan (`set_stage` with `chunks_total`) removes both.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError

from mpr.adapters.aws_errors import error_code, translated
from mpr.adapters.job_codec import (
    check_limit,
    decode_cursor,
    document,
    encode_cursor,
    mutable_values,
    now_stamp,
    stamp,
    to_record,
)
from mpr.core.errors import InvalidInputError, JobStateError, NotFoundError, RetryableError
from mpr.core.jobs import check_transition, sources_for
from mpr.core.models import JobRecord, JobStatus
from mpr.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import GlobalSecondaryIndexTypeDef, TransactWriteItemTypeDef

BY_STATUS = "by_status"
BY_CREATED = "by_created"
JOB_TYPE = "JOB"
TRANSIENT_REASONS = frozenset(
    {"ProvisionedThroughputExceeded", "ThrottlingError", "TransactionConflict"}
)

CHUNK_ERROR = "chunk_error"
CHUNKS_COUNTED = "chunks_counted"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


@dataclass(frozen=True)
class ChunkFailure:
    """The error of the first chunk that failed for good, as the state machine wrote it."""

    chunk: int
    error: str
    cause: str


def create_table(client: DynamoDBClient, name: str) -> None:
    """Create the jobs table with its indexes and TTL, and wait until it is active."""
    strings = ("PK", "SK", "status", "created_at", "type")

    def index(index_name: str, hash_key: str) -> GlobalSecondaryIndexTypeDef:
        return {
            "IndexName": index_name,
            "KeySchema": [
                {"AttributeName": hash_key, "KeyType": "HASH"},
                {"AttributeName": "created_at", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }

    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in strings],
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[index(BY_STATUS, "status"), index(BY_CREATED, "type")],
    )
    client.get_waiter("table_exists").wait(TableName=name)
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )


def _job_key(job_id: str) -> dict[str, Any]:
    return {"PK": {"S": f"JOB#{job_id}"}, "SK": {"S": "JOB"}}


def _idempotency_key(key: str) -> dict[str, Any]:
    return {"PK": {"S": f"IDEM#{key}"}, "SK": {"S": "IDEM"}}


def _serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    """DynamoDB attribute values for plain values; floats become Decimals, Nones are left out."""
    return {
        name: _serializer.serialize(_decimals(value))
        for name, value in item.items()
        if value is not None
    }


def _decimals(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    return value


def _record(item: Mapping[str, Any]) -> JobRecord:
    values = {name: _deserializer.deserialize(value) for name, value in item.items()}
    values["timings"] = {k: float(v) for k, v in values.get("timings", {}).items()}
    return to_record(values["document"], values)


class DynamoJobStore:
    def __init__(self, client: DynamoDBClient, table: str, *, ttl_days: int = 7) -> None:
        self.client = client
        self.table = table
        self.ttl_days = ttl_days

    @classmethod
    def from_settings(cls, settings: Settings) -> DynamoJobStore:
        if not settings.jobs_table:
            raise InvalidInputError("MPR_JOBS_TABLE is not set")
        client = boto3.client("dynamodb", config=Config(retries={"mode": "standard"}))
        return cls(client, settings.jobs_table, ttl_days=settings.work_item_ttl_days)

    def create(self, job: JobRecord) -> JobRecord:
        item = _serialize(
            {
                "type": JOB_TYPE,
                "job_id": job.job_id,
                "created_at": stamp(job.created_at),
                "document": document(job),
                "owner": job.owner,  # a top-level copy, for filtering listings
                **mutable_values(job),
            }
        ) | _job_key(job.job_id)
        new_only = "attribute_not_exists(PK)"
        writes: list[TransactWriteItemTypeDef] = [
            {"Put": {"TableName": self.table, "Item": item, "ConditionExpression": new_only}}
        ]
        if job.idempotency_key is not None:
            expires = int(time.time()) + self.ttl_days * 86400
            key_item = _serialize({"job_id": job.job_id, "ttl": expires})
            key_item |= _idempotency_key(job.idempotency_key)
            writes.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": key_item,
                        "ConditionExpression": new_only,
                    }
                }
            )
        with translated(f"create job {job.job_id}"):
            try:
                self.client.transact_write_items(TransactItems=writes)
            except ClientError as exc:
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                if reasons[1:2] == ["ConditionalCheckFailed"] and job.idempotency_key:
                    return self._by_idempotency_key(job.idempotency_key)
                if reasons[:1] == ["ConditionalCheckFailed"]:
                    raise InvalidInputError(f"job {job.job_id} already exists") from exc
                if TRANSIENT_REASONS.intersection(reasons):
                    raise RetryableError(f"create job {job.job_id}: {reasons}") from exc
                raise
        return job

    def _by_idempotency_key(self, key: str) -> JobRecord:
        with translated(f"read idempotency key {key}"):
            response = self.client.get_item(
                TableName=self.table, Key=_idempotency_key(key), ConsistentRead=True
            )
        return self.get(response["Item"]["job_id"]["S"])

    def get(self, job_id: str) -> JobRecord:
        with translated(f"get job {job_id}"):
            response = self.client.get_item(
                TableName=self.table, Key=_job_key(job_id), ConsistentRead=True
            )
        if "Item" not in response:
            raise NotFoundError(f"job {job_id} not found")
        return _record(response["Item"])

    def list(
        self,
        status: JobStatus | None = None,
        limit: int = 50,
        cursor: str | None = None,
        *,
        owner: str | None = None,
    ) -> tuple[list[JobRecord], str | None]:
        """Jobs newest first from an index; the last page may come back empty, and with
        `owner` (a filter on the index's pages) any page may hold fewer than `limit`."""
        check_limit(limit)
        index, hash_key, value = (
            (BY_CREATED, "type", JOB_TYPE) if status is None else (BY_STATUS, "status", status)
        )
        query: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": index,
            "KeyConditionExpression": "#h = :h",
            "ExpressionAttributeNames": {"#h": hash_key},
            "ExpressionAttributeValues": {":h": {"S": str(value)}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if owner is not None:
            query["FilterExpression"] = "#o = :o"
            query["ExpressionAttributeNames"]["#o"] = "owner"
            query["ExpressionAttributeValues"][":o"] = {"S": owner}
        if cursor is not None:
            start = decode_cursor(cursor)
            if not isinstance(start, dict) or start.get(hash_key) != {"S": str(value)}:
                raise InvalidInputError("the page cursor is not valid for this listing")
            query["ExclusiveStartKey"] = start
        with translated("list jobs"):
            response = self.client.query(**query)
        last = response.get("LastEvaluatedKey")
        return [_record(item) for item in response["Items"]], encode_cursor(last) if last else None

    def _update(
        self,
        job_id: str,
        *,
        set_values: Mapping[str | tuple[str, str], Any],
        remove: Sequence[str] = (),
        add: Mapping[str, int] | None = None,
        target: JobStatus | None = None,
    ) -> JobRecord:
        """One UpdateItem on an existing job, conditional on the status rules when `target`
        is given; `set_values` keys are attributes or (map, key) paths. Returns the new job."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {}

        def path(*attributes: str) -> str:
            placeholders = []
            for attribute in attributes:
                placeholders.append(f"#n{len(names)}")
                names[placeholders[-1]] = attribute
            return ".".join(placeholders)

        def value(plain: Any) -> str:
            placeholder = f":v{len(values)}"
            values[placeholder] = _serializer.serialize(_decimals(plain))
            return placeholder

        fields = {**set_values, "updated_at": now_stamp()}
        expression = "SET " + ", ".join(
            f"{path(*((k,) if isinstance(k, str) else k))} = {value(v)}" for k, v in fields.items()
        )
        if remove:
            expression += " REMOVE " + ", ".join(path(k) for k in remove)
        if add:
            expression += " ADD " + ", ".join(f"{path(k)} {value(v)}" for k, v in add.items())
        condition = "attribute_exists(PK)"
        if target is not None:
            allowed = ", ".join(value(status.value) for status in sorted(sources_for(target)))
            condition += f" AND {path('status')} IN ({allowed})"
        with translated(f"update job {job_id}"):
            try:
                response = self.client.update_item(
                    TableName=self.table,
                    Key=_job_key(job_id),
                    UpdateExpression=expression,
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                )
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
                current = self.get(job_id)  # raises NotFoundError
                if target is not None:
                    check_transition(current.status, target)
                raise JobStateError(f"job {job_id} changed concurrently; update refused") from exc
        return _record(response["Attributes"])

    def transition(
        self,
        job_id: str,
        target: JobStatus,
        *,
        stage: str | None = None,
        error: str | None = None,
        error_cause: str | None = None,
        manifest_key: str | None = None,
    ) -> JobRecord:
        optional = {"stage": stage, "manifest_key": manifest_key}
        errors = {"error": error, "error_cause": error_cause}
        return self._update(
            job_id,
            set_values={
                "status": target.value,
                **{k: v for k, v in (optional | errors).items() if v is not None},
            },
            remove=[k for k, v in errors.items() if v is None],
            target=target,
        )

    def set_stage(self, job_id: str, stage: str, *, chunks_total: int | None = None) -> None:
        fields: dict[str | tuple[str, str], Any] = {"stage": stage}
        if chunks_total is None:
            self._update(job_id, set_values=fields)
            return
        fields |= {"chunks_total": chunks_total, "chunks_done": 0}
        self._update(job_id, set_values=fields, remove=[CHUNKS_COUNTED, CHUNK_ERROR])

    def add_progress(self, job_id: str, chunks: int = 1) -> JobRecord:
        return self._update(job_id, set_values={}, add={"chunks_done": chunks})

    def count_chunk(self, job_id: str, chunk: int) -> JobRecord:
        with translated(f"count chunk {chunk} of job {job_id}"):
            try:
                response = self.client.update_item(
                    TableName=self.table,
                    Key=_job_key(job_id),
                    UpdateExpression="SET #u = :u ADD #d :one, #c :chunk",
                    ConditionExpression="attribute_exists(PK) AND NOT contains(#c, :n)",
                    ExpressionAttributeNames={
                        "#u": "updated_at",
                        "#d": "chunks_done",
                        "#c": CHUNKS_COUNTED,
                    },
                    ExpressionAttributeValues={
                        ":u": {"S": now_stamp()},
                        ":one": {"N": "1"},
                        ":chunk": {"NS": [str(chunk)]},
                        ":n": {"N": str(chunk)},
                    },
                    ReturnValues="ALL_NEW",
                )
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
                return self.get(job_id)  # counted before, or NotFoundError
        return _record(response["Attributes"])

    def chunk_failure(self, job_id: str) -> ChunkFailure | None:
        """The failing chunk's own error, when the state machine recorded one."""
        with translated(f"get job {job_id}"):
            response = self.client.get_item(
                TableName=self.table,
                Key=_job_key(job_id),
                ConsistentRead=True,
                ProjectionExpression="#e",
                ExpressionAttributeNames={"#e": CHUNK_ERROR},
            )
        recorded = response.get("Item", {}).get(CHUNK_ERROR)
        if recorded is None:
            return None
        value = _deserializer.deserialize(recorded)
        return ChunkFailure(chunk=int(value["chunk"]), error=value["error"], cause=value["cause"])

    def record_timing(self, job_id: str, stage: str, seconds: float) -> None:
        self._update(job_id, set_values={("timings", stage): seconds})
