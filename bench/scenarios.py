"""The RPCs under load: one `Scenario` per hot RPC, in a table.

A scenario prepares its requests from the working database before the clock
starts: it samples accounts or serials, mints session tokens (written straight
to the sessions table, as a login would), computes what the client would have
been shown (the terms id), and serializes everything. Adding an RPC is adding a
row to `SCENARIOS` with a `prepare` function.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import random
import re
import uuid
from collections.abc import Callable, Iterator, Sequence

import grpc

from aspel.licensing.server.domain import serials
from aspel.licensing.server.domain.activation import ActivationPolicy
from aspel.licensing.server.domain.auth import SESSION_TOKEN_PREFIX, SessionPolicy
from aspel.licensing.server.domain.clock import BusinessCalendar, SystemClock
from aspel.licensing.server.domain.credentials import new_token, token_hash
from aspel.licensing.server.domain.states import ACTIVE, SUBSCRIPTION
from aspel.licensing.server.domain.subscriptions import current_state, newest_upgrade
from aspel.licensing.server.domain.upgrade_terms import render
from aspel.licensing.server.store.database import Store
from aspel.licensing.server.store.models import (
    Account,
    Activation,
    Session,
    Subscription,
)
from aspel.licensing.v1 import activation_service_pb2 as activation_pb
from aspel.licensing.v1 import licensing_service_pb2 as pb

from .dataset import BENCH_PASSWORD, SESSION_COLUMNS, bulk_insert
from .loadgen import Call

LICENSING = "aspel.licensing.v1.LicensingService"
ACTIVATION = "aspel.licensing.v1.ActivationService"
SAMPLE_CHUNK = 2_000
#: The server's validation policy: how often a validation is recorded, and
#: the licence bound a recorded validation leaves (domain/activation.py).
POLICY = ActivationPolicy()
#: Steady state: validated this long ago, well inside the record interval,
#: so the validations of a run (seconds later) record nothing.
STEADY_AGE = dt.timedelta(minutes=10)
#: The storm: last validated before the interval, so the first validation of
#: each activation writes (as the first hour after a release or an outage).
STORM_AGE = POLICY.validation_record_interval + dt.timedelta(hours=1)


def license_bound(validated: dt.datetime) -> dt.datetime:
    """The licence bound a validation recorded at `validated` leaves, as
    `ActivationService.license_bound` computes it: a bound short of it would
    make a steady-state validation write to raise it."""
    grace = max(POLICY.grace.subscription_grace, POLICY.grace.perpetual_grace)
    return validated + POLICY.max_license_validity + POLICY.validation_record_interval + grace


class SetupError(RuntimeError):
    """The requests could not be prepared, or the probe calls failed."""


class Workbench:
    """The working database, seen from the load generator's side."""

    def __init__(self, database_url: str, seed: int) -> None:
        self.store = Store.from_url(database_url)
        self.rng = random.Random(seed)  # noqa: S311 - sampling, not secrets
        self.calendar = BusinessCalendar(SystemClock())
        with self.store.connection() as tx:
            self.releases = list(tx.catalog.in_force().releases)
            self.max_subscription_id = int(
                Subscription.select(Subscription.id).order_by(Subscription.id.desc()).scalar()
            )
            self.max_account_id = int(
                Account.select(Account.id).order_by(Account.id.desc()).scalar()
            )

    def close(self) -> None:
        self.store.close()

    def mint_sessions(self, account_ids: Sequence[int]) -> dict[int, str]:
        """A fresh session per account, as a login would leave it."""
        now = self.calendar.now()
        tokens = {account_id: new_token(SESSION_TOKEN_PREFIX) for account_id in account_ids}
        expire = now + SessionPolicy().absolute_timeout
        rows = [(token_hash(t), a, now, now, expire, None) for a, t in tokens.items()]
        with self.store.write():
            bulk_insert(self.store.database, Session, SESSION_COLUMNS, rows)
        return tokens

    def sample_accounts(self, count: int) -> list[Account]:
        ids = self.rng.sample(range(1, self.max_account_id + 1), min(count, self.max_account_id))
        with self.store.connection():
            return list(Account.select().where(Account.id.in_(ids)))

    def _shuffled_subscriptions(self) -> Iterator[list[Subscription]]:
        ids = list(range(1, self.max_subscription_id + 1))
        self.rng.shuffle(ids)
        for start in range(0, len(ids), SAMPLE_CHUNK):
            chunk = ids[start : start + SAMPLE_CHUNK]
            with self.store.connection():
                yield list(
                    Subscription.select(Subscription, Account)
                    .join(Account)
                    .where(Subscription.id.in_(chunk))
                )

    def sample_activations(self, count: int) -> list[tuple[Activation, Subscription]]:
        """Active installations of ACTIVE serials: what installers validate."""
        found: list[tuple[Activation, Subscription]] = []
        for rows in self._shuffled_subscriptions():
            usable = {r.id: r for r in rows if r.status == ACTIVE}
            if not usable:
                continue
            with self.store.connection():
                activations = list(
                    Activation.select().where(
                        Activation.subscription.in_(list(usable))
                        & Activation.deactivate_time.is_null()
                    )
                )
            for activation in activations:
                found.append((activation, usable[activation.subscription_id]))
                if len(found) >= count:
                    return found
        return found

    def set_last_validated(self, activations: Sequence[Activation], age: dt.timedelta) -> None:
        """Records the activations' last validation `age` ago, with the licence
        bound that validation would have left, on the working copy."""
        last = self.calendar.now() - age
        bound = license_bound(last)
        ids = [a.id for a in activations]
        for start in range(0, len(ids), SAMPLE_CHUNK):
            with self.store.write():
                Activation.update(last_validate_time=last, license_expire_time=bound).where(
                    Activation.id.in_(ids[start : start + SAMPLE_CHUNK])
                ).execute()

    def sample_activatable(self, count: int) -> list[Subscription]:
        """ACTIVE serials with a free seat: what a new installation activates."""
        found: list[Subscription] = []
        for rows in self._shuffled_subscriptions():
            usable = {r.id: r for r in rows if r.status == ACTIVE}
            if not usable:
                continue
            with self.store.connection():
                taken: dict[int, int] = {}
                for activation in Activation.select(Activation.subscription).where(
                    Activation.subscription.in_(list(usable)) & Activation.deactivate_time.is_null()
                ):
                    sid = activation.subscription_id
                    taken[sid] = taken.get(sid, 0) + 1
            for row in usable.values():
                if taken.get(row.id, 0) < row.installations_allowed:
                    found.append(row)
                    if len(found) >= count:
                        return found
        return found

    def sample_upgradeable(self, count: int) -> list[tuple[Subscription, str]]:
        """ACTIVE rented serials with a free upgrade and terms in force, each with
        the terms id the portal would show, computed by the server's own rules."""
        today = self.calendar.today()
        terms_cache: dict[tuple[str, str], object] = {}
        found: list[tuple[Subscription, str]] = []
        for rows in self._shuffled_subscriptions():
            for row in rows:
                if row.modality != SUBSCRIPTION or current_state(row, today) != ACTIVE:
                    continue
                release = newest_upgrade(row, self.releases)
                if release is None:
                    continue
                key = (row.product_code, release.version)
                if key not in terms_cache:
                    with self.store.read() as tx:
                        terms_cache[key] = tx.catalog.in_force().current_terms(*key)
                text = terms_cache[key]
                if text is None:
                    continue
                view = render(row, row.account, release, text)  # type: ignore[arg-type]
                found.append((row, view.terms_id))
                if len(found) >= count:
                    return found
        return found


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


