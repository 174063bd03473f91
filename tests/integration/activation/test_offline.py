"""Offline activation end to end on the real server (both engines): a request
written on the "offline machine" (client library, no network), redeemed by the
customer's portal session or by support, installed back and checked."""

from __future__ import annotations

import datetime as dt
import pathlib
import uuid
from typing import Any

import grpc
import pytest
import zxingcpp
from PIL import Image

from aspel.licensing.client import offline, offline_code
from aspel.licensing.client.installation_key import InstallationKey
from aspel.licensing.client.license_verification import PinnedKeys
from aspel.licensing.client.machine_identity import digest_components
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.v1 import activation_pb2, admin_service_pb2
from aspel.licensing.v1 import licensing_service_pb2 as pb
from tests.conftest import RunningServer
from tests.integration.admin.conftest import Admin, make_keys

from .conftest import (
    DEMO_PASSWORD,
    DemoSerial,
    active_activations,
    audit_kinds,
    demo_serial,
    failure,
    update_subscription,
)

FINGERPRINT = "m1-offline-machine-0001"
OTHER_FINGERPRINT = "m1-offline-machine-0002"
RAW = {"machine_id": "4c4c4544-offline", "system_disk": "WD-123", "network_mac": "52:54:00:ab"}


def login(portal: Any) -> tuple[tuple[str, str], ...]:
    done = portal.Authenticate(pb.AuthenticateRequest(username="demo", password=DEMO_PASSWORD))
    return (("authorization", f"Bearer {done.session_token}"),)


@pytest.fixture
def session(portal: Any) -> tuple[tuple[str, str], ...]:
    return login(portal)


@pytest.fixture
def admin(server: RunningServer) -> Admin:
    return Admin(server.channel, make_keys(server.services))


@pytest.fixture
def coi(server: RunningServer) -> DemoSerial:
    """demo's Aspel COI 9.0, a perpetual licence with three installations."""
    return demo_serial(server, "demo", "COI")


def write(
    machine: pathlib.Path,
    serial: DemoSerial,
    clock: FixedClock,
    *,
    fingerprint: str = FINGERPRINT,
    activation_id: str = "",
) -> offline.OfflineRequest:
    """offline-request on the machine whose folder is `machine`."""
    return offline.write_request(
        machine / "licencia.lic",
        serial_number=serial.serial_number,
        product_code=serial.product_code,
        version=serial.version,
        activation_id=activation_id,
        machine_fingerprint=fingerprint,
        components=digest_components(RAW, serial.serial_number),
        now=clock.now(),
    )


def redeem(portal: Any, session: Any, code: str, serial: DemoSerial, **extra: Any) -> Any:
    return portal.RedeemOfflineRequest(
        pb.RedeemOfflineRequestRequest(
            request_code=code, razon_social=serial.razon_social, **extra
        ),
        metadata=session,
    )


def install(machine: pathlib.Path, data: bytes, pinned: PinnedKeys, clock: FixedClock) -> Any:
    return offline.install_response(
        machine / "licencia.lic", data, pinned_keys=pinned, now=clock.now() + dt.timedelta(hours=1)
    )


def test_round_trip_through_the_code(
    server: RunningServer,
    portal: Any,
    session: Any,
    coi: DemoSerial,
    pinned: PinnedKeys,
    clock: FixedClock,
    tmp_path: pathlib.Path,
) -> None:
    written = write(tmp_path, coi, clock)
    # Dictated: lower case, spaces instead of dashes.
    dictated = written.code.lower().replace("-", " ")
    answer = redeem(portal, session, dictated, coi)
    assert answer.activation.machine_fingerprint == FINGERPRINT
    certificate = activation_pb2.LicenseCertificate.FromString(answer.signed_license.certificate)
    assert certificate.offline_request_nonce == written.request.nonce
    assert certificate.installation_public_key == written.request.installation_public_key
    # A perpetual licence redeemed offline lasts the policy's 365 days.
    expire = certificate.expire_time.ToDatetime(tzinfo=dt.UTC)
    assert expire == clock.now() + dt.timedelta(days=365)
    assert active_activations(server, coi.row_id) == 1
    # Back on the offline machine, by the dictated response code.
    verified = install(tmp_path, answer.response_code.encode(), pinned, clock)
    assert verified.machine_fingerprint == FINGERPRINT
    assert (tmp_path / "licencia.lic").exists()
    assert not offline.pending_path(tmp_path / "licencia.lic").exists()
    kinds = [kind for kind, _ in audit_kinds(server)]
    assert "activation.created" in kinds


