"""Translate AWS SDK errors into MPR's errors, once, for every AWS adapter."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from boto3.exceptions import Boto3Error, RetriesExceededError
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, ParamValidationError
from botocore.exceptions import ConnectionError as SdkConnectionError

from mpr.core.errors import InvalidInputError, MprError, NotFoundError, RetryableError

RETRYABLE_CODES = frozenset(
    {
        "InternalError",
        "InternalServerError",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestTimeout",
        "RequestTimeoutException",
        "ServiceUnavailable",
        "SlowDown",
        "ThrottledException",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)
NOT_FOUND_CODES = frozenset({"404", "NoSuchBucket", "NoSuchKey", "NoSuchUpload", "NotFound"})
INVALID_CODES = frozenset(
    {"EntityTooLarge", "EntityTooSmall", "InvalidArgument", "InvalidPart", "InvalidPartOrder"}
)
# DynamoDB's answer to an item over 400 KB (a ValidationException, like a malformed request)
ITEM_TOO_LARGE = "Item size has exceeded the maximum allowed size"


def error_code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def aws_error(exc: Exception, what: str) -> MprError:
    """The MPR error for an SDK error raised while doing `what`."""
    if isinstance(exc, Boto3Error) and isinstance(exc.__context__, ClientError):
        exc = exc.__context__  # upload_file wraps the ClientError of the failed part
    if isinstance(exc, ClientError):
        code = error_code(exc)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        message = f"{what}: {code or status}: {exc.response.get('Error', {}).get('Message', '')}"
        if code in RETRYABLE_CODES or status == 429 or status >= 500:
            return RetryableError(message)
        if code in NOT_FOUND_CODES or status == 404:
            return NotFoundError(message)
        if code in INVALID_CODES:
            return InvalidInputError(message)
        if ITEM_TOO_LARGE in message:
            return InvalidInputError(f"{message} of 400 KB")
        return MprError(message)
    if isinstance(exc, SdkConnectionError | HTTPClientError | RetriesExceededError):
        return RetryableError(f"{what}: {exc}")
    if isinstance(exc, ParamValidationError):
        return InvalidInputError(f"{what}: {exc}")
    return MprError(f"{what}: {exc}")


@contextmanager
def translated(what: str) -> Iterator[None]:
    """Re-raise SDK errors inside the block as MPR errors, chained to the original."""
    try:
        yield
    except (BotoCoreError, ClientError, Boto3Error) as exc:
        raise aws_error(exc, what) from exc
