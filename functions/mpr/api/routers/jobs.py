"""Jobs: create, list, read, cancel, retry, follow progress, download outputs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.sse import EventSourceResponse, ServerSentEvent

from mpr.api import files, jobs_service
from mpr.api.deps import ApiKeyDep, ServicesDep, SignerDep, api_url
from mpr.api.errors import CONFLICT_RESPONSE, PROBLEM_RESPONSES
from mpr.api.schemas import JobCreate, JobPage, JobView
from mpr.api.tokens import UrlSigner
from mpr.core.errors import NotFoundError
from mpr.core.jobs import TERMINAL
from mpr.core.models import JobRecord, JobStatus
from mpr.services import Services

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=PROBLEM_RESPONSES)
JobId = Annotated[str, "job id"]
POLL_SECONDS = 0.5
INVALID_TOKEN = "the URL's token is invalid or has expired; read the resource again"  # noqa: S105


def files_url(request: Request, signer: UrlSigner, job_id: str) -> str:
    token = signer.token(f"job:{job_id}")
    return api_url(request, f"v1/jobs/{job_id}/signed/{token}/")


def view(request: Request, services: Services, signer: UrlSigner, job: JobRecord) -> JobView:
    return jobs_service.job_view(services, job, files_url(request, signer, job.job_id))


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
            description="a retried request with the same key returns the first job",
        ),
    ] = None,
) -> JobView:
    job, _ = jobs_service.create_job(services, body, key.key_id, idempotency_key)
    return view(request, services, signer, job)


@router.get("", summary="List jobs, newest first")
def list_jobs(
    request: Request,
    _: ApiKeyDep,
    services: ServicesDep,
    signer: SignerDep,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> JobPage:
    items, next_cursor = services.jobs.list(status=status, limit=limit, cursor=cursor)
    return JobPage(
        items=[view(request, services, signer, job) for job in items], next_cursor=next_cursor
    )


@router.get("/{job_id}", summary="Read a job")
def get_job(
    job_id: JobId, request: Request, _: ApiKeyDep, services: ServicesDep, signer: SignerDep
) -> JobView:
    return view(request, services, signer, services.jobs.get(job_id))


@router.delete(
    "/{job_id}",
    status_code=202,
    summary="Cancel a queued or running job",
    responses=CONFLICT_RESPONSE,
)
def cancel_job(
    job_id: JobId, request: Request, _: ApiKeyDep, services: ServicesDep, signer: SignerDep
) -> JobView:
    return view(request, services, signer, jobs_service.cancel_job(services, job_id))


@router.post(
    "/{job_id}/retry",
    status_code=202,
    summary="Run a FAILED job again",
    responses=CONFLICT_RESPONSE,
)
def retry_job(
    job_id: JobId, request: Request, _: ApiKeyDep, services: ServicesDep, signer: SignerDep
) -> JobView:
    return view(request, services, signer, jobs_service.retry_job(services, job_id))


def existing_job(job_id: JobId, services: ServicesDep) -> JobRecord:
    """The job, looked up before a streamed response starts (404 if there is none)."""
    return services.jobs.get(job_id)


@router.get(
    "/{job_id}/events",
    response_class=EventSourceResponse,
    summary="Follow a job: `progress` events (the Job as JSON) until it ends",
)
async def job_events(
    job: Annotated[JobRecord, Depends(existing_job)],
    request: Request,
    _: ApiKeyDep,
    services: ServicesDep,
    signer: SignerDep,
) -> AsyncIterator[ServerSentEvent]:
    job_id = job.job_id
    last: tuple[object, ...] | None = None
    count = 0
    while True:
        state = (job.status, job.stage, job.chunks_done, job.chunks_total, job.updated_at)
        if state != last:
            last = state
            count += 1
            payload = await run_in_threadpool(view, request, services, signer, job)
            yield ServerSentEvent(
                event="progress", id=str(count), data=payload.model_dump(mode="json")
            )
        if job.status in TERMINAL or await request.is_disconnected():
            return
        await asyncio.sleep(POLL_SECONDS)
        job = await run_in_threadpool(services.jobs.get, job_id)


@router.get("/{job_id}/files/{path:path}", summary="Download an output file (API key)")
def get_file(job_id: JobId, path: str, _: ApiKeyDep, services: ServicesDep) -> Response:
    return _serve_output(services, job_id, path)


@router.get(
    "/{job_id}/signed/{token}/{path:path}",
    summary="Download an output file (signed URL, as returned in a job's outputs)",
)
def get_signed_file(
    job_id: JobId, token: str, path: str, services: ServicesDep, signer: SignerDep
) -> Response:
    if not signer.valid(f"job:{job_id}", token):
        raise HTTPException(401, INVALID_TOKEN)
    return _serve_output(services, job_id, path)


def _serve_output(services: Services, job_id: str, path: str) -> Response:
    if not path or path.startswith("/") or ".." in path.split("/"):
        raise NotFoundError(f"no file '{path}'")
    job = services.jobs.get(job_id)
    if job.status is not JobStatus.SUCCEEDED:
        raise NotFoundError(f"job {job_id} is {job.status.value}; it has no outputs yet")
    key = jobs_service.output_prefix(services, job_id) + path
    return files.serve(services.outputs, key, link=services.links.get("output"))
