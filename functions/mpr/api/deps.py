"""Dependencies of the routes, as `Annotated` aliases: the seams where tests swap adapters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from mpr.adapters.api_keys import ApiKey, authenticate, live
from mpr.api.ratelimit import Limiter
from mpr.core.tokens import UrlSigner
from mpr.services import Services

_API_KEY = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="an API key from `mpr keys create NAME`"
)
_BEARER = HTTPBearer(auto_error=False, description="the same API key as a bearer token")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def get_rate_limiter(request: Request) -> Limiter:
    limiter: Limiter = request.app.state.rate_limiter
    return limiter


def get_failure_limiter(request: Request) -> Limiter:
    limiter: Limiter = request.app.state.failure_limiter
    return limiter


ServicesDep = Annotated[Services, Depends(get_services)]


def api_url(request: Request, path: str) -> str:
    """An absolute URL of this API (behind a gateway stage: from MPR_API_BASE_URL)."""
    services: Services = request.app.state.services
    base = services.public_base_url or str(request.base_url)
    return f"{base.rstrip('/')}/{path.lstrip('/')}"


RateLimiterDep = Annotated[Limiter, Depends(get_rate_limiter)]
FailureLimiterDep = Annotated[Limiter, Depends(get_failure_limiter)]
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="mpr"'}


def _too_many(wait: int, limit: int, what: str) -> HTTPException:
    return HTTPException(
        429,
        f"rate limit of {limit} {what} per minute exceeded; retry in {wait} s",
        headers={"Retry-After": str(wait)},
    )


def _refused(request: Request, failures: Limiter, limit: int, detail: str) -> HTTPException:
    """A 401 counted against the caller's address (429 once it made too many)."""
    address = request.client.host if request.client else "unknown"
    wait = failures.retry_after(address)
    if wait is not None:
        return _too_many(wait, limit, "requests without a valid key")
    return HTTPException(401, detail, headers=CHALLENGE)


def require_key(
    request: Request,
    services: ServicesDep,
    limiter: RateLimiterDep,
    failures: FailureLimiterDep,
    api_key: Annotated[str | None, Security(_API_KEY)] = None,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)] = None,
) -> ApiKey:
    """The caller's API key; 401 if missing or invalid, 429 above the rate limit.

    Requests without a valid key are limited per client address: once an address has made
    `auth_failures_per_minute` of them, it gets 429 and no key it sends is checked."""
    settings = services.settings
    address = request.client.host if request.client else "unknown"
    blocked = failures.waiting(address)
    if blocked is not None:
        raise _too_many(blocked, settings.auth_failures_per_minute, "requests without a valid key")
    presented = api_key or (bearer.credentials if bearer else None)
    if not presented:
        raise _refused(
            request,
            failures,
            settings.auth_failures_per_minute,
            "missing API key: send it in the X-API-Key header or as Authorization: Bearer <key>",
        )
    record = authenticate(services.keys, presented)
    if record is None:
        raise _refused(
            request, failures, settings.auth_failures_per_minute, "invalid or revoked API key"
        )
    wait = limiter.retry_after(record.key_id)
    if wait is not None:
        raise _too_many(wait, settings.rate_limit_per_minute, "requests")
    return record


ApiKeyDep = Annotated[ApiKey, Depends(require_key)]


def get_signer(services: ServicesDep) -> UrlSigner:
    return UrlSigner(services.url_secret, services.settings.s3_presign_seconds)


SignerDep = Annotated[UrlSigner, Depends(get_signer)]
INVALID_TOKEN = "the URL's token is invalid or has expired; read the resource again"  # noqa: S105


def signed_key(
    request: Request,
    services: Services,
    signer: UrlSigner,
    failures: Limiter,
    scope: str,
    token: str,
) -> ApiKey:
    """The live key a signed URL's token was issued to; 401 for a bad, expired or revoked one."""
    key_id = signer.holder(scope, token)
    record = live(services.keys, key_id) if key_id is not None else None
    if record is None:
        raise _refused(request, failures, services.settings.auth_failures_per_minute, INVALID_TOKEN)
    return record
