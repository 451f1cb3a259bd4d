"""Assertions on the synthesized CloudFormation template of the MPR stack."""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

import pytest
from infra_support import ASL_PATH, Synthesized, resolve

from infra.config import DEFAULT_SIZES
from infra.env_vars import ENV_VARS_BY_FUNCTION

# one in-process synth (with cdk-nag) for the module: ~5-10 s
pytestmark = [pytest.mark.infra, pytest.mark.slow]

STAGE_FUNCTIONS = {
    "probe",
    "plan",
    "encode_chunk",
    "encode_audio",
    "stitch",
    "package",
    "finalize",
    "fail",
}
# Actions that AWS only grants on "*" (no resource-level permissions).
WILDCARD_ONLY_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "s3:PutBucketNotification",  # CDK's bucket-notification custom resource
}


def logical_ids(synth: Synthesized, kind: str) -> set[str]:
    return set(synth.resources(kind))


def bucket_id(synth: Synthesized, output: str) -> str:
    ref: str = synth.template["Outputs"][output]["Value"]["Ref"]
    return ref


def statements_of_role(synth: Synthesized, role_id: str) -> list[dict[str, Any]]:
    found = []
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def role_of(synth: Synthesized, handler: str) -> str:
    role: str = synth.functions()[handler]["Role"]["Fn::GetAtt"][0]
    return role


def references(value: Any) -> set[str]:
    """Logical ids referenced anywhere inside a template value."""
    text = json.dumps(value)
    return set(re.findall(r'"Ref": "(\w+)"', text)) | set(
        re.findall(r'"Fn::GetAtt": \["(\w+)"', text)
    )


