"""Wiring: the adapters one API process uses, built from Settings.

Three shapes: embedded (a directory and SQLite under `data_dir`, jobs run by a local worker
pool), S3 storage with the local runner (`mpr serve --storage s3://BUCKET`), and the cloud
(S3 buckets, DynamoDB, Step Functions; built for the API Lambda).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mpr.adapters.api_keys import ApiKeyStore, SqliteApiKeyStore
from mpr.adapters.job_outputs import WebhookOutputs
from mpr.adapters.webhook_notifier import (
    DeliveryLog,
    OutputsOf,
    StorageDeliveryLog,
    WebhookNotifier,
    WebhookSender,
)
from mpr.core import keys
from mpr.core.errors import InvalidInputError
from mpr.core.tokens import UrlSigner
from mpr.media.tools import Tools
from mpr.ports import JobStore, Notifier, Orchestrator, Storage, UploadStore
from mpr.settings import Settings, usable_cores

if TYPE_CHECKING:
    from mpr.adapters.celery_pipeline import WorkerRuntime
    from mpr.adapters.postgres_db import PostgresDatabase
    from mpr.api.uploads_service import UploadRecord

log = logging.getLogger(__name__)

CLOUD_STATE_PREFIX = "_mpr/"


class Presigner(Protocol):
    """Presigned browser uploads straight to object storage (S3Storage)."""

    def presigned_put(self, key: str, content_type: str, expires: int | None = None) -> str: ...

    def create_multipart(self, key: str, content_type: str | None = None) -> str: ...

    def presigned_part(
        self, key: str, upload_id: str, part_number: int, expires: int | None = None
    ) -> str: ...

    def complete_multipart(
        self, key: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> None: ...


Background = Callable[[Callable[[], None]], None]


@dataclass
class Services:
    """Everything the API needs; routes reach it through `mpr.api.deps`."""

    settings: Settings
    inputs: Storage
    outputs: Storage
    state: Storage  # the API's own files: upload parts and previews, custom presets
    uploads: UploadStore[UploadRecord]
    jobs: JobStore
    launcher: Orchestrator
    notifier: Notifier
    deliveries: DeliveryLog
    keys: ApiKeyStore
    tools: Tools
    url_secret: bytes
    callback_secret: bytes
    background: Background
    presigner: Presigner | None = None
    links: dict[str, Storage] = field(
        default_factory=dict,
        metadata={"doc": "storage by area (input/output/state) that presigns client URLs"},
    )
    output_prefix: str = "{job_id}/"
    public_base_url: str | None = None  # URLs the API returns start here; None: the request's
    upload_dir: Path | None = None  # where uploaded bytes arrive (embedded); checked for room
    upload_processor: Callable[[str], None] | None = field(
        default=None,
        metadata={
            "doc": "hands an UPLOADED upload's id to its own function (cloud); "
            "None: probed in `background`"
        },
    )
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in reversed(self.closers):
            close()
        self.closers.clear()


def _secret_file(path: Path) -> bytes:
    """A random secret kept in a file readable by its owner only (made on first use)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip().encode()


def _derive(secret: bytes, purpose: str) -> bytes:
    return hmac.new(secret, purpose.encode(), hashlib.sha256).digest()


def webhook_secret_file(settings: Settings) -> Path:
    """Where the embedded mode keeps its webhook secret when MPR_WEBHOOK_SECRET is unset."""
    return settings.data_dir / "webhook-secret"


def embedded_secrets(settings: Settings) -> tuple[bytes, bytes]:
    """(webhook secret, callback secret): from settings, else random ones kept under data_dir
    (the webhook secret as text in `webhook-secret`, for receivers to copy)."""
    webhook = settings.webhook_secret
    callback = settings.callback_secret
    return (
        webhook.get_secret_value().encode()
        if webhook
        else _secret_file(webhook_secret_file(settings)),
        callback.get_secret_value().encode()
        if callback
        else _derive(_secret_file(settings.data_dir / "secret.key"), "callback"),
    )


def url_secret(settings: Settings, callback_secret: bytes) -> bytes:
    """What file URL tokens are signed with: MPR_URL_SIGNING_SECRET, else a key derived
    from the callback secret (the same in the API and in the processes sending webhooks)."""
    if settings.url_signing_secret:
        return settings.url_signing_secret.get_secret_value().encode()
    return _derive(callback_secret, "url-tokens")


