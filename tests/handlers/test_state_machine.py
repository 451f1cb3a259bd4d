"""The real state machine (statemachines/transcode.asl.json) run by moto's Step Functions
interpreter, its Lambda tasks answered in-process by the real handlers, against moto's S3 and
DynamoDB and real ffmpeg on a real clip."""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import m3u8
import pytest
from moto.awslambda_simple.models import LambdaSimpleBackend

from infra.constructs.functions import STAGE_FUNCTIONS, pascal_case
from infra.constructs.pipeline import ASL_PATH
from mpr.adapters.dynamo_jobs import DynamoJobStore
from mpr.adapters.local_orchestrator import LocalPipeline
from mpr.adapters.local_storage import LocalStorage
from mpr.adapters.s3_storage import S3Storage
from mpr.adapters.sfn_orchestrator import SfnOrchestrator
from mpr.core.errors import MediaProcessingError, RetryableError
from mpr.core.models import (
    CaptionSpec,
    JobRecord,
    JobSpec,
    JobStatus,
    Manifest,
    Preset,
    VideoRendition,
)
from mpr.core.presets import builtin_presets
from mpr.handlers import encode_chunk
from mpr.media import qc
from mpr.media.calibration import load_calibration
from mpr.media.tools import Tools
from mpr.settings import get_settings
from mpr.stages import StageContext
from tests.handlers.conftest import BUCKETS, REGION, TABLES, LambdaContext, keys_under
from tests.support.dash import parse_mpd, representations, seconds
from tests.support.media import audio_tracks, facts, ffmpeg

pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/mpr-test"
SOURCE = "input/bikes.mp4"  # 250 frames, keyframes at 0, 1.2, 3.04, 5.48, 7.48, 9.68 s
R240 = VideoRendition(name="240p", height=240, max_bitrate_kbps=600, crf=28)
R160 = VideoRendition(name="160p", height=160, max_bitrate_kbps=300, crf=30)
SPEC = JobSpec(
    source=SOURCE,
    presets=[
        Preset(name="small", kind="mp4", renditions=[R240]),
        Preset(name="ladder", kind="hls", renditions=[R240, R160]),
    ],
    chunk_seconds=2.0,
    min_chunk_seconds=1.0,
    workers=4,
)
CMAF_SOURCE = "input/bikes-tone.mp4"  # the clip with a 10 s AAC tone added
CMAF_CAPTIONS = "input/bikes.fr.srt"
CMAF_SPEC = SPEC.model_copy(
    update={
        "source": CMAF_SOURCE,
        "presets": [Preset(name="cmaf", kind="cmaf", renditions=[R240, R160])],
        "captions": [CaptionSpec(source=CMAF_CAPTIONS, language="fr", label="Français")],
    }
)
Fault = Callable[[dict[str, Any]], None]


