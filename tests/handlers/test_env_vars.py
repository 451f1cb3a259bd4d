"""Each handler's env-var model: checked at cold start, and given by the stack."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType

import pytest
from aws_lambda_powertools.utilities.data_classes import S3Event
from pydantic import BaseModel

from infra.constructs.functions import STAGE_FUNCTIONS
from infra.constructs.trigger import TRIGGER_FUNCTION
from infra.env_vars import ENV_VARS_BY_FUNCTION
from mpr.core.errors import InvalidInputError
from mpr.core.models import ChunkTask
from mpr.core.payloads import (
    EncodeAudioRequest,
    FailRequest,
    JobRef,
    PlanRequest,
    ProbeRequest,
    StitchRequest,
)
from mpr.handlers import runtime
from mpr.settings import Settings
from tests.handlers.conftest import EVENTS

FUNCTIONS = (*STAGE_FUNCTIONS, TRIGGER_FUNCTION)
LOCAL_EVENTS = Path(__file__).resolve().parents[2] / "local" / "events"
EVENT_MODELS: dict[str, type[BaseModel]] = {
    "probe": ProbeRequest,
    "plan": PlanRequest,
    "encode_chunk": ChunkTask,
    "encode_audio": EncodeAudioRequest,
    "stitch": StitchRequest,
    "package": JobRef,
    "finalize": JobRef,
    "fail": FailRequest,
}


def handler_module(name: str) -> ModuleType:
    return importlib.import_module(f"mpr.handlers.{name}")


def env_of(name: str) -> type[runtime.Env]:
    env: type[runtime.Env] = handler_module(name).Env
    return env


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_required_variable_is_checked(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env = env_of(name)
    for variable in env.variables():
        monkeypatch.setenv(variable, "value")
    runtime.require(env, Settings())
    for variable in sorted(env.variables()):
        monkeypatch.setenv(variable, "")
        with pytest.raises(InvalidInputError, match=variable):
            runtime.require(env, Settings())
        monkeypatch.delenv(variable)
        with pytest.raises(InvalidInputError, match=variable):
            runtime.require(env, Settings())
        monkeypatch.setenv(variable, "value")


def test_a_stage_handler_refuses_to_start_without_its_variables(
    aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MPR_WORK_BUCKET")
    with pytest.raises(InvalidInputError, match="MPR_WORK_BUCKET"):
        runtime.adapters(env_of("stitch"))


def test_a_bucket_the_function_is_not_given_is_a_clear_error(
    aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MPR_OUTPUT_BUCKET")
    ctx = runtime.adapters(env_of("stitch")).ctx
    assert ctx.work.exists("x") is False
    with pytest.raises(InvalidInputError, match="MPR_OUTPUT_BUCKET is not set for this function"):
        ctx.outputs.exists("x")


@pytest.mark.parametrize(("vcpus", "threads"), [(1, 2), (6, 6), (16, 8)])
def test_a_function_encodes_with_x264_threads_for_its_vcpus(
    aws: str, monkeypatch: pytest.MonkeyPatch, vcpus: int, threads: int
) -> None:
    # Given a function with `vcpus` cores (Lambda gives up to 6; a container may have more)
    monkeypatch.setattr(runtime, "usable_cores", lambda: vcpus)
    # Then each x264 encode it runs gets that many threads, at least 2 and at most 8
    assert runtime.adapters(env_of("encode_chunk")).ctx.encode_threads == threads


@pytest.mark.parametrize("name", FUNCTIONS)
def test_the_stack_gives_each_function_the_variables_its_handler_requires(name: str) -> None:
    assert env_of(name).variables() <= ENV_VARS_BY_FUNCTION[name]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_the_sample_events_are_valid_and_the_same_for_tests_and_sam(name: str) -> None:
    event = json.loads((LOCAL_EVENTS / f"{name}.json").read_text())
    assert json.loads((EVENTS / f"{name}.json").read_text()) == event
    if name == TRIGGER_FUNCTION:
        assert S3Event(event).record.s3.get_object.key.startswith("input/")
    else:
        EVENT_MODELS[name].model_validate(event)
