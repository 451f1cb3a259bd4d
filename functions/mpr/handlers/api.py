"""API Gateway (REST or HTTP API proxy events) -> the FastAPI app, through Mangum; logged,
traced and measured with powertools like the stage functions, the request id as the
correlation id of every log line."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

from mpr.api import create_app
from mpr.api.errors import PROBLEM_JSON
from mpr.handlers.runtime import logger, metrics, tracer
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


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response: dict[str, Any] = _cold_start()(event, context)
    status = int(response.get("statusCode", 0))
    metrics.add_metric(name=f"Api{status // 100}xx", unit=MetricUnit.Count, value=1)
    return response