def webhook_outputs(settings: Settings, outputs: Storage, secret: bytes) -> WebhookOutputs:
    """The outputs webhooks carry, with URLs signed by `secret` (see `url_secret`) that work
    for MPR_WEBHOOK_URL_SECONDS."""
    return WebhookOutputs(
        outputs, UrlSigner(secret, settings.webhook_url_seconds), settings.api_base_url
    )


def webhook_sender(settings: Settings, secret: bytes) -> WebhookSender:
    """Signs webhook attempts with `secret` and sends them where the settings allow."""
    return WebhookSender(
        secret,
        allow_private=settings.allow_private_webhooks,
        timeout_seconds=settings.webhook_timeout_seconds,
    )


def webhook_notifier(
    settings: Settings, secret: bytes, deliveries: DeliveryLog, outputs: OutputsOf
) -> WebhookNotifier:
    """Job-ended webhooks signed with `secret`, carrying `outputs`, every attempt recorded in
    `deliveries`."""
    return WebhookNotifier(
        webhook_sender(settings, secret),
        deliveries,
        api_base_url=settings.api_base_url,
        outputs=outputs,
        max_attempts=settings.webhook_max_attempts,
        backoff_seconds=settings.webhook_backoff_seconds,
    )


def cloud_state(settings: Settings) -> Storage:
    """The API's own files in the cloud (upload previews, custom presets, webhook
    deliveries): `_mpr/` in the output bucket. Upload records are in the uploads table."""
    from mpr.adapters.s3_storage import S3Storage

    if not settings.output_bucket:
        raise InvalidInputError("the API's records need MPR_OUTPUT_BUCKET")
    return S3Storage.from_settings(settings, settings.output_bucket, CLOUD_STATE_PREFIX)


def cloud_notifier(settings: Settings) -> WebhookNotifier:
    """The webhooks the pipeline sends when a job ends in the cloud: signed and recorded
    exactly as the API's (its job view lists the deliveries)."""
    from mpr.adapters.s3_storage import S3Storage

    if not settings.webhook_secret or not settings.output_bucket:
        raise InvalidInputError("webhooks need MPR_WEBHOOK_SECRET and MPR_OUTPUT_BUCKET")
    if not settings.callback_secret and not settings.url_signing_secret:
        raise InvalidInputError("webhook URLs need MPR_CALLBACK_SECRET or MPR_URL_SIGNING_SECRET")
    secret = settings.webhook_secret.get_secret_value().encode()
    callback = (
        settings.callback_secret.get_secret_value().encode() if settings.callback_secret else b""
    )
    outputs = S3Storage.from_settings(settings, settings.output_bucket)
    return webhook_notifier(
        settings,
        secret,
        StorageDeliveryLog(cloud_state(settings)),
        webhook_outputs(settings, outputs, url_secret(settings, callback)),
    )


def parse_storage_url(url: str) -> tuple[str, str]:
    """`s3://BUCKET[/PREFIX]` -> (bucket, prefix ending in `/` or empty)."""
    if not url.startswith("s3://") or len(url) <= 5:
        raise InvalidInputError(f"storage must look like s3://BUCKET[/PREFIX], not {url!r}")
    bucket, _, prefix = url[5:].partition("/")
    return bucket, (prefix.strip("/") + "/") if prefix.strip("/") else ""


@dataclass(frozen=True)
class StorageAreas:
    """Where a local or self-hosted installation keeps its files."""

    inputs: Storage
    outputs: Storage
    work: Storage
    state: Storage
    presigner: Presigner | None = None
    links: dict[str, Storage] = field(default_factory=dict)


def storage_areas(settings: Settings, storage_url: str | None) -> StorageAreas:
    """Directories under data_dir, or prefixes of an S3 bucket (`s3://BUCKET[/PREFIX]`)."""
    from mpr.adapters.local_storage import LocalStorage

    if storage_url is None:
        data = settings.data_dir
        return StorageAreas(
            LocalStorage(data / "input"),
            LocalStorage(data / "output"),
            LocalStorage(data / "work"),
            LocalStorage(data / "state"),
        )
    from mpr.adapters.s3_storage import S3Storage

    bucket, prefix = parse_storage_url(storage_url)
    inputs, outputs, work, state = (
        S3Storage.from_settings(settings, bucket, f"{prefix}{name}/")
        for name in ("input", "output", "work", "state")
    )
    public = settings
    if settings.s3_public_endpoint_url:
        public = settings.model_copy(update={"s3_endpoint_url": settings.s3_public_endpoint_url})
    s3_links = {
        name: S3Storage.from_settings(public, bucket, f"{prefix}{name}/")
        for name in ("input", "output", "state")
    }
    return StorageAreas(
        inputs, outputs, work, state, presigner=s3_links["input"], links=dict(s3_links)
    )


