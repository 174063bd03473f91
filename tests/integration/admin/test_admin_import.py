"""ImportSubscription and `aspel-licensing-server import`: legacy serials
brought in, then used by every RPC that takes a serial, upgraded to native."""

from __future__ import annotations

import datetime as dt
import pathlib
import uuid
from typing import Any

import grpc
import pytest
from google.protobuf import timestamp_pb2
from google.type import date_pb2

from aspel.licensing.server import cli
from aspel.licensing.server.domain import serials
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.domain.upgrade_terms import DEFAULT_CLAUSES
from aspel.licensing.server.store.models import Activation, AuditEvent, Subscription
from aspel.licensing.v1 import (
    activation_pb2,
    activation_service_pb2,
    activation_service_pb2_grpc,
    licensing_service_pb2,
    subscription_pb2,
)
from aspel.licensing.v1 import admin_service_pb2 as admin_pb

from .conftest import Admin, failure

PASSWORD = "tornillos y tuercas desde 1987"
S = subscription_pb2


def _date(day: dt.date) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def _day(value: date_pb2.Date) -> dt.date:
    return dt.date(value.year, value.month, value.day)


@pytest.fixture
def account_id(admin: Admin) -> str:
    for version, sources in (("7.0", []), ("8.0", ["7.0"])):
        admin.catalog.PublishRelease(
            admin_pb.PublishReleaseRequest(
                product_code="SAE",
                version=version,
                upgrade_from_versions=sources,
                download_url="https://www.aspel.com.mx/descargas",
            )
        )
    admin.catalog.PublishUpgradeTerms(
        admin_pb.PublishUpgradeTermsRequest(
            product_code="SAE", to_version="8.0", title="Términos", clauses=DEFAULT_CLAUSES
        )
    )
    return str(
        admin.billing.CreateAccount(
            admin_pb.CreateAccountRequest(
                username="taller",
                email="taller@example.com",
                razon_social="Taller Mecánico, S.A.",
                initial_password=PASSWORD,
            )
        ).account.account_id
    )


def _request(account_id: str, **fields: Any) -> admin_pb.ImportSubscriptionRequest:
    values: dict[str, Any] = {
        "serial_number": "SKSNWR",
        "account_id": account_id,
        "product_code": "SAE",
        "version": "7.0",
        "users": 1,
        "modality": S.MODALITY_SUBSCRIPTION,
        "billing_period": S.BILLING_PERIOD_MONTHLY,
        "activation_date": _date(dt.date(2022, 2, 10)),
        "next_payment_date": _date(dt.date(2026, 12, 10)),
        "installations_allowed": 2,
        **fields,
    }
    return admin_pb.ImportSubscriptionRequest(**values)


def _known(hostname: str, fingerprint: str, when: dt.datetime) -> admin_pb.ImportedActivation:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(when)
    return admin_pb.ImportedActivation(
        hostname=hostname, machine_fingerprint=fingerprint, activate_time=stamp
    )


def _session(portal: Any) -> list[tuple[str, str]]:
    login = portal.Authenticate(
        licensing_service_pb2.AuthenticateRequest(username="taller", password=PASSWORD)
    )
    return [("authorization", f"Bearer {login.session_token}")]


