"""`serve` (one process or `--workers 2`) writes the validations it keeps in
memory (domain/validation_records.py) when SIGTERM stops it."""

from __future__ import annotations

import datetime as dt
import pathlib

import grpc
import pytest

from aspel.licensing.server.domain import serials
from aspel.licensing.server.domain.signing import generate_key_file
from aspel.licensing.server.store.activations import Installation
from aspel.licensing.server.store.database import Store
from aspel.licensing.server.store.models import Activation, Subscription
from aspel.licensing.v1 import activation_service_pb2 as pb
from aspel.licensing.v1 import activation_service_pb2_grpc as pb_grpc

from ...integration.test_supervisor import prepare
from ...support.workers import Serve

MACHINE = "machine-flush-0001"


def _stale_activation(url: str) -> tuple[str, str, dt.datetime]:
    """An activation last recorded two hours ago whose bound covers any licence
    issued now: its validation is recorded behind the call, nothing waits."""
    now = dt.datetime.now(dt.UTC)
    store = Store.from_url(url)
    try:
        with store.write() as tx:
            serial = Subscription.select().where(Subscription.status == "ACTIVE").first()
            Subscription.update(next_payment_date=None, modality="PERPETUAL_LICENSE").where(
                Subscription.id == serial.id
            ).execute()
            stale = (now - dt.timedelta(hours=2)).replace(microsecond=0)
            row = tx.activations.create_activation(
                public_id="act_flush",
                subscription_id=serial.id,
                installation=Installation(MACHINE, MACHINE, serial.product_code, serial.version),
                seat=len(tx.activations.seats_in_use(serial.id)) + 1,
                now=stale,
                license_expire_bound=now + dt.timedelta(days=400),
                last_validate_time=stale,
            )
        return serials.display(serial.serial_number), str(row.public_id), stale
    finally:
        store.close()


def _recorded(url: str) -> dt.datetime:
    store = Store.from_url(url)
    try:
        with store.connection():
            return Activation.get(Activation.public_id == "act_flush").last_validate_time  # type: ignore[no-any-return]
    finally:
        store.close()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_writes_the_validations_kept_in_memory(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    url = f"sqlite:///{tmp_path / 'flush.db'}"
    prepare(url)
    keys = tmp_path / "signing-keys.json"
    generate_key_file(keys, dt.datetime.now(dt.UTC), if_missing=True)
    monkeypatch.setenv("ASPEL_LICENSING_SIGNING_KEY_FILE", str(keys))
    # Longer than the test: only the stop writes it.
    monkeypatch.setenv("ASPEL_LICENSING_VALIDATION_FLUSH_SECONDS", "60")
    serial, activation_id, stale = _stale_activation(url)
    server = Serve(url, "127.0.0.1:0", "--workers", workers)
    try:
        (port,) = set(server.listeners(int(workers)).values())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            answer = pb_grpc.ActivationServiceStub(channel).ValidateLicense(
                pb.ValidateLicenseRequest(
                    serial_number=serial, activation_id=activation_id, machine_fingerprint=MACHINE
                ),
                timeout=10,
            )
        assert answer.signed_license.certificate
        assert _recorded(url) == stale  # answered, not yet written
        assert server.stop() == 0
    finally:
        server.kill()
    assert _recorded(url) > stale
