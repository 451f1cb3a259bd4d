"""Dependencies of the routes, as `Annotated` aliases: the seams where tests swap adapters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from mpr.adapters.api_keys import ApiKey, authenticate
from mpr.api.ratelimit import Limiter
from mpr.api.tokens import UrlSigner
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


ServicesDep = Annotated[Services, Depends(get_services)]


def api_url(request: Request, path: str) -> str:
    """An absolute URL of this API (behind a gateway stage: from MPR_API_BASE_URL)."""
    services: Services = request.app.state.services
    base = services.public_base_url or str(request.base_url)
    return f"{base.rstrip('/')}/{path.lstrip('/')}"


RateLimiterDep = Annotated[Limiter, Depends(get_rate_limiter)]


def require_key(
    services: ServicesDep,
    limiter: RateLimiterDep,
    api_key: Annotated[str | None, Security(_API_KEY)] = None,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)] = None,
) -> ApiKey:
    """The caller's API key; 401 if missing or invalid, 429 above the rate limit."""
    presented = api_key or (bearer.credentials if bearer else None)
    challenge = {"WWW-Authenticate": 'Bearer realm="mpr"'}
    if not presented:
        raise HTTPException(
            401,
            "missing API key: send it in the X-API-Key header or as Authorization: Bearer <key>",
            headers=challenge,
        )
    record = authenticate(services.keys, presented)
    if record is None:
        raise HTTPException(401, "invalid or revoked API key", headers=challenge)
    wait = limiter.retry_after(record.key_id)
    if wait is not None:
        raise HTTPException(
            429,
            f"rate limit of {services.settings.rate_limit_per_minute} requests per minute "
            f"exceeded; retry in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    return record


ApiKeyDep = Annotated[ApiKey, Depends(require_key)]


def get_signer(services: ServicesDep) -> UrlSigner:
    return UrlSigner(services.url_secret, services.settings.s3_presign_seconds)


SignerDep = Annotated[UrlSigner, Depends(get_signer)]
