"""`/healthz`: is the job database answering, and is there room to store files?"""

from __future__ import annotations

import logging

from mpr.api.disk_space import free_above_reserve
from mpr.api.schemas import Health, HealthCheck
from mpr.services import Services

log = logging.getLogger(__name__)


def _database(services: Services) -> HealthCheck:
    try:
        services.jobs.list(limit=1)
    except Exception as exc:
        log.warning("health: the job database failed", exc_info=exc)
        return HealthCheck(ok=False, detail=f"the job database failed: {exc}")
    return HealthCheck(ok=True, detail="the job database answers")


def _storage(services: Services) -> HealthCheck:
    if services.upload_dir is None:  # object storage only: can it be reached?
        try:
            services.state.exists(".healthz")
        except Exception as exc:
            log.warning("health: storage failed", exc_info=exc)
            return HealthCheck(ok=False, detail=f"storage failed: {exc}")
        return HealthCheck(ok=True, detail="storage answers")
    reserve = services.settings.free_space_reserve_bytes
    room = free_above_reserve(services.settings.data_dir, reserve)
    if room <= 0:
        return HealthCheck(
            ok=False,
            detail=f"the data directory's file system has {room + reserve} bytes free, "
            f"less than the reserve of {reserve} bytes",
        )
    return HealthCheck(ok=True, detail=f"{room} bytes free above the reserve of {reserve} bytes")


def check(services: Services, version: str) -> Health:
    checks = {"database": _database(services), "storage": _storage(services)}
    failing = any(not c.ok for c in checks.values())
    return Health(status="failing" if failing else "ok", version=version, checks=checks)
