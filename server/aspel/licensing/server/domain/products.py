"""Aspel's product line and how versions compare."""

from __future__ import annotations

PRODUCT_NAMES: dict[str, str] = {
    "SAE": "Aspel SAE",
    "COI": "Aspel COI",
    "NOI": "Aspel NOI",
    "CAJA": "Aspel CAJA",
    "FACTURE": "Aspel FACTURE",
    "BANCO": "Aspel BANCO",
    "PROD": "Aspel PROD",
    "ADM": "Aspel ADM",
}


def product_name(code: str) -> str:
    return PRODUCT_NAMES.get(code, f"Aspel {code}")


def version_key(version: str) -> tuple[int, ...]:
    """Orders "7.0" < "8.0" < "10.0" numerically, not as text."""
    return tuple(int(part) for part in version.split("."))


def is_valid_version(version: str) -> bool:
    try:
        return bool(version) and all(p >= 0 for p in version_key(version))
    except ValueError:
        return False
