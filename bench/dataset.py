"""The benchmark dataset: accounts, serials (some superseded, with their
successors), the release catalog and its terms, and the history a live database
accumulates (old sessions, audit events, sent emails), in realistic proportions.

Rows are generated from a seeded random source, so a size always gives the same
data, and loaded with `executemany` in chunks inside one transaction. Every bench
account has the same password and therefore the same argon2id hash string: the
password is hashed ONCE, with the server's own parameters, and the string reused
(hashing a million times would take hours and measure nothing).

SQLite datasets are cached per size under `var/bench/datasets/`; a run copies
the cached file, so the accepted upgrades of one run never leak into the next.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import itertools
import json
import logging
import pathlib
import random
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import peewee

from aspel.licensing.server.demo import add_months
from aspel.licensing.server.domain import serials
from aspel.licensing.server.domain.credentials import Argon2Parameters, PasswordHasher
from aspel.licensing.server.domain.upgrade_terms import DEFAULT_CLAUSES, DEFAULT_TITLE
from aspel.licensing.server.store import migrate as migrations
from aspel.licensing.server.store.database import open_database
from aspel.licensing.server.store.models import (
    Account,
    Activation,
    AuditEvent,
    OutboxMessage,
    Release,
    Session,
    Subscription,
    UpgradeTermsText,
)

log = logging.getLogger(__name__)

#: Bumped whenever the generated data changes, so stale caches are rebuilt.
DATASET_VERSION = 2
#: The password of every bench account (bench data only, never production).
BENCH_PASSWORD = "bench-aspel-2026"  # noqa: S105 - a published test password
USERNAME_FORMAT = "bench{:07d}"
DOWNLOAD_CENTER = "https://www.aspel.com.mx/descargas"
CHUNK_ROWS = 5_000


@dataclasses.dataclass(frozen=True)
class ProductLine:
    code: str
    weight: int  # share of the serials sold
    versions: tuple[str, ...]  # oldest first; each may upgrade from the one before


PRODUCTS: tuple[ProductLine, ...] = (
    ProductLine("SAE", 30, ("6.0", "7.0", "8.0")),
    ProductLine("COI", 20, ("8.0", "9.0", "10.0")),
    ProductLine("NOI", 20, ("9.0", "10.0", "11.0")),
    ProductLine("CAJA", 10, ("3.0", "4.0", "5.0")),
    ProductLine("FACTURE", 8, ("4.0", "5.0")),
    ProductLine("BANCO", 6, ("5.0", "6.0")),
    ProductLine("PROD", 3, ("3.0", "4.0")),
    ProductLine("ADM", 3, ("2.0", "3.0")),
)

# Live serials per account: most customers run one or two systems; accounting
# firms ("despachos") run dozens of NOI and COI for their clients.
SERIALS_PER_ACCOUNT: tuple[tuple[range, float], ...] = (
    (range(1, 2), 52),
    (range(2, 3), 22),
    (range(3, 4), 10),
    (range(4, 5), 5),
    (range(5, 6), 3),
    (range(6, 11), 5),
    (range(11, 31), 2.5),
    (range(31, 121), 0.5),
)
# Where a live serial stands: on the newest version, on the one before (an
# upgrade is waiting), or older still (no free upgrade).
VERSION_AGE_WEIGHTS = (45, 45, 10)  # newest, previous, older
UPGRADED_SHARE = 0.40  # of newest-version rented serials: reached by an upgrade
SECOND_UPGRADE_SHARE = 0.10  # of those: two upgrades ago (a chain of three)
PERPETUAL_SHARE = 0.25
# Installed products: most usable serials are activated on every seat they
# have; the rest were bought or upgraded and not installed yet. Some machines
# were replaced (an old, deactivated activation).
ACTIVATED_SHARE = 0.85
REPLACED_MACHINE_SHARE = 0.10
SUSPENDED_SHARE = 0.02
BILLING = (("MONTHLY", 45), ("ANNUAL", 40), ("SEMIANNUAL", 15))
USERS = ((1, 60), (2, 15), (3, 10), (5, 10), (10, 5))
INSTALLATIONS = ((1, 80), (2, 12), (3, 5), (5, 3))
_PERIOD_MONTHS = {"MONTHLY": 1, "SEMIANNUAL": 6, "ANNUAL": 12}

_COMPANY_WORDS = (
    "Comercializadora",
    "Servicios",
    "Distribuidora",
    "Abarrotes",
    "Ferretería",
    "Despacho Contable",
    "Papelería",
    "Farmacia",
    "Refaccionaria",
    "Grupo",
)
_PLACES = (
    "del Norte",
    "del Bajío",
    "de Occidente",
    "Peninsular",
    "del Valle",
    "Central",
    "del Pacífico",
    "Metropolitana",
    "Huasteca",
    "del Golfo",
)
_COMPANY_TYPES = ("S.A. de C.V.", "S. de R.L. de C.V.", "S.C.", "S.A.S.", "A.C.")


@dataclasses.dataclass(frozen=True)
class Manifest:
    """What a built dataset holds; saved beside the cached file."""

    subscriptions: int
    accounts: int
    superseded: int
    upgradeable: int
    releases: int
    terms: int
    sessions: int
    audit_events: int
    outbox_messages: int
    activations: int
    activatable: int  # ACTIVE serials with no activation yet (a free seat)
    reference_date: str
    build_seconds: float
    dataset_version: int = DATASET_VERSION

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def schema_fingerprint() -> str:
    """Changes when the migrations or the generated data change."""
    names = sorted(p.stem for p in migrations.MIGRATIONS_DIR.glob("[0-9]*.py"))
    text = json.dumps([DATASET_VERSION, names])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _serial(rng: random.Random, seen: set[str]) -> str:
    while True:
        data = "".join(rng.choices(serials.ALPHABET, k=serials.DATA_LENGTH))
        value = data + serials._check_character(data)
        if value not in seen:
            seen.add(value)
            return value


def _next_payment(activation: dt.date, period: str, today: dt.date) -> dt.date:
    """The first date after `today` on the serial's billing cycle."""
    step = _PERIOD_MONTHS[period]
    months = (today.year - activation.year) * 12 + today.month - activation.month
    k = max(0, months // step - 1)
    due = add_months(activation, step * k)
    while due <= today:
        k += 1
        due = add_months(activation, step * k)
    return due


def _utc(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) + dt.timedelta(
        seconds=rng.randrange(86_400)
    )


@dataclasses.dataclass
class Tables:
    """Rows generated so far, flushed to the database in chunks."""

    accounts: list[tuple[Any, ...]] = dataclasses.field(default_factory=list)
    subscriptions: list[tuple[Any, ...]] = dataclasses.field(default_factory=list)
    sessions: list[tuple[Any, ...]] = dataclasses.field(default_factory=list)
    audit: list[tuple[Any, ...]] = dataclasses.field(default_factory=list)
    outbox: list[tuple[Any, ...]] = dataclasses.field(default_factory=list)
    activations: list[tuple[Any, ...]] = dataclasses.field(default_factory=list)


ACCOUNT_COLUMNS = (
    "id",
    "public_id",
    "username",
    "email",
    "razon_social",
    "password_hash",
    "failed_logins",
    "locked_until",
    "disabled",
    "create_time",
)
SUBSCRIPTION_COLUMNS = (
    "id",
    "serial_number",
    "account",
    "product_code",
    "version",
    "users",
    "installations_allowed",
    "modality",
    "billing_period",
    "activation_date",
    "next_payment_date",
    "status",
    "retire_date",
    "predecessor",
    "accepted_terms_id",
    "create_time",
)
SESSION_COLUMNS = (
    "token_hash",
    "account",
    "create_time",
    "last_used_time",
    "expire_time",
    "end_time",
)
AUDIT_COLUMNS = (
    "time",
    "kind",
    "actor",
    "peer",
    "account_public_id",
    "serial_number",
    "detail",
)
ACTIVATION_COLUMNS = (
    "public_id", "subscription", "machine_fingerprint", "hostname", "product_code", "version",
    "seat", "create_time", "last_validate_time", "deactivate_time",
    "license_expire_time", "seat_freed_time",
)  # fmt: skip
#: What a licence issued at a validation is bound by, as the server records it
#: (validity + record interval + the longer grace: domain/activation.py).
LICENSE_BOUND = dt.timedelta(days=30, hours=1) + dt.timedelta(days=30)
OUTBOX_COLUMNS = (
    "message_id",
    "kind",
    "recipient",
    "payload",
    "state",
    "attempts",
    "next_attempt_time",
    "claimed_until",
    "last_error",
    "create_time",
    "sent_time",
)


def bulk_insert(
    database: peewee.Database,
    model: type[peewee.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> int:
    """`executemany` of one INSERT, values converted by each field's db_value
    (the same conversion peewee applies), in chunks of CHUNK_ROWS."""
    fields = [model._meta.fields[name] for name in columns]
    names = ", ".join(f'"{f.column_name}"' for f in fields)
    marks = ", ".join([database.param] * len(fields))
    sql = f'INSERT INTO "{model._meta.table_name}" ({names}) VALUES ({marks})'  # noqa: S608
    converters = [f.db_value for f in fields]
    count = 0
    cursor = database.cursor()
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, CHUNK_ROWS)):
        cursor.executemany(
            sql, [tuple(c(v) for c, v in zip(converters, row, strict=True)) for row in chunk]
        )
        count += len(chunk)
    return count


class Generator:
    """Generates the rows of one dataset size, deterministically."""

    def __init__(self, subscriptions: int, today: dt.date, password_hash: str) -> None:
        self.target = subscriptions
        self.today = today
        self.password_hash = password_hash
        self.rng = random.Random(f"aspel-licensing-bench-{subscriptions}")  # noqa: S311
        self.seen: set[str] = set()
        self.next_subscription_id = 1
        self.accounts = 0
        self.superseded = 0
        self.upgradeable = 0
        self.activatable = 0
        self.now = dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC)

    def catalog(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """(releases, terms): every version of every product; two published
        texts of the terms of each upgrade (the newest is in force)."""
        releases, terms = [], []
        for product in PRODUCTS:
            for i, version in enumerate(product.versions):
                published = self.now - dt.timedelta(days=365 * (len(product.versions) - i))
                upgrade_from = [product.versions[i - 1]] if i else []
                releases.append((product.code, version, upgrade_from, DOWNLOAD_CENTER, published))
                if i:
                    for revision in (0, 1):
                        terms.append(
                            (
                                product.code,
                                version,
                                DEFAULT_TITLE,
                                list(DEFAULT_CLAUSES) if revision else list(DEFAULT_CLAUSES[:-1]),
                                "es-MX",
                                published + dt.timedelta(days=30 * revision),
                            )
                        )
        return releases, terms

    def _subscription(
        self,
        account_id: int,
        product: ProductLine,
        version_index: int,
        modality: str,
        billing: str | None,
        users: int,
        installations: int,
        activation: dt.date,
        status: str,
        retire_date: dt.date | None,
        predecessor: int | None,
        next_payment: dt.date | None,
    ) -> tuple[Any, ...]:
        rng = self.rng
        row_id = self.next_subscription_id
        self.next_subscription_id += 1
        accepted = f"terms-{rng.getrandbits(96):024x}" if predecessor else None
        return (
            row_id,
            _serial(rng, self.seen),
            account_id,
            product.code,
            product.versions[version_index],
            users,
            installations,
            modality,
            billing,
            activation,
            next_payment,
            status,
            retire_date,
            predecessor,
            accepted,
            _utc(activation, rng),
        )

    def _lineage(self, account_id: int, tables: Tables) -> None:
        """One live serial and, when it came from upgrades, its superseded predecessors."""
        rng = self.rng
        product = _weighted(rng, [(p, p.weight) for p in PRODUCTS])
        newest = len(product.versions) - 1
        age = min(_weighted(rng, list(enumerate(VERSION_AGE_WEIGHTS))), newest)
        version_index = newest - age
        perpetual = rng.random() < PERPETUAL_SHARE
        modality = "PERPETUAL_LICENSE" if perpetual else "SUBSCRIPTION"
        billing = None if perpetual else _weighted(rng, BILLING)
        users = _weighted(rng, USERS)
        installations = _weighted(rng, INSTALLATIONS)
        activation = self.today - dt.timedelta(days=rng.randrange(1, 1500))
        upgrades = 0
        if not perpetual and age == 0 and version_index > 0 and rng.random() < UPGRADED_SHARE:
            upgrades = 2 if version_index > 1 and rng.random() < SECOND_UPGRADE_SHARE else 1
        # Oldest first, so each successor can point at its predecessor's id.
        predecessor: int | None = None
        start = activation - dt.timedelta(days=400 * upgrades)
        for step in range(upgrades, 0, -1):
            upgraded_on = activation - dt.timedelta(days=400 * (step - 1))
            # The old serial works until its next payment after the upgrade.
            retire = upgraded_on + dt.timedelta(days=rng.randrange(1, 366 if billing else 30))
            row = self._subscription(
                account_id,
                product,
                version_index - step,
                modality,
                billing,
                users,
                installations,
                start,
                "SUPERSEDED",
                retire,
                predecessor,
                retire,
            )
            tables.subscriptions.append(row)
            # Until its retire date the old version keeps running where it was.
            self._activations(row, tables, ended=retire if retire < self.today else None)
            predecessor = row[0]
            start = upgraded_on
            self.superseded += 1
        status = "SUSPENDED" if rng.random() < SUSPENDED_SHARE else "ACTIVE"
        next_payment = _next_payment(activation, billing, self.today) if billing else None
        row = self._subscription(
            account_id,
            product,
            version_index,
            modality,
            billing,
            users,
            installations,
            activation,
            status,
            None,
            predecessor,
            next_payment,
        )
        tables.subscriptions.append(row)
        activated = self._activations(row, tables, ended=None)
        if status == "ACTIVE" and not activated:
            self.activatable += 1
        if status == "ACTIVE" and not perpetual and age == 1:
            self.upgradeable += 1
        if predecessor is not None:
            tables.audit.append(
                (
                    _utc(activation, rng),
                    "subscription.upgraded",
                    f"user:{USERNAME_FORMAT.format(account_id)}",
                    "ipv4:127.0.0.1:1",
                    None,
                    row[1],
                    {"to_version": product.versions[version_index]},
                )
            )
            tables.outbox.append(
                (
                    f"<bench-{row[0]}@licensing.aspel.com.mx>",
                    "upgrade_notification",
                    f"{USERNAME_FORMAT.format(account_id)}@example.com",
                    {"new_serial_number": serials.display(row[1])},
                    "SENT",
                    1,
                    _utc(activation, rng),
                    None,
                    None,
                    _utc(activation, rng),
                    _utc(activation, rng),
                )
            )

    def _activations(self, row: tuple[Any, ...], tables: Tables, ended: dt.date | None) -> int:
        """The installations of one serial; returns how many are active."""
        rng = self.rng
        row_id, product, version, allowed, activation_day = row[0], row[3], row[4], row[6], row[9]
        if rng.random() >= ACTIVATED_SHARE:
            return 0
        installed = 1 if allowed == 1 else rng.randint(1, allowed)
        created = _utc(activation_day + dt.timedelta(days=rng.randrange(0, 15)), rng)
        if rng.random() < REPLACED_MACHINE_SHARE:
            # Replaced long ago: released, its seat freed when released.
            replaced = created + dt.timedelta(days=rng.randrange(30, 300))
            tables.activations.append(
                (f"act_{rng.getrandbits(64):016x}", row_id, f"fp-{rng.getrandbits(128):032x}",
                 f"PC-{rng.randrange(10_000):04d}", product, version, 1, created, created,
                 replaced, replaced, replaced)
            )  # fmt: skip
        validated = _utc(self.today - dt.timedelta(days=rng.randrange(0, 30)), rng)
        for seat in range(1, installed + 1):
            last = min(validated, _utc(ended, rng)) if ended else validated
            released = _utc(ended, rng) if ended else None
            tables.activations.append(
                (f"act_{rng.getrandbits(64):016x}", row_id, f"fp-{rng.getrandbits(128):032x}",
                 f"PC-{rng.randrange(10_000):04d}", product, version, seat, created,
                 last, released, last + LICENSE_BOUND, released)
            )  # fmt: skip
        return 0 if ended else installed

    def _account(self, tables: Tables) -> None:
        rng = self.rng
        self.accounts += 1
        account_id = self.accounts
        username = USERNAME_FORMAT.format(account_id)
        public_id = f"acc_{rng.getrandbits(64):016x}"
        razon = (
            f"{rng.choice(_COMPANY_WORDS)} {rng.choice(_PLACES)} {account_id}, "
            f"{rng.choice(_COMPANY_TYPES)}"
        )
        created = _utc(self.today - dt.timedelta(days=rng.randrange(1500, 4000)), rng)
        tables.accounts.append(
            (
                account_id,
                public_id,
                username,
                f"{username}@example.com",
                razon,
                self.password_hash,
                0,
                None,
                False,
                created,
            )
        )
        # The last login, long expired: the history a live sessions table holds.
        last = _utc(self.today - dt.timedelta(days=rng.randrange(2, 365)), rng)
        tables.sessions.append(
            (
                hashlib.sha256(f"bench-old-{account_id}".encode()).hexdigest(),
                account_id,
                last,
                last,
                last + dt.timedelta(hours=12),
                last + dt.timedelta(minutes=20),
            )
        )
        tables.audit.append(
            (last, "login.succeeded", f"user:{username}", "ipv4:127.0.0.1:1", public_id, None, {})
        )
        live = rng.choice(_weighted(rng, SERIALS_PER_ACCOUNT))
        for _ in range(live):
            if self.next_subscription_id > self.target:
                return
            self._lineage(account_id, tables)

    def batches(self) -> Iterator[Tables]:
        """Rows, a few thousand accounts at a time, until `target` serials exist."""
        while self.next_subscription_id <= self.target:
            tables = Tables()
            while len(tables.subscriptions) < CHUNK_ROWS and self.next_subscription_id <= (
                self.target
            ):
                self._account(tables)
            # A lineage may overshoot by a predecessor or two: trim to the target.
            tables.subscriptions = [r for r in tables.subscriptions if r[0] <= self.target]
            tables.activations = [a for a in tables.activations if a[1] <= self.target]
            yield tables


def bench_password_hash() -> str:
    """The one argon2id hash every bench account shares, with the server's
    default parameters (so logins cost what they cost in production and no
    login rehashes)."""
    return PasswordHasher(Argon2Parameters()).hash(BENCH_PASSWORD)


def load(database: peewee.Database, subscriptions: int, today: dt.date) -> Manifest:
    """Generates and inserts a dataset into a migrated, empty database."""
    started = time.perf_counter()
    generator = Generator(subscriptions, today, bench_password_hash())
    releases, terms = generator.catalog()
    counts = dict.fromkeys(("subscriptions", "sessions", "audit", "outbox", "activations"), 0)
    with database.atomic():
        bulk_insert(
            database,
            Release,
            ("product_code", "version", "upgrade_from", "download_url", "publish_time"),
            releases,
        )
        bulk_insert(
            database,
            UpgradeTermsText,
            ("product_code", "to_version", "title", "clauses", "locale", "publish_time"),
            terms,
        )
        for batch, tables in enumerate(generator.batches(), start=1):
            bulk_insert(database, Account, ACCOUNT_COLUMNS, tables.accounts)
            counts["subscriptions"] += bulk_insert(
                database, Subscription, SUBSCRIPTION_COLUMNS, tables.subscriptions
            )
            counts["sessions"] += bulk_insert(database, Session, SESSION_COLUMNS, tables.sessions)
            counts["audit"] += bulk_insert(database, AuditEvent, AUDIT_COLUMNS, tables.audit)
            counts["outbox"] += bulk_insert(database, OutboxMessage, OUTBOX_COLUMNS, tables.outbox)
            counts["activations"] += bulk_insert(
                database, Activation, ACTIVATION_COLUMNS, tables.activations
            )
            if batch % 40 == 0:
                log.info("  %d serials loaded", counts["subscriptions"])
    if not isinstance(database, peewee.SqliteDatabase):
        # Rows were given explicit ids: move the sequences past them.
        for model in (Account, Subscription):
            table = model._meta.table_name
            database.execute_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        # As autovacuum leaves a live database: hint bits and the visibility
        # map set (else the first reads of every copy would write them, and
        # index-only scans would visit the heap), statistics gathered.
        database.execute_sql("VACUUM (ANALYZE)")
    return Manifest(
        subscriptions=counts["subscriptions"],
        accounts=generator.accounts,
        superseded=generator.superseded,
        upgradeable=generator.upgradeable,
        releases=len(releases),
        terms=len(terms),
        sessions=counts["sessions"],
        audit_events=counts["audit"],
        outbox_messages=counts["outbox"],
        activations=counts["activations"],
        activatable=generator.activatable,
        reference_date=today.isoformat(),
        build_seconds=round(time.perf_counter() - started, 1),
    )


# Only while loading a private copy: no journal and no fsync, a large cache.
BULK_SQLITE_PRAGMAS = {
    "journal_mode": "off",
    "synchronous": "off",
    "cache_size": -512_000,
    "temp_store": "memory",
    "foreign_keys": 0,
    "locking_mode": "exclusive",
}


def _build_sqlite(path: pathlib.Path, subscriptions: int, today: dt.date) -> Manifest:
    migrations.migrate(open_database(f"sqlite:///{path}"))
    database = peewee.SqliteDatabase(str(path), pragmas=BULK_SQLITE_PRAGMAS)
    with database.connection_context():
        manifest = load(database, subscriptions, today)
    # Back to the server's journal: write-ahead log.
    database = peewee.SqliteDatabase(str(path))
    with database.connection_context():
        database.execute_sql("PRAGMA journal_mode=wal")
    return manifest


def cached_sqlite(
    cache_dir: pathlib.Path,
    subscriptions: int,
    today: Callable[[], dt.date] = dt.date.today,
) -> tuple[pathlib.Path, Manifest]:
    """The cached SQLite dataset of this size, built first if missing or stale."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"sqlite-{subscriptions}-{schema_fingerprint()}.db"
    manifest_path = path.with_suffix(".json")
    if path.exists() and manifest_path.exists():
        return path, Manifest(**json.loads(manifest_path.read_text()))
    building = path.with_suffix(".building")
    for stale in (building, pathlib.Path(f"{building}-wal"), pathlib.Path(f"{building}-shm")):
        stale.unlink(missing_ok=True)
    log.info("building the %d-serial dataset (cached as %s)", subscriptions, path)
    manifest = _build_sqlite(building, subscriptions, today())
    building.rename(path)
    manifest_path.write_text(json.dumps(manifest.to_json(), indent=2) + "\n")
    log.info(
        "built %d serials, %d accounts in %.0f s",
        manifest.subscriptions,
        manifest.accounts,
        manifest.build_seconds,
    )
    return path, manifest


def working_copy(cached: pathlib.Path, destination: pathlib.Path) -> pathlib.Path:
    """A fresh copy of a cached dataset for one run (runs change the data)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            pathlib.Path(f"{destination}{suffix}").unlink()
    shutil.copyfile(cached, destination)
    return destination


def load_postgresql(url: str, subscriptions: int, today: dt.date) -> Manifest:
    """Migrates and loads a fresh PostgreSQL database (not cached: the cluster
    is thrown away after the run)."""
    database = open_database(url)
    migrations.migrate(database)
    with database.connection_context():
        return load(database, subscriptions, today)
