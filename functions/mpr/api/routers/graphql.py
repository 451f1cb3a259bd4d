"""GraphQL at `/graphql`: the jobs and presets of the REST API, same key, same rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from fastapi import Depends, Request
from strawberry.fastapi import GraphQLRouter
from strawberry.types import Info

from mpr.adapters.api_keys import ApiKey
from mpr.api import jobs_service
from mpr.api.deps import ApiKeyDep, ServicesDep, SignerDep, require_key
from mpr.api.owners import Caller
from mpr.api.routers.jobs import files_url
from mpr.api.schemas import JobCreate, JobOptions, JobView, KeySource, UploadSource
from mpr.core.errors import NotFoundError
from mpr.core.models import JobStatus
from mpr.services import Services


@strawberry.type
class Output:
    preset: str
    kind: str
    rendition: str | None
    path: str
    url: str


@strawberry.type
class Job:
    id: str
    status: str
    stage: str
    progress: float
    chunks_total: int
    chunks_done: int
    error: str | None
    presets: list[str]
    created_at: datetime
    updated_at: datetime
    outputs: list[Output]

    @staticmethod
    def of(view: JobView) -> Job:
        return Job(
            id=view.id,
            status=view.status.value,
            stage=view.stage,
            progress=view.progress,
            chunks_total=view.chunks_total,
            chunks_done=view.chunks_done,
            error=view.error,
            presets=view.presets,
            created_at=view.created_at,
            updated_at=view.updated_at,
            outputs=[
                Output(preset=o.preset, kind=o.kind, rendition=o.rendition, path=o.path, url=o.url)
                for o in view.outputs
            ],
        )


@strawberry.type
class Preset:
    name: str
    kind: str
    description: str


def _caller(info: Info[dict[str, Any], None]) -> Caller:
    key: ApiKey = info.context["key"]
    return Caller.of(key)


def _view(info: Info[dict[str, Any], None], job_id: str) -> Job:
    """The caller's job (NotFoundError for a foreign one, as for a missing one)."""
    services: Services = info.context["services"]
    job = jobs_service.owned_job(services, job_id, _caller(info))
    url = files_url(info.context["request"], info.context["signer"], info.context["key"], job_id)
    return Job.of(jobs_service.job_view(services, job, url))


@strawberry.type
class Query:
    @strawberry.field
    def jobs(
        self, info: Info[dict[str, Any], None], status: str | None = None, limit: int = 20
    ) -> list[Job]:
        services: Services = info.context["services"]
        wanted = JobStatus(status) if status else None
        items, _ = services.jobs.list(
            status=wanted, limit=max(1, min(limit, 100)), owner=_caller(info).owner_filter
        )
        return [_view(info, job.job_id) for job in items]

    @strawberry.field
    def job(self, info: Info[dict[str, Any], None], id: str) -> Job | None:
        try:
            return _view(info, id)
        except NotFoundError:
            return None

    @strawberry.field
    def presets(self, info: Info[dict[str, Any], None]) -> list[Preset]:
        found = jobs_service.all_presets(info.context["services"])
        return [Preset(name=p.name, kind=p.kind, description=p.description) for p in found.values()]


@strawberry.type
class Mutation:
    @strawberry.mutation
    def create_job(
        self,
        info: Info[dict[str, Any], None],
        presets: list[str],
        upload_id: str | None = None,
        key: str | None = None,
        callback_url: str | None = None,
        audio_languages: list[str] | None = None,
    ) -> Job:
        """Create a job from an upload (`uploadId`) or an input storage key (`key`),
        carrying the audio tracks in `audioLanguages` (all if omitted)."""
        source = UploadSource(upload_id=upload_id) if upload_id else KeySource(key=key or "")
        options = JobOptions(
            presets=presets, callback_url=callback_url, audio_languages=audio_languages
        )
        body = JobCreate(source=source, **options.model_dump(exclude_unset=True))
        job, _ = jobs_service.create_job(info.context["services"], body, _caller(info))
        return _view(info, job.job_id)

    @strawberry.mutation
    def cancel_job(self, info: Info[dict[str, Any], None], id: str) -> Job:
        job = jobs_service.cancel_job(info.context["services"], id, _caller(info))
        return _view(info, job.job_id)


schema = strawberry.Schema(query=Query, mutation=Mutation)


def router() -> GraphQLRouter[dict[str, Any], None]:
    """The GraphQL endpoint; the API key is checked before any query runs."""

    def context(
        request: Request, key: ApiKeyDep, services: ServicesDep, signer: SignerDep
    ) -> dict[str, Any]:
        return {"request": request, "key": key, "services": services, "signer": signer}

    return GraphQLRouter(
        schema,
        context_getter=context,
        dependencies=[Depends(require_key)],
        graphql_ide=None,
    )