def build_local(
    settings: Settings,
    *,
    storage_url: str | None = None,
) -> Services:
    """Embedded mode (directory storage), or S3 storage with the local runner and SQLite;
    with MPR_DATABASE_URL jobs live in PostgreSQL, with MPR_QUEUE_URL `mpr worker`
    processes run them. The local runner holds the data directory's lock until `close` (a
    second server on it refuses to start)."""
    data = settings.data_dir
    # uploads spool here and /healthz measures its free space, whichever store keeps the jobs
    data.mkdir(parents=True, exist_ok=True)
    areas = storage_areas(settings, storage_url)
    webhook_secret, callback_secret = embedded_secrets(settings)
    signing = url_secret(settings, callback_secret)
    outputs = webhook_outputs(settings, areas.outputs, signing)
    deliveries = delivery_log(settings, state=areas.state)
    tools = Tools.from_settings(settings)
    jobs = job_store(settings)
    background = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mpr-api")
    closers: list[Callable[[], None]] = [lambda: background.shutdown(wait=True)]
    launcher: Orchestrator
    notifier: Notifier
    if settings.queue_url:
        launcher = queue_launcher(settings, areas.work)
        notifier = webhook_notifier(settings, webhook_secret, deliveries, outputs)
    else:
        launcher, notifier, stoppers = _local_runner(
            settings,
            areas,
            jobs,
            tools,
            webhook_sender(settings, webhook_secret),
            deliveries,
            outputs,
        )
        closers = [*stoppers[:2], *closers, *stoppers[2:]]
    return Services(
        settings=settings,
        inputs=areas.inputs,
        outputs=areas.outputs,
        state=areas.state,
        uploads=upload_store(settings, areas.state),
        jobs=jobs,
        launcher=launcher,
        notifier=notifier,
        deliveries=deliveries,
        keys=key_store(settings),
        tools=tools,
        url_secret=signing,
        callback_secret=callback_secret,
        background=lambda task: _submit(background, task),
        presigner=areas.presigner,
        links=areas.links,
        upload_dir=data / "incoming",
        closers=closers,
    )


def _local_runner(
    settings: Settings,
    areas: StorageAreas,
    jobs: JobStore,
    tools: Tools,
    sender: WebhookSender,
    deliveries: DeliveryLog,
    outputs: OutputsOf,
) -> tuple[Orchestrator, Notifier, list[Callable[[], None]]]:
    """The in-process job runner over the data directory (locked, scratch swept), its
    queued webhook sender, and what closes them: (lock release, notifier close, runner
    shutdown), closed in reverse."""
    from mpr.adapters.data_dir import DataDirLock, fresh_scratch
    from mpr.adapters.disk_space import SpaceLedger
    from mpr.adapters.job_runner import JobRunner
    from mpr.adapters.local_orchestrator import LocalPipeline
    from mpr.adapters.webhook_queue import QueuedNotifier, SqliteDeliveryQueue
    from mpr.stages import StageContext

    data = settings.data_dir
    lock = DataDirLock(data)  # released by `close`, or by the kernel when the process ends
    scratch = fresh_scratch(data)
    notifier = QueuedNotifier(
        SqliteDeliveryQueue(data / "jobs.db"),
        sender,
        deliveries,
        api_base_url=settings.api_base_url,
        outputs=outputs,
        max_attempts=settings.webhook_max_attempts,
        backoff_seconds=settings.webhook_backoff_seconds,
        concurrency=settings.webhook_concurrency,
    )
    space = SpaceLedger(data, settings.free_space_reserve_bytes)
    ctx = StageContext(
        inputs=areas.inputs,
        work=areas.work,
        outputs=areas.outputs,
        tools=tools,
        limits=settings.limits,
        scratch_dir=scratch,
    )
    runner = JobRunner(
        jobs,
        lambda: LocalPipeline(ctx, workers=settings.workers, space=space),
        notifier,
        areas.work,
        concurrency=settings.concurrent_jobs,
    )
    runner.recover()
    return runner, notifier, [lock.release, notifier.close, runner.shutdown]


