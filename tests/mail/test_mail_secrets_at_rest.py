"""A reset token erased from the outbox leaves no copy in the SQLite files.

The outbox row holds the clear token until the email is final; the worker then
erases it. Without `secure_delete` the old bytes stay in the freed space of
the page, and without a checkpoint the page as it was stays in the WAL.
PostgreSQL has no such file for a test to read (see store/outbox.py).
"""

from __future__ import annotations

import pathlib
import re

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
    stub.RequestPasswordReset(pb.RequestPasswordResetRequest(email_or_username="demo"))
    mail_dir = tmp_path / "mail"
    worker = new_worker(server.services.store, clock, FileTransport(mail_dir))

    assert worker.deliver_due() == 1

    [eml] = list(mail_dir.glob("*.eml"))
    [token] = set(RESET_TOKEN.findall(eml.read_text(errors="replace")))
    files = _file_bytes(database)
    assert files, "no database files found"
    assert token.encode() not in files
    # The token is 43 URL-safe characters after its prefix: no fragment of it either.
    assert not re.search(re.escape(token[4:24]).encode(), files)
