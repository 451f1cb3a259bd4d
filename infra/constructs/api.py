"""The HTTP API: API Gateway (REST, Lambda proxy) in front of the FastAPI app on Lambda.

Two layers check the `X-API-Key` header. The gateway first: every route except the few in
`PUBLIC_ROUTES` needs a gateway API key attached to the usage plan, which throttles each key
(`mpr:apiKeyThrottle`) on top of the whole stage (`mpr:apiThrottle`), so floods and unknown
keys never reach Lambda. Then the app: it finds the key's SHA-256 hash in the keys table
(identity, revocation). Both hold the same key: an operator creates it with
`mpr keys create NAME` and imports the printed value as a gateway key (infra/README.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import Acknowledgment, ArnFormat, Aws, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import DeployConfig
from infra.constructs.functions import HandlerImage
from infra.constructs.storage import Storage
from infra.constructs.tables import UPLOAD_ACTIONS, JobTables
from infra.constructs.web_hosting import logical_id
from mpr.services import CLOUD_STATE_PREFIX

API_FUNCTION = "api"
# `mpr.services.cloud_state`: the API's own records (uploads, custom presets, webhook
# deliveries, also those the pipeline's finalize and fail functions record) in the output bucket
API_STATE_PREFIX = CLOUD_STATE_PREFIX

# Routes that the app authenticates without an API key, so that the gateway must not ask for
# one: liveness and the API description, signed file URLs (loaded by <img>/<video>/<track>,
# which cannot send headers; the app checks the token) and the pipeline's HMAC-signed callback.
PUBLIC_ROUTES = (
    ("GET", "healthz"),
    ("GET", "docs"),
    ("GET", "openapi.json"),
    ("GET", "v1/jobs/{job_id}/signed/{token}/{path+}"),
    ("GET", "v1/uploads/{upload_id}/signed/{token}/{name}"),
    ("POST", "v1/jobs/{job_id}/callback"),
)

CORS_HEADERS = ["Content-Type", "X-API-Key", "Authorization"]
BINARY_MEDIA_TYPES = ["application/octet-stream", "video/*", "audio/*", "image/*"]

# One JSON object per request; `apiKeyId` shows which gateway key made it.
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "apiKeyId": "$context.identity.apiKeyId",
    "httpMethod": "$context.httpMethod",
    "path": "$context.path",
    "resourcePath": "$context.resourcePath",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationStatus": "$context.integrationStatus",
    "error": "$context.error.message",
    "xrayTraceId": "$context.xrayTraceId",
}


class HttpApi(Construct):
    """The `api` function behind a throttled, access-logged, traced REST API stage."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeployConfig, ui_origin: str
    ) -> None:
        """The gateway, the keys table and the signing secrets; `serve` adds the function.

        Two steps, so that the pipeline's functions, made in between, may know the API's URL
        and webhook secret (`values`) while the API's function knows the state machine.
        """
        super().__init__(scope, construct_id)
        self.config = config
        self.stage_name = config.stage
        self.keys_table = dynamodb.Table(
            self,
            "ApiKeys",
            partition_key=dynamodb.Attribute(name="key_hash", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=config.retain_data,
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
        )
        self.webhook_secret = _signing_secret(self, "WebhookSecret", "signs webhooks to clients")
        self.callback_secret = _signing_secret(
            self, "CallbackSecret", "signs the pipeline's callbacks into the API"
        )
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=config.retention, removal_policy=RemovalPolicy.DESTROY
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"mpr-{config.stage}",
            description=f"MPR {config.stage}: the transcoding API",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            api_key_source_type=apigw.ApiKeySourceType.HEADER,
            # such bodies reach Lambda base64-encoded (Mangum decodes them), so uploaded media
            # and images pass unchanged; not "*/*", which breaks the MOCK CORS preflights
            binary_media_types=BINARY_MEDIA_TYPES,
            # the region's API Gateway logging role (an account setting): kept on delete,
            # since other APIs of the account may log through it
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            default_cors_preflight_options=apigw.CorsOptions(
                allow_origins=[ui_origin],
                allow_methods=apigw.Cors.ALL_METHODS,
                allow_headers=CORS_HEADERS,
                max_age=Duration.hours(1),
            ),
            deploy_options=apigw.StageOptions(
                stage_name=config.stage,
                throttling_rate_limit=config.api_throttle.rate_limit,
                throttling_burst_limit=config.api_throttle.burst_limit,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FORMAT)),
            ),
        )
        # The stack outputs `ApiUrl` instead of CDK's own `Endpoint` output.
        self.rest_api.node.try_remove_child("Endpoint")
        # Built from the API's id, not its stage: the stage depends on the function.
        self.url = (
            f"https://{self.rest_api.rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}"
            f"/{config.stage}/"
        )
        # what the functions that reach the API or sign like it are configured with
        self.values = {
            "MPR_API_KEYS_TABLE": self.keys_table.table_name,
            "MPR_API_BASE_URL": self.url.removesuffix("/"),
            "MPR_WEBHOOK_SECRET": self.webhook_secret.secret_value.unsafe_unwrap(),
            "MPR_CALLBACK_SECRET": self.callback_secret.secret_value.unsafe_unwrap(),
        }
        self.usage_plan = self.rest_api.add_usage_plan(
            "UsagePlan",
            name=f"mpr-{config.stage}",
            description="Per-key throttle; attach each imported MPR API key to this plan",
            throttle=apigw.ThrottleSettings(
                rate_limit=config.api_key_throttle.rate_limit,
                burst_limit=config.api_key_throttle.burst_limit,
            ),
            api_stages=[
                apigw.UsagePlanPerApiStage(api=self.rest_api, stage=self.rest_api.deployment_stage)
            ],
        )
        # Errors made by the gateway itself (missing key, throttled) stay readable by the UI.
        for kind in (apigw.ResponseType.DEFAULT_4_XX, apigw.ResponseType.DEFAULT_5_XX):
            self.rest_api.add_gateway_response(
                f"Cors{kind.response_type}",
                type=kind,
                response_headers={
                    "Access-Control-Allow-Origin": f"'{ui_origin}'",
                    "Vary": "'Origin'",
                },
            )

    def serve(
        self,
        *,
        image: HandlerImage,
        storage: Storage,
        tables: JobTables,
        state_machine: sfn.StateMachine,
        values: Mapping[str, str],
    ) -> None:
        """The `api` function (configured from `values`, which include `self.values`) behind
        every route."""
        self.function = image.function(self, API_FUNCTION, config=self.config, values=values)
        self._grant(storage, tables, state_machine)
        self._routes()
        self._acknowledge(storage, state_machine)

    def _acknowledge(self, storage: Storage, state_machine: sfn.StateMachine) -> None:
        """The cdk-nag findings accepted for the API, each with its reason."""
        api, function = self.rest_api, self.function
        findings = (
            (
                api,
                "APIG2",
                "Lambda proxy: the app validates every request against its pydantic models and "
                "answers 422 problem+json; the gateway has no models of its own to check.",
            ),
            (
                api,
                "APIG4",
                "Callers authenticate with API keys, twice: the gateway requires a usage-plan key "
                "and the app checks the key's hash. The public routes are authenticated by the "
                "app (signed URL tokens, HMAC-signed callbacks) or anonymous by design "
                "(/healthz, /docs, /openapi.json, CORS preflight).",
            ),
            (
                api,
                "COG4",
                "No user pool: MPR's clients are programs and the web UI holding an API key; "
                "see AwsSolutions-APIG4.",
            ),
            (
                api,
                "APIG3",
                "No WAF web ACL by default (a fixed monthly cost): the stage and each key are "
                "throttled and unknown keys are refused at the gateway.",
            ),
            (
                api,
                "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs]",
                "API Gateway's account-level logging role; AWS's managed policy is the "
                "documented one and only lets API Gateway write CloudWatch logs.",
            ),
            (
                self,
                "SMG4",
                "HMAC signing secrets shared with webhook receivers: a rotation must be agreed "
                "with them, so it is manual (put a new value, redeploy the stack).",
            ),
            (
                function,
                f"IAM5[Resource::<{logical_id(storage.output)}.Arn>/{API_STATE_PREFIX}*]",
                "The API writes and deletes only its own records, under _mpr/ in the output "
                "bucket; their keys exist only at run time.",
            ),
            (
                function,
                f"IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:"
                f"execution:<{logical_id(state_machine)}.Name>:*]",
                "Cancelling a job stops its execution: any execution of this one state machine, "
                "named at run time.",
            ),
        )
        for scope, finding, reason in findings:
            Validations.of(scope).acknowledge(
                Acknowledgment(id=f"AwsSolutions-{finding}", reason=reason)
            )

    def _grant(self, storage: Storage, tables: JobTables, state_machine: sfn.StateMachine) -> None:
        """Only what `build_cloud` uses (no work bucket, no idempotency table), named action
        by action: no action wildcards."""
        function = self.function
        input_bucket, output_bucket = storage.input, storage.output
        statements = (
            # uploads, presigned (multipart) upload URLs and the probe's read of the source
            (
                ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
                [input_bucket.arn_for_objects("*")],
            ),
            # outputs, by presigned GET
            (["s3:GetObject"], [output_bucket.arn_for_objects("*")]),
            (
                ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                [output_bucket.arn_for_objects(f"{API_STATE_PREFIX}*")],
            ),
            # existence checks (a 404 rather than a 403) and listings
            (["s3:ListBucket"], [input_bucket.bucket_arn, output_bucket.bucket_arn]),
        )
        for actions, resources in statements:
            function.add_to_role_policy(iam.PolicyStatement(actions=actions, resources=resources))
        tables.jobs.grant_read_write_data(function)
        tables.uploads.grant(function, *UPLOAD_ACTIONS)
        self.keys_table.grant_read_write_data(function)
        state_machine.grant_start_execution(function)
        state_machine.grant(function, "states:ListExecutions")
        iam.Grant.add_to_principal(
            grantee=function,
            actions=["states:StopExecution"],
            resource_arns=[self._executions_arn(state_machine)],
        )

    def _executions_arn(self, state_machine: sfn.StateMachine) -> str:
        """Every execution of `state_machine` (their names, the job ids, exist at run time)."""
        return Stack.of(self).format_arn(
            service="states",
            resource="execution",
            resource_name=f"{state_machine.state_machine_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    def _routes(self) -> None:
        """Every path reaches the app; only `PUBLIC_ROUTES` skip the gateway key."""
        invoke = (
            f"arn:{Aws.PARTITION}:apigateway:{Aws.REGION}:lambda:path/2015-03-31/functions/"
            f"{self.function.function_arn}/invocations"
        )
        integration = apigw.Integration(
            type=apigw.IntegrationType.AWS_PROXY,
            integration_http_method="POST",
            uri=invoke,
        )
        # One permission for every method of the deployed stage (not one per method).
        self.function.add_permission(
            "InvokeFromApi",
            principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
            source_arn=self.rest_api.arn_for_execute_api("*", "/*", self.stage_name),
        )
        root = self.rest_api.root
        resources: dict[str, apigw.IResource] = {"": root}
        for _, path in PUBLIC_ROUTES:
            parts = path.split("/")
            for depth in range(1, len(parts) + 1):
                prefix = "/".join(parts[:depth])
                resources.setdefault(prefix, root.resource_for_path(prefix))
        # API Gateway matches the most specific resource; so that paths below an explicit
        # resource still reach the app, each gets ANY and, where allowed, a greedy child.
        for prefix, resource in resources.items():
            resource.add_method("ANY", integration, api_key_required=True)
            children = [p for p in resources if p.rpartition("/")[0] == prefix and p != prefix]
            variable_child = any(p.rpartition("/")[2].startswith("{") for p in children)
            if not variable_child and not prefix.endswith("+}"):
                greedy = resource.add_resource("{proxy+}")
                greedy.add_method("ANY", integration, api_key_required=True)
        for method, path in PUBLIC_ROUTES:
            resources[path].add_method(method, integration, api_key_required=False)


def _signing_secret(scope: Construct, construct_id: str, purpose: str) -> secretsmanager.Secret:
    return secretsmanager.Secret(
        scope,
        construct_id,
        description=f"MPR: {purpose} (HMAC-SHA256)",
        generate_secret_string=secretsmanager.SecretStringGenerator(
            password_length=64, exclude_punctuation=True
        ),
    )
