"""The `RequestKey` of a mutating request: its request_id and a fingerprint of
everything else in the message.

Computed from the message itself, not from a list of fields each servicer
would have to keep up to date, so a field added to a request tomorrow is
covered the day it is added.
"""

from __future__ import annotations

import hashlib

from google.protobuf.message import Message

from ..domain.idempotency import RequestKey

#: Fields whose value never reaches the stored digest, only whether they were
#: given. A password has too little entropy: whoever could read the
#: idempotency table could test guesses against a digest over it offline, so
#: it would be a password oracle beside the argon2 hash. (A reset token stays
#: in: 256 random bits, and the database already keeps its SHA-256.) The cost:
#: a retry with the same request_id and another password replays the first
#: answer instead of being refused; the password set is the first one.
SECRET_FIELDS = frozenset(
    {
        "aspel.licensing.v1.ResetPasswordRequest.new_password",
        "aspel.licensing.v1.CreateAccountRequest.initial_password",
    }
)
_GIVEN = "given"


def fingerprint(method: str, request: Message) -> str:
    """SHA-256 of the method name and the request's deterministic serialisation,
    with request_id cleared and secrets reduced to their presence."""
    canonical = type(request)()
    canonical.CopyFrom(request)
    canonical.ClearField("request_id")
    for field in canonical.DESCRIPTOR.fields:
        if field.full_name in SECRET_FIELDS and getattr(canonical, field.name):
            setattr(canonical, field.name, _GIVEN)
    body = canonical.SerializeToString(deterministic=True)
    return hashlib.sha256(method.encode() + b"\0" + body).hexdigest()


def request_key(request: Message, request_id: str | None) -> RequestKey | None:
    """The key of `request` (its validated `request_id`), or None without one.
    The operation is the RPC's name: every RPC has its own `<Method>Request`."""
    return None if request_id is None else required_request_key(request, request_id)


def required_request_key(request: Message, request_id: str) -> RequestKey:
    """The key of a request whose `request_id` is mandatory (and validated)."""
    method = request.DESCRIPTOR.name.removesuffix("Request")
    return RequestKey(request_id, method, fingerprint(method, request))
