"""A reset token erased from the outbox leaves no copy in the SQLite files.

The outbox row holds the clear token until the email is final; the worker then
erases it. Without `secure_delete` the old bytes stay in the freed space of
the page, and without a checkpoint the page as it was stays in the WAL.
PostgreSQL has no such file for a test to read (see store/outbox.py).
"""

from __future__ import annotations

import pathlib

import pytest

from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.mail.transports import FileTransport
from aspel.licensing.server.settings import Settings
from aspel.licensing.v1 import licensing_service_pb2 as pb
from aspel.licensing.v1 import licensing_service_pb2_grpc as pb_grpc
from tests.conftest import RunningServer

from .mail_support import RESET_TOKEN, new_worker


def _file_bytes(database: pathlib.Path) -> bytes:
    return b"".join(
        path.read_bytes()
        for path in (database, database.with_name(database.name + "-wal"))
        if path.exists()
    )


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_delivered_reset_token_is_not_in_the_database_or_wal_files(
    server: RunningServer, settings: Settings, clock: FixedClock, tmp_path: pathlib.Path
) -> None:
    database = pathlib.Path(settings.database_url.removeprefix("sqlite:///"))
    stub = pb_grpc.LicensingServiceStub(server.channel)
    # Three (the account's hourly limit): rows of several sizes share a page, as
    # in a real outbox, and the freed space of one erasure holds another's bytes.
    for _ in range(3):
        stub.RequestPasswordReset(pb.RequestPasswordResetRequest(email_or_username="demo"))
    mail_dir = tmp_path / "mail"
    worker = new_worker(server.services.store, clock, FileTransport(mail_dir))

    assert worker.deliver_due() == 3

    tokens = {
        token
        for eml in mail_dir.glob("*.eml")
        for token in RESET_TOKEN.findall(eml.read_text(errors="replace"))
    }
    assert len(tokens) == 3
    files = _file_bytes(database)
    assert files, "no database files found"
    for token in tokens:
        # The token is 43 URL-safe characters after its prefix: no fragment either.
        assert token[4:24].encode() not in files
