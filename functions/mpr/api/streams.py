"""Server-sent event streams that follow a record until it reaches a final state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Hashable
from typing import TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.sse import ServerSentEvent
from pydantic import BaseModel

POLL_SECONDS = 0.5
Record = TypeVar("Record")


async def follow(
    request: Request,
    first: Record,
    read: Callable[[], Record],
    state: Callable[[Record], Hashable],
    final: Callable[[Record], bool],
    render: Callable[[Record], BaseModel],
) -> AsyncIterator[ServerSentEvent]:
    """A `progress` event (`render(record)`) whenever `state(record)` changes, from `first`
    until `final(record)` or the client goes away; `read` loads the record again."""
    record, last, count = first, None, 0
    while True:
        now = state(record)
        if now != last:
            last, count = now, count + 1
            payload = await run_in_threadpool(render, record)
            yield ServerSentEvent(
                event="progress", id=str(count), data=payload.model_dump(mode="json")
            )
        if final(record) or await request.is_disconnected():
            return
        await asyncio.sleep(POLL_SECONDS)
        record = await run_in_threadpool(read)
