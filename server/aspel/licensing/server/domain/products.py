"""Aspel's product line and how versions compare."""

from __future__ import annotations

import functools

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

#: Aspel's online store: where what is not free (a perpetual licence's new
#: version) is bought; ASPEL_LICENSING_PURCHASE_URL replaces it.
DEFAULT_PURCHASE_URL = "https://www.aspel.com.mx/tienda"


def product_name(code: str) -> str:
    return PRODUCT_NAMES.get(code, f"Aspel {code}")


# Compared for every release against every serial of each portal page: the
# versions in use are a few dozen strings, so each is parsed once.
@functools.lru_cache(maxsize=1024)
def version_key(version: str) -> tuple[int, ...]:
    """Orders "7.0" < "8.0" < "10.0" numerically, not as text."""
    return tuple(int(part) for part in version.split("."))


def is_valid_version(version: str) -> bool:
    try:
        return bool(version) and all(p >= 0 for p in version_key(version))
    except ValueError:
        return False
