"""LicensingClient against the real server on port 0 with the demo data."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from aspel.licensing.client import errors
from aspel.licensing.client.licensing import LicensingClient
from aspel.licensing.v1 import subscription_pb2 as sub_pb
from tests.conftest import RunningServer

DEMO = ("demo", "demo-aspel-2026")
DEMO2 = ("demo2", "demo2-aspel-2026")


@pytest.fixture
def client(server: RunningServer) -> Iterator[LicensingClient]:
    with LicensingClient(server.address) as client:
        client.authenticate(*DEMO)
        yield client


def serial_of(client: LicensingClient, product_code: str) -> str:
    return next(
        s.serial_number for s in client.list_subscriptions() if s.product_code == product_code
    )


def test_wrong_password_is_unauthenticated_with_reason_and_spanish_message(
    server: RunningServer,
) -> None:
    with (
        LicensingClient(server.address) as client,
        pytest.raises(errors.UnauthenticatedError) as raised,
    ):
        client.authenticate("demo", "not-the-password")
    error = raised.value
    assert error.code == grpc.StatusCode.UNAUTHENTICATED
    assert error.reason == "INVALID_CREDENTIALS"
    assert error.domain == errors.ERROR_DOMAIN
    # The message is the LocalizedMessage, not the English developer text.
    assert error.message
    assert error.message != error.status_message
    assert client.token is None


def test_authenticate_returns_the_account_and_keeps_the_token(server: RunningServer) -> None:
    with LicensingClient(server.address) as client:
        response = client.authenticate(*DEMO)
        assert client.token == response.session_token
        assert response.account.username == "demo"
        assert response.account.razon_social == "Comercializadora Demo, S.A. de C.V."
        assert len(list(client.list_subscriptions())) == 4


def test_calls_without_a_session_are_session_invalid(server: RunningServer) -> None:
    with (
        LicensingClient(server.address) as client,
        pytest.raises(errors.UnauthenticatedError) as raised,
    ):
        client.list_subscriptions_page()
    assert raised.value.reason == "SESSION_INVALID"


def test_another_accounts_serial_is_not_found(
    server: RunningServer, client: LicensingClient
) -> None:
    with LicensingClient(server.address) as other:
        other.authenticate(*DEMO2)
        foreign = serial_of(other, "SAE")
    with pytest.raises(errors.NotFoundError) as raised:
        client.get_subscription(foreign)
    assert raised.value.reason == "SERIAL_NOT_FOUND"
    assert raised.value.metadata["serial_number"] == foreign


def test_malformed_serial_carries_field_violations(client: LicensingClient) -> None:
    with pytest.raises(errors.InvalidArgumentError) as raised:
        client.get_upgrade_terms("not a serial")
    assert raised.value.reason == "INVALID_ARGUMENT"
    assert [v.field for v in raised.value.field_violations] == ["serial_number"]
    assert raised.value.field_violations[0].description


@pytest.mark.parametrize(
    ("product", "reason"),
    [("COI", "UPGRADE_REQUIRES_PURCHASE"), ("NOI", "NO_UPGRADE_AVAILABLE")],
)
def test_terms_that_cannot_be_given_are_failed_precondition(
    client: LicensingClient, product: str, reason: str
) -> None:
    with pytest.raises(errors.FailedPreconditionError) as raised:
        client.get_upgrade_terms(serial_of(client, product))
    assert raised.value.reason == reason


def test_list_subscriptions_walks_every_page(client: LicensingClient) -> None:
    first = client.list_subscriptions_page(page_size=1)
    assert len(first.subscriptions) == 1
    assert first.next_page_token

    walked = [s.serial_number for s in client.list_subscriptions(page_size=1)]
    in_one_page = [s.serial_number for s in client.list_subscriptions_page().subscriptions]
    assert len(walked) == 4
    assert walked == in_one_page


def test_accept_upgrade_gives_a_new_serial_and_the_same_one_again(
    client: LicensingClient,
) -> None:
    sae = serial_of(client, "SAE")
    terms = client.get_upgrade_terms(sae)

    first = client.accept_upgrade(sae, terms.terms_id)
    again = client.accept_upgrade(sae, terms.terms_id)  # a new request_id each time

    assert first.subscription.version == "8.0"
    assert first.previous_subscription.state == sub_pb.SUBSCRIPTION_STATE_SUPERSEDED
    assert first.previous_subscription.HasField("retire_date")
    assert again.subscription.serial_number == first.subscription.serial_number
    assert client.get_subscription(sae).successor_serial_number == (
        first.subscription.serial_number
    )


def test_outdated_terms_are_refused(client: LicensingClient) -> None:
    with pytest.raises(errors.FailedPreconditionError) as raised:
        client.accept_upgrade(serial_of(client, "CAJA"), "not-the-current-terms")
    assert raised.value.reason == "TERMS_OUTDATED"


def test_sign_out_ends_the_session(server: RunningServer) -> None:
    with LicensingClient(server.address) as client:
        client.authenticate(*DEMO)
        token = client.token
        client.sign_out()
        assert client.token is None
    with (
        LicensingClient(server.address, token=token) as stale,
        pytest.raises(errors.UnauthenticatedError) as raised,
    ):
        stale.list_subscriptions_page()
    assert raised.value.reason == "SESSION_INVALID"


def test_leaving_the_with_block_closes_an_owned_channel(server: RunningServer) -> None:
    with LicensingClient(server.address) as client:
        client.authenticate(*DEMO)
    with pytest.raises(ValueError, match="closed channel"):
        client.list_subscriptions_page()


def test_a_channel_given_by_the_caller_stays_open(server: RunningServer) -> None:
    with LicensingClient(channel=server.channel) as client:
        client.authenticate(*DEMO)
    with LicensingClient(channel=server.channel) as again:
        assert again.authenticate(*DEMO).session_token


def test_repr_never_shows_the_token(server: RunningServer) -> None:
    with LicensingClient(server.address, token="secret-token-value") as client:
        assert "secret-token-value" not in repr(client)
