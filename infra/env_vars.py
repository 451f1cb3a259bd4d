"""Which `MPR_*` settings each deployed function needs; the single source for stack and tests.

Every name is a field of `mpr.settings.Settings` (prefix `MPR_`, upper case). The stack sets
exactly these on each function and derives the function's data access from them.
"""

from __future__ import annotations

# Every container function writes its scratch files under /tmp, the only writable path.
_BASE = frozenset({"MPR_S3_REGION", "MPR_DATA_DIR"})
_STAGE = _BASE | {"MPR_WORK_BUCKET", "MPR_JOBS_TABLE"}
# the webhook carries output URLs of the API, signed with the key derived from the callback
# secret (`mpr.services.url_secret`), so the API accepts them
_WEBHOOKS = frozenset(
    {"MPR_OUTPUT_BUCKET", "MPR_API_BASE_URL", "MPR_WEBHOOK_SECRET", "MPR_CALLBACK_SECRET"}
)
# jobs it starts spread their chunks over the Distributed Map's width
_STARTS_JOBS = frozenset({"MPR_WORKERS"})

ENV_VARS_BY_FUNCTION: dict[str, set[str]] = {
    # a source longer than encode_audio and package can hold is refused first (infra.caps)
    "probe": set(_STAGE | {"MPR_INPUT_BUCKET", "MPR_MAX_DURATION_SECONDS"}),
    # chunks are cut so that each one's encode fits the encode function (core.encode_budget);
    # a job whose MP4 the stitch function cannot join is refused (core.stitch_budget), and
    # one whose tracks the audio function cannot encode (core.audio_budget)
    "plan": set(
        _STAGE
        | {
            "MPR_ENCODE_TIMEOUT_SECONDS",
            "MPR_ENCODE_MEMORY_MB",
            "MPR_STITCH_TMP_MB",
            "MPR_STITCH_TIMEOUT_SECONDS",
            "MPR_AUDIO_TMP_MB",
            "MPR_AUDIO_TIMEOUT_SECONDS",
        }
    ),
    "encode_chunk": set(_STAGE | {"MPR_INPUT_BUCKET"}),
    "encode_audio": set(_STAGE | {"MPR_INPUT_BUCKET"}),
    "stitch": set(_STAGE),
    # outputs are made from the work area only: the source is not read again
    "package": set(_STAGE | {"MPR_OUTPUT_BUCKET"}),
    # a job that ends gets its webhook: signed, with its outputs (read from the output
    # bucket) linked through the API, recorded with the API's records in the output bucket
    # (`mpr.services.cloud_notifier`)
    "finalize": set(_STAGE | _WEBHOOKS),
    "fail": set(_STAGE | _WEBHOOKS),
    "s3_trigger": set(
        _BASE
        | {
            "MPR_INPUT_BUCKET",
            "MPR_INPUT_PREFIX",
            "MPR_JOBS_TABLE",
            "MPR_IDEMPOTENCY_TABLE",
            "MPR_STATE_MACHINE_ARN",
        }
        | _STARTS_JOBS
    ),
    # `mpr.services.build_cloud`: uploads into the input bucket, their records in the uploads
    # table, its own files under `_mpr/` in the output bucket, jobs it starts and stops,
    # hashed API keys, its public URL (job links in webhooks) and the two signing secrets
    # (resolved from Secrets Manager at deploy)
    "api": set(
        _BASE
        | {
            "MPR_INPUT_BUCKET",
            "MPR_INPUT_PREFIX",
            "MPR_OUTPUT_BUCKET",
            "MPR_JOBS_TABLE",
            "MPR_UPLOADS_TABLE",
            "MPR_STATE_MACHINE_ARN",
            "MPR_API_KEYS_TABLE",
            "MPR_API_BASE_URL",
            "MPR_CALLBACK_SECRET",
            "MPR_WEBHOOK_SECRET",
            "MPR_CORS_ORIGINS",
            "MPR_UPLOAD_FUNCTION_NAME",
        }
        | _STARTS_JOBS
    ),
}
# `mpr.handlers.process_upload`: the API's wiring (`build_cloud`), run outside a request
ENV_VARS_BY_FUNCTION["process_upload"] = ENV_VARS_BY_FUNCTION["api"] - {
    "MPR_CORS_ORIGINS",
    "MPR_UPLOAD_FUNCTION_NAME",
}
