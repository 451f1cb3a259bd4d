"""Uploads: tickets, bytes (whole or in parts), status, and the preview files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.sse import EventSourceResponse, ServerSentEvent

from mpr.adapters.api_keys import ApiKey
from mpr.api import files, jobs_service, uploads_service
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
from mpr.api.schemas import (
    MultipartTicket,
    PartUrl,
    UploadComplete,
    UploadCreate,
    UploadPurpose,
    UploadStatus,
    UploadTicket,
    UploadView,
)
from mpr.api.streams import follow
from mpr.api.uploads_service import FIRST_SHEET, PREVIEW_NAME, UploadRecord
from mpr.core.errors import NotFoundError
from mpr.core.tokens import UrlSigner
from mpr.services import Services

router = APIRouter(prefix="/v1/uploads", tags=["uploads"], responses=PROBLEM_RESPONSES)
UploadId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def _view(
    request: Request, services: Services, signer: UrlSigner, key: ApiKey, record: UploadRecord
) -> UploadView:
    base = api_url(request, f"v1/uploads/{record.upload_id}/signed/")
    token = signer.token(f"upload:{record.upload_id}", key.key_id)
    previews = record.status is UploadStatus.READY and record.purpose is UploadPurpose.SOURCE
    has_source = record.status is not UploadStatus.PENDING
    return UploadView(
        upload_id=record.upload_id,
        filename=record.filename,
        size=record.size,
        purpose=record.purpose,
        status=record.status,
        parts_received=uploads_service.parts_received(services, record),
        media=record.media,
        error=record.error,
        job_id=record.job_id,
        source_url=f"{base}{token}/source" if has_source else None,
        poster_url=f"{base}{token}/poster.jpg" if previews else None,
        sprite_url=f"{base}{token}/{FIRST_SHEET}" if previews else None,
        sprite_vtt_url=f"{base}{token}/sprite.vtt" if previews else None,
    )


def _after_upload(services: Services, record: UploadRecord) -> None:
    """Hand an UPLOADED source to its probe: its own function (cloud), or a worker thread."""
    if services.upload_processor is not None:
        services.upload_processor(record.upload_id)
        return
    services.background(lambda: jobs_service.start_job_from_upload(services, record.upload_id))


@router.post("", status_code=201, summary="Start an upload: where and how to send the file")
def create_upload(
    body: UploadCreate, request: Request, key: ApiKeyDep, services: ServicesDep
) -> UploadTicket:
    record = uploads_service.create(services, body, key.key_id)
    base = api_url(request, f"v1/uploads/{record.upload_id}")
    presigner = services.presigner
    headers: dict[str, str] = {}
    multipart = None
    if presigner is None:
        url = f"{base}/content"
        if record.part_size is not None:
            multipart = MultipartTicket(
                part_size=record.part_size,
                parts=[
                    PartUrl(part_number=n, url=f"{base}/parts/{n}")
                    for n in range(1, record.part_count + 1)
                ],
                complete_url=f"{base}/complete",
            )
    elif record.s3_upload_id is None:
        url = presigner.presigned_put(record.key, record.content_type)
        headers = {"Content-Type": record.content_type}
    else:
        assert record.part_size is not None
        url = f"{base}/complete"
        multipart = MultipartTicket(
            part_size=record.part_size,
            parts=[
                PartUrl(
                    part_number=n,
                    url=presigner.presigned_part(record.key, record.s3_upload_id, n),
                )
                for n in range(1, record.part_count + 1)
            ],
            complete_url=f"{base}/complete",
        )
    return UploadTicket(
        upload_id=record.upload_id,
        url=url,
        headers=headers,
        expires_at=record.expires_at,
        multipart=multipart,
    )


@router.get("/{upload_id}", summary="An upload's state: parts received, probe results, previews")
def get_upload(
    upload_id: UploadId, request: Request, key: ApiKeyDep, services: ServicesDep, signer: SignerDep
) -> UploadView:
    record = _current(services, uploads_service.owned(services, upload_id, Caller.of(key)))
    return _view(request, services, signer, key, record)


def existing_upload(upload_id: UploadId, key: ApiKeyDep, services: ServicesDep) -> UploadRecord:
    """The caller's upload, looked up (key first) before a streamed response starts."""
    return uploads_service.owned(services, upload_id, Caller.of(key))


def _current(services: Services, record: UploadRecord) -> UploadRecord:
    """The upload as it stands, handed to its probe if it has just been noticed as sent."""
    refreshed = uploads_service.refresh(services, record)
    if refreshed is not record:
        _after_upload(services, refreshed)
    return refreshed


