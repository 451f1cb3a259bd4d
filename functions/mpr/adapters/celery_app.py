"""The Celery application of the self-hosted engine: Redis as broker and result backend.

Every stage task is acknowledged only when it has finished (`acks_late`), so a worker that
dies mid-task loses nothing: Redis hands the unacknowledged message to another worker once
the visibility timeout has passed, which is set longer than any one task's worst case.
Each kind of stage has its own queue, so a backlog of chunk encodes never delays a probe
or a webhook behind it.
"""

from __future__ import annotations

from celery import Celery

CONTROL_QUEUE = "mpr.control"  # probe, plan, the hand-overs between fan-outs, finalize
ENCODE_QUEUE = "mpr.encode"  # chunk encodes and the audio encode
PACKAGE_QUEUE = "mpr.package"  # stitch and package
WEBHOOK_QUEUE = "mpr.webhooks"  # job-ended webhooks
QUEUES = (CONTROL_QUEUE, ENCODE_QUEUE, PACKAGE_QUEUE, WEBHOOK_QUEUE)
ROUTES = {
    "mpr.probe": CONTROL_QUEUE,
    "mpr.plan": CONTROL_QUEUE,
    "mpr.encode_chunk": ENCODE_QUEUE,
    "mpr.encode_audio": ENCODE_QUEUE,
    "mpr.stitch_all": CONTROL_QUEUE,
    "mpr.stitch": PACKAGE_QUEUE,
    "mpr.package": PACKAGE_QUEUE,
    "mpr.finalize": CONTROL_QUEUE,
    "mpr.notify": WEBHOOK_QUEUE,
}

app = Celery("mpr", set_as_current=False)


def configure(queue_url: str, visibility_timeout: int) -> Celery:
    """Point the application at a Redis URL; every process (API and worker) calls this."""
    transport = {
        "visibility_timeout": visibility_timeout,
        # how often a worker looks for messages whose visibility timeout has passed
        "unacked_restore_interval": max(1, min(10, visibility_timeout // 10)),
        "unacked_restore_throttle": 1,
    }
    app.conf.update(
        broker_url=queue_url,
        result_backend=queue_url,
        broker_transport_options=transport,
        result_backend_transport_options=transport,
        broker_connection_retry_on_startup=True,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=CONTROL_QUEUE,
        task_routes={name: {"queue": queue} for name, queue in ROUTES.items()},
        task_create_missing_queues=True,
        result_expires=24 * 3600,
        broker_connection_timeout=10,
    )
    return app