def test_an_imported_serial_is_used_by_every_rpc_in_any_case_and_upgrades_to_native(
    admin: Admin, account_id: str, portal: Any, empty_server: Any, clock: FixedClock
) -> None:
    imported = admin.billing.ImportSubscription(
        _request(
            account_id,
            activations=[_known("CAJA-1", "fp-caja-1", dt.datetime(2022, 2, 11, 9, 30))],
        )
    )
    sub = imported.subscription
    assert not imported.already_imported
    assert (sub.serial_number, sub.imported, sub.version) == ("SKSNWR", True, "7.0")
    assert _day(sub.activation_date) == dt.date(2022, 2, 10)
    assert _day(sub.next_payment_date) == dt.date(2026, 12, 10)
    assert sub.state == S.SUBSCRIPTION_STATE_ACTIVE

    # The portal lists it as printed; GetSubscription takes it typed any way.
    session = _session(portal)
    listed = portal.ListSubscriptions(
        licensing_service_pb2.ListSubscriptionsRequest(), metadata=session
    ).subscriptions
    assert [s.serial_number for s in listed] == ["SKSNWR"]
    got = portal.GetSubscription(
        licensing_service_pb2.GetSubscriptionRequest(serial_number=" sk-sn wr "), metadata=session
    ).subscription
    assert got.serial_number == "SKSNWR"

    # Support looks it up typed in lower case and sees the known activation.
    found = admin.support.LookupSerial(admin_pb.LookupSerialRequest(serial_number="sksnwr"))
    assert found.subscription.serial_number == "SKSNWR"
    assert [a.hostname for a in found.activations] == ["CAJA-1"]

    # The installer activates a second machine and validates it.
    installer = activation_service_pb2_grpc.ActivationServiceStub(empty_server.channel)
    activated = installer.ActivateInstallation(
        activation_service_pb2.ActivateInstallationRequest(
            serial_number="Sksn-Wr",
            razon_social="TALLER MECANICO SA",
            product_code="SAE",
            version="7.0",
            machine_fingerprint="fp-caja-2",
            hostname="CAJA-2",
            request_id=str(uuid.uuid4()),
        )
    ).activation
    validated = installer.ValidateLicense(
        activation_service_pb2.ValidateLicenseRequest(
            serial_number="s k s n w r",
            activation_id=activated.activation_id,
            machine_fingerprint="fp-caja-2",
        )
    )
    assert validated.state == S.SUBSCRIPTION_STATE_ACTIVE

    # Billing records a payment against it.
    paid = admin.billing.RecordPayment(
        admin_pb.RecordPaymentRequest(serial_number="sksnwr", request_id=str(uuid.uuid4()))
    )
    assert _day(paid.subscription.next_payment_date) == dt.date(2027, 1, 10)

    # The customer upgrades: the successor is a native serial, the line kept.
    terms = portal.GetUpgradeTerms(
        licensing_service_pb2.GetUpgradeTermsRequest(serial_number="SKSNWR"), metadata=session
    ).upgrade_terms
    upgraded = portal.AcceptUpgrade(
        licensing_service_pb2.AcceptUpgradeRequest(
            serial_number="sksnwr", terms_id=terms.terms_id, request_id=str(uuid.uuid4())
        ),
        metadata=session,
    ).subscription
    assert upgraded.version == "8.0"
    assert not upgraded.imported
    native = serials.normalize(upgraded.serial_number)
    assert native is not None and not serials.is_legacy(native)
    assert upgraded.predecessor_serial_number == "SKSNWR"
    old = admin.support.LookupSerial(admin_pb.LookupSerialRequest(serial_number="SKSNWR"))
    assert old.subscription.state == S.SUBSCRIPTION_STATE_SUPERSEDED
    assert old.subscription.successor_serial_number == upgraded.serial_number


def test_importing_again_is_a_no_op_and_other_data_is_refused(
    admin: Admin, account_id: str, empty_server: Any
) -> None:
    first = admin.billing.ImportSubscription(_request(account_id))
    again = admin.billing.ImportSubscription(
        _request(account_id, serial_number="sksnwr", request_id=str(uuid.uuid4()))
    )
    assert again.already_imported
    assert again.subscription == first.subscription

    other = failure(lambda: admin.billing.ImportSubscription(_request(account_id, users=5)))
    assert (other.code, other.reason) == (grpc.StatusCode.ALREADY_EXISTS, "SERIAL_ALREADY_IMPORTED")
    assert other.metadata == {"serial_number": "SKSNWR", "fields": "users"}

    with empty_server.services.store.connection():
        assert Subscription.select().where(Subscription.serial_number == "SKSNWR").count() == 1
        kinds = [e.kind for e in AuditEvent.select().where(AuditEvent.serial_number == "SKSNWR")]
    assert kinds == ["subscription.imported"]


