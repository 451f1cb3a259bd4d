"""Each stage handler on moto's S3 and DynamoDB with real ffmpeg on a real clip, called with
the sample events and then with the payloads the previous stage returned."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mpr.adapters.dynamo_jobs import DynamoJobStore
from mpr.adapters.webhook_notifier import StorageDeliveryLog
from mpr.core import keys
from mpr.core.errors import JobStateError, LimitExceededError, UnsafeInputError
from mpr.core.models import JobRecord, JobSpec, JobStatus, Manifest, Preset, VideoRendition
from mpr.handlers import (
    encode_audio,
    encode_chunk,
    fail,
    finalize,
    package,
    plan,
    probe,
    runtime,
    stitch,
)
from mpr.services import cloud_state
from mpr.settings import get_settings
from tests.handlers.conftest import (
    API_BASE_URL,
    BUCKETS,
    WEBHOOK_SECRET,
    LambdaContext,
    keys_under,
    sample_event,
)
from tests.support.seaweed import free_ports
from tests.support.webhooks import Receiver

JOB = "sample-job"  # the job of the sample events
SPEC = JobSpec(
    source="input/bigbuckbunny.mp4",
    presets=[
        Preset(
            name="small",
            kind="mp4",
            renditions=[VideoRendition(name="360p", height=360, max_bitrate_kbps=800, crf=28)],
        )
    ],
)


OWNER = "0a1b2c3d4e5f"  # the id of the API key that made the job


def queue(jobs: DynamoJobStore, s3: Any, clips: Path, callback_url: str | None = None) -> JobRecord:
    """The sample job, queued, its source uploaded."""
    s3.upload_file(str(clips / "bigbuckbunny.mp4"), BUCKETS["MPR_INPUT_BUCKET"], SPEC.source)
    return jobs.create(JobRecord(job_id=JOB, spec=SPEC, callback_url=callback_url, owner=OWNER))


@pytest.fixture
def queued(jobs: DynamoJobStore, s3: Any, clips: Path) -> JobRecord:
    return queue(jobs, s3, clips)


@pytest.fixture
def receiver(aws: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """A webhook receiver on loopback, which the functions may reach only when allowed."""
    monkeypatch.setenv("MPR_ALLOW_PRIVATE_WEBHOOKS", "true")
    get_settings.cache_clear()
    with Receiver(WEBHOOK_SECRET.encode()) as r:
        yield r


def deliveries(job_id: str) -> list[tuple[int, int | None, bool]]:
    """The webhook attempts recorded for the job, read as the API reads them."""
    log = StorageDeliveryLog(cloud_state(get_settings()))
    return [(d.attempt, d.status_code, d.ok) for d in log.list(job_id)]


@pytest.mark.slow
def test_the_stages_run_in_order_and_the_job_succeeds(
    jobs: DynamoJobStore, s3: Any, clips: Path, receiver: Receiver, context: LambdaContext
) -> None:
    # Given a queued job on a clip with audio, with a callback URL
    queue(jobs, s3, clips, callback_url=receiver.url)
    # When probe runs on the sample event
    probed = probe.handler(sample_event("probe"), context)

    # Then the job is RUNNING and the probe result points at the work files
    assert probed == {
        "job_id": JOB,
        "source": SPEC.source,
        "media_key": keys.media(JOB),
        "frames_key": keys.frames(JOB),
        "has_audio": True,
    }
    assert probed == sample_event("plan")
    assert jobs.get(JOB).status is JobStatus.RUNNING

    # When plan runs, then the job counts the chunk encodes it waits for
    planned = plan.handler(probed, context)
    assert planned["task_count"] == 1  # the clip has one keyframe: one chunk
    job = jobs.get(JOB)
    assert (job.stage, job.chunks_total, job.chunks_done) == ("encode", 1, 0)
    tasks = json.loads(
        s3.get_object(Bucket=BUCKETS["MPR_WORK_BUCKET"], Key=planned["tasks_key"])["Body"].read()
    )
    assert tasks == [sample_event("encode_chunk")]

    # When the chunk and the audio are encoded, then progress counts the chunk
    encoded = encode_chunk.handler(tasks[0], context)
    (rendition,) = encoded["renditions"]
    assert rendition["key"] == keys.chunk(JOB, planned["renditions"][0], 0)
    assert rendition["frames"] == 132
    assert rendition["psnr_db"] > 30
    assert jobs.get(JOB).chunks_done == 1
    audio = encode_audio.handler(sample_event("encode_audio"), context)
    assert audio == {"job_id": JOB, "key": keys.audio(JOB, "aac-128k")}

    # When stitch, package and finalize run
    assert sample_event("stitch") == {"job_id": JOB, "rendition": planned["renditions"][0]}
    stitch.handler(sample_event("stitch"), context)
    package.handler(sample_event("package"), context)
    final = finalize.handler(sample_event("finalize"), context)

    # Then the job SUCCEEDED with its manifest, its timings in the manifest, no work file left
    assert final == {"job_id": JOB, "manifest_key": f"{JOB}/manifest.json", "status": "SUCCEEDED"}
    job = jobs.get(JOB)
    assert (job.status, job.stage, job.manifest_key) == (
        JobStatus.SUCCEEDED,
        "done",
        final["manifest_key"],
    )
    assert job.progress == 100.0
    stitch_timing = f"stitch/{planned['renditions'][0]}"
    stages = {"probe", "plan", "encode_audio", stitch_timing, "package", "finalize"}
    assert set(job.timings) == stages
    manifest = Manifest.model_validate_json(
        s3.get_object(Bucket=BUCKETS["MPR_OUTPUT_BUCKET"], Key=final["manifest_key"])["Body"].read()
    )
    assert set(manifest.timings) == set(job.timings) - {"finalize"}
    (mp4,) = manifest.outputs
    assert (mp4.path, mp4.frames, mp4.width, mp4.height) == ("small.mp4", 132, 640, 360)
    assert keys_under(s3, BUCKETS["MPR_WORK_BUCKET"]) == []
    # and its signed webhook was delivered and recorded
    [(status, event, signed)] = receiver.requests
    assert (status, signed) == (204, True)
    assert (event["type"], event["job_id"], event["status"]) == ("job.ended", JOB, "SUCCEEDED")
    assert event["job_url"] == f"{API_BASE_URL}/v1/jobs/{JOB}"
    assert deliveries(JOB) == [(1, 204, True)]
    # with the manifest's outputs, linked through the API's signed file routes
    [out] = event["outputs"]
    assert (out["path"], out["frames"], out["qc"]["passed"]) == ("small.mp4", 132, True)
    assert out["url"].startswith(f"{API_BASE_URL}/v1/jobs/{JOB}/signed/")
    assert out["url"].endswith("/small.mp4")


def test_probe_of_a_retried_invocation_keeps_the_job_running(
    queued: JobRecord, jobs: DynamoJobStore, context: LambdaContext
) -> None:
    jobs.transition(JOB, JobStatus.RUNNING, stage="probe")
    probe.handler(sample_event("probe"), context)
    assert jobs.get(JOB).status is JobStatus.RUNNING


def test_probe_refuses_a_cancelled_job(
    queued: JobRecord, jobs: DynamoJobStore, context: LambdaContext
) -> None:
    jobs.transition(JOB, JobStatus.CANCELLED, stage="cancelled")
    with pytest.raises(JobStateError):
        probe.handler(sample_event("probe"), context)
    assert jobs.get(JOB).status is JobStatus.CANCELLED


def test_probe_raises_the_typed_error_the_state_machine_catches(
    jobs: DynamoJobStore, s3: Any, context: LambdaContext
) -> None:
    # Given a source that is a playlist, not media
    s3.put_object(Bucket=BUCKETS["MPR_INPUT_BUCKET"], Key=SPEC.source, Body=b"#EXTM3U\nx.ts\n")
    jobs.create(JobRecord(job_id=JOB, spec=SPEC))

    # When probe runs, then the error keeps its class (the ASL matches its name)
    with pytest.raises(UnsafeInputError):
        probe.handler(sample_event("probe"), context)


def test_fail_marks_the_job_failed_and_removes_its_files(
    queued: JobRecord, jobs: DynamoJobStore, s3: Any, context: LambdaContext
) -> None:
    # Given a running job with work files and partial outputs
    jobs.transition(JOB, JobStatus.RUNNING, stage="encode")
    s3.put_object(Bucket=BUCKETS["MPR_WORK_BUCKET"], Key=keys.spec(JOB), Body=b"{}")
    s3.put_object(Bucket=BUCKETS["MPR_WORK_BUCKET"], Key="work/other-job/spec.json", Body=b"{}")
    s3.put_object(Bucket=BUCKETS["MPR_OUTPUT_BUCKET"], Key=f"{JOB}/small.mp4", Body=b"x")

    # When the state machine records the failure
    result = fail.handler(sample_event("fail"), context)

    # Then the job is FAILED with the reason in words, and only its files are gone
    reason = "MediaProcessingError: encode chunk 0 failed: moov atom not found"
    assert result == {"job_id": JOB, "status": "FAILED", "error": reason}
    job = jobs.get(JOB)
    assert (job.status, job.stage, job.error, job.error_cause) == (
        JobStatus.FAILED,
        "failed",
        reason,
        "MediaProcessingError",
    )
    assert keys_under(s3, BUCKETS["MPR_WORK_BUCKET"]) == ["work/other-job/spec.json"]
    assert keys_under(s3, BUCKETS["MPR_OUTPUT_BUCKET"]) == []


def test_fail_keeps_the_status_of_a_job_that_already_ended(
    queued: JobRecord, jobs: DynamoJobStore, context: LambdaContext
) -> None:
    jobs.transition(JOB, JobStatus.CANCELLED, stage="cancelled")
    fail.handler(sample_event("fail"), context)
    assert jobs.get(JOB).status is JobStatus.CANCELLED


def test_fail_sends_the_signed_webhook_and_records_it(
    jobs: DynamoJobStore, s3: Any, clips: Path, receiver: Receiver, context: LambdaContext
) -> None:
    # Given a running job with a callback URL
    queue(jobs, s3, clips, callback_url=receiver.url)
    jobs.transition(JOB, JobStatus.RUNNING, stage="encode")

    # When the state machine records its failure
    fail.handler(sample_event("fail"), context)

    # Then the receiver got one event signed with the webhook secret, naming the reason
    [(status, event, signed)] = receiver.requests
    assert (status, signed) == (204, True)
    assert (event["job_id"], event["status"]) == (JOB, "FAILED")
    assert event["error"] == "MediaProcessingError: encode chunk 0 failed: moov atom not found"
    assert event["job_url"] == f"{API_BASE_URL}/v1/jobs/{JOB}"
    # in the same schema as a success, with no outputs
    assert (event["schema_version"], event["outputs"], event["qc"]) == (2, [], None)
    assert event["urls_expire_at"] is None
    # and the attempt is recorded where the API lists a job's deliveries
    assert deliveries(JOB) == [(1, 204, True)]
    assert keys_under(s3, BUCKETS["MPR_OUTPUT_BUCKET"]) == [f"_mpr/webhooks/{JOB}.json"]


def test_a_webhook_to_a_private_address_is_refused_unless_allowed(
    jobs: DynamoJobStore, s3: Any, clips: Path, context: LambdaContext
) -> None:
    # Given a job whose callback URL is on loopback, and no permission for private addresses
    with Receiver(WEBHOOK_SECRET.encode()) as receiver:
        queue(jobs, s3, clips, callback_url=receiver.url)
        jobs.transition(JOB, JobStatus.RUNNING, stage="encode")
        fail.handler(sample_event("fail"), context)
    # Then nothing is sent, and the refusal is recorded
    assert receiver.requests == []
    assert deliveries(JOB) == [(1, None, False)]
    assert jobs.get(JOB).status is JobStatus.FAILED


def test_a_job_cancelled_meanwhile_gets_no_second_webhook(
    jobs: DynamoJobStore, s3: Any, clips: Path, receiver: Receiver, context: LambdaContext
) -> None:
    # Given a job cancelled (and notified by the API) while its execution was failing
    queue(jobs, s3, clips, callback_url=receiver.url)
    jobs.transition(JOB, JobStatus.CANCELLED, stage="cancelled")
    # When the fail function runs, then it sends nothing
    fail.handler(sample_event("fail"), context)
    assert receiver.requests == []
    assert deliveries(JOB) == []


def test_a_failing_receiver_is_retried_within_the_function(
    jobs: DynamoJobStore,
    s3: Any,
    clips: Path,
    context: LambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MPR_ALLOW_PRIVATE_WEBHOOKS", "true")
    monkeypatch.setenv("MPR_WEBHOOK_MAX_ATTEMPTS", "2")
    with Receiver(WEBHOOK_SECRET.encode(), failures=1) as receiver:
        queue(jobs, s3, clips, callback_url=receiver.url)
        jobs.transition(JOB, JobStatus.RUNNING, stage="encode")
        fail.handler(sample_event("fail"), context)
    assert [(status, signed) for status, _, signed in receiver.requests] == [
        (500, True),
        (204, True),
    ]
    assert deliveries(JOB) == [(1, 500, False), (2, 204, True)]


def test_a_webhook_that_cannot_be_recorded_does_not_undo_the_end_of_the_job(
    jobs: DynamoJobStore, s3: Any, clips: Path, receiver: Receiver, context: LambdaContext
) -> None:
    # Given a job whose delivery record is unreadable
    queue(jobs, s3, clips, callback_url=receiver.url)
    jobs.transition(JOB, JobStatus.RUNNING, stage="encode")
    record = f"_mpr/webhooks/{JOB}.json"
    s3.put_object(Bucket=BUCKETS["MPR_OUTPUT_BUCKET"], Key=record, Body=b"not json")
    # When the job fails, then the function still ends normally with the job FAILED
    result = fail.handler(sample_event("fail"), context)
    assert result["status"] == "FAILED"
    assert jobs.get(JOB).status is JobStatus.FAILED
    assert [status for status, _, _ in receiver.requests] == [204]


def test_probe_refuses_a_source_longer_than_the_cloud_stages_can_hold(
    queued: JobRecord, context: LambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the stack's cap on source length (infra/caps.py) below the clip's 5.3 s
    monkeypatch.setenv("MPR_MAX_DURATION_SECONDS", "5")
    get_settings.cache_clear()

    # When probe runs, then it refuses the source with the reason, before any encode
    with pytest.raises(LimitExceededError, match=r"source lasts 5\.\d s; the limit is 5 s"):
        probe.handler(sample_event("probe"), context)


def test_an_adapters_log_line_carries_the_job_as_correlation_id(
    jobs: DynamoJobStore,
    s3: Any,
    clips: Path,
    context: LambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the functions' log lines written here, and a job whose webhook receiver is down
    # (nothing listens on its port), given one attempt
    written = io.StringIO()
    monkeypatch.setattr(runtime.logger.registered_handler, "stream", written)
    (port,) = free_ports(1)
    monkeypatch.setenv("MPR_ALLOW_PRIVATE_WEBHOOKS", "true")
    monkeypatch.setenv("MPR_WEBHOOK_MAX_ATTEMPTS", "1")
    get_settings.cache_clear()
    queue(jobs, s3, clips, callback_url=f"http://127.0.0.1:{port}/hook")
    jobs.transition(JOB, JobStatus.RUNNING, stage="encode")

    # When the fail function runs and the webhook adapter logs the failed delivery
    fail.handler(sample_event("fail"), context)

    # Then its line is the functions' JSON, with the job id as the correlation id
    lines = [json.loads(line) for line in written.getvalue().splitlines() if line]
    (notifier,) = [line for line in lines if "not delivered" in line["message"]]
    assert notifier["correlation_id"] == JOB
    assert notifier["level"] == "WARNING"
    assert notifier["function_request_id"] == context.aws_request_id
    assert notifier["location"].startswith("job_ended:")  # mpr.adapters.webhook_notifier
