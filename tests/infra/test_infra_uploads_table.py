"""The uploads table: the adapter's schema, reached by the API and upload functions only,
with exactly the calls the adapter makes.

Stands for AWS behaviour moto cannot show: IAM. moto grants every call, so the actions the
store calls are recorded on moto and compared with what the template grants.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pydantic import BaseModel

from infra.constructs.tables import UPLOAD_ACTIONS
from mpr.adapters.dynamo_uploads import DynamoUploadStore, create_table
from tests.infra.infra_support import Synthesized

UPLOADERS = {"api", "process_upload"}


class Upload(BaseModel):
    upload_id: str
    owner: str
    status: str


def _actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


def _policies(synth: Synthesized) -> Iterator[tuple[list[dict[str, Any]], list[Any]]]:
    """(statements, roles) of every IAM policy in the template, inline ones included."""
    for policy in synth.resources("AWS::IAM::Policy").values():
        props = policy["Properties"]
        yield props["PolicyDocument"]["Statement"], props["Roles"]
    for role_id, role in synth.resources("AWS::IAM::Role").items():
        for inline in role["Properties"].get("Policies", []):
            yield inline["PolicyDocument"]["Statement"], [{"Ref": role_id}]
    for managed in synth.resources("AWS::IAM::ManagedPolicy").values():
        props = managed["Properties"]
        yield props["PolicyDocument"]["Statement"], props.get("Roles", [])


def test_uploads_table_mirrors_the_adapter(synthesized: Synthesized) -> None:
    table_id = synthesized.output_ref("UploadsTableName")
    props = synthesized.resources("AWS::DynamoDB::Table")[table_id]["Properties"]
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        create_table(client, "uploads")
        created = client.describe_table(TableName="uploads")["Table"]

    assert props["KeySchema"] == created["KeySchema"]
    assert props["AttributeDefinitions"] == created["AttributeDefinitions"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert "GlobalSecondaryIndexes" not in props


def test_only_the_api_and_upload_functions_reach_the_uploads_table(
    synthesized: Synthesized,
) -> None:
    table_id = synthesized.output_ref("UploadsTableName")
    table_arn = {"Fn::GetAtt": [table_id, "Arn"]}
    roles = {
        name: props["Role"]["Fn::GetAtt"][0] for name, props in synthesized.functions().items()
    }
    # Given every statement of every policy that names the table
    granted: dict[str, list[dict[str, Any]]] = {}
    for statements, attached in _policies(synthesized):
        for statement in statements:
            if table_id in json.dumps(statement["Resource"]):
                for role in attached:
                    granted.setdefault(role["Ref"], []).append(statement)
    # Then only the two functions' roles hold one, with the store's actions on the table
    assert set(granted) == {roles[name] for name in UPLOADERS}
    for statements in granted.values():
        assert [(s["Effect"], _actions(s), s["Resource"]) for s in statements] == [
            ("Allow", set(UPLOAD_ACTIONS), table_arn)
        ]
    # and only those two are told its name
    told = {
        name
        for name, props in synthesized.functions().items()
        if "MPR_UPLOADS_TABLE" in props["Environment"]["Variables"]
    }
    assert told == UPLOADERS
    for name in UPLOADERS:
        variables = synthesized.functions()[name]["Environment"]["Variables"]
        assert variables["MPR_UPLOADS_TABLE"] == {"Ref": table_id}


def test_the_store_calls_only_what_the_functions_are_granted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    called: set[str] = set()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        create_table(client, "uploads")
        client.meta.events.register(
            "before-call.dynamodb",
            lambda model, **_: called.add(f"dynamodb:{model.name}"),
        )
        store = DynamoUploadStore(client, "uploads", Upload.model_validate_json)
        upload = store.create(Upload(upload_id="u1", owner="alice", status="PENDING"))
        store.get("u1")

        def write_in_between(current: Upload) -> Upload:
            # another process writes first: this write's condition fails, and it retries
            if current.status == "PENDING":
                other.update("u1", lambda r: r.model_copy(update={"status": "UPLOADED"}))
            return current.model_copy(update={"owner": "bob"})

        other = DynamoUploadStore(client, "uploads", Upload.model_validate_json)
        changed = store.update("u1", write_in_between)

    assert changed == upload.model_copy(update={"owner": "bob", "status": "UPLOADED"})
    assert called == set(UPLOAD_ACTIONS)
