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
}
THROTTLED = "Lambda.TooManyRequestsException"
# a burst of throttles on a new account (concurrency 10) lasts minutes, not seconds
THROTTLE_RIDE_SECONDS = 300
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


def lambda_tasks(asl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: state
        for name, state in states(asl)
        if state["Type"] == "Task" and state["Resource"] == "arn:aws:states:::lambda:invoke"
    }


def longest_wait(retry: dict[str, Any]) -> float:
    """Seconds of back-off before the last attempt, at the ceiling of each jittered wait."""
    interval, rate = retry["IntervalSeconds"], retry["BackoffRate"]
    ceiling = retry.get("MaxDelaySeconds", float("inf"))
    return sum(min(interval * rate**n, ceiling) for n in range(retry["MaxAttempts"]))


def test_every_task_invokes_lambda_and_retries_transient_errors(asl: dict[str, Any]) -> None:
    tasks = lambda_tasks(asl)
    # one Task per stage function
    called = sorted(task["Parameters"]["FunctionName"] for task in tasks.values())
    assert called == sorted(f"${{{stage}FunctionArn}}" for stage in STAGES)
    for name, task in tasks.items():
        throttled, transient = task["Retry"]
        assert set(transient["ErrorEquals"]) == LAMBDA_ERRORS | {RetryableError.__name__}, name
        assert transient["JitterStrategy"] == "FULL", name
        assert transient["BackoffRate"] > 1, name
        assert transient["MaxAttempts"] >= 2, name
        assert throttled["ErrorEquals"] == [THROTTLED], name


def test_throttled_invocations_back_off_long_enough_to_ride_a_burst(asl: dict[str, Any]) -> None:
    # Lambda refuses an invoke beyond the account's (or function's reserved) concurrency with
    # TooManyRequestsException; Step Functions retries it, first match wins, so the throttle
    # rule comes first and waits minutes in all, jittered so the children do not retry in step
    for name, task in lambda_tasks(asl).items():
        throttled = task["Retry"][0]
        assert throttled["ErrorEquals"] == [THROTTLED], name
        assert throttled["JitterStrategy"] == "FULL", name
        assert longest_wait(throttled) >= THROTTLE_RIDE_SECONDS, name
        assert all(THROTTLED not in r["ErrorEquals"] for r in task["Retry"][1:]), name


def test_a_failing_chunk_writes_its_own_error_onto_the_job(asl: dict[str, Any]) -> None:
    # AWS reports a failed Map Run to the parent as States.ExceedToleratedFailureThreshold
    # only: the child records the chunk's error class, message and index on the job item
    # (the key layout of mpr.adapters.dynamo_jobs), once, before it fails
    chunk_map = asl["States"]["Encode"]["Branches"][0]["States"]["EncodeChunks"]
    child = chunk_map["ItemProcessor"]["States"]
    (catch,) = child["EncodeChunk"]["Catch"]
    assert catch == {
        "ErrorEquals": ["States.ALL"],
        "ResultPath": "$.error",
        "Next": "RecordChunkError",
    }
    record = child["RecordChunkError"]
    assert record["Resource"] == "arn:aws:states:::dynamodb:updateItem"
    params = record["Parameters"]
    assert params["TableName"] == "${JobsTableName}"
    assert params["Key"] == {
        "PK": {"S.$": "States.Format('JOB#{}', $.task.job_id)"},
        "SK": {"S": "JOB"},
    }
    assert "attribute_not_exists(chunk_error)" in params["ConditionExpression"]
    assert params["ExpressionAttributeValues"][":e"]["M"] == {
        "chunk": {"N.$": "States.Format('{}', $.task.chunk.index)"},
        "error": {"S.$": "$.error.Error"},
        "cause": {"S.$": "$.error.Cause"},
    }
    # whether or not the write succeeds, the child fails with the chunk's own error
    assert record["ResultPath"] is None
    assert record["Next"] == record["Catch"][0]["Next"] == "ChunkFailed"
    assert child["ChunkFailed"] == {
        "Type": "Fail",
        "ErrorPath": "$.error.Error",
        "CausePath": "$.error.Cause",
    }


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
        "ExecutionType": "STANDARD",
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
        "JobsTableName",
        "MaxConcurrency",
    }
