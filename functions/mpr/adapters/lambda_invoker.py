"""Hand work to another Lambda function by asynchronous invocation (fire and forget).

Lambda queues an `Event` invocation and answers 202 at once; it retries a failed run twice
and the caller never waits for it. What the function must do by when is the callee's
business (an upload's deadline, see `uploads_service.overdue`).
"""

from __future__ import annotations

import json
from typing import Any

from mpr.adapters.aws_errors import translated


class AsyncInvoker:
    """Invokes one function with `{"<field>": value}` and returns once Lambda queued it."""

    def __init__(self, client: Any, function_name: str, field: str) -> None:
        self._client = client
        self._function = function_name
        self._field = field

    def __call__(self, value: str) -> None:
        with translated(f"hand {self._field} {value} to {self._function}"):
            self._client.invoke(
                FunctionName=self._function,
                InvocationType="Event",
                Payload=json.dumps({self._field: value}).encode(),
            )
