"""What every client class of this package shares: the channel, the session
token, deadlines, safe retries and typed errors.

A client for another service is a subclass that names its stub class (the
constructor builds it on `self.channel`) and sends every RPC through
`self._call`, or `self._mutate` for a request that carries a `request_id`:

    class ActivationClient(BaseClient):
        stub_class = activation_service_pb2_grpc.ActivationServiceStub

        def activate_installation(self, ..., request_id=None) -> pb.ActivateInstallationResponse:
            return self._mutate(
                self._stub.ActivateInstallation,
                pb.ActivateInstallationRequest(...),
                request_id,
                authenticated=False,
            )

        def list_signing_keys(self) -> Iterator[activation_pb2.SigningKey]:
            return follow_pages(
                lambda token: self._call(
                    self._stub.ListSigningKeys, pb.ListSigningKeysRequest(page_token=token)
                ),
                lambda page: page.signing_keys,
            )

The generated `_grpc` stubs have no type stubs, so mypy sees `self._stub`'s
methods (and so what `_call` and `_mutate` return) as `Any`: a method that
returns the whole response returns the call, and its return annotation names
the response type; one that reads a field first binds the response to an
annotated name, so that mypy checks the field.

What `_call` does, so the methods need not:

- **Deadline.** Every call has one: `deadline` seconds (default
  `DEFAULT_DEADLINE`) for the whole call, retries and waits included. Each
  attempt gets the time that is left.
- **Credentials.** With a token set, it sends `authorization: Bearer <token>`
  (pass `authenticated=False` for calls that must not carry it, such as a login).
- **Retries** (STYLE.md section 2), at most `RetryPolicy.max_attempts`
  attempts, waiting with exponential backoff and full jitter between them:
  UNAVAILABLE is always retried (the server answers it only where a plain
  retry is safe); ABORTED only when the request carries a non-empty
  `request_id` (the server then gives the first answer back), or when the
  caller passes `idempotent=True`. Nothing else is retried: not
  DEADLINE_EXCEEDED, not INTERNAL, not a client error. A mutating request
  should therefore always carry a `request_id` (see `new_request_id`).
- **The server's word on waiting.** When a retryable error carries a
  `google.rpc.RetryInfo`, the wait before the next attempt is never shorter
  than its `retry_delay` (the jittered backoff only when it is longer). If
  that wait does not fit in what is left of the deadline, the call gives up
  at once with the error (its `retry_delay` tells the caller when to come
  back) instead of sleeping past the deadline.
- **Errors.** A failed call raises the `errors.LicensingError` subclass of its
  status code, with `reason`, es-MX `message`, `metadata` and field
  violations; never a bare `grpc.RpcError`.

The channel is closed by `close()` or by leaving a `with` block, unless it was
passed in by the caller (then it is the caller's to close).
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar, Protocol, Self, TypeVar

import grpc
from google.protobuf.message import Message

from .errors import from_grpc_error

#: Seconds a call may take, retries included, unless the client says otherwise.
DEFAULT_DEADLINE = 10.0
#: The product part of the user agent of programs that do not name themselves.
USER_AGENT_PRODUCT = "aspel-licensing-client"

ResponseT = TypeVar("ResponseT")
MessageT = TypeVar("MessageT", bound=Message)
ItemT = TypeVar("ItemT")
Metadata = Sequence[tuple[str, str]]


class Page(Protocol):
    """A list response (AIP-158): its items, and the token of the next page."""

    @property
    def next_page_token(self) -> str: ...


PageT = TypeVar("PageT", bound=Page)


def follow_pages(
    fetch: Callable[[str], PageT], items: Callable[[PageT], Iterable[ItemT]]
) -> Iterator[ItemT]:
    """Every item of a paginated list: `fetch(page_token)` gets one page ("" the
    first), `items(page)` its results; stops at the page with no next token."""
    token = ""
    while True:
        page = fetch(token)
        yield from items(page)
        token = page.next_page_token
        if not token:
            return


def user_agent(product: str = USER_AGENT_PRODUCT) -> str:
    """`product/<package version>`, sent as `grpc.primary_user_agent` (server logs
    and proxies then tell the CLI, an installer and other programs apart)."""
    # Imported here: the package's __init__ imports this module.
    from . import __version__

    return f"{product}/{__version__}"


def new_request_id() -> str:
    """A fresh idempotency key (a UUID) for one mutating request and its retries."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class RetryPolicy:
    """How many times and how patiently a call is retried.

    Before retry number n (1, 2, ...) the client waits a random time between 0
    and min(max_backoff, initial_backoff * multiplier ** (n - 1)) seconds
    ("full jitter"), so many clients that failed together do not come back
    together. `max_attempts` counts the first attempt: 1 means no retries.
    """

    max_attempts: int = 4
    initial_backoff: float = 0.2
    max_backoff: float = 3.0
    multiplier: float = 2.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.initial_backoff < 0 or self.max_backoff < 0 or self.multiplier < 1:
            raise ValueError("backoffs must be non-negative and multiplier at least 1")

    def backoff_cap(self, retry_number: int) -> float:
        """The longest wait before retry number `retry_number` (counted from 1)."""
        return min(self.max_backoff, self.initial_backoff * self.multiplier ** (retry_number - 1))

    def backoff(self, retry_number: int, rng: random.Random | None = None) -> float:
        """A jittered wait before retry number `retry_number`."""
        return (rng or _RANDOM).uniform(0.0, self.backoff_cap(retry_number))

    def is_retryable(self, code: grpc.StatusCode, *, idempotent: bool) -> bool:
        """Whether a failure with `code` may be retried (see the module docstring)."""
        if code == grpc.StatusCode.UNAVAILABLE:
            return True
        return code == grpc.StatusCode.ABORTED and idempotent


