"""`aspel-licensing verify` prints the licence's state in es-MX and exits with
one code per state: 0 vigente, 3 periodo de gracia, 4 modo consulta, 1 refused.

`verify` reads this computer's clock: licences in grace or read-only come from
a server whose clock is set back by a month or two before it signs them.
"""

# ruff: noqa: F811 - the fixtures of test_installer_cli, imported by name
from __future__ import annotations

import datetime as dt
import json
import pathlib

from aspel.licensing.client.cli.installer import EXIT_GRACE, EXIT_READ_ONLY
from aspel.licensing.server.domain.clock import FixedClock
from tests.conftest import RunningServer

from .conftest import demo_serial
from .test_installer_cli import (  # noqa: F401 - fixtures
    FINGERPRINT,
    Result,
    Run,
    engine,
    keys_file,
    licence,
    real_time,
    run,
    verify,
)

DAY = dt.timedelta(days=1)


def coi_licence(
    run: Run, server: RunningServer, tmp_path: pathlib.Path, keys_file: pathlib.Path
) -> str:
    """demo's perpetual COI: 30 days of validity, then 30 of grace."""
    coi = demo_serial(server, "demo", "COI")
    path = str(tmp_path / "coi.lic")
    result = run(
        "activate",
        coi.serial_number,
        "--razon-social",
        coi.razon_social,
        "--product",
        "COI",
        "--version",
        coi.version,
        "--fingerprint",
        FINGERPRINT,
        "--output",
        path,
        "--pinned-keys",
        str(keys_file),
    )
    assert result.code == 0, result.err
    return path


def verify_coi(run: Run, path: str, keys_file: pathlib.Path, *extra: str) -> Result:
    return run(
        "verify",
        path,
        "--pinned-keys",
        str(keys_file),
        "--product",
        "COI",
        "--version",
        "9.0",
        "--fingerprint",
        FINGERPRINT,
        *extra,
    )


def test_a_licence_in_force_says_so_and_exits_0(
    run: Run, licence: str, keys_file: pathlib.Path
) -> None:
    result = verify(run, licence, keys_file, "--json")

    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert (document["state"], document["grace_days_left"]) == ("FULL", None)
    assert document["read_only_access"] is True
    assert "Licencia vigente." in verify(run, licence, keys_file).out


def test_a_licence_in_its_grace_says_the_days_left_and_exits_3(
    run: Run,
    server: RunningServer,
    clock: FixedClock,
    tmp_path: pathlib.Path,
    keys_file: pathlib.Path,
) -> None:
    clock.set(clock.now() - 31 * DAY)  # expired yesterday; 29 days of grace left
    path = coi_licence(run, server, tmp_path, keys_file)

    result = verify_coi(run, path, keys_file)

    assert result.code == EXIT_GRACE == 3, result.err
    assert result.out.startswith("Periodo de gracia: quedan 29 días.")
    assert "Gracia hasta:" in result.out
    document = json.loads(verify_coi(run, path, keys_file, "--json").out)
    assert (document["valid"], document["state"], document["grace_days_left"]) == (
        True,
        "GRACE",
        29,
    )


def test_a_licence_past_its_grace_is_read_only_and_exits_4(
    run: Run,
    server: RunningServer,
    clock: FixedClock,
    tmp_path: pathlib.Path,
    keys_file: pathlib.Path,
) -> None:
    clock.set(clock.now() - 61 * DAY)  # the grace ended yesterday
    path = coi_licence(run, server, tmp_path, keys_file)

    result = verify_coi(run, path, keys_file)

    assert result.code == EXIT_READ_ONLY == 4, result.err
    assert result.out.startswith("Modo consulta (solo lectura).")
    assert "no modificarla" in result.out
    document = json.loads(verify_coi(run, path, keys_file, "--json").out)
    assert (document["valid"], document["state"]) == (True, "READ_ONLY")


def test_an_edited_trusted_time_file_is_refused_and_exits_1(
    run: Run, licence: str, keys_file: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    assert verify(run, licence, keys_file).code == 0
    trusted = tmp_path / "trusted.json"  # $ASPEL_LICENSING_TRUSTED_TIME_FILE (real_time)
    document = json.loads(trusted.read_text())
    for record in document["installations"].values():
        record["high_water_time"] = "2020-01-01T00:00:00+00:00"
    trusted.write_text(json.dumps(document))

    result = verify(run, licence, keys_file, "--json")

    assert result.code == 1
    verdict = json.loads(result.out)
    assert (verdict["valid"], verdict["state"], verdict["reason"]) == (
        False,
        "REFUSED",
        "TRUSTED_TIME_TAMPERED",
    )
    assert "TRUSTED_TIME_TAMPERED" in result.err


def test_validate_with_pinned_keys_cures_a_damaged_trusted_time_file(
    run: Run, licence: str, keys_file: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    (tmp_path / "trusted.json").write_text("dañado")
    assert verify(run, licence, keys_file).code == 1

    validated = run(
        "validate", licence, "--fingerprint", FINGERPRINT, "--pinned-keys", str(keys_file)
    )

    assert validated.code == 0, validated.err
    assert verify(run, licence, keys_file).code == 0


def test_the_installation_key_is_created_beside_the_licence(
    run: Run, licence: str, keys_file: pathlib.Path
) -> None:
    assert verify(run, licence, keys_file).code == 0
    assert pathlib.Path(licence + ".key").exists()


def test_a_bad_clock_tolerance_is_bad_usage(
    run: Run, licence: str, keys_file: pathlib.Path
) -> None:
    assert verify(run, licence, keys_file, "--clock-tolerance", "mucho").code == 2
    assert verify(run, licence, keys_file, "--clock-tolerance", "-1").code == 2
    assert verify(run, licence, keys_file, "--clock-tolerance", "48").code == 0
