"""Internal callbacks from the pipeline, signed like webhooks (see `webhook_notifier`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ValidationError

from mpr.adapters.webhook_notifier import verify
from mpr.api.deps import ServicesDep
from mpr.api.errors import CONFLICT_RESPONSE, PROBLEM_RESPONSES
from mpr.core.errors import InvalidInputError, JobStateError
from mpr.core.jobs import TERMINAL

router = APIRouter(prefix="/v1/jobs", tags=["internal"], responses=PROBLEM_RESPONSES)


class CallbackEvent(BaseModel):
    type: Literal["job.ended"]


class CallbackAccepted(BaseModel):
    accepted: bool = True


@router.post(
    "/{job_id}/callback",
    status_code=202,
    summary="Pipeline callback: a job ended, send its webhook (HMAC-signed, internal)",
    responses=CONFLICT_RESPONSE,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CallbackEvent.model_json_schema()}},
        }
    },
)
async def job_callback(
    job_id: str,
    request: Request,
    services: ServicesDep,
    x_mpr_timestamp: Annotated[str | None, Header()] = None,
    x_mpr_signature: Annotated[str | None, Header()] = None,
) -> CallbackAccepted:
    body = await request.body()
    problem = verify(services.callback_secret, x_mpr_timestamp, x_mpr_signature, body, None)
    if problem is not None:
        raise HTTPException(401, f"callback refused: {problem}")
    try:
        CallbackEvent.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidInputError(
            f"callback body is not a job.ended event: {exc.errors()[0]['msg']}"
        ) from exc
    job = await run_in_threadpool(services.jobs.get, job_id)
    if job.status not in TERMINAL:
        raise JobStateError(f"job {job_id} is {job.status.value}; it has not ended")
    services.background(lambda: services.notifier.job_ended(job))
    return CallbackAccepted()
