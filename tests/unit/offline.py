"""Switching sockets off, so that a unit test that reaches for the network fails loudly."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import pytest


class NetworkBlockedError(RuntimeError):
    """A unit test tried to open a socket or resolve a name."""


class _BlockedSocket(socket.socket):
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise NetworkBlockedError("unit tests must not use the network")


def _refuse(*args: object, **kwargs: object) -> NoReturn:
    raise NetworkBlockedError("unit tests must not use the network")


@contextmanager
def sockets_off() -> Iterator[None]:
    """Within the block, creating sockets, connecting and name lookups raise."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "socket", _BlockedSocket)
        patch.setattr(socket, "create_connection", _refuse)
        patch.setattr(socket, "getaddrinfo", _refuse)
        yield
