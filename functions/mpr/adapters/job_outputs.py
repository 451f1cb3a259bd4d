"""A job's outputs with signed URLs of the API's file routes, for the job view and webhooks.

The URLs name `/v1/jobs/{id}/signed/{token}/{path}` of the API: it serves local files
itself and answers files in S3 with a redirect to a presigned GET made at that moment, so
a URL outlives the storage's own presigning limits (and the credentials that sign, which in
a Lambda expire within hours). The token is issued to the job owner's API key: it stops
working when that key is revoked, or at `urls_expire_at`.
"""

from __future__ import annotations

from mpr.core.errors import NotFoundError
from mpr.core.manifest_view import ManifestView, manifest_view
from mpr.core.models import JobRecord, JobStatus, Manifest
from mpr.core.tokens import UrlSigner
from mpr.ports import Storage

OUTPUT_PREFIX = "{job_id}/"


def signed_files_path(job_id: str, token: str) -> str:
    """The API path under which `token` reads job `job_id`'s output files."""
    return f"v1/jobs/{job_id}/signed/{token}/"


def file_scope(job_id: str) -> str:
    """What a token for a job's files grants."""
    return f"job:{job_id}"


def load_manifest(outputs: Storage, job: JobRecord) -> Manifest | None:
    """The manifest of a SUCCEEDED job; None for any other job or a manifest gone missing."""
    if job.status is not JobStatus.SUCCEEDED or not job.manifest_key:
        return None
    try:
        raw = outputs.get_bytes(job.manifest_key)
    except NotFoundError:
        return None
    return Manifest.model_validate_json(raw)


class WebhookOutputs:
    """The outputs a `job.ended` webhook carries: signed for the job's owner, for the
    signer's lifetime (`MPR_WEBHOOK_URL_SECONDS`), under the API's public URL."""

    def __init__(
        self,
        outputs: Storage,
        signer: UrlSigner,
        api_base_url: str,
        output_prefix: str = OUTPUT_PREFIX,
    ) -> None:
        self._outputs = outputs
        self._signer = signer
        self._base = api_base_url.rstrip("/")
        self._output_prefix = output_prefix

    def __call__(self, job: JobRecord) -> ManifestView:
        manifest = load_manifest(self._outputs, job)
        if manifest is None or job.owner is None:
            return manifest_view(None, "", "", None)
        token = self._signer.token(file_scope(job.job_id), job.owner)
        folder = f"{self._base}/{signed_files_path(job.job_id, token)}"
        prefix = self._output_prefix.format(job_id=job.job_id)
        return manifest_view(manifest, folder, prefix, self._signer.expires_at(token))