def _submit(pool: ThreadPoolExecutor, task: Callable[[], None]) -> None:
    pool.submit(task).add_done_callback(_log_failure)


def _log_failure(future: Future[None]) -> None:
    error = None if future.cancelled() else future.exception()
    if error is not None:
        log.error("background task failed", exc_info=error)


def _run_now(task: Callable[[], None]) -> None:
    task()


def build_cloud(settings: Settings) -> Services:
    """The wiring of the API and upload Lambdas: S3 buckets, DynamoDB jobs, uploads and keys,
    Step Functions."""
    import boto3

    from mpr.adapters.dynamo_jobs import DynamoJobStore
    from mpr.adapters.dynamo_uploads import DynamoUploadStore
    from mpr.adapters.s3_storage import S3Storage
    from mpr.adapters.sfn_orchestrator import SfnOrchestrator
    from mpr.api.uploads_service import UploadRecord

    missing = [
        name
        for name, value in (
            ("MPR_INPUT_BUCKET", settings.input_bucket),
            ("MPR_OUTPUT_BUCKET", settings.output_bucket),
            ("MPR_JOBS_TABLE", settings.jobs_table),
            ("MPR_UPLOADS_TABLE", settings.uploads_table),
            ("MPR_STATE_MACHINE_ARN", settings.state_machine_arn),
            ("MPR_API_KEYS_TABLE", settings.api_keys_table),
            ("MPR_CALLBACK_SECRET", settings.callback_secret),
            ("MPR_WEBHOOK_SECRET", settings.webhook_secret),
        )
        if not value
    ]
    if missing:
        raise InvalidInputError(f"the API needs these settings: {', '.join(missing)}")
    assert settings.input_bucket
    assert settings.output_bucket
    assert settings.state_machine_arn
    assert settings.callback_secret
    assert settings.webhook_secret
    inputs = S3Storage.from_settings(settings, settings.input_bucket)
    outputs = S3Storage.from_settings(settings, settings.output_bucket)
    state = cloud_state(settings)
    deliveries = StorageDeliveryLog(state)
    callback_secret = settings.callback_secret.get_secret_value().encode()
    signing = url_secret(settings, callback_secret)
    notifier = webhook_notifier(
        settings,
        settings.webhook_secret.get_secret_value().encode(),
        deliveries,
        webhook_outputs(settings, outputs, signing),
    )
    jobs = DynamoJobStore.from_settings(settings)
    work = S3Storage.from_settings(settings, settings.work_bucket) if settings.work_bucket else None

    def cancelled(job_id: str) -> None:
        # without MPR_WORK_BUCKET the work bucket's lifecycle rule removes the files
        if work is not None:
            work.delete_prefix(keys.work_prefix(job_id))
        notifier.job_ended(jobs.get(job_id))

    return Services(
        settings=settings,
        inputs=inputs,
        outputs=outputs,
        state=state,
        # the API and upload functions update one upload: conditional writes, never lost
        uploads=DynamoUploadStore.from_settings(settings, UploadRecord.model_validate_json),
        jobs=jobs,
        launcher=SfnOrchestrator(
            boto3.client("stepfunctions", region_name=settings.s3_region),
            settings.state_machine_arn,
            on_cancelled=cancelled,
        ),
        notifier=notifier,
        deliveries=deliveries,
        keys=key_store(settings),
        tools=Tools.from_settings(settings),
        url_secret=signing,
        callback_secret=callback_secret,
        background=_run_now,
        presigner=inputs,
        public_base_url=settings.api_base_url,
        upload_processor=_upload_processor(settings),
    )


def _upload_processor(settings: Settings) -> Callable[[str], None]:
    """Uploads are probed by their own function (MPR_UPLOAD_FUNCTION_NAME), never inside an
    API request; that function itself, which probes, needs no such name."""
    import boto3

    from mpr.adapters.lambda_invoker import AsyncInvoker

    name = settings.upload_function_name
    if not name:

        def unconfigured(upload_id: str) -> None:
            raise InvalidInputError("the API needs MPR_UPLOAD_FUNCTION_NAME to probe uploads")

        return unconfigured
    client = boto3.client("lambda", region_name=settings.s3_region)
    return AsyncInvoker(client, name, field="upload_id")


