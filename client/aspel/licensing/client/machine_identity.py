"""What identifies this machine: several hardware and system components, each
sent only as a salted digest.

A reinstall of Windows on the same PC changes the MachineGuid but not the
board's SMBIOS UUID, the system disk or the network card; a new disk changes
one component, not the others. The server matches a machine when most of its
components match (see the server's seat rules), so a formatted PC finds its own
activation instead of taking a new seat.

Each digest is SHA-256 over a context string, the component's kind, the salt
(the serial number, canonical) and the raw value: the raw ids never leave the
machine, and the same disk gives unrelated digests for two serials, so digests
cannot link one machine across accounts.

    components = collect_components("ABCDE12345FGH7K")

Components that cannot be read (a container without DMI, a disk without a
serial, an unprivileged user) are left out rather than guessed.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

#: The component kinds, in the order they are sent.
MACHINE_ID = "machine_id"  # Windows MachineGuid, Linux /etc/machine-id
SYSTEM_UUID = "system_uuid"  # SMBIOS / DMI product UUID of the board
SYSTEM_DISK = "system_disk"  # serial number of the disk holding the system
NETWORK_MAC = "network_mac"  # the first physical network card's address
KINDS = (MACHINE_ID, SYSTEM_UUID, SYSTEM_DISK, NETWORK_MAC)

_CONTEXT = b"aspel-licensing machine component v1\0"
#: Values firmware writes when it has none to give: not identities.
_PLACEHOLDERS = {
    "",
    "none",
    "default string",
    "to be filled by o.e.m.",
    "not specified",
    "not applicable",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "03000200-0400-0500-0006-000700080009",
    "00:00:00:00:00:00",
}


@dataclass(frozen=True)
class MachineComponent:
    kind: str
    #: Lower-case hex SHA-256 (64 characters).
    digest: str


#: A native serial's length, and the letters read as digits in one (the
#: server's normalisation, domain/serials.py): a serial typed with a
#: lookalike salts as the one the licence names.
_NATIVE_LENGTH = 15
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def canonical_salt(serial_number: str) -> str:
    """The serial as salt, canonical as the server writes it: upper case,
    letters and digits only, and in a native (15-character) serial I and L
    read as 1 and O as 0; so "abcde-12345-fgh7k", "ABCDE12345FGH7K" and the
    certificate's serial salt alike. Legacy serials stay as typed."""
    cleaned = re.sub(r"[^0-9A-Z]", "", serial_number.upper())
    if len(cleaned) == _NATIVE_LENGTH:
        return cleaned.translate(_LOOKALIKES)
    return cleaned


def component_digest(kind: str, raw_value: str, salt: str) -> str:
    """The digest of one raw component value."""
    material = b"\0".join(
        (kind.encode(), canonical_salt(salt).encode(), raw_value.strip().lower().encode())
    )
    return hashlib.sha256(_CONTEXT + material).hexdigest()


def digest_components(raw: Mapping[str, str | None], salt: str) -> list[MachineComponent]:
    """The digests of the usable raw values, in KINDS order (unknown kinds and
    placeholder values are dropped)."""
    components = []
    for kind in KINDS:
        value = raw.get(kind)
        if value is None or value.strip().lower() in _PLACEHOLDERS:
            continue
        components.append(MachineComponent(kind, component_digest(kind, value, salt)))
    return components


def collect_components(salt: str) -> list[MachineComponent]:
    """This machine's component digests for a serial (see the module docstring)."""
    return digest_components(read_raw_components(), salt)


