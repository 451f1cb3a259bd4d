"""Unit tests run with sockets switched off: any network use fails loudly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.offline import sockets_off


@pytest.fixture(scope="package", autouse=True)
def _no_network() -> Iterator[None]:
    """Sockets stay off for every unit test; package scope gives them back when the unit
    tests are done, so that other test folders in the same run keep their servers."""
    with sockets_off():
        yield
