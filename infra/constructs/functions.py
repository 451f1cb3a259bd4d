"""The container image of the handlers and the pipeline's stage functions built from it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Duration, IgnoreMode, RemovalPolicy, Size
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import DeployConfig
from infra.constructs.storage import Storage
from infra.constructs.tables import JobTables
from infra.env_vars import ENV_VARS_BY_FUNCTION

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = "layers/ffmpeg/Dockerfile"

# The build context is the repository root, but only what the Dockerfile copies goes into it
# (and into cdk.out): no virtualenv, node_modules, cdk.out or .git.
IMAGE_CONTEXT_EXCLUDE = [
    "*",
    "!pyproject.toml",
    "!README.md",
    "!LICENSE",
    "!functions",
    "!layers/ffmpeg",
    "**/__pycache__",
    "**/*.pyc",
    "**/*.egg-info",
]

STAGE_FUNCTIONS = (
    "probe",
    "plan",
    "encode_chunk",
    "encode_audio",
    "stitch",
    "package",
    "finalize",
    "fail",
)

POWERTOOLS_ENV = {
    "POWERTOOLS_SERVICE_NAME": "mpr",
    "POWERTOOLS_METRICS_NAMESPACE": "MPR",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
}


# Lambda architecture and the image platform built for it
_ARCHITECTURES = {
    "x86_64": (lambda_.Architecture.X86_64, ecr_assets.Platform.LINUX_AMD64),
    "arm64": (lambda_.Architecture.ARM_64, ecr_assets.Platform.LINUX_ARM64),
}
ENCODE_FUNCTION = "encode_chunk"


def handler_command(name: str) -> str:
    """The image CMD that runs handler `name` (`mpr.handlers.<name>.handler`)."""
    return f"mpr.handlers.{name}.handler"


class HandlerImage(Construct):
    """One image for every handler; each function picks its handler through CMD."""

    def __init__(self, scope: Construct, construct_id: str, *, config: DeployConfig) -> None:
        super().__init__(scope, construct_id)
        self.architecture, self.platform = _ARCHITECTURES[config.architecture]

    def code(self, name: str) -> lambda_.DockerImageCode:
        """The image as an asset of the function (built from the Dockerfile at deploy), CMD
        picking handler `name`. Every function's asset has the same source, so the image is
        built and pushed once; each function resource carries the `aws:asset:*` metadata
        that `sam build` / `sam local invoke` build it from."""
        return lambda_.DockerImageCode.from_image_asset(
            str(REPO_ROOT),
            file=DOCKERFILE,
            exclude=IMAGE_CONTEXT_EXCLUDE,
            ignore_mode=IgnoreMode.DOCKER,
            platform=self.platform,
            cmd=[handler_command(name)],
        )

    def function(
        self,
        scope: Construct,
        name: str,
        *,
        config: DeployConfig,
        values: Mapping[str, str],
    ) -> lambda_.DockerImageFunction:
        """A function running handler `name` with exactly the variables it needs."""
        size = config.sizes[name]
        log_group = logs.LogGroup(
            scope,
            f"{pascal_case(name)}Logs",
            retention=config.retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        return lambda_.DockerImageFunction(
            scope,
            pascal_case(name),
            description=f"MPR {config.stage}: {handler_command(name)}",
            code=self.code(name),
            architecture=self.architecture,
            reserved_concurrent_executions=(
                config.encode_reserved_concurrency if name == ENCODE_FUNCTION else None
            ),
            memory_size=size.memory_mb,
            timeout=Duration.seconds(size.timeout_seconds),
            ephemeral_storage_size=Size.mebibytes(size.ephemeral_mb),
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            environment={**POWERTOOLS_ENV, **function_environment(name, values)},
        )


def function_environment(name: str, values: Mapping[str, str]) -> dict[str, str]:
    """The `MPR_*` variables of function `name`, taken from the values the stack knows."""
    needed = ENV_VARS_BY_FUNCTION[name]
    missing = needed - set(values)
    if missing:
        raise KeyError(f"no value for {sorted(missing)} needed by function {name!r}")
    return {key: values[key] for key in sorted(needed)}


def grant_data_access(
    function: lambda_.IFunction, name: str, storage: Storage, tables: JobTables
) -> None:
    """Grant exactly the buckets and tables that the function is configured with."""
    needed = ENV_VARS_BY_FUNCTION[name]
    if "MPR_INPUT_BUCKET" in needed:
        storage.input.grant_read(function)
    if "MPR_WORK_BUCKET" in needed:
        storage.work.grant_read_write(function)
    if "MPR_OUTPUT_BUCKET" in needed:
        storage.output.grant_read_write(function)
    if "MPR_JOBS_TABLE" in needed:
        tables.jobs.grant_read_write_data(function)
    if "MPR_IDEMPOTENCY_TABLE" in needed:
        tables.idempotency.grant_read_write_data(function)


class StageFunctions(Construct):
    """The FFmpeg container functions that the state machine calls, one per stage."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        image: HandlerImage,
        storage: Storage,
        tables: JobTables,
        values: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.functions: dict[str, lambda_.DockerImageFunction] = {}
        for name in STAGE_FUNCTIONS:
            function = image.function(self, name, config=config, values=values)
            grant_data_access(function, name, storage, tables)
            self.functions[name] = function


def pascal_case(name: str) -> str:
    """`encode_chunk` -> `EncodeChunk`."""
    return "".join(part.capitalize() for part in name.split("_"))