def test_buckets_are_private_tls_only_and_encrypted(synthesized: Synthesized) -> None:
    buckets = synthesized.resources("AWS::S3::Bucket")
    assert len(buckets) == 6  # input, output, work, access logs, web UI, CloudFront logs
    for logical_id, bucket in buckets.items():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, logical_id
        (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    tls_only = set()
    for policy in synthesized.resources("AWS::S3::BucketPolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement.get("Condition") == {
                "Bool": {"aws:SecureTransport": "false"}
            }:
                tls_only.add(policy["Properties"]["Bucket"]["Ref"])
    assert tls_only == set(buckets)


def test_data_buckets_log_access_version_uploads_and_expire_work(
    synthesized: Synthesized,
) -> None:
    buckets = synthesized.resources("AWS::S3::Bucket")
    names = {out: bucket_id(synthesized, f"{out}BucketName") for out in ("Input", "Output", "Work")}
    (distribution,) = synthesized.resources("AWS::CloudFront::Distribution").values()
    viewer_logs = distribution["Properties"]["DistributionConfig"]["Logging"]["Bucket"]
    web = {bucket_id(synthesized, "WebBucketName"), viewer_logs["Fn::GetAtt"][0]}
    (logs_bucket,) = set(buckets) - set(names.values()) - web
    for logical_id in names.values():
        logging = buckets[logical_id]["Properties"]["LoggingConfiguration"]
        assert logging["DestinationBucketName"] == {"Ref": logs_bucket}
    assert buckets[names["Input"]]["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert "VersioningConfiguration" not in buckets[names["Work"]]["Properties"]
    rules = buckets[names["Work"]]["Properties"]["LifecycleConfiguration"]["Rules"]
    expiring = [rule for rule in rules if "ExpirationInDays" in rule]
    assert expiring == [
        {"Id": "expire-work-files", "Prefix": "work/", "ExpirationInDays": 7, "Status": "Enabled"}
    ]


def test_jobs_table_mirrors_the_adapter(synthesized: Synthesized) -> None:
    tables = synthesized.resources("AWS::DynamoDB::Table")
    jobs = tables[synthesized.template["Outputs"]["JobsTableName"]["Value"]["Ref"]]["Properties"]
    assert jobs["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    indexes = {index["IndexName"]: index["KeySchema"] for index in jobs["GlobalSecondaryIndexes"]}
    assert indexes == {
        "by_status": [
            {"AttributeName": "status", "KeyType": "HASH"},
            {"AttributeName": "created_at", "KeyType": "RANGE"},
        ],
        "by_created": [
            {"AttributeName": "type", "KeyType": "HASH"},
            {"AttributeName": "created_at", "KeyType": "RANGE"},
        ],
    }
    assert {a["AttributeName"]: a["AttributeType"] for a in jobs["AttributeDefinitions"]} == {
        "PK": "S",
        "SK": "S",
        "status": "S",
        "type": "S",
        "created_at": "S",
    }
    assert jobs["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    idempotency_id = synthesized.template["Outputs"]["IdempotencyTableName"]["Value"]["Ref"]
    idempotency = tables[idempotency_id]["Properties"]
    assert idempotency["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert idempotency["TimeToLiveSpecification"] == {
        "AttributeName": "expiration",
        "Enabled": True,
    }
    for table in (jobs, idempotency):
        assert table["BillingMode"] == "PAY_PER_REQUEST"
        assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_stage_and_trigger_functions_are_deployed(synthesized: Synthesized) -> None:
    deployed = set(synthesized.functions())
    assert deployed == STAGE_FUNCTIONS | {"s3_trigger", "api", "process_upload"}
    assert deployed <= set(ENV_VARS_BY_FUNCTION)


def test_each_function_gets_exactly_the_variables_it_needs(synthesized: Synthesized) -> None:
    for name, props in synthesized.functions().items():
        variables = props["Environment"]["Variables"]
        mpr_vars = {key for key in variables if key.startswith("MPR_")}
        assert mpr_vars == ENV_VARS_BY_FUNCTION[name], name
        assert variables["POWERTOOLS_SERVICE_NAME"] == "mpr"
        assert variables["MPR_DATA_DIR"].startswith("/tmp/")


def test_variables_point_at_the_stack_resources(synthesized: Synthesized) -> None:
    outputs = synthesized.template["Outputs"]
    expected = {
        "MPR_INPUT_BUCKET": outputs["InputBucketName"]["Value"],
        "MPR_OUTPUT_BUCKET": outputs["OutputBucketName"]["Value"],
        "MPR_WORK_BUCKET": outputs["WorkBucketName"]["Value"],
        "MPR_JOBS_TABLE": outputs["JobsTableName"]["Value"],
        "MPR_UPLOADS_TABLE": outputs["UploadsTableName"]["Value"],
        "MPR_IDEMPOTENCY_TABLE": outputs["IdempotencyTableName"]["Value"],
        "MPR_STATE_MACHINE_ARN": outputs["StateMachineArn"]["Value"],
    }
    for name, props in synthesized.functions().items():
        for key, value in props["Environment"]["Variables"].items():
            if key in expected:
                assert value == expected[key], (name, key)


def test_functions_are_traced_container_images_sized_per_function(
    synthesized: Synthesized,
) -> None:
    images = set()
    for name, props in synthesized.functions().items():
        assert props["PackageType"] == "Image"
        assert props["TracingConfig"] == {"Mode": "Active"}
        size = DEFAULT_SIZES[name]
        assert props["MemorySize"] == size.memory_mb, name
        assert props["Timeout"] == size.timeout_seconds, name
        assert props["EphemeralStorage"] == {"Size": size.ephemeral_mb}, name
        images.add(json.dumps(props["Code"]["ImageUri"], sort_keys=True))
    assert len(images) == 1, "every handler runs from the same image"


def test_image_asset_holds_only_the_package(synthesized: Synthesized) -> None:
    (asset,) = [p for p in synthesized.outdir.glob("asset.*") if (p / "layers").is_dir()]
    assert (asset / "layers" / "ffmpeg" / "Dockerfile").is_file()
    assert (asset / "pyproject.toml").is_file()
    assert (asset / "functions" / "mpr" / "settings.py").is_file()
    top_level = {p.name for p in asset.iterdir()}
    assert top_level <= {"functions", "layers", "pyproject.toml", "README.md", "LICENSE"}
    assert not list(asset.rglob("__pycache__"))
    size = sum(f.stat().st_size for f in asset.rglob("*") if f.is_file())
    assert size < 20 * 1024 * 1024


def test_state_machine_substitutes_every_placeholder(synthesized: Synthesized) -> None:
    (machine,) = synthesized.resources("AWS::StepFunctions::StateMachine").values()
    props = machine["Properties"]
    substitutions = props["DefinitionSubstitutions"]
    placeholders = set(re.findall(r"\$\{(\w+)\}", ASL_PATH.read_text()))
    assert set(substitutions) == placeholders
    for handler in STAGE_FUNCTIONS:
        key = "".join(part.capitalize() for part in handler.split("_")) + "FunctionArn"
        assert substitutions[key] == {"Fn::GetAtt": [synthesized.logical_id(handler), "Arn"]}
    assert substitutions["WorkBucketName"] == {"Ref": bucket_id(synthesized, "WorkBucketName")}
    assert substitutions["MaxConcurrency"] == "100"
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is True
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert "DefinitionS3Location" in props


def test_state_machine_may_invoke_only_the_stage_functions(synthesized: Synthesized) -> None:
    (machine,) = synthesized.resources("AWS::StepFunctions::StateMachine").values()
    role = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    statements = statements_of_role(synthesized, role)
    invoked = set()
    for statement in statements:
        if statement["Action"] == "lambda:InvokeFunction":
            invoked |= references(statement["Resource"])
    assert invoked == {synthesized.logical_id(name) for name in STAGE_FUNCTIONS}
    # the Distributed Map starts child executions of this machine and reads the task list:
    # what AWS's least-privilege example grants, checked as the ARNs IAM will match
    (machine,) = synthesized.resources("AWS::StepFunctions::StateMachine").values()
    name = machine["Properties"]["StateMachineName"]
    granted = {
        json.dumps(s["Action"]): resolve(s["Resource"])
        for s in statements
        if s["Effect"] == "Allow"
    }
    arn = "arn:aws:states:eu-west-1:123456789012"
    assert granted['"states:StartExecution"'] == f"{arn}:stateMachine:{name}"
    assert granted['["states:DescribeExecution", "states:StopExecution"]'] == (
        f"{arn}:execution:{name}/*"
    )
    assert granted['"states:RedriveExecution"'] == f"{arn}:execution:{name}/EncodeChunks:*"
    work = bucket_id(synthesized, "WorkBucketName")
    assert granted['"s3:GetObject"'] == f"<{work}.Arn>/work/*/tasks.json"
    assert granted['"dynamodb:UpdateItem"'] == f"<{synthesized.output_ref('JobsTableName')}.Arn>"


def test_the_distributed_map_grants_match_its_child_executions(
    synthesized: Synthesized, asl: dict[str, Any]
) -> None:
    # A child execution of a Distributed Map is named `<machine>/<map label>:<id>`; IAM
    # matches the resource patterns as globs. The ARN of the machine's own executions and of
    # another machine's children must not match.
    (machine,) = synthesized.resources("AWS::StepFunctions::StateMachine").values()
    name = machine["Properties"]["StateMachineName"]
    label = asl["States"]["Encode"]["Branches"][0]["States"]["EncodeChunks"]["Label"]
    patterns = {}
    for policy in synthesized.resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            for action in [actions] if isinstance(actions, str) else actions:
                if action in {"states:DescribeExecution", "states:RedriveExecution"}:
                    patterns[action] = resolve(statement["Resource"])
    arn = "arn:aws:states:eu-west-1:123456789012:execution"
    child = f"{arn}:{name}/{label}:9b3f0c1e-5a7d-4e0b-8c2f-1d6e7a8b9c0d"
    assert fnmatch.fnmatchcase(child, patterns["states:DescribeExecution"])
    assert fnmatch.fnmatchcase(child, patterns["states:RedriveExecution"])
    for other in (f"{arn}:{name}:job-1", f"{arn}:mpr-other-transcode/{label}:x"):
        assert not fnmatch.fnmatchcase(other, patterns["states:DescribeExecution"]), other


def test_no_wildcard_resource_except_where_aws_requires_it(synthesized: Synthesized) -> None:
    for logical_id, policy in synthesized.resources("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            resources = statement["Resource"]
            if resources == "*" or (isinstance(resources, list) and "*" in resources):
                actions = statement["Action"]
                actions = {actions} if isinstance(actions, str) else set(actions)
                assert actions <= WILDCARD_ONLY_ACTIONS, (logical_id, actions)
            actions = statement["Action"]
            for action in [actions] if isinstance(actions, str) else actions:
                assert not action.endswith(":*"), (logical_id, action)


@pytest.mark.parametrize(
    ("handler", "readable", "writable"),
    [
        ("probe", {"Input", "Work"}, {"Work"}),
        ("encode_chunk", {"Input", "Work"}, {"Work"}),
        ("stitch", {"Work"}, {"Work"}),
        ("plan", {"Work"}, {"Work"}),
        ("package", {"Work", "Output"}, {"Work", "Output"}),  # the source is not read again
        ("s3_trigger", {"Input"}, set()),
    ],
)
def test_functions_reach_only_their_buckets(
    synthesized: Synthesized, handler: str, readable: set[str], writable: set[str]
) -> None:
    ids = {bucket_id(synthesized, f"{b}BucketName"): b for b in ("Input", "Output", "Work")}
    reads, writes = set(), set()
    for statement in statements_of_role(synthesized, role_of(synthesized, handler)):
        actions = statement["Action"]
        actions = [actions] if isinstance(actions, str) else actions
        touched = {ids[i] for i in references(statement["Resource"]) if i in ids}
        if any(a.startswith("s3:Get") for a in actions):
            reads |= touched
        if any(a.startswith(("s3:Put", "s3:DeleteObject")) for a in actions):
            writes |= touched
    assert (reads, writes) == (readable, writable)


def test_trigger_starts_the_state_machine_for_uploads_under_the_prefix(
    synthesized: Synthesized,
) -> None:
    trigger_id = synthesized.logical_id("s3_trigger")
    trigger = synthesized.functions()["s3_trigger"]
    (notifications,) = synthesized.resources("Custom::S3BucketNotifications").values()
    props = notifications["Properties"]
    assert props["BucketName"] == {"Ref": bucket_id(synthesized, "InputBucketName")}
    (config,) = props["NotificationConfiguration"]["LambdaFunctionConfigurations"]
    assert config["Events"] == ["s3:ObjectCreated:*"]
    assert config["LambdaFunctionArn"] == {"Fn::GetAtt": [trigger_id, "Arn"]}
    prefix = trigger["Environment"]["Variables"]["MPR_INPUT_PREFIX"]
    assert config["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": prefix}]
    machine_id = next(iter(synthesized.resources("AWS::StepFunctions::StateMachine")))
    starts = [
        s
        for s in statements_of_role(synthesized, role_of(synthesized, "s3_trigger"))
        if s["Action"] == "states:StartExecution"
    ]
    assert [s["Resource"] for s in starts] == [{"Ref": machine_id}]


def test_an_upload_the_trigger_cannot_start_is_kept_in_a_queue(synthesized: Synthesized) -> None:
    # S3 invokes the trigger asynchronously: after Lambda's own retries the event goes to the
    # on-failure destination, an encrypted, TLS-only queue that keeps it for 14 days
    trigger_id = synthesized.logical_id("s3_trigger")
    (invoke_config,) = synthesized.resources("AWS::Lambda::EventInvokeConfig").values()
    props = invoke_config["Properties"]
    queue = synthesized.output_ref("FailedUploadsQueueUrl")
    assert props["FunctionName"] == {"Ref": trigger_id}
    assert props["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": [queue, "Arn"]}}
    }
    assert props["MaximumRetryAttempts"] == 2
    assert props["MaximumEventAgeInSeconds"] == 6 * 3600
    queue_props = synthesized.template["Resources"][queue]["Properties"]
    assert queue_props["SqsManagedSseEnabled"] is True
    assert queue_props["MessageRetentionPeriod"] == 14 * 86400
    sends = [
        s
        for s in statements_of_role(synthesized, role_of(synthesized, "s3_trigger"))
        if "sqs:SendMessage" in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert [s["Resource"] for s in sends] == [{"Fn::GetAtt": [queue, "Arn"]}]
    (queue_policy,) = synthesized.resources("AWS::SQS::QueuePolicy").values()
    (deny,) = queue_policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert synthesized.template["Outputs"]["TriggerFunctionName"]["Value"] == {"Ref": trigger_id}


def test_alarms_cover_failed_executions_errors_and_throttles(synthesized: Synthesized) -> None:
    alarms = list(synthesized.resources("AWS::CloudWatch::Alarm").values())
    by_metric: dict[str, set[str]] = {}
    for alarm in alarms:
        props = alarm["Properties"]
        dimension = references(props.get("Dimensions", []))
        by_metric.setdefault(props["MetricName"], set()).update(dimension)
        assert props["AlarmActions"], "every alarm notifies the topic"
    machine_id = next(iter(synthesized.resources("AWS::StepFunctions::StateMachine")))
    assert machine_id in by_metric["ExecutionsFailed"]
    functions = {synthesized.logical_id(name) for name in synthesized.functions()}
    assert by_metric["Errors"] == functions
    assert by_metric["Throttles"] == functions
    assert len(synthesized.resources("AWS::CloudWatch::Dashboard")) == 1
    # uploads the trigger gave up on, the API's 5xx answers, and every table's throttling
    queue = synthesized.output_ref("FailedUploadsQueueUrl")
    assert by_metric["ApproximateNumberOfMessagesVisible"] == {queue}
    (api,) = synthesized.resources("AWS::ApiGateway::RestApi").values()
    server_errors = [a for a in alarms if a["Properties"]["MetricName"] == "5XXError"]
    assert [a["Properties"]["Dimensions"] for a in server_errors] == [
        [{"Name": "ApiName", "Value": api["Properties"]["Name"]}]
    ]
    tables = logical_ids(synthesized, "AWS::DynamoDB::Table")
    assert by_metric["ReadThrottleEvents"] == by_metric["WriteThrottleEvents"] == tables


def test_outputs_name_the_resources(synthesized: Synthesized) -> None:
    assert {
        "InputBucketName",
        "OutputBucketName",
        "WorkBucketName",
        "JobsTableName",
        "UploadsTableName",
        "StateMachineArn",
    } <= set(synthesized.template["Outputs"])


def test_cdk_nag_reports_no_unacknowledged_finding(synthesized: Synthesized) -> None:
    # synth raises ValidationFailed on any unacknowledged finding; the report must be empty
    report = json.loads((synthesized.outdir / "validation-report.json").read_text())
    violations = [v for plugin in report["pluginReports"] for v in plugin.get("violations", [])]
    assert violations == []