def test_round_trip_through_the_file_and_a_typo_caught(
    server: RunningServer,
    portal: Any,
    session: Any,
    coi: DemoSerial,
    pinned: PinnedKeys,
    clock: FixedClock,
    tmp_path: pathlib.Path,
) -> None:
    written = write(tmp_path, coi, clock)
    groups = written.code.split("-")
    wrong = "1" if groups[4][2] != "1" else "2"
    groups[4] = groups[4][:2] + wrong + groups[4][3:]
    typo = failure(lambda: redeem(portal, session, "-".join(groups), coi))
    assert (typo.code, typo.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "OFFLINE_REQUEST_INVALID")
    assert typo.metadata["group"] == "5"
    assert "grupo 5" in typo.message_es
    # The request file's text, pasted with a greeting around it.
    answer = redeem(portal, session, "Hola:\n" + written.text + "\nGracias", coi)
    assert answer.response_text.startswith(offline_code.LICENSE_BEGIN)
    (tmp_path / "respuesta.txt").write_text(answer.response_text)
    install(tmp_path, (tmp_path / "respuesta.txt").read_bytes(), pinned, clock)


def test_round_trip_through_qr_codes(
    server: RunningServer,
    portal: Any,
    session: Any,
    coi: DemoSerial,
    pinned: PinnedKeys,
    clock: FixedClock,
    tmp_path: pathlib.Path,
) -> None:
    written = write(tmp_path, coi, clock)
    offline.qr_png(written.code, tmp_path / "solicitud.png")
    (scanned,) = zxingcpp.read_barcodes(Image.open(tmp_path / "solicitud.png"))
    answer = redeem(portal, session, scanned.text, coi)
    offline.qr_png(answer.response_code, tmp_path / "respuesta.png")
    (back,) = zxingcpp.read_barcodes(Image.open(tmp_path / "respuesta.png"))
    install(tmp_path, back.text.encode(), pinned, clock)


def test_the_same_request_twice_gives_the_same_licence_another_reusing_its_nonce_is_refused(
    server: RunningServer,
    portal: Any,
    session: Any,
    admin: Admin,
    coi: DemoSerial,
    clock: FixedClock,
    tmp_path: pathlib.Path,
) -> None:
    written = write(tmp_path, coi, clock)
    first = redeem(portal, session, written.code, coi)
    clock.advance(dt.timedelta(minutes=5))
    again = redeem(portal, session, written.code, coi, request_id=str(uuid.uuid4()))
    by_support = admin.support.RedeemOfflineRequest(
        admin_service_pb2.AdminServiceRedeemOfflineRequestRequest(request_code=written.text)
    )
    assert again.signed_license == first.signed_license == by_support.signed_license
    assert active_activations(server, coi.row_id) == 1
    # Another request (another machine) with the same nonce.
    key = InstallationKey.generate()
    forged = offline.build_request(
        key,
        serial_number=coi.serial_number,
        product_code=coi.product_code,
        version=coi.version,
        machine_fingerprint=OTHER_FINGERPRINT,
        components=[],
        now=clock.now(),
        nonce=written.request.nonce,
    )
    replayed = failure(lambda: redeem(portal, session, forged.code, coi))
    assert (replayed.code, replayed.reason) == (
        grpc.StatusCode.ALREADY_EXISTS,
        "OFFLINE_REQUEST_REPLAYED",
    )
    assert active_activations(server, coi.row_id) == 1


