"""Releases of each product and the terms to move to them, and the copy of
them every process keeps.

The portal reads the catalog on every call (ListSubscriptions' upgrade column,
GetUpgradeTerms), and it changes only when a release or a text of terms is
published. Each store therefore keeps the whole catalog in memory (`Catalog`:
the releases and the newest terms of each release, a few dozen rows) with the
version it was read at, and serves it while the database's `catalog` row of
`cache_version` (migration 0014) still holds that version: one primary-key
SELECT per call instead of the catalog's queries and their rows.

Why no process ever serves a catalog older than the last committed change,
whichever process or machine made it, on SQLite and on PostgreSQL READ
COMMITTED:

- Every write of `release` or `upgrade_terms_text`, by this repository, by a
  server of an older release during a rolling deploy, or by an operator's
  SQL, adds one to the version in the writer's own transaction: triggers do
  it (migration 0015), not the writers. The change and its new version commit
  together or not at all; a bump waits on the row lock of any concurrent one
  (PostgreSQL) or on the single writer (SQLite), so committed versions only
  grow and two commits never share one.
- A call reads the version first, then (on a mismatch) the catalog, each
  statement on its own snapshot (READ COMMITTED; SQLite outside a
  transaction). The catalog read therefore sees at least everything committed
  before the version read: a copy labelled with version V holds every change
  up to V, and perhaps a later one (which only costs a reload on the next
  call, since the version read then differs). A copy is never labelled newer
  than what it holds.
- A copy is kept only when read outside a transaction. Inside one, the
  version read may be the transaction's own uncommitted bump (or, rolled
  back, a number a later commit reuses with other contents): there the
  catalog is read from the tables and not kept.
- A call that read version V serves V's catalog even if a publish commits
  while it runs: that publish is concurrent with the call, and either order
  is a valid answer. Once the publish is committed, every call that starts
  after it reads the new version.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import peewee

from . import raw
from .binding import database_proxy
from .models import Release, UpgradeTermsText

CATALOG = "catalog"  # the cache_version row of releases and upgrade terms


@dataclass(frozen=True)
class ReleaseRow:
    product_code: str
    version: str
    #: The versions whose subscribers may move to this one for free.
    upgrade_from: tuple[str, ...]
    download_url: str
    publish_time: dt.datetime


@dataclass(frozen=True)
class TermsRow:
    """A published text of terms (templates, filled per serial)."""

    id: int
    product_code: str
    to_version: str
    title: str
    clauses: tuple[str, ...]
    locale: str
    #: None: the portal's default introduction.
    introduction: str | None
    publish_time: dt.datetime


def _json_list(value: Any) -> tuple[str, ...]:
    # JsonField stores text on both engines.
    return tuple(json.loads(value) if isinstance(value, str) else value)


def _release(
    product_code: str, version: str, upgrade_from: Any, download_url: str, published: Any
) -> ReleaseRow:
    when = raw.utc_datetime(published)
    assert when is not None  # the column is NOT NULL
    return ReleaseRow(product_code, version, _json_list(upgrade_from), download_url, when)


def _terms(
    row_id: int,
    product_code: str,
    to_version: str,
    title: str,
    clauses: Any,
    locale: str,
    introduction: str | None,
    published: Any,
) -> TermsRow:
    when = raw.utc_datetime(published)
    assert when is not None  # the column is NOT NULL
    return TermsRow(
        row_id, product_code, to_version, title, _json_list(clauses), locale, introduction, when
    )


_VERSION = raw.RawSelect("SELECT version FROM cache_version WHERE name = ?", int)
_RELEASES = raw.RawSelect(
    """SELECT product_code, version, upgrade_from, download_url, publish_time
         FROM release ORDER BY id""",
    _release,
)
_RELEASE = raw.RawSelect(
    """SELECT product_code, version, upgrade_from, download_url, publish_time
         FROM release WHERE product_code = ? AND version = ?""",
    _release,
)
_TERMS = raw.RawSelect(
    """SELECT id, product_code, to_version, title, clauses, locale, introduction, publish_time
         FROM upgrade_terms_text WHERE id = ?""",
    _terms,
)
# The newest text of each release (publish time, then id): the terms in force.
_TERMS_IN_FORCE = raw.RawSelect(
    """SELECT t.id, t.product_code, t.to_version, t.title, t.clauses, t.locale,
              t.introduction, t.publish_time
         FROM upgrade_terms_text t
        WHERE NOT EXISTS (
              SELECT 1 FROM upgrade_terms_text n
               WHERE n.product_code = t.product_code AND n.to_version = t.to_version
                 AND (n.publish_time > t.publish_time
                      OR (n.publish_time = t.publish_time AND n.id > t.id)))""",
    _terms,
)


@dataclass(frozen=True)
class Catalog:
    """The releases and the terms in force, as of one version."""

    version: int
    releases: tuple[ReleaseRow, ...]
    terms: dict[tuple[str, str], TermsRow]

    def releases_of(self, product_codes: Iterable[str]) -> list[ReleaseRow]:
        codes = set(product_codes)
        return [r for r in self.releases if r.product_code in codes]

    def current_terms(self, product_code: str, to_version: str) -> TermsRow | None:
        """The terms in force: the newest published for that release."""
        return self.terms.get((product_code, to_version))


def _read_catalog(version: int) -> Catalog:
    terms = {(t.product_code, t.to_version): t for t in _TERMS_IN_FORCE.rows()}
    return Catalog(version, tuple(_RELEASES.rows()), terms)


class CatalogRepository:
    """Releases and the upgrade terms in force. One per store (its unit of
    work), so the kept catalog is that store's database's."""

    def __init__(self) -> None:
        self._kept: Catalog | None = None

    def in_force(self) -> Catalog:
        """The catalog as committed now (see the module's docstring)."""
        version = _VERSION.first(CATALOG)
        if version is None:
            raise RuntimeError("cache_version has no catalog row: run the migrations")
        kept = self._kept
        if kept is not None and kept.version == version:
            return kept
        catalog = _read_catalog(version)
        if not database_proxy.obj.in_transaction():
            self._kept = catalog  # one assignment: threads see the old copy or the new
        return catalog

    def releases_of(self, product_codes: Iterable[str]) -> list[ReleaseRow]:
        return self.in_force().releases_of(product_codes)

    def find_release(self, product_code: str, version: str) -> Release | None:
        return Release.get_or_none(
            (Release.product_code == product_code) & (Release.version == version)
        )

    def get_release(self, product_code: str, version: str) -> ReleaseRow:
        """A release known to exist (just published, in this transaction)."""
        row = _RELEASE.first(product_code, version)
        if row is None:
            raise LookupError(f"no release {product_code} {version}")
        return row

    def add_terms(
        self,
        *,
        product_code: str,
        to_version: str,
        title: str,
        clauses: Sequence[str],
        now: dt.datetime,
        locale: str = "es-MX",
        introduction: str | None = None,
    ) -> UpgradeTermsText:
        row = UpgradeTermsText.create(
            product_code=product_code,
            to_version=to_version,
            title=title,
            clauses=list(clauses),
            introduction=introduction,
            locale=locale,
            publish_time=now,
        )
        return row

    def find_releases(self, product_code: str, versions: Iterable[str]) -> list[Release]:
        wanted = sorted(set(versions))
        if not wanted:
            return []
        return list(
            Release.select().where(
                (Release.product_code == product_code) & (Release.version.in_(wanted))
            )
        )

    def get_terms(self, row_id: int) -> TermsRow:
        """A text of terms known to exist (just published, in this transaction)."""
        row = _TERMS.first(row_id)
        if row is None:
            raise LookupError(f"no upgrade terms text {row_id}")
        return row

    def add_release_once(
        self,
        *,
        product_code: str,
        version: str,
        upgrade_from: Sequence[str],
        download_url: str,
        now: dt.datetime,
    ) -> Release | None:
        """The new release, or None when that version exists (a concurrent
        call published it): the savepoint keeps the caller's transaction."""
        try:
            with Release._meta.database.atomic():
                row = Release.create(
                    product_code=product_code,
                    version=version,
                    upgrade_from=list(upgrade_from),
                    download_url=download_url,
                    publish_time=now,
                )
        except peewee.IntegrityError:
            return None
        return row
