"""Start and stop the pipeline's Step Functions execution for a job (the cloud launcher)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from mpr.core.errors import RetryableError
from mpr.core.models import JobRecord
from mpr.core.payloads import ProbeRequest

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


class SfnOrchestrator:
    """One execution per job attempt, named after the job so a start is idempotent."""

    def __init__(
        self,
        client: SFNClient,
        state_machine_arn: str,
        on_cancelled: Callable[[str], None] | None = None,
    ) -> None:
        self._client = client
        self._arn = state_machine_arn
        self._on_cancelled = on_cancelled

    @staticmethod
    def _name(job: JobRecord) -> str:
        # a retried job gets a new execution: the name carries the time it was re-queued
        return f"{job.job_id}-{int(job.updated_at.timestamp())}"[:80]

    def start(self, job: JobRecord) -> None:
        payload = ProbeRequest(job_id=job.job_id, source=job.spec.source)
        try:
            self._client.start_execution(
                stateMachineArn=self._arn,
                name=self._name(job),
                input=json.dumps(payload.model_dump(mode="json")),
            )
        except self._client.exceptions.ExecutionAlreadyExists:
            return
        except self._client.exceptions.ClientError as exc:
            raise RetryableError(f"could not start the pipeline: {exc}") from exc

    def cancel(self, job_id: str) -> None:
        """Stop every running execution of the job, then call `on_cancelled` (the webhook)."""
        paginator = self._client.get_paginator("list_executions")
        for page in paginator.paginate(stateMachineArn=self._arn, statusFilter="RUNNING"):
            for execution in page["executions"]:
                if execution["name"].startswith(f"{job_id}-"):
                    self._client.stop_execution(
                        executionArn=execution["executionArn"],
                        error="Cancelled",
                        cause=f"job {job_id} cancelled through the API",
                    )
        if self._on_cancelled is not None:
            self._on_cancelled(job_id)
