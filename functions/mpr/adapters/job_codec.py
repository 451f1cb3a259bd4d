"""How job stores lay out a JobRecord: a JSON document of the fields fixed at creation,
separate fields for what changes, sortable timestamps and opaque page cursors."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from mpr.core.errors import InvalidInputError
from mpr.core.models import JobRecord

MUTABLE_FIELDS = (
    "status",
    "stage",
    "chunks_total",
    "chunks_done",
    "error",
    "error_cause",
    "manifest_key",
    "timings",
    "updated_at",
)
MAX_PAGE = 1000


def stamp(moment: datetime) -> str:
    """A fixed-width UTC timestamp whose lexical order is its time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_stamp() -> str:
    return stamp(datetime.now(UTC))


def document(job: JobRecord) -> str:
    """The JSON of the fields that never change after creation."""
    return job.model_dump_json(exclude=set(MUTABLE_FIELDS))


def mutable_values(job: JobRecord) -> dict[str, Any]:
    """The changing fields as plain values (status as its string, updated_at stamped)."""
    values = job.model_dump(include=set(MUTABLE_FIELDS))
    values["status"] = job.status.value
    values["updated_at"] = stamp(job.updated_at)
    return values


def to_record(document_json: str, mutable: Mapping[str, Any]) -> JobRecord:
    """Rebuild a record from its document and its changing fields (missing ones are None)."""
    data = json.loads(document_json)
    data.update({name: mutable.get(name) for name in MUTABLE_FIELDS})
    data["timings"] = data["timings"] or {}
    return JobRecord.model_validate(data)


def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInputError(f"page limit must be between 1 and {MAX_PAGE}, not {limit}")


def encode_cursor(position: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


def decode_cursor(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidInputError("the page cursor is not valid") from exc


def sort_position(job: JobRecord) -> tuple[str, str]:
    """Where a job sits in the newest-first order: (created stamp, job id), descending."""
    return stamp(job.created_at), job.job_id


def after_cursor(cursor: str | None) -> tuple[str, str] | None:
    """The position a (created stamp, job id) cursor points after, validated."""
    if cursor is None:
        return None
    position = decode_cursor(cursor)
    if not (
        isinstance(position, list)
        and len(position) == 2
        and all(isinstance(part, str) for part in position)
    ):
        raise InvalidInputError("the page cursor is not valid")
    return position[0], position[1]


def page(rows: Sequence[JobRecord], limit: int) -> tuple[list[JobRecord], str | None]:
    """Cut up to `limit + 1` newest-first rows into a page and the cursor of the next one."""
    if len(rows) <= limit:
        return list(rows), None
    return list(rows[:limit]), encode_cursor(list(sort_position(rows[limit - 1])))


def list_query(
    status: str | None,
    owner: str | None,
    after: tuple[str, str] | None,
    limit: int,
    *,
    mark: str,
    owner_column: str = "owner",
) -> tuple[str, list[Any]]:
    """The SQL stores' page query (newest first, one row more than `limit` to tell whether
    a next page exists) and its parameters; `mark` is the driver's placeholder."""
    conditions: list[str] = []
    params: list[Any] = []
    if status is not None:
        conditions.append(f"status = {mark}")
        params.append(status)
    if owner is not None:
        conditions.append(f"{owner_column} = {mark}")
        params.append(owner)
    if after is not None:
        conditions.append(f"(created_at, job_id) < ({mark}, {mark})")
        params.extend(after)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    sql = f"SELECT * FROM jobs {where} ORDER BY created_at DESC, job_id DESC LIMIT {mark}"  # noqa: S608
    return sql, [*params, limit + 1]