# --- one prepare function per RPC ---------------------------------------------


def prepare_authenticate(bench: Workbench, count: int) -> list[Call]:
    return [
        Call(
            pb.AuthenticateRequest(username=a.username, password=BENCH_PASSWORD).SerializeToString()
        )
        for a in bench.sample_accounts(count)
    ]


def prepare_list_subscriptions(bench: Workbench, count: int) -> list[Call]:
    accounts = bench.sample_accounts(count)
    tokens = bench.mint_sessions([a.id for a in accounts])
    body = pb.ListSubscriptionsRequest().SerializeToString()
    return [Call(body, bearer(tokens[a.id])) for a in accounts]


def prepare_get_upgrade_terms(bench: Workbench, count: int) -> list[Call]:
    chosen = bench.sample_upgradeable(count)
    tokens = bench.mint_sessions(sorted({row.account_id for row, _ in chosen}))  # type: ignore[attr-defined]
    return [
        Call(
            pb.GetUpgradeTermsRequest(
                serial_number=serials.display(row.serial_number)
            ).SerializeToString(),
            bearer(tokens[row.account_id]),  # type: ignore[attr-defined]
        )
        for row, _ in chosen
    ]


def prepare_accept_upgrade(bench: Workbench, count: int) -> list[Call]:
    """Each call accepts a different serial (accepting is once per serial)."""
    chosen = bench.sample_upgradeable(count)
    tokens = bench.mint_sessions(sorted({row.account_id for row, _ in chosen}))  # type: ignore[attr-defined]
    return [
        Call(
            pb.AcceptUpgradeRequest(
                serial_number=serials.display(row.serial_number),
                terms_id=terms_id,
                request_id=str(uuid.uuid4()),
            ).SerializeToString(),
            bearer(tokens[row.account_id]),  # type: ignore[attr-defined]
        )
        for row, terms_id in chosen
    ]


