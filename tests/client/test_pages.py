"""`base.follow_pages`: the one loop of every list method that follows next_page_token."""

from __future__ import annotations

import itertools

from aspel.licensing.client.base import follow_pages
from aspel.licensing.v1 import activation_pb2
from aspel.licensing.v1 import activation_service_pb2 as pb

PAGES = {
    "": pb.ListSigningKeysResponse(
        signing_keys=[activation_pb2.SigningKey(key_id="k1")], next_page_token="t1"
    ),
    "t1": pb.ListSigningKeysResponse(signing_keys=[], next_page_token="t2"),
    "t2": pb.ListSigningKeysResponse(signing_keys=[activation_pb2.SigningKey(key_id="k2")]),
}


def test_it_follows_every_token_through_empty_pages_and_stops_at_the_last() -> None:
    asked: list[str] = []

    def fetch(token: str) -> pb.ListSigningKeysResponse:
        asked.append(token)
        return PAGES[token]

    keys = [k.key_id for k in follow_pages(fetch, lambda page: page.signing_keys)]

    assert keys == ["k1", "k2"]
    assert asked == ["", "t1", "t2"]


def test_it_fetches_a_page_only_when_its_items_are_wanted() -> None:
    asked: list[str] = []

    def fetch(token: str) -> pb.ListSigningKeysResponse:
        asked.append(token)
        return PAGES[token]

    items = follow_pages(fetch, lambda page: page.signing_keys)
    assert asked == []
    assert [k.key_id for k in itertools.islice(items, 1)] == ["k1"]
    assert asked == [""]
