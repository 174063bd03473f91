"""Fixtures of the email tests (helpers live in mail_support.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .mail_support import SmtpServer, Tls, free_port, make_tls


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on a local port, recording what it receives."""
    server = SmtpServer(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    return make_tls(tmp_path_factory.mktemp("tls"))
