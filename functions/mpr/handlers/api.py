"""API Gateway (REST or HTTP API proxy events) -> the FastAPI app, through Mangum."""

from __future__ import annotations

from functools import cache
from typing import Any

from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

from mpr.api import create_app
from mpr.api.errors import PROBLEM_JSON
from mpr.services import Services, build_cloud
from mpr.settings import get_settings

# answered as text, not base64: a REST API stage without binary media types would pass
# base64 through to the client
TEXT_TYPES = [*DEFAULT_TEXT_MIME_TYPES, PROBLEM_JSON, "application/vnd.apple.mpegurl"]


def make_handler(services: Services) -> Mangum:
    """A Lambda handler serving the API over `services`."""
    return Mangum(create_app(services), lifespan="off", text_mime_types=TEXT_TYPES)


@cache
def _cold_start() -> Mangum:
    return make_handler(build_cloud(get_settings()))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response: dict[str, Any] = _cold_start()(event, context)
    return response
