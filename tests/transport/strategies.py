"""Hypothesis strategies for hostile requests, built from the request descriptors.

Every field gets values of its wire type from the edges of its range (huge and
empty strings, control characters, extreme integers, unknown enum numbers,
timestamps and dates outside their types' ranges), mixed with values that get
past the first checks (the demo's serials and accounts, known products and
versions, UUIDs), so that calls also reach the domain and the store.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from google.protobuf import descriptor, message, message_factory
from hypothesis import strategies as st

from aspel.licensing.server.domain.products import PRODUCT_NAMES

F = descriptor.FieldDescriptor

_INT_RANGES = {
    F.TYPE_INT32: (-(2**31), 2**31 - 1),
    F.TYPE_SINT32: (-(2**31), 2**31 - 1),
    F.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    F.TYPE_INT64: (-(2**63), 2**63 - 1),
    F.TYPE_SINT64: (-(2**63), 2**63 - 1),
    F.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    F.TYPE_UINT32: (0, 2**32 - 1),
    F.TYPE_FIXED32: (0, 2**32 - 1),
    F.TYPE_UINT64: (0, 2**64 - 1),
    F.TYPE_FIXED64: (0, 2**64 - 1),
}

ODD_TEXT = [
    "",
    " ",
    "\x00",
    "\t\n\r",
    "ñÑáéíóú",
    "😀" * 20,
    "\u202e\u200b\ufeff",
    "'; DROP TABLE account; --",
    "%s%n%x{0}",
    "../../etc/passwd",
    "A" * 257,
    "A" * 4097,
]


def huge_text() -> st.SearchStrategy[str]:
    # Bounded so a request stays under the server's 1 MiB message limit mostly,
    # and always under grpc core's backstop (twice that).
    return st.integers(1_000, 60_000).map(lambda n: "x" * n)


def page_tokens() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=80),
        st.binary(min_size=0, max_size=60).map(
            lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
        ),
        st.sampled_from(
            [
                base64.urlsafe_b64encode(b'{"k":"subscriptions","a":99999999999999999999999}')
                .decode()
                .rstrip("="),
                base64.urlsafe_b64encode(b'{"k":"audit","a":true}').decode().rstrip("="),
            ]
        ),
    )


def text_for(
    name: str, pools: Mapping[str, Sequence[str]], huge: bool = True
) -> st.SearchStrategy[str]:
    choices: list[st.SearchStrategy[str]] = [st.text(max_size=40), st.sampled_from(ODD_TEXT)]
    if huge:
        choices.append(huge_text())
    if name == "page_token":
        choices.append(page_tokens())
    if name == "request_id":
        choices.append(st.uuids().map(str))
    if name in pools:
        # Plausible values, drawn often: they get past validation.
        choices = [st.sampled_from(list(pools[name]))] * 3 + choices
    return st.one_of(choices)


def integers_for(field: descriptor.FieldDescriptor) -> st.SearchStrategy[int]:
    low, high = _INT_RANGES[field.type]
    edges = sorted({low, high, 0, 1, min(max(low, -1), high), 2, 50, 100, 101, 1000, 10**6})
    edges = [e for e in edges if low <= e <= high]
    return st.one_of(st.sampled_from(edges), st.integers(low, high), st.integers(0, 20))


def timestamps() -> st.SearchStrategy[dict[str, int]]:
    edges = [-62_135_596_800, -62_135_596_801, 253_402_300_799, 253_402_300_800, 0]
    return st.fixed_dictionaries(
        {
            "seconds": st.one_of(
                st.sampled_from(edges),
                st.integers(-(2**63), 2**63 - 1),
                st.integers(1_700_000_000, 1_900_000_000),
            ),
            "nanos": st.one_of(
                st.sampled_from([0, -1, 999_999_999, 1_000_000_000]),
                st.integers(-(2**31), 2**31 - 1),
            ),
        }
    )


def dates() -> st.SearchStrategy[dict[str, int]]:
    int32 = st.integers(-(2**31), 2**31 - 1)
    return st.fixed_dictionaries(
        {
            "year": st.one_of(st.sampled_from([0, 1, 2026, 9999, 10_000]), int32),
            "month": st.one_of(st.integers(0, 13), int32),
            "day": st.one_of(st.integers(0, 32), int32),
        }
    )


def _scalar(
    field: descriptor.FieldDescriptor,
    pools: Mapping[str, Sequence[str]],
    depth: int,
    huge: bool = True,
) -> st.SearchStrategy[Any]:
    if field.type == F.TYPE_STRING:
        return text_for(field.name, pools, huge)
    if field.type in _INT_RANGES:
        return integers_for(field)
    if field.type == F.TYPE_BOOL:
        return st.booleans()
    if field.type == F.TYPE_ENUM:
        numbers = [v.number for v in field.enum_type.values]
        return st.one_of(st.sampled_from(numbers), st.integers(-(2**31), 2**31 - 1))
    if field.type == F.TYPE_BYTES:
        return st.binary(max_size=200)
    if field.type in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
        return st.floats(allow_nan=True, allow_infinity=True, width=32)
    if field.type == F.TYPE_MESSAGE:
        name = field.message_type.full_name
        if name == "google.protobuf.Timestamp":
            return timestamps().map(lambda v: _build(field.message_type, v))
        if name == "google.type.Date":
            return dates().map(lambda v: _build(field.message_type, v))
        return anything(field.message_type, pools, depth + 1)
    raise NotImplementedError(f"no strategy for {field.full_name} (type {field.type})")


def _build(desc: descriptor.Descriptor, values: Mapping[str, int]) -> message.Message:
    built = message_factory.GetMessageClass(desc)()
    for name, value in values.items():
        setattr(built, name, value)
    return built


def requests(
    desc: descriptor.Descriptor, pools: Mapping[str, Sequence[str]]
) -> st.SearchStrategy[message.Message]:
    """Hostile messages of type `desc`: half of them with any subset of their
    fields set to anything, half plausible in every field but (mostly) one,
    which gets a hostile value, so that calls also reach the domain."""
    return st.one_of(anything(desc, pools), plausible_but_one(desc, pools))


def _plausible(
    field: descriptor.FieldDescriptor, pools: Mapping[str, Sequence[str]]
) -> st.SearchStrategy[Any]:
    if field.type == F.TYPE_STRING:
        if field.name in pools:
            return st.sampled_from(list(pools[field.name]))
        if field.name == "request_id":
            return st.uuids().map(str)
        if field.name == "page_token":
            return st.just("")
        return st.text(
            st.characters(min_codepoint=0x61, max_codepoint=0x7A), min_size=3, max_size=20
        )
    if field.type in _INT_RANGES:
        return st.integers(0, 5)
    if field.type == F.TYPE_BOOL:
        return st.booleans()
    if field.type == F.TYPE_ENUM:
        return st.sampled_from([v.number for v in field.enum_type.values])
    if field.type == F.TYPE_MESSAGE:
        name = field.message_type.full_name
        if name == "google.protobuf.Timestamp":
            return st.integers(1_700_000_000, 1_900_000_000).map(
                lambda v: _build(field.message_type, {"seconds": v})
            )
        if name == "google.type.Date":
            return st.dates().map(
                lambda d: _build(
                    field.message_type, {"year": d.year, "month": d.month, "day": d.day}
                )
            )
    return _scalar(field, pools, 3, huge=False)


def _fields(desc: descriptor.Descriptor) -> list[descriptor.FieldDescriptor]:
    return [
        f
        for f in desc.fields
        if not (f.type == F.TYPE_MESSAGE and f.message_type.GetOptions().map_entry)
    ]


def plausible_but_one(
    desc: descriptor.Descriptor, pools: Mapping[str, Sequence[str]]
) -> st.SearchStrategy[message.Message]:
    fields = _fields(desc)

    @st.composite
    def build(draw: st.DrawFn) -> message.Message:
        built = message_factory.GetMessageClass(desc)()
        hostile = draw(st.sampled_from([None, *[f.name for f in fields]]))
        for field in fields:
            if field.name == hostile:
                strategy = _scalar(field, pools, 0)
            elif draw(st.integers(0, 9)) == 0:
                continue  # now and then a field left out
            else:
                strategy = _plausible(field, pools)
            if field.is_repeated:
                _set(built, field, draw(st.lists(strategy, min_size=1, max_size=3)))
            else:
                _set(built, field, draw(strategy))
        return built

    return build()


def _set(built: message.Message, field: descriptor.FieldDescriptor, value: Any) -> None:
    target = getattr(built, field.name)
    if field.is_repeated:
        if field.type == F.TYPE_MESSAGE:
            for item in value:
                target.add().CopyFrom(item)
        else:
            target.extend(value)
    elif field.type == F.TYPE_MESSAGE:
        target.CopyFrom(value)
    else:
        setattr(built, field.name, value)


def anything(
    desc: descriptor.Descriptor, pools: Mapping[str, Sequence[str]], depth: int = 0
) -> st.SearchStrategy[message.Message]:
    """Messages of type `desc` with any subset of their fields set."""
    fields = _fields(desc)
    if depth > 2:
        fields = []
    per_field: dict[str, st.SearchStrategy[Any]] = {}
    for field in fields:
        scalar = _scalar(field, pools, depth)
        if field.is_repeated:
            per_field[field.name] = st.one_of(
                st.lists(scalar, max_size=4),
                # Past any limit on the number of items, cheaply (and, with
                # no huge strings, within grpc core's backstop).
                _scalar(field, pools, depth, huge=False).flatmap(lambda v: st.just([v] * 60)),
            )
        else:
            per_field[field.name] = scalar

    @st.composite
    def build(draw: st.DrawFn) -> message.Message:
        built = message_factory.GetMessageClass(desc)()
        values = draw(st.fixed_dictionaries({}, optional=per_field))
        for field in fields:
            if field.name in values:
                _set(built, field, values[field.name])
        return built

    return build()


def garbage_authorization() -> st.SearchStrategy[str]:
    """Metadata values grpc lets a client send (visible ASCII, no edge spaces)."""
    visible = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=200)
    return st.one_of(
        visible,
        visible.map(lambda v: f"Bearer {v}" if v else "Bearer"),
        st.sampled_from(
            [
                "Bearer",
                "bearer x",
                "BEARER " + str(uuid.UUID(int=0)),
                "Basic Zm9vOmJhcg==",
                "Bearer " + "A" * 4000,
                "Bearer sk_" + "0" * 64,
            ]
        ),
    )


def product_pools() -> dict[str, list[str]]:
    products = sorted(PRODUCT_NAMES)
    versions = ["7.0", "8.0", "9.0", "10.0", "11.0", "4.0", "5.0", "99.0", "0.0", "1.2.3.4.5"]
    return {
        "product_code": products + [p.lower() for p in products] + ["XYZ"],
        "version": versions,
        "to_version": versions,
        "upgrade_from_versions": versions,
        "download_url": ["https://www.aspel.com.mx/descargas", "http://x", "https://"],
        "kind": ["payment.recorded", "login.", "login.succeeded", "subscription."],
        "machine_fingerprint": ["fp-hostile-1", "fp-hostile-2"],
        "email": ["nuevo@example.com", "demo2@example.com"],
        "password": ["una frase larga y secreta de 2026"],
        "initial_password": ["una frase larga y secreta de 2026"],
        "new_password": ["una frase larga y secreta de 2026"],
        "hostname": ["equipo-contabilidad"],
        "payment_reference": ["pago-001"],
        "reason": ["Solicitud del cliente por teléfono."],
        "title": ["Términos de la versión nueva"],
        "clauses": ["Primera cláusula.", "Segunda cláusula."],
    }
