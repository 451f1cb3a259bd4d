"""RFC 9457 problem details: every error the API returns, mapped in one place."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from mpr.core.errors import (
    InsufficientStorageError,
    InvalidInputError,
    JobStateError,
    LimitExceededError,
    MprError,
    NotFoundError,
    RetryableError,
    UnknownPresetError,
)

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


class Problem(BaseModel):
    """An error response (RFC 9457)."""

    type: str = Field("about:blank", description="URI naming the kind of problem")
    title: str = Field(description="short summary of the kind of problem")
    status: int = Field(description="the HTTP status code")
    detail: str = Field(description="what went wrong with this request, for a human")


_STATUS_BY_ERROR: tuple[tuple[type[MprError], int], ...] = (
    (NotFoundError, 404),
    (JobStateError, 409),
    (UnknownPresetError, 422),
    (LimitExceededError, 422),
    (InvalidInputError, 422),
    (RetryableError, 503),
    (InsufficientStorageError, 507),
)

PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    code: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": text}
    for code, text in (
        (401, "missing or invalid API key or token"),
        (404, "no such resource"),
        (413, "request body too large"),
        (422, "the request is not valid"),
        (429, "rate limit exceeded; see Retry-After"),
        (507, "not enough free storage for the upload"),
    )
}


CONFLICT_RESPONSE: dict[int | str, dict[str, object]] = {
    409: {
        "model": Problem,
        "content": {PROBLEM_JSON: {}},
        "description": "the resource is not in a state that allows this",
    }
}


def problem_response(
    status: int,
    detail: str,
    *,
    type_: str = "about:blank",
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response with the standard title for `status`."""
    body = Problem(type=type_, title=HTTPStatus(status).phrase, status=status, detail=detail)
    return JSONResponse(
        body.model_dump(), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def status_for(exc: MprError) -> int:
    """The HTTP status a domain error maps to (500 for anything unexpected)."""
    for kind, status in _STATUS_BY_ERROR:
        if isinstance(exc, kind):
            return status
    return 500


def _validation_detail(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is not valid"


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to problem+json once, for all routes."""

    async def on_mpr_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, MprError)
        status = status_for(exc)
        if status >= 500:
            log.error("request failed: %s", exc, exc_info=exc)
        return problem_response(status, str(exc) or exc.code, type_=f"urn:mpr:error:{exc.code}")

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(422, _validation_detail(exc))

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return problem_response(exc.status_code, detail, headers=exc.headers)

    async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error", exc_info=exc)
        return problem_response(500, "internal error; the server log has the details")

    app.add_exception_handler(MprError, on_mpr_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
