"""The catalog: publishing releases and the terms to move to them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ... import errors
from ...store.catalog import ReleaseRow, TermsRow
from ...store.database import Store, retry_on_conflict
from ...store.unit_of_work import UnitOfWork
from ..clock import BusinessCalendar
from ..idempotency import RequestKey, Result, once
from ..products import product_name, version_key
from ..service_keys import Actor
from ..upgrade_terms import (
    DOWNLOAD_URL_MAX_LENGTH,
    RAZON_SOCIAL_MAX_LENGTH,
    TERMS_MAX_BYTES,
    placeholder_problems,
    terms_worst_case_bytes,
)
from .common import record

TERMS_LOCALE = "es-MX"


def template_id_of(row_id: int) -> str:
    """The public id of a published text of terms (AdminService's template_id)."""
    return f"template-{row_id}"


@dataclass(eq=False)
class CatalogAdmin:
    store: Store
    calendar: BusinessCalendar

    @retry_on_conflict()
    def publish_release(
        self,
        actor: Actor,
        *,
        product_code: str,
        version: str,
        upgrade_from_versions: Sequence[str],
        download_url: str,
        key: RequestKey | None,
    ) -> ReleaseRow:
        sources = sorted(set(upgrade_from_versions), key=version_key)
        not_older = [
            (f"upgrade_from_versions[{i}]", f"La versión {v} no es anterior a la {version}.")
            for i, v in enumerate(upgrade_from_versions)
            if version_key(v) >= version_key(version)
        ]
        if not_older:
            raise errors.InvalidArgument(field_violations=not_older)
        now = self.calendar.now()

        def publish(tx: UnitOfWork) -> Result:
            if tx.catalog.find_release(product_code, version) is not None:
                raise errors.ReleaseExists(product_name(product_code), version)
            published = {r.version for r in tx.catalog.find_releases(product_code, sources)}
            for source in sources:
                if source not in published:
                    raise errors.ReleaseNotPublished(product_name(product_code), source)
            added = tx.catalog.add_release_once(
                product_code=product_code,
                version=version,
                upgrade_from=sources,
                download_url=download_url,
                now=now,
            )
            if added is None:
                raise errors.ReleaseExists(product_name(product_code), version)
            record(
                tx,
                actor,
                "release.published",
                now,
                detail={
                    "product_code": product_code,
                    "version": version,
                    "upgrade_from": sources,
                    "download_url": download_url,
                },
            )
            return {}

        with self.store.write() as tx:
            once(tx, actor.idempotency_scope, key, now, publish)
            # Published above or by the first request of this request_id.
            return tx.catalog.get_release(product_code, version)

    @retry_on_conflict()
    def publish_upgrade_terms(
        self,
        actor: Actor,
        *,
        product_code: str,
        to_version: str,
        title: str,
        clauses: Sequence[str],
        key: RequestKey | None,
        introduction: str | None = None,
    ) -> TermsRow:
        texts = [("title", title), *((f"clauses[{i}]", c) for i, c in enumerate(clauses))]
        if introduction is not None:
            texts.insert(1, ("introduction", introduction))
        violations = [
            (field, problem[0].upper() + problem[1:])
            for field, text in texts
            for problem in placeholder_problems(text)
        ]
        if violations:
            raise errors.InvalidArgument(field_violations=violations)
        # Every GetUpgradeTerms of the release renders these for one serial: refuse
        # now what could ever render past the budget, rather than block the upgrade.
        worst_case = terms_worst_case_bytes(title, clauses, introduction)
        if worst_case > TERMS_MAX_BYTES:
            raise errors.TermsTooLarge(
                worst_case,
                TERMS_MAX_BYTES,
                f"razón social de {RAZON_SOCIAL_MAX_LENGTH} caracteres, "
                f"URL de descarga de {DOWNLOAD_URL_MAX_LENGTH}",
            )
        now = self.calendar.now()

        def publish(tx: UnitOfWork) -> Result:
            if tx.catalog.find_release(product_code, to_version) is None:
                raise errors.ReleaseNotPublished(product_name(product_code), to_version)
            row = tx.catalog.add_terms(
                product_code=product_code,
                to_version=to_version,
                title=title,
                clauses=clauses,
                introduction=introduction,
                locale=TERMS_LOCALE,
                now=now,
            )
            record(
                tx,
                actor,
                "upgrade_terms.published",
                now,
                detail={
                    "product_code": product_code,
                    "to_version": to_version,
                    "template_id": template_id_of(row.id),
                    "clause_count": len(clauses),
                    "has_introduction": introduction is not None,
                },
            )
            return {"template_row_id": row.id}

        with self.store.write() as tx:
            result = once(tx, actor.idempotency_scope, key, now, publish)
            return tx.catalog.get_terms(result["template_row_id"])