def test_validate_only_writes_nothing(admin: Admin, account_id: str, empty_server: Any) -> None:
    answer = admin.billing.ImportSubscription(_request(account_id, validate_only=True))
    assert answer.subscription.serial_number == "SKSNWR"
    with empty_server.services.store.connection():
        assert not Subscription.select().where(Subscription.serial_number == "SKSNWR").exists()
    assert not admin.billing.ImportSubscription(_request(account_id)).already_imported


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"serial_number": ""}, "serial_number"),
        ({"serial_number": "SKS"}, "serial_number"),
        ({"serial_number": "12345678"}, "serial_number"),
        ({"serial_number": "SKSNWR\x00"}, "serial_number"),
        ({"serial_number": "S" * 100_000}, "serial_number"),
        ({"activation_date": _date(dt.date(2030, 1, 1))}, "activation_date"),
        ({"next_payment_date": _date(dt.date(2021, 1, 1))}, "next_payment_date"),
        ({"billing_period": S.BILLING_PERIOD_UNSPECIFIED}, "billing_period"),
        ({"users": 0}, "users"),
        (
            {
                "installations_allowed": 1,
                "activations": [
                    _known("A", "fp-a", dt.datetime(2022, 3, 1)),
                    _known("B", "fp-b", dt.datetime(2022, 3, 1)),
                ],
            },
            "activations",
        ),
        (
            {"activations": [_known("A", "fp a", dt.datetime(2022, 3, 1))]},
            "activations[0].machine_fingerprint",
        ),
    ],
)
def test_bad_imports_are_refused_field_by_field(
    admin: Admin, account_id: str, fields: dict[str, Any], bad: str
) -> None:
    refused = failure(lambda: admin.billing.ImportSubscription(_request(account_id, **fields)))
    assert refused.code == grpc.StatusCode.INVALID_ARGUMENT
    assert bad in refused.fields


def test_a_native_serial_is_never_imported(admin: Admin, account_id: str) -> None:
    refused = failure(
        lambda: admin.billing.ImportSubscription(
            _request(account_id, serial_number=serials.display(serials.generate()))
        )
    )
    assert refused.fields == {"serial_number"}


def test_an_unknown_account_and_a_disabled_key_scope(admin: Admin, account_id: str) -> None:
    missing = failure(lambda: admin.billing.ImportSubscription(_request("=cmd|' /C calc'!A0")))
    assert missing.reason == "ACCOUNT_NOT_FOUND"
    scope = failure(lambda: admin.support.ImportSubscription(_request(account_id)))
    assert scope.reason == "SCOPE_MISSING"


def test_a_legacy_looking_serial_not_imported_is_not_found(
    admin: Admin, account_id: str, portal: Any, empty_server: Any
) -> None:
    admin.billing.ImportSubscription(_request(account_id))
    lookup = failure(
        lambda: admin.support.LookupSerial(admin_pb.LookupSerialRequest(serial_number="SKSNWX"))
    )
    assert (lookup.code, lookup.reason) == (grpc.StatusCode.NOT_FOUND, "SERIAL_NOT_FOUND")
    installer = activation_service_pb2_grpc.ActivationServiceStub(empty_server.channel)
    activate = failure(
        lambda: installer.ActivateInstallation(
            activation_service_pb2.ActivateInstallationRequest(
                serial_number="ab-cd-ef",
                razon_social="TALLER MECANICO SA",
                product_code="SAE",
                version="7.0",
                machine_fingerprint="fp-1",
            )
        )
    )
    assert activate.reason == "SERIAL_NOT_FOUND"
    mine = failure(
        lambda: portal.GetSubscription(
            licensing_service_pb2.GetSubscriptionRequest(serial_number="QWERTY"),
            metadata=_session(portal),
        )
    )
    assert mine.reason == "SERIAL_NOT_FOUND"


# --- aspel-licensing-server import FILE.csv ----------------------------------

