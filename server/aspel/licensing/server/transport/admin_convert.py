"""AdminService's domain values to protos (the shared ones are in convert.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from aspel.licensing.v1 import audit_event_pb2, release_pb2, upgrade_terms_template_pb2

from ..domain import serials
from ..domain.admin.catalog import ReleaseView, TermsTemplateView
from ..domain.admin.support import AuditEventView
from .convert import timestamp


def release(view: ReleaseView) -> release_pb2.Release:
    return release_pb2.Release(
        product_code=view.product_code,
        product_name=view.product_name,
        version=view.version,
        upgrade_from_versions=list(view.upgrade_from_versions),
        download_url=view.download_url,
        publish_time=timestamp(view.publish_time),
    )


def terms_template(view: TermsTemplateView) -> upgrade_terms_template_pb2.UpgradeTermsTemplate:
    return upgrade_terms_template_pb2.UpgradeTermsTemplate(
        template_id=view.template_id,
        product_code=view.product_code,
        to_version=view.to_version,
        title=view.title,
        clauses=list(view.clauses),
        locale=view.locale,
        publish_time=timestamp(view.publish_time),
    )


def _flatten(detail: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """{"before": {"email": "a"}} -> ("before.email", "a"); non-text values as JSON."""
    for key, value in detail.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, name + ".")
        elif isinstance(value, str):
            yield name, value
        else:
            yield name, json.dumps(value, ensure_ascii=False)


def audit_event(view: AuditEventView) -> audit_event_pb2.AuditEvent:
    return audit_event_pb2.AuditEvent(
        event_id=str(view.event_id),
        event_time=timestamp(view.time),
        kind=view.kind,
        actor=view.actor,
        peer=view.peer or "",
        account_id=view.account_id or "",
        serial_number=serials.display(view.serial_number) if view.serial_number else "",
        details=dict(_flatten(view.detail)),
    )