def _validations(bench: Workbench, count: int, age: dt.timedelta) -> list[Call]:
    chosen = bench.sample_activations(count)
    bench.set_last_validated([activation for activation, _ in chosen], age)
    return [
        Call(
            activation_pb.ValidateLicenseRequest(
                serial_number=serials.display(row.serial_number),
                activation_id=activation.public_id,
                machine_fingerprint=activation.machine_fingerprint,
            ).SerializeToString()
        )
        for activation, row in chosen
    ]


def prepare_validate_license(bench: Workbench, count: int) -> list[Call]:
    """Steady state: installers that checked in minutes ago (validations read only)."""
    return _validations(bench, count, STEADY_AGE)


def prepare_validation_storm(bench: Workbench, count: int) -> list[Call]:
    """The first validation of the hour, each of a different activation (each
    records it): sent once each, from a pool larger than a run can spend."""
    return _validations(bench, count, STORM_AGE)


def prepare_activate_installation(bench: Workbench, count: int) -> list[Call]:
    """Each call installs on a new machine, on a serial with a free seat."""
    return [
        Call(
            activation_pb.ActivateInstallationRequest(
                serial_number=serials.display(row.serial_number),
                razon_social=row.account.razon_social,
                product_code=row.product_code,
                version=row.version,
                machine_fingerprint=f"fp-bench-{uuid.uuid4().hex}",
                hostname="BENCH-PC",
                request_id=str(uuid.uuid4()),
            ).SerializeToString()
        )
        for row in bench.sample_activatable(count)
    ]


@dataclasses.dataclass(frozen=True)
class Scenario:
    rpc: str
    service: str
    prepare: Callable[[Workbench, int], list[Call]]
    #: Every request can be sent once only (it changes the serial it names).
    consumes: bool = False
    #: What the row is called when one RPC has several scenarios (`--rpc`, the table).
    label: str = ""
    #: Requests to prepare when it consumes them: "accept" (--accept-pool) or
    #: "storm" (--storm-pool).
    pool: str = "accept"

    @property
    def name(self) -> str:
        return self.label or self.rpc

    @property
    def method(self) -> str:
        return f"/{self.service}/{self.rpc}"

    def available(self) -> bool:
        """Whether the generated stubs (so the server) have this RPC: a row may
        name an RPC still being built on another branch."""
        package, _, name = self.service.rpartition(".")
        module_name = f"{package}.{re.sub(r'(?<!^)(?=[A-Z])', '_', name).lower()}_pb2"
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return False
        services = module.DESCRIPTOR.services_by_name
        service = services.get(self.service.rsplit(".", 1)[-1])
        return service is not None and self.rpc in service.methods_by_name


# The hot RPCs, in the order they run (the ones that change data last).
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("ValidateLicense", ACTIVATION, prepare_validate_license),
    Scenario(
        "ValidateLicense",
        ACTIVATION,
        prepare_validation_storm,
        consumes=True,
        label="ValidateLicense storm",
        pool="storm",
    ),
    Scenario("ListSubscriptions", LICENSING, prepare_list_subscriptions),
    Scenario("GetUpgradeTerms", LICENSING, prepare_get_upgrade_terms),
    Scenario("Authenticate", LICENSING, prepare_authenticate),
    Scenario("AcceptUpgrade", LICENSING, prepare_accept_upgrade, consumes=True),
    Scenario("ActivateInstallation", ACTIVATION, prepare_activate_installation, consumes=True),
)

#: The RPC whose latency is watched while logins saturate the server, in order
#: of preference (the installers' ValidateLicense once it exists).
LATENCY_PROBES = ("ValidateLicense", "ListSubscriptions")


def by_name(name: str) -> Scenario:
    for scenario in SCENARIOS:
        if scenario.name == name:
            return scenario
    raise KeyError(name)


def probe_responses(address: str, scenario: Scenario, calls: Sequence[Call]) -> list[int]:
    """Sends a few of the prepared calls one by one; returns the response sizes.

    Fails loudly when any is refused: a benchmark of errors measures nothing.
    """
    sizes = []
    with grpc.insecure_channel(address) as channel:
        method = channel.unary_unary(scenario.method)
        for call in calls:
            try:
                response = method(call.body, metadata=call.metadata, timeout=30)
            except grpc.RpcError as exc:
                raise SetupError(
                    f"{scenario.rpc}: the server refused a prepared request: "
                    f"{exc.code().name} {exc.details()}"
                ) from exc
            sizes.append(len(response))
    return sizes
