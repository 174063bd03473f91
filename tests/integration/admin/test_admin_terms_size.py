"""Upgrade terms always fit in one message: publishing refuses what could not.

The terms are rendered per serial at every GetUpgradeTerms; a text accepted at
publish time that renders past max_message_bytes would block the upgrade of
every serial of the release. The worst case is computed at publish time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import grpc
import pytest

from aspel.licensing.server.domain import upgrade_terms
from aspel.licensing.server.domain.upgrade_terms import (
    DOWNLOAD_URL_MAX_LENGTH,
    PLACEHOLDER_MAX_BYTES,
    RAZON_SOCIAL_MAX_LENGTH,
    TERMS_MAX_BYTES,
    VERSION_MAX_LENGTH,
    terms_worst_case_bytes,
)
from aspel.licensing.server.settings import Settings
from aspel.licensing.server.store.models import Account, Release, Subscription, UpgradeTermsText
from aspel.licensing.v1 import admin_service_pb2 as admin_pb
from aspel.licensing.v1 import licensing_service_pb2, licensing_service_pb2_grpc

from .conftest import Admin, failure

URL = "https://www.aspel.com.mx/descargas"
# The widest character UTF-8 has (4 bytes), so a razón social of it is the longest.
WIDE = "\U0001d538"


def _release(admin: Admin, version: str, sources: list[str], url: str = URL) -> Any:
    return admin.catalog.PublishRelease(
        admin_pb.PublishReleaseRequest(
            product_code="SAE", version=version, upgrade_from_versions=sources, download_url=url
        )
    )


def _terms(admin: Admin, clauses: list[str], title: str = "Términos") -> Any:
    return admin.catalog.PublishUpgradeTerms(
        admin_pb.PublishUpgradeTermsRequest(
            product_code="SAE", to_version="8.0", title=title, clauses=clauses
        )
    )


def test_the_issues_download_url_of_2031_characters_is_refused(admin: Admin) -> None:
    url = "https://www.aspel.com.mx/" + "a" * (2031 - len("https://www.aspel.com.mx/"))
    assert len(url) == 2031
    refused = failure(lambda: _release(admin, "7.0", [], url))
    assert (refused.code, refused.reason, refused.fields) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
        {"download_url"},
    )


@pytest.mark.parametrize(
    "url",
    ["https://www.aspel.com.mx/descargá", "https://www.aspel.com.mx/a\tb"],
    ids=["not-ascii", "control-character"],
)
def test_a_download_url_that_is_not_printable_ascii_is_refused(admin: Admin, url: str) -> None:
    refused = failure(lambda: _release(admin, "7.0", [], url))
    assert (refused.reason, refused.fields) == ("INVALID_ARGUMENT", {"download_url"})


def test_the_longest_download_url_is_accepted(admin: Admin) -> None:
    url = "https://www.aspel.com.mx/" + "a" * (DOWNLOAD_URL_MAX_LENGTH - 25)
    assert len(url) == DOWNLOAD_URL_MAX_LENGTH
    assert _release(admin, "7.0", [], url).release.download_url == url


def test_the_issues_fifty_clauses_of_download_urls_are_refused(admin: Admin) -> None:
    _release(admin, "7.0", [])
    _release(admin, "8.0", ["7.0"])
    refused = failure(lambda: _terms(admin, ["$download_url " * 280] * 50))
    assert (refused.code, refused.reason, refused.fields) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "TERMS_TOO_LARGE",
        {"clauses"},
    )
    assert int(refused.metadata["worst_case_bytes"]) > int(refused.metadata["max_bytes"])


def _filling() -> list[str]:
    """Clauses of razón social placeholders whose worst case is the budget exactly."""
    per = PLACEHOLDER_MAX_BYTES["razon_social"] + 1  # "$razon_social" and a dash
    title_cost = terms_worst_case_bytes("Términos", [])
    room = TERMS_MAX_BYTES - title_cost
    count, rest = divmod(room, per)
    clauses = ["$razon_social-" * 250] * (count // 250)
    clauses.append("$razon_social-" * (count % 250) + "x" * rest)
    assert terms_worst_case_bytes("Términos", clauses) == TERMS_MAX_BYTES
    return clauses


def test_the_largest_accepted_terms_render_under_the_budget(
    demo_admin: Admin, server: Any, settings: Settings
) -> None:
    portal = licensing_service_pb2_grpc.LicensingServiceStub(server.channel)
    account = demo_admin.support.GetAccount(admin_pb.GetAccountRequest(username="demo")).account
    longest = WIDE * RAZON_SOCIAL_MAX_LENGTH
    demo_admin.as_("support-desk").UpdateAccount(
        admin_pb.UpdateAccountRequest(account_id=account.account_id, razon_social=longest)
    )
    # One byte more than the budget is refused; the budget itself is accepted.
    over = failure(lambda: _terms(demo_admin, [*_filling(), "x"]))
    assert over.reason == "TERMS_TOO_LARGE"
    _terms(demo_admin, _filling())

    login = portal.Authenticate(
        licensing_service_pb2.AuthenticateRequest(username="demo", password="demo-aspel-2026")
    )
    session = [("authorization", f"Bearer {login.session_token}")]
    sae = portal.ListSubscriptions(
        licensing_service_pb2.ListSubscriptionsRequest(), metadata=session
    ).subscriptions[0]
    assert sae.product_code == "SAE"
    response = portal.GetUpgradeTerms(
        licensing_service_pb2.GetUpgradeTermsRequest(serial_number=sae.serial_number),
        metadata=session,
    )
    terms = response.upgrade_terms
    assert longest in terms.clauses[0]
    rendered = len(terms.title.encode()) + sum(len(c.encode()) for c in terms.clauses)
    assert rendered <= TERMS_MAX_BYTES
    assert response.ByteSize() < settings.max_message_bytes


def test_every_placeholder_at_its_longest_renders_within_its_worst_case() -> None:
    """PLACEHOLDER_MAX_BYTES bounds what render() puts in for any serial."""
    version = "9" * VERSION_MAX_LENGTH
    every = " ".join(f"${name}" for name in sorted(upgrade_terms.PLACEHOLDERS))
    clauses = [every, "${razon_social}$$" + every]
    for month in range(1, 13):
        for period in ("MONTHLY", "SEMIANNUAL", "ANNUAL", None):
            subscription = Subscription(
                serial_number="0" * 15,
                product_code="FACTURE",
                version=version,
                billing_period=period,
                next_payment_date=dt.date(9999, month, 30 if month != 2 else 28),
            )
            account = Account(razon_social=WIDE * RAZON_SOCIAL_MAX_LENGTH)
            release = Release(
                version=version,
                download_url="https://a.mx/" + "a" * (DOWNLOAD_URL_MAX_LENGTH - 13),
            )
            text = UpgradeTermsText(id=1, title=every, clauses=clauses, locale="es-MX")
            view = upgrade_terms.render(subscription, account, release, text)
            assert len(view.title.encode()) <= upgrade_terms.worst_case_bytes(every)
            for template, rendered in zip(clauses, view.clauses, strict=True):
                assert len(rendered.encode()) <= upgrade_terms.worst_case_bytes(template)


def test_the_budget_is_well_under_the_message_limit() -> None:
    assert Settings().max_message_bytes >= TERMS_MAX_BYTES * 4
