"""The transcode state machine definition (statemachines/transcode.asl.json), read as JSON."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from infra_support import ASL_PATH

from mpr.core.errors import RetryableError

LAMBDA_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}
FAILURE_STATE = "RecordFailure"
STAGES = ("Probe", "Plan", "EncodeChunk", "EncodeAudio", "Stitch", "Package", "Finalize", "Fail")


def states(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state, nested branches and item processors included."""
    for name, state in definition["States"].items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from states(branch)
        if "ItemProcessor" in state:
            yield from states(state["ItemProcessor"])


def test_every_task_invokes_lambda_and_retries_transient_errors(asl: dict[str, Any]) -> None:
    tasks = {name: state for name, state in states(asl) if state["Type"] == "Task"}
    # one Task per stage function
    called = sorted(task["Parameters"]["FunctionName"] for task in tasks.values())
    assert called == sorted(f"${{{stage}FunctionArn}}" for stage in STAGES)
    for name, task in tasks.items():
        assert task["Resource"] == "arn:aws:states:::lambda:invoke", name
        (retry,) = task["Retry"]
        assert set(retry["ErrorEquals"]) == LAMBDA_ERRORS | {RetryableError.__name__}, name
        assert retry["JitterStrategy"] == "FULL", name
        assert retry["BackoffRate"] > 1, name
        assert retry["MaxAttempts"] >= 2, name


def test_every_top_level_step_is_caught_into_record_failure(asl: dict[str, Any]) -> None:
    for name, state in asl["States"].items():
        if state["Type"] in {"Task", "Map", "Parallel"} and name != FAILURE_STATE:
            (catch,) = state["Catch"]
            assert catch["ErrorEquals"] == ["States.ALL"], name
            assert catch["Next"] == FAILURE_STATE, name
            # the caught error is added beside the job id, not in its place
            assert catch["ResultPath"] == "$.error", name


def test_record_failure_calls_fail_with_the_caught_error_then_fails(asl: dict[str, Any]) -> None:
    record = asl["States"][FAILURE_STATE]
    assert record["Parameters"]["FunctionName"] == "${FailFunctionArn}"
    assert record["Parameters"]["Payload"] == {
        "job_id.$": "$.job_id",
        "error.$": "$.error.Error",
        "cause.$": "$.error.Cause",
    }
    assert "Catch" not in record
    final = asl["States"][record["Next"]]
    assert final["Type"] == "Fail"


def test_stage_order(asl: dict[str, Any]) -> None:
    order = [asl["StartAt"]]
    while "Next" in asl["States"][order[-1]]:
        order.append(asl["States"][order[-1]]["Next"])
    assert order == ["Probe", "Plan", "Encode", "Stitch", "Package", "Finalize"]
    assert asl["States"]["Finalize"]["End"] is True


def test_chunks_fan_out_over_the_task_list_in_the_work_bucket(asl: dict[str, Any]) -> None:
    encode = asl["States"]["Encode"]
    chunks_branch, audio_branch = encode["Branches"]
    chunk_map = chunks_branch["States"][chunks_branch["StartAt"]]
    assert chunk_map["ItemReader"] == {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {"Bucket": "${WorkBucketName}", "Key.$": "$.tasks_key"},
    }
    assert chunk_map["ItemProcessor"]["ProcessorConfig"] == {
        "Mode": "DISTRIBUTED",
        "ExecutionType": "EXPRESS",
    }
    assert chunk_map["ToleratedFailurePercentage"] == 0
    assert chunk_map["ItemSelector"] == {"task.$": "$$.Map.Item.Value"}
    # the concurrency placeholder becomes an integer in the branch input
    assert chunk_map["MaxConcurrencyPath"] == "$.max_concurrency"
    assert encode["Parameters"]["max_concurrency.$"] == "States.StringToJson('${MaxConcurrency}')"
    # results are dropped: the state output stays small for any number of chunks
    assert chunk_map["ResultPath"] is None
    assert encode["ResultPath"] is None
    audio = audio_branch["States"][audio_branch["StartAt"]]
    assert audio["Parameters"]["FunctionName"] == "${EncodeAudioFunctionArn}"
    assert audio["Parameters"]["Payload"] == {"job_id.$": "$.job_id", "source.$": "$.source"}


def test_stitch_runs_once_per_rendition_an_mp4_output_uses(asl: dict[str, Any]) -> None:
    # HLS rungs are segmented by the chunk tasks: only MP4 renditions (`stitched`) are joined
    stitch = asl["States"]["Stitch"]
    assert stitch["ItemsPath"] == "$.stitched"
    assert stitch["ItemSelector"] == {"job_id.$": "$.job_id", "rendition.$": "$$.Map.Item.Value"}
    assert stitch["ItemProcessor"]["ProcessorConfig"]["Mode"] == "INLINE"
    assert stitch["ResultPath"] is None


def test_placeholders_are_the_documented_set() -> None:
    placeholders = set(re.findall(r"\$\{(\w+)\}", ASL_PATH.read_text()))
    assert placeholders == {f"{stage}FunctionArn" for stage in STAGES} | {
        "WorkBucketName",
        "MaxConcurrency",
    }
