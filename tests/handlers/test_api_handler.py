"""The API's Lambda entry point as the stage functions are: its log lines carry the API
Gateway request id as correlation id, and each answer is counted by class in an EMF metric."""

from __future__ import annotations

import io
import json

import boto3
import pytest

from mpr.handlers import api, runtime
from tests.api.api_helpers import rest_api_event
from tests.handlers.conftest import REGION, LambdaContext


@pytest.fixture
def cloud_api(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings `build_cloud` needs, on moto."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
    arn = sfn.create_state_machine(
        name="mpr", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/r"
    )["stateMachineArn"]
    for name, value in {
        "MPR_STATE_MACHINE_ARN": arn,
        "MPR_API_KEYS_TABLE": "mpr-keys",
        "MPR_CALLBACK_SECRET": "c" * 64,
    }.items():
        monkeypatch.setenv(name, value)
    api._cold_start.cache_clear()
    runtime.get_settings.cache_clear()


def test_an_api_request_is_logged_and_counted(
    cloud_api: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    written = io.StringIO()
    monkeypatch.setattr(runtime.logger.registered_handler, "stream", written)
    event = rest_api_event("GET", "/healthz", headers={"Host": "abc123.execute-api"})
    event["requestContext"]["requestId"] = "req-7f3a"

    response = api.handler(event, LambdaContext(function_name="mpr-api"))

    assert response["statusCode"] == 200
    # the request id is the correlation id of the invocation's log lines
    assert runtime.logger.get_correlation_id() == "req-7f3a"
    runtime.logger.info("after the request")
    (line,) = [json.loads(x) for x in written.getvalue().splitlines() if "after" in x]
    assert line["correlation_id"] == "req-7f3a"
    # and the answer is counted by its class (EMF, one JSON object on stdout per invocation)
    emf = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"_aws"' in x]
    counted = {k: v for e in emf for k, v in e.items() if k.startswith("Api")}
    assert counted == {"Api2xx": [1.0]}
