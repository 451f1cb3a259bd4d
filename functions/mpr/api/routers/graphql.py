"""GraphQL at `/graphql`: the jobs and presets of the REST API, same key, same rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
import strawberry.experimental.pydantic
from fastapi import Depends, Request
from strawberry.fastapi import GraphQLRouter
from strawberry.scalars import JSON
from strawberry.types import Info

from mpr.adapters.api_keys import ApiKey
from mpr.api import jobs_service
from mpr.api.deps import ApiKeyDep, ServicesDep, SignerDep, require_key
from mpr.api.owners import Caller
from mpr.api.routers.jobs import view
from mpr.api.schemas import JobCreate, JobOptions, JobView, KeySource, UploadSource
from mpr.core.errors import NotFoundError
from mpr.core.manifest_view import OutputView, QCSummary
from mpr.core.models import JobStatus, QCCheck, QCResult
from mpr.services import Services


@strawberry.experimental.pydantic.type(model=QCCheck, all_fields=True)
class Check:
    expected: JSON | None  # a number or a text: GraphQL has no unions of scalars
    actual: JSON | None


@strawberry.experimental.pydantic.type(model=QCResult, all_fields=True)
class QC:
    pass


@strawberry.experimental.pydantic.type(model=QCSummary, all_fields=True)
class Summary:
    pass


@strawberry.experimental.pydantic.type(model=OutputView, all_fields=True)
class Output:
    """An output with its URLs, derived from the REST view: new fields appear in both."""

    kind: str  # new kinds appear without a schema change


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
    qc: Summary | None
    urls_expire_at: datetime | None

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
            outputs=[Output.from_pydantic(o) for o in view.outputs],
            qc=Summary.from_pydantic(view.qc) if view.qc else None,
            urls_expire_at=view.urls_expire_at,
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
    context = info.context
    return Job.of(view(context["request"], services, context["signer"], context["key"], job))


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
