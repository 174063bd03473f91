"""Pagination of every list: page sizes in one table, opaque page tokens (AIP-158).

A token is `version || nonce || AES-GCM(position)`, in unpadded base64url, 50
characters. The list it belongs to and a digest of the filters it was made for
are the AEAD's associated data, so a token of another list, of other filters,
altered or simply invented fails authentication and is INVALID_PAGE_TOKEN; the
position inside (a row id or an offset) is encrypted, so callers cannot read or
craft one. The key is a server secret shared through the database by every
process of the deployment (`store/server_secrets.py`), so a token works on
whichever worker or machine the next call lands.

Random 96-bit nonces keep AES-GCM safe for about 2**32 tokens per key, far more
than this service issues; a new key (deleting the `page_tokens` secret) only
sends callers with a token in hand back to the first page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import InvalidPageToken

if TYPE_CHECKING:  # validation.py imports this module
    from .validation import Violations

KEY_SECRET_NAME = "page_tokens"  # noqa: S105 (the row's name, not a secret)
KEY_BYTES = 32
_VERSION = b"\x01"
_NONCE_BYTES = 12
_POSITION = struct.Struct(">Q")  # an unsigned 64-bit row id or offset
_TAG_BYTES = 16
_RAW_BYTES = len(_VERSION) + _NONCE_BYTES + _POSITION.size + _TAG_BYTES
#: Longer tokens are refused before any decoding (a hostile caller's megabyte
#: of text costs one length check).
MAX_TOKEN_CHARS = 64

FilterValue = str | int | None
T = TypeVar("T")


@dataclass(frozen=True)
class Listing:
    """One paginated list: its token kind and its page sizes."""

    kind: str
    default_page_size: int
    max_page_size: int

    def page_size(self, requested: int) -> int:
        """0 is the default; more than the maximum is the maximum (AIP-158).
        A negative size is refused by `Violations.page_size` before this."""
        return min(requested or self.default_page_size, self.max_page_size)


SUBSCRIPTIONS = Listing("subscriptions", default_page_size=50, max_page_size=100)
SIGNING_KEYS = Listing("signing_keys", default_page_size=50, max_page_size=100)
AUDIT_EVENTS = Listing("audit_events", default_page_size=50, max_page_size=500)
WEBHOOK_ENDPOINTS = Listing("webhook_endpoints", default_page_size=50, max_page_size=100)
ACTIVATIONS = Listing("activations", default_page_size=50, max_page_size=100)


def page_of(items: Sequence[T], offset: int, size: int) -> tuple[Sequence[T], int | None]:
    """One page of a list read whole (small lists, positioned by offset) and
    the offset of the next page, None after the last."""
    end = offset + size
    return items[offset:end], end if end < len(items) else None


def _associated_data(listing: Listing, filters: Sequence[FilterValue]) -> bytes:
    digest = hashlib.sha256(
        json.dumps([listing.kind, *filters], separators=(",", ":")).encode()
    ).digest()
    return _VERSION + digest


class PageTokens:
    """Issues and reads the page tokens of every list with one key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a page-token key has {KEY_BYTES} bytes")
        self._aead = AESGCM(key)

    def encode(self, listing: Listing, filters: Sequence[FilterValue], position: int | None) -> str:
        """The next page's token; "" when there is no next page (`position` None)."""
        if position is None:
            return ""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(
            nonce, _POSITION.pack(position), _associated_data(listing, filters)
        )
        return base64.urlsafe_b64encode(_VERSION + nonce + sealed).decode().rstrip("=")

    def decode(self, listing: Listing, filters: Sequence[FilterValue], token: str) -> int:
        """The position a token stands for; 0 for the first page (no token).

        Anything this server did not issue for this list and these filters is
        INVALID_PAGE_TOKEN."""
        if not token:
            return 0
        if len(token) > MAX_TOKEN_CHARS:
            raise InvalidPageToken()
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError) as exc:
            raise InvalidPageToken() from exc
        if len(raw) != _RAW_BYTES or raw[:1] != _VERSION:
            raise InvalidPageToken()
        nonce, sealed = raw[1 : 1 + _NONCE_BYTES], raw[1 + _NONCE_BYTES :]
        try:
            plain = self._aead.decrypt(nonce, sealed, _associated_data(listing, filters))
        except InvalidTag as exc:
            raise InvalidPageToken() from exc
        (position,) = _POSITION.unpack(plain)
        return int(position)


class ListRequest(Protocol):
    """The two fields every List request has (AIP-158)."""

    @property
    def page_size(self) -> int: ...

    @property
    def page_token(self) -> str: ...


class Paged(Protocol):
    """A page a service answers: where the next one starts (None: this is the last)."""

    @property
    def next_after_id(self) -> int | None: ...


P = TypeVar("P", bound=Paged)


def read_page(
    tokens: PageTokens,
    listing: Listing,
    filters: Sequence[FilterValue],
    request: ListRequest,
    check: Violations,
    fetch: Callable[[int, int], P],
) -> tuple[P, str]:
    """The page a List request asks for, and the token of the next one.

    The page size joins the request's other checks in `check` (all raised
    together); `fetch(size, after_id)` reads the page; the token read and the
    token issued are bound to the same `listing` and `filters` (for a caller's
    own list, filters name the caller)."""
    size = check.page_size("page_size", request.page_size, listing)
    check.raise_if_any()
    page = fetch(size, tokens.decode(listing, filters, request.page_token))
    return page, tokens.encode(listing, filters, page.next_after_id)