def test_a_response_for_another_machine_or_request_is_refused(
    server: RunningServer,
    portal: Any,
    session: Any,
    coi: DemoSerial,
    pinned: PinnedKeys,
    clock: FixedClock,
    tmp_path: pathlib.Path,
) -> None:
    one, two = tmp_path / "uno", tmp_path / "dos"
    answer = redeem(portal, session, write(one, coi, clock).code, coi)
    # A copy of the machine (same fingerprint, its own installation key).
    write(two, coi, clock)
    with pytest.raises(offline.OfflineInstallError) as caught:
        install(two, answer.response_code.encode(), pinned, clock)
    assert caught.value.reason == offline.INSTALLATION_KEY_MISMATCH
    assert "otra instalación" in caught.value.message_es
    # Another machine altogether: its fingerprint is not the licence's.
    other = tmp_path / "otro"
    write(other, coi, clock, fingerprint=OTHER_FINGERPRINT)
    with pytest.raises(offline.OfflineInstallError) as caught:
        install(other, answer.response_code.encode(), pinned, clock)
    assert caught.value.reason == offline.INSTALLATION_KEY_MISMATCH
    assert not (two / "licencia.lic").exists()
    # The same machine with a newer pending request refuses the old answer.
    write(one, coi, clock)
    with pytest.raises(offline.OfflineInstallError) as caught:
        install(one, answer.response_code.encode(), pinned, clock)
    assert caught.value.reason == offline.NONCE_MISMATCH
    assert not (one / "licencia.lic").exists()
    # No pending request at all.
    with pytest.raises(offline.OfflineInstallError) as caught:
        install(tmp_path / "tres", answer.response_code.encode(), pinned, clock)
    assert caught.value.reason == offline.NO_PENDING_REQUEST


def test_renewal_keeps_the_seat_and_a_subscription_runs_to_its_payment_date_plus_grace(
    server: RunningServer,
    portal: Any,
    session: Any,
    sae: DemoSerial,
    pinned: PinnedKeys,
    clock: FixedClock,
    tmp_path: pathlib.Path,
) -> None:
    first = redeem(portal, session, write(tmp_path, sae, clock).code, sae)
    install(tmp_path, first.response_code.encode(), pinned, clock)
    clock.advance(dt.timedelta(days=10))
    session = login(portal)  # the first one expired meanwhile
    activation_id = first.activation.activation_id
    renewal = write(tmp_path, sae, clock, activation_id=activation_id)
    answer = redeem(portal, session, renewal.code, sae)
    assert answer.activation.activation_id == activation_id
    assert active_activations(server, sae.row_id) == 1
    certificate = activation_pb2.LicenseCertificate.FromString(answer.signed_license.certificate)
    services = server.services
    with services.store.connection():
        from aspel.licensing.server.store.models import Subscription

        row = Subscription.get_by_id(sae.row_id)
        paid_until = services.activation.end_of_day(row.next_payment_date)
    # Full use to the end of the payment date, then the subscription's grace.
    assert certificate.expire_time.ToDatetime(tzinfo=dt.UTC) == paid_until
    grace_end = certificate.grace_end_time.ToDatetime(tzinfo=dt.UTC)
    assert grace_end == paid_until + services.activation.policy.grace.subscription_grace
    # A renewal of a released installation is refused.
    stale = write(tmp_path, sae, clock, activation_id="act_doesnotexist")
    gone = failure(lambda: redeem(portal, session, stale.code, sae))
    assert gone.reason == "ACTIVATION_NOT_FOUND"


