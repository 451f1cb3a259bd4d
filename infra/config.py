"""Deployment settings read from CDK context (`cdk.json` or `cdk synth -c key=value`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from aws_cdk.aws_logs import RetentionDays
from constructs import Node

from mpr.core.errors import InvalidInputError


@dataclass(frozen=True)
class FunctionSize:
    """Memory, timeout and /tmp size of one Lambda function."""

    memory_mb: int
    timeout_seconds: int
    ephemeral_mb: int = 512

    def __post_init__(self) -> None:
        if not 128 <= self.memory_mb <= 10_240:
            raise InvalidInputError(f"memory_mb {self.memory_mb} is outside 128..10240")
        if not 1 <= self.timeout_seconds <= 900:
            raise InvalidInputError(f"timeout_seconds {self.timeout_seconds} is outside 1..900")
        if not 512 <= self.ephemeral_mb <= 10_240:
            raise InvalidInputError(f"ephemeral_mb {self.ephemeral_mb} is outside 512..10240")


DEFAULT_SIZES: Mapping[str, FunctionSize] = {
    "probe": FunctionSize(memory_mb=1024, timeout_seconds=300, ephemeral_mb=2048),
    "plan": FunctionSize(memory_mb=1024, timeout_seconds=300, ephemeral_mb=2048),
    # a task runs a decoder and one x264 per rendition at once, and 10240 MB gives the most
    # vCPUs (6); the plan sizes chunks so that each one's encode fits this timeout
    "encode_chunk": FunctionSize(memory_mb=10_240, timeout_seconds=600, ephemeral_mb=4096),
    "encode_audio": FunctionSize(memory_mb=2048, timeout_seconds=900, ephemeral_mb=4096),
    "stitch": FunctionSize(memory_mb=2048, timeout_seconds=900, ephemeral_mb=10_240),
    "package": FunctionSize(memory_mb=4096, timeout_seconds=900, ephemeral_mb=10_240),
    "finalize": FunctionSize(memory_mb=512, timeout_seconds=120),
    "fail": FunctionSize(memory_mb=512, timeout_seconds=120),
    "s3_trigger": FunctionSize(memory_mb=512, timeout_seconds=30),
    "api": FunctionSize(memory_mb=1024, timeout_seconds=29),
    # ffprobe reads the source by ranges over a presigned URL; /tmp holds the preview images
    "process_upload": FunctionSize(memory_mb=2048, timeout_seconds=900, ephemeral_mb=2048),
}


@dataclass(frozen=True)
class Throttle:
    """An API Gateway token bucket: steady requests per second and burst size."""

    rate_limit: float
    burst_limit: int

    def __post_init__(self) -> None:
        if not self.rate_limit > 0:
            raise InvalidInputError(f"rate_limit {self.rate_limit} must be above 0")
        if self.burst_limit < 1:
            raise InvalidInputError(f"burst_limit {self.burst_limit} must be at least 1")

    @classmethod
    def from_context(cls, node: Node, key: str, default: Throttle) -> Throttle:
        """`{"rateLimit": 50, "burstLimit": 100}` under `key`; absent fields keep `default`."""
        value = _context_object(node, key)
        unknown = set(value) - {"rateLimit", "burstLimit"}
        if unknown:
            raise InvalidInputError(f"{key} has unknown keys {sorted(unknown)}")
        try:
            return cls(
                rate_limit=float(value.get("rateLimit", default.rate_limit)),
                burst_limit=int(value.get("burstLimit", default.burst_limit)),
            )
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"{key} needs numbers") from exc


ARCHITECTURES = frozenset({"x86_64", "arm64"})

_SIZE_KEYS = {
    "memoryMb": "memory_mb",
    "timeoutSeconds": "timeout_seconds",
    "ephemeralMb": "ephemeral_mb",
}


@dataclass(frozen=True)
class DeployConfig:
    """What differs between deployments (stage name, sizes, limits)."""

    stage: str = "dev"
    max_concurrency: int = 100
    work_expiry_days: int = 7
    input_prefix: str = "input/"
    log_retention: str = "ONE_MONTH"
    alarm_email: str | None = None
    upload_origins: tuple[str, ...] = ()
    # the whole API (stage), and each API key (usage plan)
    api_throttle: Throttle = Throttle(rate_limit=50, burst_limit=100)
    api_key_throttle: Throttle = Throttle(rate_limit=10, burst_limit=20)
    sizes: Mapping[str, FunctionSize] = field(default_factory=lambda: dict(DEFAULT_SIZES))
    # environments kept for (and the most given to) encode_chunk; None: the account's pool
    encode_reserved_concurrency: int | None = None
    # `x86_64` or `arm64` (Graviton: about 20% less per GB-second)
    architecture: str = "x86_64"

    @property
    def retention(self) -> RetentionDays:
        """How long CloudWatch keeps function and state machine logs."""
        return RetentionDays[self.log_retention]

    @property
    def retain_data(self) -> bool:
        """Production keeps buckets and tables when the stack is deleted."""
        return self.stage == "prod"

    @classmethod
    def from_context(cls, node: Node) -> DeployConfig:
        """Read `mpr:*` context values; anything absent keeps its default."""
        base = cls()
        sizes = dict(base.sizes)
        for name, override in _context_object(node, "mpr:functions").items():
            if name not in sizes:
                raise InvalidInputError(f"mpr:functions names unknown function {name!r}")
            unknown = set(override) - set(_SIZE_KEYS)
            if unknown:
                raise InvalidInputError(f"mpr:functions.{name} has unknown keys {sorted(unknown)}")
            try:
                values = {_SIZE_KEYS[k]: int(v) for k, v in override.items()}
            except (TypeError, ValueError) as exc:
                raise InvalidInputError(f"mpr:functions.{name} needs whole numbers") from exc
            sizes[name] = replace(sizes[name], **values)
        origins = node.try_get_context("mpr:uploadOrigins") or []
        if isinstance(origins, str):  # `-c mpr:uploadOrigins=https://a,https://b`
            origins = [o for o in origins.split(",") if o]
        return cls(
            stage=str(node.try_get_context("mpr:stage") or base.stage),
            max_concurrency=int(node.try_get_context("mpr:maxConcurrency") or base.max_concurrency),
            work_expiry_days=int(
                node.try_get_context("mpr:workExpiryDays") or base.work_expiry_days
            ),
            input_prefix=str(node.try_get_context("mpr:inputPrefix") or base.input_prefix),
            log_retention=str(node.try_get_context("mpr:logRetention") or base.log_retention),
            alarm_email=node.try_get_context("mpr:alarmEmail") or None,
            upload_origins=tuple(str(o) for o in origins),
            api_throttle=Throttle.from_context(node, "mpr:apiThrottle", base.api_throttle),
            api_key_throttle=Throttle.from_context(
                node, "mpr:apiKeyThrottle", base.api_key_throttle
            ),
            sizes=sizes,
            encode_reserved_concurrency=_optional_int(node, "mpr:encodeReservedConcurrency"),
            architecture=str(node.try_get_context("mpr:architecture") or base.architecture),
        )

    def __post_init__(self) -> None:
        if not self.stage.isalnum() or not self.stage.islower():
            raise InvalidInputError(f"stage {self.stage!r} must be lower-case letters and digits")
        if not 1 <= self.max_concurrency <= 10_000:
            raise InvalidInputError(f"max_concurrency {self.max_concurrency} is outside 1..10000")
        reserved = self.encode_reserved_concurrency
        if reserved is not None and not reserved >= 1:
            raise InvalidInputError(f"encode_reserved_concurrency {reserved} must be at least 1")
        if reserved is not None and self.max_concurrency > reserved:
            raise InvalidInputError(
                f"max_concurrency {self.max_concurrency} exceeds encode_reserved_concurrency "
                f"{reserved}: the map would start more encodes than may run"
            )
        if self.architecture not in ARCHITECTURES:
            raise InvalidInputError(
                f"architecture {self.architecture!r} is not one of {sorted(ARCHITECTURES)}"
            )
        if self.work_expiry_days < 1:
            raise InvalidInputError("work_expiry_days must be at least 1")
        if self.log_retention not in RetentionDays.__members__:
            raise InvalidInputError(
                f"log_retention {self.log_retention!r} is not a RetentionDays name"
            )
        if not self.input_prefix.endswith("/") or self.input_prefix.startswith("/"):
            raise InvalidInputError(f"input_prefix {self.input_prefix!r} must look like 'input/'")
        if (
            self.api_key_throttle.rate_limit > self.api_throttle.rate_limit
            or self.api_key_throttle.burst_limit > self.api_throttle.burst_limit
        ):
            raise InvalidInputError("mpr:apiKeyThrottle must not exceed mpr:apiThrottle")


def _optional_int(node: Node, key: str) -> int | None:
    value = node.try_get_context(key)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{key} needs a whole number") from exc


def _context_object(node: Node, key: str) -> dict[str, Any]:
    value = node.try_get_context(key) or {}
    if isinstance(value, str):  # `-c key='{"...": ...}'` arrives as a string
        value = json.loads(value)
    if not isinstance(value, dict):
        raise InvalidInputError(f"{key} must be an object")
    return value
