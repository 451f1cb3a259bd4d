"""What a deployed stack will meet in its account's Lambda concurrency, said in words.

Every function of an account draws from one pool of concurrent executions (1,000 by
default, 10 on many new accounts); a function with reserved concurrency has its own share
and never more. Lambda keeps at least 100 of the pool unreserved. The encode map starts up
to its MaxConcurrency chunk encodes at once; what does not fit is throttled
(`Lambda.TooManyRequestsException`), retried by the state machine with backoff.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_UNRESERVED = 100


@dataclass(frozen=True)
class FunctionCapacity:
    name: str
    memory_mb: int
    reserved: int | None


@dataclass(frozen=True)
class Capacity:
    """The account's pool and what the deployed stack asks of it."""

    account_concurrency: int
    unreserved: int
    map_width: int
    encode: FunctionCapacity
    others: tuple[FunctionCapacity, ...]


def throttling_report(capacity: Capacity) -> list[str]:
    """One sentence per thing that will be throttled, or one saying nothing will be."""
    found: list[str] = []
    encode, width = capacity.encode, capacity.map_width
    room = encode.reserved if encode.reserved is not None else capacity.unreserved
    if width > room:
        source = (
            f"its reserved concurrency of {room}"
            if encode.reserved is not None
            else f"the {room} unreserved concurrent executions of the account"
        )
        found.append(
            f"The encode map starts up to {width} chunk encodes at once, but {encode.name} "
            f"can run only {room} ({source}): {width - room} at a time are throttled "
            "(Lambda.TooManyRequestsException) and retried with backoff, and a job's encode "
            f"takes about {width / room:.1f} times as long as the plan assumes. Lower "
            "mpr:maxConcurrency to fit, or ask for a higher Lambda concurrency quota."
        )
    if encode.reserved is None and width >= capacity.unreserved:
        names = ", ".join(sorted(f.name for f in capacity.others if f.reserved is None))
        found.append(
            f"Chunk encodes can take all {capacity.unreserved} unreserved concurrent "
            f"executions: while a job encodes, {names} are throttled (the API answers 5xx, "
            "uploads are retried by S3 and may end in the failed-uploads queue). Set "
            "mpr:encodeReservedConcurrency below the account's pool."
        )
    left = capacity.account_concurrency - sum(f.reserved or 0 for f in (encode, *capacity.others))
    if left < MIN_UNRESERVED:
        found.append(
            f"The reserved concurrency of the stack leaves {left} of the account's "
            f"{capacity.account_concurrency} unreserved; Lambda keeps at least "
            f"{MIN_UNRESERVED}, so it refuses the reservation (the deploy fails)."
        )
    if not found:
        found.append(
            f"Nothing will be throttled by concurrency: up to {width} chunk encodes fit in "
            f"{room} {'reserved' if encode.reserved is not None else 'unreserved'} "
            f"executions of the account's {capacity.account_concurrency}."
        )
    return found
