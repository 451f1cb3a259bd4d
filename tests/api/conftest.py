"""Fixtures: the API on the embedded default (directory storage, SQLite, local runner)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mpr.adapters.api_keys import create_key
from mpr.adapters.local_storage import LocalStorage
from mpr.api import create_app
from mpr.services import Services, build_local
from mpr.settings import Settings


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    return Settings(**{"data_dir": data_dir, "workers": 2, "concurrent_jobs": 2, **overrides})


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change the settings the `services` fixture uses."""
    return {}


@pytest.fixture
def services(tmp_path: Path, settings_overrides: dict[str, Any]) -> Iterator[Services]:
    built = build_local(make_settings(tmp_path / "data", **settings_overrides))
    yield built
    built.close()


@pytest.fixture
def api_key(services: Services) -> str:
    return create_key(services.keys, "tests")[1]


@pytest.fixture
def client(services: Services, api_key: str) -> Iterator[TestClient]:
    with TestClient(create_app(services), headers={"X-API-Key": api_key}) as c:
        yield c


@pytest.fixture
def anon(client: TestClient) -> Iterator[TestClient]:
    """A client of the same app without an API key (as a browser tag loading a URL)."""
    with TestClient(client.app) as c:
        yield c


@pytest.fixture
def work(services: Services) -> LocalStorage:
    """The runner's work area in the embedded layout (`data_dir/work`)."""
    return LocalStorage(services.settings.data_dir / "work")