def test_the_rules_of_activation_apply(
    server: RunningServer,
    portal: Any,
    session: Any,
    sae: DemoSerial,
    clock: FixedClock,
    tmp_path: pathlib.Path,
) -> None:
    # One seat: a second machine is refused.
    redeem(portal, session, write(tmp_path / "a", sae, clock).code, sae)
    second = write(tmp_path / "b", sae, clock, fingerprint=OTHER_FINGERPRINT)
    full = failure(lambda: redeem(portal, session, second.code, sae))
    assert full.reason == "ACTIVATION_LIMIT_REACHED"
    wrong = failure(
        lambda: portal.RedeemOfflineRequest(
            pb.RedeemOfflineRequestRequest(request_code=second.code, razon_social="Otra, S.A."),
            metadata=session,
        )
    )
    assert wrong.reason == "RAZON_SOCIAL_MISMATCH"
    update_subscription(server, sae.row_id, status="SUSPENDED")
    suspended = failure(lambda: redeem(portal, session, second.code, sae))
    assert suspended.reason == "SERIAL_NOT_ACTIVE"
    kinds = [(kind, detail.get("reason")) for kind, detail in audit_kinds(server)]
    assert ("offline_activation.refused", "ACTIVATION_LIMIT_REACHED") in kinds


def test_request_time_window(
    server: RunningServer,
    portal: Any,
    session: Any,
    coi: DemoSerial,
    clock: FixedClock,
    tmp_path: pathlib.Path,
) -> None:
    old = write(tmp_path, coi, clock)
    clock.advance(dt.timedelta(days=31))
    session = login(portal)
    expired = failure(lambda: redeem(portal, session, old.code, coi))
    assert (expired.code, expired.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "OFFLINE_REQUEST_EXPIRED",
    )
    assert expired.metadata["max_age_days"] == "30"
    future = offline.build_request(
        InstallationKey.generate(),
        serial_number=coi.serial_number,
        product_code=coi.product_code,
        version=coi.version,
        machine_fingerprint=FINGERPRINT,
        components=[],
        now=clock.now() + dt.timedelta(days=2),
    )
    assert failure(lambda: redeem(portal, session, future.code, coi)).reason == (
        "OFFLINE_REQUEST_EXPIRED"
    )


def _tampered(written: offline.OfflineRequest) -> str:
    signed = activation_pb2.SignedOfflineRequest()
    signed.CopyFrom(written.signed)
    signed.signature = bytes([signed.signature[0] ^ 1]) + signed.signature[1:]
    return offline_code.encode_code(offline_code.REQUEST, signed.SerializeToString())


def _swapped_key(written: offline.OfflineRequest) -> str:
    """Another key put into the request: its signature no longer verifies."""
    request = activation_pb2.OfflineActivationRequest()
    request.CopyFrom(written.request)
    request.installation_public_key = InstallationKey.generate().public_key_bytes()
    signed = activation_pb2.SignedOfflineRequest(
        request=request.SerializeToString(), signature=written.signed.signature
    )
    return offline_code.encode_code(offline_code.REQUEST, signed.SerializeToString())


