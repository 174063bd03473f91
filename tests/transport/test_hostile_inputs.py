"""Hostile input against every RPC of every service of the real server.

For every service found in the generated descriptors (LicensingService,
ActivationService, AdminService), hypothesis sends requests built from the
request descriptors (see strategies.py: huge and odd strings, invalid serials,
negative page sizes, random page tokens, extreme timestamps and dates, unknown
enum numbers) with no credentials, a garbage `authorization` value, a valid
session token, or a service key holding every scope; and raw bytes that are
mostly not a message at all. Whatever the input, the answer is OK or an error
that (tests/transport/calls.py `documented_error`):

- is never UNKNOWN or INTERNAL,
- carries exactly one ErrorInfo of our domain, whose reason the registry knows
  with that code and the proto comments list for that RPC (or its service),
- carries exactly one es-MX LocalizedMessage.

The fuzz runs on SQLite only (the answers come from the transport and the
domain; the store's engines have their own tests). `make test` runs a bounded
number of examples per service; for a longer run set
`ASPEL_LICENSING_HOSTILE_EXAMPLES`, e.g.

    ASPEL_LICENSING_HOSTILE_EXAMPLES=5000 .venv/bin/pytest -q tests/transport/test_hostile_inputs.py

A failure prints the request that caused it (hypothesis shrinks it first);
`-s` shows how often each RPC answered each reason.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from aspel.licensing.server.app import _core_receive_limit
from aspel.licensing.server.domain import serials
from aspel.licensing.server.settings import Settings
from aspel.licensing.v1 import licensing_service_pb2, licensing_service_pb2_grpc

from .calls import call_raw
from .credentials import bearer, service_key, session_token
from .registry import rpcs, services
from .strategies import garbage_authorization, product_pools, requests

EXAMPLES = int(os.environ.get("ASPEL_LICENSING_HOSTILE_EXAMPLES", "60"))

ENGINES = os.environ.get("ASPEL_LICENSING_HOSTILE_ENGINES", "sqlite,postgresql").split(",")

# Past grpc core's own limit a request never reaches the server's code: grpc
# answers RESOURCE_EXHAUSTED itself (test_malformed_requests.py pins that).
# Nested repeated fields of long texts can add up to that, rarely.
GRPC_CORE_LIMIT = _core_receive_limit(Settings().max_message_bytes)

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SERVICES = [s.full_name for s in services()]


class Hostile:
    """The server with the credentials and the plausible values of its demo data."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.key = service_key(server)
        self.pools = self._pools()

    def _pools(self) -> dict[str, list[str]]:
        from aspel.licensing.server.store.models import Account, Subscription

        with self.server.services.store.connection():
            serial_numbers = [s.serial_number for s in Subscription.select()]
            # Not the session account's id or name: a disabled or locked "demo"
            # would end the session half of the examples use.
            others = list(Account.select().where(Account.username != "demo"))
        shown = [serials.display(s) for s in serial_numbers]
        nearly = [s[:-1] + ("0" if s[-1] != "0" else "1") for s in shown]
        pools = product_pools()
        pools.update(
            {
                "terms_id": [*self._terms_ids(shown), "terms-inexistentes"],
                "serial_number": shown + serial_numbers + nearly + ["ABCDE-12345-FGH7K"],
                "account_id": [a.public_id for a in others] + ["acc_nope"],
                "username": [a.username for a in others] + ["nadie"],
                "email_or_username": [a.email for a in others],
                "razon_social": [a.razon_social for a in others]
                + ["Comercializadora Demo, S.A. de C.V."],
            }
        )
        return pools

    def _terms_ids(self, shown: list[str]) -> list[str]:
        stub = licensing_service_pb2_grpc.LicensingServiceStub(self.server.channel)
        auth = bearer(session_token(self.server))
        found = []
        for serial in shown:
            try:
                terms = stub.GetUpgradeTerms(
                    licensing_service_pb2.GetUpgradeTermsRequest(serial_number=serial),
                    metadata=auth,
                    timeout=10,
                ).upgrade_terms
            except grpc.RpcError:
                continue
            found.append(terms.terms_id)
        assert found, "the demo has serials with upgrade terms"
        return found

    def metadata(self, path: str, who: str, garbage: str) -> list[tuple[str, str]]:
        if who == "nobody":
            return []
        if who == "garbage":
            return [("authorization", garbage)]
        if who == "key":
            return bearer(self.key)
        # A fresh login each time: an example may have signed the last one out.
        try:
            return bearer(session_token(self.server))
        except Exception:
            return bearer("sesion-vencida")


@pytest.fixture
def hostile(server: Any) -> Hostile:
    return Hostile(server)


def who_for(service: str) -> st.SearchStrategy[str]:
    """Mostly the credential the service takes, so calls get past authentication."""
    right = {"LicensingService": "session", "AdminService": "key"}.get(service.rsplit(".", 1)[-1])
    anyone = st.sampled_from(["nobody", "garbage", "session", "key"])
    return st.one_of(st.just(right), anyone) if right else anyone


WHO = who_for("")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("service", SERVICES)
def test_random_requests_get_ok_or_a_documented_error(hostile: Hostile, service: str) -> None:
    methods = [r for r in rpcs() if r.service == service]
    strategies = {r.path: requests(r.input, hostile.pools) for r in methods}
    outcomes: Counter[tuple[str, str, str]] = Counter()

    # Enough examples per method that some get past validation in every
    # service, however many methods it has (AdminService has the most).
    @settings(FUZZ, max_examples=max(EXAMPLES, 5 * len(methods)))
    @given(
        path=st.sampled_from(sorted(strategies)),
        who=who_for(service),
        garbage=garbage_authorization(),
        data=st.data(),
    )
    def run(path: str, who: str, garbage: str, data: st.DataObject) -> None:
        request = data.draw(strategies[path], label="request")
        body = request.SerializeToString()
        assume(len(body) <= GRPC_CORE_LIMIT)
        answer = call_raw(
            hostile.server.channel,
            path,
            body,
            hostile.metadata(path, who, garbage),
        )
        outcomes[(path.rsplit("/", 1)[1], answer.code.name, answer.reason)] += 1

    run()
    print(*sorted(outcomes.items()), sep="\n")  # shown with -s: what the fuzz reached
    # The examples got past validation and authentication too, not only refused:
    # some answer came from the domain (OK or a rule's refusal). Not "some OK":
    # 60 random examples do not always hit a fully valid request.
    refused_early = {"INVALID_ARGUMENT", "UNAUTHENTICATED", "PERMISSION_DENIED"}
    assert any(code not in refused_early for _, code, _ in outcomes), outcomes


@pytest.mark.parametrize("engine", ["sqlite"])  # undecodable bytes never reach the store
def test_random_bytes_get_ok_or_a_documented_error(hostile: Hostile) -> None:
    @FUZZ
    @given(
        path=st.sampled_from(sorted(r.path for r in rpcs())),
        who=WHO,
        garbage=garbage_authorization(),
        body=st.one_of(st.binary(max_size=300), st.binary(max_size=8).map(lambda b: b * 50)),
    )
    def run(path: str, who: str, garbage: str, body: bytes) -> None:
        call_raw(hostile.server.channel, path, body, hostile.metadata(path, who, garbage))

    run()
