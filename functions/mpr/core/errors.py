"""Typed errors of the domain; handlers map them once to exit codes, HTTP and ASL Retry/Catch."""

from __future__ import annotations


class MprError(Exception):
    """Base of every error MPR raises on purpose."""

    code = "MprError"


class InvalidInputError(MprError):
    """The request or the source is not acceptable; retrying will not help."""

    code = "InvalidInputError"


class UnsupportedMediaError(InvalidInputError):
    """The source is empty, not media, or has no decodable video stream."""

    code = "UnsupportedMediaError"


class UnsafeInputError(InvalidInputError):
    """The source would make ffmpeg open other files or URLs (playlists, concat lists)."""

    code = "UnsafeInputError"


class LimitExceededError(InvalidInputError):
    """The source exceeds a configured cap on size, duration or frame dimensions."""

    code = "LimitExceededError"


class UnknownPresetError(InvalidInputError):
    """A preset name that is neither built in nor registered."""

    code = "UnknownPresetError"


class MediaProcessingError(MprError):
    """ffmpeg or ffprobe failed on input that had passed validation."""

    code = "MediaProcessingError"


class QualityCheckError(MprError):
    """An output failed quality control against the source."""

    code = "QualityCheckError"


class RetryableError(MprError):
    """A transient failure (storage throttling, timeouts); the orchestrator retries it."""

    code = "RetryableError"


class JobStateError(MprError):
    """A job status transition that the job state rules forbid."""

    code = "JobStateError"


class NotFoundError(MprError):
    """A job, upload, preset or object that does not exist."""

    code = "NotFoundError"


class InsufficientStorageError(MprError):
    """Not enough free space to store what was sent (or declared) without eating the reserve."""

    code = "InsufficientStorageError"
