"""Releases of each product and the terms to move to them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import peewee

from .models import Release, UpgradeTermsText
from .prepared import PreparedSelect

# Read on every portal call: their SQL is built once (see prepared.py).
_RELEASES_OF = PreparedSelect(
    lambda *codes: Release.select().where(Release.product_code.in_(list(codes)))
)
_CURRENT_TERMS = PreparedSelect(
    lambda product_code, to_version: (
        UpgradeTermsText.select()
        .where(
            (UpgradeTermsText.product_code == product_code)
            & (UpgradeTermsText.to_version == to_version)
        )
        .order_by(UpgradeTermsText.publish_time.desc(), UpgradeTermsText.id.desc())
        .limit(1)
    )
)


class CatalogRepository:
    """Releases and the upgrade terms in force."""

    def releases_of(self, product_codes: Iterable[str]) -> list[Release]:
        codes = sorted(set(product_codes))
        if not codes:
            return []
        return _RELEASES_OF.rows(*codes)

    def find_release(self, product_code: str, version: str) -> Release | None:
        return Release.get_or_none(
            (Release.product_code == product_code) & (Release.version == version)
        )

    def get_release(self, product_code: str, version: str) -> Release:
        row: Release = Release.get(
            (Release.product_code == product_code) & (Release.version == version)
        )
        return row

    def current_terms(self, product_code: str, to_version: str) -> UpgradeTermsText | None:
        """The terms in force: the newest published for that release."""
        found: UpgradeTermsText | None = _CURRENT_TERMS.first(product_code, to_version)
        return found

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
        return UpgradeTermsText.create(
            product_code=product_code,
            to_version=to_version,
            title=title,
            clauses=list(clauses),
            introduction=introduction,
            locale=locale,
            publish_time=now,
        )

    def find_releases(self, product_code: str, versions: Iterable[str]) -> list[Release]:
        wanted = sorted(set(versions))
        if not wanted:
            return []
        return list(
            Release.select().where(
                (Release.product_code == product_code) & (Release.version.in_(wanted))
            )
        )

    def get_terms(self, row_id: int) -> UpgradeTermsText:
        return UpgradeTermsText.get_by_id(row_id)

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
                return Release.create(
                    product_code=product_code,
                    version=version,
                    upgrade_from=list(upgrade_from),
                    download_url=download_url,
                    publish_time=now,
                )
        except peewee.IntegrityError:
            return None
