"""Jobs: create, list, read, cancel, retry, follow progress, download outputs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent

from mpr.adapters.api_keys import ApiKey
from mpr.adapters.job_outputs import file_scope, signed_files_path
from mpr.api import files, jobs_service
from mpr.api.deps import (
    ApiKeyDep,
    FailureLimiterDep,
    ServicesDep,
    SignerDep,
    api_url,
    signed_key,
)
from mpr.api.errors import CONFLICT_RESPONSE, PROBLEM_RESPONSES
from mpr.api.owners import Caller
from mpr.api.schemas import JobCreate, JobPage, JobView
from mpr.api.streams import follow
from mpr.core.errors import NotFoundError
from mpr.core.jobs import TERMINAL
from mpr.core.models import JobRecord, JobStatus
from mpr.core.tokens import UrlSigner
from mpr.services import Services

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=PROBLEM_RESPONSES)
JobId = Annotated[str, "job id"]


def view(
    request: Request, services: Services, signer: UrlSigner, key: ApiKey, job: JobRecord
) -> JobView:
    """The job with output URLs signed for `key`."""
    token = signer.token(file_scope(job.job_id), key.key_id)
    folder = api_url(request, signed_files_path(job.job_id, token))
    return jobs_service.job_view(services, job, folder, signer.expires_at(token))


@router.post("", status_code=202, summary="Create a job")
def create_job(
    body: JobCreate,
    request: Request,
    key: ApiKeyDep,
    services: ServicesDep,
    signer: SignerDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=200,
            description="a retried request with the same key returns the first job; the "
            "same key with a different request is refused (422)",
        ),
    ] = None,
) -> JobView:
    job, _ = jobs_service.create_job(services, body, Caller.of(key), idempotency_key)
    return view(request, services, signer, key, job)


@router.get("", summary="List jobs, newest first (the key's own; an admin key's: all)")
def list_jobs(
    request: Request,
    key: ApiKeyDep,
    services: ServicesDep,
    signer: SignerDep,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> JobPage:
    owner = Caller.of(key).owner_filter
    items, next_cursor = services.jobs.list(status=status, limit=limit, cursor=cursor, owner=owner)
    return JobPage(
        items=[view(request, services, signer, key, job) for job in items],
        next_cursor=next_cursor,
    )


@router.get("/{job_id}", summary="Read a job")
def get_job(
    job_id: JobId, request: Request, key: ApiKeyDep, services: ServicesDep, signer: SignerDep
) -> JobView:
    job = jobs_service.owned_job(services, job_id, Caller.of(key))
    return view(request, services, signer, key, job)


@router.delete(
    "/{job_id}",
    status_code=202,
    summary="Cancel a queued or running job",
    responses=CONFLICT_RESPONSE,
)
def cancel_job(
    job_id: JobId, request: Request, key: ApiKeyDep, services: ServicesDep, signer: SignerDep
) -> JobView:
    job = jobs_service.cancel_job(services, job_id, Caller.of(key))
    return view(request, services, signer, key, job)


@router.post(
    "/{job_id}/retry",
    status_code=202,
    summary="Run a FAILED job again",
    responses=CONFLICT_RESPONSE,
)
def retry_job(
    job_id: JobId, request: Request, key: ApiKeyDep, services: ServicesDep, signer: SignerDep
) -> JobView:
    job = jobs_service.retry_job(services, job_id, Caller.of(key))
    return view(request, services, signer, key, job)


def existing_job(job_id: JobId, key: ApiKeyDep, services: ServicesDep) -> JobRecord:
    """The caller's job, looked up before a streamed response starts: the key is checked
    first, so a caller without one learns nothing about which ids exist."""
    return jobs_service.owned_job(services, job_id, Caller.of(key))


@router.get(
    "/{job_id}/events",
    response_class=EventSourceResponse,
    summary="Follow a job: `progress` events (the Job as JSON) until it ends",
)
async def job_events(
    job: Annotated[JobRecord, Depends(existing_job)],
    request: Request,
    key: ApiKeyDep,
    services: ServicesDep,
    signer: SignerDep,
) -> AsyncIterator[ServerSentEvent]:
    events = follow(
        request,
        job,
        read=lambda: jobs_service.owned_job(services, job.job_id, Caller.of(key)),
        state=lambda j: (j.status, j.stage, j.chunks_done, j.chunks_total, j.updated_at),
        final=lambda j: j.status in TERMINAL,
        render=lambda j: view(request, services, signer, key, j),
    )
    async for event in events:
        yield event


@router.get("/{job_id}/files/{path:path}", summary="Download an output file (API key)")
def get_file(job_id: JobId, path: str, key: ApiKeyDep, services: ServicesDep) -> Response:
    return _serve_output(services, job_id, path, Caller.of(key))


@router.get(
    "/{job_id}/signed/{token}/{path:path}",
    summary="Download an output file (signed URL, as returned in a job's outputs)",
)
def get_signed_file(
    job_id: JobId,
    token: str,
    path: str,
    request: Request,
    services: ServicesDep,
    signer: SignerDep,
    failures: FailureLimiterDep,
) -> Response:
    key = signed_key(request, services, signer, failures, file_scope(job_id), token)
    return _serve_output(services, job_id, path, Caller.of(key))


def _serve_output(services: Services, job_id: str, path: str, caller: Caller) -> Response:
    if not path or path.startswith("/") or ".." in path.split("/"):
        raise NotFoundError(f"no file '{path}'")
    job = jobs_service.owned_job(services, job_id, caller)
    if job.status is not JobStatus.SUCCEEDED:
        raise NotFoundError(f"job {job_id} is {job.status.value}; it has no outputs yet")
    key = jobs_service.output_prefix(services, job_id) + path
    return files.serve(services.outputs, key, link=services.links.get("output"))
