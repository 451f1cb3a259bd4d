"""The FastAPI app: the same one behind API Gateway (Mangum) and `mpr serve` (uvicorn)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse

import mpr
from mpr.api import health
from mpr.api.body_limit import BodyLimitMiddleware
from mpr.api.errors import install_error_handlers
from mpr.api.ratelimit import rate_limiter
from mpr.api.routers import callbacks, graphql, jobs, presets, uploads
from mpr.api.schemas import Health
from mpr.core.errors import NotFoundError
from mpr.services import Services

STATIC_DIR = Path(__file__).parent / "static"

# A web UI on another origin (MPR_CORS_ORIGINS) sends its key and JSON bodies, asks for byte
# ranges of media, and reads how long to wait after a 429 and how much of a file came back.
CORS_METHODS = ["GET", "POST", "PUT", "DELETE"]
CORS_REQUEST_HEADERS = ["Content-Type", "X-API-Key", "Authorization", "Range"]
CORS_EXPOSED_HEADERS = ["Retry-After", "Content-Length", "Content-Range"]

DESCRIPTION = """
Transcode videos into an H.264/AAC MP4, an HLS ladder, thumbnails and a scrubbing sprite.

**Authentication.** Every route except `/healthz`, `/ui`, `/docs` and `/openapi.json` needs
an API key (`mpr keys create NAME`), sent as `X-API-Key: <key>` or
`Authorization: Bearer <key>`. File URLs returned by the API (`url` of a job's outputs,
`source_url`, `poster_url`, `sprite_url`, `sprite_vtt_url` of an upload) carry a short-lived
signed token in their path instead (`.../signed/{token}/...`), so `<img>`, `<video>` and
`<track>` tags can load them and relative URLs inside HLS playlists and WebVTT resolve.
Tokens last `MPR_S3_PRESIGN_SECONDS`; read the job or upload again for fresh URLs.

**Errors** are RFC 9457 `application/problem+json`: `{type, title, status, detail}`.

**Webhooks.** When a job ends, its `callback_url` receives a POST with a JSON body
`{type: "job.ended", schema_version: 2, delivery_id, job_id, status, error, metadata,
created_at, updated_at, job_url, outputs, qc, urls_expire_at}` (`outputs` and `qc` as in
the job; their URLs work until `urls_expire_at`, `MPR_WEBHOOK_URL_SECONDS` after sending,
7 days by default) and the headers `X-MPR-Timestamp` (Unix seconds) and
`X-MPR-Signature: v1=<hex>`, the HMAC-SHA256 of `timestamp + "." + body` under the
webhook secret. Reject timestamps older than 5 minutes. Failed deliveries are retried with
exponential backoff; every attempt is listed in the job's `webhook_deliveries`. Callback
URLs resolving to private, loopback or link-local addresses are refused.

**Uploads.** `POST /v1/uploads` returns where to PUT the file: one `url`, or with
`multipart` one URL per part and a `complete_url` to POST at the end. `GET /v1/uploads/{id}`
lists `parts_received`, so an interrupted upload resumes with the missing parts. The upload
becomes READY once probed (with `media`, a poster and a sprite), or INVALID with an `error`.
"""


def create_app(services: Services) -> FastAPI:
    """An app serving `services`; the caller owns (and closes) the services."""
    app = FastAPI(
        title="MPR",
        version=mpr.__version__,
        description=DESCRIPTION,
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=services.settings.max_request_bytes)
    if services.settings.cors_origins:  # outermost: refusals carry the CORS headers too
        app.add_middleware(
            CORSMiddleware,
            allow_origins=services.settings.cors_origins,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS,
            max_age=3600,
        )
    app.state.services = services
    settings = services.settings
    app.state.rate_limiter = rate_limiter(settings, settings.rate_limit_per_minute, "requests")
    app.state.failure_limiter = rate_limiter(
        settings, settings.auth_failures_per_minute, "auth-failures"
    )
    install_error_handlers(app)

    @app.get(
        "/healthz",
        tags=["health"],
        summary="Health of the job database and storage (503 when either fails); no key needed",
        responses={503: {"model": Health, "description": "the database or storage fails"}},
    )
    async def healthz(response: Response) -> Health:
        report = await run_in_threadpool(health.check, services, mpr.__version__)
        if report.status != "ok":
            response.status_code = 503
        return report

    for module in (jobs, uploads, presets, callbacks):
        app.include_router(module.router)
    app.include_router(graphql.router(), prefix="/graphql", include_in_schema=False)

    @app.get("/ui", include_in_schema=False)
    @app.get("/ui/{path:path}", include_in_schema=False)
    def ui(path: str = "") -> FileResponse:
        if not (STATIC_DIR / "index.html").is_file():
            raise NotFoundError(
                "the web UI is not built: run `npm run build` in web/ "
                "(it writes functions/mpr/api/static)"
            )
        root = STATIC_DIR.resolve()
        target = (root / path).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            target = root / "index.html"
        return FileResponse(target)

    return app
