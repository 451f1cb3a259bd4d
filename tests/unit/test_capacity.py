"""What `mpr cloud check` says about an account's Lambda concurrency, on named accounts."""

from __future__ import annotations

from mpr.core.capacity import Capacity, FunctionCapacity, throttling_report

API = FunctionCapacity(name="mpr-api", memory_mb=1024, reserved=None)
TRIGGER = FunctionCapacity(name="mpr-trigger", memory_mb=512, reserved=None)


def account(concurrency: int, width: int, reserved: int | None) -> Capacity:
    encode = FunctionCapacity(name="mpr-encode", memory_mb=10_240, reserved=reserved)
    unreserved = concurrency - (reserved or 0)
    return Capacity(concurrency, unreserved, width, encode, (API, TRIGGER))


def test_a_new_account_throttles_the_map_and_starves_the_api() -> None:
    # Given a new account (10 concurrent executions) and the default width of 100
    report = throttling_report(account(10, 100, None))

    # Then both problems are named, with the numbers
    assert len(report) == 3
    assert report[0].startswith(
        "The encode map starts up to 100 chunk encodes at once, but mpr-encode can run only "
        "10 (the 10 unreserved concurrent executions of the account): 90 at a time are "
        "throttled (Lambda.TooManyRequestsException)"
    )
    assert "about 10.0 times as long" in report[0]
    assert report[1].startswith(
        "Chunk encodes can take all 10 unreserved concurrent executions: while a job "
        "encodes, mpr-api, mpr-trigger are throttled"
    )
    assert report[2].startswith("The reserved concurrency of the stack leaves 10 of the")


def test_a_reserved_encode_pool_that_fits_the_width_throttles_nothing() -> None:
    assert throttling_report(account(1000, 100, 100)) == [
        "Nothing will be throttled by concurrency: up to 100 chunk encodes fit in 100 "
        "reserved executions of the account's 1000."
    ]


def test_a_width_over_the_reservation_is_throttled_at_the_reservation() -> None:
    (sentence,) = throttling_report(account(1000, 200, 50))
    assert "can run only 50 (its reserved concurrency of 50): 150 at a time" in sentence


def test_a_reservation_leaving_under_100_unreserved_is_refused() -> None:
    report = throttling_report(account(1000, 100, 950))
    assert report == [
        "The reserved concurrency of the stack leaves 50 of the account's 1000 unreserved; "
        "Lambda keeps at least 100, so it refuses the reservation (the deploy fails)."
    ]