@pytest.fixture
def moto_config() -> dict[str, Any]:
    """Step Functions runs the ASL; Lambda (no Docker) runs no code, see `routed_lambda`."""
    return {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


def function_name(stage: str) -> str:
    return f"mpr-{stage.replace('_', '-')}"


@pytest.fixture
def faults() -> dict[str, Fault]:
    """Faults injected before a handler runs, by stage name."""
    return {}


@pytest.fixture
def routed_lambda(monkeypatch: pytest.MonkeyPatch, faults: dict[str, Fault]) -> None:
    """moto's Lambda (use_docker False) runs no code: answer its invoke with the real handler,
    the way the Lambda runtime does: the handler's return value as JSON, or an unhandled error
    whose errorType is the exception's class name (what the ASL's Retry/Catch match)."""
    handlers = {
        function_name(stage): importlib.import_module(f"mpr.handlers.{stage}").handler
        for stage in STAGE_FUNCTIONS
    }
    stages = {function_name(stage): stage for stage in STAGE_FUNCTIONS}

    def invoke(
        self: LambdaSimpleBackend,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> bytes:
        name = function_name.split(":function:")[-1].split(":")[0]
        event = json.loads(body)
        try:
            if stages[name] in faults:
                faults[stages[name]](event)
            result = handlers[name](event, LambdaContext(function_name=name))
        except Exception as exc:
            response_headers["x-amz-function-error"] = "Unhandled"
            error = {"errorType": type(exc).__name__, "errorMessage": str(exc)}
            return json.dumps(error).encode()
        return json.dumps(result).encode()

    monkeypatch.setattr(LambdaSimpleBackend, "invoke", invoke)


def load_definition(arns: dict[str, str]) -> str:
    """The ASL with its `${Placeholders}` substituted as the CDK stack does, and the valid
    field that moto's interpreter rejects rewritten: the integer `ToleratedFailurePercentage`
    becomes a float."""
    text = ASL_PATH.read_text()
    values = {
        **{f"{pascal_case(stage)}FunctionArn": arn for stage, arn in arns.items()},
        "WorkBucketName": BUCKETS["MPR_WORK_BUCKET"],
        "JobsTableName": TABLES["MPR_JOBS_TABLE"],
        "MaxConcurrency": "4",
    }
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    assert "${" not in text, "a placeholder of the ASL has no value"
    asl = json.loads(text)
    encode_map = asl["States"]["Encode"]["Branches"][0]["States"]["EncodeChunks"]
    encode_map["ToleratedFailurePercentage"] = float(encode_map["ToleratedFailurePercentage"])
    return json.dumps(asl)


@pytest.fixture
def state_machine(aws: str, routed_lambda: None, clips: Path) -> str:
    """The functions and the state machine, deployed to moto; the clip uploaded."""
    iam = boto3.client("iam", region_name=REGION)
    iam.create_role(RoleName="mpr-test", AssumeRolePolicyDocument="{}")
    lambda_ = boto3.client("lambda", region_name=REGION)
    arns = {}
    for stage in STAGE_FUNCTIONS:
        created = lambda_.create_function(
            FunctionName=function_name(stage),
            Runtime="python3.11",
            Role=ROLE,
            Handler=f"mpr.handlers.{stage}.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},  # an empty zip: moto runs no code
        )
        arns[stage] = created["FunctionArn"]
    sfn = boto3.client("stepfunctions", region_name=REGION)
    machine = sfn.create_state_machine(
        name="mpr-transcode", definition=load_definition(arns), roleArn=ROLE
    )
    boto3.client("s3", region_name=REGION).upload_file(
        str(clips / "bikes.mp4"), BUCKETS["MPR_INPUT_BUCKET"], SOURCE
    )
    arn: str = machine["stateMachineArn"]
    return arn


def run_job(arn: str, jobs: DynamoJobStore, job_id: str, spec: JobSpec = SPEC) -> dict[str, Any]:
    """Create the job, start it as the API does, and wait until its execution ends."""
    job = jobs.create(JobRecord(job_id=job_id, spec=spec))
    sfn = boto3.client("stepfunctions", region_name=REGION)
    SfnOrchestrator(sfn, arn).start(job)
    (execution,) = sfn.list_executions(stateMachineArn=arn)["executions"]
    deadline = time.monotonic() + 500
    while time.monotonic() < deadline:
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.5)
    raise AssertionError(f"execution {execution['executionArn']} did not end")


def measured(tools: Tools, files: dict[str, Path]) -> dict[str, tuple[int, float]]:
    """(frames, duration) of each video output, by ffprobe."""
    result = {}
    for path, local in files.items():
        m = qc.measure(tools, str(local))
        result[path] = (m.frames, round(m.duration, 3))
    return result


def local_reference(
    files: dict[str, Path], tmp: Path, spec: JobSpec = SPEC
) -> tuple[Manifest, Path]:
    """The same job run by the local pipeline on directory storage holding `files` (by key)."""
    inputs = LocalStorage(tmp / "in")
    for key, file in files.items():
        inputs.put_file(key, file)
    outputs = tmp / "out"
    ctx = StageContext(
        inputs=inputs,
        work=LocalStorage(tmp / "work"),
        outputs=LocalStorage(outputs),
        tools=Tools.from_settings(get_settings()),
        limits=get_settings().limits,
    )
    return LocalPipeline(ctx, workers=2).run("reference", spec), outputs / "reference"


def test_execution_succeeds_and_matches_the_local_pipeline(
    state_machine: str, jobs: DynamoJobStore, s3: Any, clips: Path, tmp_path: Path
) -> None:
    # Given the deployed state machine and a queued job on a real clip
    # When the job runs through the real ASL
    described = run_job(state_machine, jobs, "sfn-ok")

    # Then the execution succeeded and the job record says so, every chunk counted
    assert described["status"] == "SUCCEEDED", described
    job = jobs.get("sfn-ok")
    assert job.status is JobStatus.SUCCEEDED
    assert job.progress == 100.0
    assert job.chunks_total > 2  # several chunks x 2 renditions: the map really fanned out
    assert job.chunks_done == job.chunks_total
    assert job.manifest_key == "sfn-ok/manifest.json"
    assert {"probe", "plan", "encode_audio", "package", "finalize"} <= set(job.timings)
    assert keys_under(s3, BUCKETS["MPR_WORK_BUCKET"]) == []

    # And its video outputs have the frames and duration of the local pipeline's
    output = BUCKETS["MPR_OUTPUT_BUCKET"]
    manifest = Manifest.model_validate_json(
        s3.get_object(Bucket=output, Key=job.manifest_key)["Body"].read()
    )
    reference, reference_dir = local_reference({SOURCE: clips / "bikes.mp4"}, tmp_path / "local")
    videos = sorted(r.path for r in manifest.outputs if r.kind in ("mp4", "hls") and r.rendition)
    assert videos == sorted(
        r.path for r in reference.outputs if r.kind in ("mp4", "hls") and r.rendition
    )
    assert len(videos) == 3
    for key in keys_under(s3, output, "sfn-ok/"):
        target = tmp_path / "cloud" / key
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(output, key, str(target))
    tools = Tools.from_settings(get_settings())
    expected = measured(tools, {p: reference_dir / p for p in videos})
    assert measured(tools, {p: tmp_path / "cloud" / "sfn-ok" / p for p in videos}) == expected
    assert all(frames == 250 for frames, _ in expected.values())
    assert manifest.chunk_count == reference.chunk_count


def download(s3: Any, prefix: str, folder: Path) -> Path:
    """Every output under `prefix` into `folder`; the folder of the job's outputs."""
    output = BUCKETS["MPR_OUTPUT_BUCKET"]
    for key in keys_under(s3, output, prefix):
        target = folder / key
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(output, key, str(target))
    return folder / prefix


def test_cmaf_ladder_matches_the_local_pipeline(
    state_machine: str, jobs: DynamoJobStore, s3: Any, clips: Path, tmp_path: Path
) -> None:
    # Given a CMAF ladder job of the clip with sound and a caption file, run through the real
    # ASL and locally
    source = tmp_path / "bikes-tone.mp4"
    ffmpeg(
        *("-i", str(clips / "bikes.mp4"), "-f", "lavfi", "-i", "sine=f=440:d=10"),
        *("-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", str(source)),
    )
    captions = tmp_path / "bikes.fr.srt"
    captions.write_text("1\n00:00:01,000 --> 00:00:02,000\nbonjour\n")
    s3.upload_file(str(source), BUCKETS["MPR_INPUT_BUCKET"], CMAF_SOURCE)
    s3.upload_file(str(captions), BUCKETS["MPR_INPUT_BUCKET"], CMAF_CAPTIONS)
    described = run_job(state_machine, jobs, "sfn-cmaf", CMAF_SPEC)
    assert described["status"] == "SUCCEEDED", described
    cloud = download(s3, "sfn-cmaf/", tmp_path / "cloud")
    _, local = local_reference(
        {CMAF_SOURCE: source, CMAF_CAPTIONS: captions}, tmp_path / "local", CMAF_SPEC
    )

    # Then both wrote the same files
    def files(root: Path) -> list[str]:
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    assert files(cloud) == files(local)
    assert {"cmaf/manifest.mpd", "cmaf/master.m3u8", "cmaf/240p/init.mp4"} <= set(files(cloud))

    # and their DASH manifests (read by mpegdash) list the same segments with the same
    # timelines, codecs, sizes and frame rates (bit rates vary with the encoder's threads)
    def described_mpd(root: Path) -> list[tuple[object, ...]]:
        return [
            (
                r.content_type,
                r.id,
                r.codecs,
                r.width,
                r.height,
                r.frame_rate,
                r.timescale,
                r.init.relative_to(root) if r.init else None,
                [p.relative_to(root) for p in r.segments],
                r.timeline,
                r.lang,
                r.base_url.relative_to(root) if r.base_url else None,
            )
            for r in representations(root / "cmaf" / "manifest.mpd")
        ]

    assert described_mpd(cloud) == described_mpd(local)
    assert [r[0] for r in described_mpd(cloud)] == ["video", "video", "audio", "text"]
    vtt = "cmaf/_captions/fr/captions.vtt"
    assert (cloud / vtt).read_text() == (local / vtt).read_text()
    assert "bonjour" in (cloud / vtt).read_text()
    assert seconds(parse_mpd(cloud / "cmaf" / "manifest.mpd").media_presentation_duration) == (
        seconds(parse_mpd(local / "cmaf" / "manifest.mpd").media_presentation_duration)
    )
    # and every rung of the cloud's has the clip's 250 frames
    for rep in representations(cloud / "cmaf" / "manifest.mpd"):
        if rep.content_type == "video" and rep.init is not None:
            whole = tmp_path / f"{rep.id}.mp4"
            whole.write_bytes(b"".join(p.read_bytes() for p in [rep.init, *rep.segments]))
            assert len(facts(whole).frame_times) == 250


def test_a_chunk_failing_fails_the_job_and_removes_its_work_files(
    state_machine: str, jobs: DynamoJobStore, s3: Any, faults: dict[str, Fault]
) -> None:
    # Given chunk 2 of every rendition fails for good (not a RetryableError)
    def broken_chunk(event: dict[str, Any]) -> None:
        if event["chunk"]["index"] == 2:
            raise MediaProcessingError("encode chunk 2 failed: injected fault")

    faults["encode_chunk"] = broken_chunk

    # When the job runs
    described = run_job(state_machine, jobs, "sfn-broken")

    # Then the execution failed, and no work file is left.
    # moto's Distributed Map never fails on failed items (it only counts them:
    # moto/stepfunctions/parser/asl/component/state/exec/state_map/iteration/itemprocessor/
    # distributed_item_processor_worker.py, `_eval_job`; its ToleratedFailure* fields "have no
    # effect", asl/parse/preprocessor.py), so here the missing chunk stops the Stitch state;
    # AWS stops at the Encode state with States.ExceedToleratedFailureThreshold. Either way
    # the Catch leads to RecordFailure.
    assert described["status"] == "FAILED", described
    assert described["error"] == "NotFoundError"
    # And the job carries the failing chunk's own error (class, message, index), which the
    # child wrote onto the job before it failed, not what the parent execution saw
    job = jobs.get("sfn-broken")
    assert job.status is JobStatus.FAILED
    assert job.stage == "failed"
    assert job.error_cause == "MediaProcessingError"
    assert job.error == "chunk 2: MediaProcessingError: encode chunk 2 failed: injected fault"
    assert keys_under(s3, BUCKETS["MPR_WORK_BUCKET"]) == []
    assert keys_under(s3, BUCKETS["MPR_OUTPUT_BUCKET"]) == []


def test_a_retried_chunk_is_counted_once(
    state_machine: str, jobs: DynamoJobStore, faults: dict[str, Fault]
) -> None:
    # Given chunk 1 is encoded, written and counted, and then its invocation fails with a
    # RetryableError (a timeout after the work was done), so the ASL's Retry runs it again
    attempts: list[int] = []

    def done_then_lost(event: dict[str, Any]) -> None:
        if event["chunk"]["index"] == 1 and not attempts:
            attempts.append(1)
            encode_chunk.handler(event, LambdaContext(function_name="mpr-encode-chunk"))
            raise RetryableError("the response was lost after the chunk was written")

    faults["encode_chunk"] = done_then_lost

    # When the job runs
    described = run_job(state_machine, jobs, "sfn-retried")

    # Then it succeeded, chunk 1 ran twice, and every chunk was counted exactly once
    assert described["status"] == "SUCCEEDED", described
    assert attempts == [1]
    job = jobs.get("sfn-retried")
    assert job.chunks_total > 2
    assert job.chunks_done == job.chunks_total


def test_cancel_stops_the_execution_and_running_encodes_write_nothing(
    state_machine: str, jobs: DynamoJobStore, s3: Any, faults: dict[str, Fault]
) -> None:
    # Given the job is cancelled (as the API does: the job CANCELLED, its executions stopped,
    # its work files removed) while chunk 2's encode is already invoked
    sfn = boto3.client("stepfunctions", region_name=REGION)
    work = BUCKETS["MPR_WORK_BUCKET"]

    def cancelled_meanwhile(event: dict[str, Any]) -> None:
        if event["chunk"]["index"] == 2:
            jobs.transition("sfn-cancel", JobStatus.CANCELLED, stage="cancelled")
            SfnOrchestrator(
                sfn,
                state_machine,
                on_cancelled=lambda job_id: S3Storage(s3, work).delete_prefix(f"work/{job_id}/"),
            ).cancel("sfn-cancel")

    faults["encode_chunk"] = cancelled_meanwhile

    # When the job runs
    described = run_job(state_machine, jobs, "sfn-cancel")

    # Then the execution was stopped, the job stays CANCELLED, chunk 2 was never written,
    # and no work file is left behind by an encode that ran on after the cancel
    assert described["status"] == "ABORTED", described
    job = jobs.get("sfn-cancel")
    assert job.status is JobStatus.CANCELLED
    assert job.chunks_done < job.chunks_total
    assert keys_under(s3, work) == []
    assert keys_under(s3, BUCKETS["MPR_OUTPUT_BUCKET"]) == []


TWO_AUDIO = "input/two-audio.mp4"


def two_audio_source(tmp_path: Path, seconds: int = 3) -> list[dict[str, object]]:
    """A clip of `seconds` with an English (as long) and a Spanish (1 s shorter, default)
    track, in the input bucket; its audio tracks as ffprobe measures them."""
    clip = tmp_path / "two-audio.mp4"
    ffmpeg(
        *("-f", "lavfi", "-i", f"testsrc2=s=320x180:r=25:d={seconds}"),
        *("-f", "lavfi", "-i", f"sine=f=440:r=48000:d={seconds}"),
        *("-f", "lavfi", "-i", f"sine=r=48000:d={seconds - 1}"),
        *("-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264", "-g", "25"),
        *("-pix_fmt", "yuv420p", "-c:a", "aac"),
        *("-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=spa"),
        *("-disposition:a:0", "0", "-disposition:a:1", "default", str(clip)),
    )
    boto3.client("s3", region_name=REGION).upload_file(
        str(clip), BUCKETS["MPR_INPUT_BUCKET"], TWO_AUDIO
    )
    return audio_tracks(clip)


def test_every_audio_track_and_an_audio_only_output_come_through_the_asl(
    state_machine: str, jobs: DynamoJobStore, s3: Any, tmp_path: Path
) -> None:
    # Given a source with two audio tracks and a job for an HLS ladder and AAC audio only
    source = two_audio_source(tmp_path)
    spec = SPEC.model_copy(
        update={
            "source": TWO_AUDIO,
            "presets": [SPEC.presets[1], builtin_presets()["audio-aac"]],
        }
    )
    # When it runs through the real ASL (the audio encoded once, beside the chunks)
    described = run_job(state_machine, jobs, "sfn-audio", spec)
    assert described["status"] == "SUCCEEDED", described
    output = BUCKETS["MPR_OUTPUT_BUCKET"]
    for key in keys_under(s3, output, "sfn-audio/"):
        target = tmp_path / "cloud" / key
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(output, key, str(target))
    done = tmp_path / "cloud" / "sfn-audio"
    # Then the master offers both tracks, the Spanish one the default
    master = m3u8.load(str(done / "ladder" / "master.m3u8"))
    assert [(m.language, m.default) for m in master.media] == [("en", "NO"), ("es", "YES")]
    # and the M4A holds both, each as long as the source's track (one AAC frame at most)
    m4a = audio_tracks(done / "audio-aac.m4a")
    assert [(t["language"], t["default"]) for t in m4a] == [("eng", False), ("spa", True)]
    for got, want in zip(m4a, source, strict=True):
        assert abs(float(str(got["duration"])) - float(str(want["duration"]))) < 1024 / 48000


def test_a_job_of_audio_only_runs_no_chunk_through_the_asl(
    state_machine: str, jobs: DynamoJobStore, s3: Any, tmp_path: Path
) -> None:
    # Given a job whose only output is Opus audio
    two_audio_source(tmp_path)
    spec = SPEC.model_copy(
        update={"source": TWO_AUDIO, "presets": [builtin_presets()["audio-opus"]]}
    )
    # When it runs through the real ASL
    described = run_job(state_machine, jobs, "sfn-opus", spec)
    # Then it succeeded with no chunk task, its M4A in the outputs
    assert described["status"] == "SUCCEEDED", described
    job = jobs.get("sfn-opus")
    assert (job.status, job.chunks_total) == (JobStatus.SUCCEEDED, 0)
    assert "sfn-opus/audio-opus.m4a" in keys_under(s3, BUCKETS["MPR_OUTPUT_BUCKET"], "sfn-opus/")


def count_encodes(faults: dict[str, Fault]) -> list[str]:
    """Note every encode invocation (chunk or audio) by its stage."""
    started: list[str] = []

    def note(stage: str) -> Fault:
        return lambda event: started.append(stage)

    for stage in ("encode_chunk", "encode_audio"):
        faults[stage] = note(stage)
    return started


def test_tracks_the_audio_function_cannot_encode_fail_the_job_at_plan_naming_their_count(
    state_machine: str,
    jobs: DynamoJobStore,
    faults: dict[str, Fault],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # Given an audio function of 1 s (half planned) and a 14 s source with two tracks: one
    # AAC encoding of both takes 2 x 14 s x the calibration's CPU-s a track-second
    rate = load_calibration().audio_cpu_per_second
    longest = int(0.5 / (2 * rate))
    assert longest == 13
    monkeypatch.setenv("MPR_AUDIO_TMP_MB", "512")
    monkeypatch.setenv("MPR_AUDIO_TIMEOUT_SECONDS", "1")
    get_settings.cache_clear()
    encodes = count_encodes(faults)
    two_audio_source(tmp_path, seconds=14)
    spec = SPEC.model_copy(update={"source": TWO_AUDIO, "presets": [SPEC.presets[1]]})

    # When the job runs
    described = run_job(state_machine, jobs, "sfn-no-audio-room", spec)

    # Then plan refused it, naming the track count and the audio function's cap, before
    # any encode
    assert described["status"] == "FAILED", described
    job = jobs.get("sfn-no-audio-room")
    assert (job.status, job.error_cause) == (JobStatus.FAILED, "LimitExceededError")
    assert job.error == (
        "LimitExceededError: the audio task encodes 2 audio tracks (1 encoding each) in one "
        "function, whose timeout of 1 s holds at most 13 s; the output lasts 14.0 s (carry "
        "fewer tracks with audio_languages, or trim the source)"
    )
    assert encodes == []


def test_a_source_over_the_probe_cap_fails_the_job_before_any_encode(
    state_machine: str,
    jobs: DynamoJobStore,
    faults: dict[str, Fault],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the stack's cap on every job's source (infra/caps.py) below the clip's 10 s
    monkeypatch.setenv("MPR_MAX_DURATION_SECONDS", "5")
    get_settings.cache_clear()
    encodes = count_encodes(faults)

    # When the job runs
    described = run_job(state_machine, jobs, "sfn-too-long")

    # Then probe refused it, with the cap, and nothing was encoded
    assert described["status"] == "FAILED", described
    job = jobs.get("sfn-too-long")
    assert (job.status, job.error_cause) == (JobStatus.FAILED, "LimitExceededError")
    assert job.error == "LimitExceededError: source lasts 10.0 s; the limit is 5 s"
    assert encodes == []


def test_an_mp4_the_stitch_cannot_join_fails_the_job_at_plan_naming_the_preset(
    state_machine: str,
    jobs: DynamoJobStore,
    faults: dict[str, Fault],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a stitch function of 1 s (half planned: 0.5 s x 90 MB/s, down and up, moves
    # 22.5 MB: 1.80 s at 100,000 kb/s), and a job whose MP4 has that bitrate cap (the clip
    # has no audio)
    monkeypatch.setenv("MPR_STITCH_TMP_MB", "10240")
    monkeypatch.setenv("MPR_STITCH_TIMEOUT_SECONDS", "1")
    get_settings.cache_clear()
    encodes = count_encodes(faults)
    huge = VideoRendition(name="240p-max", height=240, max_bitrate_kbps=100_000, crf=28)
    spec = SPEC.model_copy(
        update={"presets": [*SPEC.presets, Preset(name="master", kind="mp4", renditions=[huge])]}
    )

    # When the job runs
    described = run_job(state_machine, jobs, "sfn-no-stitch", spec)

    # Then plan refused it, naming the preset and the stitch function's cap, before encodes
    assert described["status"] == "FAILED", described
    job = jobs.get("sfn-no-stitch")
    assert (job.status, job.error_cause) == (JobStatus.FAILED, "LimitExceededError")
    assert job.error == (
        "LimitExceededError: preset 'master': its MP4 (240p-max, 100000 kb/s) is stitched by one "
        "function, whose timeout of 1 s holds at most 1 s; the output lasts 10.0 s "
        "(trim the source or choose an HLS preset)"
    )
    assert encodes == []