def read_raw_components() -> dict[str, str | None]:
    """The raw component values of this machine. They must not leave it:
    only `digest_components` of them is ever sent."""
    readers: Mapping[str, Callable[[], str | None]]
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        readers = {
            MACHINE_ID: _windows_machine_guid,
            SYSTEM_UUID: lambda: _windows_cim("Win32_ComputerSystemProduct", "UUID"),
            SYSTEM_DISK: _windows_system_disk_serial,
            NETWORK_MAC: _first_mac,
        }
    else:
        readers = {
            MACHINE_ID: _linux_machine_id,
            SYSTEM_UUID: lambda: _read("/sys/class/dmi/id/product_uuid"),
            SYSTEM_DISK: _linux_root_disk_serial,
            NETWORK_MAC: _linux_first_physical_mac,
        }
    values: dict[str, str | None] = {}
    for kind, reader in readers.items():
        try:
            values[kind] = reader()
        except OSError:
            # Unreadable here (permissions, no such device): left out.
            values[kind] = None
    return values


# --- Linux -------------------------------------------------------------------------


def _read(path: str | pathlib.Path) -> str | None:
    try:
        return pathlib.Path(path).read_text(encoding="utf-8", errors="replace").strip() or None
    except OSError:
        return None


def _linux_machine_id() -> str | None:
    return _read("/etc/machine-id") or _read("/var/lib/dbus/machine-id")


def _linux_root_disk_serial() -> str | None:
    """The serial (or WWID) of the whole disk holding `/`: a partition's sysfs
    entry sits below its disk's."""
    device = os.stat("/").st_dev
    node = pathlib.Path(f"/sys/dev/block/{os.major(device)}:{os.minor(device)}")
    if not node.exists():
        return None  # overlay or network root (containers): no disk to name
    entry = node.resolve()
    for candidate in (entry, entry.parent):
        for name in ("device/serial", "serial", "device/wwid", "wwid"):
            value = _read(candidate / name)
            if value:
                return value
    return None


def _linux_first_physical_mac() -> str | None:
    """The address of the first interface backed by a device (not lo, bridges,
    veth or tunnels), by name, so the choice is stable across boots."""
    net = pathlib.Path("/sys/class/net")
    try:
        names = sorted(p.name for p in net.iterdir())
    except OSError:
        return None
    for name in names:
        if not (net / name / "device").exists():
            continue
        address = _read(net / name / "address")
        if address and address.lower() not in _PLACEHOLDERS:
            return address
    return None


# --- Windows -----------------------------------------------------------------------


def _windows_machine_guid() -> str | None:  # pragma: no cover - Windows only
    if sys.platform == "win32":  # the guard mypy reads winreg's stubs by
        import winreg

        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Cryptography") as key:
            return str(winreg.QueryValueEx(key, "MachineGuid")[0])
    return None


def _powershell(command: str) -> str | None:  # pragma: no cover - Windows only
    # By full path (a powershell.exe earlier in PATH must not answer), and only
    # with this module's constant commands: no input reaches the command line.
    root = os.environ.get("SYSTEMROOT", r"C:\Windows")
    executable = rf"{root}\System32\WindowsPowerShell\v1.0\powershell.exe"
    try:
        done = subprocess.run(  # noqa: S603 - constant commands, see above
            [executable, "-NoProfile", "-NonInteractive", "-Command", command],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def _windows_cim(class_name: str, prop: str) -> str | None:  # pragma: no cover - Windows only
    return _powershell(f"(Get-CimInstance -ClassName {class_name}).{prop}")


def _windows_system_disk_serial() -> str | None:  # pragma: no cover - Windows only
    return _powershell("(Get-Partition -DriveLetter $env:SystemDrive[0] | Get-Disk).SerialNumber")


def _first_mac() -> str | None:
    """uuid.getnode() when it found a real card: a random fallback has the
    multicast bit set."""
    node = uuid.getnode()
    if node >> 40 & 0x01:
        return None
    return ":".join(f"{node >> shift & 0xFF:02x}" for shift in range(40, -1, -8))


__all__ = [
    "KINDS",
    "MACHINE_ID",
    "NETWORK_MAC",
    "SYSTEM_DISK",
    "SYSTEM_UUID",
    "MachineComponent",
    "canonical_salt",
    "collect_components",
    "component_digest",
    "digest_components",
    "read_raw_components",
]