def _settled(record: UploadRecord) -> bool:
    """Final, and the job it asked for (`start_job`) made, if it is READY."""
    asked = record.start_job is not None and record.status is UploadStatus.READY
    return record.status in uploads_service.FINAL and not (asked and record.job_id is None)


@router.get(
    "/{upload_id}/events",
    response_class=EventSourceResponse,
    summary="Follow an upload: `progress` events (the Upload as JSON) until it is final",
)
async def upload_events(
    upload: Annotated[UploadRecord, Depends(existing_upload)],
    request: Request,
    key: ApiKeyDep,
    services: ServicesDep,
    signer: SignerDep,
) -> AsyncIterator[ServerSentEvent]:
    events = follow(
        request,
        await run_in_threadpool(_current, services, upload),
        read=lambda: _current(services, uploads_service.load(services, upload.upload_id)),
        state=lambda u: (u.status, u.job_id, u.error),
        final=lambda u: (
            u.status in uploads_service.FINAL
            and (u.start_job is None or u.job_id is not None or u.status is not UploadStatus.READY)
        ),
        render=lambda u: _view(request, services, signer, key, u),
    )
    async for event in events:
        yield event


@router.put(
    "/{upload_id}/content",
    summary="Send the whole file (embedded mode)",
    responses=CONFLICT_RESPONSE,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def put_content(
    upload_id: UploadId, request: Request, key: ApiKeyDep, services: ServicesDep, signer: SignerDep
) -> UploadView:
    record = await run_in_threadpool(uploads_service.owned, services, upload_id, Caller.of(key))
    record = await uploads_service.receive_content(services, record, request.stream())
    _after_upload(services, record)
    return _view(request, services, signer, key, record)


@router.put(
    "/{upload_id}/parts/{part_number}",
    summary="Send one part of a multipart upload (embedded mode)",
    responses=CONFLICT_RESPONSE,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def put_part(
    upload_id: UploadId,
    part_number: Annotated[int, Path(ge=1, le=10_000)],
    request: Request,
    key: ApiKeyDep,
    services: ServicesDep,
    signer: SignerDep,
) -> UploadView:
    record = await run_in_threadpool(uploads_service.owned, services, upload_id, Caller.of(key))
    await uploads_service.receive_part(services, record, part_number, request.stream())
    return _view(request, services, signer, key, record)


@router.post(
    "/{upload_id}/complete",
    summary="Finish an upload once every part is sent",
    responses=CONFLICT_RESPONSE,
)
def complete_upload(
    upload_id: UploadId,
    request: Request,
    key: ApiKeyDep,
    services: ServicesDep,
    signer: SignerDep,
    body: Annotated[UploadComplete | None, Body()] = None,
) -> UploadView:
    record = uploads_service.owned(services, upload_id, Caller.of(key))
    record = uploads_service.complete(services, record, body or UploadComplete())
    _after_upload(services, record)
    return _view(request, services, signer, key, record)


@router.get("/{upload_id}/source", summary="The uploaded file (Range requests supported)")
def get_source(upload_id: UploadId, key: ApiKeyDep, services: ServicesDep) -> Response:
    return _serve(services, upload_id, "source", Caller.of(key))


@router.get("/{upload_id}/preview/{name}", summary="poster.jpg, sprite.vtt or sprite_NNN.jpg")
def get_preview(upload_id: UploadId, name: str, key: ApiKeyDep, services: ServicesDep) -> Response:
    return _serve(services, upload_id, name, Caller.of(key))


@router.get(
    "/{upload_id}/signed/{token}/{name}",
    summary="The source or a preview file by signed URL (as returned for an upload)",
)
def get_signed(
    upload_id: UploadId,
    token: str,
    name: str,
    request: Request,
    services: ServicesDep,
    signer: SignerDep,
    failures: FailureLimiterDep,
) -> Response:
    key = signed_key(request, services, signer, failures, f"upload:{upload_id}", token)
    return _serve(services, upload_id, name, Caller.of(key))


def _serve(services: Services, upload_id: str, name: str, caller: Caller) -> Response:
    record = uploads_service.owned(services, upload_id, caller)
    if name == "source":
        if record.status is UploadStatus.PENDING:
            raise NotFoundError(f"upload {upload_id} has not been received yet")
        return files.serve(
            services.inputs, record.key, record.content_type, services.links.get("input")
        )
    if not PREVIEW_NAME.match(name):
        raise NotFoundError(f"no preview file '{name}'")
    key = uploads_service.preview_key(upload_id, name)
    return files.serve(services.state, key, link=services.links.get("state"))
