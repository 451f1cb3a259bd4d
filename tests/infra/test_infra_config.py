"""Deployment settings from CDK context."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.aws_logs import RetentionDays
from infra_support import cdk_context

from infra.config import DEFAULT_SIZES, DeployConfig, FunctionSize
from mpr.core.errors import InvalidInputError


def config_from(context: dict[str, Any]) -> DeployConfig:
    return DeployConfig.from_context(App(context=context).node)


def test_cdk_json_context_gives_the_defaults() -> None:
    config = config_from(cdk_context())
    assert config == DeployConfig()
    assert config.retention == RetentionDays.ONE_MONTH
    assert not config.retain_data


def test_context_overrides_stage_sizes_and_limits() -> None:
    config = config_from(
        {
            "mpr:stage": "prod",
            "mpr:maxConcurrency": 500,
            "mpr:functions": {"encode_chunk": {"memoryMb": 8192, "ephemeralMb": 10240}},
            "mpr:uploadOrigins": "https://a.example,https://b.example",
        }
    )
    assert config.stage == "prod"
    assert config.retain_data
    assert config.max_concurrency == 500
    assert config.sizes["encode_chunk"] == FunctionSize(
        memory_mb=8192,
        timeout_seconds=DEFAULT_SIZES["encode_chunk"].timeout_seconds,
        ephemeral_mb=10240,
    )
    assert config.sizes["probe"] == DEFAULT_SIZES["probe"]
    assert config.upload_origins == ("https://a.example", "https://b.example")


def test_sizes_arrive_as_a_json_string_from_the_command_line() -> None:
    config = config_from({"mpr:functions": '{"plan": {"timeoutSeconds": 60}}'})
    assert config.sizes["plan"].timeout_seconds == 60


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"mpr:functions": {"encoder": {"memoryMb": 512}}}, "unknown function 'encoder'"),
        ({"mpr:functions": {"plan": {"memory": 512}}}, "unknown keys"),
        ({"mpr:functions": {"plan": {"memoryMb": 20000}}}, "memory_mb 20000"),
        ({"mpr:functions": {"plan": {"memoryMb": "lots"}}}, "whole numbers"),
        (
            {"mpr:maxConcurrency": 20, "mpr:encodeReservedConcurrency": 10},
            "max_concurrency 20 exceeds encode_reserved_concurrency 10",
        ),
        ({"mpr:encodeReservedConcurrency": "some"}, "needs a whole number"),
        ({"mpr:architecture": "ppc64"}, "architecture 'ppc64'"),
        ({"mpr:functions": {"plan": {"timeoutSeconds": 901}}}, "timeout_seconds 901"),
        ({"mpr:functions": {"stitch": {"ephemeralMb": 20480}}}, "ephemeral_mb 20480"),
        ({"mpr:maxConcurrency": 20000}, "max_concurrency 20000"),
        ({"mpr:stage": "Prod-1"}, "stage 'Prod-1'"),
        ({"mpr:logRetention": "FOREVER_AND_A_DAY"}, "RetentionDays"),
        ({"mpr:inputPrefix": "/input"}, "input_prefix"),
    ],
)
def test_bad_context_is_rejected_with_a_clear_error(context: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        config_from(context)
