"""An UploadStore on a DynamoDB table of its own (the cloud's API and upload functions).

Table schema (the CDK uploads table mirrors it; `create_table` below creates it):

| what | name | type / value |
|---|---|---|
| partition key | `upload_id` | S |
| attributes | `document` (S: the record's JSON), `version` (N), `owner`, `status` (S, copies) | |
| billing | PAY_PER_REQUEST | |

Every write is a conditional `PutItem`: `create` on `attribute_not_exists(upload_id)`, an
update on the `version` it read. A write that loses the race (ConditionalCheckFailed) gets
the stored item back (`ReturnValuesOnConditionCheckFailure`), applies the change to it and
tries again, so two processes updating one upload never lose one another's change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, cast

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from mpr.adapters.aws_errors import error_code, translated
from mpr.core.errors import InvalidInputError, NotFoundError
from mpr.ports import UploadT
from mpr.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def create_table(client: DynamoDBClient, name: str) -> None:
    """Create the uploads table and wait until it is active."""
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "upload_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "upload_id", "KeyType": "HASH"}],
    )
    client.get_waiter("table_exists").wait(TableName=name)


class DynamoUploadStore(Generic[UploadT]):
    def __init__(self, client: DynamoDBClient, table: str, parse: Callable[[str], UploadT]) -> None:
        self.client = client
        self.table = table
        self._parse = parse

    @classmethod
    def from_settings(
        cls, settings: Settings, parse: Callable[[str], UploadT]
    ) -> DynamoUploadStore[UploadT]:
        if not settings.uploads_table:
            raise InvalidInputError("MPR_UPLOADS_TABLE is not set")
        client = boto3.client(
            "dynamodb", region_name=settings.s3_region, config=Config(retries={"mode": "standard"})
        )
        return cls(client, settings.uploads_table, parse)

    def create(self, record: UploadT) -> UploadT:
        with translated(f"create upload {record.upload_id}"):
            try:
                self.client.put_item(
                    TableName=self.table,
                    Item=_item(record, 1),
                    ConditionExpression="attribute_not_exists(upload_id)",
                )
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
                raise InvalidInputError(f"upload {record.upload_id} already exists") from exc
        return record

    def get(self, upload_id: str) -> UploadT:
        with translated(f"get upload {upload_id}"):
            response = self.client.get_item(
                TableName=self.table, Key={"upload_id": {"S": upload_id}}, ConsistentRead=True
            )
        if "Item" not in response:
            raise NotFoundError(f"no upload {upload_id}")
        return self._parse(response["Item"]["document"]["S"])

    def update(self, upload_id: str, change: Callable[[UploadT], UploadT]) -> UploadT:
        with translated(f"get upload {upload_id}"):
            stored: Mapping[str, Any] | None = self.client.get_item(
                TableName=self.table, Key={"upload_id": {"S": upload_id}}, ConsistentRead=True
            ).get("Item")
        while stored is not None:
            current = self._parse(stored["document"]["S"])
            changed = change(current)
            if changed is current:
                return current
            if changed.upload_id != upload_id:
                raise InvalidInputError(f"an update of upload {upload_id} cannot change its id")
            version = int(stored["version"]["N"])
            with translated(f"update upload {upload_id}"):
                try:
                    self.client.put_item(
                        TableName=self.table,
                        Item=_item(changed, version + 1),
                        ConditionExpression="#v = :v",
                        ExpressionAttributeNames={"#v": "version"},
                        ExpressionAttributeValues={":v": {"N": str(version)}},
                        ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    )
                except ClientError as exc:
                    if error_code(exc) != "ConditionalCheckFailedException":
                        raise
                    # the record written in between, or none if it was removed
                    stored = cast("Mapping[str, Any] | None", exc.response.get("Item"))
                    continue
            return changed
        raise NotFoundError(f"no upload {upload_id}")


def _item(record: UploadT, version: int) -> dict[str, Any]:
    return {
        "upload_id": {"S": record.upload_id},
        "version": {"N": str(version)},
        "document": {"S": record.model_dump_json()},
        "owner": {"S": record.owner},
        "status": {"S": str(record.status)},
    }