HEADER = (
    "serial_number,account_id,product_code,version,users,modality,billing_period,"
    "activation_date,next_payment_date,installations_allowed,activations\n"
)


@pytest.fixture
def run_import(
    empty_server: Any, database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> Any:
    def run(content: str | bytes, *flags: str) -> tuple[int, str, str]:
        path = tmp_path / "series.csv"
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        code = cli.main(["--database", database_url, "import", str(path), *flags])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _rows(account_id: str) -> str:
    return (
        HEADER
        + f"SKSNWR,{account_id},SAE,7.0,1,SUBSCRIPTION,MONTHLY,10/02/2022,10/12/2026,2,"
        + '"=cmd|x|2022-02-11T09:30:00Z;CAJA-2|fp-2|2022-03-01"\n'
        + f"ab-12cd,{account_id},sae,7.0,3,pago único,,2021-05-04,,1,\n"
    )


def test_the_csv_imports_each_row_once_and_a_re_run_imports_nothing(
    run_import: Any, account_id: str, empty_server: Any
) -> None:
    dry = run_import("\ufeff" + _rows(account_id), "--dry-run")
    assert dry[0] == 0
    assert "línea 2: SKSNWR se importaría" in dry[1]
    assert "línea 3: AB12CD se importaría" in dry[1]
    with empty_server.services.store.connection():
        assert Subscription.select().count() == 0

    code, out, err = run_import("\ufeff" + _rows(account_id))
    assert code == 0
    assert "línea 2: SKSNWR importado" in out
    assert "imported 2, already imported 0, refused 0" in err
    with empty_server.services.store.connection():
        row = Subscription.get(Subscription.serial_number == "SKSNWR")
        assert (row.activation_date, row.next_payment_date) == (
            dt.date(2022, 2, 10),
            dt.date(2026, 12, 10),
        )
        known = list(Activation.select().where(Activation.subscription == row))
        hosts = sorted(a.hostname for a in known)
        assert sorted(a.create_time for a in known) == [
            dt.datetime(2022, 2, 11, 9, 30, tzinfo=dt.UTC),
            dt.datetime(2022, 3, 1, tzinfo=dt.UTC),
        ]
        # Seen at the import (the command's own clock), not at its activation.
        assert all(a.last_validate_time > dt.datetime(2026, 1, 1, tzinfo=dt.UTC) for a in known)
        perpetual = Subscription.get(Subscription.serial_number == "AB12CD")
    assert hosts == ["=cmd", "CAJA-2"]  # kept as data, never evaluated
    assert (perpetual.modality, perpetual.billing_period) == ("PERPETUAL_LICENSE", None)

    code, out, err = run_import(_rows(account_id))
    assert code == 0
    assert "línea 2: SKSNWR ya estaba importado" in out
    assert "imported 0, already imported 2, refused 0" in err
    with empty_server.services.store.connection():
        assert Subscription.select().count() == 2


def test_bad_rows_are_refused_with_their_line_and_the_good_ones_kept(
    run_import: Any, account_id: str, empty_server: Any
) -> None:
    content = (
        HEADER
        + f"SKSNWR,{account_id},SAE,7.0,1,SUBSCRIPTION,MONTHLY,10/02/2022,,1,\n"
        + f"ZZZZZ,{account_id},SAE,7.0,1,SUBSCRIPTION,MONTHLY,31/02/2022,,1,\n"
        + f'"NUL\x00X",{account_id},SAE,7.0,1,SUBSCRIPTION,MONTHLY,2022-02-10,,1,\n'
        + f'"A\nB",{account_id},SAE,7.0,1,SUBSCRIPTION,MONTHLY,2022-02-10,,1,\n'
        + f"{'W' * 70_000},{account_id},SAE,7.0,1,SUBSCRIPTION,MONTHLY,2022-02-10,,1,\n"
        + "QWERTY,=cmd,SAE,7.0,1,SUBSCRIPTION,MONTHLY,2022-02-10,,1,\n"
        + f"ABCDE-12345-FGH7K,{account_id},SAE,7.0,1,SUBSCRIPTION,MONTHLY,2022-02-10,,1,\n"
        + "too,few\n"
        + f"LASTOK,{account_id},SAE,7.0,1,SUBSCRIPTION,ANNUAL,2022-02-10,,1,\n"
    )
    code, out, err = run_import(content)
    assert code == 1
    lines = out.splitlines()
    refused = {line.split(":")[0] for line in lines if "rechazada" in line}
    assert refused == {
        "línea 3",
        "línea 4",
        "línea 5",
        "línea 7",
        "línea 8",
        "línea 9",
        "línea 10",
    }
    assert "línea 2: SKSNWR importado" in out
    assert "línea 11: LASTOK importado" in out
    assert "imported 2, already imported 0, refused 7" in err
    with empty_server.services.store.connection():
        assert sorted(s.serial_number for s in Subscription.select()) == ["LASTOK", "SKSNWR"]


def test_a_file_without_a_usable_header_imports_nothing(run_import: Any, account_id: str) -> None:
    code, out, _ = run_import("serie,cuenta\nSKSNWR,x\n")
    assert code == 1
    assert out.startswith("línea 1: rechazada: el encabezado")


# --- aspel-licensing-admin import FILE.csv -----------------------------------


def test_the_admin_cli_imports_per_row_with_derived_request_ids(
    admin: Admin,
    account_id: str,
    empty_server: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: pathlib.Path,
) -> None:
    from aspel.licensing.client.cli.admin import main

    path = tmp_path / "series.csv"
    path.write_bytes(
        (
            _rows(account_id) + "QWERTY,acc_nobody,SAE,7.0,1,SUBSCRIPTION,MONTHLY,2022-02-10,,1,\n"
        ).encode("utf-8-sig")
    )
    monkeypatch.setenv("ASPEL_LICENSING_ADMIN_KEY", admin.secrets["billing-erp"])

    def run(*flags: str) -> tuple[int, str]:
        code = main(["--server", empty_server.address, "import", str(path), *flags])
        return code, capsys.readouterr().out

    code, out = run("--dry-run")
    assert code == 1
    assert "línea 2: SKSNWR se importaría" in out
    assert "línea 4: rechazada" in out
    with empty_server.services.store.connection():
        assert Subscription.select().count() == 0

    code, out = run()
    assert "línea 2: SKSNWR importado" in out
    assert "Importados: 2; ya importados: 0; rechazados: 1." in out
    code, out = run()
    assert "línea 3: AB12CD ya estaba importado" in out
    assert "Importados: 0; ya importados: 2; rechazados: 1." in out
    with empty_server.services.store.connection():
        assert Subscription.select().count() == 2
        assert AuditEvent.select().where(AuditEvent.kind == "subscription.imported").count() == 2


def test_a_licence_validated_right_after_the_import_keeps_its_seat_counted(
    admin: Admin, account_id: str, empty_server: Any
) -> None:
    """An imported activation counts as seen at the import, so its first
    validation writes no check-in; the licence it hands out must still be
    covered by the seat's bound, or a release would free the seat at once."""
    admin.billing.ImportSubscription(
        _request(
            account_id,
            activations=[_known("CAJA-1", "fp-caja-1", dt.datetime(2022, 2, 11, 9, 30))],
        )
    )
    with empty_server.services.store.connection():
        known = Activation.get(Activation.machine_fingerprint == "fp-caja-1")
    installer = activation_service_pb2_grpc.ActivationServiceStub(empty_server.channel)
    validated = installer.ValidateLicense(
        activation_service_pb2.ValidateLicenseRequest(
            serial_number="SKSNWR", activation_id=known.public_id, machine_fingerprint="fp-caja-1"
        )
    )
    certificate = activation_pb2.LicenseCertificate.FromString(validated.signed_license.certificate)
    with empty_server.services.store.connection():
        bound = Activation.get_by_id(known.id).license_expire_time
    assert bound >= certificate.grace_end_time.ToDatetime(tzinfo=dt.UTC)
