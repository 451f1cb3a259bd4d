"""The env-var contract between the stack and `mpr.settings.Settings`."""

from __future__ import annotations

import importlib
import json

import pytest
from pydantic import SecretStr

from infra.config import DEFAULT_SIZES
from infra.env_vars import ENV_VARS_BY_FUNCTION
from mpr.settings import Settings


@pytest.mark.parametrize("function", sorted(ENV_VARS_BY_FUNCTION))
def test_every_variable_is_a_settings_field(function: str) -> None:
    # Given the variables a function is configured with
    names = ENV_VARS_BY_FUNCTION[function]
    # Then each is MPR_<field> of a real Settings field
    assert names, f"{function} needs no settings at all?"
    for name in names:
        assert name.startswith("MPR_"), name
        assert name.removeprefix("MPR_").lower() in Settings.model_fields, name


# Variables that name a resource, and so decide what the function is granted.
RESOURCE_VARS = {
    "MPR_INPUT_BUCKET",
    "MPR_OUTPUT_BUCKET",
    "MPR_WORK_BUCKET",
    "MPR_JOBS_TABLE",
    "MPR_UPLOADS_TABLE",
    "MPR_IDEMPOTENCY_TABLE",
    "MPR_STATE_MACHINE_ARN",
}
# `api` reads its settings through the API services, not a handler `Env` model.
HANDLERS_WITH_ENV = sorted(set(ENV_VARS_BY_FUNCTION) - {"api"})


@pytest.mark.parametrize("function", HANDLERS_WITH_ENV)
def test_function_gets_exactly_the_resources_its_handler_requires(function: str) -> None:
    # Given the variables the handler checks at cold start
    required = importlib.import_module(f"mpr.handlers.{function}").Env.variables()
    # Then the function gets all of them, and no other resource (least privilege)
    assert required <= ENV_VARS_BY_FUNCTION[function]
    assert ENV_VARS_BY_FUNCTION[function] & RESOURCE_VARS == required & RESOURCE_VARS


def test_every_function_has_a_size() -> None:
    assert set(ENV_VARS_BY_FUNCTION) == set(DEFAULT_SIZES)


def test_settings_accept_the_values_the_stack_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a function environment as the stack writes it (names from the contract)
    values = {
        "MPR_S3_REGION": "eu-west-1",
        "MPR_DATA_DIR": "/tmp/mpr",
        "MPR_INPUT_BUCKET": "in",
        "MPR_INPUT_PREFIX": "input/",
        "MPR_OUTPUT_BUCKET": "out",
        "MPR_WORK_BUCKET": "work",
        "MPR_JOBS_TABLE": "jobs",
        "MPR_UPLOADS_TABLE": "uploads",
        "MPR_IDEMPOTENCY_TABLE": "idem",
        "MPR_STATE_MACHINE_ARN": "arn:aws:states:eu-west-1:123456789012:stateMachine:t",
        "MPR_API_KEYS_TABLE": "keys",
        "MPR_API_BASE_URL": "https://abc.execute-api.eu-west-1.amazonaws.com/dev",
        "MPR_CALLBACK_SECRET": "c" * 64,
        "MPR_WEBHOOK_SECRET": "w" * 64,
        "MPR_WORKERS": "100",
        "MPR_CORS_ORIGINS": '["https://d111111abcdef8.cloudfront.net"]',
        "MPR_MAX_DURATION_SECONDS": "21600.0",
        "MPR_ENCODE_TIMEOUT_SECONDS": "600",
        "MPR_ENCODE_MEMORY_MB": "10240",
        "MPR_STITCH_TMP_MB": "10240",
        "MPR_STITCH_TIMEOUT_SECONDS": "900",
        "MPR_AUDIO_TMP_MB": "4096",
        "MPR_AUDIO_TIMEOUT_SECONDS": "900",
        "MPR_UPLOAD_FUNCTION_NAME": "mpr-dev-process-upload",
    }
    assert set(values) == set().union(*ENV_VARS_BY_FUNCTION.values())
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    # When Settings reads them
    settings = Settings()
    # Then every value arrives in its field
    for name, value in values.items():
        field = getattr(settings, name.removeprefix("MPR_").lower())
        if isinstance(field, SecretStr):
            assert field.get_secret_value() == value, name
        elif isinstance(field, list):
            assert field == json.loads(value), name
        else:
            assert str(field) == value, name
