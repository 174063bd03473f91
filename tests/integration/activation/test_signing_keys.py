"""The licence signing keys: the key file, rotation, ListSigningKeys, no leaks."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import pathlib
import stat
import subprocess
import sys
from typing import Any

import grpc
import pytest

from aspel.licensing.client.license_verification import PinnedKeys, verify_license
from aspel.licensing.server import cli
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.domain.signing import (
    KeyFileError,
    KeyFileExists,
    generate_key_file,
    read_key_file,
    rotate_key_file,
)
from aspel.licensing.server.settings import Settings
from aspel.licensing.v1 import activation_pb2, activation_service_pb2

from .conftest import MACHINE, DemoSerial, activate_request, failure


@pytest.fixture
def engine() -> str:
    """Keys and offline checks do not depend on the database engine: SQLite only."""
    return "sqlite"


NOW = dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC)


def private_key_texts(path: pathlib.Path) -> list[str]:
    """Every private key of a key file, as base64 and as hex."""
    texts = []
    for item in json.loads(path.read_text())["keys"]:
        raw = base64.b64decode(item["private_key"])
        texts += [item["private_key"], raw.hex()]
    return texts


def mode_of(path: pathlib.Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_key_file_is_written_for_its_owner_only(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "var" / "keys.json"
    old_umask = os.umask(0o000)  # even a permissive umask gives 0600
    try:
        generate_key_file(path, NOW)
        assert mode_of(path) == 0o600
        rotate_key_file(path, NOW + dt.timedelta(days=1))
        assert mode_of(path) == 0o600
    finally:
        os.umask(old_umask)
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_generate_refuses_to_replace_keys_unless_asked_to_keep_them(
    tmp_path: pathlib.Path,
) -> None:
    path = tmp_path / "keys.json"
    first = generate_key_file(path, NOW)
    before = path.read_bytes()

    with pytest.raises(KeyFileExists):
        generate_key_file(path, NOW)
    assert generate_key_file(path, NOW, if_missing=True) is None

    assert first is not None and path.read_bytes() == before


def test_a_key_file_readable_by_others_is_refused(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "keys.json"
    generate_key_file(path, NOW)
    path.chmod(0o644)

    with pytest.raises(KeyFileError, match="chmod 600"):
        read_key_file(path)


def test_a_damaged_key_file_is_refused_without_quoting_it(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "keys.json"
    generate_key_file(path, NOW)
    secret = private_key_texts(path)
    path.write_text(path.read_text().replace('"ACTIVE"', '"UNKNOWN"'))

    with pytest.raises(KeyFileError) as caught:
        read_key_file(path)
    assert not any(s in str(caught.value) for s in secret)


def test_rotation_keeps_one_active_key_and_lists_the_retired_ones(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "keys.json"
    first = generate_key_file(path, NOW)
    second = rotate_key_file(path, NOW + dt.timedelta(days=1))

    keys = read_key_file(path).public_keys()

    assert first is not None
    assert [(k.key_id, k.state) for k in keys] == [
        (second.key_id, "ACTIVE"),
        (first.key_id, "RETIRED"),
    ]


def list_keys(stub: Any, **fields: Any) -> activation_service_pb2.ListSigningKeysResponse:
    return stub.ListSigningKeys(activation_service_pb2.ListSigningKeysRequest(**fields))


def test_old_licences_verify_with_the_listed_keys_after_a_rotation(
    stub: Any, sae: DemoSerial, settings: Settings, clock: FixedClock
) -> None:
    old = stub.ActivateInstallation(activate_request(sae)).signed_license
    rotate_key_file(pathlib.Path(settings.signing_key_file), clock.now())
    clock.advance(dt.timedelta(minutes=1))

    new = stub.ActivateInstallation(activate_request(sae)).signed_license
    listed = list_keys(stub).signing_keys

    assert [k.state for k in listed] == [
        activation_pb2.SIGNING_KEY_STATE_ACTIVE,
        activation_pb2.SIGNING_KEY_STATE_RETIRED,
    ]
    assert new.key_id == listed[0].key_id != old.key_id == listed[1].key_id
    pinned = PinnedKeys({k.key_id: k.public_key for k in listed})
    for signed in (old, new):
        verify_license(
            signed,
            pinned_keys=pinned,
            product_code="SAE",
            version="7.0",
            machine_fingerprint=MACHINE,
            now=clock.now(),
        )


def test_signing_keys_are_paginated(stub: Any, settings: Settings) -> None:
    path = pathlib.Path(settings.signing_key_file)
    for days in (1, 2):
        rotate_key_file(path, NOW + dt.timedelta(days=days))

    first = list_keys(stub, page_size=2)
    second = list_keys(stub, page_size=2, page_token=first.next_page_token)

    assert len(first.signing_keys) == 2 and first.next_page_token
    assert len(second.signing_keys) == 1 and not second.next_page_token
    ids = [k.key_id for k in [*first.signing_keys, *second.signing_keys]]
    assert ids == [k.key_id for k in read_key_file(path).public_keys()]


def test_signing_keys_refuse_bad_pages(stub: Any) -> None:
    negative = failure(lambda: list_keys(stub, page_size=-1))
    foreign = failure(lambda: list_keys(stub, page_token="bm9wZQ"))

    assert (negative.code, negative.reason) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
    )
    assert foreign.reason == "INVALID_PAGE_TOKEN"


def test_the_private_key_never_reaches_logs_output_or_answers(
    tmp_path: pathlib.Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    server: Any,
    stub: Any,
    sae: DemoSerial,
    settings: Settings,
) -> None:
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "cli-keys.json"
    for command in ("generate", "rotate", "list"):
        assert (
            cli.main(["--signing-key-file", str(path), "--log-level", "DEBUG", "keys", command])
            == 0
        )
    assert cli.main(["--signing-key-file", str(path), "keys", "list", "--json"]) == 0
    response = stub.ActivateInstallation(activate_request(sae))
    keys = list_keys(stub)

    secrets = private_key_texts(path) + private_key_texts(pathlib.Path(settings.signing_key_file))
    output = capsys.readouterr()
    seen = caplog.text + output.out + output.err + repr(response) + repr(keys)
    seen += repr(read_key_file(path))
    for secret in secrets:
        assert secret not in seen
    assert mode_of(path) == 0o600
    # The pinned-keys JSON is usable as printed.
    printed = output.out[output.out.index("{") :]
    assert len(PinnedKeys.from_json(printed)) == 2


def test_keys_generate_if_missing_keeps_the_existing_keys(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "keys.json"
    assert cli.main(["--signing-key-file", str(path), "keys", "generate", "--if-missing"]) == 0
    before = path.read_bytes()

    assert cli.main(["--signing-key-file", str(path), "keys", "generate", "--if-missing"]) == 0
    assert cli.main(["--signing-key-file", str(path), "keys", "generate"]) == 2

    assert path.read_bytes() == before


def test_the_key_file_location_comes_from_the_environment(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "from-env.json"
    monkeypatch.setenv("ASPEL_LICENSING_SIGNING_KEY_FILE", str(path))

    assert cli.main(["keys", "generate"]) == 0

    assert path.exists()


def test_serve_refuses_to_start_without_a_signing_key(tmp_path: pathlib.Path) -> None:
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    server = [sys.executable, "-m", "aspel.licensing.server", "--database", url]
    env = {**os.environ, "ASPEL_LICENSING_SIGNING_KEY_FILE": str(tmp_path / "missing.json")}
    subprocess.run([*server, "migrate"], check=True, capture_output=True, env=env, timeout=60)

    result = subprocess.run(
        [*server, "--listen", "127.0.0.1:0", "serve"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )

    assert result.returncode == 2
    assert "keys generate" in result.stderr
