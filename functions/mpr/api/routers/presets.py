"""Presets: the built-in ones and custom ones registered through the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from mpr.api import jobs_service
from mpr.api.deps import ApiKeyDep, ServicesDep
from mpr.api.errors import CONFLICT_RESPONSE, PROBLEM_RESPONSES
from mpr.core.errors import NotFoundError
from mpr.core.models import Preset

router = APIRouter(prefix="/v1/presets", tags=["presets"], responses=PROBLEM_RESPONSES)


@router.get("", summary="Every preset, built-in and custom")
def list_presets(_: ApiKeyDep, services: ServicesDep) -> list[Preset]:
    return sorted(jobs_service.all_presets(services).values(), key=lambda p: p.name)


@router.get("/{name}", summary="One preset")
def get_preset(
    name: Annotated[str, Path(max_length=63)], _: ApiKeyDep, services: ServicesDep
) -> Preset:
    preset = jobs_service.all_presets(services).get(name)
    if preset is None:
        raise NotFoundError(f"no preset '{name}'")
    return preset


@router.post(
    "",
    status_code=201,
    summary="Register a custom preset",
    responses=CONFLICT_RESPONSE,
)
def create_preset(preset: Preset, _: ApiKeyDep, services: ServicesDep) -> Preset:
    if preset.name in jobs_service.all_presets(services):
        raise HTTPException(409, f"a preset named '{preset.name}' already exists")
    return jobs_service.save_preset(services, preset)