DEFAULT_RETRY = RetryPolicy()
#: For callers that want exactly one attempt.
NO_RETRY = RetryPolicy(max_attempts=1)

_RANDOM = random.Random()  # noqa: S311 - jitter, not a secret


def carries_request_id(request: Message) -> bool:
    """Whether the request has a non-empty `request_id` field."""
    return bool(getattr(request, "request_id", ""))


def call_with_retry(
    method: Callable[..., ResponseT],
    request: Message,
    *,
    metadata: Metadata = (),
    deadline: float = DEFAULT_DEADLINE,
    retry: RetryPolicy = DEFAULT_RETRY,
    idempotent: bool | None = None,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> ResponseT:
    """Calls a unary-unary stub method under a deadline with safe retries.

    `idempotent=None` means "safe to retry on ABORTED if the request carries a
    request_id". Raises the typed `LicensingError` of the last failure.
    `sleep`, `monotonic` and `rng` are there for tests.
    """
    if idempotent is None:
        idempotent = carries_request_id(request)
    give_up_at = monotonic() + deadline
    attempt = 1
    while True:
        try:
            timeout = max(give_up_at - monotonic(), 0.0)
            return method(request, timeout=timeout, metadata=tuple(metadata))
        except grpc.RpcError as rpc_error:
            error = from_grpc_error(rpc_error)
            if attempt >= retry.max_attempts or not retry.is_retryable(
                error.code, idempotent=idempotent
            ):
                raise error from rpc_error
            wait = retry.backoff(attempt, rng)
            if error.retry_delay is not None:
                # Never sooner than the server asked.
                wait = max(wait, error.retry_delay.total_seconds())
            # No point waiting for a retry that would have no time left.
            if monotonic() + wait >= give_up_at:
                raise error from rpc_error
        sleep(wait)
        attempt += 1


def _default_user_agent() -> str:
    return user_agent()


class BaseClient:
    """A channel plus the call policy of this package (module docstring).

    `target` is "host:port"; or pass a ready `channel` (tests, TLS set-ups,
    interceptors). `credentials` makes a TLS channel to `target`; without
    them the channel is plaintext, meant for a local or trusted network.
    `user_agent` names the program in the channel's user agent (see
    `user_agent()`); it applies only to a channel this client creates.
    `token` is sent as `authorization: Bearer <token>` (a session token, a
    service key). A subclass sets `stub_class`; its stub is `self._stub`.
    """

    #: The generated stub class of the service (`...ServiceStub`).
    stub_class: ClassVar[type[Any]]

    def __init__(
        self,
        target: str | None = None,
        *,
        token: str | None = None,
        deadline: float = DEFAULT_DEADLINE,
        channel: grpc.Channel | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        user_agent: str | None = None,
    ) -> None:
        if deadline <= 0:
            raise ValueError("deadline must be positive")
        if channel is None:
            if not target:
                raise ValueError("give a target (host:port) or a channel")
            options = [("grpc.primary_user_agent", user_agent or _default_user_agent())]
            channel = (
                grpc.secure_channel(target, credentials, options=options)
                if credentials is not None
                else grpc.insecure_channel(target, options=options)
            )
            self._owns_channel = True
        else:
            self._owns_channel = False
        self.target = target or ""
        self.channel: grpc.Channel = channel
        self.token = token
        self.deadline = deadline
        self.retry = retry
        self._stub = self.stub_class(self.channel)

    def __repr__(self) -> str:
        # Never the token.
        return f"{type(self).__name__}(target={self.target!r}, deadline={self.deadline})"

    def close(self) -> None:
        """Closes the channel if this client created it."""
        if self._owns_channel:
            self.channel.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _metadata(self, authenticated: bool) -> list[tuple[str, str]]:
        if authenticated and self.token:
            return [("authorization", f"Bearer {self.token}")]
        return []

    def _call(
        self,
        method: Callable[..., ResponseT],
        request: Message,
        *,
        authenticated: bool = True,
        idempotent: bool | None = None,
        deadline: float | None = None,
    ) -> ResponseT:
        """Sends one RPC with this client's deadline, token and retry policy."""
        return call_with_retry(
            method,
            request,
            metadata=self._metadata(authenticated),
            deadline=deadline if deadline is not None else self.deadline,
            retry=self.retry,
            idempotent=idempotent,
        )

    def _mutate(
        self,
        method: Callable[..., ResponseT],
        request: MessageT,
        request_id: str | None,
        *,
        authenticated: bool = True,
    ) -> ResponseT:
        """Sends a request that changes something, with `request_id` (a new UUID
        unless given): a retry of it, here or by the caller, is done once."""
        request.request_id = request_id or new_request_id()  # type: ignore[attr-defined]
        return self._call(method, request, authenticated=authenticated)


__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_RETRY",
    "NO_RETRY",
    "BaseClient",
    "RetryPolicy",
    "call_with_retry",
    "carries_request_id",
    "follow_pages",
    "new_request_id",
    "user_agent",
]
