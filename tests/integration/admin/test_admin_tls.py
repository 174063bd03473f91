"""TLS and mutual TLS, with certificates made here; service keys are checked
on top of the client certificate."""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import pathlib
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from aspel.licensing.server.app import create_server, server_credentials
from aspel.licensing.server.settings import Settings
from aspel.licensing.v1 import admin_service_pb2 as admin_pb
from aspel.licensing.v1 import admin_service_pb2_grpc

from .conftest import failure, make_keys


@dataclasses.dataclass
class Issued:
    key_pem: bytes
    cert_pem: bytes


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class Authority:
    """A throwaway CA that signs server and client certificates."""

    def __init__(self, name: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = dt.datetime.now(dt.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(self.name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.pem = self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, common_name: str, *, server: bool) -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
        cert = builder.sign(self.key, hashes.SHA256())
        return Issued(_pem_key(key), cert.public_bytes(serialization.Encoding.PEM))


@pytest.fixture(scope="module")
def ca() -> Authority:
    return Authority("Aspel Licensing Test CA")


def _write(folder: pathlib.Path, name: str, data: bytes) -> str:
    path = folder / name
    path.write_bytes(data)
    return str(path)


@dataclasses.dataclass
class TlsServer:
    port: int
    keys: dict[str, str]


def _start(settings: Settings, clock: Any) -> Iterator[TlsServer]:
    grpc_server, port, built = create_server(settings, clock)
    grpc_server.start()
    try:
        yield TlsServer(port, make_keys(built))
    finally:
        grpc_server.stop(None).wait()
        built.store.close()


@pytest.fixture
def mtls_server(
    settings: Settings, clock: Any, ca: Authority, tmp_path: pathlib.Path
) -> Iterator[TlsServer]:
    issued = ca.issue("localhost", server=True)
    yield from _start(
        dataclasses.replace(
            settings,
            tls_cert_file=_write(tmp_path, "server.pem", issued.cert_pem),
            tls_key_file=_write(tmp_path, "server.key", issued.key_pem),
            tls_client_ca_file=_write(tmp_path, "clients-ca.pem", ca.pem),
        ),
        clock,
    )


def _stub(
    port: int, ca: Authority, client: Issued | None
) -> tuple[grpc.Channel, admin_service_pb2_grpc.AdminServiceStub]:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=ca.pem,
        private_key=client.key_pem if client else None,
        certificate_chain=client.cert_pem if client else None,
    )
    channel = grpc.secure_channel(
        f"127.0.0.1:{port}", credentials, options=[("grpc.ssl_target_name_override", "localhost")]
    )
    return channel, admin_service_pb2_grpc.AdminServiceStub(channel)


def _list(stub: admin_service_pb2_grpc.AdminServiceStub, key: str | None) -> Any:
    metadata = [("authorization", f"Bearer {key}")] if key else []
    return stub.ListAuditEvents(admin_pb.ListAuditEventsRequest(), metadata=metadata, timeout=10)


def test_a_client_with_a_certificate_from_the_ca_and_a_key_is_served(
    mtls_server: TlsServer, ca: Authority
) -> None:
    channel, stub = _stub(mtls_server.port, ca, ca.issue("billing-erp", server=False))
    with channel:
        assert _list(stub, mtls_server.keys["support-desk"]).audit_events


def test_the_key_is_still_checked_under_mutual_tls(mtls_server: TlsServer, ca: Authority) -> None:
    channel, stub = _stub(mtls_server.port, ca, ca.issue("billing-erp", server=False))
    with channel:
        refused = failure(lambda: _list(stub, None))
        assert refused.reason == "SERVICE_KEY_INVALID"
        denied = failure(lambda: _list(stub, mtls_server.keys["billing-erp"]))
        assert denied.reason == "SCOPE_MISSING"


@pytest.mark.parametrize("client", ["none", "other-ca"])
def test_a_client_without_a_certificate_of_the_ca_cannot_connect(
    mtls_server: TlsServer, ca: Authority, client: str
) -> None:
    issued = (
        Authority("Another CA").issue("intruso", server=False) if client == "other-ca" else None
    )
    channel, stub = _stub(mtls_server.port, ca, issued)
    with channel, pytest.raises(grpc.RpcError) as caught:
        _list(stub, mtls_server.keys["support-desk"])
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


def test_tls_without_a_client_ca_needs_no_client_certificate(
    settings: Settings, clock: Any, ca: Authority, tmp_path: pathlib.Path
) -> None:
    issued = ca.issue("localhost", server=True)
    tls_only = dataclasses.replace(
        settings,
        tls_cert_file=_write(tmp_path, "server.pem", issued.cert_pem),
        tls_key_file=_write(tmp_path, "server.key", issued.key_pem),
    )
    for running in _start(tls_only, clock):
        channel, stub = _stub(running.port, ca, None)
        with channel:
            assert _list(stub, running.keys["support-desk"]).audit_events
        plain = grpc.insecure_channel(f"127.0.0.1:{running.port}")
        with plain, pytest.raises(grpc.RpcError):
            admin_service_pb2_grpc.AdminServiceStub(plain).ListAuditEvents(
                admin_pb.ListAuditEventsRequest(), timeout=5
            )


def test_tls_settings_come_from_the_environment_and_must_pair() -> None:
    read = Settings.from_env(
        {
            "ASPEL_LICENSING_TLS_CERT_FILE": "/etc/aspel/server.pem",
            "ASPEL_LICENSING_TLS_KEY_FILE": "/etc/aspel/server.key",
            "ASPEL_LICENSING_TLS_CLIENT_CA_FILE": "/etc/aspel/clients.pem",
        }
    )
    assert (read.tls_cert_file, read.tls_key_file, read.tls_client_ca_file) == (
        "/etc/aspel/server.pem",
        "/etc/aspel/server.key",
        "/etc/aspel/clients.pem",
    )
    assert server_credentials(Settings()) is None
    with pytest.raises(ValueError, match="tls_key_file"):
        server_credentials(Settings(tls_cert_file="/etc/aspel/server.pem"))
    with pytest.raises(ValueError, match="tls_cert_file"):
        server_credentials(Settings(tls_client_ca_file="/etc/aspel/clients.pem"))


def test_the_admin_cli_connects_with_mutual_tls(
    mtls_server: TlsServer,
    ca: Authority,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from aspel.licensing.client.admin_cli import main

    client = ca.issue("support-desk", server=False)
    monkeypatch.setenv("ASPEL_LICENSING_ADMIN_KEY", mtls_server.keys["support-desk"])
    tls = [
        "--tls-ca",
        _write(tmp_path, "ca.pem", ca.pem),
        "--tls-cert",
        _write(tmp_path, "client.pem", client.cert_pem),
        "--tls-key",
        _write(tmp_path, "client.key", client.key_pem),
    ]
    server = ["--server", f"localhost:{mtls_server.port}"]
    assert main([*server, *tls, "events", "--kind", "service_key."]) == 0
    assert "Llave de servicio creada" in capsys.readouterr().out
    assert main([*server, "--deadline", "2", *tls[:2], "events"]) == 78  # 64 + UNAVAILABLE
    assert "(UNAVAILABLE)" in capsys.readouterr().err