def key_store(settings: Settings) -> ApiKeyStore:
    """The API key store: DynamoDB when a keys table is set, else SQLite under data_dir."""
    if settings.api_keys_table:
        import boto3

        from mpr.adapters.api_keys import DynamoApiKeyStore

        dynamo: Any = boto3.resource("dynamodb", region_name=settings.s3_region)
        return DynamoApiKeyStore(dynamo.Table(settings.api_keys_table))
    if settings.database_url:
        from mpr.adapters.postgres_records import PostgresApiKeyStore

        return PostgresApiKeyStore(postgres_database(settings))
    return SqliteApiKeyStore(settings.data_dir / "keys.db")


def postgres_database(settings: Settings) -> PostgresDatabase:
    """The PostgreSQL pools of this process (one per process: pools do not cross a fork)."""
    if not settings.database_url:
        raise InvalidInputError("PostgreSQL needs MPR_DATABASE_URL")
    return _database(
        settings.database_url, settings.database_read_url, settings.database_pool_size, os.getpid()
    )


@cache
def _database(url: str, read_url: str | None, pool_size: int, _pid: int) -> PostgresDatabase:
    from mpr.adapters.postgres_db import PostgresDatabase

    return PostgresDatabase(url, read_url, pool_size)


def job_store(settings: Settings) -> JobStore:
    """PostgreSQL when MPR_DATABASE_URL is set, else SQLite under data_dir."""
    if settings.database_url:
        from mpr.adapters.postgres_jobs import PostgresJobStore

        return PostgresJobStore(postgres_database(settings))
    from mpr.adapters.sqlite_jobs import SqliteJobStore

    return SqliteJobStore(settings.data_dir / "jobs.db")


def upload_store(settings: Settings, state: Storage) -> UploadStore[UploadRecord]:
    """Upload records of a self-hosted server: in PostgreSQL when MPR_DATABASE_URL is set,
    else in `state` (one process only)."""
    from mpr.api.uploads_service import UploadRecord

    if settings.database_url:
        from mpr.adapters.postgres_uploads import PostgresUploadStore

        return PostgresUploadStore(postgres_database(settings), UploadRecord.model_validate_json)
    from mpr.adapters.storage_uploads import StorageUploadStore

    return StorageUploadStore(state, UploadRecord.model_validate_json)


def delivery_log(settings: Settings, state: Storage) -> DeliveryLog:
    """Webhook deliveries in PostgreSQL when MPR_DATABASE_URL is set, else in `state`."""
    if settings.database_url:
        from mpr.adapters.postgres_records import PostgresDeliveryLog

        return PostgresDeliveryLog(postgres_database(settings))
    return StorageDeliveryLog(state)


def configure_queue(settings: Settings) -> None:
    """Point this process's Celery application at MPR_QUEUE_URL."""
    from mpr.adapters.celery_app import configure

    if not settings.queue_url:
        raise InvalidInputError("the job queue needs MPR_QUEUE_URL")
    configure(settings.queue_url, settings.queue_visibility_timeout_seconds)


def queue_launcher(settings: Settings, work: Storage) -> Orchestrator:
    """Jobs enqueued on Redis for `mpr worker` processes (Celery)."""
    from mpr.adapters.celery_orchestrator import CeleryOrchestrator

    configure_queue(settings)
    return CeleryOrchestrator(work)


def build_worker(settings: Settings, storage_url: str | None, concurrency: int) -> WorkerRuntime:
    """What the tasks of one `mpr worker` pool process need: storage, jobs, webhooks, and
    encoder threads for the cores each of the `concurrency` processes gets."""
    from mpr.adapters.celery_pipeline import WorkerRuntime
    from mpr.core.ffmpeg_args import x264_threads
    from mpr.stages import StageContext

    areas = storage_areas(settings, storage_url)
    webhook_secret, callback_secret = embedded_secrets(settings)
    per_process = max(1, usable_cores() // concurrency)
    ctx = StageContext(
        inputs=areas.inputs,
        work=areas.work,
        outputs=areas.outputs,
        tools=Tools.from_settings(settings),
        limits=settings.limits,
        encode_threads=x264_threads(per_process),
        decode_threads=per_process,
    )
    deliveries = delivery_log(settings, areas.state)
    return WorkerRuntime(
        ctx=ctx,
        jobs=job_store(settings),
        notifier=webhook_notifier(
            settings,
            webhook_secret,
            deliveries,
            webhook_outputs(settings, areas.outputs, url_secret(settings, callback_secret)),
        ),
    )