@pytest.mark.parametrize(
    ("make", "code", "reason"),
    [
        (
            lambda w: "esto no es un código",
            grpc.StatusCode.INVALID_ARGUMENT,
            "OFFLINE_REQUEST_INVALID",
        ),
        (
            lambda w: w.code[: len(w.code) // 2],
            grpc.StatusCode.INVALID_ARGUMENT,
            "OFFLINE_REQUEST_INVALID",
        ),
        (
            lambda w: w.code + "-" + w.code,
            grpc.StatusCode.INVALID_ARGUMENT,
            "OFFLINE_REQUEST_INVALID",
        ),
        (lambda w: "A" * 9000, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT"),
        (lambda w: w.code + "\0", grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT"),
        (lambda w: "", grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT"),
        (_tampered, grpc.StatusCode.INVALID_ARGUMENT, "OFFLINE_REQUEST_INVALID"),
        (_swapped_key, grpc.StatusCode.INVALID_ARGUMENT, "OFFLINE_REQUEST_INVALID"),
        (
            lambda w: offline_code.encode_code(offline_code.REQUEST, b"\xff\xff\xff"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "OFFLINE_REQUEST_INVALID",
        ),
        (
            lambda w: offline_code.encode_code(offline_code.LICENSE, w.payload),
            grpc.StatusCode.INVALID_ARGUMENT,
            "OFFLINE_REQUEST_INVALID",
        ),
    ],
)
def test_hostile_request_codes(
    server: RunningServer,
    portal: Any,
    session: Any,
    coi: DemoSerial,
    clock: FixedClock,
    tmp_path: pathlib.Path,
    make: Any,
    code: grpc.StatusCode,
    reason: str,
) -> None:
    written = write(tmp_path, coi, clock)
    refused = failure(lambda: redeem(portal, session, make(written), coi))
    assert (refused.code, refused.reason) == (code, reason)
    assert active_activations(server, coi.row_id) == 0


def test_another_accounts_serial_is_not_found_for_the_portal_but_support_redeems_it(
    server: RunningServer,
    portal: Any,
    session: Any,
    admin: Admin,
    clock: FixedClock,
    tmp_path: pathlib.Path,
) -> None:
    theirs = demo_serial(server, "demo2", "SAE")
    written = write(tmp_path, theirs, clock)
    refused = failure(lambda: redeem(portal, session, written.code, theirs))
    assert (refused.code, refused.reason) == (grpc.StatusCode.NOT_FOUND, "SERIAL_NOT_FOUND")
    assert active_activations(server, theirs.row_id) == 0
    # Support (scope support) may, with or without the razón social.
    wrong = failure(
        lambda: admin.support.RedeemOfflineRequest(
            admin_service_pb2.AdminServiceRedeemOfflineRequestRequest(
                request_code=written.code, razon_social="Otra, S.A."
            )
        )
    )
    assert wrong.reason == "RAZON_SOCIAL_MISMATCH"
    answer = admin.support.RedeemOfflineRequest(
        admin_service_pb2.AdminServiceRedeemOfflineRequestRequest(request_code=written.code)
    )
    assert answer.activation.serial_number == theirs.serial_number
    assert active_activations(server, theirs.row_id) == 1
    # Billing's key lacks the scope.
    denied = failure(
        lambda: admin.billing.RedeemOfflineRequest(
            admin_service_pb2.AdminServiceRedeemOfflineRequestRequest(request_code=written.code)
        )
    )
    assert denied.reason == "SCOPE_MISSING"


@pytest.mark.parametrize(
    "changes",
    [
        {"machine_fingerprint": "m1-otra"},  # both forms of the fingerprint
        {"machine_fingerprint_digest": b""},  # neither
        {"machine_fingerprint_digest": b"\x01" * 19},
        {"components": b"\x01" * 8},  # not 7 bytes each
        {"components": b"\x00" * 7},  # kind 0
        {"installation_public_key": b"\x01" * 31},
        {"nonce": b""},
        {"serial_number": "ABC"},
        {"product_code": "XYZ"},
        {"version": "ocho"},
        {"activation_id": "act inválida"},
        {"create_time_seconds": 0},
    ],
)
def test_a_signed_request_with_malformed_fields_is_invalid(
    server: RunningServer,
    portal: Any,
    session: Any,
    coi: DemoSerial,
    clock: FixedClock,
    changes: dict[str, Any],
) -> None:
    key = InstallationKey.generate()
    written = offline.build_request(
        key,
        serial_number=coi.serial_number,
        product_code=coi.product_code,
        version=coi.version,
        machine_fingerprint="m1-" + "ab" * 20,
        components=digest_components(RAW, coi.serial_number),
        now=clock.now(),
    )
    assert written.request.machine_fingerprint_digest == bytes.fromhex("ab" * 20)
    request = activation_pb2.OfflineActivationRequest()
    request.CopyFrom(written.request)
    for name, value in changes.items():
        setattr(request, name, value)
    body = request.SerializeToString()
    signed = activation_pb2.SignedOfflineRequest(
        request=body, signature=key.sign(offline.PURPOSE, body)
    )
    code = offline_code.encode_code(offline_code.REQUEST, signed.SerializeToString())
    refused = failure(lambda: redeem(portal, session, code, coi))
    assert (refused.code, refused.reason) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "OFFLINE_REQUEST_INVALID",
    )
    assert active_activations(server, coi.row_id) == 0
