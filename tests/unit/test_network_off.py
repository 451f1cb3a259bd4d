"""The unit suite runs with the network switched off."""

from __future__ import annotations

import socket

import pytest

from tests.unit.offline import NetworkBlockedError


def test_opening_a_socket_fails() -> None:
    with pytest.raises(NetworkBlockedError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)


def test_connecting_fails() -> None:
    with pytest.raises(NetworkBlockedError):
        socket.create_connection(("127.0.0.1", 9))


def test_name_lookup_fails() -> None:
    with pytest.raises(NetworkBlockedError):
        socket.getaddrinfo("example.com", 443)
