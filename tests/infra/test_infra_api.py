"""The HTTP API in the synthesized template: routes, keys, throttles, logs, CORS, IAM."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App
from infra_support import Synthesized

from infra.config import DeployConfig, Throttle
from infra.env_vars import ENV_VARS_BY_FUNCTION
from mpr.core.errors import InvalidInputError

# the session's one in-process synth (with cdk-nag): ~10 s
pytestmark = [pytest.mark.infra, pytest.mark.slow]

# Routes the app authenticates without an API key (signed tokens, HMAC) or that are open.
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/docs"),
    ("GET", "/openapi.json"),
    ("GET", "/v1/jobs/{job_id}/signed/{token}/{path+}"),
    ("GET", "/v1/uploads/{upload_id}/signed/{token}/{name}"),
    ("POST", "/v1/jobs/{job_id}/callback"),
}


def only(synth: Synthesized, kind: str) -> tuple[str, dict[str, Any]]:
    ((logical_id, resource),) = synth.resources(kind).items()
    return logical_id, resource["Properties"]


def resource_paths(synth: Synthesized) -> dict[str, str]:
    """ApiGateway::Resource logical id -> its full path ("/v1/jobs")."""
    resources = synth.resources("AWS::ApiGateway::Resource")

    def path(logical_id: str) -> str:
        props = resources[logical_id]["Properties"]
        parent = props["ParentId"]
        prefix = path(parent["Ref"]) if "Ref" in parent else ""
        return f"{prefix}/{props['PathPart']}"

    return {logical_id: path(logical_id) for logical_id in resources}


def methods(synth: Synthesized) -> list[tuple[str, str, dict[str, Any]]]:
    """(HTTP method, resource path, properties) of every method of the API."""
    paths = resource_paths(synth)
    found = []
    for method in synth.resources("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        resource = props["ResourceId"]
        path = paths[resource["Ref"]] if "Ref" in resource else "/"
        found.append((props["HttpMethod"], path, props))
    return found


def env(synth: Synthesized) -> dict[str, Any]:
    variables: dict[str, Any] = synth.functions()["api"]["Environment"]["Variables"]
    return variables


def api_statements(synth: Synthesized) -> list[dict[str, Any]]:
    role = synth.functions()["api"]["Role"]["Fn::GetAtt"][0]
    found = []
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"]["Roles"]:
            found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def ui_origin(synth: Synthesized) -> dict[str, Any]:
    distribution, _ = only(synth, "AWS::CloudFront::Distribution")
    return {"Fn::Join": ["", ["'https://", {"Fn::GetAtt": [distribution, "DomainName"]}, "'"]]}


def test_a_regional_rest_api_proxies_every_method_to_the_api_function(
    synthesized: Synthesized,
) -> None:
    _, api = only(synthesized, "AWS::ApiGateway::RestApi")
    assert api["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert api["ApiKeySourceType"] == "HEADER"
    assert api["BinaryMediaTypes"] == ["application/octet-stream", "video/*", "audio/*", "image/*"]
    function = synthesized.logical_id("api")
    proxied = [m for m in methods(synthesized) if m[0] != "OPTIONS"]
    assert len(proxied) > len(PUBLIC)
    for verb, path, props in proxied:
        integration = props["Integration"]
        assert integration["Type"] == "AWS_PROXY", (verb, path)
        assert integration["IntegrationHttpMethod"] == "POST"
        assert {"Fn::GetAtt": [function, "Arn"]} in integration["Uri"]["Fn::Join"][1]
    # one invoke permission, for the deployed stage only
    (permission,) = [
        p["Properties"]
        for p in synthesized.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "apigateway.amazonaws.com"
    ]
    assert permission["FunctionName"] == {"Fn::GetAtt": [function, "Arn"]}
    assert permission["SourceArn"]["Fn::Join"][1][-1] == "/dev/*/*"


def test_every_route_needs_a_gateway_key_except_the_public_ones(
    synthesized: Synthesized,
) -> None:
    found = methods(synthesized)
    open_routes = {(verb, path) for verb, path, props in found if not props["ApiKeyRequired"]}
    preflights = {(verb, path) for verb, path in open_routes if verb == "OPTIONS"}
    assert open_routes - preflights == PUBLIC
    keyed = {path for verb, path, props in found if verb == "ANY" and props["ApiKeyRequired"]}
    # every resource reaches the app behind a key, and a greedy child catches deeper paths
    assert keyed == set(resource_paths(synthesized).values()) | {"/"}
    assert {"/{proxy+}", "/v1/{proxy+}", "/v1/jobs/{job_id}/{proxy+}"} <= keyed
    assert {"/v1/uploads/{upload_id}/{proxy+}"} <= keyed
    for verb, path, props in found:
        if verb == "OPTIONS":
            assert props["Integration"]["Type"] == "MOCK", path
            assert props["AuthorizationType"] == "NONE"


def test_stage_is_throttled_traced_and_logs_json_access_logs(synthesized: Synthesized) -> None:
    _, stage = only(synthesized, "AWS::ApiGateway::Stage")
    assert stage["StageName"] == "dev"
    assert stage["TracingEnabled"] is True
    assert stage["MethodSettings"] == [
        {
            "DataTraceEnabled": False,
            "HttpMethod": "*",
            "LoggingLevel": "ERROR",
            "MetricsEnabled": True,
            "ResourcePath": "/*",
            "ThrottlingBurstLimit": 100,
            "ThrottlingRateLimit": 50,
        }
    ]
    access = stage["AccessLogSetting"]
    log_group = access["DestinationArn"]["Fn::GetAtt"][0]
    groups = synthesized.resources("AWS::Logs::LogGroup")
    assert groups[log_group]["Properties"]["RetentionInDays"] == 30
    fields = json.loads(access["Format"])
    assert {"requestId", "ip", "apiKeyId", "httpMethod", "path", "status", "error"} <= set(fields)
    assert fields["status"] == "$context.status"
    assert fields["apiKeyId"] == "$context.identity.apiKeyId"
    assert all(value.startswith("$context.") for value in fields.values())


def test_usage_plan_throttles_each_key_on_the_stage(synthesized: Synthesized) -> None:
    plan_id, plan = only(synthesized, "AWS::ApiGateway::UsagePlan")
    api_id, _ = only(synthesized, "AWS::ApiGateway::RestApi")
    stage_id, _ = only(synthesized, "AWS::ApiGateway::Stage")
    assert plan["Throttle"] == {"BurstLimit": 20, "RateLimit": 10}
    (api_stage,) = plan["ApiStages"]
    assert api_stage["ApiId"] == {"Ref": api_id}
    assert api_stage["Stage"] == {"Ref": stage_id}
    assert synthesized.template["Outputs"]["ApiUsagePlanId"]["Value"] == {"Ref": plan_id}
    # keys are imported by the operator (the same value as the app's key), never synthesized
    assert synthesized.resources("AWS::ApiGateway::ApiKey") == {}


def test_cors_allows_the_ui_origin_only(synthesized: Synthesized) -> None:
    origin = ui_origin(synthesized)
    preflights = [props for verb, _, props in methods(synthesized) if verb == "OPTIONS"]
    assert preflights
    for props in preflights:
        (response,) = props["Integration"]["IntegrationResponses"]
        headers = response["ResponseParameters"]
        assert headers["method.response.header.Access-Control-Allow-Origin"] == origin
        allowed = headers["method.response.header.Access-Control-Allow-Headers"]
        assert allowed == "'Content-Type,X-API-Key,Authorization'"
    responses = synthesized.resources("AWS::ApiGateway::GatewayResponse").values()
    kinds = set()
    for response in responses:
        props = response["Properties"]
        kinds.add(props["ResponseType"])
        assert props["ResponseParameters"][
            "gatewayresponse.header.Access-Control-Allow-Origin"
        ] == (origin)
    assert kinds == {"DEFAULT_4XX", "DEFAULT_5XX"}


def test_api_function_gets_its_tables_url_and_secrets(synthesized: Synthesized) -> None:
    variables = env(synthesized)
    assert {k for k in variables if k.startswith("MPR_")} == ENV_VARS_BY_FUNCTION["api"]
    outputs = synthesized.template["Outputs"]
    assert variables["MPR_API_KEYS_TABLE"] == outputs["ApiKeysTableName"]["Value"]
    api_id, _ = only(synthesized, "AWS::ApiGateway::RestApi")
    base = variables["MPR_API_BASE_URL"]["Fn::Join"][1]
    assert base[:2] == ["https://", {"Ref": api_id}]
    assert base[-1] == "/dev"
    assert outputs["ApiUrl"]["Value"]["Fn::Join"][1] == [*base[:-1], "/dev/"]
    secrets = synthesized.resources("AWS::SecretsManager::Secret")
    referenced = set()
    for name in ("MPR_WEBHOOK_SECRET", "MPR_CALLBACK_SECRET"):
        parts = variables[name]["Fn::Join"][1]
        assert parts[0] == "{{resolve:secretsmanager:"
        assert parts[2] == ":SecretString:::}}"
        referenced.add(parts[1]["Ref"])
    assert referenced == set(secrets)  # two distinct secrets, each generated in the stack
    for secret in secrets.values():
        generated = secret["Properties"]["GenerateSecretString"]
        assert generated == {"ExcludePunctuation": True, "PasswordLength": 64}


def test_api_keys_table_is_keyed_by_hash(synthesized: Synthesized) -> None:
    tables = synthesized.resources("AWS::DynamoDB::Table")
    keys = tables[synthesized.template["Outputs"]["ApiKeysTableName"]["Value"]["Ref"]]
    props = keys["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "key_hash", "KeyType": "HASH"}]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_api_role_names_every_action_and_reaches_only_its_resources(
    synthesized: Synthesized,
) -> None:
    statements = api_statements(synthesized)
    outputs = synthesized.template["Outputs"]
    input_id = outputs["InputBucketName"]["Value"]["Ref"]
    output_id = outputs["OutputBucketName"]["Value"]["Ref"]
    work_id = outputs["WorkBucketName"]["Value"]["Ref"]
    machine = outputs["StateMachineArn"]["Value"]["Ref"]
    granted: dict[str, list[str]] = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            assert "*" not in action, action
            granted.setdefault(action, []).extend(
                json.dumps(r, sort_keys=True) for r in as_list(statement["Resource"])
            )
    text = json.dumps(statements)
    assert work_id not in text, "the API never touches the work bucket"
    idempotency = outputs["IdempotencyTableName"]["Value"]["Ref"]
    assert idempotency not in text

    def objects(bucket: str, prefix: str = "") -> str:
        arn = {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, f"/{prefix}*"]]}
        return json.dumps(arn, sort_keys=True)

    assert sorted(granted["s3:PutObject"]) == sorted(
        [objects(input_id), objects(output_id, "_mpr/")]
    )
    assert granted["s3:DeleteObject"] == [objects(output_id, "_mpr/")]
    assert sorted(granted["s3:GetObject"]) == sorted([objects(input_id), objects(output_id)])
    assert set(granted["states:StartExecution"]) == {json.dumps({"Ref": machine})}
    assert set(granted["states:ListExecutions"]) == {json.dumps({"Ref": machine})}
    (stop,) = granted["states:StopExecution"]
    assert json.dumps({"Fn::GetAtt": [machine, "Name"]}) in stop
    assert stop.endswith('":*"]]}')
    wildcard = {a for a, resources in granted.items() if '"*"' in resources}
    assert wildcard == {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def test_outputs_name_the_api(synthesized: Synthesized) -> None:
    outputs = synthesized.template["Outputs"]
    assert {"ApiUrl", "ApiUsagePlanId", "ApiKeysTableName"} <= set(outputs)
    assert not [name for name in outputs if name.startswith("ApiRestApiEndpoint")]


def config_from(context: dict[str, Any]) -> DeployConfig:
    return DeployConfig.from_context(App(context=context).node)


def test_throttles_come_from_context() -> None:
    config = config_from(
        {
            "mpr:apiThrottle": {"rateLimit": 200, "burstLimit": 400},
            "mpr:apiKeyThrottle": '{"rateLimit": 5}',
        }
    )
    assert config.api_throttle == Throttle(rate_limit=200, burst_limit=400)
    assert config.api_key_throttle == Throttle(rate_limit=5, burst_limit=20)
    assert config_from({}).api_throttle == Throttle(rate_limit=50, burst_limit=100)


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"mpr:apiThrottle": {"rate": 5}}, "unknown keys"),
        ({"mpr:apiThrottle": {"rateLimit": "fast"}}, "needs numbers"),
        ({"mpr:apiThrottle": {"rateLimit": 0}}, "must be above 0"),
        ({"mpr:apiKeyThrottle": {"burstLimit": 0}}, "at least 1"),
        ({"mpr:apiKeyThrottle": {"rateLimit": 80}}, "must not exceed"),
        ({"mpr:apiThrottle": [50, 100]}, "must be an object"),
    ],
)
def test_bad_throttles_are_refused(context: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        config_from(context)
