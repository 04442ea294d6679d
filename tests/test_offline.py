"""The suite never reaches the internet: pytest-socket (pyproject's addopts) lets sockets
connect only to this machine. These tests keep that guard from going away unnoticed."""

from __future__ import annotations

import socket

import pytest
from pytest_socket import SocketConnectBlockedError


# pytest-socket also warns, so that a blocked test says why in the summary; here it is meant.
@pytest.mark.filterwarnings("ignore:A test tried to use socket")
@pytest.mark.parametrize("address", [("192.0.2.1", 80), ("93.184.215.14", 443)])
def test_a_connection_off_this_machine_is_refused(address: tuple[str, int]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, \
            pytest.raises(SocketConnectBlockedError):
        sock.connect(address)


def test_this_machine_is_reachable() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
